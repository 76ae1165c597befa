//! APIM's `networkstatus` as input (`--apim-status FILE`): APIM's own verdict on each endpoint,
//! put beside this run's, with a report warning wherever the two disagree.

use std::path::Path;

use serde::Deserialize;

use super::{InputError, from_value, read_value};
use crate::probe::outcome::Status;
use crate::report::model::{ApimStatus, Report, ResultEntry};

/// One endpoint's status as APIM reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApimStatusEntry {
    /// The APIM location that reported it (empty in the single-location form).
    pub location: String,
    /// APIM's name for it: a host or a URL.
    pub name: String,
    /// The host of `name`, lowercase, when it has one (`LocalGatewayRedis` has none).
    pub host: Option<String>,
    /// The port of `name`: explicit, or the URL scheme's.
    pub port: Option<u16>,
    /// `success`, `failure` or `initializing`.
    pub status: String,
    /// APIM's error text.
    pub error: String,
    /// When APIM last checked.
    pub last_updated: String,
    /// APIM's resource type.
    pub resource_type: String,
    /// Whether APIM counts it optional.
    pub is_optional: bool,
    /// The DNS servers APIM's location resolves through.
    pub dns_servers: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ByLocation {
    #[serde(default)]
    location: String,
    network_status: NetworkStatus,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NetworkStatus {
    #[serde(default)]
    dns_servers: Vec<String>,
    connectivity_status: Vec<Connectivity>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Connectivity {
    name: String,
    status: String,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    last_updated: Option<String>,
    #[serde(default)]
    resource_type: Option<String>,
    #[serde(default)]
    is_optional: bool,
}

/// Reads the JSON file: the array of locations `networkstatus` returns, one location
/// (`{location, networkStatus}`), or one location's contract (`{dnsServers,
/// connectivityStatus}`). A malformed file names the file and the JSON path.
pub fn load(path: &Path) -> Result<Vec<ApimStatusEntry>, InputError> {
    let value = read_value(path)?;
    let locations: Vec<ByLocation> = match &value {
        serde_json::Value::Object(map) if map.contains_key("networkStatus") => {
            vec![from_value(path, value)?]
        }
        serde_json::Value::Object(map) if map.contains_key("connectivityStatus") => {
            vec![ByLocation {
                location: String::new(),
                network_status: from_value(path, value)?,
            }]
        }
        serde_json::Value::Object(_) => {
            return Err(InputError::new(
                path,
                "$",
                "expected the array `networkstatus` returns, or an object with `networkStatus` or `connectivityStatus`",
            ));
        }
        _ => from_value(path, value)?,
    };
    let mut out = Vec::new();
    for loc in locations {
        for c in loc.network_status.connectivity_status {
            let (host, port) = split_name(&c.name);
            out.push(ApimStatusEntry {
                location: loc.location.clone(),
                name: c.name,
                host,
                port,
                status: c.status.to_ascii_lowercase(),
                error: c.error.unwrap_or_default(),
                last_updated: c.last_updated.unwrap_or_default(),
                resource_type: c.resource_type.unwrap_or_default(),
                is_optional: c.is_optional,
                dns_servers: loc.network_status.dns_servers.clone(),
            });
        }
    }
    Ok(out)
}

/// Host and port of APIM's `name`: `https://host:port/path`, `host:port`, `host`, or a bare
/// word (`Scm`) that names no host.
fn split_name(name: &str) -> (Option<String>, Option<u16>) {
    let name = name.trim();
    let (scheme_port, rest) = match name.split_once("://") {
        Some((scheme, rest)) => (
            match scheme.to_ascii_lowercase().as_str() {
                "https" => Some(443),
                "http" => Some(80),
                _ => None,
            },
            rest,
        ),
        None => (None, name),
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => match v6.split_once(']') {
            Some((h, p)) => (h, p.strip_prefix(':').and_then(|p| p.parse().ok())),
            None => (v6, None),
        },
        None => match authority.rsplit_once(':') {
            Some((h, p)) if !h.contains(':') => (h, p.parse().ok()),
            _ => (authority, None),
        },
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host.is_empty() || !(host.contains('.') || host.contains(':')) {
        return (None, None);
    }
    (Some(host), port.or(scheme_port))
}

fn matches(entry: &ApimStatusEntry, r: &ResultEntry) -> bool {
    let (Some(host), Some(ours)) = (&entry.host, &r.facts.host) else {
        return false;
    };
    host.eq_ignore_ascii_case(ours) && entry.port.is_none_or(|p| r.facts.port == Some(p))
}

/// Puts APIM's view beside ours: `apim_status` on each probed result APIM names, a warning for
/// each disagreement, and one warning listing what APIM checks that this run did not probe.
pub fn attach(report: &mut Report, entries: &[ApimStatusEntry]) {
    let mut warnings: Vec<String> = dns_difference(report, entries).into_iter().collect();
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
                warnings.push(w);
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
        warnings.push(format!(
            "APIM checks {} endpoint(s) this run did not probe: {}",
            unprobed.len(),
            unprobed.join(", ")
        ));
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

#[cfg(test)]
mod tests {
    use super::split_name;

    #[test]
    fn names() {
        let s = |n| split_name(n);
        assert_eq!(
            s("https://xxxxx.prod.microsoftmetrics.com:1886/RecoveryService"),
            (Some("xxxxx.prod.microsoftmetrics.com".into()), Some(1886))
        );
        assert_eq!(
            s("https://login.windows.net"),
            (Some("login.windows.net".into()), Some(443))
        );
        assert_eq!(
            s("https://global.prod.microsoftmetrics.com/"),
            (Some("global.prod.microsoftmetrics.com".into()), Some(443))
        );
        assert_eq!(
            s("Apimst.Blob.core.windows.net"),
            (Some("apimst.blob.core.windows.net".into()), None)
        );
        assert_eq!(s("LocalGatewayRedis"), (None, None));
        assert_eq!(
            s("host.example:8443"),
            (Some("host.example".into()), Some(8443))
        );
    }
}
