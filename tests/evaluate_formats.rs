//! `apim-probe evaluate`'s formats on one broken configuration (a deny before the allow rule,
//! another region's tag, an ASG, forced tunnelling): insta snapshots of each, the compact
//! budget, JUnit that parses.

mod evaluate_support;

use evaluate_support::evaluate;

/// The same broken configuration (deny before allow, another region's tag, an ASG, forced
/// tunnelling) in every format.
fn snapshot_args(format: &'static str) -> Vec<&'static str> {
    vec![
        "-o",
        format,
        "--region",
        "westeurope",
        "--only",
        "storage,sql,key-vault,entra,management-endpoint,load-balancer,redis-internal",
        "subnet.json",
        "nsg-broken.json",
        "routes-forced.json",
    ]
}

#[test]
fn formats() {
    for format in ["table", "json", "markdown", "compact", "junit"] {
        let (code, out, err) = evaluate(&snapshot_args(format));
        assert_eq!(code, 1, "{format}: {err}");
        insta::with_settings!({ filters => vec![(r"apim-probe(\s|`, `?)\d+\.\d+\.\d+", "apim-probe$1[version]"), (r#""version": "\d+\.\d+\.\d+""#, r#""version": "[version]""#), (r#"value="\d+\.\d+\.\d+""#, r#"value="[version]""#)] }, {
            insta::assert_snapshot!(format!("evaluate-{format}"), out);
        });
    }
}

#[test]
fn compact_fits_run_commands_budget_and_junit_is_xml() {
    let (_, out, _) = evaluate(&[
        "-o",
        "compact",
        "--region",
        "westeurope",
        "subnet.json",
        "nsg-broken.json",
        "routes-forced.json",
    ]);
    assert!(out.len() <= 3584, "{} bytes", out.len());
    assert!(out.is_ascii());
    assert!(
        out.trim_end()
            .lines()
            .last()
            .unwrap()
            .starts_with("VERDICT: FAIL"),
        "{out}"
    );
    let (_, out, _) = evaluate(&[
        "-o",
        "junit",
        "--region",
        "westeurope",
        "subnet.json",
        "nsg-broken.json",
    ]);
    let doc = roxmltree::Document::parse(&out).unwrap();
    let cases = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .count();
    assert!(cases > 40, "{cases}");
}

/// `-o html` is `merge`'s page with the evaluation as its one column: self-contained, and the
/// denied flows shown as failing cells.
#[test]
fn html_is_the_merge_page_with_one_column() {
    let (code, out, err) = evaluate(&snapshot_args("html"));
    assert_eq!(code, 1, "{err}");
    assert!(out.starts_with("<!DOCTYPE html>"), "{out:.80}");
    assert!(
        !out.contains("<script src") && !out.contains("<link "),
        "external resources"
    );
    assert!(
        out.contains("management-endpoint"),
        "the 3443 flow is a row"
    );
    assert!(out.contains("Content-Security-Policy"));
    assert!(
        out.contains(r#"class="c-failed""#) && out.contains("✗ denied"),
        "{out}"
    );
}
