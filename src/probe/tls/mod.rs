//! The `tls` check: resolve, TCP, then a TLS handshake with SNI; the presented chain is recorded
//! and judged by signatures ([`judge`] has the rule).
//!
//! A TCP connect to 443 proves little: a firewall may terminate it, re-sign the certificate
//! (TLS inspection) or drop the ClientHello for a name it filters. The verdict:
//! - the chain leads, by verified signatures, to a CA that is not expected (Azure's anchors,
//!   `--expect-ca`) → `tls_intercepted`, naming that CA, whether or not this machine trusts it;
//! - it leads to an expected CA but does not hold (expired, other name), or cannot be followed
//!   (an issuer nobody has, a leaf its issuer did not sign) → `tls_untrusted`;
//! - verified → `ok`, with a warning when this machine's own store does not trust it, and a fact
//!   when the service asks for a client certificate (mutual TLS: [`client_auth`]);
//! - closed or reset before any answer → `protocol_error` (SNI filtering?); non-TLS bytes →
//!   `protocol_error` with them in hex; silence or a trickle → `timeout`.

mod assess;
mod client_auth;
mod early;
mod judge;
mod recorded;
mod signs;
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

use super::connect::with_connection;
use super::context::{Context, Target};
use super::evidence::{Evidence, TlsEvidence};
use super::facts::{ClientCertificate, TlsFacts};
use super::outcome::{Outcome, Phase, Status, Warning, millis};
use super::words::within;
pub use assess::{Assessed, assess};
use client_auth::{Asked, ended, without_one, words};
use early::{evidence_of, no_certificate};
pub use judge::{Findings, Judgement, judge, lineage};
pub use recorded::Recorded;
pub use signs::{EXPIRY_WARNING, expiry_warning, looks_like_tls, reason};
use verify::Recorder;
pub use verify::Seen;

/// A TLS session whose chain verified: the stream, what was presented, the verdict's facts and
/// its warnings.
pub struct Secured {
    /// The encrypted stream, for checks that speak a protocol inside TLS.
    pub stream: TlsStream<Recorded<TcpStream>>,
    /// The handshake and chain.
    pub evidence: TlsEvidence,
    /// The verdict (`verified`), issuer, expected CA, mutual TLS.
    pub facts: TlsFacts,
    /// A leaf expiring soon; a chain this machine's store does not trust.
    pub warnings: Vec<Warning>,
}

/// The `tls` check.
pub async fn probe(target: &Target, ctx: &Context, deadline: Instant) -> Outcome {
    with_connection(target, ctx, deadline, async |conn| {
        match wrap(conn.stream, &target.host, ctx, deadline).await {
            Ok(secured) => verified(&secured, conn.peer),
            Err(o) => o,
        }
    })
    .await
}

/// The `ok` outcome for a chain that verified.
fn verified(s: &Secured, peer: SocketAddr) -> Outcome {
    let ev = &s.evidence;
    let mut detail = format!(
        "{} with {peer} in {} ms ({}); certificate for {} verified, issued by {}",
        ev.version.as_deref().unwrap_or("TLS"),
        ev.handshake_ms,
        ev.cipher_suite.as_deref().unwrap_or("?"),
        ev.sni,
        lineage(
            &s.facts.issuer,
            s.facts.expected_ca.as_deref().unwrap_or("?")
        ),
    );
    if let Some(c) = s.facts.client_certificate {
        detail = format!("{detail}; {}", words(c, &[], None));
    }
    let mut o = Outcome::new(Status::Ok, Phase::Tls, detail);
    o.warnings.clone_from(&s.warnings);
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
    /// The chain the peer presented, when a certificate arrived.
    seen: Option<Seen>,
    /// Whether the server asked for a client certificate, and whose CAs it named.
    asked: Option<Vec<String>>,
    /// The handshake and chain as far as they went.
    evidence: TlsEvidence,
    /// How long the TLS phase had.
    budget: Duration,
}

