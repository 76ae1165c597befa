//! APIM's own view (`--apim-status`) beside this run's: `apim_status` on each result APIM names,
//! and a warning of kind `apim_disagrees` wherever the two verdicts differ.

use super::model::{ApimStatus, Report, ResultEntry};
use crate::azure::status::ApimStatusEntry;
use crate::probe::outcome::{Status, Warning, WarningKind};

fn matches(entry: &ApimStatusEntry, r: &ResultEntry) -> bool {
    let (Some(host), Some(ours)) = (&entry.host, &r.spec.host) else {
        return false;
    };
    host.eq_ignore_ascii_case(ours) && entry.port.is_none_or(|p| r.spec.port == Some(p))
}

/// Puts APIM's view beside ours: `apim_status` on each probed result APIM names, a warning for
/// each disagreement, and one warning listing what APIM checks that this run did not probe.
pub fn attach(report: &mut Report, entries: &[ApimStatusEntry]) {
    let mut warnings: Vec<Warning> = dns_difference(report, entries)
        .map(Warning::other)
        .into_iter()
        .collect();
    let mut unprobed = Vec::new();
    let mut locations: Vec<&str> = entries.iter().map(|e| e.location.as_str()).collect();
    locations.sort_unstable();
    locations.dedup();
    let several = locations.len() > 1;
    for entry in entries {
        let mut found = false;
        for r in &mut report.results {
            if r.status == Status::Skipped || !matches(entry, r) {
                continue;
            }
            found = true;
            let apim_ok = entry.status == "success";
            let ours_ok = r.status == Status::Ok;
            let agrees = apim_ok == ours_ok;
            if r.apim_status.as_ref().is_some_and(|s| !s.agrees) {
                // Another location of APIM already disagrees: keep that one.
            } else {
                r.apim_status = Some(ApimStatus {
                    status: entry.status.clone(),
                    error: entry.error.clone(),
                    resource_type: entry.resource_type.clone(),
                    last_updated: entry.last_updated.clone(),
                    agrees,
                });
            }
            if let Some(w) = disagreement(entry, r, agrees, several) {
                let kind = WarningKind::ApimDisagrees {
                    apim_status: entry.status.clone(),
                };
                warnings.push(Warning::new(kind, w));
            }
        }
        let label = if entry.resource_type.is_empty() {
            entry.name.clone()
        } else {
            format!("{} ({})", entry.name, entry.resource_type)
        };
        if !found && !unprobed.contains(&label) {
            unprobed.push(label);
        }
    }
    if !unprobed.is_empty() {
        warnings.push(Warning::other(format!(
            "APIM checks {} endpoint(s) this run did not probe: {}",
            unprobed.len(),
            unprobed.join(", ")
        )));
    }
    report.warnings.extend(warnings);
}

/// A warning when APIM resolves through other DNS servers than this run: answers may differ.
fn dns_difference(report: &Report, entries: &[ApimStatusEntry]) -> Option<String> {
    let mut apim: Vec<&str> = entries
        .iter()
        .flat_map(|e| e.dns_servers.iter().map(String::as_str))
        .collect();
    apim.sort_unstable();
    apim.dedup();
    let ours: Vec<String> = report
        .dns
        .servers
        .iter()
        .map(|s| match s.parse::<std::net::SocketAddr>() {
            Ok(a) => a.ip().to_string(),
            Err(_) => s.clone(),
        })
        .collect();
    if apim.is_empty() || apim.iter().all(|a| ours.iter().any(|o| o == a)) {
        return None;
    }
    Some(format!(
        "APIM resolves through {} but this run asked {}: names may resolve differently here",
        apim.join(", "),
        if ours.is_empty() {
            "no DNS server".to_owned()
        } else {
            ours.join(", ")
        }
    ))
}

fn disagreement(
    entry: &ApimStatusEntry,
    r: &ResultEntry,
    agrees: bool,
    several: bool,
) -> Option<String> {
    if agrees {
        return None;
    }
    let from = if several && !entry.location.is_empty() {
        format!(" (from {})", entry.location)
    } else {
        String::new()
    };
    let when = if entry.last_updated.is_empty() {
        String::new()
    } else {
        format!(", last updated {}", entry.last_updated)
    };
    match entry.status.as_str() {
        "success" => Some(format!(
            "APIM says {}{from} is reachable but this probe found {} for {} — APIM checks from its \
             own instances: compare this machine's subnet, NSG, route table and DNS with APIM's, \
             or APIM's status is stale{when}",
            entry.name,
            r.status.as_str(),
            r.target()
        )),
        "failure" => Some(format!(
            "APIM says {}{from} is unreachable{} but this probe found {} ok — the difference is on \
             APIM's side of the network (its subnet's NSG, route table, firewall or DNS), or \
             APIM's status is stale{when}",
            entry.name,
            if entry.error.is_empty() {
                String::new()
            } else {
                format!(" ({})", entry.error)
            },
            r.target()
        )),
        _ => None,
    }
}
