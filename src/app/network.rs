//! The exported network configuration: reading what the options name (`--subnet`, `--nsg` …, and
//! bare paths for `evaluate`), each file checked against the option that named it — shared by
//! `evaluate` and `check` — and putting it beside `check`'s probes.

use std::path::PathBuf;

use super::UsageError;
use crate::azure::iac;
use crate::azure::network::{Expect, InputKind, NetworkInputs};
use crate::catalog::Catalog;
use crate::catalog::editions::CLASSIC_TITLE;
use crate::catalog::plan::Plan;
use crate::catalog::profile::{Mode, Profile, Tier};
use crate::cli::NetworkArgs;
use crate::diagnose;
use crate::evaluate::{self, EvalSettings};
use crate::report::evaluated;
use crate::report::fix::Fix;
use crate::report::hints::HintContext;
use crate::report::model::Report;
use crate::settings::ScopeSettings;

/// Every input, each file checked against the option that named it.
pub(crate) fn read(args: &NetworkArgs, paths: &[PathBuf]) -> Result<NetworkInputs, UsageError> {
    use InputKind::{
        ArmTemplate, EffectiveNsg, EffectiveRoutes, Nsg, RouteTable, SecurityGroupView,
        ServiceTags, Subnet,
    };
    let named: [(&'static str, Vec<&PathBuf>, &'static [InputKind]); 6] = [
        ("--subnet", args.subnet.iter().collect(), &[Subnet]),
        ("--nsg", args.nsg.iter().collect(), &[Nsg, ArmTemplate]),
        (
            "--effective-nsg",
            args.effective_nsg.iter().collect(),
            &[EffectiveNsg, SecurityGroupView],
        ),
        (
            "--routes",
            args.routes.iter().collect(),
            &[RouteTable, ArmTemplate],
        ),
        (
            "--effective-routes",
            args.effective_routes.iter().collect(),
            &[EffectiveRoutes],
        ),
        (
            "--service-tags",
            args.service_tags.iter().collect(),
            &[ServiceTags],
        ),
    ];
    let mut inputs = NetworkInputs::default();
    let mut pending = iac::Pending::default();
    // `--subnet NAME`: not a file but the APIM subnet among those of the code given.
    let subnet_name = args
        .subnet
        .as_ref()
        .filter(|p| !p.exists())
        .and_then(|p| p.to_str());
    for (option, paths, kinds) in named {
        for p in paths {
            if option == "--subnet" && subnet_name.is_some() {
                continue;
            }
            let expect: Expect = Some((option, kinds));
            iac::add_path(&mut inputs, &mut pending, p, expect)?;
        }
    }
    for p in paths {
        iac::add_path(&mut inputs, &mut pending, p, None)?;
    }
    iac::finish(&mut inputs, pending, subnet_name)?;
    Ok(inputs)
}

/// The exported network configuration beside the probes: each row's evaluated verdict (and the
/// rule that explains a failure), each address's service tag; and for the diagnosis, the rule
/// that blocks each tag and the default route.
pub(crate) fn beside_the_probes(
    report: &mut Report,
    plan: &Plan,
    network: &NetworkInputs,
    scope: &ScopeSettings,
    catalog: &Catalog,
    ctx: &mut diagnose::Context,
    hints: &mut HintContext,
) {
    if let Some(tags) = &network.service_tags {
        evaluated::classify_addresses(report, tags);
    }
    if network.nsgs.is_empty() && network.routes.is_empty() && network.subnet.is_none() {
        return;
    }
    let eval = evaluate::evaluate(
        &evaluate::flows::from_plan(plan),
        network,
        &eval_settings(scope, catalog),
    );
    evaluated::attach(report, &eval);
    for r in &report.results {
        let flow = eval.flow(&r.spec.id, r.spec.port, r.spec.transport);
        if let Some(fix) = flow.and_then(|f| f.hint.as_ref()).and_then(nsg_fix) {
            hints.nsg_fixes.insert(HintContext::key(r), fix);
        }
    }
    for r in &report.results {
        let tag = &r.spec.service_tag;
        if let Some(rule) = eval.blocking_rule(tag) {
            ctx.blocking
                .entry(tag.to_ascii_lowercase())
                .or_insert_with(|| {
                    format!("NSG {} rule {} ({})", rule.nsg, rule.name, rule.priority)
                });
        }
    }
    ctx.default_route = eval.default_route.as_ref().map(|hop| {
        format!(
            "route {} sends 0.0.0.0/0 to {}{}",
            hop.route.as_deref().unwrap_or("(system)"),
            hop.kind.as_str(),
            hop.address
                .as_deref()
                .map_or(String::new(), |a| format!(" {a}"))
        )
    });
}

/// The evaluation's settings for a scope: platform, mode, cloud, region and DNS servers.
pub(crate) fn eval_settings(s: &ScopeSettings, catalog: &Catalog) -> EvalSettings {
    let edition = catalog.edition.as_ref();
    EvalSettings {
        profile: s.profile,
        subnet: edition.and_then(|e| e.subnet_for(s.profile)).cloned(),
        page: edition.map_or_else(
            || "the catalog".to_owned(),
            |e| {
                if e.title == CLASSIC_TITLE {
                    "the VNet reference".to_owned()
                } else {
                    format!("the page \"{}\"", e.title)
                }
            },
        ),
        delegations: delegations(catalog),
        platform: s.platform,
        vnet: s.vnet,
        cloud: s.cloud,
        region: s.region.clone(),
        dns_servers: s
            .dns_servers
            .iter()
            .flatten()
            .map(std::net::SocketAddr::ip)
            .collect(),
    }
}

