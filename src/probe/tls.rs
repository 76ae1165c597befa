//! The `tls` check (stub: being written).

use tokio::time::Instant;

use super::{Context, Outcome, Phase, Status, Target};

/// What the TLS check trusts and expects (stub).
#[derive(Debug, Default)]
pub struct Trust {}

/// The chain and parameters a TLS peer presented (stub).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TlsEvidence {}

/// The `tls` check.
#[expect(clippy::unused_async, reason = "stub keeps the signature every kind shares")]
pub async fn probe(_target: &Target, _ctx: &Context, _deadline: Instant) -> Outcome {
    Outcome::new(
        Status::Error,
        Phase::Tls,
        "the tls check is not implemented yet",
    )
}
