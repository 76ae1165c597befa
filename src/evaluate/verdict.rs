//! From the decisions of the rules a flow met to its verdict, the deciding rule, the prefix
//! count, the words of `detail` and the hint.

use std::fmt::Write as _;

use ipnet::IpNet;

use super::flows::Flow;
use super::hint::{self, Hint};
use super::model::{FlowResult, PrefixCount, Verdict};
use super::near::{self, Field, FixedRule, Suggestion};
use super::nsg::{Decided, Decision, RuleRef};
use crate::azure::network::model::{Access, Nsg, RuleDirection};
use crate::azure::network::prefix::{Cover, RangeSet};

/// What walking the NSG chain over every port piece gave.
pub(crate) struct Walked<'a> {
    /// The NSGs met, in order.
    pub chain: &'a [(&'a Nsg, RuleDirection)],
    /// Every decision, in the order made.
    pub decisions: Vec<Decision>,
    /// Whether some of the flow passed every NSG.
    pub through: bool,
    /// The far side's addresses that passed every NSG on every port, when known.
    pub allowed: Option<RangeSet>,
    /// Remarks met on the way (another region's tag …).
    pub notes: Vec<String>,
    /// Which NSG of the chain is the subnet's.
    pub subnet_stage: Option<usize>,
}

/// The verdict, the first rule that denied something, and the first doubtful rule that would
/// have decided otherwise (which makes the verdict `unknown`).
fn judge<'w>(w: &'w Walked) -> (Verdict, Option<&'w Decision>, Option<&'w Decision>) {
    let first_deny = w
        .decisions
        .iter()
        .find(|d| d.decided.is_sure() && d.rule.access == Access::Deny);
    let verdict = match (w.through, first_deny.is_some()) {
        (true, false) => Verdict::Allowed,
        (true, true) => Verdict::Partial,
        (false, _) => Verdict::Denied,
    };
    // A rule that may or may not apply matters when it would decide otherwise.
    let differs = |d: &&Decision| {
        !d.decided.is_sure()
            && match verdict {
                Verdict::Allowed => d.rule.access == Access::Deny,
                Verdict::Denied => d.rule.access == Access::Allow,
                _ => true,
            }
    };
    match w.decisions.iter().find(differs) {
        Some(doubt) => (Verdict::Unknown, first_deny, Some(doubt)),
        None => (verdict, first_deny, None),
    }
}

/// How many of the far side's prefixes passed every NSG on every port.
fn count(prefixes: Option<&[IpNet]>, allowed: Option<&RangeSet>) -> Option<PrefixCount> {
    match (prefixes, allowed) {
        (Some(list), Some(set)) if !list.is_empty() => Some(PrefixCount {
            covered: list
                .iter()
                .filter(|p| set.cover_of_prefix(p) == Cover::All)
                .count(),
            total: list.len(),
        }),
        _ => None,
    }
}

/// The result of a flow from its walk. `label` names the far side (`Storage.WestEurope`).
pub(crate) fn conclude(
    flow: &Flow,
    label: &str,
    prefixes: Option<&[IpNet]>,
    w: &Walked,
) -> FlowResult {
    let (verdict, first_deny, doubt) = judge(w);
    let count = count(prefixes, w.allowed.as_ref());
    let allow_rule = allowing(w);
    let rule = match verdict {
        Verdict::Allowed => allow_rule.cloned(),
        Verdict::Denied | Verdict::Partial => first_deny.map(|d| d.rule.clone()),
        Verdict::Unknown => doubt.map(|d| d.rule.clone()),
    };
    let facts = Facts {
        verdict,
        count,
        first_deny,
        doubt,
        allow_rule,
    };
    let mut detail = describe(flow, label, w, &facts);
    if !w.notes.is_empty() {
        let _ = write!(detail, " (note: {})", w.notes.join("; "));
    }
    let mut blocking: Vec<RuleRef> = Vec::new();
    for d in w
        .decisions
        .iter()
        .filter(|d| d.decided.is_sure() && d.rule.access == Access::Deny)
    {
        if !blocking.contains(&d.rule) {
            blocking.push(d.rule.clone());
        }
    }
    let hint = first_deny
        .filter(|_| verdict != Verdict::Allowed)
        .and_then(|d| {
            w.chain.get(d.stage).map(|(nsg, _)| {
                let mut h = hint::nsg_rule(flow, nsg, &d.rule);
                h.code = in_code(&h, nsg);
                h
            })
        });
    FlowResult {
        flow: flow.clone(),
        verdict,
        rule,
        next_hop: None,
        prefixes: count,
        detail,
        hint,
        also: Vec::new(),
        blocking,
    }
}

