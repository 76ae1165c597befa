//! The embedded catalog in the lab: every host of the plan resolves (through the lab's dnsmasq) to
//! its own dual-stack lab address, and the far side runs a real server for every check the plan
//! makes — nginx (TLS from a lab CA on the TLS ports, HTTP, plain listeners for bare TCP rows), the
//! lab's TDS and AMQP responders, smbd, chronyd. The lab CA is the trust store and the expected CA.
//! Scenarios then break one thing (an NSG rule, a route, an interceptor) and read the report.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::PathBuf;

use serde_json::Value;

use super::daemons::Zone;
use super::netns::{Family, Lab, Service};
use super::pki::{Ca, Leaf};
use super::responder::{Kind, wildcard};
use super::run::Run;
use super::servers::Web;

/// The name the `dns` check asks for (src/probe/dns.rs `QUERY_NAME`, without the dot).
const DNS_QUERY_NAME: &str = "login.microsoftonline.com";

/// The scope every catalog run uses: a region and every placeholder filled.
pub const SCOPE: &[&str] = &[
    "--region",
    "westeurope",
    "--set",
    "sql_server=labsql",
    "--set",
    "storage_account=labstorage",
    "--set",
    "key_vault=labvault",
    "--set",
    "event_hub_namespace=labhub",
    "--set",
    "sql_redirect_host=labredirect.worker.database.windows.net",
    "--set",
    "gateway_host=labgw.azure-api.net",
];

/// A lab serving the embedded catalog.
pub struct CatalogLab {
    /// The lab.
    pub lab: Lab,
    /// The lab's DNS server.
    pub dns: SocketAddr,
    /// The DNS server's service (to block it).
    pub dns_svc: Service,
    /// The plan's probed entries (`list -o json` probes without a skip).
    pub probed: Vec<Value>,
    /// Each host's service.
    pub by_host: BTreeMap<String, Service>,
    /// The lab CA (trust store and expected CA).
    pub ca: Ca,
    /// Its PEM file (the expected CA).
    pub ca_pem: PathBuf,
    /// The trust store (`SSL_CERT_FILE`): the lab CA, and the interceptor's when there is one.
    pub trust_pem: PathBuf,
    /// The leaf every TLS server presents.
    pub leaf: Leaf,
}

/// What the far side must serve for a plan: hosts, and ports per check kind.
#[derive(Default, Debug)]
pub struct Needs {
    /// Every host probed.
    pub hosts: BTreeSet<String>,
    /// Ports per check kind.
    pub ports: BTreeMap<String, BTreeSet<u16>>,
    /// Hosts probed with `smb`.
    pub smb_hosts: BTreeSet<String>,
}

/// What a plan needs served.
pub fn needs(probed: &[Value], dns: SocketAddr) -> Needs {
    let mut n = Needs::default();
    for p in probed {
        let host = p["host"]
            .as_str()
            .expect("a probed row has a host")
            .to_owned();
        let port = u16::try_from(p["port"].as_u64().expect("a probed row has a port")).unwrap();
        let check = p["check"].as_str().unwrap().to_owned();
        match check.as_str() {
            "dns" => {
                assert_eq!(host, dns.ip().to_string(), "{p:#}");
                continue;
            }
            "tcp" | "tls" | "http" | "tds" | "amqp" | "amqps" | "ntp" => {}
            "smb" => {
                n.smb_hosts.insert(host.clone());
            }
            other => panic!("the lab has no server for check `{other}` (extend it): {p:#}"),
        }
        n.hosts.insert(host);
        n.ports.entry(check).or_default().insert(port);
    }
    n
}

/// The ports of one kind.
pub fn of(n: &Needs, kind: &str) -> Vec<u16> {
    n.ports
        .get(kind)
        .map(|p| p.iter().copied().collect())
        .unwrap_or_default()
}

impl CatalogLab {
    /// Builds the lab and starts a server for every check of the embedded catalog's plan; `None`
    /// (after a loud skip) when the lab cannot be built.
    pub fn start() -> Option<CatalogLab> {
        Self::start_with(false)
    }

    /// [`CatalogLab::start`], with every TLS server re-signed by a "Lab Interceptor CA" that this
    /// machine trusts but nobody expects (TLS inspection) when `intercepted`.
    pub fn start_with(intercepted: bool) -> Option<CatalogLab> {
        Self::build(intercepted, &[vec!["--reference", "latest"]])
    }

    /// [`CatalogLab::start`] serving the plans of several editions of the reference at once (every
    /// host and port either edition probes), for runs with `--reference`.
    pub fn start_editions(editions: &[&str]) -> Option<CatalogLab> {
        let sets: Vec<Vec<&str>> = editions.iter().map(|e| vec!["--reference", *e]).collect();
        Self::build(false, &sets)
    }

    /// [`CatalogLab::start`] serving the plan of a tier and mode (`--tier premiumv2 --mode
    /// injection`).
    pub fn start_profile(args: &[&str]) -> Option<CatalogLab> {
        Self::build(false, &[args.to_vec()])
    }

