//! What to probe (`ScopeArgs`, shared by check, list, evaluate, script and watch), validated:
//! the edition of the reference, platform, VNet mode, cloud, region, placeholder values, the
//! selection and the DNS servers; and the one place a plan's [`Scope`] is made.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use super::SettingsError;
use crate::catalog::model::{Cloud, Platform, VnetMode};
use crate::catalog::plan::Scope;
use crate::catalog::profile::{Mode, Profile, Tier};
use crate::cli::ScopeArgs;

/// What to probe, validated.
#[derive(Debug, Clone)]
pub struct ScopeSettings {
    /// `--reference`: `latest` or an edition id, judged against the catalog's editions.
    pub reference: String,
    /// APIM compute platform.
    pub platform: Platform,
    /// `--tier` (classic when not given).
    pub tier: Tier,
    /// Whether `--tier` was given (an export may tell it otherwise).
    pub tier_given: bool,
    /// `--mode`, when given.
    pub mode: Option<Mode>,
    /// The requirements checked: the tier and mode together.
    pub profile: Profile,
    /// VNet mode.
    pub vnet: VnetMode,
    /// Whether `--vnet` was given (code may tell it otherwise).
    pub vnet_given: bool,
    /// Azure cloud.
    pub cloud: Cloud,
    /// Whether `--cloud` was given (IMDS may fill it otherwise).
    pub cloud_given: bool,
    /// Azure region, lowercase.
    pub region: Option<String>,
    /// Placeholder values from `--set` (and `region`).
    pub values: BTreeMap<String, String>,
    /// `--catalog`, or the embedded catalog.
    pub catalog: Option<PathBuf>,
    /// `--only` ids.
    pub only: Vec<String>,
    /// `--skip` ids.
    pub skip: Vec<String>,
    /// `--dns-server` addresses, or `None` for the system's configuration.
    pub dns_servers: Option<Vec<SocketAddr>>,
    /// `check --peer` hosts (empty for the other commands).
    pub peers: Vec<String>,
}

impl TryFrom<&ScopeArgs> for ScopeSettings {
    type Error = SettingsError;
    fn try_from(a: &ScopeArgs) -> Result<Self, SettingsError> {
        let region = a.region.as_deref().map(validate_region).transpose()?;
        let mut values = validate_sets(&a.set)?;
        if let Some(r) = &region {
            values.insert("region".into(), r.clone());
        }
        let dns_servers = if a.dns_server.is_empty() {
            None
        } else {
            Some(
                a.dns_server
                    .iter()
                    .map(|s| validate_dns_server(s))
                    .collect::<Result<_, _>>()?,
            )
        };
        Ok(Self {
            reference: validate_reference(&a.reference.reference)?,
            platform: a.platform,
            tier: a.tier.unwrap_or(Tier::Classic),
            tier_given: a.tier.is_some(),
            mode: a.mode,
            profile: Profile::of(a.tier.unwrap_or(Tier::Classic), a.mode).map_err(SettingsError)?,
            vnet: a.vnet.unwrap_or(VnetMode::External),
            vnet_given: a.vnet.is_some(),
            cloud: a.cloud.unwrap_or(Cloud::Public),
            cloud_given: a.cloud.is_some(),
            region,
            values,
            catalog: a.catalog.clone(),
            only: validate_ids("--only", &a.only)?,
            skip: validate_ids("--skip", &a.skip)?,
            dns_servers,
            peers: Vec::new(),
        })
    }
}

impl ScopeSettings {
    /// The plan's scope for these settings, with the DNS servers in use (for `{dns_server}`):
    /// the one place a [`Scope`] is made.
    pub fn plan_scope(&self, dns_servers: Vec<SocketAddr>) -> Scope {
        Scope {
            platform: self.platform,
            vnet: self.vnet,
            cloud: self.cloud,
            values: self.values.clone(),
            dns_servers,
            only: self.only.clone(),
            skip: self.skip.clone(),
            peers: self.peers.clone(),
        }
    }
}