/// Runs a TLS handshake over `stream` with SNI `host` and judges the chain. `Ok` only when the
/// chain verifies and the session is usable; any other result is the finished outcome (its
/// `peer`, `addresses` and timings are left to the caller) — `ok` itself when the service
/// requires a client certificate.
pub async fn wrap(
    stream: TcpStream,
    host: &str,
    ctx: &Context,
    deadline: Instant,
) -> Result<Secured, Outcome> {
    let peer = stream
        .peer_addr()
        .map_or_else(|_| host.to_owned(), |a| a.to_string());
    let mut attempt = handshake(stream, host, ctx, deadline).await?;
    let tls_ms = attempt.evidence.handshake_ms;
    let Some(seen) = &attempt.seen else {
        let result = attempt.result.map(|r| r.map(|_| ()));
        let first = &attempt.first;
        return Err(no_certificate(
            result,
            first,
            &peer,
            host,
            ctx,
            tls_ms,
            attempt.budget,
        ));
    };
    let mut ev = attempt.evidence;
    let assessed = match assess(&ctx.trust, seen) {
        Ok(a) => a,
        Err(why) => {
            let o = Outcome::new(Status::ProtocolError, Phase::Tls, why);
            return Err(finish(o, ev, tls_ms, Vec::new()));
        }
    };
    ev.chain = assessed.chain;
    let Judgement {
        mut facts,
        verdict,
        warning,
    } = assessed.judgement;
    let mut warnings = warnings(&ev);
    warnings.extend(warning);
    let took = Duration::from_secs_f64(tls_ms / 1000.0);
    let how = match &attempt.asked {
        Some(_) => after(&mut attempt.result, took, deadline).await,
        None => None,
    };
    facts.client_certificate = how.as_ref().map(|(c, _)| *c);
    let o = match (verdict, attempt.result, how) {
        (Err((status, why)), _, _) => Outcome::new(status, Phase::Tls, why),
        (Ok(()), _, Some((ClientCertificate::Required, how))) => {
            let cas = attempt.asked.unwrap_or_default();
            required(&peer, host, &facts, &cas, how.as_deref())
        }
        (Ok(()), Some(Ok(stream)), _) => {
            return Ok(Secured {
                stream,
                evidence: ev,
                facts,
                warnings,
            });
        }
        (Ok(()), Some(Err(e)), _) => Outcome::new(
            Status::ProtocolError,
            Phase::Tls,
            format!(
                "{peer} presented a good certificate for {host}, then the handshake failed: {e}"
            ),
        ),
        (Ok(()), None, _) => Outcome::timed_out(
            Phase::Tls,
            attempt.budget,
            format!(
                "{peer} presented a good certificate for {host}, then stalled: handshake not finished within {}",
                within(ctx.timeout, attempt.budget)
            ),
        ),
    };
    let mut o = finish(o, ev, tls_ms, warnings);
    o.facts.tls = Some(facts);
    Err(o)
}

/// What a server that asked for a client certificate did without one: its alert ended the
/// handshake (TLS 1.2), or comes on the first read (TLS 1.3); `None` when the deadline came first.
async fn after(
    result: &mut Option<io::Result<TlsStream<Recorded<TcpStream>>>>,
    took: Duration,
    deadline: Instant,
) -> Option<(ClientCertificate, Option<String>)> {
    match result {
        Some(Ok(s)) => Some(without_one(s, took, deadline).await),
        Some(Err(e)) => Some((ClientCertificate::Required, Some(ended(e)))),
        None => None,
    }
}

/// The `ok` of a service that proved its identity and then wants a client certificate.
fn required(
    peer: &str,
    host: &str,
    facts: &TlsFacts,
    cas: &[String],
    how: Option<&str>,
) -> Outcome {
    let detail = format!(
        "{peer} presented a good certificate for {host}, issued by {}; {}",
        lineage(&facts.issuer, facts.expected_ca.as_deref().unwrap_or("?")),
        words(ClientCertificate::Required, cas, how)
    );
    Outcome::new(Status::Ok, Phase::Tls, detail)
}

/// An outcome of the TLS phase with its evidence, warnings and the phase's duration.
fn finish(mut o: Outcome, ev: TlsEvidence, tls_ms: f64, warnings: Vec<Warning>) -> Outcome {
    o.detail = format!("{} (TLS phase {tls_ms} ms)", o.detail);
    o.warnings = warnings;
    o.evidence = Some(Evidence::Tls(ev));
    o
}

/// The handshake itself, with the recording verifier and a client-certificate resolver that
/// offers none; a setup failure is the finished outcome.
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
        ctx.trust.provider.signature_verification_algorithms,
    ));
    let asked = Arc::new(Asked::default());
    let config = ClientConfig::builder_with_provider(Arc::clone(&ctx.trust.provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| Outcome::new(Status::Error, Phase::Tls, format!("TLS setup: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::clone(&recorder) as _)
        .with_client_cert_resolver(Arc::clone(&asked) as _);
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
        asked: asked.asked(),
        evidence,
        budget,
    })
}

/// Warnings for a handshake that reached the certificate: a leaf expiring soon (for TLS-wrapped
/// checks to add to their own outcome). Trust store problems are reported once, for the run.
pub fn warnings(ev: &TlsEvidence) -> Vec<Warning> {
    expiry_warning(ev, crate::timestamp::now_unix())
        .into_iter()
        .collect()
}
