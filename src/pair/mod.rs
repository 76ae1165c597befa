//! Pair mode: proving the VNet-internal ports between two machines (`listen` on one, `check
//! --peer` on the other), authenticated by a challenge-response keyed by a shared token.
//!
//! - [`wire`]: the three messages, as bytes (pure);
//! - [`auth`]: the token, the MACs, and the decisions of both sides (pure);
//! - [`log`]: the listener's JSON-lines log, and finding one request in it (pure);
//! - [`guard`]: the listener's bounded state (rate limits, answered nonces, counts);
//! - [`listener`]: the listener's sockets (the only I/O here).
//!
//! The prober's side is the `peer` check kind, `crate::probe::peer`.

pub mod auth;
pub mod guard;
pub mod listener;
pub mod log;
pub mod wire;

pub use auth::{Token, TokenError};
