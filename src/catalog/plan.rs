//! Expanding the catalog for the user's settings into concrete probes, or skipped entries with a
//! reason. `list` prints a plan; `check` runs one.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use super::Catalog;
use super::editions::Edition;
use super::model::{
    CheckKind, Cloud, Dependency, Direction, HostEntry, Platform, SYNTHETIC_ID_PREFIX, Transport,
    VnetMode,
};

/// What the plan needs to know of the user's choices.
#[derive(Debug, Clone)]
pub struct Scope {
    /// APIM compute platform.
    pub platform: Platform,
    /// VNet mode.
    pub vnet: VnetMode,
    /// Azure cloud.
    pub cloud: Cloud,
    /// Values for placeholders, `region` included when known.
    pub values: BTreeMap<String, String>,
    /// The DNS servers in use, for `{dns_server}`.
    pub dns_servers: Vec<SocketAddr>,
    /// Only these ids, when not empty.
    pub only: Vec<String>,
    /// Never these ids.
    pub skip: Vec<String>,
    /// `check --peer` hosts: the `peer` rows become `peer` probes of each (skipped when empty).
    pub peers: Vec<String>,
}

/// One entry of the plan: a probe to run, or a row listed as skipped.
#[derive(Debug, Clone)]
pub struct Probe {
    /// The catalog row.
    pub dep: Arc<Dependency>,
    /// The host to probe (a template, when a placeholder is missing), if the row has hosts.
    pub host: Option<String>,
    /// The port, or `None` for "any port".
    pub port: Option<u16>,
    /// The transport.
    pub transport: Transport,
    /// What the probe does.
    pub check: CheckKind,
    /// Why this entry is not probed, when it is not.
    pub skip: Option<String>,
    /// The reference's wildcard that this concrete host stands for, if any.
    pub stands_for: Option<String>,
    /// For `http` probes: the path to ask for, `/` when `None`.
    pub path: Option<String>,
    /// Whether the host must resolve to an address of the VNet.
    pub private_address: bool,
}

/// The plan: entries in catalog order.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// Every entry, in catalog order.
    pub probes: Vec<Probe>,
    /// The edition of the reference the rows were read as (none for a catalog without editions).
    pub edition: Option<Edition>,
}

/// A selection or value that does not fit the catalog.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// `--only`/`--skip` named an id the catalog does not have.
    #[error("{option}: no dependency has the id `{id}` (known ids: {known})")]
    UnknownId {
        /// The option that named it.
        option: &'static str,
        /// The id given.
        id: String,
        /// The catalog's ids.
        known: String,
    },
    /// `--only`/`--skip` named an `apim-…` id that no `--dependencies` category makes.
    #[error("{option}: no dependency has the id `{id}` ({why})")]
    UnknownApimId {
        /// The option that named it.
        option: &'static str,
        /// The id given.
        id: String,
        /// What `apim-…` ids there are, or why there are none.
        why: String,
    },
    /// `--only` named a row that only other editions of the reference have.
    #[error(
        "--only {id}: the {this} edition of the reference has no such row (it is in {editions}: give --reference with one of those)"
    )]
    OtherEdition {
        /// The id given.
        id: String,
        /// The edition in use.
        this: String,
        /// The editions that have it.
        editions: String,
    },
    /// `--set` named a placeholder the catalog does not declare.
    #[error("--set {key}=…: no catalog host uses `{{{key}}}` (known keys: {known})")]
    UnknownKey {
        /// The key given.
        key: String,
        /// The declared keys.
        known: String,
    },
}

impl Scope {
    /// Whether `--only`/`--skip` keep the row with this id.
    pub fn selects_id(&self, id: &str) -> bool {
        (self.only.is_empty() || self.only.iter().any(|i| i == id))
            && !self.skip.iter().any(|i| i == id)
    }

    /// Whether the selection and the platform/VNet filters keep a row.
    pub fn selects(&self, dep: &Dependency) -> bool {
        self.selects_id(dep.id.get_ref())
            && dep.platforms.contains(&self.platform)
            && dep.vnet.contains(&self.vnet)
    }
}

/// Builds the plan for a scope.
pub fn build(catalog: &Catalog, scope: &Scope) -> Result<Plan, PlanError> {
    check_selection(catalog, scope)?;
    let mut probes = Vec::new();
    for dep in catalog.dependencies.iter().filter(|d| scope.selects(d)) {
        expand_row(catalog, &Arc::new(dep.clone()), scope, &mut probes);
    }
    Ok(Plan {
        probes,
        edition: catalog.edition.clone(),
    })
}

fn check_selection(catalog: &Catalog, scope: &Scope) -> Result<(), PlanError> {
    let ids: Vec<&str> = catalog
        .dependencies
        .iter()
        .map(|d| d.id.get_ref().as_str())
        .collect();
    for (option, list) in [("--only", &scope.only), ("--skip", &scope.skip)] {
        // `apim-…` ids name rows --dependencies may add; `azure::dependencies` checks those.
        // Skipping a row another edition has is nothing to do; asking for it only is a mistake.
        let unknown = |i: &&String| {
            !ids.contains(&i.as_str())
                && !i.starts_with(SYNTHETIC_ID_PREFIX)
                && (option == "--only" || !catalog.elsewhere.contains_key(*i))
        };
        if let Some(bad) = list.iter().find(unknown) {
            if let (Some(editions), Some(this)) = (catalog.elsewhere.get(bad), &catalog.edition) {
                return Err(PlanError::OtherEdition {
                    id: bad.clone(),
                    this: this.id.clone(),
                    editions: editions.join(", "),
                });
            }
            let mut known = ids.clone();
            known.dedup();
            return Err(PlanError::UnknownId {
                option,
                id: bad.clone(),
                known: known.join(", "),
            });
        }
    }
    if let Some(key) = scope
        .values
        .keys()
        .find(|k| *k != "region" && !catalog.placeholders.contains_key(*k))
    {
        let known = catalog
            .placeholders
            .keys()
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        return Err(PlanError::UnknownKey {
            key: key.clone(),
            known,
        });
    }
    Ok(())
}

