//! What a peer presented or sent, recorded as it was: the certificate chain of a TLS handshake,
//! the numbers of an NTP answer, the first bytes of any other reply. The judgement made of it is
//! in [`super::facts`]; this is the record a reader can check that judgement against.

use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

/// Structured evidence of what a peer presented, one variant per kind of record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Evidence {
    /// The TLS handshake: version, chain.
    Tls(TlsEvidence),
    /// The NTP answer: offset, round trip, stratum.
    Ntp(NtpEvidence),
    /// What a peer sent back in the application protocol.
    Reply {
        /// The protocol expected (`tds`, `smb`, `amqp`, `http`, …).
        protocol: String,
        /// The first bytes received, in hex (empty when the peer sent nothing).
        first_bytes_hex: String,
        /// What the reply was understood to be, when it was understood.
        understood: Option<String>,
    },
}

/// The handshake and chain a TLS peer presented.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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

/// What an NTP server answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NtpEvidence {
    /// The address that answered.
    pub server: SocketAddr,
    /// Server clock minus this machine's clock, in milliseconds (positive: this machine is behind).
    pub offset_ms: f64,
    /// Round-trip delay of the exchange, in milliseconds.
    pub round_trip_ms: f64,
    /// The server's stratum (1: a reference clock; 2–15: synchronised over NTP).
    pub stratum: u8,
    /// The server's reference: a clock name at stratum 1, else the upstream's address (or hash).
    pub reference: String,
    /// Leap indicator (0: no warning; 3 is rejected as "unsynchronised").
    pub leap_indicator: u8,
}

/// One certificate of a presented chain: what the report shows, and what matching needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainCert {
    /// Subject DN.
    pub subject: String,
    /// Issuer DN.
    pub issuer: String,
    /// End of validity, RFC 3339.
    pub not_after: String,
    /// SHA-256 of the DER encoding, lowercase hex.
    pub sha256: String,
    /// End of validity, seconds since the epoch.
    #[serde(skip)]
    pub not_after_unix: i64,
    /// Subject, short (`CN=…` when there is a common name).
    #[serde(skip)]
    pub subject_short: String,
    /// Issuer, short (`CN=…` when there is a common name).
    #[serde(skip)]
    pub issuer_short: String,
    /// Subject DN, DER.
    #[serde(skip)]
    pub subject_der: Vec<u8>,
    /// Issuer DN, DER.
    #[serde(skip)]
    pub issuer_der: Vec<u8>,
    /// Authority key identifier, when present.
    #[serde(skip)]
    pub authority_key_id: Option<Vec<u8>>,
    /// Subject key identifier, when present.
    #[serde(skip)]
    pub subject_key_id: Option<Vec<u8>>,
}
