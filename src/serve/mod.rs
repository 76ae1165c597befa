//! The small HTTP surface of `watch --listen`: `GET /metrics` (Prometheus), `GET /report` (the
//! last JSON report) and `GET /healthz` (whether the last run completed).
//!
//! The probing loop renders a [`Snapshot`] once per run and publishes it; the server runs on its
//! own thread with its own runtime and only ever clones the snapshot's `Arc`, so no client — slow,
//! silent, or sending garbage — can hold anything the probing loop waits for.

mod routes;
mod server;
mod snapshot;

pub use routes::{Reply, respond};
pub use server::{Limits, Server, bind};
pub use snapshot::{Health, Snapshot};