fn expand_row(catalog: &Catalog, dep: &Arc<Dependency>, scope: &Scope, out: &mut Vec<Probe>) {
    let ports: Vec<Option<u16>> = dep.ports.iter().flat_map(|p| p.expand()).collect();
    if dep.direction == Direction::Peer && !scope.peers.is_empty() && dep.skip.is_none() {
        // Pair mode: the row's own hosts are the machines of the subnet, named by --peer.
        for host in &scope.peers {
            let first = out.len();
            push_all(out, dep, Some(host), &ports, None);
            for p in &mut out[first..] {
                p.check = CheckKind::Peer;
            }
        }
        return;
    }
    let row_skip = row_skip_reason(dep);
    let hosts: Vec<HostEntry> = match &dep.hosts {
        None => Vec::new(),
        Some(h) => {
            let Some(list) = h.get_ref().for_cloud(scope.cloud) else {
                let why = format!(
                    "the reference names no endpoint for this row in the {:?} cloud",
                    scope.cloud
                );
                push_all(
                    out,
                    dep,
                    None,
                    &ports,
                    Some(row_skip.as_deref().unwrap_or(&why)),
                );
                return;
            };
            list.to_vec()
        }
    };
    if hosts.is_empty() || row_skip.is_some() {
        let host = (hosts.len() == 1).then(|| hosts[0].name.as_str());
        push_all(
            out,
            dep,
            host,
            &ports,
            Some(row_skip.as_deref().unwrap_or("no host to probe")),
        );
        return;
    }
    for entry in &hosts {
        if entry.name.contains("{dns_server}") {
            for server in &scope.dns_servers {
                let host = entry.name.replace("{dns_server}", &server.ip().to_string());
                push_all(out, dep, Some(&host), &[Some(server.port())], None);
            }
            if scope.dns_servers.is_empty() {
                push_all(
                    out,
                    dep,
                    Some(&entry.name),
                    &ports,
                    Some("no DNS server is configured"),
                );
            }
            continue;
        }
        let (host, skip) = fill(catalog, entry, &scope.values);
        let first = out.len();
        push_all(out, dep, Some(&host), &ports, skip.as_deref());
        for p in &mut out[first..] {
            p.stands_for.clone_from(&entry.wildcard);
            p.path.clone_from(&entry.path);
        }
    }
}

/// Why a whole row is not probed, whatever its hosts.
fn row_skip_reason(dep: &Dependency) -> Option<String> {
    if let Some(reason) = &dep.skip {
        return Some(reason.clone());
    }
    match dep.direction {
        Direction::Inbound => Some(format!(
            "inbound from {} to the subnet: cannot be tested from inside the subnet; check the NSG allows it",
            dep.source
        )),
        Direction::Peer => Some(
            "between machines of the APIM subnet: needs a second machine (run `apim-probe listen` there and `check --peer HOST`); check the NSG allows VirtualNetwork to VirtualNetwork".into(),
        ),
        Direction::Outbound => match dep.check {
            CheckKind::None => Some(format!(
                "UDP with no protocol to speak: a probe without an answer would prove nothing; check the NSG allows UDP to {}",
                dep.destination
            )),
            _ => None,
        },
    }
}

/// Fills a template's placeholders; returns the host (the template when a value is missing) and
/// the skip reason naming what to give.
fn fill(
    catalog: &Catalog,
    entry: &HostEntry,
    values: &BTreeMap<String, String>,
) -> (String, Option<String>) {
    if entry.is_wildcard() {
        return (
            entry.name.clone(),
            Some(format!(
                "wildcard `{}`: no concrete host to probe",
                entry.name
            )),
        );
    }
    let mut host = entry.name.clone();
    let mut missing = Vec::new();
    for name in entry.placeholders() {
        match values.get(name) {
            Some(v) => host = host.replace(&format!("{{{name}}}"), v),
            None if name == "region" => {
                missing.push("give --region NAME (e.g. westeurope)".to_owned());
            }
            None => {
                let help = catalog
                    .placeholders
                    .get(name)
                    .map_or(String::new(), |h| format!(" ({h})"));
                missing.push(format!("give --set {name}=VALUE{help}"));
            }
        }
    }
    if missing.is_empty() {
        (host, None)
    } else {
        (
            entry.name.clone(),
            Some(format!("placeholder not filled: {}", missing.join("; "))),
        )
    }
}

fn push_all(
    out: &mut Vec<Probe>,
    dep: &Arc<Dependency>,
    host: Option<&str>,
    ports: &[Option<u16>],
    skip: Option<&str>,
) {
    for &transport in &dep.transport {
        for &port in ports {
            out.push(Probe {
                dep: Arc::clone(dep),
                host: host.map(str::to_owned),
                port,
                transport,
                check: dep.check,
                skip: skip.map(str::to_owned),
                stands_for: None,
                path: None,
                private_address: dep.private_address,
            });
        }
    }
}
