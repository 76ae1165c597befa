//! APIM's `networkstatus` as input (`--apim-status FILE`): APIM's own verdict on each endpoint,
//! read into [`ApimStatusEntry`]s. Putting them beside this run's results is the report's job
//! (`report::apim`).

use std::path::Path;

use serde::Deserialize;

use super::{InputError, from_value, read_value};

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
