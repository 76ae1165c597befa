//! Causes on this machine itself: its own routes or firewall, its local resolver.

use serde_json::json;

use super::helpers::{ctx, dns_row, dropped, ok, r};
use crate::diagnose::{Context, diagnose, unexplained};

/// A row this machine's own stack refused, with `errno`.
fn local(id: &str, tag: &str, host: &str, errno: &str) -> crate::report::model::ResultEntry {
    r(
        id,
        tag,
        (host, 443),
        "tls",
        "unreachable",
        "connect",
        &json!({"facts": {"local_error": errno}}),
    )
}

#[test]
fn no_route_on_this_machine_is_its_own_cause_named_first_without_nsg_advice() {
    let mut rs = vec![
        dns_row("10.0.0.4", "udp", "ok"),
        dns_row("10.0.0.4", "tcp", "ok"),
    ];
    for (i, tag) in ["Storage", "Sql", "AzureMonitor", "AzureKeyVault"]
        .iter()
        .enumerate()
    {
        rs.push(local(
            &format!("l{i}"),
            tag,
            &format!("h{i}.example"),
            "ENETUNREACH",
        ));
    }
    let mut c = ctx();
    c.local_route =
        Some("`ip route get 20.0.0.1` says: RTNETLINK answers: Network is unreachable".into());
    let causes = diagnose(&rs, &c);
    assert_eq!(causes.len(), 1, "{causes:#?}");
    let cause = &causes[0];
    assert_eq!(cause.cause, "local_routing");
    assert!(cause.summary.contains("4 endpoint(s)"), "{}", cause.summary);
    assert!(cause.summary.contains("never left"), "{}", cause.summary);
    assert!(
        cause.evidence.contains("4 × ENETUNREACH: no route")
            && cause.evidence.contains("ip route get 20.0.0.1"),
        "{}",
        cause.evidence
    );
    assert!(!cause.fix.contains("NSG rule") && cause.fix.contains("not involved"));
    assert!(unexplained(&rs, &causes).is_empty());
}

#[test]
fn local_refusals_are_not_merged_with_drops_on_the_network() {
    let mut rs = vec![ok("ok", "AzureCloud", "ok.example")];
    for i in 0..3 {
        rs.push(dropped(
            &format!("d{i}"),
            "Storage",
            &format!("s{i}.blob"),
            443,
        ));
        rs.push(dropped(&format!("q{i}"), "Sql", &format!("q{i}.sql"), 1433));
    }
    rs.push(local("l0", "AzureMonitor", "m.example", "EPERM"));
    let causes = diagnose(&rs, &Context::default());
    assert_eq!(causes[0].cause, "local_routing", "{causes:#?}");
    assert_eq!(causes[0].explains, [7]);
    assert!(causes[0].evidence.contains("EPERM: its own firewall"));
    assert!(
        causes.iter().skip(1).all(|c| !c.explains.contains(&7)),
        "{causes:#?}"
    );
}

#[test]
fn every_dns_row_refused_locally_takes_the_names_with_it() {
    let mut rs = Vec::new();
    for t in ["udp", "tcp"] {
        rs.push(r("dns", "DnsServers", ("10.0.0.4", 53), "dns", "unreachable", "connect",
            &json!({"transport": t, "facts": {"local_error": "ENETUNREACH", "dns": {"servers": ["10.0.0.4:53"], "failure": "unreachable"}}})));
    }
    rs.push(r("n", "Storage", ("x.blob", 443), "tls", "dns_failed", "resolve",
        &json!({"addresses": [], "facts": {"dns": {"servers": ["10.0.0.4:53"], "failure": "unreachable"}}})));
    let causes = diagnose(&rs, &ctx());
    assert_eq!(causes.len(), 1, "{causes:#?}");
    assert_eq!(causes[0].cause, "local_routing");
    assert_eq!(causes[0].explains, [0, 1, 2]);
}

#[test]
fn a_local_resolver_that_refuses_is_not_running_not_an_nsg_rule() {
    let mut rs = Vec::new();
    for t in ["udp", "tcp"] {
        rs.push(r("dns", "DnsServers", ("127.0.0.1", 53), "dns", "refused", "connect",
            &json!({"transport": t, "addresses": ["127.0.0.1"], "facts": {"dns": {"servers": ["127.0.0.1:53"], "failure": "unreachable"}}})));
    }
    for i in 0..3 {
        rs.push(r(&format!("n{i}"), "Storage", ("x.blob", 443), "tls", "dns_failed", "resolve",
            &json!({"addresses": [], "facts": {"dns": {"servers": ["127.0.0.1:53"], "failure": "unreachable"}}})));
    }
    let c = Context {
        dns_servers: vec!["127.0.0.1:53".into()],
        ..Context::default()
    };
    let causes = diagnose(&rs, &c);
    assert_eq!(causes.len(), 1, "{causes:#?}");
    assert_eq!(causes[0].cause, "local_resolver");
    assert!(
        causes[0].summary.contains("127.0.0.1:53") && causes[0].summary.contains("not running"),
        "{}",
        causes[0].summary
    );
    assert!(!causes[0].fix.contains("allow outbound"));
    assert!(unexplained(&rs, &causes).is_empty());
}

#[test]
fn without_dns_rows_names_refused_by_a_loopback_only_resolver_are_its_doing() {
    let rs: Vec<_> = (0..2)
        .map(|i| {
            r(&format!("n{i}"), "Storage", ("x.blob", 443), "tls", "dns_failed", "resolve",
                &json!({"addresses": [], "facts": {"dns": {"servers": ["127.0.0.53:53"], "failure": "unreachable"}}}))
        })
        .collect();
    let c = Context {
        dns_servers: vec!["127.0.0.53:53".into()],
        ..Context::default()
    };
    let causes = diagnose(&rs, &c);
    assert_eq!(causes.len(), 1, "{causes:#?}");
    assert_eq!(causes[0].cause, "local_resolver");
    assert!(
        causes[0]
            .evidence
            .contains("every DNS server the run asked is on this machine")
    );
    // A resolver elsewhere that cannot be reached is not this rule's.
    let far = Context {
        dns_servers: vec!["10.0.0.4:53".into()],
        ..Context::default()
    };
    assert!(
        diagnose(&rs, &far)
            .iter()
            .all(|c| c.cause != "local_resolver")
    );
}
