//! The judgement of a TLS handshake, as pure functions of what was recorded: the statuses'
//! rule, the words for webpki's refusals, and what the peer's first bytes look like.

use std::io;
use std::time::Duration;

use rustls::CertificateError;

use crate::probe::evidence::{ChainCert, TlsEvidence};
use crate::probe::facts::{TlsFacts, TlsRefusal, TlsVerdict};
use crate::probe::status::Status;
use crate::probe::trust::{self, ExpectedCa, expected_anchor};
use crate::probe::warning::{Warning, WarningKind};
use crate::timestamp::rfc3339;

/// A leaf expiring sooner than this gets a warning.
pub const EXPIRY_WARNING: Duration = Duration::from_secs(14 * 24 * 3600);

/// The verdict as facts: verified, intercepted or untrusted; who signed; whether this machine
/// trusts it and why not. `None` for an empty chain.
pub fn facts(
    chain: &[ChainCert],
    failure: Option<&rustls::Error>,
    expected: &[ExpectedCa],
) -> Option<TlsFacts> {
    let leaf = chain.first()?;
    let top = trust::path(chain)
        .last()
        .map_or(leaf.issuer_short.as_str(), |c| c.issuer_short.as_str());
    let anchor = expected_anchor(chain, expected);
    let verdict = match (anchor, failure) {
        (Some(_), None) => TlsVerdict::Verified,
        (None, _) => TlsVerdict::Intercepted,
        (Some(_), Some(_)) => TlsVerdict::Untrusted,
    };
    Some(TlsFacts {
        verdict,
        refusal: failure.map(refusal),
        issuer: leaf.issuer_short.clone(),
        root: (top != leaf.issuer_short).then(|| top.to_owned()),
        trusted: failure.is_none(),
        expected_ca: anchor.map(|ca| ca.name.clone()),
        chain_len: chain.len(),
    })
}

/// Which kind of refusal webpki's error is.
fn refusal(e: &rustls::Error) -> TlsRefusal {
    use CertificateError as C;
    match e {
        rustls::Error::InvalidCertificate(c) => match c {
            C::UnknownIssuer => TlsRefusal::UnknownIssuer,
            C::Expired | C::ExpiredContext { .. } => TlsRefusal::Expired,
            C::NotValidYet | C::NotValidYetContext { .. } => TlsRefusal::NotValidYet,
            C::NotValidForName | C::NotValidForNameContext { .. } => TlsRefusal::WrongName,
            _ => TlsRefusal::Other,
        },
        _ => TlsRefusal::Other,
    }
}

/// The rule, on parsed facts: not expected → intercepted; expected but failing → untrusted.
pub fn verdict(
    chain: &[ChainCert],
    failure: Option<&rustls::Error>,
    expected: &[ExpectedCa],
    host: &str,
) -> Result<(), (Status, String)> {
    let Some(leaf) = chain.first() else {
        return Err((Status::ProtocolError, "the peer sent no certificate".into()));
    };
    let signer = &leaf.issuer_short;
    let top = trust::path(chain)
        .last()
        .map_or(signer.as_str(), |c| c.issuer_short.as_str());
    match (expected_anchor(chain, expected), failure) {
        (Some(_), None) => Ok(()),
        (None, failure) => {
            let mut trusted = match failure {
                None => "this machine trusts it".to_owned(),
                Some(e) => format!("this machine does not trust it either: {}", reason(e, leaf)),
            };
            // A lone leaf from an unknown signer is also what a server that forgets its
            // intermediate sends: say so rather than accuse a firewall outright.
            if chain.len() == 1 && failure.is_some_and(is_unknown_issuer) {
                trusted.push_str(
                    "; only the leaf was sent, so a server with an incomplete chain would look the same",
                );
            }
            Err((
                Status::TlsIntercepted,
                format!(
                    "certificate for {host} re-signed by {} — TLS inspection? It does not lead to an expected CA (Azure's roots or --expect-ca); {trusted}",
                    lineage(signer, top)
                ),
            ))
        }
        (Some(ca), Some(e)) => Err((
            Status::TlsUntrusted,
            format!(
                "certificate for {host} issued by {}: {}",
                lineage(signer, &ca.name),
                reason(e, leaf)
            ),
        )),
    }
}

/// Whether webpki found no path to a trusted root.
fn is_unknown_issuer(e: &rustls::Error) -> bool {
    matches!(
        e,
        rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)
    )
}

/// `CN=A`, or `CN=A under CN=B` when the chain goes higher than the signer.
pub fn lineage(signer: &str, top: &str) -> String {
    if signer == top {
        signer.to_owned()
    } else {
        format!("{signer} under {top}")
    }
}

