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
mod verify;

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rustls::ClientConfig;
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout_at};
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use super::bytes::{hex_prefix, printable};
use super::connect::with_connection;
use super::context::{Context, Target};
use super::evidence::{ChainCert, Evidence, TlsEvidence};
use super::facts::TlsFacts;
use super::outcome::{Outcome, Phase, Status, Warning, millis};
use super::trust::{ExpectedCa, expected_anchor};
use super::words::within;
pub use judge::{EXPIRY_WARNING, expiry_warning, facts, looks_like_tls, verdict};
use judge::{close_word, is_close, lineage, version_name};
pub use recorded::Recorded;
use verify::{Recorder, Seen};

/// A TLS session whose chain verified and leads to an expected CA: the stream, what was
/// presented, and the verdict's facts.
pub struct Secured {
    /// The encrypted stream, for checks that speak a protocol inside TLS.
    pub stream: TlsStream<Recorded<TcpStream>>,
    /// The handshake and chain.
    pub evidence: TlsEvidence,
    /// The verdict (`verified`), issuer and expected CA.
    pub facts: TlsFacts,
}

/// The `tls` check.
pub async fn probe(target: &Target, ctx: &Context, deadline: Instant) -> Outcome {
    with_connection(target, ctx, deadline, async |conn| {
        match wrap(conn.stream, &target.host, ctx, deadline).await {
            Ok(secured) => verified(&secured, conn.peer, ctx),
            Err(o) => o,
        }
    })
    .await
}

/// The `ok` outcome for a chain that verified and leads to an expected CA.
fn verified(s: &Secured, peer: SocketAddr, ctx: &Context) -> Outcome {
    let ev = &s.evidence;
    let anchor = expected_anchor(&ev.chain, &ctx.trust.expected).map_or("?", |ca| ca.name.as_str());
    let detail = format!(
        "{} with {peer} in {} ms ({}); certificate for {} verified, issued by {}",
        ev.version.as_deref().unwrap_or("TLS"),
        ev.handshake_ms,
        ev.cipher_suite.as_deref().unwrap_or("?"),
        ev.sni,
        lineage(&s.facts.issuer, anchor),
    );
    let mut o = Outcome::new(Status::Ok, Phase::Tls, detail);
    o.warnings = warnings(ev);
    o.facts.tls = Some(s.facts.clone());
    o.evidence = Some(Evidence::Tls(ev.clone()));
    o
}

/// What one handshake attempt left behind, for the judgement.
struct Attempt {
    /// The handshake's end: `None` when the deadline came first.
    result: Option<io::Result<TlsStream<Recorded<TcpStream>>>>,
    /// The first bytes the peer sent.
    first: Vec<u8>,
    /// The chain the peer presented and webpki's verdict, when a certificate arrived.
    seen: Option<Seen>,
    /// The handshake and chain as far as they went.
    evidence: TlsEvidence,
    /// How long the TLS phase had.
    budget: Duration,
}

/// Runs a TLS handshake over `stream` with SNI `host` and judges the chain. `Ok` only when the
/// chain verifies *and* leads to an expected CA; any other result is the finished outcome (its
/// `peer`, `addresses` and timings other than the detail are left to the caller).
pub async fn wrap(
    stream: TcpStream,
    host: &str,
    ctx: &Context,
    deadline: Instant,
) -> Result<Secured, Outcome> {
    let peer = stream
        .peer_addr()
        .map_or_else(|_| host.to_owned(), |a| a.to_string());
    let attempt = handshake(stream, host, ctx, deadline).await?;
    let tls_ms = attempt.evidence.handshake_ms;
    let Some(seen) = &attempt.seen else {
        let result = attempt.result.map(|r| r.map(|_| ()));
        return Err(no_certificate(
            result,
            &attempt.first,
            &peer,
            host,
            ctx,
            tls_ms,
            attempt.budget,
        ));
    };
    let mut ev = attempt.evidence;
    let judged = judge(seen, &mut ev, &ctx.trust.expected);
    let mut o = match (judged, attempt.result) {
        (Ok(facts), Some(Ok(stream))) => {
            return Ok(Secured {
                stream,
                evidence: ev,
                facts,
            });
        }
        (Err(o), _) => *o,
        (Ok(facts), Some(Err(e))) => {
            let detail = format!(
                "{peer} presented a good certificate for {host}, then the handshake failed: {e}"
            );
            with_facts(
                Outcome::new(Status::ProtocolError, Phase::Tls, detail),
                facts,
            )
        }
        (Ok(facts), None) => {
            let detail = format!(
                "{peer} presented a good certificate for {host}, then stalled: handshake not finished within {}",
                within(ctx.timeout, attempt.budget)
            );
            with_facts(
                Outcome::timed_out(Phase::Tls, attempt.budget, detail),
                facts,
            )
        }
    };
    o.detail = format!("{} (TLS phase {tls_ms} ms)", o.detail);
    o.warnings = warnings(&ev);
    o.evidence = Some(Evidence::Tls(ev));
    Err(o)
}

