//! Each rule on hand-built results: it names its cause with the concrete names, explains what it
//! should, and nothing else is claimed.

mod helpers;
mod local;
mod network;
mod others;
