//! The `amqp` check (stub: being written).

use tokio::time::Instant;

use super::{Context, Outcome, Phase, Status, Target};

/// The `amqp` check.
#[expect(clippy::unused_async, reason = "stub keeps the signature every kind shares")]
pub async fn probe(_target: &Target, _ctx: &Context, _deadline: Instant) -> Outcome {
    Outcome::new(
        Status::Error,
        Phase::Handshake,
        "the amqp check is not implemented yet",
    )
}
