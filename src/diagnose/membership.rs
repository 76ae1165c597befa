//! Causes the service-tag file reveals (`check --service-tags`): names that resolve into the same
//! service's tag for another region, and names that resolve outside every Azure tag.

use super::finding::{Context, Finding};
use super::view::{host, some};
use crate::report::model::ResultEntry;

/// The results with an address of `class`, and `host → address (tags)` for each.
fn with_class(results: &[ResultEntry], class: &str) -> (Vec<usize>, Vec<String>) {
    let mut idx = Vec::new();
    let mut shown = Vec::new();
    for (i, r) in results.iter().enumerate() {
        if let Some(m) = r.facts.membership.iter().find(|m| m.class == class) {
            idx.push(i);
            let tags = if m.tags.is_empty() {
                String::new()
            } else {
                format!(" ({})", m.tags.join(", "))
            };
            shown.push(format!("{} → {}{tags}", host(r), m.address));
        }
    }
    (idx, shown)
}

/// Names that resolve into their service's tag for another region than the instance's.
pub fn other_region(results: &[ResultEntry], ctx: &Context) -> Vec<Finding> {
    let (idx, shown) = with_class(results, "other_region");
    if idx.is_empty() {
        return Vec::new();
    }
    let region = ctx.region.as_deref().unwrap_or("the instance's region");
    vec![Finding {
        cause: "other_region",
        summary: format!(
            "{} name(s) resolve into another region than {region}: {}",
            idx.len(),
            some(&shown, 3)
        ),
        explains: idx,
        evidence: "by the service-tag file, those addresses are in the service's tag for another region, not in its regional tag for the instance's region".into(),
        fix: format!(
            "an NSG rule naming the regional tag for {region} does not cover these addresses: check that the resources (storage account, SQL server …) are in {region}, or allow the global tag"
        ),
        decisive: true,
        fixes: Vec::new(),
    }]
}

/// Names that resolve to addresses no Azure tag holds: a DNS hijack, a proxy, a wrong record.
pub fn outside_azure(results: &[ResultEntry], _ctx: &Context) -> Vec<Finding> {
    let (idx, shown) = with_class(results, "outside");
    if idx.is_empty() {
        return Vec::new();
    }
    vec![Finding {
        cause: "outside_azure",
        summary: format!(
            "{} Azure name(s) resolve to addresses outside every Azure service tag: {}",
            idx.len(),
            some(&shown, 3)
        ),
        explains: idx,
        evidence: "by the service-tag file, no tag holds those addresses".into(),
        fix: "find who answers these names: a DNS server that rewrites them (a hijack, a filtering resolver), a proxy, or a wrong record in a private zone; Azure's names must resolve to Azure's addresses".into(),
        decisive: true,
        fixes: Vec::new(),
    }]
}
