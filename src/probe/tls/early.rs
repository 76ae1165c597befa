//! A handshake before any certificate: what it left as evidence, and the outcome when no
//! certificate came (silence, a close, an alert, or not TLS at all).

use std::io;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

use super::recorded::Recorded;
use super::signs::{close_word, is_close, looks_like_tls, version_name};
use crate::probe::bytes::{hex_prefix, printable};
use crate::probe::context::Context;
use crate::probe::evidence::TlsEvidence;
use crate::probe::outcome::{Outcome, Phase, Status};
use crate::probe::words::within;

/// The evidence of a handshake so far: version and suite when it completed (the chain is added
/// by the judgement).
pub fn evidence_of(
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
pub fn no_certificate(
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
