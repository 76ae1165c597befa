//! The plan extension `--dependencies` needs: APIM's own list of its endpoints (read by
//! `azure::dependencies`) mapped onto the catalog's rows, so that each real host is probed the way
//! its row says, in place of the row's entries skipped for an unfilled placeholder. Categories the
//! catalog lacks become optional TCP rows `apim-<category>`.

use std::sync::Arc;

use super::Catalog;
use super::model::{CheckKind, Dependency, SYNTHETIC_ID_PREFIX, Transport};
use super::plan::{Plan, PlanError, Probe, Scope};

/// One endpoint APIM says it needs: a (category, host, port) of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApimEndpoint {
    /// APIM's category (`Azure SQL`, `Azure Storage` …).
    pub category: String,
    /// The host, lowercase.
    pub host: String,
    /// The port.
    pub port: u16,
    /// APIM's region for it (`West US`, `Global`), if given.
    pub region: Option<String>,
}

/// The catalog ids an APIM category maps onto (empty: unknown category).
fn ids_for(category: &str) -> &'static [&'static str] {
    match category.trim().to_ascii_lowercase().as_str() {
        "azure sql" => &["sql", "sql-redirect"],
        "azure storage" => &["storage", "file-share"],
        "azure event hub" => &["event-hub"],
        "ssl certificate verification" => &["cert-validation", "tls-chain", "tls-chain-newer"],
        "azure monitor" => &["azure-monitor", "azure-monitor-metrics"],
        "portal captcha" => &["portal-captcha"],
        "azure active directory" => &["entra"],
        "azure smtp" => &["smtp-relay"],
        _ => &[],
    }
}

/// Where an endpoint goes: a row of the plan (its `Arc`), a new probe of it, or nowhere.
enum Placement {
    Row(Arc<Dependency>, CheckKind),
    Synthetic,
    Dropped,
}

fn target(plan: &Plan, catalog: &Catalog, scope: &Scope, ep: &ApimEndpoint) -> Placement {
    let ids = ids_for(&ep.category);
    let in_plan = |p: &&Probe| ids.contains(&p.dep.id.get_ref().as_str());
    if let Some(p) = plan
        .probes
        .iter()
        .filter(in_plan)
        .find(|p| p.port == Some(ep.port))
    {
        return Placement::Row(Arc::clone(&p.dep), p.check);
    }
    let rows: Vec<&Dependency> = catalog
        .dependencies
        .iter()
        .filter(|d| ids.contains(&d.id.get_ref().as_str()))
        .collect();
    let has_port = |d: &&&Dependency| {
        d.ports
            .iter()
            .flat_map(|p| p.expand())
            .any(|p| p == Some(ep.port))
    };
    if rows.iter().filter(has_port).any(|d| !scope.selects(d)) {
        return Placement::Dropped;
    }
    if !rows.iter().any(|d| has_port(&d)) {
        // A category (or a port of it) this edition of the reference has no row for, such as
        // Azure Files on 445 under 2025-06: probed anyway, on an optional `apim-…` row, so that
        // nothing APIM lists is lost and nothing the edition does not require fails the verdict,
        // unless the selection leaves that row out.
        let id = synthetic_id(&ep.category);
        return if scope.selects_id(&id) {
            Placement::Synthetic
        } else {
            Placement::Dropped
        };
    }
    // The port's row exists but is not planned (another platform or VNet mode).
    match plan.probes.iter().find(in_plan) {
        Some(p) => Placement::Row(Arc::clone(&p.dep), CheckKind::Tcp),
        None => Placement::Dropped,
    }
}

/// The id of the row made for a category the catalog does not know: `apim-<slug>`.
pub fn synthetic_id(category: &str) -> String {
    let slug = category
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    format!("{SYNTHETIC_ID_PREFIX}{slug}")
}

/// Checks the `apim-…` ids of `--only`/`--skip`, which the catalog cannot: each must name a
/// category of the `--dependencies` file (one the catalog has no row for, or a port of it that
/// no row of this edition has, such as Azure Files on 445 under 2025-06).
pub fn check_selection(scope: &Scope, endpoints: Option<&[ApimEndpoint]>) -> Result<(), PlanError> {
    let mut known: Vec<String> = endpoints
        .unwrap_or_default()
        .iter()
        .map(|ep| synthetic_id(&ep.category))
        .collect();
    known.sort();
    known.dedup();
    for (option, list) in [("--only", &scope.only), ("--skip", &scope.skip)] {
        if let Some(bad) = list
            .iter()
            .find(|i| i.starts_with(SYNTHETIC_ID_PREFIX) && !known.contains(i))
        {
            let why = if endpoints.is_none() {
                "`apim-…` ids name categories of a --dependencies file, and none was given".into()
            } else if known.is_empty() {
                "the --dependencies file lists no endpoint".into()
            } else {
                format!("the --dependencies file makes {}", known.join(", "))
            };
            return Err(PlanError::UnknownApimId {
                option,
                id: bad.clone(),
                why,
            });
        }
    }
    Ok(())
}

