//! The `tls` and `http` checks end to end on loopback: a lab CA and an "interceptor" CA made with
//! rcgen at test time, tokio-rustls and raw TCP servers on 127.0.0.1, the real binary with
//! `SSL_CERT_FILE` pointing at the lab's store. Nothing leaves 127.0.0.1.

mod support;

use std::net::TcpListener as StdListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use support::{Answer, DnsResponder, bin, catalog, row};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The name every test server answers for (the responder maps it to 127.0.0.1).
const HOST: &str = "svc.test";

// ---------------------------------------------------------------------------------------------
// A lab PKI

/// A CA made for one test: its PEM and the means to sign with it.
struct Ca {
    pem: String,
    issuer: Issuer<'static, KeyPair>,
}

fn ca(common_name: &str) -> Ca {
    let mut p = CertificateParams::default();
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.distinguished_name.push(DnType::CommonName, common_name);
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let key = KeyPair::generate().unwrap();
    let pem = p.self_signed(&key).unwrap().pem();
    Ca {
        pem,
        issuer: Issuer::new(p, key),
    }
}

/// How a leaf should be valid.
#[derive(Clone, Copy)]
enum Validity {
    Good,
    Expired,
    ExpiresInDays(i64),
}

/// A leaf for `name` signed by `ca`: the chain to present and its key.
fn leaf(
    ca: &Ca,
    name: &str,
    validity: Validity,
) -> (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
    let mut p = CertificateParams::new(vec![name.to_owned()]).unwrap();
    p.distinguished_name.push(DnType::CommonName, name);
    p.use_authority_key_identifier_extension = true;
    match validity {
        Validity::Good => {}
        Validity::Expired => {
            p.not_before = rcgen::date_time_ymd(2020, 1, 1);
            p.not_after = rcgen::date_time_ymd(2021, 1, 1);
        }
        Validity::ExpiresInDays(days) => {
            p.not_before = rcgen::date_time_ymd(2020, 1, 1);
            p.not_after = time::OffsetDateTime::now_utc() + time::Duration::days(days);
        }
    }
    let key = KeyPair::generate().unwrap();
    let cert = p.signed_by(&key, &ca.issuer).unwrap();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    (vec![cert.der().clone()], key)
}

/// Writes PEM files into `dir`; returns the path.
fn pem_file(dir: &Path, name: &str, cas: &[&Ca]) -> PathBuf {
    let path = dir.join(name);
    let text: String = cas.iter().map(|c| c.pem.as_str()).collect();
    std::fs::write(&path, text).unwrap();
    path
}

// ---------------------------------------------------------------------------------------------
// Servers on 127.0.0.1, each on its own thread and runtime, living as long as the test process

fn serve<F, Fut>(handler: F) -> u16
where
    F: Fn(TcpStream) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let std_listener = StdListener::bind("127.0.0.1:0").unwrap();
    let port = std_listener.local_addr().unwrap().port();
    std_listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = TcpListener::from_std(std_listener).unwrap();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                tokio::spawn(handler(stream));
            }
        });
    });
    port
}

/// A TLS server presenting `chain`; after the handshake it holds the connection briefly.
fn tls_server(chain: Vec<CertificateDer<'static>>, key: PrivateKeyDer<'static>) -> u16 {
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    serve(move |stream| {
        let acceptor = acceptor.clone();
        async move {
            if let Ok(mut tls) = acceptor.accept(stream).await {
                let mut buf = [0u8; 64];
                let _ = tokio::time::timeout(Duration::from_secs(2), tls.read(&mut buf)).await;
            }
        }
    })
}

