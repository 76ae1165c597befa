//! The exported network configuration beside the probes (`check --nsg … --service-tags …`): a
//! failed row gets the rule that explains it, a row no probe can test gets its evaluated verdict,
//! and every resolved address is classed against its row's service tag.

use std::net::IpAddr;

use super::model::{Report, ResultEntry};
use crate::azure::network::model::ServiceTags;
use crate::catalog::model::Cloud;
use crate::evaluate::membership::{self, Class};
use crate::evaluate::model::{Evaluation, Verdict};
use crate::probe::facts::{AddressTags, Evaluated};
use crate::probe::outcome::{Status, Warning};

/// Puts the evaluation beside each result it has a flow for, and its findings among the report's
/// warnings.
pub fn attach(report: &mut Report, eval: &Evaluation) {
    for r in &mut report.results {
        let (id, port, transport) = (r.spec.id.clone(), r.spec.port, r.spec.transport);
        let Some(flow) = eval.flow(&id, port, transport) else {
            continue;
        };
        let explain = eval.explain(&id, port, transport).unwrap_or_default();
        let rule = flow.rule.as_ref().map(|x| {
            format!(
                "NSG {} rule {} ({}) {}",
                x.nsg,
                x.name,
                x.priority,
                if matches!(flow.verdict, Verdict::Allowed) {
                    "allow"
                } else {
                    "deny"
                }
            )
        });
        let explains_failure = r.status.is_failure() && flow.verdict != Verdict::Allowed;
        if explains_failure || r.status == Status::Skipped {
            r.detail = format!("{}; {explain}", r.detail);
        }
        r.facts.evaluated = Some(Evaluated {
            verdict: flow.verdict.as_str().to_owned(),
            rule,
            explain,
        });
    }
    for f in eval.findings.iter().filter(|f| !f.ok) {
        report
            .warnings
            .push(Warning::other(format!("evaluate: {}", f.detail)));
    }
}

/// Classes every resolved address of every row that names a service tag.
pub fn classify_addresses(report: &mut Report, tags: &ServiceTags) {
    let (cloud, region) = (report.settings.cloud, report.settings.region.clone());
    for r in &mut report.results {
        r.facts.membership = memberships(r, tags, cloud, region.as_deref());
    }
}

fn memberships(
    r: &ResultEntry,
    tags: &ServiceTags,
    cloud: Cloud,
    region: Option<&str>,
) -> Vec<AddressTags> {
    if !membership::judgeable(&r.spec.service_tag) {
        return Vec::new();
    }
    r.addresses
        .iter()
        .filter_map(|a| a.parse::<IpAddr>().ok())
        .map(|addr| {
            let m = membership::classify(tags, &r.spec.service_tag, cloud, region, addr);
            AddressTags {
                address: m.address,
                class: m.class.as_str().to_owned(),
                tags: m.tags,
            }
        })
        .filter(|m| m.class != Class::Expected.as_str() || !m.tags.is_empty())
        .collect()
}
