//! A certificate verifier that records instead of refusing.
//!
//! rustls aborts a handshake as soon as its verifier says no, and the chain that was presented is
//! lost with it. The whole point of the `tls` check is to say *what* was presented (whose CA
//! re-signed it, what expired), so this verifier keeps the chain, the name and the time, and lets
//! the handshake go on; [`super::assess`] judges afterwards (against Azure's CAs and this
//! machine's store) and [`super::wrap`] never hands out a stream whose chain failed. Handshake
//! signatures are still checked for real.

use std::sync::{Mutex, PoisonError};

use rustls::DigitallySignedStruct;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{WebPkiSupportedAlgorithms, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};

/// What the peer presented, for which name, and when.
#[derive(Debug, Clone)]
pub struct Seen {
    /// Leaf first, then the other certificates in the order sent.
    pub chain: Vec<CertificateDer<'static>>,
    /// The name the chain must be valid for (SNI).
    pub name: ServerName<'static>,
    /// The time of the handshake, for validity.
    pub now: UnixTime,
}

/// Records the chain; always lets the handshake continue.
#[derive(Debug)]
pub struct Recorder {
    algs: WebPkiSupportedAlgorithms,
    seen: Mutex<Option<Seen>>,
}

impl Recorder {
    /// A recorder checking handshake signatures with `algs`.
    pub fn new(algs: WebPkiSupportedAlgorithms) -> Self {
        Self {
            algs,
            seen: Mutex::new(None),
        }
    }

    /// What was recorded, if the handshake got as far as the certificate.
    pub fn seen(&self) -> Option<Seen> {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let chain = std::iter::once(end_entity)
            .chain(intermediates)
            .map(|c| c.clone().into_owned())
            .collect();
        *self.seen.lock().unwrap_or_else(PoisonError::into_inner) = Some(Seen {
            chain,
            name: server_name.to_owned(),
            now,
        });
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.algs)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.algs)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.algs.supported_schemes()
    }
}