/// Why webpki refused, in words: which of unknown issuer / expired / other name.
pub fn reason(e: &rustls::Error, leaf: &ChainCert) -> String {
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
            C::Expired => format!("expired (the leaf is valid until {})", leaf.not_after),
            C::NotValidYet | C::NotValidYetContext { .. } => {
                "not valid yet — is this machine's clock right?".into()
            }
            C::NotValidForName | C::NotValidForNameContext { .. } => {
                format!("not valid for this name ({c})")
            }
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
    use rustls::pki_types::UnixTime;

    use super::*;
    use crate::probe::testcerts::TestCa;

    fn bad(c: CertificateError) -> rustls::Error {
        rustls::Error::InvalidCertificate(c)
    }

    #[test]
    fn verified_and_expected_is_ok() {
        let ca = TestCa::root("Lab CA");
        assert_eq!(
            verdict(&[ca.leaf("svc.test")], None, &[ca.expected()], "svc.test"),
            Ok(())
        );
    }

    #[test]
    fn an_unexpected_issuer_is_interception_whether_trusted_or_not() {
        let azure = TestCa::root("DigiCert Global Root G2");
        let fw = TestCa::root("Contoso Firewall CA");
        let chain = [fw.leaf("svc.test")];
        let (status, why) = verdict(&chain, None, &[azure.expected()], "svc.test").unwrap_err();
        assert_eq!(status, Status::TlsIntercepted);
        assert!(
            why.contains("re-signed by CN=Contoso Firewall CA — TLS inspection?"),
            "{why}"
        );
        assert!(why.contains("this machine trusts it"), "{why}");
        let unknown = bad(CertificateError::UnknownIssuer);
        let (status, why) =
            verdict(&chain, Some(&unknown), &[azure.expected()], "svc.test").unwrap_err();
        assert_eq!(status, Status::TlsIntercepted);
        assert!(
            why.contains("does not trust it either: unknown issuer"),
            "{why}"
        );
        assert!(
            why.contains("only the leaf was sent, so a server with an incomplete chain"),
            "{why}"
        );
        // With the signer's certificate sent along, nothing is missing: no such caveat.
        let mid = fw.intermediate("Contoso Firewall Issuing CA");
        let chain = [mid.leaf("svc.test"), mid.cert()];
        let (status, why) =
            verdict(&chain, Some(&unknown), &[azure.expected()], "svc.test").unwrap_err();
        assert_eq!(status, Status::TlsIntercepted);
        assert!(!why.contains("only the leaf"), "{why}");
    }

    #[test]
    fn the_verdict_as_facts() {
        let azure = TestCa::root("DigiCert Global Root G2");
        let fw = TestCa::root("Contoso Firewall CA");
        let unknown = bad(CertificateError::UnknownIssuer);
        let ok = facts(&[azure.leaf("svc.test")], None, &[azure.expected()]).unwrap();
        assert_eq!(ok.verdict, TlsVerdict::Verified);
        assert!(ok.trusted && ok.refusal.is_none());
        assert_eq!(
            ok.expected_ca.as_deref(),
            Some("CN=DigiCert Global Root G2")
        );
        let intercepted =
            facts(&[fw.leaf("svc.test")], Some(&unknown), &[azure.expected()]).unwrap();
        assert_eq!(intercepted.verdict, TlsVerdict::Intercepted);
        assert_eq!(intercepted.issuer, "CN=Contoso Firewall CA");
        assert!(!intercepted.trusted);
        assert_eq!(intercepted.refusal, Some(TlsRefusal::UnknownIssuer));
        assert_eq!(intercepted.chain_len, 1);
        let expired = bad(CertificateError::Expired);
        let untrusted = facts(
            &[azure.leaf("svc.test")],
            Some(&expired),
            &[azure.expected()],
        )
        .unwrap();
        assert_eq!(untrusted.verdict, TlsVerdict::Untrusted);
        assert_eq!(untrusted.refusal, Some(TlsRefusal::Expired));
        assert_eq!(facts(&[], None, &[]), None);
    }

    #[test]
    fn interception_names_the_signer_and_the_top() {
        let root = TestCa::root("Contoso Root");
        let mid = root.intermediate("Contoso Firewall Intermediate");
        let chain = [mid.leaf("svc.test"), mid.cert()];
        let (_, why) = verdict(&chain, None, &[], "svc.test").unwrap_err();
        assert!(
            why.contains("re-signed by CN=Contoso Firewall Intermediate under CN=Contoso Root"),
            "{why}"
        );
    }

    #[test]
    fn expected_but_failing_is_untrusted_and_says_why() {
        let ca = TestCa::root("Lab CA");
        let chain = [ca.leaf("svc.test")];
        let expected = [ca.expected()];
        let cases = [
            (bad(CertificateError::UnknownIssuer), "unknown issuer"),
            (
                bad(CertificateError::Expired),
                "expired (the leaf is valid until",
            ),
            (
                bad(CertificateError::ExpiredContext {
                    time: UnixTime::since_unix_epoch(Duration::from_secs(1_700_000_000)),
                    not_after: UnixTime::since_unix_epoch(Duration::from_secs(1_609_459_200)),
                }),
                "expired on 2021-01-01T00:00:00Z",
            ),
            (
                bad(CertificateError::NotValidForName),
                "not valid for this name",
            ),
            (bad(CertificateError::NotValidYet), "not valid yet"),
            (bad(CertificateError::BadSignature), "rejected"),
        ];
        for (e, words) in cases {
            let (status, why) = verdict(&chain, Some(&e), &expected, "svc.test").unwrap_err();
            assert_eq!(status, Status::TlsUntrusted, "{why}");
            assert!(
                why.contains(words) && why.contains("issued by CN=Lab CA"),
                "{why}"
            );
        }
    }

    #[test]
    fn an_empty_chain_is_a_protocol_error() {
        assert_eq!(
            verdict(&[], None, &[], "x").unwrap_err().0,
            Status::ProtocolError
        );
    }

    #[test]
    fn a_leaf_expiring_within_14_days_warns() {
        let mut ev = TlsEvidence {
            sni: "svc.test".into(),
            version: None,
            cipher_suite: None,
            handshake_ms: 1.0,
            chain: vec![TestCa::root("Lab CA").leaf("svc.test")],
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
    fn lineage_skips_a_repeated_name() {
        assert_eq!(lineage("CN=A", "CN=A"), "CN=A");
        assert_eq!(lineage("CN=A", "CN=B"), "CN=A under CN=B");
    }
}
