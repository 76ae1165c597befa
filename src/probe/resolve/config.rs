//! Which DNS servers to ask: the system's configuration, or the servers given, as a resolver
//! configuration. A local caching stub (systemd-resolved's 127.0.0.53 on Azure's Ubuntu images, a
//! dnsmasq on 127.0.0.1) always answers, so probing it says nothing about the VNet's DNS: when
//! every configured server is a loopback stub, its upstream servers are read from where the stub
//! keeps them and asked instead, and the report says which stub was bypassed.

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::time::Duration;

use hickory_resolver::config::{
    LookupIpStrategy, NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts,
};

/// Files that name a local stub's upstream servers, in the order they are tried, and the stub
/// that writes each.
const UPSTREAM_FILES: &[(&str, &str)] = &[
    ("/run/systemd/resolve/resolv.conf", "systemd-resolved"),
    ("/run/NetworkManager/no-stub-resolv.conf", "NetworkManager"),
];

/// dnsmasq's configuration: `server=` lines (or a `resolv-file=`) name its upstream servers.
const DNSMASQ_CONF: &str = "/etc/dnsmasq.conf";

/// dnsmasq's configuration folder, read after [`DNSMASQ_CONF`].
const DNSMASQ_DIR: &str = "/etc/dnsmasq.d";

/// The system's DNS configuration, with a local stub bypassed when its upstream is known.
#[derive(Debug)]
pub struct SystemDns {
    /// What to ask, or why nothing can be.
    pub config: Result<ResolverConfig, String>,
    /// The local stub the system configuration names, when it names only one.
    pub stub: Option<Stub>,
}

/// A local caching stub found in the system configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stub {
    /// Its addresses (`127.0.0.53:53`).
    pub servers: Vec<SocketAddr>,
    /// Where its upstream servers were read, when they were found (then they are asked instead),
    /// and what writes that file.
    pub upstream_from: Option<(String, String)>,
}

/// Reads the system's DNS configuration (`/etc/resolv.conf`, or the registry on Windows), and
/// bypasses a local stub whose upstream servers can be found.
pub fn system_dns() -> SystemDns {
    let config = match hickory_resolver::system_conf::read_system_conf() {
        Ok((config, _)) => config,
        Err(e) => {
            return SystemDns {
                config: Err(format!("cannot read the system's DNS configuration: {e}")),
                stub: None,
            };
        }
    };
    let servers = servers_of(&config);
    if servers.is_empty() || !servers.iter().all(|s| s.ip().is_loopback()) {
        return SystemDns {
            config: Ok(config),
            stub: None,
        };
    }
    match upstream(Path::new("/")) {
        Some((upstream, file, by)) => SystemDns {
            config: Ok(servers_config(&upstream)),
            stub: Some(Stub {
                servers,
                upstream_from: Some((file, by)),
            }),
        },
        None => SystemDns {
            config: Ok(config),
            stub: Some(Stub {
                servers,
                upstream_from: None,
            }),
        },
    }
}

/// The upstream servers of a local stub, the file they were read from, and the stub's name;
/// `root` is `/` (a test's folder in unit tests).
pub fn upstream(root: &Path) -> Option<(Vec<SocketAddr>, String, String)> {
    let at = |p: &str| root.join(p.trim_start_matches('/'));
    for (file, by) in UPSTREAM_FILES {
        let Ok(text) = std::fs::read_to_string(at(file)) else {
            continue;
        };
        let servers = not_loopback(resolv_conf_servers(&text));
        if !servers.is_empty() {
            return Some((servers, (*file).to_owned(), (*by).to_owned()));
        }
    }
    let mut confs = vec![at(DNSMASQ_CONF)];
    if let Ok(dir) = std::fs::read_dir(at(DNSMASQ_DIR)) {
        let mut more: Vec<_> = dir.filter_map(Result::ok).map(|e| e.path()).collect();
        more.sort();
        confs.extend(more);
    }
    for conf in confs {
        let Ok(text) = std::fs::read_to_string(&conf) else {
            continue;
        };
        let servers = not_loopback(dnsmasq_servers(&text, root));
        if !servers.is_empty() {
            let file = conf.display().to_string();
            return Some((servers, file, "dnsmasq".to_owned()));
        }
    }
    None
}

fn not_loopback(servers: Vec<SocketAddr>) -> Vec<SocketAddr> {
    servers
        .into_iter()
        .filter(|s| !s.ip().is_loopback())
        .collect()
}

