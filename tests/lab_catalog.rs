//! Scenario 7 of the network lab: the embedded catalog end to end. Every host of the plan
//! resolves (through the lab's dnsmasq) to its own lab address, and the far side runs a real
//! server for every check the plan makes: nginx (TLS from a lab CA on the TLS ports, HTTP on the
//! HTTP ports, plain listeners for bare TCP rows), the lab's TDS and AMQP responders, smbd,
//! chronyd. The lab CA is the trust store (`SSL_CERT_FILE`) and the expected CA (`--expect-ca`).
//!
//! Needs root, `ip netns`, nft, dnsmasq, nginx, chronyd and smbd; without them it prints
//! `LAB SKIPPED: …` and passes, except under `CI=true`, where it fails.

mod common;

use common::lab;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;

use lab::{Ca, Family, Kind, Lab, Proto, Verdict, Web, Zone, failed, result, results, wildcard};
use serde_json::Value;

/// The name the `dns` check asks for (src/probe/dns.rs `QUERY_NAME`, without the dot).
const DNS_QUERY_NAME: &str = "login.microsoftonline.com";

/// `(id, host, port)` of results.
fn keys(rs: &[&Value]) -> BTreeSet<(String, String, u64)> {
    rs.iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_owned(),
                r["host"].as_str().unwrap_or_default().to_owned(),
                r["port"].as_u64().unwrap_or_default(),
            )
        })
        .collect()
}

/// What the far side must serve for a plan: hosts, and ports per check kind.
#[derive(Default, Debug)]
struct Needs<'a> {
    hosts: BTreeSet<&'a str>,
    ports: BTreeMap<&'a str, BTreeSet<u16>>,
    smb_hosts: BTreeSet<&'a str>,
}

fn needs<'a>(probed: &[&'a Value], dns: SocketAddr) -> Needs<'a> {
    let mut n = Needs::default();
    for p in probed {
        let host = p["host"].as_str().expect("a probed row has a host");
        let port = u16::try_from(p["port"].as_u64().expect("a probed row has a port")).unwrap();
        let check = p["check"].as_str().unwrap();
        match check {
            "dns" => {
                assert_eq!(host, dns.ip().to_string(), "{p:#}");
                continue;
            }
            "tcp" | "tls" | "http" | "tds" | "amqp" | "amqps" | "ntp" => {}
            "smb" => {
                n.smb_hosts.insert(host);
            }
            other => {
                panic!("the lab has no server for check `{other}` (extend tests/common/lab): {p:#}")
            }
        }
        n.hosts.insert(host);
        n.ports.entry(check).or_default().insert(port);
    }
    n
}

/// The ports of one kind.
fn of(n: &Needs, kind: &str) -> Vec<u16> {
    n.ports
        .get(kind)
        .map(|p| p.iter().copied().collect())
        .unwrap_or_default()
}

