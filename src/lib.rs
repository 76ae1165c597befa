//! apim-probe: probe Azure API Management's network dependencies from inside its subnet, and
//! say why each one fails.
//!
//! Data flows one way: [`cli`] → [`settings`] → [`catalog`] (load, plan) → [`runner`] (which calls
//! [`probe`] kinds) → [`report`] (model, hints, formats). [`app`] strings the steps together.

// First: its `names!` macro is used by the enums of the modules below.
#[macro_use]
pub mod names;

pub mod app;
pub mod azure;
pub mod catalog;
pub mod cli;
pub mod diagnose;
pub mod evaluate;
pub mod exit;
pub mod limits;
pub mod merge;
pub mod pair;
pub mod probe;
pub mod report;
pub mod runner;
pub mod script;
pub mod serve;
pub mod settings;
pub mod timestamp;