/// `--reference`: `latest` or an edition id (`2025-06`); whether the catalog has that edition is
/// decided when it is loaded, where the known ones can be named.
pub fn validate_reference(text: &str) -> Result<String, SettingsError> {
    let t = text.trim().to_ascii_lowercase();
    if t.is_empty() {
        return Err(SettingsError(
            "--reference: give `latest` or an edition such as 2025-06".into(),
        ));
    }
    Ok(t)
}

/// Azure region names are lowercase letters and digits (`westeurope`, not `West Europe`).
fn validate_region(text: &str) -> Result<String, SettingsError> {
    let r = text.trim().to_ascii_lowercase();
    if r.is_empty() || !r.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(SettingsError(format!(
            "--region {text}: expected a region name like westeurope (no spaces; `az account list-locations -o table` shows them)"
        )));
    }
    Ok(r)
}

/// `KEY=VALUE` pairs; values are host labels (letters, digits, `-`, `.`).
fn validate_sets(pairs: &[String]) -> Result<BTreeMap<String, String>, SettingsError> {
    let mut out = BTreeMap::new();
    for pair in pairs {
        let Some((k, v)) = pair.split_once('=') else {
            return Err(SettingsError(format!(
                "--set {pair}: expected KEY=VALUE, e.g. sql_server=apimsql123"
            )));
        };
        let (k, v) = (k.trim(), v.trim());
        if k.is_empty()
            || !k
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            return Err(SettingsError(format!(
                "--set {pair}: the key must be lowercase_with_underscores"
            )));
        }
        let host_like = !v.is_empty()
            && v.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
        if !host_like {
            return Err(SettingsError(format!(
                "--set {pair}: the value must be a host name part (letters, digits, - and .)"
            )));
        }
        if k == "region" {
            return Err(SettingsError("--set region=…: use --region instead".into()));
        }
        if out.insert(k.to_owned(), v.to_ascii_lowercase()).is_some() {
            return Err(SettingsError(format!("--set {k}: given twice")));
        }
    }
    Ok(out)
}

/// `IP`, `IP:PORT` or `[IPv6]:PORT`; the port defaults to 53.
pub fn validate_dns_server(text: &str) -> Result<SocketAddr, SettingsError> {
    let t = text.trim();
    if let Ok(ip) = t.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, 53));
    }
    t.parse::<SocketAddr>().map_err(|_| {
        SettingsError(format!("--dns-server {text}: expected an IP address with an optional port, e.g. 10.0.0.4 or 10.0.0.4:53"))
    })
}

fn validate_ids(option: &str, ids: &[String]) -> Result<Vec<String>, SettingsError> {
    ids.iter()
        .map(|i| i.trim().to_owned())
        .map(|i| {
            if i.is_empty() {
                Err(SettingsError(format!("{option}: empty id")))
            } else {
                Ok(i)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use test_case::test_case;

    #[test_case("10.0.0.4", "10.0.0.4:53"; "v4")]
    #[test_case("127.0.0.1:5353", "127.0.0.1:5353"; "v4 port")]
    #[test_case("::1", "[::1]:53"; "v6")]
    #[test_case("[::1]:5353", "[::1]:5353"; "v6 port")]
    fn dns_servers(text: &str, want: &str) {
        assert_eq!(validate_dns_server(text).unwrap().to_string(), want);
    }

    #[test]
    fn sets() {
        let m = validate_sets(&["sql_server=Abc".into()]).unwrap();
        assert_eq!(m["sql_server"], "abc");
        assert!(
            validate_sets(&["nope".into()])
                .unwrap_err()
                .0
                .contains("KEY=VALUE")
        );
        assert!(
            validate_sets(&["a=b/c".into()])
                .unwrap_err()
                .0
                .contains("host name part")
        );
        assert!(
            validate_region("West Europe")
                .unwrap_err()
                .0
                .contains("westeurope")
        );
    }
}
