//! The `tls` check end to end on loopback: trusted, intercepted, untrusted, expiring chains and
//! hostile peers (close, reset, garbage, silence, trickle), against the real binary.

mod common;

use common::peers;
use common::support;

use std::time::Duration;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use peers::*;
use support::bin;

// ---------------------------------------------------------------------------------------------
// tls

#[test]
fn tls_chain_to_an_expected_ca_is_ok() {
    let (_dir, store, port) = lab_tls(Validity::Good, HOST);
    let s = store.to_str().unwrap();
    let (code, r, _) = run("tls", port, Some(&store), &["--expect-ca", s]);
    assert_eq!(r["status"], "ok", "{r}");
    assert_eq!(code, 0);
    assert!(detail(&r).contains("CN=Lab Root CA"), "{r}");
    assert!(detail(&r).contains("TLS 1.3"), "{r}");
    assert!(r["timings_ms"]["connect"].is_number(), "{r}");
    let ev = &r["evidence"];
    assert_eq!(ev["kind"], "tls", "{r}");
    assert_eq!(ev["version"], "TLS 1.3", "{r}");
    assert!(
        ev["cipher_suite"].as_str().unwrap().starts_with("TLS13_"),
        "{r}"
    );
    let leaf = &ev["chain"][0];
    assert_eq!(leaf["subject"], "CN=svc.test", "{r}");
    assert_eq!(leaf["issuer"], "CN=Lab Root CA", "{r}");
    assert_eq!(leaf["sha256"].as_str().unwrap().len(), 64, "{r}");
    assert!(leaf["not_after"].as_str().unwrap().ends_with('Z'), "{r}");
    assert_eq!(r["warnings"].as_array().map_or(0, Vec::len), 0, "{r}");
}

#[test]
fn tls_trusted_but_unexpected_ca_is_intercepted() {
    let dir = tempfile::tempdir().unwrap();
    let lab = ca("Lab Root CA");
    let firewall = ca("Contoso Firewall CA");
    let store = pem_file(dir.path(), "store.pem", &[&lab, &firewall]);
    let expected = pem_file(dir.path(), "lab.pem", &[&lab]);
    let (chain, key) = leaf(&firewall, HOST, Validity::Good);
    let port = tls_server(chain, key);
    let (code, r, _) = run(
        "tls",
        port,
        Some(&store),
        &["--expect-ca", expected.to_str().unwrap()],
    );
    assert_eq!(r["status"], "tls_intercepted", "{r}");
    assert_eq!(code, 1);
    assert!(
        detail(&r).contains("re-signed by CN=Contoso Firewall CA — TLS inspection?"),
        "{r}"
    );
    assert!(detail(&r).contains("this machine trusts it"), "{r}");
    assert_eq!(
        r["evidence"]["chain"][0]["issuer"], "CN=Contoso Firewall CA",
        "{r}"
    );
}

/// Not expected and not trusted, and its CA sent along: the signatures lead to a CA that is not
/// expected — interception — and the detail adds that this machine does not trust it either.
#[test]
fn tls_untrusted_unexpected_ca_is_intercepted() {
    let dir = tempfile::tempdir().unwrap();
    let lab = ca("Lab Root CA");
    let rogue = ca("Rogue Proxy CA");
    let store = pem_file(dir.path(), "lab.pem", &[&lab]);
    let (mut chain, key) = leaf(&rogue, HOST, Validity::Good);
    chain.push(CertificateDer::from_pem_slice(rogue.pem.as_bytes()).unwrap());
    let port = tls_server(chain, key);
    let (code, r, _) = run(
        "tls",
        port,
        Some(&store),
        &["--expect-ca", store.to_str().unwrap()],
    );
    assert_eq!(r["status"], "tls_intercepted", "{r}");
    assert_eq!(code, 1);
    assert!(detail(&r).contains("CN=Rogue Proxy CA"), "{r}");
    assert!(detail(&r).contains("does not trust it either"), "{r}");
    assert!(detail(&r).contains("unknown issuer"), "{r}");
    assert_eq!(r["facts"]["tls"]["leads_to"], "CN=Rogue Proxy CA", "{r}");
}

/// Only the leaf, from a CA nobody sent or knows: no signature can be checked, so nothing shows
/// who signed it — an incomplete chain (`tls_untrusted`), never an accusation of inspection.
#[test]
fn tls_leaf_from_a_ca_nobody_has_is_untrusted_not_intercepted() {
    let dir = tempfile::tempdir().unwrap();
    let lab = ca("Lab Root CA");
    let rogue = ca("Rogue Proxy CA");
    let store = pem_file(dir.path(), "lab.pem", &[&lab]);
    let (chain, key) = leaf(&rogue, HOST, Validity::Good);
    let port = tls_server(chain, key);
    let (code, r, _) = run(
        "tls",
        port,
        Some(&store),
        &["--expect-ca", store.to_str().unwrap()],
    );
    assert_eq!(r["status"], "tls_untrusted", "{r}");
    assert_eq!(code, 1);
    assert_eq!(r["facts"]["tls"]["problem"], "incomplete_chain", "{r}");
    assert!(
        detail(&r).contains("CN=Rogue Proxy CA, the leaf's issuer, was not sent"),
        "{r}"
    );
}

