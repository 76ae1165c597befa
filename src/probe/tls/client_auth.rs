//! Mutual TLS. A service that asks for a client certificate (a TLS CertificateRequest) was
//! reached and proved its identity; it wants a certificate only APIM's own machines hold. That is
//! `ok` with a fact, never a protocol error.
//!
//! How it shows: in TLS 1.2 the server ends the handshake with an alert (`handshake_failure`,
//! `certificate_required` …) once the client sends an empty Certificate. In TLS 1.3 the client's
//! handshake is over before the server has read that empty Certificate, so the alert comes on
//! the first read — hence [`without_one`], a short read after such a handshake.
//!
//! # References
//! RFC 5246 §7.4.4 and §7.4.6 (TLS 1.2 CertificateRequest, an empty client Certificate);
//! RFC 8446 §4.3.2, §4.4.2 and §6.2 (TLS 1.3, the `certificate_required` alert).

use std::io;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;

use rustls::SignatureScheme;
use rustls::client::ResolvesClientCert;
use rustls::sign::CertifiedKey;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::time::{Instant, timeout_at};
use x509_parser::prelude::{FromDer, X509Name};

use crate::probe::facts::ClientCertificate;
use crate::probe::trust::ca::short;

/// The longest wait for a TLS 1.3 server's verdict on our empty Certificate.
const MOST: Duration = Duration::from_secs(1);
/// The shortest (a fast local server answers within a millisecond or two).
const LEAST: Duration = Duration::from_millis(250);

/// Offers no client certificate, and records that the server asked for one (and whose CAs it
/// accepts).
#[derive(Debug, Default)]
pub struct Asked {
    asked: Mutex<Option<Vec<String>>>,
}

impl Asked {
    /// Whether the server asked for a client certificate, with the CAs it named (short), if so.
    pub fn asked(&self) -> Option<Vec<String>> {
        self.asked
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

impl ResolvesClientCert for Asked {
    fn resolve(
        &self,
        root_hint_subjects: &[&[u8]],
        _sigschemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        let cas = root_hint_subjects
            .iter()
            .filter_map(|der| X509Name::from_der(der).ok().map(|(_, n)| short(&n)))
            .collect();
        *self
            .asked
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(cas);
        None
    }

    fn has_certs(&self) -> bool {
        false
    }
}

/// What a server that asked for a client certificate does after a handshake that completed
/// without one: an alert or a close on the first read (it requires one), or nothing within a
/// short wait (it went on without). The wait is twice the handshake, within [`LEAST`]…[`MOST`]
/// and the deadline.
pub async fn without_one<S: AsyncRead + Unpin>(
    stream: &mut S,
    handshake: Duration,
    deadline: Instant,
) -> (ClientCertificate, Option<String>) {
    let wait = (handshake * 2).clamp(LEAST, MOST);
    let until = (Instant::now() + wait).min(deadline);
    let mut byte = [0u8; 1];
    match timeout_at(until, stream.read(&mut byte)).await {
        Err(_) | Ok(Ok(1..)) => (ClientCertificate::Requested, None),
        Ok(Ok(0)) => (
            ClientCertificate::Required,
            Some("closed the session".into()),
        ),
        Ok(Err(e)) => (ClientCertificate::Required, Some(ended(&e))),
    }
}

/// How the server ended a session, in words: the TLS alert it sent, or the error.
pub fn ended(e: &io::Error) -> String {
    match e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        Some(rustls::Error::AlertReceived(alert)) => format!("answered with the alert {alert:?}"),
        _ => format!("ended the session ({e})"),
    }
}

/// The fact in words, for a detail.
pub fn words(client: ClientCertificate, cas: &[String], how: Option<&str>) -> String {
    let from = if cas.is_empty() {
        String::new()
    } else {
        format!(" from {}", cas.join(", "))
    };
    match client {
        ClientCertificate::Required => format!(
            "the service requires a client certificate{from} (mutual TLS): it {} when offered none — it was reached and proved its identity; only APIM's own machines hold such a certificate",
            how.unwrap_or("ended the session")
        ),
        ClientCertificate::Requested => format!(
            "the service asks for a client certificate{from} (mutual TLS) and went on without one"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_close_or_an_alert_after_the_handshake_means_required_silence_requested() {
        let deadline = Instant::now() + Duration::from_secs(5);
        let (mut ours, theirs) = tokio::io::duplex(64);
        drop(theirs);
        let (c, how) = without_one(&mut ours, Duration::from_millis(1), deadline).await;
        assert_eq!(c, ClientCertificate::Required);
        assert_eq!(how.as_deref(), Some("closed the session"));
        let (mut ours, _theirs) = tokio::io::duplex(64);
        let started = Instant::now();
        let (c, how) = without_one(&mut ours, Duration::from_millis(1), deadline).await;
        assert_eq!((c, how), (ClientCertificate::Requested, None));
        assert!(started.elapsed() < MOST + Duration::from_secs(1));
        let alert = io::Error::new(
            io::ErrorKind::InvalidData,
            rustls::Error::AlertReceived(rustls::AlertDescription::CertificateRequired),
        );
        assert_eq!(ended(&alert), "answered with the alert CertificateRequired");
        let reset = io::Error::from(io::ErrorKind::ConnectionReset);
        assert!(ended(&reset).starts_with("ended the session"));
    }

    #[test]
    fn the_fact_in_words_names_the_cas_the_server_accepts() {
        let w = words(
            ClientCertificate::Required,
            &["CN=APIM Client CA".into()],
            Some("answered with the alert CertificateRequired"),
        );
        assert!(
            w.starts_with(
                "the service requires a client certificate from CN=APIM Client CA (mutual TLS)"
            ),
            "{w}"
        );
        let w = words(ClientCertificate::Requested, &[], None);
        assert!(w.contains("went on without one"), "{w}");
    }
}
