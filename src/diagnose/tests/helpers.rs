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
