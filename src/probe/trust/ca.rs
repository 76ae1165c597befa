//! Certificates as the judgement reads them: a CA it knows ([`CaCert`]: an expected anchor, a
//! shipped intermediate, an Azure issuing CA, or one of this machine's store) and a presented
//! certificate ([`ChainCert`], what the report shows of it).

use rustls::pki_types::CertificateDer;
use x509_parser::extensions::ParsedExtension;
use x509_parser::prelude::{FromDer, X509Certificate, X509Name};

use crate::probe::bytes::hex;
use crate::probe::evidence::ChainCert;
use crate::timestamp::rfc3339;

/// A CA certificate the judgement knows, with what matching and signature checks need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaCert {
    /// The certificate, DER.
    pub der: CertificateDer<'static>,
    /// Its subject in DER, byte for byte as certificates it issued name their issuer.
    pub subject_der: Vec<u8>,
    /// Its subject key identifier, when it carries one.
    pub key_id: Option<Vec<u8>>,
    /// Its SubjectPublicKeyInfo, DER: two certificates with the same one hold the same key.
    pub spki_der: Vec<u8>,
    /// Its subject, short (`CN=…`), for details.
    pub name: String,
}

impl CaCert {
    /// Reads one DER certificate.
    pub fn from_der(der: &[u8]) -> Result<Self, String> {
        let (_, c) =
            X509Certificate::from_der(der).map_err(|e| format!("not a certificate: {e}"))?;
        Ok(Self {
            der: CertificateDer::from(der.to_vec()),
            subject_der: c.subject().as_raw().to_vec(),
            key_id: key_ids(&c).1,
            spki_der: c.public_key().raw.to_vec(),
            name: short(c.subject()),
        })
    }

    /// Whether `other` is this CA: the same subject and the same key.
    pub fn same_as(&self, other: &CaCert) -> bool {
        self.subject_der == other.subject_der && self.spki_der == other.spki_der
    }
}

impl ChainCert {
    /// Reads one DER certificate.
    pub fn from_der(der: &[u8]) -> Result<Self, String> {
        let (_, c) =
            X509Certificate::from_der(der).map_err(|e| format!("not a certificate: {e}"))?;
        let (aki, ski) = key_ids(&c);
        let not_after_unix = c.validity().not_after.timestamp();
        Ok(Self {
            subject: c.subject().to_string(),
            issuer: c.issuer().to_string(),
            not_after: rfc3339(not_after_unix),
            sha256: hex(ring::digest::digest(&ring::digest::SHA256, der).as_ref()),
            not_after_unix,
            subject_short: short(c.subject()),
            issuer_short: short(c.issuer()),
            subject_der: c.subject().as_raw().to_vec(),
            issuer_der: c.issuer().as_raw().to_vec(),
            authority_key_id: aki,
            subject_key_id: ski,
        })
    }

    /// Whether `ca` issued this certificate by name: same issuer name and, when both carry one,
    /// the same key identifier. Names only: [`super::walk`] checks who really signed.
    pub fn issued_by(&self, ca: &CaCert) -> bool {
        self.issuer_der == ca.subject_der
            && match (&self.authority_key_id, &ca.key_id) {
                (Some(a), Some(k)) => a == k,
                _ => true,
            }
    }

    fn parent_in<'a>(&self, chain: &'a [ChainCert]) -> Option<&'a ChainCert> {
        if self.issuer_der == self.subject_der {
            return None; // self-signed: the top
        }
        chain.iter().find(|p| {
            p.subject_der == self.issuer_der
                && match (&self.authority_key_id, &p.subject_key_id) {
                    (Some(a), Some(k)) => a == k,
                    _ => true,
                }
        })
    }
}

/// Walks the presented chain from the leaf upwards by issuer name (whatever order it was sent
/// in); the certificates on the path, leaf first. Loops and strays are cut off. What the chain
/// *names* as its top, for the report; who signed is [`super::walk`]'s question.
pub fn path(chain: &[ChainCert]) -> Vec<&ChainCert> {
    let mut out: Vec<&ChainCert> = chain.first().into_iter().collect();
    while let Some(parent) = out.last().and_then(|c| c.parent_in(chain)) {
        if out.iter().any(|c| std::ptr::eq(*c, parent)) {
            break;
        }
        out.push(parent);
    }
    out
}

/// The authority and subject key identifiers of a certificate, when present.
fn key_ids(c: &X509Certificate<'_>) -> (Option<Vec<u8>>, Option<Vec<u8>>) {
    let (mut aki, mut ski) = (None, None);
    for ext in c.iter_extensions() {
        match ext.parsed_extension() {
            ParsedExtension::AuthorityKeyIdentifier(a) => {
                aki = a.key_identifier.as_ref().map(|k| k.0.to_vec());
            }
            ParsedExtension::SubjectKeyIdentifier(k) => ski = Some(k.0.to_vec()),
            _ => {}
        }
    }
    (aki, ski)
}

/// `CN=…` when the name has a common name, else the whole DN.
pub fn short(name: &X509Name<'_>) -> String {
    name.iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .map_or_else(|| name.to_string(), |cn| format!("CN={cn}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::testcerts::TestCa;

    #[test]
    fn a_leaf_names_its_issuer_by_name_and_key_id() {
        let ca = TestCa::root("Lab CA");
        let leaf = ca.leaf("svc.test");
        assert!(leaf.issued_by(&ca.ca()));
        assert_eq!(leaf.issuer_short, "CN=Lab CA");
        assert_eq!(leaf.subject, "CN=svc.test");
        // A look-alike with the same name but its own key id is not named.
        let fake = TestCa::root("Lab CA");
        assert!(!fake.leaf("svc.test").issued_by(&ca.ca()));
        let mut bare = ca.leaf("svc.test");
        bare.authority_key_id = None;
        assert!(
            bare.issued_by(&fake.ca()),
            "without key ids the name decides"
        );
    }

    #[test]
    fn the_path_is_walked_by_name_whatever_the_order_sent() {
        let root = TestCa::root("Root");
        let mid = root.intermediate("Mid");
        let leaf = mid.leaf("svc.test");
        let chain = [leaf, root.cert(), mid.cert()];
        let path: Vec<&str> = path(&chain)
            .iter()
            .map(|c| c.subject_short.as_str())
            .collect();
        assert_eq!(path, ["CN=svc.test", "CN=Mid", "CN=Root"]);
    }

    #[test]
    fn a_loop_in_the_chain_ends_the_walk() {
        let ca = TestCa::root("Lab CA");
        let mut a = ca.leaf("a.test");
        let mut b = ca.leaf("b.test");
        (a.issuer_der, b.issuer_der) = (b.subject_der.clone(), a.subject_der.clone());
        (a.authority_key_id, b.authority_key_id) = (None, None);
        assert_eq!(path(&[a, b]).len(), 2);
    }

    #[test]
    fn the_same_ca_is_the_same_subject_and_key() {
        let ca = TestCa::root("Lab CA");
        let twin = TestCa::root("Lab CA");
        assert!(ca.ca().same_as(&ca.ca()));
        assert!(!ca.ca().same_as(&twin.ca()));
    }
}
