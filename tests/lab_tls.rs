//! TLS the way Azure serves it in 2025–26, against real servers in the network lab: a chain
//! shaped like Microsoft's G2 hierarchy (the issuing CA sent, the root not) is verified — never
//! called inspection — with a warning when this machine's store lacks the root; interceptors that
//! copy the CA names and key ids (the lab's, and Microsoft's own) stay `tls_intercepted`; a
//! service asking for a client certificate (mutual TLS) is `ok` with the fact named, in TLS 1.2
//! and 1.3, with `openssl s_server` and nginx, in every format.
//!
//! Needs root and the lab's packages (and `openssl`); without them it prints `LAB SKIPPED: …`
//! and passes, except under `CI=true`, where it fails.

mod common;

use common::lab;

use std::net::SocketAddr;

use lab::{Ca, ClientAuth, Family, Lab, Service, Web, detail, result, row, store};
use serde_json::Value;

/// Microsoft's genuine CAs, as apim-probe ships them (public certificates).
const AZURE_ISSUING: &str = include_str!("../probes/roots/azure-issuing.pem");
const AZURE_ROOTS: &str = include_str!("../probes/roots/azure.pem");

/// The PEM block of `pem` that follows the label `# <label>`.
fn block<'a>(pem: &'a str, label: &str) -> &'a str {
    let at = pem.find(&format!("# {label}\n")).expect("the label");
    let from = at + pem[at..].find("-----BEGIN").unwrap();
    let to = from + pem[from..].find("-----END CERTIFICATE-----\n").unwrap() + 26;
    &pem[from..to]
}

fn lab_for(names: &[&str]) -> Option<(Lab, SocketAddr, Vec<Service>)> {
    Lab::with_names(names, Family::V4)
}

