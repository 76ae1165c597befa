//! One test per line of the table: a result the line is for, the line chosen, and the words and
//! fix it gives. A last test checks that every line has its case here.

use serde_json::json;

use super::cases::{cases, r};
use super::lines::TABLE;
use super::{HintContext, hint, line_for};
use crate::catalog::model::Cloud;
use crate::report::fix::Fix;
use crate::report::model::ResultEntry;

fn ctx() -> HintContext {
    HintContext {
        cloud: Cloud::Public,
        region: Some("westeurope".into()),
        ..HintContext::default()
    }
}

/// The line chosen, the hint and the fix.
fn judged(x: &ResultEntry) -> (&'static str, String, Option<Fix>) {
    let line = line_for(x).expect("a line").name;
    let (text, fix) = hint(x, &ctx()).unwrap_or_default();
    (line, text, fix)
}

#[test]
fn each_line_gives_the_hint_its_evidence_supports() {
    for (x, line, words) in cases() {
        let (got, text, _) = judged(&x);
        assert_eq!(got, line, "{}: {text}", x.status.as_str());
        for w in words {
            assert!(text.contains(w), "{line}: {w:?} not in {text:?}");
        }
    }
}

#[test]
fn every_line_of_the_table_has_its_case() {
    let covered: Vec<&str> = cases().into_iter().map(|(_, l, _)| l).collect();
    for l in TABLE {
        assert!(covered.contains(&l.name), "no case for line {:?}", l.name);
    }
}

#[test]
fn failures_the_nsg_cannot_cause_never_blame_it() {
    for (x, line, _) in cases() {
        let (_, text, fix) = judged(&x);
        if line == "connected, then nothing answered"
            || line == "no route on this machine"
            || line == "local resolver not running"
            || line == "name resolves outside the VNet"
            || line == "this machine's store distrusts a verified chain"
            || line == "incomplete chain"
            || line == "firewall deny page"
            || line == "re-signed certificate"
        {
            assert!(!text.contains("in the subnet's NSG"), "{line}: {text}");
            assert!(!matches!(fix, Some(Fix::NsgRule { .. })), "{line}: {fix:?}");
        }
    }
}

#[test]
fn nothing_to_change_is_no_hint_and_regional_tags_are_spelled_as_azure_does() {
    assert_eq!(
        hint(&r("Storage", 443, "tls", "ok", "tls", &json!({})), &ctx()),
        None
    );
    let (_, _, fix) = judged(&r("Sql", 1433, "tds", "timeout", "connect", &json!({})));
    let Some(Fix::NsgRule {
        destination, name, ..
    }) = fix
    else {
        panic!("{fix:?}")
    };
    assert_eq!(destination, "Sql.WestEurope");
    assert_eq!(name, "AllowSql1433Out");
    let mut gov = ctx();
    gov.cloud = Cloud::Usgov;
    gov.region = Some("usgovvirginia".into());
    let (text, _) = hint(
        &r("Storage", 443, "tls", "timeout", "connect", &json!({})),
        &gov,
    )
    .unwrap();
    assert!(text.contains("Storage.USGovVirginia"), "{text}");
}
