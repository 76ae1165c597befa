//! NSG matching: which NSGs apply (subnet, NIC), in which order (inbound: subnet then NIC;
//! outbound: NIC then subnet), and walking one NSG's rules by priority, first match deciding,
//! over the part of the far side not decided yet.
//! <https://learn.microsoft.com/azure/virtual-network/network-security-group-how-it-works>

use serde::Serialize;

use super::space::{Coverage, Remote, World, cover_remote, covers_subnet};
use crate::azure::network::NetworkInputs;
use crate::azure::network::json::id_name;
use crate::azure::network::model::{
    Access, Nsg, NsgLevel, Origin, PortRange, Protocol, RuleDirection, SecurityRule,
};
use crate::azure::network::prefix::RangeSet;
use crate::catalog::model::{Direction, Transport};

/// The rule that decided (part of) a flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleRef {
    /// The NSG it belongs to.
    pub nsg: String,
    /// Its name.
    pub name: String,
    /// Its priority.
    pub priority: u32,
    /// Allow or deny.
    pub access: Access,
    /// Inbound or outbound.
    pub direction: RuleDirection,
    /// One of the rules every NSG has.
    pub default: bool,
    /// Where the rule is written, when it comes from code (a plan, `.tf`, a template).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origin>,
}

impl RuleRef {
    /// The reference to rule `r` of `nsg`.
    pub fn of(nsg: &Nsg, r: &SecurityRule) -> Self {
        RuleRef {
            nsg: nsg.name.clone(),
            name: r.name.clone(),
            priority: r.priority,
            access: r.access,
            direction: r.direction,
            default: r.default,
            origin: r.origin.clone(),
        }
    }
}

/// What a rule decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decided {
    /// All that was left (its addresses, when known).
    Rest(Option<RangeSet>),
    /// These addresses.
    Part(RangeSet),
    /// Maybe: why it cannot be told.
    Unknown(String),
}

/// One rule's decision on one port range of a flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Which NSG of the chain (0 = the first the traffic meets).
    pub stage: usize,
    /// The rule.
    pub rule: RuleRef,
    /// What it decided.
    pub decided: Decided,
    /// The ports this decision is about.
    pub ports: PortRange,
}

impl Decided {
    /// Whether the rule certainly decided something.
    pub(crate) fn is_sure(&self) -> bool {
        !matches!(self, Decided::Unknown(_))
    }
}

/// An NSG at one level: what applies there.
#[derive(Debug, Clone)]
pub enum Level<'a> {
    /// This NSG.
    Nsg(&'a Nsg),
    /// None: the export says so (the subnet has no `networkSecurityGroup`), or nothing says
    /// there is one (the NIC).
    Absent,
    /// One is attached but was not given (its id).
    Missing(String),
    /// Nothing given tells.
    Unknown,
}

/// The NSGs that apply to the APIM subnet and its NICs.
#[derive(Debug, Clone)]
pub struct Applied<'a> {
    /// On the subnet.
    pub subnet: Level<'a>,
    /// On the NIC.
    pub nic: Level<'a>,
}

/// The NSGs given, each once: the same NSG twice (plain and effective) is the effective
/// export's, which is what Azure applies.
fn distinct<'a>(inputs: &'a NetworkInputs, warnings: &mut Vec<String>) -> Vec<&'a Nsg> {
    let mut nsgs: Vec<&Nsg> = Vec::new();
    let effective_first = inputs
        .nsgs
        .iter()
        .filter(|n| n.effective)
        .chain(inputs.nsgs.iter().filter(|n| !n.effective));
    for n in effective_first {
        let same = |m: &&&Nsg| match (&m.id, &n.id) {
            (Some(a), Some(b)) => {
                a.eq_ignore_ascii_case(b)
                    && (m.level.is_none() || n.level.is_none() || m.level == n.level)
            }
            _ => false,
        };
        if let Some(kept) = nsgs.iter().find(same) {
            warnings.push(format!(
                "NSG {} is given twice; the rules read from {} are used",
                n.name, kept.file
            ));
        } else {
            nsgs.push(n);
        }
    }
    nsgs
}