/// `o` with the TLS verdict as its fact.
fn with_facts(mut o: Outcome, facts: TlsFacts) -> Outcome {
    o.facts.tls = Some(facts);
    o
}

/// The handshake itself, with the recording verifier; a setup failure is the finished outcome.
async fn handshake(
    stream: TcpStream,
    host: &str,
    ctx: &Context,
    deadline: Instant,
) -> Result<Attempt, Outcome> {
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
    let budget = deadline.saturating_duration_since(start);
    let (stream, first) = Recorded::new(stream);
    let connector = TlsConnector::from(Arc::new(config));
    let result = timeout_at(deadline, connector.connect(name, stream))
        .await
        .ok();
    let first = first.lock().expect("first-bytes buffer poisoned").clone();
    let evidence = evidence_of(host, result.as_ref(), millis(start.elapsed()));
    Ok(Attempt {
        result,
        first,
        seen: recorder.seen(),
        evidence,
        budget,
    })
}

/// The evidence of a handshake so far: version and suite when it completed (the chain is added
/// by the judgement).
fn evidence_of(
    host: &str,
    result: Option<&io::Result<TlsStream<Recorded<TcpStream>>>>,
    handshake_ms: f64,
) -> TlsEvidence {
    let mut ev = TlsEvidence {
        sni: host.to_owned(),
        version: None,
        cipher_suite: None,
        handshake_ms,
        chain: Vec::new(),
    };
    if let Some(Ok(tls)) = result {
        let conn = tls.get_ref().1;
        ev.version = conn.protocol_version().map(version_name);
        ev.cipher_suite = conn.negotiated_cipher_suite().map(|s| {
            let s = s.suite();
            s.as_str().map_or_else(|| format!("{s:?}"), str::to_owned)
        });
    }
    ev
}

/// The outcome when no certificate arrived: silence, a close, an alert, or not TLS at all.
fn no_certificate(
    result: Option<io::Result<()>>,
    first: &[u8],
    peer: &str,
    host: &str,
    ctx: &Context,
    tls_ms: f64,
    budget: Duration,
) -> Outcome {
    let limit = within(ctx.timeout, budget);
    let (status, detail, understood) = match result {
        None if first.is_empty() => (
            Status::Timeout,
            format!(
                "TCP to {peer} is open, but no TLS answer to the ClientHello for {host} within {limit} (dropped by a firewall after the connect?)"
            ),
            None,
        ),
        None => (
            Status::Timeout,
            format!(
                "{peer} started answering ({}) but the handshake did not finish within {limit}",
                hex_prefix(first)
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
    let detail = format!("{detail} (TLS phase {tls_ms} ms)");
    let o = if status == Status::Timeout {
        Outcome::timed_out(Phase::Tls, budget, detail)
    } else {
        Outcome::new(status, Phase::Tls, detail)
    };
    o.with_reply("tls", first, understood)
}

/// Judges a recorded chain, filling the evidence's chain: the verdict's facts for verified and
/// expected, else the finished outcome (with the facts when there was a chain to judge).
fn judge(
    seen: &Seen,
    ev: &mut TlsEvidence,
    expected: &[ExpectedCa],
) -> Result<TlsFacts, Box<Outcome>> {
    let unreadable = |why: String| Box::new(Outcome::new(Status::ProtocolError, Phase::Tls, why));
    let parsed: Result<Vec<ChainCert>, String> =
        seen.chain.iter().map(|c| ChainCert::from_der(c)).collect();
    ev.chain = match parsed {
        Ok(c) if !c.is_empty() => c,
        Ok(_) => {
            return Err(unreadable(
                "the peer sent an empty certificate chain".into(),
            ));
        }
        Err(e) => {
            return Err(unreadable(format!(
                "the peer sent a certificate that cannot be read: {e}"
            )));
        }
    };
    let refusal = seen.verdict.as_ref().err();
    let facts = facts(&ev.chain, refusal, expected).expect("a non-empty chain has facts");
    match verdict(&ev.chain, refusal, expected, &ev.sni) {
        Ok(()) => Ok(facts),
        Err((status, why)) => Err(Box::new(with_facts(
            Outcome::new(status, Phase::Tls, why),
            facts,
        ))),
    }
}

/// Warnings for a handshake that reached the certificate: a leaf expiring soon (for TLS-wrapped
/// checks to add to their own outcome). Trust store problems are reported once, for the run.
pub fn warnings(ev: &TlsEvidence) -> Vec<Warning> {
    expiry_warning(ev, crate::timestamp::now_unix())
        .into_iter()
        .collect()
}