#[test]
fn tls_expired_leaf_from_an_expected_ca_is_untrusted() {
    let (_dir, store, port) = lab_tls(Validity::Expired, HOST);
    let (_, r, _) = run(
        "tls",
        port,
        Some(&store),
        &["--expect-ca", store.to_str().unwrap()],
    );
    assert_eq!(r["status"], "tls_untrusted", "{r}");
    assert!(detail(&r).contains("expired"), "{r}");
    assert!(detail(&r).contains("2021-01-01"), "{r}");
    assert!(detail(&r).contains("CN=Lab Root CA"), "{r}");
}

#[test]
fn tls_wrong_name_is_untrusted() {
    let (_dir, store, port) = lab_tls(Validity::Good, "other.test");
    let (_, r, _) = run(
        "tls",
        port,
        Some(&store),
        &["--expect-ca", store.to_str().unwrap()],
    );
    assert_eq!(r["status"], "tls_untrusted", "{r}");
    assert!(detail(&r).contains("not valid for this name"), "{r}");
    assert!(detail(&r).contains("other.test"), "{r}");
    assert!(detail(&r).contains("CN=Lab Root CA"), "{r}");
}

#[test]
fn tls_leaf_expiring_soon_is_ok_with_a_warning() {
    let (_dir, store, port) = lab_tls(Validity::ExpiresInDays(5), HOST);
    let (_, r, _) = run(
        "tls",
        port,
        Some(&store),
        &["--expect-ca", store.to_str().unwrap()],
    );
    assert_eq!(r["status"], "ok", "{r}");
    assert_eq!(r["warnings"][0]["kind"], "cert_expiry", "{r}");
    let w = r["warnings"][0]["message"].as_str().unwrap_or_default();
    assert!(
        w.contains("expires in 4 day") || w.contains("expires in 5 day"),
        "{r}"
    );
}

#[test]
fn tls_unreadable_expect_ca_is_a_usage_error_naming_the_file() {
    let out = bin()
        .args([
            "check",
            "--only",
            "nothing",
            "--expect-ca",
            "/nonexistent/ca.pem",
        ])
        .args(["--dns-server", "127.0.0.1:9"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/ca.pem"));
}

#[test]
fn tls_close_right_after_client_hello_is_protocol_error() {
    let port = raw_server(Raw::ReadThenClose);
    let (_, r, _) = run("tls", port, None, &[]);
    assert_eq!(r["status"], "protocol_error", "{r}");
    assert!(
        detail(&r).contains("closed during TLS handshake — SNI filtering?"),
        "{r}"
    );
}

#[test]
fn tls_reset_right_after_client_hello_is_protocol_error() {
    let port = raw_server(Raw::ReadThenReset);
    let (_, r, _) = run("tls", port, None, &[]);
    assert_eq!(r["status"], "protocol_error", "{r}");
    assert!(
        detail(&r).contains("closed during TLS handshake — SNI filtering?"),
        "{r}"
    );
    assert!(detail(&r).contains("reset"), "{r}");
}

#[test]
fn tls_garbage_is_protocol_error_with_hex() {
    let port = raw_server(Raw::Reply(b"SSH-2.0-OpenSSH_9.2\r\n"));
    let (_, r, _) = run("tls", port, None, &[]);
    assert_eq!(r["status"], "protocol_error", "{r}");
    assert!(detail(&r).contains("does not speak TLS"), "{r}");
    assert!(detail(&r).contains("53 53 48 2d"), "{r}");
    assert_eq!(r["evidence"]["kind"], "reply", "{r}");
    assert_eq!(r["evidence"]["protocol"], "tls", "{r}");
}

#[test]
fn tls_silence_is_timeout_by_the_deadline() {
    let port = raw_server(Raw::Silent);
    let (_, r, took) = run("tls", port, None, &["--timeout", "1s"]);
    assert_eq!(r["status"], "timeout", "{r}");
    assert!(detail(&r).contains("no TLS answer"), "{r}");
    assert!(took < Duration::from_secs(4), "took {took:?}");
}

#[test]
fn tls_trickle_is_timeout_by_the_deadline() {
    // A TLS record header announcing a ServerHello, and nothing after it.
    let port = raw_server(Raw::Trickle(b"\x16\x03\x03\x00\x7a\x02"));
    let (_, r, took) = run("tls", port, None, &["--timeout", "1s"]);
    assert_eq!(r["status"], "timeout", "{r}");
    assert!(
        detail(&r).contains("started answering (16 03 03 00 7a 02)"),
        "{r}"
    );
    assert!(took < Duration::from_secs(4), "took {took:?}");
}