    fn build(intercepted: bool, plans: &[Vec<&str>]) -> Option<CatalogLab> {
        let mut lab = Lab::start()?;
        let dns_svc = lab.service(Family::V4);
        let dns = SocketAddr::new(dns_svc.ip4(), 53);
        let mut probed: Vec<Value> = Vec::new();
        for extra in plans {
            let mut args = SCOPE.to_vec();
            args.extend(extra);
            let plan = lab.list_json(dns, &args);
            for p in plan["probes"].as_array().expect("plan probes") {
                // An entry both editions plan alike is served once.
                if p["skip"].is_null() && !probed.contains(p) {
                    probed.push(p.clone());
                }
            }
        }
        let mut need = needs(&probed, dns);
        eprintln!(
            "LAB embedded catalog ({:?}): {} probed, {} hosts, ports {:?}",
            plans,
            probed.len(),
            need.hosts.len(),
            need.ports
        );
        // Addresses and names: one dual-stack service per host.
        let mut zone = Zone::new();
        let mut by_host = BTreeMap::new();
        need.hosts.insert(DNS_QUERY_NAME.to_owned());
        let svcs = lab.services(need.hosts.len(), Family::Dual);
        for (host, svc) in need.hosts.iter().zip(svcs) {
            zone.host(host, &svc);
            by_host.insert(host.clone(), svc);
        }
        assert_eq!(lab.start_dns(&dns_svc, &zone), dns);
        let ca = Ca::new("Lab Root CA");
        let ca_pem = ca.write(lab.dir(), "lab-ca.pem");
        let names: Vec<&str> = need.hosts.iter().map(String::as_str).collect();
        let (leaf, trust_pem) = if intercepted {
            let fw = Ca::new("Lab Interceptor CA");
            let trust = super::pki::store(lab.dir(), "trusted.pem", &[&ca, &fw]);
            (fw.leaf(lab.dir(), "catalog", &names), trust)
        } else {
            (ca.leaf(lab.dir(), "catalog", &names), ca_pem.clone())
        };
        let mut c = CatalogLab {
            lab,
            dns,
            dns_svc,
            probed,
            by_host,
            ca,
            ca_pem,
            trust_pem,
            leaf,
        };
        c.serve(&need);
        Some(c)
    }

    /// A server for every check kind of the plan.
    fn serve(&mut self, need: &Needs) {
        let tls_ports = of(need, "tls");
        let mut http_ports = of(need, "http");
        let taken: BTreeSet<u16> = need
            .ports
            .iter()
            .filter(|(k, _)| k.as_str() != "tcp")
            .flat_map(|(_, p)| p.iter().copied())
            .collect();
        // A bare TCP row needs only a listener: nginx's, unless another server has the port.
        http_ports.extend(of(need, "tcp").into_iter().filter(|p| !taken.contains(p)));
        self.lab.start_nginx(&Web {
            tls_ports,
            http_ports,
            leaf: Some(self.leaf.clone()),
            ..Web::default()
        });
        let amqps = Kind::Amqps {
            cert: self.leaf.cert_der.clone(),
            key: self.leaf.key_der.clone(),
        };
        for (kind, responder) in [("tds", Kind::Tds), ("amqp", Kind::Amqp), ("amqps", amqps)] {
            let addrs: Vec<SocketAddr> = of(need, kind).into_iter().flat_map(wildcard).collect();
            if !addrs.is_empty() {
                self.lab.start_responder(&responder, &addrs);
            }
        }
        for host in &need.smb_hosts {
            let svc = self.by_host[host].clone();
            self.lab.start_smb(&svc);
        }
        if need.ports.contains_key("ntp") {
            self.lab.start_ntp();
        }
    }

    /// The host the plan probes for row `id`.
    pub fn host_of(&self, id: &str) -> String {
        self.probed
            .iter()
            .find(|p| p["id"] == id)
            .and_then(|p| p["host"].as_str())
            .unwrap_or_else(|| panic!("no {id} probe in the plan"))
            .to_owned()
    }

    /// The hosts of every probed row whose service tag is `tag`.
    pub fn hosts_of_tag(&self, tag: &str) -> BTreeSet<String> {
        self.probed
            .iter()
            .filter(|p| p["service_tag"] == tag)
            .filter_map(|p| p["host"].as_str().map(str::to_owned))
            .collect()
    }

    /// `check -o json` with the scope, a 2 s timeout, the lab CA trusted and expected, and `extra`.
    pub fn check(&self, extra: &[&str]) -> Run {
        let trust = self.trust_pem.to_str().unwrap();
        self.lab
            .check_json_env(self.dns, &self.args(extra), &[("SSL_CERT_FILE", trust)])
    }

    /// [`CatalogLab::check`] in another format (`extra` names it with `-o`): stdout as text.
    pub fn check_text(&self, extra: &[&str]) -> Run {
        let trust = self.trust_pem.to_str().unwrap();
        let mut all = vec!["check"];
        all.extend(self.args(extra));
        self.lab
            .apim_probe_env(self.dns, &all, &[("SSL_CERT_FILE", trust)])
    }

    fn args<'a>(&'a self, extra: &[&'a str]) -> Vec<&'a str> {
        let mut args = SCOPE.to_vec();
        args.extend([
            "--timeout",
            "2s",
            "--expect-ca",
            self.ca_pem.to_str().unwrap(),
        ]);
        args.extend(extra);
        args
    }
}