/// The `nameserver` addresses of a resolv.conf (a `%zone` suffix dropped), port 53.
pub fn resolv_conf_servers(text: &str) -> Vec<SocketAddr> {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("nameserver"))
        .filter_map(|rest| {
            let addr = rest.trim().split('%').next()?;
            addr.parse::<IpAddr>().ok()
        })
        .map(|ip| SocketAddr::new(ip, 53))
        .collect()
}

/// dnsmasq's upstream servers: `server=IP[#PORT]` lines (not `server=/domain/…`), or the
/// nameservers of its `resolv-file=` (under `root`).
pub fn dnsmasq_servers(text: &str, root: &Path) -> Vec<SocketAddr> {
    let mut out = Vec::new();
    for line in text.lines().map(str::trim) {
        if let Some(v) = line.strip_prefix("server=").filter(|v| !v.starts_with('/')) {
            let (ip, port) = v.split_once('#').unwrap_or((v, "53"));
            if let (Ok(ip), Ok(port)) = (ip.trim().parse::<IpAddr>(), port.trim().parse()) {
                out.push(SocketAddr::new(ip, port));
            }
        } else if let Some(file) = line.strip_prefix("resolv-file=") {
            let path = root.join(file.trim().trim_start_matches('/'));
            if let Ok(t) = std::fs::read_to_string(path) {
                out.extend(resolv_conf_servers(&t));
            }
        }
    }
    out
}

/// A configuration that asks exactly these servers, over UDP with TCP for truncated answers.
pub fn servers_config(servers: &[SocketAddr]) -> ResolverConfig {
    let mut config = ResolverConfig::from_parts(None, vec![], vec![]);
    for s in servers {
        let mut ns = NameServerConfig::udp_and_tcp(s.ip());
        for c in &mut ns.connections {
            c.port = s.port();
        }
        config.add_name_server(ns);
    }
    config
}

/// The servers of a configuration, one address per server (its first connection's port).
pub fn servers_of(config: &ResolverConfig) -> Vec<SocketAddr> {
    config
        .name_servers()
        .iter()
        .map(|ns| SocketAddr::new(ns.ip, ns.connections.first().map_or(53, |c| c.port)))
        .collect()
}

/// Options for probing: one attempt within the probe's timeout, no hosts file (APIM does not
/// read this VM's), both address families.
pub fn probe_options(timeout: Duration) -> ResolverOpts {
    let mut o = ResolverOpts::default();
    o.timeout = timeout;
    o.attempts = 1;
    o.use_hosts_file = ResolveHosts::Never;
    o.ip_strategy = LookupIpStrategy::Ipv4AndIpv6;
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nameservers_are_read_from_a_resolv_conf() {
        let text =
            "# systemd-resolved\nnameserver 168.63.129.16\nnameserver fe80::1%eth0\nsearch x\n";
        let got = resolv_conf_servers(text);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0], "168.63.129.16:53".parse().unwrap());
    }

    #[test]
    fn a_stub_upstream_is_found_in_systemd_then_dnsmasq() {
        let root = tempfile::tempdir().unwrap();
        assert_eq!(upstream(root.path()), None);
        std::fs::create_dir_all(root.path().join("etc/dnsmasq.d")).unwrap();
        std::fs::write(
            root.path().join("etc/dnsmasq.d/10-up.conf"),
            "server=/corp.example/10.9.9.9\nserver=10.0.0.4#5353\n",
        )
        .unwrap();
        let (servers, file, by) = upstream(root.path()).unwrap();
        assert_eq!(servers, ["10.0.0.4:5353".parse().unwrap()]);
        assert!(
            file.ends_with("10-up.conf") && by == "dnsmasq",
            "{file} {by}"
        );
        std::fs::create_dir_all(root.path().join("run/systemd/resolve")).unwrap();
        std::fs::write(
            root.path().join("run/systemd/resolve/resolv.conf"),
            "nameserver 127.0.0.1\nnameserver 168.63.129.16\n",
        )
        .unwrap();
        let (servers, file, by) = upstream(root.path()).unwrap();
        assert_eq!(servers, ["168.63.129.16:53".parse().unwrap()]);
        assert_eq!(
            (file.as_str(), by.as_str()),
            ("/run/systemd/resolve/resolv.conf", "systemd-resolved")
        );
    }

    #[test]
    fn dnsmasq_resolv_file_is_followed() {
        let root = tempfile::tempdir().unwrap();
        std::fs::write(root.path().join("upstream.conf"), "nameserver 10.1.2.3\n").unwrap();
        let got = dnsmasq_servers("resolv-file=/upstream.conf\n", root.path());
        assert_eq!(got, ["10.1.2.3:53".parse().unwrap()]);
    }
}
