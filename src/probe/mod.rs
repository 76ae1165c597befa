//! Probe kinds: one file per [`CheckKind`], each `async fn probe(&Target, &Context, Instant) -> Outcome`.
//!
//! Adding a kind means one file here, one variant of `CheckKind`, one arm in [`run`], and catalog rows.

pub mod amqp;
pub mod dns;
pub mod exchange;
pub mod fds;
pub mod http;
pub mod icmp;
pub mod ntp;
pub mod outcome;
pub mod resolve;
pub mod smb;
pub mod tcp;
pub mod tds;
pub mod tls;

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use crate::catalog::model::{CheckKind, Transport};
pub use outcome::{Outcome, Phase, Status};
use resolve::Dns;

/// Where a probe goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Host name or address literal.
    pub host: String,
    /// Port.
    pub port: u16,
    /// Transport.
    pub transport: Transport,
}

/// What every probe may use: the run's resolver and its limits.
#[derive(Clone)]
pub struct Context {
    /// The run's resolver (shared answers per host).
    pub dns: Arc<Dns>,
    /// The per-probe limit, for details ("within 5s").
    pub timeout: Duration,
    /// Trust store and expected issuers for `tls` (and TLS-wrapped) checks.
    pub trust: Arc<tls::Trust>,
    /// Clock offset above which the `ntp` check adds a warning.
    pub max_clock_skew: Duration,
}

/// Runs one check against one target; ends by `deadline` with an outcome whatever the network does.
///
/// Each kind's future is boxed: a spawned probe then holds only the size of the kind it runs
/// (a TLS handshake's state is large), which keeps 10,000 probes in flight within a few dozen MB.
pub async fn run(check: CheckKind, target: &Target, ctx: &Context, deadline: Instant) -> Outcome {
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
        // The plan never runs this; an outcome keeps a hand-made catalog from crashing the run.
        CheckKind::None => Outcome::skipped("no protocol to speak"),
    }
}

/// "5s", "500ms": how a limit is written in details.
pub fn human(d: Duration) -> String {
    if d.as_millis().is_multiple_of(1000) {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}
