//! Hand-built results and a context for the rules' tests.

use serde_json::{Value, json};

use crate::diagnose::{Context, diagnose};
use crate::report::model::ResultEntry;

/// A result: `id`, `tag`, `host:port`, `check`, `status`, `phase`, and extra fields merged in.
pub fn r(
    id: &str,
    tag: &str,
    target: (&str, u16),
    check: &str,
    status: &str,
    phase: &str,
    extra: &Value,
) -> ResultEntry {
    crate::report::sample::result(id, tag, target, check, status, phase, extra)
}

pub fn ok(id: &str, tag: &str, host: &str) -> ResultEntry {
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

pub fn dropped(id: &str, tag: &str, host: &str, port: u16) -> ResultEntry {
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

pub fn dns_row(server: &str, transport: &str, status: &str) -> ResultEntry {
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

pub fn ctx() -> Context {
    Context {
        region: Some("westeurope".into()),
        dns_servers: vec!["10.0.0.4:53".into()],
        ..Context::default()
    }
}

pub fn kinds(results: &[ResultEntry]) -> Vec<String> {
    diagnose(results, &ctx())
        .into_iter()
        .map(|c| c.cause)
        .collect()
}
