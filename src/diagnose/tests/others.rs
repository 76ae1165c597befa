//! Middlebox, clock, membership and input-aware rules.

use serde_json::json;

use super::helpers::{ctx, dns_row, dropped, kinds, ok, r};
use crate::diagnose::diagnose;

#[test]
fn one_issuer_re_signing_many_hosts_is_tls_inspection() {
    let intercepted = |h: &str| {
        r(
            h,
            "AzureCloud",
            (h, 443),
            "tls",
            "tls_intercepted",
            "tls",
            &json!({"facts": {"tls": {"verdict": "intercepted", "issuer": "CN=Contoso Inspection", "trusted": true, "chain_len": 2}}}),
        )
    };
    let rs = vec![
        intercepted("a.example"),
        intercepted("b.example"),
        intercepted("c.example"),
        ok("d", "Storage", "d"),
    ];
    let causes = diagnose(&rs, &ctx());
    assert_eq!(kinds(&rs), ["tls_inspection"]);
    assert!(
        causes[0].summary.contains("CN=Contoso Inspection")
            && causes[0].summary.contains("trusted by this machine"),
        "{}",
        causes[0].summary
    );
    assert!(causes[0].fix.contains("a.example"));
}

#[test]
fn an_inspector_posing_as_microsoft_is_grouped_by_where_signatures_lead_and_unmasked() {
    let posing = |h: &str| {
        r(
            h,
            "AzureCloud",
            (h, 443),
            "tls",
            "tls_intercepted",
            "tls",
            &json!({"facts": {"tls": {"verdict": "intercepted", "issuer": "CN=Microsoft TLS G2 RSA CA OCSP 02",
                "leads_to": "CN=Microsoft TLS G2 RSA CA OCSP 02", "copies": "CN=Microsoft TLS G2 RSA CA OCSP 02",
                "root": "CN=Microsoft TLS RSA Root G2", "trusted": false, "chain_len": 2}}}),
        )
    };
    let rs = vec![posing("a.example"), posing("b.example")];
    let causes = diagnose(&rs, &ctx());
    assert_eq!(kinds(&rs), ["tls_inspection"]);
    let s = &causes[0].summary;
    assert!(
        s.starts_with("CN=Microsoft TLS G2 RSA CA OCSP 02 re-signs")
            && s.contains("copies the name or key id of CN=Microsoft TLS G2 RSA CA OCSP 02"),
        "{s}"
    );
}

#[test]
fn a_proxy_asking_for_credentials_is_decisive() {
    let rs = vec![
        r(
            "crl",
            "Internet",
            ("crl.microsoft.com", 80),
            "http",
            "firewall_denied",
            "handshake",
            &json!({"facts": {"http": {"status": 407, "reason": "Proxy Authentication Required", "proxy": "Proxy-Authenticate: Basic"}}}),
        ),
        ok("a", "Storage", "a"),
    ];
    let causes = diagnose(&rs, &ctx());
    assert_eq!(kinds(&rs), ["proxy_auth"]);
    assert!(causes[0].summary.contains("demands credentials"));
}

#[test]
fn clock_skew_is_decisive_and_explains_certificates_not_yet_valid() {
    let ntp = r(
        "ntp",
        "Internet",
        ("time.windows.com", 123),
        "ntp",
        "ok",
        "handshake",
        &json!({"warnings": [
        {"kind": "clock_skew", "offset_ms": -600_000.0, "server": "time.windows.com", "message": "m"}]}),
    );
    let cert = r(
        "st",
        "Storage",
        ("st.blob", 443),
        "tls",
        "tls_untrusted",
        "tls",
        &json!({"facts": {"tls": {"verdict": "untrusted", "refusal": "expired", "issuer": "CN=x", "trusted": false, "chain_len": 2}}}),
    );
    let rs = vec![ntp, cert];
    let causes = diagnose(&rs, &ctx());
    assert_eq!(kinds(&rs), ["clock_skew"]);
    assert!(
        causes[0]
            .summary
            .contains("10m 0s ahead of time.windows.com"),
        "{}",
        causes[0].summary
    );
    assert_eq!(
        causes[0].explains,
        [0, 1],
        "a clock ahead explains an expired certificate"
    );
    // A clock behind explains "not valid yet", not "expired".
    let mut behind = rs.clone();
    behind[0].warnings[0].kind = crate::probe::outcome::WarningKind::ClockSkew {
        offset_ms: 600_000.0,
        server: "time.windows.com".into(),
    };
    let causes = diagnose(&behind, &ctx());
    assert!(
        causes[0].summary.contains("10m 0s behind time.windows.com"),
        "{}",
        causes[0].summary
    );
    assert_eq!(causes[0].explains, [0]);
}

