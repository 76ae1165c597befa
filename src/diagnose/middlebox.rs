//! Causes in a device on the route that speaks for the services: a TLS inspector re-signing
//! certificates, a proxy asking for credentials or denying, Azure Firewall without application
//! rules, and a firewall/NVA that accepts TCP and then passes nothing.

use std::collections::BTreeMap;

use super::finding::{Context, Finding};
use super::view::{failed, host, some};
use crate::probe::facts::TlsVerdict;
use crate::probe::outcome::{Phase, Status};
use crate::report::model::ResultEntry;

/// One issuer re-signing the TLS of several hosts: TLS inspection.
pub fn tls_inspection(results: &[ResultEntry], _ctx: &Context) -> Vec<Finding> {
    let mut by_issuer: BTreeMap<String, (Vec<usize>, bool, Option<String>)> = BTreeMap::new();
    for (i, r) in results.iter().enumerate() {
        let Some(t) = r
            .facts
            .tls
            .as_ref()
            .filter(|t| t.verdict == TlsVerdict::Intercepted)
        else {
            continue;
        };
        if r.status != Status::TlsIntercepted {
            continue;
        }
        // The CA the signatures lead to names the inspector (older reports: the chain's top).
        let who = t
            .leads_to
            .clone()
            .or_else(|| t.root.clone())
            .unwrap_or_else(|| t.issuer.clone());
        let e = by_issuer.entry(who).or_default();
        e.0.push(i);
        e.1 |= t.trusted;
        e.2 = e.2.take().or_else(|| t.copies.clone());
    }
    by_issuer
        .into_iter()
        .filter(|(_, (idx, _, _))| idx.len() >= 2)
        .map(|(issuer, (idx, trusted, copies))| {
            let hosts: Vec<String> = idx.iter().map(|&i| host(&results[i])).collect();
            let posing = copies.map_or_else(String::new, |c| {
                format!(" (its chain copies the name or key id of {c}, with keys of its own)")
            });
            Finding {
                cause: "tls_inspection",
                summary: format!(
                    "{issuer} re-signs the TLS of {} host(s) ({}): TLS inspection, {} by this machine{posing}",
                    hosts.len(),
                    some(&hosts, 3),
                    if trusted { "trusted" } else { "not trusted" }
                ),
                evidence: format!(
                    "the chains of {} host(s) lead, by verified signatures, to {issuer}, not to Azure's roots (facts.tls: verdict intercepted)",
                    hosts.len()
                ),
                fix: format!(
                    "exempt APIM's dependencies from TLS inspection on the firewall/proxy (APIM does not trust {issuer}): {}",
                    some(&hosts, 8)
                ),
                explains: idx,
                decisive: false,
                fixes: Vec::new(),
            }
        })
        .collect()
}

/// A proxy on the route that wants credentials (407) or denies (403/5xx marked as its own).
pub fn proxy(results: &[ResultEntry], _ctx: &Context) -> Vec<Finding> {
    let mut by: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, r) in results.iter().enumerate() {
        let Some(h) = r
            .facts
            .http
            .as_ref()
            .filter(|_| r.status == Status::FirewallDenied)
        else {
            continue;
        };
        if h.status == 407 || h.proxy.is_some() && h.status != 470 {
            let what = h
                .proxy
                .clone()
                .unwrap_or_else(|| format!("HTTP {}", h.status));
            by.entry(what).or_default().push(i);
        }
    }
    by.into_iter()
        .map(|(what, idx)| {
            let auth = idx.iter().any(|&i| results[i].facts.http.as_ref().is_some_and(|h| h.status == 407));
            let hosts: Vec<String> = idx.iter().map(|&i| host(&results[i])).collect();
            Finding {
                cause: if auth { "proxy_auth" } else { "proxy_denies" },
                summary: format!(
                    "A proxy on the route {} for {} host(s) ({}): {what}",
                    if auth { "demands credentials" } else { "denies" },
                    hosts.len(),
                    some(&hosts, 3)
                ),
                evidence: format!("the HTTP answers came from the proxy, not the service ({what})"),
                fix: "APIM cannot authenticate to a proxy: let these hosts through without one (a proxy bypass or a firewall rule for the subnet)".into(),
                explains: idx,
                decisive: true,
                fixes: Vec::new(),
            }
        })
        .collect()
}

/// Azure Firewall denying several FQDNs: its application rules lack APIM's dependencies.
pub fn firewall_denies(results: &[ResultEntry], _ctx: &Context) -> Vec<Finding> {
    let idx: Vec<usize> = (0..results.len())
        .filter(|&i| {
            let r = &results[i];
            r.status == Status::FirewallDenied
                && r.facts
                    .http
                    .as_ref()
                    .is_some_and(|h| h.status == 470 || h.deny_reason.is_some())
        })
        .collect();
    if idx.len() < 2 {
        return Vec::new();
    }
    let hosts: Vec<String> = idx.iter().map(|&i| host(&results[i])).collect();
    let reason = idx
        .iter()
        .find_map(|&i| results[i].facts.http.as_ref()?.deny_reason.clone())
        .unwrap_or_else(|| "HTTP 470".into());
    vec![Finding {
        cause: "firewall_app_rules",
        summary: format!(
            "A firewall denies {} FQDN(s) with an application-rule deny ({})",
            hosts.len(),
            some(&hosts, 3)
        ),
        evidence: format!("its own words: {reason}"),
        fix: format!(
            "add application rules allowing these FQDNs from the APIM subnet: {}",
            some(&hosts, 10)
        ),
        explains: idx,
        decisive: false,
        fixes: Vec::new(),
    }]
}

/// Several protocols fail after TCP connected (silence, a close, a reset): a firewall/NVA that
/// terminates TCP for everything and passes nothing.
pub fn accepts_then_drops(results: &[ResultEntry], _ctx: &Context) -> Vec<Finding> {
    let idx: Vec<usize> = (0..results.len())
        .filter(|&i| {
            let r = &results[i];
            failed(r)
                && matches!(r.phase, Phase::Tls | Phase::Handshake)
                && matches!(r.status, Status::Timeout | Status::ProtocolError)
                && r.facts.tls.is_none()
        })
        .collect();
    if idx.len() < 2 {
        return Vec::new();
    }
    let hosts: Vec<String> = idx.iter().map(|&i| host(&results[i])).collect();
    let peers: Vec<String> = idx
        .iter()
        .filter_map(|&i| results[i].peer.clone())
        .collect();
    vec![Finding {
        cause: "accepts_then_drops",
        summary: format!(
            "TCP connects, then no service answers: {} endpoint(s) ({}) — a firewall/NVA that terminates TCP and passes nothing",
            hosts.len(),
            some(&hosts, 3)
        ),
        evidence: format!(
            "the TCP handshake completed with {} but the TLS or protocol exchange got silence, a close or a reset",
            some(&peers, 3)
        ),
        fix: "the NSG let these through (the handshake completed): look at the firewall/NVA or proxy on the route (its application or network rules, TLS inspection) for these FQDNs and ports".into(),
        explains: idx,
        decisive: false,
        fixes: Vec::new(),
    }]
}
