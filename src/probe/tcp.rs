//! The `tcp` check: resolve, then a TCP handshake (see [`super::connect`] for how addresses are
//! raced and failures explained). Used where no protocol answer can be asked for cheaply.

use tokio::time::Instant;

use super::connect::with_connection;
use super::context::{Context, Target};
use super::outcome::{Outcome, Phase, Status};

/// The `tcp` check.
pub async fn probe(target: &Target, ctx: &Context, deadline: Instant) -> Outcome {
    with_connection(target, ctx, deadline, async |conn| {
        let detail = format!("TCP handshake with {} completed", conn.peer);
        Outcome::new(Status::Ok, Phase::Connect, detail)
    })
    .await
}
