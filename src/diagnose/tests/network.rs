//! DNS and network rules.

use serde_json::json;

use super::helpers::{ctx, dns_row, dropped, kinds, ok, r};
use crate::diagnose::{diagnose, unexplained};

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
    assert!(sql.fix.contains("Sql.WestEurope"), "{}", sql.fix);
    assert_eq!(sql.explains, [3, 4]);
    // The paste-ready fix: one NSG rule per blocked port, with Azure's spelling.
    let crate::report::fix::Fix::NsgRule {
        destination, ports, ..
    } = &sql.fixes[0]
    else {
        panic!("{:?}", sql.fixes);
    };
    assert_eq!(
        (destination.as_str(), ports.as_str()),
        ("Sql.WestEurope", "1433")
    );
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
