//! The protocol checks in the network lab (issue 4): the real binary inside `subnet` against
//! real servers on the far side — nginx with TLS from a lab CA and an Azure Firewall deny page,
//! samba's smbd, chronyd — and the lab's own responders (TDS, AMQP, AMQP over TLS, a skewed
//! SNTP server, a silent "transparent firewall") for what Debian has no daemon for.
//!
//! Needs root, `ip netns`, nft, dnsmasq, nginx, chronyd and smbd; without them every test prints
//! `LAB SKIPPED: …` and passes, except under `CI=true`, where it fails.

mod common;

use common::lab;

use std::net::SocketAddr;

use lab::{
    Ca, Family, Kind, Lab, Page, Proto, Service, Verdict, Web, Zone, detail, dns_checks, dns_row,
    result, row, store, tcp_row, wildcard,
};
use serde_json::Value;

/// A lab with one dual-stack service per name, and dnsmasq answering for them.
fn lab_for(names: &[&str]) -> Option<(Lab, SocketAddr, Vec<Service>)> {
    Lab::with_names(names, Family::Dual)
}

fn status(report: &Value, id: &str) -> String {
    let r = result(report, id);
    eprintln!("LAB {id}: {} | {}", r["status"], detail(r));
    r["status"].as_str().unwrap_or_default().to_owned()
}

// Every check kind against a real (or realistic) server: ok, with what the server said.
#[test]
fn every_check_kind_is_ok_against_its_server() {
    let names = [
        "web.lab.test",
        "sql.lab.test",
        "share.lab.test",
        "hub.lab.test",
        "time.lab.test",
    ];
    let Some((mut lab, dns, svcs)) = lab_for(&names) else {
        return;
    };
    let ca = Ca::new("Lab Root CA");
    let ca_pem = ca.write(lab.dir(), "lab-ca.pem");
    let leaf = ca.leaf(lab.dir(), "lab-leaf", &names);
    lab.start_nginx(&Web {
        tls_ports: vec![443],
        http_ports: vec![80],
        leaf: Some(leaf.clone()),
        ..Web::default()
    });
    lab.start_responder(&Kind::Tds, &wildcard(1433));
    lab.start_responder(&Kind::Amqp, &wildcard(5672));
    let amqps = Kind::Amqps {
        cert: leaf.cert_der.clone(),
        key: leaf.key_der.clone(),
    };
    lab.start_responder(&amqps, &wildcard(5671));
    lab.start_smb(&svcs[2]);
    lab.start_ntp();
    let cat = lab.catalog(&[
        row("tls", "tls", true, names[0], 443),
        row("http", "http", true, names[0], 80),
        row("tds", "tds", true, names[1], 1433),
        row("smb", "smb", true, names[2], 445),
        row("amqp", "amqp", true, names[3], 5672),
        row("amqps", "amqps", true, names[3], 5671),
        row("ntp", "ntp", true, names[4], 123),
    ]);
    let ca = ca_pem.to_str().unwrap();
    let run = lab.check_json_env(
        dns,
        &[
            "--catalog",
            cat.to_str().unwrap(),
            "--timeout",
            "2s",
            "--expect-ca",
            ca,
        ],
        &[("SSL_CERT_FILE", ca)],
    );
    eprintln!("LAB every kind: {:?}", run.elapsed);
    for (id, words) in [
        ("tls", "CN=Lab Root CA"),
        ("http", "200"),
        ("tds", "server version 12.0.2000.0"),
        ("smb", "dialect SMB"),
        ("amqp", "AMQP 1.0 SASL header and sasl-mechanisms"),
        ("amqps", "AMQP 1.0 SASL header and sasl-mechanisms"),
        ("ntp", ""),
    ] {
        assert_eq!(
            status(&run.report, id),
            "ok",
            "{:#}",
            result(&run.report, id)
        );
        let r = result(&run.report, id);
        assert!(detail(r).contains(words), "{id}: {r:#}");
        assert_eq!(r["warnings"], serde_json::json!([]), "{id}: {r:#}");
    }
    let ntp = result(&run.report, "ntp");
    let offset = ntp["evidence"]["offset_ms"].as_f64().unwrap();
    assert!(
        offset.abs() < 100.0,
        "chronyd serves this machine's clock: {offset} ms"
    );
    assert_eq!(ntp["evidence"]["stratum"], 8, "{ntp:#}");
    assert_eq!(run.code, 0, "{}", run.stdout);
}

