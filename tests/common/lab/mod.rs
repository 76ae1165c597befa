//! The network lab of issues 3 and 4: two network namespaces joined by a veth pair, an nftables
//! "NSG" on the far side, real servers from Debian packages — `dnsmasq`, `nginx` (HTTP, and TLS
//! with certificates from a lab PKI made at test time), `chronyd`, samba's `smbd` — plus the
//! lab's own responders (TDS, AMQP, AMQP over TLS, a skewed SNTP server, a silent sink) where
//! Debian has no daemon, and the real binary run inside. `scripts/demo.sh` builds a
//! similar lab by hand.
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
//! namespaces the lab created. [`Lab::start`] builds one; dropping it
//! (also while a test panics) kills every daemon it started and deletes both namespaces, which
//! takes the veth pair and the nft table with them. Names carry the pid and a counter, so tests
//! run in parallel.
//!
//! Use: `let Some(mut lab) = Lab::start() else { return };`, then `lab.service(Family::Dual)` for
//! addresses, `lab.start_dns(&dns_svc, &zone)` / `start_web(&ports)` / `start_nginx(&Web)` /
//! `start_ntp()` / `start_smb(&svc)` / `start_responder(&Kind, &addrs)` / `start_sink(&svc, …)`
//! for servers, `Ca::new(…)` / `ca.leaf(…)` / `store(…)` for certificates, `lab.block(…)` /
//! `route_in_subnet(…)` for the NSG and routes, `lab.check_json(dns, &args)` (or
//! `check_json_env` with `SSL_CERT_FILE`) to run the binary; `start_listener(…)` runs
//! `apim-probe listen` inside `azure` for pair mode, `drop_in_subnet(…)` drops its answers on the
//! prober's side.
//!
//! When the lab cannot be built (not root, a tool missing), [`Lab::start`] prints
//! `LAB SKIPPED: <reason>` and returns `None` — except under `CI=true`, where it panics.

#![allow(dead_code, unused_imports)]

mod catalog;
mod daemons;
mod netns;
mod nsg;
mod pair;
mod pki;
mod prereq;
mod responder;
mod run;
mod servers;
mod slow_dns;
mod stub;

pub use catalog::{CatalogLab, SCOPE};
pub use daemons::Zone;
pub use netns::{Family, Lab, Service};
pub use nsg::{Proto, RouteKind, Verdict};
pub use pair::{LISTENER, PROBER, listener_log, probes_on};
pub use pki::{Ca, Leaf, store};
pub use prereq::under_ci;
pub use responder::{AMQP_REPLY, Kind, TDS_REPLY, wildcard};
pub use run::{Run, detail, dns_checks, dns_row, errno_of, failed, result, results, row, tcp_row};
pub use servers::{ClientAuth, FIREWALL_DENY_BODY, Page, Web};
