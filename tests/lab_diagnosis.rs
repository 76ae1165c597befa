//! The diagnosis in the network lab: the embedded catalog against real servers, one cause
//! injected at a time (the DNS server dropped, one service tag's addresses dropped, a TLS
//! interceptor for every host, everything beyond the VNet dropped, a clock off, a proxy asking
//! for credentials), and two at once. Each time the diagnosis must name that cause first with its
//! concrete name, explain the failures it should, and claim nothing else. And a service-tag file
//! whose prefixes are lab addresses: a name in another region's tag is named as such.
//!
//! Needs root and the lab's packages; without them it prints `LAB SKIPPED: …` and passes, except
//! under `CI=true`, where it fails.

mod common;

use common::lab;

use std::collections::BTreeSet;
use std::net::SocketAddr;

use lab::{CatalogLab, Family, Kind, Lab, Page, Proto, Verdict, Web, Zone, failed, row};
use serde_json::Value;

/// The diagnosis's causes, by kind, in order.
fn causes(report: &Value) -> Vec<&str> {
    report["diagnosis"]
        .as_array()
        .expect("a diagnosis")
        .iter()
        .map(|c| c["cause"].as_str().unwrap())
        .collect()
}

/// The indices of the failed results.
fn failed_indices(report: &Value) -> BTreeSet<u64> {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .filter(|(_, r)| r["status"] != "ok" && r["status"] != "skipped")
        .map(|(i, _)| i as u64)
        .collect()
}

/// The results a cause explains.
fn explained(cause: &Value) -> BTreeSet<u64> {
    cause["explains"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_u64().unwrap())
        .collect()
}

fn show(report: &Value) {
    for c in report["diagnosis"].as_array().into_iter().flatten() {
        eprintln!("LAB CAUSE {} | {}", c["cause"], c["summary"]);
    }
}

#[test]
fn the_dns_server_dropped_is_one_cause_for_every_name() {
    let Some(c) = CatalogLab::start() else {
        return;
    };
    c.lab
        .block_service(Verdict::Drop, &c.dns_svc, Proto::Udp, Some(53));
    c.lab
        .block_service(Verdict::Drop, &c.dns_svc, Proto::Tcp, Some(53));
    let run = c.check(&[]);
    let r = &run.report;
    show(r);
    assert_eq!(causes(r), ["dns_unreachable"], "{:#}", r["diagnosis"]);
    let cause = &r["diagnosis"][0];
    assert!(
        cause["summary"]
            .as_str()
            .unwrap()
            .contains(&c.dns.to_string()),
        "{cause:#}"
    );
    // Every failure is the DNS's: the dns rows and every name that could not resolve.
    assert_eq!(explained(cause), failed_indices(r), "{cause:#}");
    assert!(failed(r).len() > 10);
}

#[test]
fn one_service_tag_dropped_names_the_tag_and_only_its_hosts() {
    let Some(c) = CatalogLab::start() else {
        return;
    };
    let monitor = c.hosts_of_tag("AzureMonitor");
    assert!(monitor.len() >= 2, "{monitor:?}");
    for h in &monitor {
        c.lab
            .block_service(Verdict::Drop, &c.by_host[h], Proto::Tcp, None);
    }
    let run = c.check(&[]);
    let r = &run.report;
    show(r);
    assert_eq!(causes(r), ["tag_blocked"], "{:#}", r["diagnosis"]);
    let cause = &r["diagnosis"][0];
    let summary = cause["summary"].as_str().unwrap();
    assert!(summary.contains("AzureMonitor"), "{summary}");
    let left: Vec<&Value> = failed_indices(r)
        .difference(&explained(cause))
        .map(|&i| &r["results"][usize::try_from(i).unwrap()])
        .collect();
    assert!(left.is_empty(), "failures the cause leaves: {left:#?}");
    assert!(
        cause["fix"].as_str().unwrap().contains("AzureMonitor"),
        "{cause:#}"
    );
}

#[test]
fn a_tls_interceptor_for_every_host_is_named_with_its_issuer() {
    let Some(c) = CatalogLab::start_with(true) else {
        return;
    };
    let run = c.check(&[]);
    let r = &run.report;
    show(r);
    assert_eq!(causes(r), ["tls_inspection"], "{:#}", r["diagnosis"]);
    let cause = &r["diagnosis"][0];
    let summary = cause["summary"].as_str().unwrap();
    assert!(
        summary.contains("CN=Lab Interceptor CA") && summary.contains("trusted by this machine"),
        "{summary}"
    );
    assert_eq!(explained(cause), failed_indices(r), "{cause:#}");
}

#[test]
fn everything_beyond_the_vnet_dropped_is_egress_closed() {
    let Some(c) = CatalogLab::start() else {
        return;
    };
    // The DNS server stands for what is inside the VNet; every other address is dropped.
    for svc in c.by_host.values() {
        c.lab.block_service(Verdict::Drop, svc, Proto::Tcp, None);
        c.lab.block_service(Verdict::Drop, svc, Proto::Udp, None);
    }
    let run = c.check(&[]);
    let r = &run.report;
    show(r);
    assert_eq!(causes(r), ["egress_closed"], "{:#}", r["diagnosis"]);
    let summary = r["diagnosis"][0]["summary"].as_str().unwrap();
    assert!(
        summary.contains(&c.dns.to_string()),
        "the DNS answers: {summary}"
    );
    assert_eq!(explained(&r["diagnosis"][0]), failed_indices(r));
}

