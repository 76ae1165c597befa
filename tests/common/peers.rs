//! Peers for the `tls` and `http` tests: a lab CA and an "interceptor" CA made with rcgen at test
//! time, tokio-rustls and raw TCP servers on 127.0.0.1, and running the real binary against them
//! with `SSL_CERT_FILE` pointing at the lab's store. Nothing leaves 127.0.0.1.

#![allow(dead_code)]

use std::net::TcpListener as StdListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::support::{Answer, DnsResponder, bin, catalog, row};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The name every test server answers for (the responder maps it to 127.0.0.1).
pub const HOST: &str = "svc.test";

// ---------------------------------------------------------------------------------------------
// A lab PKI

/// A CA made for one test: its PEM and the means to sign with it.
pub struct Ca {
    pub pem: String,
    pub issuer: Issuer<'static, KeyPair>,
}

pub fn ca(common_name: &str) -> Ca {
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
pub enum Validity {
    Good,
    Expired,
    ExpiresInDays(i64),
}

/// A leaf for `name` signed by `ca`: the chain to present and its key.
pub fn leaf(
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
pub fn pem_file(dir: &Path, name: &str, cas: &[&Ca]) -> PathBuf {
    let path = dir.join(name);
    let text: String = cas.iter().map(|c| c.pem.as_str()).collect();
    std::fs::write(&path, text).unwrap();
    path
}

// ---------------------------------------------------------------------------------------------
// Servers on 127.0.0.1, each on its own thread and runtime, living as long as the test process

pub fn serve<F, Fut>(handler: F) -> u16
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
pub fn tls_server(chain: Vec<CertificateDer<'static>>, key: PrivateKeyDer<'static>) -> u16 {
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
pub enum Raw {
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

pub fn raw_server(what: Raw) -> u16 {
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
pub fn run(
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

pub fn detail(r: &serde_json::Value) -> &str {
    r["detail"].as_str().unwrap_or_default()
}

/// A lab: the expected CA, a store file trusting it, and a TLS server with a leaf it signed.
pub fn lab_tls(validity: Validity, name: &str) -> (tempfile::TempDir, PathBuf, u16) {
    let dir = tempfile::tempdir().unwrap();
    let lab = ca("Lab Root CA");
    let store = pem_file(dir.path(), "lab.pem", &[&lab]);
    let (chain, key) = leaf(&lab, name, validity);
    (dir, store, tls_server(chain, key))
}