#[test]
fn two_causes_at_once_are_both_named_most_failures_first() {
    let mut rs = vec![ok("storage", "Storage", "st.blob")];
    for i in 0..3 {
        rs.push(dropped(
            "monitor",
            "AzureMonitor",
            &format!("m{i}.monitor"),
            443,
        ));
    }
    let intercepted = |h: &str| {
        r(
            h,
            "AzureActiveDirectory",
            (h, 443),
            "tls",
            "tls_intercepted",
            "tls",
            &json!({"facts": {"tls": {"verdict": "intercepted", "issuer": "CN=Fw", "trusted": false, "chain_len": 1}}}),
        )
    };
    rs.push(intercepted("login.a"));
    rs.push(intercepted("login.b"));
    assert_eq!(kinds(&rs), ["tag_blocked", "tls_inspection"]);
}

#[test]
fn private_addresses_of_a_public_service_are_named_when_one_fails() {
    let rs = vec![
        r(
            "st",
            "Storage",
            ("st.blob.core.windows.net", 443),
            "tcp",
            "timeout",
            "connect",
            &json!({"addresses": ["10.1.2.3"]}),
        ),
        ok("a", "Sql", "a"),
    ];
    let causes = diagnose(&rs, &ctx());
    assert_eq!(kinds(&rs), ["private_address"]);
    assert!(
        causes[0]
            .summary
            .contains("st.blob.core.windows.net → 10.1.2.3"),
        "{}",
        causes[0].summary
    );
}

#[test]
fn a_blocked_tag_names_the_nsg_rule_when_the_export_is_given() {
    let rs = vec![
        ok("storage", "Storage", "st.blob"),
        dropped("sql", "Sql", "db.database.windows.net", 1433),
        dropped("sql", "Sql", "db2.database.windows.net", 1433),
    ];
    let mut c = ctx();
    c.blocking
        .insert("sql".into(), "NSG apim-nsg rule DenySqlOut (200)".into());
    let causes = diagnose(&rs, &c);
    assert_eq!(causes[0].cause, "tag_blocked");
    assert!(
        causes[0].evidence.contains("DenySqlOut (200)"),
        "{}",
        causes[0].evidence
    );
    assert!(
        causes[0]
            .fix
            .contains("lower than NSG apim-nsg rule DenySqlOut (200)"),
        "{}",
        causes[0].fix
    );
}

#[test]
fn egress_closed_names_the_default_route_when_the_export_is_given() {
    let mut rs = vec![dns_row("10.0.0.4", "udp", "ok")];
    for (i, tag) in ["Storage", "Sql", "AzureMonitor"].iter().enumerate() {
        rs.push(dropped(
            &format!("r{i}"),
            tag,
            &format!("h{i}.example"),
            443,
        ));
    }
    let mut c = ctx();
    c.default_route =
        Some("route default-to-fw sends 0.0.0.0/0 to VirtualAppliance 10.0.0.4".into());
    let causes = diagnose(&rs, &c);
    assert_eq!(causes[0].cause, "egress_closed");
    assert!(
        causes[0].evidence.contains("default-to-fw"),
        "{}",
        causes[0].evidence
    );
    assert!(
        causes[0].fix.starts_with("route default-to-fw"),
        "{}",
        causes[0].fix
    );
    assert!(causes[0].fix.contains("ApiManagement"));
    // The v2 tiers have no control-plane route to keep: no ApiManagement advice for them.
    c.profile = crate::catalog::profile::Profile::V2Injection;
    let causes = diagnose(&rs, &c);
    assert!(
        !causes[0].fix.contains("ApiManagement"),
        "{}",
        causes[0].fix
    );
    assert!(causes[0].fixes.is_empty(), "{:?}", causes[0].fixes);
}

#[test]
fn the_service_tag_file_reveals_other_regions_and_addresses_outside_azure() {
    let rs = vec![
        r(
            "st",
            "Storage",
            ("st.blob", 443),
            "tls",
            "ok",
            "tls",
            &json!({"facts": {"membership": [
            {"address": "198.18.11.5", "class": "other_region", "tags": ["Storage.NorthEurope", "Storage"]}]}}),
        ),
        r(
            "kv",
            "AzureKeyVault",
            ("kv.vault", 443),
            "tls",
            "tls_intercepted",
            "tls",
            &json!({"facts": {"membership": [
            {"address": "203.0.113.9", "class": "outside", "tags": []}]}}),
        ),
    ];
    let causes = diagnose(&rs, &ctx());
    let kinds: Vec<&str> = causes.iter().map(|c| c.cause.as_str()).collect();
    assert!(
        kinds.contains(&"other_region") && kinds.contains(&"outside_azure"),
        "{kinds:?}"
    );
    let other = causes.iter().find(|c| c.cause == "other_region").unwrap();
    assert!(
        other
            .summary
            .contains("st.blob → 198.18.11.5 (Storage.NorthEurope, Storage)"),
        "{}",
        other.summary
    );
    assert!(other.summary.contains("westeurope"));
}
