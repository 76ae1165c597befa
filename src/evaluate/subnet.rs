//! Requirements on the subnet itself, from the page of the profile checked (its edition's
//! `subnet` spec): an NSG associated, the right delegation (and, when the subnet is delegated to
//! another service, which profile it was prepared for), its size, and nothing else in it.

use std::fmt::Write as _;

use super::hint::{self, Hint};
use super::model::{EvalSettings, Finding};
use crate::azure::network::NetworkInputs;
use crate::azure::network::json::id_name;
use crate::azure::network::model::Subnet;
use crate::catalog::editions::{NO_DELEGATION, SubnetSpec};
use crate::catalog::profile::Profile;

/// The findings on the exported subnet (none without a subnet export or a spec).
pub(crate) fn findings(inputs: &NetworkInputs, s: &EvalSettings) -> Vec<Finding> {
    let (Some(sub), Some(spec)) = (&inputs.subnet, &s.subnet) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if spec.nsg_platforms.contains(&s.platform) {
        out.push(nsg(sub, inputs, s));
    }
    out.push(delegation(sub, spec, s));
    out.extend(size(sub, spec));
    if spec.dedicated {
        out.push(dedicated(sub, spec));
    }
    out
}

fn finding(id: &str, ok: bool, detail: String, hint: Option<Hint>) -> Finding {
    Finding {
        id: id.into(),
        required: true,
        ok,
        detail,
        hint: if ok { None } else { hint },
    }
}

fn nsg(sub: &Subnet, inputs: &NetworkInputs, s: &EvalSettings) -> Finding {
    let why = if s.profile == Profile::Classic {
        "stv2 requires one on the APIM subnet (the Azure Load Balancer needs it)".to_owned()
    } else {
        format!("{} requires one associated with the subnet", s.page)
    };
    match &sub.nsg_id {
        Some(id) => finding(
            "subnet-nsg",
            true,
            format!("subnet {} has NSG {}", sub.name, nsg_name(inputs, id)),
            None,
        ),
        None => finding(
            "subnet-nsg",
            false,
            format!("subnet {} has no NSG: {why}", sub.name),
            Some(hint::subnet_nsg(&sub.name, sub.id.as_deref())),
        ),
    }
}

fn delegation(sub: &Subnet, spec: &SubnetSpec, s: &EvalSettings) -> Finding {
    let want = spec.delegation.as_str();
    let has: Vec<&str> = sub.delegations.iter().map(String::as_str).collect();
    let ok = if want == NO_DELEGATION {
        has.is_empty()
    } else {
        has.len() == 1 && has[0].eq_ignore_ascii_case(want)
    };
    let words = s.profile.words();
    let detail = match (ok, has.as_slice()) {
        (true, []) => format!("subnet {} is not delegated, as {words} needs", sub.name),
        (true, _) => format!(
            "subnet {} is delegated to {want}, as {words} needs",
            sub.name
        ),
        (false, []) => format!(
            "subnet {} is not delegated: {words} needs it delegated to {want}",
            sub.name
        ),
        (false, list) => {
            let prepared = prepared_for(list, s);
            let need = if want == NO_DELEGATION {
                "no delegation".to_owned()
            } else {
                format!("delegation to {want}")
            };
            format!(
                "subnet {} is delegated to {}: {prepared}, not {words}, which needs {need}",
                sub.name,
                list.join(", ")
            )
        }
    };
    let fix = hint::subnet_delegation(&sub.name, sub.id.as_deref(), want);
    finding("subnet-delegation", ok, detail, Some(fix))
}

/// `it is for Standard v2 / Premium v2, VNet integration or workspace gateway, VNet integration`,
/// from which profiles' pages ask for that delegation.
fn prepared_for(delegations: &[&str], s: &EvalSettings) -> String {
    let mut profiles: Vec<&str> = s
        .delegations
        .iter()
        .filter(|(_, d)| delegations.iter().any(|x| x.eq_ignore_ascii_case(d)))
        .map(|(p, _)| p.words())
        .collect();
    profiles.dedup();
    if profiles.is_empty() {
        "no APIM profile uses that delegation".to_owned()
    } else {
        format!("it is prepared for {}", profiles.join(" or "))
    }
}