// TLS judged by signatures against what nginx presents: the lab CA (trusted and expected) is ok;
// a second CA that this machine trusts but nobody expects is an interception, named (for AMQP
// over TLS too); a CA trusted by no one that sends its own certificate is an interception as
// well; the same leaf without it cannot be followed (untrusted, an incomplete chain, not an
// accusation); the lab CA's certificate for another name is untrusted. HTTP 470 is a firewall
// deny.
#[test]
fn tls_interception_and_firewall_deny_on_nginx() {
    let names = [
        "good.lab.test",
        "inspected.lab.test",
        "rogue.lab.test",
        "misnamed.lab.test",
        "lonely.lab.test",
    ];
    let Some((mut lab, dns, svcs)) = lab_for(&names) else {
        return;
    };
    let (lab_ca, interceptor, rogue) = (
        Ca::new("Lab Root CA"),
        Ca::new("Lab Interceptor CA"),
        Ca::new("Rogue Proxy CA"),
    );
    let trusted = store(lab.dir(), "trusted.pem", &[&lab_ca, &interceptor]);
    let expected = lab_ca.write(lab.dir(), "expected.pem");
    let mut overrides = Vec::new();
    let mut leaves = Vec::new();
    for (svc, ca, stem, valid_for) in [
        (&svcs[1], &interceptor, "inspected", &names[..]),
        (&svcs[2], &rogue, "rogue", &names[..]),
        (&svcs[3], &lab_ca, "misnamed", &["other.lab.test"][..]),
        (&svcs[4], &rogue, "lonely", &names[..]),
    ] {
        let sends: &[&Ca] = if stem == "rogue" { &[&rogue] } else { &[] };
        let leaf = ca.leaf_sending(lab.dir(), stem, valid_for, sends);
        overrides.extend(svc.addrs().into_iter().map(|ip| (ip, leaf.clone())));
        leaves.push(leaf);
    }
    // The interceptor re-signs AMQP over TLS too.
    let amqps = Kind::Amqps {
        cert: leaves[0].cert_der.clone(),
        key: leaves[0].key_der.clone(),
    };
    let on: Vec<SocketAddr> = svcs[1]
        .addrs()
        .into_iter()
        .map(|ip| SocketAddr::new(ip, 5671))
        .collect();
    lab.start_responder(&amqps, &on);
    lab.start_nginx(&Web {
        tls_ports: vec![443],
        http_ports: vec![80],
        leaf: Some(lab_ca.leaf(lab.dir(), "good", &names)),
        overrides,
        deny: vec![names[2].to_owned()],
        ..Web::default()
    });
    let cat = lab.catalog(&[
        row("good", "tls", true, names[0], 443),
        row("inspected", "tls", true, names[1], 443),
        row("rogue", "tls", true, names[2], 443),
        row("misnamed", "tls", true, names[3], 443),
        row("lonely", "tls", true, names[4], 443),
        row("amqps-inspected", "amqps", true, names[1], 5671),
        row("allowed", "http", true, names[0], 80),
        row("denied", "http", true, names[2], 80),
    ]);
    let run = lab.check_json_env(
        dns,
        &[
            "--catalog",
            cat.to_str().unwrap(),
            "--timeout",
            "2s",
            "--expect-ca",
            expected.to_str().unwrap(),
        ],
        &[("SSL_CERT_FILE", trusted.to_str().unwrap())],
    );
    tls_verdicts(&run.report);
    assert_eq!(status(&run.report, "amqps-inspected"), "tls_intercepted");
    let d = detail(result(&run.report, "amqps-inspected"));
    assert!(d.contains("CN=Lab Interceptor CA"), "{d}");
    assert_eq!(status(&run.report, "allowed"), "ok");
    assert_eq!(status(&run.report, "denied"), "firewall_denied");
    let d = detail(result(&run.report, "denied"));
    assert!(
        d.contains("470") && d.contains("No rule matched to proceed"),
        "{d}"
    );
    assert_eq!(run.code, 1);
}

/// The TLS rows of `tls_interception_and_firewall_deny_on_nginx`.
fn tls_verdicts(report: &Value) {
    assert_eq!(status(report, "good"), "ok");
    assert_eq!(status(report, "inspected"), "tls_intercepted");
    let d = detail(result(report, "inspected"));
    assert!(
        d.contains("CN=Lab Interceptor CA") && d.contains("this machine trusts it"),
        "{d}"
    );
    assert_eq!(status(report, "rogue"), "tls_intercepted");
    let d = detail(result(report, "rogue"));
    assert!(
        d.contains("CN=Rogue Proxy CA") && d.contains("does not trust it either"),
        "{d}"
    );
    let r = result(report, "rogue");
    assert_eq!(r["facts"]["tls"]["leads_to"], "CN=Rogue Proxy CA", "{r}");
    assert_eq!(status(report, "lonely"), "tls_untrusted");
    let r = result(report, "lonely");
    assert_eq!(r["facts"]["tls"]["problem"], "incomplete_chain", "{r}");
    assert!(
        detail(r).contains("CN=Rogue Proxy CA, the leaf's issuer, was not sent"),
        "{r}"
    );
    assert_eq!(status(report, "misnamed"), "tls_untrusted");
    let d = detail(result(report, "misnamed"));
    assert!(
        d.contains("not valid for this name") && d.contains("CN=Lab Root CA"),
        "{d}"
    );
}

