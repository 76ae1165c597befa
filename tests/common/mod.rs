//! Everything the integration tests share, in one place. Each test file says `mod common;` and
//! uses what it needs:
//!
//! | module | what it gives | used by |
//! |---|---|---|
//! | [`support`] | the binary, catalogs in a temp folder, a loopback DNS responder, closed ports | CLI, format, protocol tests |
//! | [`responders`] | small TDS/SMB/AMQP/NTP peers on loopback, well-behaved or hostile | `protocols*.rs` |
//! | [`peers`] | TLS and HTTP peers on loopback (a lab CA, an interceptor, a deny page) | `tls.rs`, `http.rs` |
//! | [`apim_files`] | APIM's own JSON inputs (`--dependencies`, `--apim-status`) | `azure.rs`, `dependencies.rs` |
//! | [`shipped`] | what `packaging/` builds, and how to run it (gated by `APIM_PROBE_PACKAGING`) | `packaging*.rs` |
//! | [`listener`] | `apim-probe listen` on 127.0.0.1, its JSON log, `peer` catalogs, `/proc` numbers | `pair.rs` |
//! | [`lab`] | the network lab: namespaces, nftables as the NSG, real daemons (needs root) | `lab_*.rs` |
//! | [`agent`] | `apim-probe watch` running: its log, report file, HTTP, a signal to stop | `watch.rs`, `lab_watch.rs` |
//! | [`watch_unit`] | `apim-probe-watch.service` through `systemd-analyze verify` and `security` | `watch.rs`, `packaging.rs` |
//! | [`prereq`] | the one way to skip a test whose prerequisite is missing (a failure under CI) | all that need root or a daemon |
//!
//! Every test binary compiles all of it and uses a part, hence the allowances below.

#![allow(dead_code, unused_imports)]

pub mod agent;
pub mod apim_files;
pub mod lab;
pub mod listener;
pub mod peers;
pub mod prereq;
pub mod responders;
pub mod shipped;
pub mod support;
pub mod watch_unit;
