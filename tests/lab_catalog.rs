//! Scenario 7 of the network lab: the embedded catalog end to end. Every host of the plan
//! resolves (through the lab's dnsmasq) to its own lab address, and the far side runs a real
//! server for every check the plan makes: nginx (TLS from a lab CA on the TLS ports, HTTP on the
//! HTTP ports, plain listeners for bare TCP rows), the lab's TDS and AMQP responders, smbd,
//! chronyd. The lab CA is the trust store (`SSL_CERT_FILE`) and the expected CA (`--expect-ca`).
//! Once per edition of the reference: 2025-06 (the default, with its HTTP certificate-validation
//! row) and 2023-11 (with Azure Files over SMB).
//!
//! Needs root, `ip netns`, nft, dnsmasq, nginx, chronyd and smbd; without them it prints
//! `LAB SKIPPED: …` and passes, except under `CI=true`, where it fails.

mod common;

use common::lab;

use std::collections::BTreeSet;

use lab::{CatalogLab, Proto, Verdict, failed, result, results};
use serde_json::Value;

/// `(id, host, port)` of results.
fn keys(rs: &[&Value]) -> BTreeSet<(String, String, u64)> {
    rs.iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_owned(),
                r["host"].as_str().unwrap_or_default().to_owned(),
                r["port"].as_u64().unwrap_or_default(),
            )
        })
        .collect()
}

#[test]
fn embedded_catalog_end_to_end_2025_06() {
    // The default edition: an optional TLS row stands for the optional failure.
    end_to_end("2025-06", "tls-chain", 443);
}

#[test]
fn embedded_catalog_end_to_end_2023_11() {
    // The older edition still has Azure Files on 445, probed over SMB against smbd.
    end_to_end("2023-11", "file-share", 445);
}

/// Every probed row of `edition` ok with everything open; then the NSG drops SQL 1433
/// (required) and `optional` on `port`: exactly those fail.
#[allow(clippy::too_many_lines)]
fn end_to_end(edition: &str, optional: &str, port: u16) {
    let Some(c) = CatalogLab::start_editions(&[edition]) else {
        return;
    };
    let (sql_host, share_host) = (c.host_of("sql"), c.host_of(optional));
    let (lab, dns) = (&c.lab, c.dns);
    let probed = &c.probed;
    let check = |args: &[&str]| {
        let mut all = vec!["--reference", edition];
        all.extend(args);
        c.check(&all)
    };

    // Everything open: every probed row ok.
    let run = check(&[]);
    assert_eq!(run.report["reference"]["edition"], edition);
    eprintln!("LAB embedded catalog, open: {:?}", run.elapsed);
    assert!(failed(&run.report).is_empty(), "{:#?}", failed(&run.report));
    let dns_rows = results(&run.report, "dns");
    assert_eq!(dns_rows.len(), 2, "dns over UDP and TCP");
    for r in dns_rows {
        assert_eq!(r["status"], "ok", "{r:#}");
        assert_eq!(r["host"], dns.ip().to_string());
    }
    let ntp = result(&run.report, "ntp");
    assert_eq!(ntp["status"], "ok", "{ntp:#}");
    assert_eq!(ntp["warnings"], serde_json::json!([]), "{ntp:#}");
    for r in run.report["results"].as_array().unwrap() {
        if r["status"] == "ok" && r["check"] != "tcp" && r["check"] != "dns" {
            assert!(
                r["evidence"].is_object(),
                "a protocol check says what it saw: {r:#}"
            );
        }
    }
    let ok = run.report["summary"]["ok"].as_u64().unwrap();
    assert_eq!(
        ok,
        u64::try_from(probed.len()).unwrap(),
        "every probed row is ok"
    );
    assert_eq!(run.code, 0, "{}", run.stderr);

    // The NSG drops SQL 1433 (required) and the optional row's port: exactly those fail.
    lab.block_service(Verdict::Drop, &c.by_host[&sql_host], Proto::Tcp, Some(1433));
    lab.block_service(
        Verdict::Drop,
        &c.by_host[&share_host],
        Proto::Tcp,
        Some(port),
    );
    let expected: BTreeSet<(String, String, u64)> = [
        ("sql".to_owned(), sql_host.clone(), 1433),
        (optional.to_owned(), share_host.clone(), u64::from(port)),
    ]
    .into();
    for (what, args) in [("default", &[][..]), ("--strict", &["--strict"][..])] {
        let run = check(args);
        eprintln!("LAB embedded catalog, blocked, {what}: {:?}", run.elapsed);
        let bad = failed(&run.report);
        assert_eq!(
            keys(&bad),
            expected,
            "{what}: {bad:#?}\n{}",
            lab.nsg_rules()
        );
        for r in &bad {
            assert_eq!(r["status"], "timeout", "{r:#}");
        }
        assert_eq!(result(&run.report, "sql")["required"], true);
        assert_eq!(result(&run.report, optional)["required"], false);
        assert_eq!(run.report["summary"]["failed_required"], 1, "{what}");
        assert_eq!(run.report["summary"]["failed"], 2, "{what}");
        assert_eq!(run.code, 1, "{what}");
    }
}