// Proxies and NVAs answering HTTP in the service's place (real nginx playing them): a 407 wants
// credentials, a 403 or 502 a proxy marks as its own is the network answering — firewall_denied,
// naming what was seen; a plain 404 is the service answering (ok, with a warning).
#[test]
fn proxies_answering_http_are_denials_naming_the_proxy() {
    let names = [
        "auth.lab.test",
        "squid.lab.test",
        "via.lab.test",
        "forti.lab.test",
        "plain.lab.test",
    ];
    let Some((mut lab, dns, _svcs)) = lab_for(&names) else {
        return;
    };
    let page = |host: &str, status: u16, headers: &[(&str, &str)], body: &str| Page {
        host: host.to_owned(),
        status,
        headers: headers
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        body: body.to_owned(),
    };
    lab.start_nginx(&Web {
        http_ports: vec![80],
        pages: vec![
            page(
                names[0],
                407,
                &[("Proxy-Authenticate", "Basic realm=\"Contoso proxy\"")],
                "auth",
            ),
            page(
                names[1],
                403,
                &[("X-Squid-Error", "ERR_ACCESS_DENIED 0")],
                "denied",
            ),
            page(
                names[2],
                502,
                &[("Via", "1.1 egress.contoso (squid/5.7)")],
                "bad gateway",
            ),
            page(
                names[3],
                403,
                &[],
                "<h1>FortiGuard Web Filtering</h1> Web Page Blocked",
            ),
            page(names[4], 404, &[], "not here"),
        ],
        ..Web::default()
    });
    let ids = ["auth", "squid", "via", "forti", "plain"];
    let rows: Vec<String> = ids
        .iter()
        .zip(names)
        .map(|(id, name)| row(id, "http", true, name, 80))
        .collect();
    let cat = lab.catalog(&rows);
    let run = lab.check_json(
        dns,
        &["--catalog", cat.to_str().unwrap(), "--timeout", "2s"],
    );
    for (id, words) in [
        ("auth", "Proxy-Authenticate: Basic realm"),
        ("squid", "X-Squid-Error: ERR_ACCESS_DENIED"),
        ("via", "Via: 1.1 egress.contoso"),
        ("forti", "FortiGuard"),
    ] {
        assert_eq!(status(&run.report, id), "firewall_denied");
        let r = result(&run.report, id);
        assert!(detail(r).contains(words), "{id}: {r:#}");
        assert!(r["facts"]["http"]["proxy"].is_string(), "{id}: {r:#}");
    }
    assert_eq!(status(&run.report, "plain"), "ok");
    let plain = result(&run.report, "plain");
    assert_eq!(plain["warnings"][0]["kind"], "http_status", "{plain:#}");
    assert_eq!(plain["warnings"][0]["status"], 404, "{plain:#}");
    assert!(
        plain["warnings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("Server: nginx"),
        "{plain:#}"
    );
    assert_eq!(run.code, 1);
}

// A time server 10 minutes ahead: reachable (ok), the skew a warning.
#[test]
fn ntp_ten_minutes_off_is_ok_with_a_warning() {
    let Some((mut lab, dns, svcs)) = lab_for(&["skewed.lab.test"]) else {
        return;
    };
    let addrs: Vec<SocketAddr> = svcs[0]
        .addrs()
        .into_iter()
        .map(|ip| SocketAddr::new(ip, 123))
        .collect();
    lab.start_responder(&Kind::Ntp { skew_secs: 600 }, &addrs);
    let cat = lab.catalog(&[row("ntp", "ntp", true, "skewed.lab.test", 123)]);
    let run = lab.check_json(
        dns,
        &["--catalog", cat.to_str().unwrap(), "--timeout", "1s"],
    );
    assert_eq!(status(&run.report, "ntp"), "ok");
    let r = result(&run.report, "ntp");
    let offset = r["evidence"]["offset_ms"].as_f64().unwrap();
    assert!((offset - 600_000.0).abs() < 2_000.0, "{offset}");
    assert_eq!(r["warnings"][0]["kind"], "clock_skew", "{r:#}");
    let skew = r["warnings"][0]["offset_ms"].as_f64().unwrap_or_default();
    assert!((skew - 600_000.0).abs() < 2_000.0, "{skew}");
    let warning = r["warnings"][0]["message"].as_str().unwrap_or_default();
    assert!(
        warning.contains("by 10m 0s (this machine is behind)"),
        "{r:#}"
    );
    assert_eq!(run.code, 0);
}

// DNS over one transport only: the per-transport checks differ, and name resolution says what
// happened to it.
#[test]
fn dns_with_one_transport_dropped() {
    let Some(mut lab) = Lab::start() else {
        return;
    };
    let web = lab.service(Family::V4);
    let (udp_only, tcp_only) = (lab.service(Family::V4), lab.service(Family::V4));
    let mut zone = Zone::new();
    zone.host("web.lab.test", &web);
    let dns_udp = lab.start_dns(&udp_only, &zone);
    let dns_tcp = lab.start_dns(&tcp_only, &zone);
    lab.block_service(Verdict::Drop, &udp_only, Proto::Tcp, Some(53));
    lab.block_service(Verdict::Drop, &tcp_only, Proto::Udp, Some(53));
    lab.start_web(&[443]);
    let cat = lab.catalog(&[dns_row(), tcp_row("web", true, "web.lab.test", 443)]);
    let args = ["--catalog", cat.to_str().unwrap(), "--timeout", "1s"];

    let run = lab.check_json(dns_udp, &args);
    let checks = dns_checks(&run.report);
    eprintln!(
        "LAB DNS, TCP 53 dropped: {checks:?}; web {}",
        detail(result(&run.report, "web"))
    );
    assert_eq!(
        checks,
        [
            ("udp".into(), "ok".into()),
            ("tcp".into(), "timeout".into())
        ]
    );
    assert_eq!(status(&run.report, "web"), "ok", "names resolve over UDP");

    let run = lab.check_json(dns_tcp, &args);
    let checks = dns_checks(&run.report);
    eprintln!(
        "LAB DNS, UDP 53 dropped: {checks:?}; web {}",
        detail(result(&run.report, "web"))
    );
    assert_eq!(
        checks,
        [
            ("udp".into(), "timeout".into()),
            ("tcp".into(), "ok".into())
        ]
    );
    let web = result(&run.report, "web");
    assert_eq!(web["status"], "dns_failed", "{web:#}");
    assert!(
        detail(web).contains("no DNS answer for web.lab.test"),
        "{web:#}"
    );
    assert_eq!(run.code, 1);
}

// A "transparent firewall": every TCP port of one address lands on a sink that accepts and never
// speaks. A bare TCP check is ok there — that is why protocol checks exist — and none of them is.
#[test]
fn transparent_firewall_sink_fails_every_protocol_check_but_tcp() {
    let Some(mut lab) = Lab::start() else {
        return;
    };
    // The same sink over IPv4 and over IPv6.
    let (sink4, sink6, dns_svc) = (
        lab.service(Family::V4),
        lab.service(Family::V6),
        lab.service(Family::V4),
    );
    let mut zone = Zone::new();
    zone.host("sink4.lab.test", &sink4)
        .host("sink6.lab.test", &sink6);
    let dns = lab.start_dns(&dns_svc, &zone);
    let kinds = [
        ("tcp", 8443),
        ("tls", 443),
        ("http", 80),
        ("tds", 1433),
        ("smb", 445),
        ("amqp", 5672),
        ("amqps", 5671),
    ];
    let ports: Vec<u16> = kinds.iter().map(|k| k.1).collect();
    lab.start_sink(&sink4, &ports);
    lab.start_sink(&sink6, &ports);
    let rows: Vec<String> = ["4", "6"]
        .iter()
        .flat_map(|v| {
            kinds.iter().map(move |(kind, port)| {
                row(
                    &format!("{kind}{v}"),
                    kind,
                    true,
                    &format!("sink{v}.lab.test"),
                    *port,
                )
            })
        })
        .collect();
    let cat = lab.catalog(&rows);
    let run = lab.check_json(
        dns,
        &["--catalog", cat.to_str().unwrap(), "--timeout", "1s"],
    );
    eprintln!("LAB transparent firewall: {:?}", run.elapsed);
    for v in ["4", "6"] {
        assert_eq!(status(&run.report, &format!("tcp{v}")), "ok");
        for (kind, _) in &kinds[1..] {
            let id = format!("{kind}{v}");
            let s = status(&run.report, &id);
            assert!(
                s == "timeout" || s == "protocol_error",
                "{id}: {:#}",
                result(&run.report, &id)
            );
        }
    }
    assert_eq!(run.code, 1);
}