/// Picks the subnet's and the NIC's NSG among the inputs; explains choices in `warnings`.
pub fn select<'a>(inputs: &'a NetworkInputs, warnings: &mut Vec<String>) -> Applied<'a> {
    let nsgs = distinct(inputs, warnings);
    let subnet = match &inputs.subnet {
        Some(s) => match &s.nsg_id {
            None => Level::Absent,
            Some(id) => nsgs
                .iter()
                .find(|n| {
                    n.id.as_deref().is_some_and(|i| i.eq_ignore_ascii_case(id))
                        || n.name.eq_ignore_ascii_case(id_name(id))
                })
                .map_or_else(|| Level::Missing(id.clone()), |n| Level::Nsg(n)),
        },
        None => nsgs
            .iter()
            .find(|n| n.level == Some(NsgLevel::Subnet))
            .or_else(|| {
                nsgs.iter()
                    .find(|n| n.level.is_none() && (!n.subnets.is_empty() || n.nics.is_empty()))
            })
            .map_or(Level::Unknown, |n| Level::Nsg(n)),
    };
    let chosen = match &subnet {
        Level::Nsg(n) => Some(*n),
        _ => None,
    };
    let nic = nsgs
        .iter()
        .filter(|n| chosen.is_none_or(|c| !std::ptr::eq(**n, c)))
        .find(|n| {
            n.level == Some(NsgLevel::Nic)
                || (n.level.is_none() && n.subnets.is_empty() && !n.nics.is_empty())
        })
        .map_or(Level::Absent, |n| Level::Nsg(n));
    for n in &nsgs {
        let used = [&subnet, &nic]
            .iter()
            .any(|l| matches!(l, Level::Nsg(m) if std::ptr::eq(*m, *n)));
        if !used {
            warnings.push(format!(
                "NSG {} ({}) applies neither to the subnet nor to its NIC as far as the inputs tell: not evaluated",
                n.name, n.file
            ));
        }
    }
    Applied { subnet, nic }
}

/// The NSGs a flow meets, in order, with the direction each sees it in.
pub fn chain<'a>(
    applied: &Applied<'a>,
    direction: Direction,
) -> Result<Vec<(&'a Nsg, RuleDirection)>, String> {
    let level =
        |l: &Level<'a>, d: RuleDirection| -> Result<Option<(&'a Nsg, RuleDirection)>, String> {
            match l {
                Level::Nsg(n) => Ok(Some((*n, d))),
                Level::Absent => Ok(None),
                Level::Missing(id) => Err(format!(
                    "the subnet's NSG {} was not given (--nsg or --effective-nsg)",
                    id_name(id)
                )),
                Level::Unknown => Err(
                    "no NSG was given (--nsg, --effective-nsg, or --subnet to show there is none)"
                        .into(),
                ),
            }
        };
    let (out, inb) = (RuleDirection::Outbound, RuleDirection::Inbound);
    let steps = match direction {
        Direction::Outbound => vec![level(&applied.nic, out)?, level(&applied.subnet, out)?],
        Direction::Inbound => vec![level(&applied.subnet, inb)?, level(&applied.nic, inb)?],
        Direction::Peer => vec![
            level(&applied.nic, out)?,
            level(&applied.subnet, out)?,
            level(&applied.subnet, inb)?,
            level(&applied.nic, inb)?,
        ],
    };
    Ok(steps.into_iter().flatten().collect())
}

/// The rules of `nsg` that see traffic in `direction`, by priority.
pub fn ordered(nsg: &Nsg, direction: RuleDirection) -> Vec<&SecurityRule> {
    let mut rules: Vec<&SecurityRule> = nsg
        .rules
        .iter()
        .filter(|r| r.direction == direction)
        .collect();
    rules.sort_by_key(|r| r.priority);
    rules
}

fn protocol_matches(p: Protocol, t: Transport) -> bool {
    matches!(
        (p, t),
        (Protocol::Any, _) | (Protocol::Tcp, Transport::Tcp) | (Protocol::Udp, Transport::Udp)
    )
}

/// Splits `ports` where any rule's destination ports begin or end, so that every rule holds
/// each piece wholly or not at all.
pub fn segments(ports: PortRange, rules: &[&SecurityRule]) -> Vec<PortRange> {
    let mut cuts = vec![u32::from(ports.from), u32::from(ports.to) + 1];
    for r in rules {
        for p in &r.destination_ports {
            for c in [u32::from(p.from), u32::from(p.to) + 1] {
                if c > u32::from(ports.from) && c <= u32::from(ports.to) {
                    cuts.push(c);
                }
            }
        }
    }
    cuts.sort_unstable();
    cuts.dedup();
    cuts.windows(2)
        .map(|w| PortRange {
            from: u16::try_from(w[0]).unwrap_or(u16::MAX),
            to: u16::try_from(w[1] - 1).unwrap_or(u16::MAX),
        })
        .collect()
}

