//! Real servers on the far side: `dnsmasq` (DNS over UDP and TCP), `nginx` as plain TCP/HTTP
//! listeners (`start_web`, a shorthand for `servers.rs`'s `start_nginx`) and `chronyd` (an NTP
//! server that never touches the clock), run in the foreground inside `azure` with configuration
//! files in the lab's scratch folder.

use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use super::netns::{BOUND, Family, Lab, Service, run};

/// The root zone's trust anchor (KSK-2017). Only used to make the lab's dnsmasq validate, so
/// that an unsigned answer from its lab upstream is BOGUS and the client gets SERVFAIL.
const ROOT_TRUST_ANCHOR: &str =
    ".,20326,8,2,E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D";

/// What the lab's DNS server answers.
#[derive(Clone, Debug, Default)]
pub struct Zone {
    hosts: Vec<(String, Service)>,
    nxdomain: Vec<String>,
    servfail: Vec<String>,
}

impl Zone {
    /// An empty zone: every name unknown (REFUSED, as dnsmasq without upstream answers).
    pub fn new() -> Self {
        Self::default()
    }

    /// `name` resolves to the service's addresses: A and/or AAAA; the missing type is NODATA.
    pub fn host(&mut self, name: &str, svc: &Service) -> &mut Self {
        self.hosts.push((name.to_owned(), svc.clone()));
        self
    }

    /// `name` (and every name under it) gets NXDOMAIN.
    pub fn nxdomain(&mut self, name: &str) -> &mut Self {
        self.nxdomain.push(name.to_owned());
        self
    }

    /// `name` gets SERVFAIL (through a lab upstream whose answer fails DNSSEC validation).
    pub fn servfail(&mut self, name: &str) -> &mut Self {
        self.servfail.push(name.to_owned());
        self
    }
}

/// Something a daemon must be listening on before it counts as ready.
#[derive(Clone, Copy, Debug)]
pub(super) enum Listen {
    Tcp(SocketAddr),
    Udp(SocketAddr),
    TcpPort(u16),
    UdpPort(u16),
}

impl Lab {
    /// A lab with one service per name (of `family`) and dnsmasq answering for them: the lab,
    /// the DNS server's address and the services, in the order of `names`.
    pub fn with_names(names: &[&str], family: Family) -> Option<(Lab, SocketAddr, Vec<Service>)> {
        let mut lab = Lab::start()?;
        let svcs = lab.services(names.len(), family);
        let mut zone = Zone::new();
        for (name, svc) in names.iter().zip(&svcs) {
            zone.host(name, svc);
        }
        let dns_svc = lab.service(Family::V4);
        let dns = lab.start_dns(&dns_svc, &zone);
        Some((lab, dns, svcs))
    }

    /// Starts dnsmasq on the addresses of `on` (port 53, UDP and TCP) serving `zone`; returns
    /// the address to give `--dns-server` (the IPv4 one when there is one).
    pub fn start_dns(&mut self, on: &Service, zone: &Zone) -> SocketAddr {
        let n = self.daemons.len();
        let dir = self.dir().to_owned();
        let mut conf = String::new();
        let mut ready = Vec::new();
        // `log-facility=-`: to stderr, which the lab keeps in the daemon's log file.
        conf.push_str(
            "no-resolv\nno-hosts\nbind-interfaces\nport=53\nuser=root\nlog-queries\nlog-facility=-\n",
        );
        for ip in on.addrs() {
            let _ = writeln!(conf, "listen-address={ip}");
            ready.push(Listen::Udp(SocketAddr::new(ip, 53)));
            ready.push(Listen::Tcp(SocketAddr::new(ip, 53)));
        }
        for (name, svc) in &zone.hosts {
            let addrs: Vec<String> = svc.addrs().iter().map(ToString::to_string).collect();
            // `local=` makes the name local-only, so a missing type is NODATA, not REFUSED.
            let _ = writeln!(
                conf,
                "host-record={name},{}\nlocal=/{name}/",
                addrs.join(",")
            );
        }
        for name in &zone.nxdomain {
            let _ = writeln!(conf, "address=/{name}/");
        }
        if !zone.servfail.is_empty() {
            let upstream = self.start_unsigned_upstream(&zone.servfail);
            let _ = writeln!(
                conf,
                "server={upstream}\ndnssec\ntrust-anchor={ROOT_TRUST_ANCHOR}\ndnssec-check-unsigned"
            );
        }
        let path = dir.join(format!("dnsmasq-{n}.conf"));
        std::fs::write(&path, conf).expect("write dnsmasq.conf");
        let program = self.tools.dnsmasq.clone();
        self.spawn_in_azure(
            &format!("dnsmasq-{n}"),
            &program,
            &[
                "--keep-in-foreground".into(),
                "--pid-file=".into(),
                format!("--conf-file={}", path.display()),
            ],
        );
        self.wait_ready(&ready);
        SocketAddr::new(on.addrs()[0], 53)
    }

