//! This machine's clock: off by more than `--max-clock-skew` against a time server. Decisive by
//! itself — a wrong clock breaks TLS and token validation whatever the network does — and it
//! explains certificates judged not valid yet (a clock behind) or expired (a clock ahead).

use super::finding::{Context, Finding};
use super::view::host;
use crate::probe::facts::TlsRefusal;
use crate::probe::outcome::WarningKind;
use crate::probe::words::span;
use crate::report::model::ResultEntry;

/// A clock-skew warning, and the certificate refusals it explains.
pub fn skew(results: &[ResultEntry], _ctx: &Context) -> Vec<Finding> {
    let Some((ntp, offset_ms, server)) = results.iter().enumerate().find_map(|(i, r)| {
        r.warnings.iter().find_map(|w| match &w.kind {
            WarningKind::ClockSkew { offset_ms, server } => Some((i, *offset_ms, server.clone())),
            _ => None,
        })
    }) else {
        return Vec::new();
    };
    // A clock behind makes fresh certificates look not valid yet; a clock ahead makes them look
    // expired. Only the refusal that matches the direction is explained by it.
    let behind = offset_ms > 0.0;
    let matching = if behind {
        TlsRefusal::NotValidYet
    } else {
        TlsRefusal::Expired
    };
    let certs: Vec<usize> = (0..results.len())
        .filter(|&i| {
            results[i]
                .facts
                .tls
                .as_ref()
                .is_some_and(|t| t.refusal == Some(matching))
        })
        .collect();
    let off = std::time::Duration::from_secs_f64(offset_ms.abs() / 1000.0);
    let side = if behind { "behind" } else { "ahead of" };
    let also = if certs.is_empty() {
        String::new()
    } else {
        let hosts: Vec<String> = certs.iter().map(|&i| host(&results[i])).collect();
        format!(
            "; it explains the certificates judged {} ({})",
            if behind { "not valid yet" } else { "expired" },
            super::view::some(&hosts, 3)
        )
    };
    vec![Finding {
        cause: "clock_skew",
        summary: format!(
            "This machine's clock is {} {side} {server}",
            span(off)
        ),
        explains: std::iter::once(ntp).chain(certs).collect(),
        evidence: format!("the SNTP answer of {server}: offset {offset_ms:+.1} ms{also}"),
        fix: "fix the clock: enable time sync (chrony with the Azure host's PTP clock, or NTP over UDP 123); TLS and token validation fail with a wrong clock".into(),
        decisive: true,
        fixes: Vec::new(),
    }]
}
