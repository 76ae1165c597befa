//! Probe kinds: one file per [`CheckKind`], each `async fn probe(&Target, &Context, Instant) ->
//! Outcome`, and what they share below them.
//!
//! Imports run one way, from the check kinds down:
//! - check kinds: [`tcp`], [`dns`], [`ntp`], [`tls`], [`http`], and the exchange-based [`tds`],
//!   [`smb`], [`amqp`] over [`exchange`]; [`peer`] (pair mode, over `crate::pair`);
//! - the ways to reach a peer: [`connect`] (TCP, racing addresses) and [`failure`] (explaining
//!   a failed attempt: ICMP sender, or this machine's own refusal),
//!   [`resolve`] (the run's DNS), [`icmp`] (who sent an ICMP error), [`route`] (what the kernel
//!   says of a route), [`fds`], and [`trust`] (what a TLS chain should lead to);
//! - the vocabulary, which imports nothing above it: [`outcome`] with [`status`], [`facts`],
//!   [`evidence`] and [`warning`]; [`bytes`] and [`words`] for details; [`context`].
//!
//! Adding a kind means one file here, one variant of `CheckKind`, one arm in [`run`], and catalog
//! rows.

pub mod amqp;
pub mod bytes;
pub mod connect;
pub mod context;
pub mod dns;
pub mod evidence;
pub mod exchange;
pub mod facts;
pub mod failure;
pub mod fds;
pub mod http;
pub mod icmp;
pub mod ntp;
pub mod outcome;
pub mod peer;
pub mod private;
pub mod resolve;
pub mod route;
pub mod smb;
pub mod status;
pub mod tcp;
pub mod tds;
#[cfg(test)]
mod testcerts;
pub mod tls;
pub mod trust;
pub mod warning;
pub mod words;

use tokio::time::Instant;

use crate::catalog::model::CheckKind;
pub use context::{Context, Target};
pub use outcome::{Outcome, Phase, Status};
pub use words::human;

/// Runs one check against one target; ends by `deadline` with an outcome whatever the network does.
///
/// Each kind's future is boxed: a spawned probe then holds only the size of the kind it runs
/// (a TLS handshake's state is large), which keeps 10,000 probes in flight within a few dozen MB.
pub async fn run(check: CheckKind, target: &Target, ctx: &Context, deadline: Instant) -> Outcome {
    let mut outcome = run_kind(check, target, ctx, deadline).await;
    if target.private_address {
        private::judge(&mut outcome, &target.host, &ctx.vnet_ranges);
    }
    outcome
}

async fn run_kind(check: CheckKind, target: &Target, ctx: &Context, deadline: Instant) -> Outcome {
    match check {
        CheckKind::Tcp => Box::pin(tcp::probe(target, ctx, deadline)).await,
        CheckKind::Dns => Box::pin(dns::probe(target, ctx, deadline)).await,
        CheckKind::Ntp => Box::pin(ntp::probe(target, ctx, deadline)).await,
        CheckKind::Tls => Box::pin(tls::probe(target, ctx, deadline)).await,
        CheckKind::Http => Box::pin(http::probe(target, ctx, deadline)).await,
        CheckKind::Tds => Box::pin(tds::probe(target, ctx, deadline)).await,
        CheckKind::Smb => Box::pin(smb::probe(target, ctx, deadline)).await,
        CheckKind::Amqp => Box::pin(amqp::probe(target, ctx, deadline)).await,
        CheckKind::Amqps => Box::pin(amqp::probe_tls(target, ctx, deadline)).await,
        CheckKind::Peer => Box::pin(peer::probe(target, ctx, deadline)).await,
        // The plan never runs this; an outcome keeps a hand-made catalog from crashing the run.
        CheckKind::None => Outcome::skipped("no protocol to speak"),
    }
}
