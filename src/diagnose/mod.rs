//! One cause for many failures: rules over the typed facts of all results that name what went
//! wrong — this machine's own routes or resolver, an unreachable DNS server, a service tag the NSG blocks, egress closed, a TLS
//! inspector, a proxy, a wrong clock — instead of leaving the user 56 rows with the same hint.
//!
//! Pure: a report's results in, causes out. Each rule proposes findings; they are taken in the
//! order of [`RULES`] (most specific first), each failure explained by one cause only, and a
//! finding that would explain fewer than two failures is dropped unless it is decisive on its own
//! (a clock off by minutes, a proxy asking for credentials). Nothing is invented: every cause's
//! evidence cites the facts it rests on. The causes come out most failures explained first.

mod clock;
mod dns;
mod finding;
mod local;
mod membership;
mod middlebox;
mod network;
pub mod view;

pub use finding::{Context, Finding};

use crate::report::model::{Cause, ResultEntry};

/// The causes on this machine itself, always named first.
const LOCAL: &[&str] = &["local_routing", "local_resolver"];

/// A rule: the results (and context) in, findings out.
type Rule = fn(&[ResultEntry], &Context) -> Vec<Finding>;

/// The rules, most specific first: what this machine refuses itself is named before anything on
/// the network; a DNS failure explains the names that could not resolve before any network rule
/// looks at them.
const RULES: &[Rule] = &[
    local::routing,
    local::resolver,
    dns::unreachable,
    dns::one_transport,
    dns::not_forwarding,
    network::egress_closed,
    middlebox::tls_inspection,
    middlebox::proxy,
    middlebox::firewall_denies,
    network::tag_blocked,
    network::ipv6_broken,
    network::private_addresses,
    membership::other_region,
    membership::outside_azure,
    middlebox::accepts_then_drops,
    clock::skew,
    dns::aaaa_dropped,
];

/// The causes behind a run's results, most failures explained first.
pub fn diagnose(results: &[ResultEntry], ctx: &Context) -> Vec<Cause> {
    let mut claimed = vec![false; results.len()];
    let mut causes: Vec<(usize, Cause)> = Vec::new();
    for rule in RULES {
        for f in rule(results, ctx) {
            // A failure is explained once; a result that did not fail (a warning's) may be cited
            // by several causes.
            let mine: Vec<usize> = f
                .explains
                .iter()
                .copied()
                .filter(|&i| i < results.len() && !(claimed[i] && view::failed(&results[i])))
                .collect();
            let failures = mine.iter().filter(|&&i| view::failed(&results[i])).count();
            if mine.is_empty() || (failures < 2 && !f.decisive) {
                continue;
            }
            for &i in &mine {
                claimed[i] = true;
            }
            causes.push((
                failures,
                Cause {
                    cause: f.cause.to_owned(),
                    summary: f.summary,
                    explains: mine,
                    evidence: f.evidence,
                    fix: f.fix,
                    fixes: f.fixes,
                },
            ));
        }
    }
    // This machine's own causes first (nothing on the network can be judged past them), then
    // the most failures explained.
    causes.sort_by_key(|(failures, c)| {
        (
            !LOCAL.contains(&c.cause.as_str()),
            std::cmp::Reverse(*failures),
        )
    });
    causes.into_iter().map(|(_, c)| c).collect()
}

/// The indices of results no cause explains that failed: what the formats still list one by one.
pub fn unexplained(results: &[ResultEntry], causes: &[Cause]) -> Vec<usize> {
    (0..results.len())
        .filter(|&i| view::failed(&results[i]) && !causes.iter().any(|c| c.explains.contains(&i)))
        .collect()
}

#[cfg(test)]
mod tests;
