//! Hand-built results for unit tests (the hint table's, the diagnosis rules'): one outbound TCP
//! row with plain defaults, the fields a test cares about given, any others merged in.

use serde_json::{Value, json};

use super::model::ResultEntry;

/// A result: `id`, `tag`, `host:port`, `check`, `status`, `phase`, and `extra` fields merged in.
pub(crate) fn result(
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
