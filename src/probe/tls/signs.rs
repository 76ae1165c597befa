//! What a handshake's artefacts say, in words: webpki's refusals, the negotiated version, a leaf
//! about to expire, and what the peer's first bytes and errors look like.

use std::io;
use std::time::Duration;

use rustls::CertificateError;

use crate::probe::evidence::TlsEvidence;
use crate::probe::warning::{Warning, WarningKind};
use crate::timestamp::rfc3339;

/// A leaf expiring sooner than this gets a warning.
pub const EXPIRY_WARNING: Duration = Duration::from_secs(14 * 24 * 3600);

/// Why webpki refused, in words: which of unknown issuer / expired / other name.
pub fn reason(e: &rustls::Error) -> String {
    use CertificateError as C;
    match e {
        rustls::Error::InvalidCertificate(c) => match c {
            C::UnknownIssuer => {
                "unknown issuer — its root is not in this machine's trust store".into()
            }
            C::ExpiredContext { not_after, .. } => {
                let when = i64::try_from(not_after.as_secs()).unwrap_or(i64::MAX);
                format!("expired on {}", rfc3339(when))
            }
            C::Expired => "expired".into(),
            C::NotValidYet | C::NotValidYetContext { .. } => {
                "not valid yet — is this machine's clock right?".into()
            }
            C::NotValidForName | C::NotValidForNameContext { .. } => {
                format!("not valid for this name ({c})")
            }
            C::BadSignature => "a signature does not verify".into(),
            other => format!("rejected: {other}"),
        },
        other => format!("rejected: {other}"),
    }
}

/// A warning when the leaf expires within [`EXPIRY_WARNING`] of `now` (seconds since the epoch).
pub fn expiry_warning(ev: &TlsEvidence, now: i64) -> Option<Warning> {
    let leaf = ev.chain.first()?;
    let left = leaf.not_after_unix - now;
    let limit = i64::try_from(EXPIRY_WARNING.as_secs()).unwrap_or(i64::MAX);
    (left > 0 && left <= limit).then(|| {
        let days = left / 86_400;
        Warning::new(
            WarningKind::CertExpiry {
                days_left: days,
                not_after: leaf.not_after.clone(),
            },
            format!(
                "the certificate of {} expires in {days} day(s), on {}",
                ev.sni, leaf.not_after
            ),
        )
    })
}

/// `TLS 1.3` rather than `TLSv1_3`.
pub fn version_name(v: rustls::ProtocolVersion) -> String {
    match v {
        rustls::ProtocolVersion::TLSv1_3 => "TLS 1.3".into(),
        rustls::ProtocolVersion::TLSv1_2 => "TLS 1.2".into(),
        other => format!("{other:?}"),
    }
}

/// Whether the peer's first bytes open a TLS record (handshake/alert/… type, version major 3).
pub fn looks_like_tls(first: &[u8]) -> bool {
    match first {
        [] => false,
        [t] => (0x14..=0x18).contains(t),
        [t, major, ..] => (0x14..=0x18).contains(t) && *major == 0x03,
    }
}

/// Whether an I/O error is the peer closing or resetting the connection.
pub fn is_close(e: &io::Error) -> bool {
    use io::ErrorKind as K;
    matches!(
        e.kind(),
        K::UnexpectedEof | K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe
    )
}

/// `EOF` or `reset`, for a detail.
pub fn close_word(e: &io::Error) -> &'static str {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        "EOF"
    } else {
        "reset"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_leaf_expiring_within_14_days_warns() {
        let mut ev = TlsEvidence {
            sni: "svc.test".into(),
            version: None,
            cipher_suite: None,
            handshake_ms: 1.0,
            chain: vec![crate::probe::testcerts::TestCa::root("Lab CA").leaf("svc.test")],
        };
        let at = ev.chain[0].not_after_unix;
        let day = 86_400;
        let w = expiry_warning(&ev, at - 3 * day).unwrap();
        assert!(w.message.contains("expires in 3 day(s)"), "{w:?}");
        assert!(matches!(
            w.kind,
            WarningKind::CertExpiry { days_left: 3, .. }
        ));
        assert!(expiry_warning(&ev, at - 14 * day).is_some());
        assert!(expiry_warning(&ev, at - 15 * day).is_none());
        assert!(
            expiry_warning(&ev, at + 1).is_none(),
            "expired is a status, not a warning"
        );
        ev.chain.clear();
        assert!(expiry_warning(&ev, 0).is_none());
    }

    #[test]
    fn tls_records_are_told_from_other_bytes() {
        assert!(looks_like_tls(&[0x16, 0x03, 0x03, 0x00, 0x7a])); // handshake, TLS 1.2 record
        assert!(looks_like_tls(&[0x15, 0x03, 0x01])); // alert
        assert!(looks_like_tls(&[0x16])); // one byte so far
        assert!(!looks_like_tls(b"HTTP/1.1 400 Bad Request"));
        assert!(!looks_like_tls(&[0x16, 0x02])); // SSL 2-ish version
        assert!(!looks_like_tls(&[]));
    }

    #[test]
    fn refusals_in_words() {
        use rustls::pki_types::UnixTime;
        let bad = |c| rustls::Error::InvalidCertificate(c);
        let expired = bad(CertificateError::ExpiredContext {
            time: UnixTime::since_unix_epoch(Duration::from_secs(1_700_000_000)),
            not_after: UnixTime::since_unix_epoch(Duration::from_secs(1_609_459_200)),
        });
        assert_eq!(reason(&expired), "expired on 2021-01-01T00:00:00Z");
        assert!(reason(&bad(CertificateError::UnknownIssuer)).starts_with("unknown issuer"));
        assert!(reason(&bad(CertificateError::NotValidYet)).contains("clock"));
        assert!(reason(&bad(CertificateError::BadSignature)).contains("signature"));
        assert!(reason(&rustls::Error::General("x".into())).starts_with("rejected"));
    }
}