fn status(report: &Value, id: &str) -> String {
    result(report, id)["status"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn a_g2_shaped_chain_is_verified_and_copycats_stay_intercepted() {
    let names = [
        "g2.lab.test",
        "copycat-mid.lab.test",
        "copycat-root.lab.test",
        "ms-copycat.lab.test",
    ];
    let Some((mut lab, dns, svcs)) = lab_for(&names) else {
        return;
    };
    // The lab's own hierarchy, the shape of Microsoft's: a root nobody sends, an issuing CA that
    // every server sends with its leaf.
    let root = Ca::new("Lab TLS RSA Root G2");
    let issuing = root.intermediate("Lab TLS G2 RSA CA OCSP 02");
    // Interceptors with keys of their own, copying the names and key ids: of the lab's CAs, and
    // of Microsoft's genuine OCSP 02 under Microsoft TLS RSA Root G2.
    let fake_root = Ca::imitating(&root.pem, None);
    let fake_issuing = Ca::imitating(&issuing.pem, Some(&fake_root));
    let ms_root = Ca::imitating(block(AZURE_ROOTS, "Microsoft TLS RSA Root G2"), None);
    let ms_ocsp = Ca::imitating(
        block(AZURE_ISSUING, "Microsoft TLS G2 RSA CA OCSP 02"),
        Some(&ms_root),
    );
    let d = lab.dir().to_owned();
    let leaves = [
        issuing.leaf_sending(&d, "g2", &names, &[&issuing]),
        fake_issuing.leaf_sending(&d, "copycat-mid", &names, &[&fake_issuing]),
        fake_issuing.leaf_sending(&d, "copycat-root", &names, &[&fake_issuing, &fake_root]),
        ms_ocsp.leaf_sending(&d, "ms-copycat", &names, &[&ms_ocsp]),
    ];
    let overrides = svcs
        .iter()
        .zip(&leaves)
        .map(|(s, l)| (s.ip4(), l.clone()))
        .collect();
    lab.start_nginx(&Web {
        tls_ports: vec![443],
        leaf: Some(leaves[0].clone()),
        overrides,
        ..Web::default()
    });
    let cat = lab.catalog(&[
        row("g2", "tls", true, names[0], 443),
        row("copycat-mid", "tls", true, names[1], 443),
        row("copycat-root", "tls", true, names[2], 443),
        row("ms-copycat", "tls", true, names[3], 443),
    ]);
    let expected = root.write(&d, "expected.pem");
    // This machine's store has neither the lab root nor Microsoft's G2 roots (as Debian's
    // lacked them): the G2-shaped chain is still verified, with a warning.
    let other = store(&d, "machine.pem", &[&Ca::new("Some Other Root")]);
    let args = [
        "--catalog",
        cat.to_str().unwrap(),
        "--timeout",
        "2s",
        "--expect-ca",
        expected.to_str().unwrap(),
    ];
    let run = lab.check_json_env(dns, &args, &[("SSL_CERT_FILE", other.to_str().unwrap())]);
    let g2 = result(&run.report, "g2");
    assert_eq!(g2["status"], "ok", "{g2}");
    assert_eq!(
        g2["facts"]["tls"]["expected_ca"], "CN=Lab TLS RSA Root G2",
        "{g2}"
    );
    assert_eq!(g2["facts"]["tls"]["trusted"], false, "{g2}");
    assert_eq!(g2["warnings"][0]["kind"], "store_distrusts", "{g2}");
    assert!(
        g2["warnings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("apps on this VM may fail"),
        "{g2}"
    );
    copycats(&run.report);
    // With the root in this machine's store, the same chain is trusted and says nothing more.
    let trusting = store(&d, "trusting.pem", &[&root]);
    let run = lab.check_json_env(dns, &args, &[("SSL_CERT_FILE", trusting.to_str().unwrap())]);
    let g2 = result(&run.report, "g2");
    assert_eq!(g2["status"], "ok", "{g2}");
    assert_eq!(g2["facts"]["tls"]["trusted"], true, "{g2}");
    assert_eq!(g2["warnings"].as_array().map_or(0, Vec::len), 0, "{g2}");
}

/// The three interceptors of `a_g2_shaped_chain_is_verified_and_copycats_stay_intercepted`.
fn copycats(report: &Value) {
    for id in ["copycat-mid", "copycat-root", "ms-copycat"] {
        assert_eq!(
            status(report, id),
            "tls_intercepted",
            "{}",
            result(report, id)
        );
    }
    // Only its issuing CA sent: that CA names the lab root, whose key did not sign it.
    let d = detail(result(report, "copycat-mid"));
    assert!(
        d.contains("re-signed by CN=Lab TLS G2 RSA CA OCSP 02")
            && d.contains(
                "names CN=Lab TLS RSA Root G2 as its issuer, but that CA's key did not sign it"
            ),
        "{d}"
    );
    // Its fake root sent too: the signatures lead there, and it copies the expected root.
    let r = result(report, "copycat-root");
    assert_eq!(
        r["facts"]["tls"]["leads_to"], "CN=Lab TLS RSA Root G2",
        "{r}"
    );
    assert_eq!(r["facts"]["tls"]["copies"], "CN=Lab TLS RSA Root G2", "{r}");
    assert!(
        detail(r).contains("copies the name and key id of CN=Lab TLS RSA Root G2"),
        "{r}"
    );
    // Microsoft's own names and key ids, copied: recognised as Microsoft's OCSP 02.
    let r = result(report, "ms-copycat");
    assert_eq!(
        r["facts"]["tls"]["issuer"], "CN=Microsoft TLS G2 RSA CA OCSP 02",
        "{r}"
    );
    assert_eq!(
        r["facts"]["tls"]["copies"], "CN=Microsoft TLS G2 RSA CA OCSP 02",
        "{r}"
    );
    assert!(
        detail(r).contains(
            "names CN=Microsoft TLS RSA Root G2 as its issuer, but that CA's key did not sign it"
        ),
        "{r}"
    );
}

#[test]
fn mutual_tls_is_ok_with_the_fact_named_in_tls_1_2_and_1_3() {
    let names = [
        "mtls12.lab.test",
        "mtls13.lab.test",
        "asks13.lab.test",
        "nginx-on.lab.test",
        "nginx-optional.lab.test",
    ];
    let Some((mut lab, dns, svcs)) = lab_for(&names) else {
        return;
    };
    let ca = Ca::new("Lab Root CA");
    let d = lab.dir().to_owned();
    let leaf = ca.leaf(&d, "mtls", &names);
    let at = |i: usize, port: u16| SocketAddr::new(svcs[i].ip4(), port);
    // openssl on 8443 (and 5671 for AMQP over TLS), nginx on 443: one wildcard listener each.
    lab.start_openssl(at(0, 8443), &leaf, "1.2", ClientAuth::Require);
    lab.start_openssl(at(1, 8443), &leaf, "1.3", ClientAuth::Require);
    lab.start_openssl(at(1, 5671), &leaf, "1.3", ClientAuth::Require);
    lab.start_openssl(at(2, 8443), &leaf, "1.3", ClientAuth::Request);
    lab.start_nginx(&Web {
        tls_ports: vec![443],
        leaf: Some(leaf.clone()),
        overrides: vec![(svcs[3].ip4(), leaf.clone()), (svcs[4].ip4(), leaf.clone())],
        verify_client: vec![(svcs[3].ip4(), "on"), (svcs[4].ip4(), "optional")],
        ..Web::default()
    });
    let cat = lab.catalog(&[
        row("mtls12", "tls", true, names[0], 8443),
        row("mtls13", "tls", true, names[1], 8443),
        row("amqps13", "amqps", true, names[1], 5671),
        row("asks13", "tls", true, names[2], 8443),
        row("nginx-on", "tls", true, names[3], 443),
        row("nginx-optional", "tls", true, names[4], 443),
    ]);
    let trusted = ca.write(&d, "trusted.pem");
    let (cat, trusted) = (cat.to_str().unwrap(), trusted.to_str().unwrap());
    let base = ["--catalog", cat, "--timeout", "3s", "--expect-ca", trusted];
    let env = [("SSL_CERT_FILE", trusted)];
    let run = lab.check_json_env(dns, &base, &env);
    let r = &run.report;
    for (id, fact) in [
        ("mtls12", "required"),
        ("mtls13", "required"),
        ("amqps13", "required"),
        ("asks13", "requested"),
        ("nginx-on", "requested"),
        ("nginx-optional", "requested"),
    ] {
        let x = result(r, id);
        eprintln!("LAB {id}: {} | {}", x["status"], detail(x));
        assert_eq!(x["status"], "ok", "{x}");
        assert_eq!(x["facts"]["tls"]["client_certificate"], fact, "{x}");
        assert!(detail(x).contains("client certificate"), "{x}");
        assert!(x["hint"].is_null(), "{x}");
    }
    let d12 = detail(result(r, "mtls12"));
    assert!(
        d12.contains("the service requires a client certificate (mutual TLS)"),
        "{d12}"
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(r["diagnosis"].as_array().map_or(0, Vec::len), 0, "{r:#}");
    // Every format calls them ok: no failure, a passing verdict.
    for format in ["table", "compact", "markdown", "junit"] {
        let mut args = base.to_vec();
        args.extend(["-o", format]);
        let out = lab.apim_probe_env(dns, &[&["check"], &args[..]].concat(), &env);
        assert_eq!(out.code, 0, "{format}:\n{}", out.stdout);
        assert!(
            !out.stdout.contains("protocol_error"),
            "{format}:\n{}",
            out.stdout
        );
    }
}