/// When neither `--tier` nor `--mode` was given and the exported subnet is delegated, the
/// profile whose page asks for that delegation (the v2 tiers before a workspace gateway): the
/// scope is changed to it, and the returned warning says so.
pub(crate) fn infer_profile(
    s: &mut ScopeSettings,
    inputs: &NetworkInputs,
) -> Result<Option<String>, UsageError> {
    if let Some(note) = from_apim(s, inputs) {
        return Ok(Some(note));
    }
    if s.tier_given || s.mode.is_some() {
        return Ok(None);
    }
    let Some(sub) = &inputs.subnet else {
        return Ok(None);
    };
    let [delegation] = sub.delegations.as_slice() else {
        return Ok(None);
    };
    let raw = match &s.catalog {
        Some(path) => crate::catalog::load::from_path(path)?,
        None => crate::catalog::load::embedded()?,
    };
    let candidates: Vec<Profile> = delegations(&raw)
        .into_iter()
        .filter(|(_, d)| d.eq_ignore_ascii_case(delegation))
        .map(|(p, _)| p)
        .collect();
    let Some(&profile) = candidates.first() else {
        return Ok(None);
    };
    let (tier, mode) = match profile {
        Profile::Classic => (Tier::Classic, None),
        Profile::V2Integration => (Tier::Standardv2, Some(Mode::Integration)),
        Profile::V2Injection => (Tier::Premiumv2, Some(Mode::Injection)),
        Profile::WorkspaceIntegration => (Tier::Workspace, Some(Mode::Integration)),
        Profile::WorkspaceInjection => (Tier::Workspace, Some(Mode::Injection)),
    };
    (s.profile, s.tier, s.mode) = (profile, tier, mode);
    let others: Vec<&str> = candidates[1..].iter().map(|p| p.words()).collect();
    let also = if others.is_empty() {
        String::new()
    } else {
        format!(" (also used by {})", others.join(", "))
    };
    Ok(Some(format!(
        "subnet {} is delegated to {delegation}: checked against the requirements of {}{also}; give --tier and --mode to choose",
        sub.name,
        profile.words()
    )))
}

/// What an API Management instance the code declares says of the tier, the mode and `--vnet`,
/// for what the user did not give.
fn from_apim(s: &mut ScopeSettings, inputs: &NetworkInputs) -> Option<String> {
    let apim = inputs
        .apims
        .iter()
        .find(|a| a.in_vnet())
        .or_else(|| inputs.apims.first())?;
    let Some((mode, vnet)) = apim.network().filter(|(m, _)| m.is_some()) else {
        return Some(format!(
            "API Management {} ({}) is not in a virtual network (virtual network type {}): its subnet's requirements are checked as if it were",
            apim.name,
            apim.origin.address,
            apim.vnet_type.as_deref().unwrap_or("not set")
        ));
    };
    let mut said = Vec::new();
    if !s.tier_given
        && s.mode.is_none()
        && let Some(tier) = apim.tier()
        && let Ok(profile) = Profile::of(tier, mode)
    {
        (s.tier, s.mode, s.profile) = (tier, mode, profile);
        said.push(format!(
            "{} ({tier}, {})",
            profile.words(),
            apim.sku.as_deref().unwrap_or("?")
        ));
    }
    if !s.vnet_given
        && let Some(v) = vnet
    {
        s.vnet = v;
        said.push(format!("--vnet {v}"));
    }
    (!said.is_empty()).then(|| {
        format!(
            "API Management {} ({}) chooses {}",
            apim.name,
            apim.origin.address,
            said.join(" and ")
        )
    })
}

/// The delegation each profile's newest page asks for (what a delegated subnet is for).
fn delegations(catalog: &Catalog) -> Vec<(Profile, String)> {
    let mut out: Vec<(Profile, String)> = Vec::new();
    let mut editions: Vec<&crate::catalog::Edition> = catalog.editions.iter().collect();
    editions.sort_by(|a, b| b.date.cmp(&a.date));
    for e in editions {
        for spec in &e.subnet {
            for p in &spec.profiles {
                if !out.iter().any(|(q, _)| q == p) {
                    out.push((*p, spec.delegation.clone()));
                }
            }
        }
    }
    out.sort();
    out
}

/// The NSG rule an evaluation computed, as a fix (with its NSG, resource group and free priority).
fn nsg_fix(h: &evaluate::hint::Hint) -> Option<Fix> {
    (h.kind == "nsg_rule").then(|| Fix::NsgRule {
        name: h.name.clone().unwrap_or_default(),
        direction: h
            .direction
            .map_or("Outbound", |d| match d {
                crate::azure::network::model::RuleDirection::Inbound => "Inbound",
                crate::azure::network::model::RuleDirection::Outbound => "Outbound",
            })
            .to_owned(),
        protocol: h.protocol.unwrap_or("Tcp").to_owned(),
        source: h.source.clone().unwrap_or_default(),
        destination: h.destination.clone().unwrap_or_default(),
        ports: h.ports.clone().unwrap_or_default(),
        nsg: h.nsg.clone(),
        resource_group: h.resource_group.clone(),
        priority: h.priority,
    })
}
