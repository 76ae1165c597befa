//! The flows APIM needs, from the catalog rows in scope: one per (row, transport, port or
//! range), with the row's direction, service tags and `required`.

use serde::Serialize;

use crate::azure::network::model::PortRange;
use crate::catalog::model::{Dependency, Direction, PortSpec, Transport};
use crate::catalog::plan::Plan;

/// One flow to evaluate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Flow {
    /// The catalog row's id.
    pub id: String,
    /// What APIM needs it for.
    pub purpose: String,
    /// Outbound, inbound, or between machines of the subnet (peer).
    pub direction: Direction,
    /// TCP or UDP (`protocol` in the report, as NSG rules call it).
    #[serde(rename = "protocol")]
    pub transport: Transport,
    /// The destination port or range (`"443"`, `"6381-6383"`, `"*"` in the report).
    #[serde(serialize_with = "as_text")]
    pub ports: PortRange,
    /// The source, as the catalog names it (a service tag).
    pub source: String,
    /// The destination, as the catalog names it (a service tag, or a description for DNS).
    pub destination: String,
    /// Needed for deployment and operation.
    pub required: bool,
}

impl Flow {
    /// The flows of one catalog row.
    pub fn of_row(dep: &Dependency) -> Vec<Flow> {
        let mut out = Vec::new();
        for &transport in &dep.transport {
            for port in &dep.ports {
                let ports = match *port {
                    PortSpec::One(p) => PortRange { from: p, to: p },
                    PortSpec::Range(a, b) => PortRange { from: a, to: b },
                    PortSpec::Any => PortRange::ANY,
                };
                out.push(Flow {
                    id: dep.id.get_ref().clone(),
                    purpose: dep.purpose.clone(),
                    direction: dep.direction,
                    transport,
                    ports,
                    source: dep.source.clone(),
                    destination: dep.destination.clone(),
                    required: dep.required,
                });
            }
        }
        out
    }

    /// The service tag on the far side: the destination of an outbound flow, the source of an
    /// inbound one, the subnet's own `VirtualNetwork` between machines.
    pub fn remote_tag(&self) -> &str {
        match self.direction {
            Direction::Outbound => &self.destination,
            Direction::Inbound => &self.source,
            Direction::Peer => "VirtualNetwork",
        }
    }

    /// Whether the row is the DNS row (its destination is the DNS servers in use, not a tag).
    pub fn is_dns(&self) -> bool {
        self.direction == Direction::Outbound
            && self.ports == (PortRange { from: 53, to: 53 })
            && !is_tag_name(&self.destination)
    }

    /// Whether the flow carries traffic to `port` over `transport` (`None`: any port).
    pub fn matches(&self, id: &str, port: Option<u16>, transport: Transport) -> bool {
        self.id == id && self.transport == transport && port.is_none_or(|p| self.ports.covers(p, p))
    }
}

#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's serialize_with passes a reference"
)]
fn as_text<S: serde::Serializer>(ports: &PortRange, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(ports)
}

/// Whether `text` is a service tag name (`Storage`, `Storage.WestEurope`), not prose.
pub fn is_tag_name(text: &str) -> bool {
    !text.is_empty()
        && text.starts_with(|c: char| c.is_ascii_alphabetic())
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// The flows of catalog rows (those in scope), in catalog order, without repeats.
pub fn from_rows<'a>(rows: impl IntoIterator<Item = &'a Dependency>) -> Vec<Flow> {
    let mut out: Vec<Flow> = Vec::new();
    for dep in rows {
        for f in Flow::of_row(dep) {
            if !out.contains(&f) {
                out.push(f);
            }
        }
    }
    out
}

/// The flows of the rows a plan was built from (`check` and `list` build the plan; its rows are
/// the ones in scope for the platform, VNet mode and `--only`/`--skip`).
pub fn from_plan(plan: &Plan) -> Vec<Flow> {
    let mut rows: Vec<&Dependency> = Vec::new();
    for p in &plan.probes {
        if !rows
            .iter()
            .any(|r| std::ptr::eq(*r, std::sync::Arc::as_ptr(&p.dep)))
        {
            rows.push(&p.dep);
        }
    }
    from_rows(rows)
}
