//! The network lab of issue 3: two network namespaces joined by a veth pair, an nftables "NSG" on
//! the far side, real `dnsmasq`, `nginx` and `chronyd` from Debian packages, and the real binary
//! run inside. `demo.sh` next to this file builds the same lab by hand.
//!
//! ```text
//!   subnet namespace                      azure namespace
//!   (apim-probe runs here)                (the far side: services, DNS, the NSG)
//!   s0 198.18.0.2/24  ────── veth ──────  a0 198.18.0.1/24
//!      2001:2::2/64                          2001:2::1/64
//!   routes: 198.19.0.0/16 via 198.18.0.1  lo: one address per fake service,
//!           2001:2:0:1::/64 via 2001:2::1     198.19.x.y/32 and 2001:2:0:1::n/128
//!                                         nft table `inet nsg`, chain `input`
//! ```
//!
//! Only the benchmarking ranges 198.18.0.0/15 and 2001:2::/48 are used, and only inside
//! namespaces the lab created (see /work/shared/LAB.md). [`Lab::start`] builds one; dropping it
//! (also while a test panics) kills every daemon it started and deletes both namespaces, which
//! takes the veth pair and the nft table with them. Names carry the pid and a counter, so tests
//! run in parallel.
//!
//! Use: `let Some(mut lab) = Lab::start() else { return };`, then `lab.service(Family::Dual)` for
//! addresses, `lab.start_dns(&dns_svc, &zone)` / `start_web(&ports)` / `start_ntp()` for servers,
//! `lab.block(…)` / `route_in_subnet(…)` for the NSG and routes, `lab.check_json(dns, &args)` to
//! run the binary.
//!
//! When the lab cannot be built (not root, a tool missing), [`Lab::start`] prints
//! `LAB SKIPPED: <reason>` and returns `None` — except under `CI=true`, where it panics.

#![allow(dead_code, unused_imports)]

mod daemons;
mod netns;
mod nsg;
mod pki;
mod prereq;
mod responder;
mod run;
mod servers;

pub use daemons::Zone;
pub use netns::{Family, Lab, Service};
pub use nsg::{Proto, RouteKind, Verdict};
pub use pki::{Ca, Leaf, store};
pub use prereq::under_ci;
pub use responder::{AMQP_REPLY, Kind, TDS_REPLY, wildcard};
pub use run::{Run, detail, errno_of, failed, result, results, row, tcp_row};
pub use servers::{FIREWALL_DENY_BODY, Web};