/// What `describe` puts in words.
struct Facts<'a> {
    verdict: Verdict,
    count: Option<PrefixCount>,
    first_deny: Option<&'a Decision>,
    doubt: Option<&'a Decision>,
    allow_rule: Option<&'a RuleRef>,
}

/// The allow rule to report: the subnet NSG's when it allowed, else the last NSG's.
fn allowing<'a>(w: &'a Walked) -> Option<&'a RuleRef> {
    // A rule that let all that was left through says more than one that let a part through.
    let allows = |stage: usize| {
        let mine = || {
            w.decisions
                .iter()
                .filter(move |d| d.stage == stage && d.rule.access == Access::Allow)
        };
        mine()
            .find(|d| matches!(d.decided, Decided::Rest(_)))
            .or_else(|| mine().find(|d| d.decided.is_sure()))
            .map(|d| &d.rule)
    };
    w.subnet_stage
        .and_then(allows)
        .or_else(|| (0..w.chain.len()).rev().find_map(allows))
}

fn rule_words(r: &RuleRef) -> String {
    let modelled = if r.default { ", a default rule" } else { "" };
    format!("NSG {} rule {} ({}{modelled})", r.nsg, r.name, r.priority)
}

fn describe(flow: &Flow, label: &str, w: &Walked, f: &Facts) -> String {
    let what = format!("{} {}", flow.transport.as_str().to_uppercase(), flow.ports);
    let towards = if flow.direction == crate::catalog::model::Direction::Inbound {
        "from"
    } else {
        "to"
    };
    let mut allows: Vec<String> = Vec::new();
    for d in w
        .decisions
        .iter()
        .filter(|d| d.rule.access == Access::Allow && d.decided.is_sure())
    {
        let words = rule_words(&d.rule);
        if !allows.contains(&words) {
            allows.push(words);
        }
    }
    match f.verdict {
        Verdict::Allowed if f.allow_rule.is_some() => {
            format!("allowed by {}", allows.join(", then "))
        }
        Verdict::Allowed => "allowed".into(),
        Verdict::Denied => match f.first_deny {
            Some(d) => format!("{} denies {what} {towards} {label}", rule_words(&d.rule)),
            None => format!("denied {what} {towards} {label}"),
        },
        Verdict::Partial => partial_words(&what, towards, label, w, f, &allows),
        Verdict::Unknown => {
            let d = f
                .doubt
                .expect("an unknown verdict comes from a doubtful rule");
            let why = match &d.decided {
                Decided::Unknown(why) => why.as_str(),
                _ => "",
            };
            let access = match d.rule.access {
                Access::Allow => "allows",
                Access::Deny => "denies",
            };
            format!(
                "{} {access} {what} {towards} {label} only if it applies: it {why}",
                rule_words(&d.rule)
            )
        }
    }
}

/// "2 of 4 Storage.WestEurope prefixes allowed by …; … denies the rest", or by ports.
fn partial_words(
    what: &str,
    towards: &str,
    label: &str,
    w: &Walked,
    f: &Facts,
    allows: &[String],
) -> String {
    let deny = f
        .first_deny
        .map(|d| rule_words(&d.rule))
        .unwrap_or_default();
    let how = match f.count {
        Some(c) if c.covered < c.total => {
            format!("{} of {} {label} prefixes allowed", c.covered, c.total)
        }
        _ => {
            let mut ports: Vec<String> = Vec::new();
            for d in w
                .decisions
                .iter()
                .filter(|d| d.rule.access == Access::Allow)
            {
                let p = d.ports.to_string();
                if !ports.contains(&p) {
                    ports.push(p);
                }
            }
            format!(
                "ports {} of {what} {towards} {label} allowed",
                ports.join(",")
            )
        }
    };
    format!("{how} by {}; {deny} denies the rest", allows.join(", "))
}

/// A hint's new rule written in the code that declares `nsg`, when it comes from code.
fn in_code(h: &Hint, nsg: &Nsg) -> Option<Suggestion> {
    let origin = nsg.origin.as_ref()?;
    let fixed = FixedRule {
        nsg: nsg.name.clone(),
        name: h.name.clone()?,
        priority: h.priority?,
        direction: h.direction?,
        protocol: h.protocol?.to_owned(),
        source: vec![h.source.clone()?],
        destination: vec![h.destination.clone()?],
        source_ports: vec!["*".into()],
        ports: vec![h.ports.clone()?],
        changed: Field::Ports,
    };
    // Inline when the code declares any of the NSG's rules inside it.
    let inside = format!("{}.security_rule", origin.address);
    let inline = nsg
        .rules
        .iter()
        .filter_map(|r| r.origin.as_ref())
        .any(|o| o.address.starts_with(&inside));
    Some(near::added(&fixed, origin, inline))
}