/// What one rule decides of the undecided far side, or `None` when it does not apply.
fn decide(
    r: &SecurityRule,
    piece: (Transport, PortRange),
    left: &Remote,
    w: &World,
    notes: &mut Vec<String>,
) -> Option<Decided> {
    let (transport, ports) = piece;
    let dest_ok = r
        .destination_ports
        .iter()
        .any(|p| p.covers(ports.from, ports.to));
    if !protocol_matches(r.protocol, transport) || !dest_ok {
        return None;
    }
    let (local, far, expanded) = if r.direction == RuleDirection::Outbound {
        (&r.source, &r.destination, r.expanded_destination.as_deref())
    } else {
        (&r.destination, &r.source, r.expanded_source.as_deref())
    };
    let mut doubt = match covers_subnet(local, w) {
        Ok(false) => return None,
        Ok(true) => None,
        Err(why) => Some(why),
    };
    if !r.source_ports.contains(&PortRange::ANY) {
        let list: Vec<String> = r.source_ports.iter().map(ToString::to_string).collect();
        doubt.get_or_insert_with(|| {
            format!(
                "matches source ports {} only; a connection's source port is chosen by the sender",
                list.join(",")
            )
        });
    }
    match (cover_remote(far, expanded, left, w), doubt) {
        (Coverage::None(note), _) => {
            notes.extend(note);
            None
        }
        // A named part of arbitrary internet hosts (`Internet` flows go to Windows Update,
        // NTP servers …, not to a service tag): said, but no verdict on the flow.
        (Coverage::SomeOf(why), _) => {
            let does = if r.access == Access::Allow {
                "allows"
            } else {
                "denies"
            };
            notes.push(format!(
                "rule {} ({}) {does} only the part where {why}",
                r.name, r.priority
            ));
            None
        }
        (_, Some(why)) | (Coverage::Unknown(why), None) => Some(Decided::Unknown(why)),
        (Coverage::All, None) => Some(Decided::Rest(left.set.clone())),
        (Coverage::Part(set), None) => Some(Decided::Part(set)),
    }
}

/// What an NSG lets through to the next one: addresses, or the whole far side by name.
#[derive(Default)]
struct Passed {
    set: Option<RangeSet>,
    symbolic: bool,
}

impl Passed {
    fn add(&mut self, decided: &Decided) {
        match decided {
            Decided::Rest(None) => self.symbolic = true,
            Decided::Rest(Some(s)) | Decided::Part(s) => {
                self.set = Some(self.set.take().map_or_else(|| s.clone(), |p| p.union(s)));
            }
            Decided::Unknown(_) => {}
        }
    }

    fn next(self, remote: &Remote) -> Option<Remote> {
        if remote.set.is_some() {
            self.set.filter(|p| !p.is_empty()).map(|set| Remote {
                tag: remote.tag.clone(),
                set: Some(set),
            })
        } else {
            self.symbolic.then(|| remote.clone())
        }
    }
}

/// One NSG's rules over one port piece: the decisions, and what it lets through (to the next
/// NSG of the chain), `None` when nothing.
pub fn walk(
    stage: (usize, &Nsg),
    rules: &[&SecurityRule],
    piece: (Transport, PortRange),
    remote: &Remote,
    w: &World,
    notes: &mut Vec<String>,
) -> (Vec<Decision>, Option<Remote>) {
    let (stage, nsg) = stage;
    let mut left = remote.clone();
    let mut out = Vec::new();
    let mut passed = Passed::default();
    for r in rules {
        let Some(decided) = decide(r, piece, &left, w, notes) else {
            continue;
        };
        if r.access == Access::Allow {
            passed.add(&decided);
        }
        let done = match &decided {
            Decided::Rest(_) => true,
            Decided::Part(set) => {
                left.set = left.set.as_ref().map(|l| l.subtract(set));
                left.set.as_ref().is_some_and(RangeSet::is_empty)
            }
            Decided::Unknown(_) => false,
        };
        out.push(Decision {
            stage,
            rule: RuleRef::of(nsg, r),
            decided,
            ports: piece.1,
        });
        if done {
            break;
        }
    }
    (out, passed.next(remote))
}