#[test]
#[allow(clippy::too_many_lines)]
fn embedded_catalog_end_to_end() {
    let Some(mut lab) = Lab::start() else {
        return;
    };
    let scope = [
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
    ];
    let dns_svc = lab.service(Family::V4);
    let dns = SocketAddr::new(dns_svc.ip4(), 53);
    let plan = lab.list_json(dns, &scope);
    let probed: Vec<&Value> = plan["probes"]
        .as_array()
        .expect("plan probes")
        .iter()
        .filter(|p| p["skip"].is_null())
        .collect();
    let mut need = needs(&probed, dns);
    let host_of = |id: &str| {
        probed
            .iter()
            .find(|p| p["id"] == id)
            .and_then(|p| p["host"].as_str())
            .unwrap_or_else(|| panic!("no {id} probe in the plan"))
    };
    let (sql_host, share_host) = (host_of("sql"), host_of("file-share"));
    eprintln!(
        "LAB embedded catalog: {} rows, {} probed, {} hosts, ports {:?}",
        plan["probes"].as_array().unwrap().len(),
        probed.len(),
        need.hosts.len(),
        need.ports
    );

    // Addresses and names: one dual-stack service per host.
    let mut zone = Zone::new();
    let mut by_host = BTreeMap::new();
    need.hosts.insert(DNS_QUERY_NAME);
    let svcs = lab.services(need.hosts.len(), Family::Dual);
    for (host, svc) in need.hosts.iter().zip(svcs) {
        zone.host(host, &svc);
        by_host.insert(*host, svc);
    }
    assert_eq!(lab.start_dns(&dns_svc, &zone), dns);

    // A server for every check kind.
    let ca = Ca::new("Lab Root CA");
    let ca_pem = ca.write(lab.dir(), "lab-ca.pem");
    let names: Vec<&str> = need.hosts.iter().copied().collect();
    let leaf = ca.leaf(lab.dir(), "catalog", &names);
    let tls_ports = of(&need, "tls");
    let mut http_ports = of(&need, "http");
    let taken: BTreeSet<u16> = need
        .ports
        .iter()
        .filter(|(k, _)| **k != "tcp")
        .flat_map(|(_, p)| p.iter().copied())
        .collect();
    // A bare TCP row needs only a listener: nginx's, unless another server has the port.
    http_ports.extend(of(&need, "tcp").into_iter().filter(|p| !taken.contains(p)));
    lab.start_nginx(&Web {
        tls_ports,
        http_ports,
        leaf: Some(leaf.clone()),
        ..Web::default()
    });
    let amqps = Kind::Amqps {
        cert: leaf.cert_der.clone(),
        key: leaf.key_der.clone(),
    };
    for (kind, responder) in [("tds", Kind::Tds), ("amqp", Kind::Amqp), ("amqps", amqps)] {
        let addrs: Vec<SocketAddr> = of(&need, kind).into_iter().flat_map(wildcard).collect();
        if !addrs.is_empty() {
            lab.start_responder(&responder, &addrs);
        }
    }
    for host in &need.smb_hosts {
        lab.start_smb(&by_host[host]);
    }
    if need.ports.contains_key("ntp") {
        lab.start_ntp();
    }

    let ca = ca_pem.to_str().unwrap();
    let env = [("SSL_CERT_FILE", ca)];
    let mut args = scope.to_vec();
    args.extend(["--timeout", "2s", "--expect-ca", ca]);

    // Everything open: every probed row ok.
    let run = lab.check_json_env(dns, &args, &env);
    eprintln!("LAB embedded catalog, open: {:?}", run.elapsed);
    assert!(failed(&run.report).is_empty(), "{:#?}", failed(&run.report));
    let dns_rows = results(&run.report, "dns");
    assert_eq!(dns_rows.len(), 2, "dns over UDP and TCP");
    for r in dns_rows {
        assert_eq!(r["status"], "ok", "{r:#}");
        assert_eq!(r["host"], dns.ip().to_string());
    }
    let ntp = result(&run.report, "ntp");
    assert_eq!(ntp["status"], "ok", "{ntp:#}");
    assert_eq!(ntp["warnings"], serde_json::json!([]), "{ntp:#}");
    for r in run.report["results"].as_array().unwrap() {
        if r["status"] == "ok" && r["check"] != "tcp" && r["check"] != "dns" {
            assert!(
                r["evidence"].is_object(),
                "a protocol check says what it saw: {r:#}"
            );
        }
    }
    let ok = run.report["summary"]["ok"].as_u64().unwrap();
    assert_eq!(
        ok,
        u64::try_from(probed.len()).unwrap(),
        "every probed row is ok"
    );
    assert_eq!(run.code, 0, "{}", run.stderr);

    // The NSG drops SQL 1433 (required) and the file share 445 (optional): exactly those fail.
    lab.block_service(Verdict::Drop, &by_host[sql_host], Proto::Tcp, Some(1433));
    lab.block_service(Verdict::Drop, &by_host[share_host], Proto::Tcp, Some(445));
    let expected: BTreeSet<(String, String, u64)> = [
        ("sql".to_owned(), sql_host.to_owned(), 1433),
        ("file-share".to_owned(), share_host.to_owned(), 445),
    ]
    .into();
    let mut strict = args.clone();
    strict.push("--strict");
    for (what, args) in [("default", &args), ("--strict", &strict)] {
        let run = lab.check_json_env(dns, args, &env);
        eprintln!("LAB embedded catalog, blocked, {what}: {:?}", run.elapsed);
        let bad = failed(&run.report);
        assert_eq!(
            keys(&bad),
            expected,
            "{what}: {bad:#?}\n{}",
            lab.nsg_rules()
        );
        for r in &bad {
            assert_eq!(r["status"], "timeout", "{r:#}");
        }
        assert_eq!(result(&run.report, "sql")["required"], true);
        assert_eq!(result(&run.report, "file-share")["required"], false);
        assert_eq!(run.report["summary"]["failed_required"], 1, "{what}");
        assert_eq!(run.report["summary"]["failed"], 2, "{what}");
        assert_eq!(run.code, 1, "{what}");
    }
}