    /// A second dnsmasq, the first one's only upstream, answering the SERVFAIL names without
    /// signatures (and the DS questions of their top-level domains with NODATA): the validating
    /// first one finds them BOGUS and answers SERVFAIL, over UDP and TCP alike.
    fn start_unsigned_upstream(&mut self, names: &[String]) -> IpAddr {
        let svc = self.service(Family::V4);
        let ip = svc.ip4();
        let n = self.daemons.len();
        let dir = self.dir().to_owned();
        let mut conf = format!(
            "no-resolv\nno-hosts\nbind-interfaces\nport=53\nuser=root\nlisten-address={ip}\nlog-queries\nlog-facility=-\n"
        );
        for name in names {
            let tld = name.rsplit('.').next().unwrap_or(name);
            let _ = writeln!(conf, "host-record={name},{ip}\nlocal=/{tld}/");
        }
        let path = dir.join(format!("dnsmasq-{n}-upstream.conf"));
        std::fs::write(&path, conf).expect("write upstream dnsmasq.conf");
        let program = self.tools.dnsmasq.clone();
        self.spawn_in_azure(
            &format!("dnsmasq-{n}-upstream"),
            &program,
            &[
                "--keep-in-foreground".into(),
                "--pid-file=".into(),
                format!("--conf-file={}", path.display()),
            ],
        );
        self.wait_ready(&[Listen::Udp(SocketAddr::new(ip, 53))]);
        ip
    }

    /// Starts nginx listening on every address of `azure` (IPv4 and IPv6) on these TCP ports,
    /// answering HTTP 200 to whatever comes (the current checks only need the handshake).
    pub fn start_web(&mut self, ports: &[u16]) {
        self.start_nginx(&super::servers::Web {
            http_ports: ports.to_vec(),
            ..Default::default()
        });
    }

    /// Starts chronyd as an NTP server on UDP 123 of every address of `azure`. It serves this
    /// machine's clock (`local stratum 8`) and never adjusts it (`-x`).
    pub fn start_ntp(&mut self) {
        let n = self.daemons.len();
        let dir = self.dir().join(format!("chrony-{n}"));
        std::fs::create_dir_all(&dir).expect("chrony folder");
        let conf = format!(
            "local stratum 8\nallow all\nport 123\ncmdport 0\nbindcmdaddress /\npidfile {}\n",
            dir.join("chronyd.pid").display()
        );
        let path = dir.join("chrony.conf");
        std::fs::write(&path, conf).expect("write chrony.conf");
        let program = self.tools.chronyd.clone();
        self.spawn_in_azure(
            &format!("chronyd-{n}"),
            &program,
            &[
                "-d".into(),
                "-x".into(),
                "-u".into(),
                "root".into(),
                "-f".into(),
                path.display().to_string(),
            ],
        );
        self.wait_ready(&[Listen::UdpPort(123)]);
    }

    /// Polls `ss` inside `azure` until everything listens; panics (with the daemon logs) when
    /// the newest daemon exits or the bound passes.
    pub(super) fn wait_ready(&mut self, want: &[Listen]) {
        let deadline = Instant::now() + BOUND;
        loop {
            let daemon = self.daemons.last_mut().expect("a daemon was started");
            if let Ok(Some(status)) = daemon.child.try_wait() {
                let log = std::fs::read_to_string(&daemon.log).unwrap_or_default();
                panic!("lab daemon {} exited early ({status}):\n{log}", daemon.name);
            }
            let tcp = self.listening("-Hlnt");
            let udp = self.listening("-Hlnu");
            let missing: Vec<&Listen> = want
                .iter()
                .filter(|w| match w {
                    Listen::Tcp(a) => !tcp.contains(&a.to_string()),
                    Listen::Udp(a) => !udp.contains(&a.to_string()),
                    Listen::TcpPort(p) => !tcp.iter().any(|l| l.ends_with(&format!(":{p}"))),
                    Listen::UdpPort(p) => !udp.iter().any(|l| l.ends_with(&format!(":{p}"))),
                })
                .collect();
            if missing.is_empty() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "lab daemon not listening after {BOUND:?}: {missing:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Local addresses of listening sockets in `azure`, as `ss` prints them (`%dev` removed).
    fn listening(&self, flags: &str) -> Vec<String> {
        let mut cmd = self.in_ns(&self.azure, &self.tools.ss);
        cmd.arg(flags);
        let out = run(&mut cmd).unwrap_or_else(|e| panic!("lab ss: {e}"));
        out.lines()
            .filter_map(|l| l.split_whitespace().nth(3))
            .map(strip_scope)
            .collect()
    }
}

/// `198.19.0.1%lo:53` → `198.19.0.1:53`; `[2001:2::1%lo]:53` → `[2001:2::1]:53`.
fn strip_scope(local: &str) -> String {
    let Some(i) = local.find('%') else {
        return local.to_owned();
    };
    let rest = &local[i..];
    let end = rest
        .find(']')
        .or_else(|| rest.rfind(':'))
        .unwrap_or(rest.len());
    format!("{}{}", &local[..i], &rest[end..])
}