#[test]
fn two_causes_at_once_are_both_named() {
    let Some(c) = CatalogLab::start_with(true) else {
        return;
    };
    for h in c.hosts_of_tag("Sql") {
        c.lab
            .block_service(Verdict::Drop, &c.by_host[&h], Proto::Tcp, None);
    }
    let run = c.check(&[]);
    let r = &run.report;
    show(r);
    let got: BTreeSet<&str> = causes(r).into_iter().collect();
    assert_eq!(
        got,
        BTreeSet::from(["tls_inspection", "tag_blocked"]),
        "{:#}",
        r["diagnosis"]
    );
    let all: BTreeSet<u64> = r["diagnosis"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(explained)
        .collect();
    assert_eq!(all, failed_indices(r));
}

#[test]
fn a_service_tag_file_of_lab_addresses_names_another_region() {
    let Some(c) = CatalogLab::start() else {
        return;
    };
    // Storage's hosts live in Storage.NorthEurope, every other host in AzureCloud.
    let storage = c.hosts_of_tag("Storage");
    let prefixes = |hosts: &BTreeSet<String>| -> Vec<String> {
        hosts
            .iter()
            .flat_map(|h| c.by_host[h].addrs())
            .map(|a| {
                if a.is_ipv4() {
                    format!("{a}/32")
                } else {
                    format!("{a}/128")
                }
            })
            .collect()
    };
    let north = prefixes(&storage);
    let others: BTreeSet<String> = c
        .by_host
        .keys()
        .filter(|h| !storage.contains(*h))
        .cloned()
        .collect();
    let cloud = prefixes(&others);
    let tags = serde_json::json!({
        "changeNumber": 1, "cloud": "Public",
        "values": [
            {"name": "Storage", "id": "Storage", "properties": {"region": "", "addressPrefixes": north}},
            {"name": "Storage.NorthEurope", "id": "Storage.NorthEurope", "properties": {"region": "northeurope", "addressPrefixes": north}},
            {"name": "Storage.WestEurope", "id": "Storage.WestEurope", "properties": {"region": "westeurope", "addressPrefixes": ["198.18.255.0/24"]}},
            {"name": "AzureCloud", "id": "AzureCloud", "properties": {"region": "", "addressPrefixes": cloud}}
        ]
    });
    let file = c.lab.dir().join("service-tags.json");
    std::fs::write(&file, tags.to_string()).unwrap();
    let run = c.check(&["--service-tags", file.to_str().unwrap()]);
    let r = &run.report;
    show(r);
    let storage_row = r["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["service_tag"] == "Storage" && x["status"] == "ok")
        .expect("a storage row");
    assert_eq!(
        storage_row["facts"]["membership"][0]["class"], "other_region",
        "{storage_row:#}"
    );
    assert_eq!(causes(r), ["other_region"], "{:#}", r["diagnosis"]);
    let summary = r["diagnosis"][0]["summary"].as_str().unwrap();
    assert!(
        summary.contains("Storage.NorthEurope") && summary.contains("westeurope"),
        "{summary}"
    );
}

/// A small lab: one name per row, dnsmasq for them.
fn small_lab(names: &[&str]) -> Option<(Lab, SocketAddr, Vec<lab::Service>)> {
    let mut lab = Lab::start()?;
    let svcs = lab.services(names.len(), Family::V4);
    let mut zone = Zone::new();
    for (n, s) in names.iter().zip(&svcs) {
        zone.host(n, s);
    }
    let dns_svc = lab.service(Family::V4);
    let dns = lab.start_dns(&dns_svc, &zone);
    Some((lab, dns, svcs))
}

#[test]
fn a_clock_ten_minutes_off_is_decisive_on_its_own() {
    let Some((mut lab, dns, svcs)) = small_lab(&["time.lab.test"]) else {
        return;
    };
    let on: Vec<SocketAddr> = svcs[0]
        .addrs()
        .into_iter()
        .map(|ip| SocketAddr::new(ip, 123))
        .collect();
    lab.start_responder(&Kind::Ntp { skew_secs: 600 }, &on);
    let cat = lab.catalog(&[row("ntp", "ntp", true, "time.lab.test", 123)]);
    let run = lab.check_json(
        dns,
        &["--catalog", cat.to_str().unwrap(), "--timeout", "2s"],
    );
    let r = &run.report;
    show(r);
    assert_eq!(causes(r), ["clock_skew"], "{:#}", r["diagnosis"]);
    let summary = r["diagnosis"][0]["summary"].as_str().unwrap();
    assert!(summary.contains("10m 0s behind time.lab.test"), "{summary}");
}

#[test]
fn a_proxy_asking_for_credentials_is_named() {
    let names = ["crl.lab.test", "ocsp.lab.test"];
    let Some((mut lab, dns, _)) = small_lab(&names) else {
        return;
    };
    let page = |host: &str| Page {
        host: host.to_owned(),
        status: 407,
        headers: vec![(
            "Proxy-Authenticate".into(),
            "Basic realm=\"Contoso egress\"".into(),
        )],
        body: "proxy authentication required".into(),
    };
    lab.start_nginx(&Web {
        http_ports: vec![80],
        pages: names.iter().map(|n| page(n)).collect(),
        ..Web::default()
    });
    let cat = lab.catalog(&[
        row("crl", "http", true, names[0], 80),
        row("ocsp", "http", true, names[1], 80),
    ]);
    let run = lab.check_json(
        dns,
        &["--catalog", cat.to_str().unwrap(), "--timeout", "2s"],
    );
    let r = &run.report;
    show(r);
    assert_eq!(causes(r), ["proxy_auth"], "{:#}", r["diagnosis"]);
    let summary = r["diagnosis"][0]["summary"].as_str().unwrap();
    assert!(
        summary.contains("demands credentials") && summary.contains("Contoso egress"),
        "{summary}"
    );
    assert_eq!(explained(&r["diagnosis"][0]), failed_indices(r));
}
