//! What the lines of the table read of a result: its facts, in the words a hint needs, and the
//! NSG rule that lets it through.

use super::context::HintContext;
use crate::catalog::model::{CheckKind, Direction};
use crate::catalog::regions;
use crate::probe::facts::{DnsFailureKind, TlsProblem, TlsRefusal};
use crate::probe::outcome::{Status, WarningKind};
use crate::report::fix::Fix;
use crate::report::model::ResultEntry;

/// Where APIM's custom DNS servers must send Azure's names.
pub(super) const FORWARD: &str =
    "custom DNS servers must forward Azure names to Azure DNS (168.63.129.16)";

pub(super) fn skewed(r: &ResultEntry) -> bool {
    r.warnings
        .iter()
        .any(|w| matches!(w.kind, WarningKind::ClockSkew { .. }))
}

pub(super) fn dns_failure(r: &ResultEntry) -> Option<DnsFailureKind> {
    (r.status == Status::DnsFailed).then_some(())?;
    r.facts.dns.as_ref().and_then(|d| d.failure)
}

pub(super) fn dns(r: &ResultEntry, text: String) -> (String, Option<Fix>) {
    let servers = r
        .facts
        .dns
        .as_ref()
        .map(|d| d.servers.clone())
        .unwrap_or_default();
    (text, Some(Fix::Dns { servers }))
}

pub(super) fn servers(r: &ResultEntry) -> String {
    r.facts
        .dns
        .as_ref()
        .map(|d| d.servers.join(", "))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "the configured servers".into())
}

pub(super) fn rcode(r: &ResultEntry) -> String {
    r.facts
        .dns
        .as_ref()
        .and_then(|d| d.rcode.clone())
        .unwrap_or_else(|| "no records".into())
}

pub(super) fn host(r: &ResultEntry) -> String {
    r.spec.host.clone().unwrap_or_else(|| "the host".into())
}

pub(super) fn icmp_from(r: &ResultEntry) -> Option<String> {
    r.facts.icmp.as_ref()?.from.clone()
}

pub(super) fn icmp_name(r: &ResultEntry) -> String {
    r.facts
        .icmp
        .as_ref()
        .map_or_else(String::new, |i| i.name.clone())
}

pub(super) fn tls_refusal(r: &ResultEntry) -> Option<TlsRefusal> {
    r.facts.tls.as_ref()?.refusal
}

pub(super) fn tls_problem(r: &ResultEntry) -> Option<TlsProblem> {
    r.facts.tls.as_ref()?.problem
}

/// The expected CA of an ok chain this machine's store does not trust, when that is so.
pub(super) fn store_distrusts(r: &ResultEntry) -> Option<String> {
    r.warnings.iter().find_map(|w| match &w.kind {
        WarningKind::StoreDistrusts { anchor, .. } => Some(anchor.clone()),
        _ => None,
    })
}

/// The DNS servers on this machine (loopback) that refused a `dns` row or a name, when every
/// server it asked is one: the local resolver is not running.
pub(super) fn local_dns(r: &ResultEntry) -> Option<String> {
    let d = r.facts.dns.as_ref()?;
    let refused = match r.status {
        Status::Refused | Status::Unreachable => r.spec.check == CheckKind::Dns,
        Status::DnsFailed => d.failure == Some(DnsFailureKind::Unreachable),
        _ => false,
    };
    let local = !d.servers.is_empty()
        && d.servers.iter().all(|s| {
            s.parse::<std::net::SocketAddr>()
                .is_ok_and(|a| a.ip().is_loopback())
        });
    (refused && local).then(|| d.servers.join(", "))
}

pub(super) fn issuer(r: &ResultEntry) -> String {
    r.facts
        .tls
        .as_ref()
        .map_or_else(String::new, |t| format!(", signed by {}", t.issuer))
}

pub(super) fn proxy(r: &ResultEntry) -> String {
    r.facts.http.as_ref().map_or_else(
        || "it denies".into(),
        |h| {
            h.proxy
                .clone()
                .unwrap_or_else(|| format!("HTTP {}", h.status))
        },
    )
}

/// `TCP 443`, `UDP 123`.
pub(super) fn what(r: &ResultEntry) -> String {
    format!(
        "{} {}",
        r.spec.transport.as_str().to_uppercase(),
        r.spec.port.map_or("*".to_owned(), |p| p.to_string())
    )
}

pub(super) fn app_protocol(r: &ResultEntry) -> String {
    match (r.spec.check, r.spec.port) {
        (CheckKind::Http, Some(p)) => format!("Http:{p}"),
        (_, Some(p)) => format!("Https:{p}"),
        _ => "Https:443".into(),
    }
}

/// The NSG rule that lets a row through: its words and its fix (the export's own, when `--nsg`
/// computed one with the NSG, resource group and a free priority).
pub(super) fn nsg(r: &ResultEntry, ctx: &HintContext) -> (String, Option<Fix>) {
    let tag = r.spec.service_tag.as_str();
    let peer = r.spec.direction == Direction::Peer;
    let ports = r.spec.port.map_or("*".to_owned(), |p| p.to_string());
    let protocol = match r.spec.transport.as_str() {
        "udp" => "Udp",
        _ => "Tcp",
    };
    let fix = ctx
        .nsg_fixes
        .get(&HintContext::key(r))
        .cloned()
        .unwrap_or_else(|| {
            let tag = if peer { "VirtualNetwork" } else { tag };
            Fix::allow_out(tag, r.spec.port, protocol, ctx.cloud, ctx.region.as_deref())
        });
    let named = match regional(tag, ctx) {
        Some(regional) if !peer => format!("service tag {regional} (or the global {tag})"),
        _ if peer => "VirtualNetwork (both directions)".to_owned(),
        _ => format!("service tag {tag}"),
    };
    let command = fix.az().map_or_else(String::new, |c| format!(": {c}"));
    (
        format!(
            "allow outbound {} {ports} to {named} in the subnet's NSG{command}",
            protocol.to_uppercase()
        ),
        Some(fix),
    )
}

/// The regional tag of `tag` for the context's region, as Azure spells it, for the tags the
/// reference names as regional.
pub(super) fn regional(tag: &str, ctx: &HintContext) -> Option<String> {
    let region = ctx.region.as_deref()?;
    regions::REGIONAL_TAGS
        .contains(&tag)
        .then(|| regions::regional_tag(ctx.cloud, tag, region))
        .flatten()
}
