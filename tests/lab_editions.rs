//! Editions of the reference in the network lab: the embedded catalog of both editions served by
//! real servers (nginx answers plain HTTP on 80), then the "NSG" drops outbound TCP 80 to the
//! certificate hosts while 443 stays open. Under 2025-06 the required certificate-validation
//! row fails and `check` exits 1; under 2023-11 the same hosts on 80 are optional chain-building
//! rows, so the verdict passes with optional failures. With 80 open, the new row passes only
//! because an HTTP answer came back (a real GET of the CRL/CA URL), and the compact output
//! names the edition.
//!
//! Needs root and the lab's packages; without them it prints `LAB SKIPPED: …` and passes, except
//! under `CI=true`, where it fails.

mod common;

use common::lab;

use lab::{CatalogLab, Proto, Verdict, failed, results};

/// The hosts of the TLS functionality section in either edition (port 80 is theirs).
const CERT_HOSTS: &[&str] = &[
    "ocsp.msocsp.com",
    "oneocsp.msocsp.com",
    "mscrl.microsoft.com",
    "crl.microsoft.com",
    "csp.digicert.com",
    "oneocsp.microsoft.com",
    "cacerts.digicert.com",
    "crl3.digicert.com",
    "ocsp.digicert.com",
];

#[test]
fn outbound_80_dropped_fails_2025_06_and_not_2023_11() {
    let Some(c) = CatalogLab::start_editions(&["2023-11", "2025-06"]) else {
        return;
    };
    // With everything open, the new row is an HTTP exchange that succeeds on every host.
    let open = c.check(&["--reference", "2025-06"]);
    let cert = results(&open.report, "cert-validation");
    assert_eq!(cert.len(), 6, "{:#}", open.report);
    for r in &cert {
        assert_eq!(r["status"], "ok", "{r:#}");
        assert_eq!(r["check"], "http");
        assert!(
            r["facts"]["http"]["status"].is_u64(),
            "an HTTP answer: {r:#}"
        );
        assert!(
            r["path"].as_str().is_some_and(|p| p.starts_with('/')),
            "{r:#}"
        );
    }
    assert_eq!(open.report["reference"]["edition"], "2025-06");

    // The NSG drops TCP 80 to the certificate hosts; 443 stays open.
    for host in CERT_HOSTS {
        if let Some(svc) = c.by_host.get(*host) {
            c.lab
                .block_service(Verdict::Drop, svc, Proto::Tcp, Some(80));
        }
    }
    let new = c.check(&["--reference", "2025-06"]);
    assert_eq!(new.code, 1, "{}", new.stderr);
    let failing: Vec<&str> = failed(&new.report)
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(
        failing.iter().all(|id| *id == "cert-validation"),
        "only the certificate-validation row fails: {failing:?}"
    );
    for r in results(&new.report, "cert-validation") {
        assert_eq!(r["status"], "timeout", "{r:#}");
        assert_eq!(r["required"], true);
    }
    for r in results(&new.report, "tls-chain") {
        assert_eq!(r["status"], "ok", "443 is open: {r:#}");
    }

    let old = c.check(&["--reference", "2023-11"]);
    assert_eq!(old.code, 0, "optional failures only: {:#}", old.report);
    assert_eq!(old.report["reference"]["edition"], "2023-11");
    let failing = failed(&old.report);
    assert!(!failing.is_empty());
    for r in &failing {
        assert_eq!(r["port"], 80, "{r:#}");
        assert_eq!(r["required"], false, "{r:#}");
        assert!(
            ["tls-chain", "tls-chain-newer"].contains(&r["id"].as_str().unwrap()),
            "{r:#}"
        );
    }

    // What run-command brings back names the edition, and the verdict stays last.
    let compact = c.check_text(&["--reference", "2025-06", "-o", "compact"]);
    let first = compact.stdout.lines().next().unwrap_or_default();
    assert!(first.contains(" ref 2025-06 "), "{}", compact.stdout);
    let last = compact.stdout.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("VERDICT: FAIL") && last.contains("cert-validation"),
        "{}",
        compact.stdout
    );
}
