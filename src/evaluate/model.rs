//! The evaluation's results as data: the verdict of each flow with the deciding rule, next hop,
//! prefix count, words and fix; findings about the subnet; and the lookups `check` and the
//! diagnosis use.

use std::net::IpAddr;

use serde::Serialize;

use super::flows::Flow;
use super::hint::Hint;
use super::nsg::RuleRef;
use super::routes::NextHop;
use crate::azure::network::model::Access;
use crate::catalog::editions::SubnetSpec;
use crate::catalog::model::{Cloud, Direction, Platform, Transport, VnetMode};
use crate::catalog::profile::Profile;

/// The verdict on one flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Every rule and route on the way lets it through.
    Allowed,
    /// A rule or route drops it.
    Denied,
    /// Some of it gets through (some prefixes of the tag, some ports), not all.
    Partial,
    /// Cannot be told offline (application security groups, missing inputs): `detail` says why.
    Unknown,
}

impl Verdict {
    /// The worse of a partial verdict and another: denied stays denied.
    #[must_use]
    pub fn max_with(self, other: Verdict) -> Verdict {
        if other == Verdict::Denied {
            other
        } else {
            self
        }
    }
}

names!(Verdict { Allowed => "allowed", Denied => "denied", Partial => "partial", Unknown => "unknown" });

/// How many of the far side's prefixes get through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PrefixCount {
    /// Prefixes wholly allowed.
    pub covered: usize,
    /// Prefixes of the tag (IPv4).
    pub total: usize,
}

/// The evaluation of one flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FlowResult {
    /// The flow.
    #[serde(flatten)]
    pub flow: Flow,
    /// The verdict.
    pub verdict: Verdict,
    /// The deciding rule: the blocking one when not allowed, `None` when no NSG applies.
    pub rule: Option<RuleRef>,
    /// Where the traffic goes (outbound), or where replies go (inbound), when routes were given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_hop: Option<NextHop>,
    /// How many of the tag's prefixes get through, when the service-tag file was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefixes: Option<PrefixCount>,
    /// Why, in words.
    pub detail: String,
    /// What to change, when not allowed.
    pub hint: Option<Hint>,
    /// Further changes needed after `hint` (a route as well as a rule).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<Hint>,
    /// Every rule that denies some of the flow, in the order met.
    #[serde(skip)]
    pub blocking: Vec<RuleRef>,
}

/// A fact about the subnet itself (not a flow) that APIM requires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// A stable id (`subnet-nsg`).
    pub id: String,
    /// Whether it counts toward the exit code.
    pub required: bool,
    /// Whether the requirement is met.
    pub ok: bool,
    /// Why, in words.
    pub detail: String,
    /// What to change.
    pub hint: Option<Hint>,
}

/// What the evaluation needs of the user's settings.
#[derive(Debug, Clone)]
pub struct EvalSettings {
    /// APIM platform.
    pub platform: Platform,
    /// VNet mode.
    pub vnet: VnetMode,
    /// Cloud.
    pub cloud: Cloud,
    /// The instance's region, lowercase.
    pub region: Option<String>,
    /// DNS servers in use (`--dns-server`); none means Azure DNS.
    pub dns_servers: Vec<IpAddr>,
    /// The requirements checked: the tier and how it joins the VNet.
    pub profile: Profile,
    /// What the page of that profile asks of the subnet itself, when it says.
    pub subnet: Option<SubnetSpec>,
    /// The page, for findings (`the VNet reference`, or a v2 page's title).
    pub page: String,
    /// The delegation each profile's page asks for: what a delegated subnet was prepared for.
    pub delegations: Vec<(Profile, String)>,
}

impl EvalSettings {
    /// Settings for the classic tiers with no requirement on the subnet itself (what tests and
    /// benchmarks evaluate).
    pub fn classic(
        platform: Platform,
        vnet: VnetMode,
        cloud: Cloud,
        region: Option<String>,
        dns_servers: Vec<IpAddr>,
    ) -> Self {
        Self {
            platform,
            vnet,
            cloud,
            region,
            dns_servers,
            profile: Profile::Classic,
            subnet: None,
            page: "the VNet reference".into(),
            delegations: Vec::new(),
        }
    }
}

/// The result: one entry per flow, in flow order, plus subnet findings.
#[derive(Debug, Clone, Default)]
pub struct Evaluation {
    /// Per flow.
    pub flows: Vec<FlowResult>,
    /// About the subnet.
    pub findings: Vec<Finding>,
    /// About the inputs and the evaluation.
    pub warnings: Vec<String>,
    /// The next hop of `0.0.0.0/0`, when routes were given.
    pub default_route: Option<NextHop>,
    /// Allow rules one field away from allowing a required flow they miss.
    pub near_misses: Vec<super::near::NearMiss>,
}

impl Evaluation {
    /// The result of the flow of row `id` that carries `port` over `transport` (`None`: the
    /// flow of any port, e.g. a `*` row).
    pub fn flow(&self, id: &str, port: Option<u16>, transport: Transport) -> Option<&FlowResult> {
        self.flows
            .iter()
            .find(|f| f.flow.matches(id, port, transport))
    }

    /// One line for a failed or skipped row of `check`: "dropped: NSG apim-nsg rule
    /// DenyStorageOut (200) denies TCP 443 to Storage", or the verdict and detail.
    pub fn explain(&self, id: &str, port: Option<u16>, transport: Transport) -> Option<String> {
        let f = self.flow(id, port, transport)?;
        Some(match (f.verdict, &f.rule) {
            (Verdict::Denied, Some(r)) if r.access == Access::Deny => format!(
                "dropped: NSG {} rule {} ({}) denies {} {} {} {}",
                r.nsg,
                r.name,
                r.priority,
                f.flow.transport.as_str().to_uppercase(),
                f.flow.ports,
                if f.flow.direction == Direction::Inbound {
                    "from"
                } else {
                    "to"
                },
                f.flow.remote_tag()
            ),
            _ => format!("evaluated {}: {}", f.verdict.as_str(), f.detail),
        })
    }

    /// The first rule that denies traffic to (outbound) or from (inbound) service tag `tag`.
    pub fn blocking_rule(&self, tag: &str) -> Option<&RuleRef> {
        self.flows
            .iter()
            .filter(|f| f.flow.remote_tag().eq_ignore_ascii_case(tag))
            .find_map(|f| f.blocking.first())
    }

    /// Whether the evaluation passes: no required flow denied or partly denied and every
    /// required finding met; with `strict`, every flow allowed and every finding met.
    pub fn passes(&self, strict: bool) -> bool {
        let flow_ok = |f: &FlowResult| match f.verdict {
            Verdict::Allowed => true,
            Verdict::Denied | Verdict::Partial => !f.flow.required && !strict,
            Verdict::Unknown => !strict,
        };
        self.flows.iter().all(flow_ok)
            && self
                .findings
                .iter()
                .all(|x| x.ok || !(x.required || strict))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdict_names_agree_with_serde() {
        crate::names::assert_serde_agrees(Verdict::ALL, |v| v.as_str());
    }
}
