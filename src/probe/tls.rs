//! The `tls` check: resolve, TCP, then a TLS handshake with SNI; the presented chain is recorded
//! and judged.
//!
//! A TCP connect to 443 proves little: a firewall may terminate it, re-sign the certificate
//! (TLS inspection) or drop the ClientHello for a name it filters. The verdict, in order:
//! - the chain does not lead to an expected CA (Azure's roots, `--expect-ca`) → `tls_intercepted`,
//!   whether or not this machine trusts it, naming who signed it;
//! - it leads there but does not verify (unknown issuer, expired, other name) → `tls_untrusted`;
//! - closed or reset before any answer → `protocol_error` (SNI filtering?); non-TLS bytes →
//!   `protocol_error` with them in hex; silence or a trickle → `timeout`.

mod judge;
mod recorded;
#[cfg(test)]
mod testcerts;
mod trust;
mod verify;

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use rustls::ClientConfig;
use rustls::pki_types::ServerName;
use serde::Serialize;
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout_at};
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use super::dns::hex_prefix;
use super::outcome::{Evidence, millis};
use super::{Context, Outcome, Phase, Status, Target, human, tcp};
pub use judge::{EXPIRY_WARNING, expiry_warning, looks_like_tls, printable, verdict};
use judge::{close_word, is_close, lineage, version_name};
pub use recorded::Recorded;
pub use trust::{AZURE_ROOTS_PEM, ChainCert, ExpectedCa, Trust, azure_roots, expected_anchor};
use verify::{Recorder, Seen};

/// The handshake and chain a TLS peer presented.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct TlsEvidence {
    /// The server name sent (SNI) and verified against.
    pub sni: String,
    /// Negotiated version (`TLS 1.3`), when the handshake completed.
    pub version: Option<String>,
    /// Negotiated cipher suite, when the handshake completed.
    pub cipher_suite: Option<String>,
    /// Duration of the TLS phase, milliseconds.
    pub handshake_ms: f64,
    /// The presented certificates, leaf first, in the order sent.
    pub chain: Vec<ChainCert>,
}

/// The `tls` check.
pub async fn probe(target: &Target, ctx: &Context, deadline: Instant) -> Outcome {
    tcp::with_connection(target, ctx, deadline, async |conn| {
        match wrap(conn.stream, &target.host, ctx, deadline).await {
            Ok((_, ev)) => verified(&ev, conn.peer, ctx),
            Err(o) => o,
        }
    })
    .await
}

/// The `ok` outcome for a chain that verified and leads to an expected CA.
fn verified(ev: &TlsEvidence, peer: SocketAddr, ctx: &Context) -> Outcome {
    let chain = &ev.chain;
    let anchor = expected_anchor(chain, &ctx.trust.expected).map_or("?", |ca| ca.name.as_str());
    let detail = format!(
        "{} with {peer} in {} ms ({}); certificate for {} verified, issued by {}",
        ev.version.as_deref().unwrap_or("TLS"),
        ev.handshake_ms,
        ev.cipher_suite.as_deref().unwrap_or("?"),
        ev.sni,
        lineage(
            chain.first().map_or("?", |c| c.issuer_short.as_str()),
            anchor
        ),
    );
    let mut o = Outcome::new(Status::Ok, Phase::Tls, detail);
    o.warnings = warnings(ev, ctx);
    o.evidence = Some(Evidence::Tls(ev.clone()));
    o
}

