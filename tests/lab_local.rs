//! Causes on the VM itself, in the network lab: a `subnet` namespace with no route out (the
//! embedded catalog against real servers), its own firewall rejecting and dropping in its output
//! path, and a resolver on 127.0.0.1 that is not running. Each must be this machine's cause,
//! named first, with what `ip route get` says — and no NSG advice in any row or cause.
//!
//! Needs root and the lab's packages; without them it prints `LAB SKIPPED: …` and passes, except
//! under `CI=true`, where it fails.

mod common;

use common::lab;

use lab::{CatalogLab, Family, Lab, RouteKind, Zone, dns_row, row, tcp_row};
use serde_json::Value;

/// What an NSG fix reads like: none of it may appear for a failure on this machine.
const NSG_ADVICE: [&str; 3] = ["in the subnet's NSG", "az network nsg", "NSG rule denies"];

fn no_nsg_advice(report: &Value) {
    for r in report["results"].as_array().unwrap() {
        let hint = r["hint"].as_str().unwrap_or_default();
        assert!(!NSG_ADVICE.iter().any(|a| hint.contains(a)), "{r}");
        assert!(r["fix"]["kind"] != "nsg_rule", "{r}");
    }
    for c in report["diagnosis"].as_array().unwrap() {
        let fix = c["fix"].as_str().unwrap_or_default();
        assert!(!NSG_ADVICE.iter().any(|a| fix.contains(a)), "{c}");
    }
}

fn show(report: &Value) {
    for c in report["diagnosis"].as_array().into_iter().flatten() {
        eprintln!(
            "LAB CAUSE {} | {} | {}",
            c["cause"], c["summary"], c["evidence"]
        );
    }
}

#[test]
fn a_machine_without_a_route_out_is_its_own_cause_never_the_nsg() {
    let Some(c) = CatalogLab::start() else {
        return;
    };
    // No way out of this VM but to its DNS server: every other address has no route.
    let dns = c.dns.ip();
    c.lab.ip(
        &c.lab.subnet,
        &format!(
            "route del 198.19.0.0/16
             route del 2001:2:0:1::/64
             route add {dns}/32 via 198.18.0.1"
        ),
    );
    let run = c.check(&[]);
    let r = &run.report;
    show(r);
    let diagnosis = r["diagnosis"].as_array().unwrap();
    let first = &diagnosis[0];
    assert_eq!(first["cause"], "local_routing", "{:#}", r["diagnosis"]);
    let evidence = first["evidence"].as_str().unwrap();
    assert!(evidence.contains("ENETUNREACH: no route"), "{evidence}");
    assert!(
        evidence.contains("`ip route get 198.19.") && evidence.contains("unreachable"),
        "{evidence}"
    );
    assert!(
        diagnosis.iter().all(|c| c["cause"] != "egress_closed"),
        "{diagnosis:#?}"
    );
    let failed: Vec<&Value> = r["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["status"] != "ok" && x["status"] != "skipped")
        .collect();
    assert!(failed.len() > 20, "{} failures", failed.len());
    for x in &failed {
        assert_eq!(x["facts"]["local_error"], "ENETUNREACH", "{x}");
    }
    assert_eq!(
        first["explains"].as_array().unwrap().len(),
        failed.len(),
        "{first:#}"
    );
    no_nsg_advice(r);
}

#[test]
fn its_own_firewall_and_routes_refusing_are_named_with_each_errno() {
    let names = [
        "rejected.lab.test",
        "dropped.lab.test",
        "prohibited.lab.test",
    ];
    let Some(mut lab) = Lab::start() else {
        return;
    };
    let svcs = lab.services(names.len(), Family::V4);
    let mut zone = Zone::new();
    for (n, s) in names.iter().zip(&svcs) {
        zone.host(n, s);
    }
    let dns_svc = lab.service(Family::V4);
    let dns = lab.start_dns(&dns_svc, &zone);
    let (rejected, dropped) = (svcs[0].ip4(), svcs[1].ip4());
    lab.own_firewall(&format!(
        "table inet own {{
           chain output {{ type filter hook output priority 0; policy accept;
             ip daddr {rejected} tcp dport 443 reject with icmpx type admin-prohibited
             ip daddr {dropped} udp dport 123 drop
           }}
         }}"
    ));
    lab.route_in_subnet(RouteKind::Prohibit, svcs[2].ip4());
    let cat = lab.catalog(&[
        tcp_row("rejected", true, names[0], 443),
        row("dropped", "ntp", true, names[1], 123),
        tcp_row("prohibited", true, names[2], 443),
    ]);
    let run = lab.check_json(
        dns,
        &["--catalog", cat.to_str().unwrap(), "--timeout", "2s"],
    );
    let r = &run.report;
    show(r);
    let first = &r["diagnosis"][0];
    assert_eq!(first["cause"], "local_routing", "{:#}", r["diagnosis"]);
    assert_eq!(first["explains"].as_array().unwrap().len(), 3, "{first:#}");
    let evidence = first["evidence"].as_str().unwrap();
    assert!(evidence.contains("EPERM: its own firewall"), "{evidence}");
    assert!(evidence.contains("EACCES: a prohibit route"), "{evidence}");
    assert!(
        evidence.contains("(an ICMP reject from this machine): its own firewall"),
        "{evidence}"
    );
    // The reject its own firewall sent: an ICMP error from this machine's own address.
    let x = lab::result(r, "rejected");
    assert!(x["facts"]["local_error"].is_string(), "{x}");
    assert!(
        x["hint"]
            .as_str()
            .unwrap()
            .contains("never left this machine"),
        "{x}"
    );
    no_nsg_advice(r);
}

#[test]
fn a_resolver_on_127_0_0_1_that_refuses_is_not_running() {
    let Some(lab) = Lab::start() else {
        return;
    };
    let cat = lab.catalog(&[dns_row(), tcp_row("storage", true, "st.lab.test", 443)]);
    // Run by hand: the lab's runner always adds a lab DNS server, and here the only one is this
    // machine's loopback, where nothing listens (nothing leaves the namespace).
    let out = lab
        .in_ns(&lab.subnet, env!("CARGO_BIN_EXE_apim-probe"))
        .args(["check", "-o", "json", "--catalog", cat.to_str().unwrap()])
        .args([
            "--dns-server",
            "127.0.0.1",
            "--timeout",
            "2s",
            "--deadline",
            "30s",
        ])
        .args(["--no-imds"])
        .output()
        .expect("run apim-probe");
    let r: Value = serde_json::from_slice(&out.stdout).expect("a JSON report");
    show(&r);
    let first = &r["diagnosis"][0];
    assert_eq!(first["cause"], "local_resolver", "{:#}", r["diagnosis"]);
    let summary = first["summary"].as_str().unwrap();
    assert!(
        summary.contains("127.0.0.1:53") && summary.contains("not running"),
        "{summary}"
    );
    let failed = r["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["status"] != "ok" && x["status"] != "skipped")
        .count();
    assert_eq!(first["explains"].as_array().unwrap().len(), failed, "{r:#}");
    no_nsg_advice(&r);
}