/// A row for endpoints of a category the catalog does not know.
fn synthetic_row(category: &str) -> Arc<Dependency> {
    let toml = format!(
        "id = {id}\npurpose = {purpose}\ndirection = \"outbound\"\nsource = \"VirtualNetwork\"\n\
         destination = \"Internet\"\nrequired = false\nplatforms = [\"stv2\", \"stv1\"]\n\
         vnet = [\"external\", \"internal\"]\ntransport = \"tcp\"\nports = [\"*\"]\ncheck = \"tcp\"\n\
         reference = \"APIM's outboundNetworkDependenciesEndpoints (category not in the catalog)\"\n",
        id = toml_str(&synthetic_id(category)),
        purpose = toml_str(&format!("{category} (listed by APIM, not in the catalog)")),
    );
    Arc::new(toml::from_str(&toml).expect("synthetic row is valid TOML"))
}

fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

/// Whether a skipped entry's template (`{storage_account}.blob.core.windows.net`) covers `host`.
fn template_covers(template: &str, host: &str) -> bool {
    let (t, h): (Vec<&str>, Vec<&str>) = (template.split('.').collect(), host.split('.').collect());
    t.len() == h.len()
        && t.iter()
            .zip(&h)
            .all(|(t, h)| t.contains('{') || t.eq_ignore_ascii_case(h))
}

/// Adds probes for APIM's endpoints to the plan: each on the catalog row of its category, with
/// that row's check for its port, in place of the row's entries skipped for an unfilled
/// placeholder that the real host fills; endpoints already planned are not repeated; endpoints
/// of unknown categories become optional TCP probes at the end.
pub fn extend(plan: &mut Plan, catalog: &Catalog, scope: &Scope, endpoints: &[ApimEndpoint]) {
    let (new, synthetic) = probes_for(plan, catalog, scope, endpoints);
    merge(plan, &new);
    plan.probes.extend(synthetic);
}

/// Whether `probes` already hold a TCP probe of `host:port`.
fn planned(probes: &[Probe], host: &str, port: u16) -> bool {
    probes.iter().any(|p| {
        p.skip.is_none()
            && p.port == Some(port)
            && p.transport == Transport::Tcp
            && p.host
                .as_deref()
                .is_some_and(|h| h.eq_ignore_ascii_case(host))
    })
}

/// The probes APIM's endpoints add: on catalog rows, and on synthetic rows (one per unknown
/// category), each endpoint once.
fn probes_for(
    plan: &Plan,
    catalog: &Catalog,
    scope: &Scope,
    endpoints: &[ApimEndpoint],
) -> (Vec<Probe>, Vec<Probe>) {
    let mut new: Vec<Probe> = Vec::new();
    let mut synthetic: Vec<Probe> = Vec::new();
    let mut rows: Vec<(String, Arc<Dependency>)> = Vec::new();
    for ep in endpoints {
        if [&plan.probes, &new, &synthetic]
            .iter()
            .any(|p| planned(p, &ep.host, ep.port))
        {
            continue;
        }
        let (dep, check, out) = match target(plan, catalog, scope, ep) {
            Placement::Dropped => continue,
            Placement::Row(dep, check) => (dep, check, &mut new),
            Placement::Synthetic => {
                let dep = if let Some((_, d)) = rows.iter().find(|(c, _)| *c == ep.category) {
                    Arc::clone(d)
                } else {
                    let d = synthetic_row(&ep.category);
                    rows.push((ep.category.clone(), Arc::clone(&d)));
                    d
                };
                (dep, CheckKind::Tcp, &mut synthetic)
            }
        };
        out.push(Probe {
            dep,
            host: Some(ep.host.clone()),
            port: Some(ep.port),
            transport: Transport::Tcp,
            check,
            skip: None,
            stands_for: None,
            path: None,
            private_address: false,
        });
    }
    (new, synthetic)
}

/// Puts each new probe after its row's entries, in place of an entry skipped for a placeholder
/// that its host fills.
fn merge(plan: &mut Plan, new: &[Probe]) {
    let old = std::mem::take(&mut plan.probes);
    let mut placed = vec![false; new.len()];
    for (i, p) in old.iter().enumerate() {
        let mine: Vec<usize> = (0..new.len())
            .filter(|&n| !placed[n] && Arc::ptr_eq(&new[n].dep, &p.dep))
            .collect();
        let replaced = p.skip.is_some()
            && p.host.as_deref().is_none_or(|t| {
                t.contains('{')
                    && new.iter().any(|n| {
                        Arc::ptr_eq(&n.dep, &p.dep)
                            && n.host.as_deref().is_some_and(|h| template_covers(t, h))
                    })
            })
            && new.iter().any(|n| Arc::ptr_eq(&n.dep, &p.dep));
        if !replaced {
            plan.probes.push(p.clone());
        }
        let last_of_row = !old[i + 1..].iter().any(|q| Arc::ptr_eq(&q.dep, &p.dep));
        if replaced || last_of_row {
            for n in mine {
                placed[n] = true;
                plan.probes.push(new[n].clone());
            }
        }
    }
}