/// Runs a TLS handshake over `stream` with SNI `host` and judges the chain. `Ok` only when the
/// chain verifies *and* leads to an expected CA; any other result is the finished outcome (its
/// `peer`, `addresses` and timings other than the detail are left to the caller).
pub async fn wrap(
    stream: TcpStream,
    host: &str,
    ctx: &Context,
    deadline: Instant,
) -> Result<(TlsStream<Recorded<TcpStream>>, TlsEvidence), Outcome> {
    let peer = stream
        .peer_addr()
        .map_or_else(|_| host.to_owned(), |a| a.to_string());
    let name = ServerName::try_from(host.to_owned()).map_err(|e| {
        Outcome::new(
            Status::Error,
            Phase::Tls,
            format!("`{host}` cannot be sent as a TLS server name: {e}"),
        )
    })?;
    let recorder = Arc::new(Recorder::new(
        ctx.trust.verifier.clone(),
        ctx.trust.provider.signature_verification_algorithms,
    ));
    let config = ClientConfig::builder_with_provider(Arc::clone(&ctx.trust.provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| Outcome::new(Status::Error, Phase::Tls, format!("TLS setup: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::clone(&recorder) as _)
        .with_no_client_auth();
    let start = Instant::now();
    let (stream, first) = Recorded::new(stream);
    let result = timeout_at(
        deadline,
        TlsConnector::from(Arc::new(config)).connect(name, stream),
    )
    .await
    .ok();
    let first = first.lock().expect("first-bytes buffer poisoned").clone();
    let tls_ms = millis(start.elapsed());
    let seen = recorder.seen();
    let mut ev = TlsEvidence {
        sni: host.to_owned(),
        version: None,
        cipher_suite: None,
        handshake_ms: tls_ms,
        chain: Vec::new(),
    };
    if let Some(Ok(tls)) = &result {
        let conn = tls.get_ref().1;
        ev.version = conn.protocol_version().map(version_name);
        ev.cipher_suite = conn.negotiated_cipher_suite().map(|s| {
            let s = s.suite();
            s.as_str().map_or_else(|| format!("{s:?}"), str::to_owned)
        });
    }
    let Some(seen) = seen else {
        return Err(no_certificate(
            result.map(|r| r.map(|_| ())),
            &first,
            &peer,
            host,
            ctx,
            tls_ms,
        ));
    };
    let verdict = judge(&seen, &mut ev, &ctx.trust.expected);
    let mut o = match (verdict, result) {
        (Ok(()), Some(Ok(tls))) => return Ok((tls, ev)),
        (Err((status, why)), _) => Outcome::new(status, Phase::Tls, why),
        (Ok(()), Some(Err(e))) => Outcome::new(
            Status::ProtocolError,
            Phase::Tls,
            format!(
                "{peer} presented a good certificate for {host}, then the handshake failed: {e}"
            ),
        ),
        (Ok(()), None) => Outcome::new(
            Status::Timeout,
            Phase::Tls,
            format!(
                "{peer} presented a good certificate for {host}, then stalled: handshake not finished within {}",
                human(ctx.timeout)
            ),
        ),
    };
    o.detail = format!("{} (TLS phase {tls_ms} ms)", o.detail);
    o.warnings = warnings(&ev, ctx);
    o.evidence = Some(Evidence::Tls(ev));
    Err(o)
}

/// The outcome when no certificate arrived: silence, a close, an alert, or not TLS at all.
fn no_certificate(
    result: Option<io::Result<()>>,
    first: &[u8],
    peer: &str,
    host: &str,
    ctx: &Context,
    tls_ms: f64,
) -> Outcome {
    let reply = |understood: Option<String>| Evidence::Reply {
        protocol: "tls".into(),
        first_bytes_hex: hex_prefix(first),
        understood,
    };
    let (status, detail, understood) = match result {
        None if first.is_empty() => (
            Status::Timeout,
            format!(
                "TCP to {peer} is open, but no TLS answer to the ClientHello for {host} within {} (dropped by a firewall after the connect?)",
                human(ctx.timeout)
            ),
            None,
        ),
        None => (
            Status::Timeout,
            format!(
                "{peer} started answering ({}) but the handshake did not finish within {}",
                hex_prefix(first),
                human(ctx.timeout)
            ),
            None,
        ),
        Some(Ok(())) => (
            Status::Error,
            format!("TLS with {peer} finished without a certificate"),
            None,
        ),
        Some(Err(e)) if first.is_empty() && is_close(&e) => (
            Status::ProtocolError,
            format!(
                "{peer} closed during TLS handshake — SNI filtering? (right after the ClientHello for {host}: {})",
                close_word(&e)
            ),
            None,
        ),
        Some(Err(e)) if !looks_like_tls(first) => (
            Status::ProtocolError,
            format!(
                "{peer} does not speak TLS: it answered the ClientHello with {} [{e}]",
                hex_prefix(first)
            ),
            printable(first),
        ),
        Some(Err(e)) => (
            Status::ProtocolError,
            format!("TLS handshake with {peer} for {host} failed before any certificate: {e}"),
            Some("TLS record".to_owned()),
        ),
    };
    let mut o = Outcome::new(
        status,
        Phase::Tls,
        format!("{detail} (TLS phase {tls_ms} ms)"),
    );
    o.evidence = Some(reply(understood));
    o
}

/// Judges a recorded chain, filling the evidence's chain: `Ok` for verified and expected, else
/// the status and the reason.
fn judge(
    seen: &Seen,
    ev: &mut TlsEvidence,
    expected: &[ExpectedCa],
) -> Result<(), (Status, String)> {
    let parsed: Result<Vec<ChainCert>, String> =
        seen.chain.iter().map(|c| ChainCert::from_der(c)).collect();
    let chain = match parsed {
        Ok(c) if !c.is_empty() => c,
        Ok(_) => {
            return Err((
                Status::ProtocolError,
                "the peer sent an empty certificate chain".into(),
            ));
        }
        Err(e) => {
            return Err((
                Status::ProtocolError,
                format!("the peer sent a certificate that cannot be read: {e}"),
            ));
        }
    };
    ev.chain = chain;
    verdict(&ev.chain, seen.verdict.as_ref().err(), expected, &ev.sni)
}

/// Warnings for a handshake that reached the certificate: a leaf expiring soon (for TLS-wrapped
/// checks to add to their own outcome). Trust store problems are reported once, for the run.
pub fn warnings(ev: &TlsEvidence, _ctx: &Context) -> Vec<String> {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    expiry_warning(ev, now).into_iter().collect()
}