/// What a raw server does with a connection.
#[derive(Clone, Copy)]
enum Raw {
    /// Closes at once, before reading anything.
    Close,
    /// Reads the request, then closes.
    ReadThenClose,
    /// Reads the request, then resets the connection (RST, not FIN).
    ReadThenReset,
    /// Reads the request, then sends these bytes and closes.
    Reply(&'static [u8]),
    /// Reads the request and says nothing for 30 s.
    Silent,
    /// Reads the request, sends the start of an answer, then says nothing for 30 s.
    Trickle(&'static [u8]),
}

fn raw_server(what: Raw) -> u16 {
    serve(move |mut stream| async move {
        if matches!(what, Raw::Close) {
            return;
        }
        let mut buf = [0u8; 2048];
        let _ = stream.read(&mut buf).await;
        match what {
            Raw::Reply(bytes) => {
                let _ = stream.write_all(bytes).await;
                let _ = stream.shutdown().await;
            }
            Raw::Silent => tokio::time::sleep(Duration::from_secs(30)).await,
            Raw::Trickle(bytes) => {
                let _ = stream.write_all(bytes).await;
                tokio::time::sleep(Duration::from_secs(30)).await;
            }
            Raw::ReadThenReset => {
                let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
            }
            Raw::Close | Raw::ReadThenClose => {}
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Running the binary

/// Runs `check -o json` on one row of `check` kind for `HOST:port`; returns the exit code, the
/// result and how long the run took.
fn run(
    check: &str,
    port: u16,
    store: Option<&Path>,
    extra: &[&str],
) -> (i32, serde_json::Value, Duration) {
    let dns = DnsResponder::start(&[(HOST, Answer::A("127.0.0.1".parse().unwrap()))]);
    let r =
        row("svc", true, HOST, port).replace("check = \"tcp\"", &format!("check = \"{check}\""));
    let (_dir, cat) = catalog(&[r]);
    let mut cmd = bin();
    cmd.env_remove("SSL_CERT_DIR");
    match store {
        Some(p) => cmd.env("SSL_CERT_FILE", p),
        None => cmd.env("SSL_CERT_FILE", "/nonexistent/apim-probe-test-store.pem"),
    };
    cmd.args(["check", "-o", "json", "--catalog", cat.to_str().unwrap()])
        .args(["--dns-server", &dns.addr.to_string()])
        .args(extra);
    if !extra.contains(&"--timeout") {
        cmd.args(["--timeout", "2s"]);
    }
    let start = Instant::now();
    let out = cmd.output().unwrap();
    let took = start.elapsed();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let result = report["results"][0].clone();
    if std::env::var_os("SHOW").is_some() {
        eprintln!("{}", serde_json::to_string_pretty(&result).unwrap());
    }
    (out.status.code().unwrap_or(-1), result, took)
}

fn detail(r: &serde_json::Value) -> &str {
    r["detail"].as_str().unwrap_or_default()
}

/// A lab: the expected CA, a store file trusting it, and a TLS server with a leaf it signed.
fn lab_tls(validity: Validity, name: &str) -> (tempfile::TempDir, PathBuf, u16) {
    let dir = tempfile::tempdir().unwrap();
    let lab = ca("Lab Root CA");
    let store = pem_file(dir.path(), "lab.pem", &[&lab]);
    let (chain, key) = leaf(&lab, name, validity);
    (dir, store, tls_server(chain, key))
}

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

/// Not expected and not trusted: the rule says interception first (the chain is not Azure's,
/// whoever trusts it), and the detail adds that this machine does not trust it either.
#[test]
fn tls_untrusted_unexpected_ca_is_intercepted() {
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
    assert_eq!(r["status"], "tls_intercepted", "{r}");
    assert_eq!(code, 1);
    assert!(detail(&r).contains("CN=Rogue Proxy CA"), "{r}");
    assert!(detail(&r).contains("does not trust it either"), "{r}");
    assert!(detail(&r).contains("unknown issuer"), "{r}");
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
    let w = r["warnings"][0].as_str().unwrap_or_default();
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

// ---------------------------------------------------------------------------------------------
// http

#[test]
fn http_200_is_ok() {
    let port = raw_server(Raw::Reply(
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi",
    ));
    let (code, r, _) = run("http", port, None, &[]);
    assert_eq!(r["status"], "ok", "{r}");
    assert_eq!(code, 0);
    assert!(detail(&r).contains("HTTP/1.1 200 OK"), "{r}");
    assert!(r["timings_ms"]["connect"].is_number(), "{r}");
}

#[test]
fn http_404_is_still_reachable() {
    let port = raw_server(Raw::Reply(b"HTTP/1.0 404 Not Found\r\n\r\n"));
    let (_, r, _) = run("http", port, None, &[]);
    assert_eq!(r["status"], "ok", "{r}");
    assert!(detail(&r).contains("404 Not Found"), "{r}");
}

const AZFW_BODY: &str = "HTTP request from 10.0.1.4:43512 to svc.test:80. Url: svc.test. Action: Deny. Reason: No rule matched to proceed.";

#[test]
fn http_470_is_firewall_denied_with_the_reason() {
    let reply = format!(
        "HTTP/1.1 470 status code 470\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{AZFW_BODY}",
        AZFW_BODY.len()
    );
    let port = raw_server(Raw::Reply(Box::leak(reply.into_boxed_str()).as_bytes()));
    let (code, r, _) = run("http", port, None, &[]);
    assert_eq!(r["status"], "firewall_denied", "{r}");
    assert_eq!(code, 1);
    assert!(detail(&r).contains("470"), "{r}");
    assert!(
        detail(&r).contains("Action: Deny. Reason: No rule matched to proceed."),
        "{r}"
    );
}

#[test]
fn http_403_with_a_deny_page_is_firewall_denied() {
    let reply = format!("HTTP/1.1 403 Forbidden\r\n\r\n{AZFW_BODY}");
    let port = raw_server(Raw::Reply(Box::leak(reply.into_boxed_str()).as_bytes()));
    let (_, r, _) = run("http", port, None, &[]);
    assert_eq!(r["status"], "firewall_denied", "{r}");
    assert!(detail(&r).contains("No rule matched"), "{r}");
}

#[test]
fn http_garbage_is_protocol_error_with_hex() {
    let port = raw_server(Raw::Reply(b"\x16\x03\x01\x00\x02\x02\x28"));
    let (_, r, _) = run("http", port, None, &[]);
    assert_eq!(r["status"], "protocol_error", "{r}");
    assert!(detail(&r).contains("16 03 01 00"), "{r}");
    assert_eq!(r["evidence"]["kind"], "reply", "{r}");
    assert_eq!(r["evidence"]["protocol"], "http", "{r}");
}

#[test]
fn http_accept_then_close_is_protocol_error() {
    let port = raw_server(Raw::Close);
    let (_, r, _) = run("http", port, None, &[]);
    assert_eq!(r["status"], "protocol_error", "{r}");
    assert!(detail(&r).contains("accepted the connection"), "{r}");
}

#[test]
fn http_reset_after_the_request_is_protocol_error() {
    let port = raw_server(Raw::ReadThenReset);
    let (_, r, _) = run("http", port, None, &[]);
    assert_eq!(r["status"], "protocol_error", "{r}");
    assert!(detail(&r).contains("then reset it"), "{r}");
}

#[test]
fn http_silence_is_timeout_by_the_deadline() {
    let port = raw_server(Raw::Silent);
    let (_, r, took) = run("http", port, None, &["--timeout", "1s"]);
    assert_eq!(r["status"], "timeout", "{r}");
    assert!(detail(&r).contains("no HTTP answer"), "{r}");
    assert!(took < Duration::from_secs(4), "took {took:?}");
}

#[test]
fn http_trickle_is_timeout_by_the_deadline() {
    let port = raw_server(Raw::Trickle(b"HTTP/1.1 2"));
    let (_, r, took) = run("http", port, None, &["--timeout", "1s"]);
    assert_eq!(r["status"], "timeout", "{r}");
    assert!(detail(&r).contains("did not finish its status line"), "{r}");
    assert!(took < Duration::from_secs(4), "took {took:?}");
}