fn size(sub: &Subnet, spec: &SubnetSpec) -> Option<Finding> {
    let says = spec.smallest.is_some() || spec.largest.is_some() || spec.units.is_some();
    if !says {
        return None;
    }
    let p = sub
        .prefixes
        .iter()
        .find(|n| n.addr().is_ipv4())?
        .prefix_len();
    let mut problems = Vec::new();
    if let Some(min) = spec.smallest
        && p > min
    {
        problems.push(format!("a /{p} is smaller than the /{min} minimum"));
    }
    if let Some(max) = spec.largest
        && p < max
    {
        problems.push(format!("a /{p} is larger than the /{max} maximum"));
    }
    let ok = problems.is_empty();
    let mut detail = if ok {
        format!("subnet {} is a /{p}", sub.name)
    } else {
        format!("subnet {}: {}", sub.name, problems.join("; "))
    };
    if let Some(r) = spec.recommended
        && p > r
    {
        let _ = write!(detail, " (/{r} recommended, to leave room to scale)");
    }
    if let Some(u) = spec.units {
        let _ = write!(
            detail,
            "; it holds {} units ({} addresses each, {} reserved by Azure, {} for the internal load balancer; at most {})",
            u.units(p),
            u.per_unit,
            u.reserved,
            u.load_balancer,
            u.max_units
        );
    }
    Some(finding(
        "subnet-size",
        ok,
        detail,
        Some(Hint::text(format!(
            "use a subnet of /{} or larger{}",
            spec.smallest.unwrap_or(p),
            spec.largest
                .map_or(String::new(), |l| format!(" and /{l} or smaller"))
        ))),
    ))
}

fn dedicated(sub: &Subnet, spec: &SubnetSpec) -> Finding {
    let mut others: Vec<String> = sub
        .ip_configurations
        .iter()
        .map(|id| format!("IP configuration of {}", owner(id)))
        .collect();
    others.extend(
        sub.private_endpoints
            .iter()
            .map(|id| format!("private endpoint {}", id_name(id))),
    );
    others.extend(
        sub.service_links
            .iter()
            .filter(|t| !t.eq_ignore_ascii_case(&spec.delegation))
            .map(|t| format!("a link to {t}")),
    );
    let ok = others.is_empty();
    let detail = if ok {
        format!("nothing else is in subnet {}", sub.name)
    } else {
        format!(
            "subnet {} must hold nothing else, and has {}",
            sub.name,
            others.join(", ")
        )
    };
    finding(
        "subnet-dedicated",
        ok,
        detail,
        Some(Hint::text(
            "give the gateway a subnet of its own: move the other resources out, or make a new subnet"
                .to_owned(),
        )),
    )
}

/// `network interface vm1-nic` from `…/networkInterfaces/vm1-nic/ipConfigurations/ipconfig1`.
fn owner(id: &str) -> String {
    let parts: Vec<&str> = id.split('/').collect();
    let kind = |k: &str| parts.iter().position(|p| p.eq_ignore_ascii_case(k));
    for (k, word) in [
        ("networkInterfaces", "network interface"),
        ("loadBalancers", "load balancer"),
        ("applicationGateways", "application gateway"),
        ("virtualNetworkGateways", "virtual network gateway"),
        ("privateEndpoints", "private endpoint"),
    ] {
        if let Some(i) = kind(k)
            && let Some(name) = parts.get(i + 1)
        {
            return format!("{word} {name}");
        }
    }
    id_name(id).to_owned()
}

/// The name of the NSG `id` names: the given NSG's own (code names NSGs by address), else the
/// id's last segment.
fn nsg_name(inputs: &NetworkInputs, id: &str) -> String {
    inputs
        .nsgs
        .iter()
        .find(|n| n.id.as_deref().is_some_and(|i| i.eq_ignore_ascii_case(id)))
        .map_or_else(|| id_name(id).to_owned(), |n| n.name.clone())
}
