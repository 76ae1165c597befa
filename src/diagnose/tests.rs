//! Each rule on hand-built results: it names its cause with the concrete names, explains what it
//! should, and nothing else is claimed.

use serde_json::{Value, json};

use super::{Context, diagnose, unexplained};
use crate::report::model::ResultEntry;

/// A result: `id`, `tag`, `host:port`, `check`, `status`, `phase`, and extra fields merged in.
fn r(
    id: &str,
    tag: &str,
    target: (&str, u16),
    check: &str,
    status: &str,
    phase: &str,
    extra: &Value,
) -> ResultEntry {
    let mut v = json!({
        "id": id, "purpose": "p", "service_tag": tag, "required": true, "direction": "outbound",
        "host": target.0, "port": target.1, "transport": "tcp", "check": check,
        "reference": "r", "status": status, "phase": phase, "addresses": ["20.0.0.1"],
        "peer": null, "timings_ms": {"dns": 1.0, "connect": null, "total": 5.0},
        "detail": "d", "hint": null, "warnings": []
    });
    if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
        for (k, x) in e {
            o.insert(k.clone(), x.clone());
        }
    }
    serde_json::from_value(v).expect("a result")
}

fn ok(id: &str, tag: &str, host: &str) -> ResultEntry {
    r(
        id,
        tag,
        (host, 443),
        "tls",
        "ok",
        "tls",
        &json!({"peer": "20.0.0.1:443"}),
    )
}

fn dropped(id: &str, tag: &str, host: &str, port: u16) -> ResultEntry {
    r(
        id,
        tag,
        (host, port),
        "tcp",
        "timeout",
        "connect",
        &json!({"facts": {"timed_out_in": "connect"}}),
    )
}

fn dns_row(server: &str, transport: &str, status: &str) -> ResultEntry {
    r(
        "dns",
        "DnsServers",
        (server, 53),
        "dns",
        status,
        "connect",
        &json!({"transport": transport, "addresses": [server]}),
    )
}

fn ctx() -> Context {
    Context {
        region: Some("westeurope".into()),
        dns_servers: vec!["10.0.0.4:53".into()],
    }
}

fn kinds(results: &[ResultEntry]) -> Vec<String> {
    diagnose(results, &ctx())
        .into_iter()
        .map(|c| c.cause)
        .collect()
}

#[test]
fn no_dns_server_reachable_explains_every_name() {
    let mut rs = vec![
        dns_row("10.0.0.4", "udp", "timeout"),
        dns_row("10.0.0.4", "tcp", "timeout"),
    ];
    for i in 0..5 {
        rs.push(r(&format!("n{i}"), "Storage", ("x.blob.core.windows.net", 443), "tls", "dns_failed", "resolve",
            &json!({"addresses": [], "facts": {"dns": {"servers": ["10.0.0.4:53"], "failure": "no_answer"}}})));
    }
    let causes = diagnose(&rs, &ctx());
    assert_eq!(causes.len(), 1, "{causes:#?}");
    assert_eq!(causes[0].cause, "dns_unreachable");
    assert!(
        causes[0].summary.contains("10.0.0.4:53"),
        "{}",
        causes[0].summary
    );
    assert_eq!(causes[0].explains.len(), 7);
    assert!(unexplained(&rs, &causes).is_empty());
}

#[test]
fn a_dns_server_over_one_transport_only() {
    let rs = vec![
        dns_row("10.0.0.4", "udp", "ok"),
        dns_row("10.0.0.4", "tcp", "timeout"),
        ok("a", "Storage", "a.blob"),
    ];
    let causes = diagnose(&rs, &ctx());
    assert_eq!(kinds(&rs), ["dns_one_transport"]);
    assert!(
        causes[0].summary.contains("udp but not over tcp"),
        "{}",
        causes[0].summary
    );
    assert_eq!(causes[0].explains, [1]);
}

#[test]
fn azure_names_failing_while_others_resolve_is_a_custom_dns_not_forwarding() {
    let mut rs = vec![
        dns_row("10.0.0.4", "udp", "ok"),
        dns_row("10.0.0.4", "tcp", "ok"),
        ok("a", "AzureCloud", "www.example.net"),
    ];
    for h in ["kv.vault.azure.net", "st.blob.core.windows.net"] {
        rs.push(r(h, "Storage", (h, 443), "tls", "dns_failed", "resolve",
            &json!({"addresses": [], "facts": {"dns": {"servers": ["10.0.0.4:53"], "rcode": "NXDOMAIN", "failure": "nxdomain"}}})));
    }
    let causes = diagnose(&rs, &ctx());
    assert_eq!(kinds(&rs), ["dns_not_forwarding"]);
    assert!(
        causes[0].summary.contains("10.0.0.4:53") && causes[0].summary.contains("NXDOMAIN"),
        "{}",
        causes[0].summary
    );
    assert!(causes[0].fix.contains("168.63.129.16"));
}

#[test]
fn one_tag_blocked_names_the_tag_the_port_and_the_regional_tag() {
    let rs = vec![
        ok("storage", "Storage", "st.blob"),
        dropped("monitor", "AzureMonitor", "gcs.prod.monitoring", 443),
        dropped("monitor", "AzureMonitor", "global.prod.metrics", 443),
        dropped("sql", "Sql", "db.database.windows.net", 1433),
        dropped("sql", "Sql", "db2.database.windows.net", 1433),
    ];
    let causes = diagnose(&rs, &ctx());
    assert_eq!(kinds(&rs), ["tag_blocked", "tag_blocked"]);
    let sql = causes.iter().find(|c| c.summary.contains("Sql")).unwrap();
    assert!(sql.summary.contains("TCP 1433"), "{}", sql.summary);
    assert!(sql.fix.contains("Sql.westeurope"), "{}", sql.fix);
    assert_eq!(sql.explains, [3, 4]);
}

#[test]
fn a_single_unexplained_failure_stays_a_plain_row() {
    let rs = vec![
        ok("storage", "Storage", "st.blob"),
        dropped("sql", "Sql", "db.database.windows.net", 1433),
    ];
    assert!(diagnose(&rs, &ctx()).is_empty());
    assert_eq!(unexplained(&rs, &[]), [1]);
}

#[test]
fn everything_outside_dropped_while_dns_answers_is_egress_closed() {
    let mut rs = vec![
        dns_row("10.0.0.4", "udp", "ok"),
        dns_row("10.0.0.4", "tcp", "ok"),
    ];
    for (i, tag) in ["Storage", "Sql", "AzureMonitor", "AzureActiveDirectory"]
        .iter()
        .enumerate()
    {
        rs.push(dropped(
            &format!("r{i}"),
            tag,
            &format!("h{i}.example"),
            443,
        ));
    }
    let causes = diagnose(&rs, &ctx());
    assert_eq!(kinds(&rs), ["egress_closed"], "{causes:#?}");
    assert_eq!(causes[0].explains.len(), 4);
    assert!(
        causes[0].summary.contains("all 4 public endpoints"),
        "{}",
        causes[0].summary
    );
    assert!(causes[0].fix.contains("route table"));
}

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
