//! What the `tls` check trusts, and which CAs it *expects* a chain to lead to.
//!
//! Trust and expectation are separate questions: a firewall doing TLS inspection re-signs with a
//! CA that the machine may well trust (it was deployed for that), yet the chain is not the one
//! the endpoint presents. So a chain is judged twice: does it verify against this machine's
//! store, and does it lead to one of Azure's roots (or a CA given with `--expect-ca`)?

use std::path::PathBuf;
use std::sync::Arc;

use rustls::RootCertStore;
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use x509_parser::extensions::ParsedExtension;
use x509_parser::prelude::{FromDer, X509Certificate, X509Name};

pub use super::evidence::ChainCert;
use crate::probe::bytes::hex;
use crate::timestamp::rfc3339;

/// The roots Azure's public endpoints chain to (DigiCert Global Root CA, G2, G3, TLS RSA4096 and
/// ECC P384 Root G5; Microsoft RSA and ECC Root CA 2017; Microsoft TLS RSA and ECC Root G2), from
/// learn.microsoft.com "Azure Certificate Authority details" (sources: `probes/roots/SOURCES.md`).
pub const AZURE_ROOTS_PEM: &str = include_str!("../../probes/roots/azure.pem");

/// A CA a presented chain is expected to lead to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedCa {
    /// Its subject in DER, byte for byte as certificates it issued name their issuer.
    pub subject_der: Vec<u8>,
    /// Its subject key identifier, when it carries one.
    pub key_id: Option<Vec<u8>>,
    /// Its subject, short (`CN=…`), for details.
    pub name: String,
}

impl ExpectedCa {
    /// The expectation a CA certificate stands for.
    pub fn from_der(der: &[u8]) -> Result<Self, String> {
        let c = ChainCert::from_der(der)?;
        Ok(Self {
            subject_der: c.subject_der,
            key_id: c.subject_key_id,
            name: c.subject_short,
        })
    }
}

impl ChainCert {
    /// Reads one DER certificate.
    pub fn from_der(der: &[u8]) -> Result<Self, String> {
        let (_, c) =
            X509Certificate::from_der(der).map_err(|e| format!("not a certificate: {e}"))?;
        let mut aki = None;
        let mut ski = None;
        for ext in c.iter_extensions() {
            match ext.parsed_extension() {
                ParsedExtension::AuthorityKeyIdentifier(a) => {
                    aki = a.key_identifier.as_ref().map(|k| k.0.to_vec());
                }
                ParsedExtension::SubjectKeyIdentifier(k) => ski = Some(k.0.to_vec()),
                _ => {}
            }
        }
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

    /// Whether `ca` issued this certificate: same issuer name and, when both carry one, the same
    /// key identifier (so a look-alike CA with a copied name does not pass).
    pub fn issued_by(&self, ca: &ExpectedCa) -> bool {
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

/// Walks the chain from the leaf upwards (by issuer name, whatever order it was sent in); the
/// certificates on the path, leaf first. Loops and strays are cut off.
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

/// The expected CA the chain leads to, if any: one that issued a certificate on its path.
pub fn expected_anchor<'a>(
    chain: &[ChainCert],
    expected: &'a [ExpectedCa],
) -> Option<&'a ExpectedCa> {
    path(chain)
        .into_iter()
        .find_map(|c| expected.iter().find(|ca| c.issued_by(ca)))
}

/// What the `tls` check trusts (this machine's store plus `--expect-ca`) and expects.
#[derive(Debug)]
pub struct Trust {
    /// Trust anchors: the machine's store (honours `SSL_CERT_FILE`/`SSL_CERT_DIR`) and `--expect-ca`.
    pub roots: Arc<RootCertStore>,
    /// CAs a chain should lead to: Azure's roots and `--expect-ca`.
    pub expected: Vec<ExpectedCa>,
    /// What went wrong reading the machine's store (reported, not fatal).
    pub load_errors: Vec<String>,
    /// The chain verifier over `roots`, or why there is none (an empty store).
    pub(super) verifier: Result<Arc<WebPkiServerVerifier>, String>,
    /// The cryptography used for handshakes.
    pub(super) provider: Arc<CryptoProvider>,
}

impl Default for Trust {
    /// The machine's store, Azure's roots expected, nothing extra.
    fn default() -> Self {
        Self::load(&[]).unwrap_or_else(|e| Self::build(RootCertStore::empty(), Vec::new(), vec![e]))
    }
}

impl Trust {
    /// Loads the machine's store, Azure's roots, and each `--expect-ca` file (trusted *and*
    /// expected). A file that cannot be read or holds no usable certificate is an error naming it.
    pub fn load(expect_ca: &[PathBuf]) -> Result<Self, String> {
        let native = rustls_native_certs::load_native_certs();
        let mut load_errors: Vec<String> = native
            .errors
            .iter()
            .map(|e| format!("system trust store: {e}"))
            .collect();
        let mut roots = RootCertStore::empty();
        let (_, ignored) = roots.add_parsable_certificates(native.certs);
        if ignored > 0 {
            load_errors.push(format!(
                "system trust store: {ignored} certificate(s) could not be used"
            ));
        }
        let mut expected = azure_roots()?;
        for path in expect_ca {
            let shown = path.display();
            let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
                .and_then(Iterator::collect)
                .map_err(|e| format!("--expect-ca {shown}: {e}"))?;
            if certs.is_empty() {
                return Err(format!("--expect-ca {shown}: no PEM certificate in it"));
            }
            for cert in certs {
                expected.push(
                    ExpectedCa::from_der(&cert).map_err(|e| format!("--expect-ca {shown}: {e}"))?,
                );
                roots
                    .add(cert)
                    .map_err(|e| format!("--expect-ca {shown}: not usable as a CA: {e}"))?;
            }
        }
        Ok(Self::build(roots, expected, load_errors))
    }

    fn build(roots: RootCertStore, expected: Vec<ExpectedCa>, load_errors: Vec<String>) -> Self {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let roots = Arc::new(roots);
        let verifier =
            WebPkiServerVerifier::builder_with_provider(Arc::clone(&roots), Arc::clone(&provider))
                .build()
                .map_err(|e| match e {
                    rustls::client::VerifierBuilderError::NoRootAnchors => {
                        "this machine trusts no CA at all (empty trust store)".to_owned()
                    }
                    other => other.to_string(),
                });
        Self {
            roots,
            expected,
            load_errors,
            verifier,
            provider,
        }
    }
}

/// Azure's roots, from the embedded PEM.
pub fn azure_roots() -> Result<Vec<ExpectedCa>, String> {
    CertificateDer::pem_slice_iter(AZURE_ROOTS_PEM.as_bytes())
        .map(|c| {
            c.map_err(|e| e.to_string())
                .and_then(|c| ExpectedCa::from_der(&c))
                .map_err(|e| format!("embedded Azure roots: {e}"))
        })
        .collect()
}

/// `CN=…` when the name has a common name, else the whole DN.
fn short(name: &X509Name<'_>) -> String {
    name.iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .map_or_else(|| name.to_string(), |cn| format!("CN={cn}"))
}

#[cfg(test)]
mod tests {
    use super::super::testcerts::TestCa;
    use super::*;

    #[test]
    fn the_embedded_azure_roots_are_the_nine_documented() {
        let names: Vec<String> = azure_roots().unwrap().into_iter().map(|c| c.name).collect();
        assert_eq!(
            names,
            [
                "CN=DigiCert Global Root G2",
                "CN=DigiCert Global Root CA",
                "CN=DigiCert Global Root G3",
                "CN=DigiCert TLS RSA4096 Root G5",
                "CN=DigiCert TLS ECC P384 Root G5",
                "CN=Microsoft RSA Root Certificate Authority 2017",
                "CN=Microsoft ECC Root Certificate Authority 2017",
                "CN=Microsoft TLS RSA Root G2",
                "CN=Microsoft TLS ECC Root G2",
            ]
        );
        assert!(azure_roots().unwrap().iter().all(|c| c.key_id.is_some()));
    }

    #[test]
    fn a_leaf_matches_its_issuer_by_name_and_key_id() {
        let ca = TestCa::root("Lab CA");
        let leaf = ca.leaf("svc.test");
        assert!(leaf.issued_by(&ca.expected()));
        assert_eq!(leaf.issuer_short, "CN=Lab CA");
        assert_eq!(leaf.subject, "CN=svc.test");
    }

    #[test]
    fn a_look_alike_ca_with_the_same_name_does_not_match() {
        let real = TestCa::root("DigiCert Global Root G2");
        let fake = TestCa::root("DigiCert Global Root G2");
        let leaf = fake.leaf("svc.test");
        assert_eq!(leaf.issuer_der, real.expected().subject_der);
        assert!(!leaf.issued_by(&real.expected()));
        assert!(expected_anchor(&[leaf], &[real.expected()]).is_none());
    }

    #[test]
    fn without_key_ids_the_name_decides() {
        let ca = TestCa::root("Lab CA");
        let mut leaf = ca.leaf("svc.test");
        leaf.authority_key_id = None;
        assert!(leaf.issued_by(&ca.expected()));
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
        // Expecting the root finds it through the intermediate; so does expecting the intermediate.
        assert_eq!(
            expected_anchor(&chain, &[root.expected()]).unwrap().name,
            "CN=Root"
        );
        assert_eq!(
            expected_anchor(&chain, &[mid.expected()]).unwrap().name,
            "CN=Mid"
        );
        // The leaf alone, issued by an intermediate nobody expects, leads nowhere expected.
        assert!(expected_anchor(&chain[..1], &[root.expected()]).is_none());
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
    fn evidence_fields_are_formatted() {
        let ca = TestCa::root("Lab CA");
        let c = ca.cert();
        assert_eq!(c.sha256.len(), 64);
        assert!(
            c.sha256
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(hex(&[0x00, 0xab, 0x10]), "00ab10");
        let json = serde_json::to_value(&c).unwrap();
        let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["issuer", "not_after", "sha256", "subject"]);
    }

    #[test]
    fn a_missing_expect_ca_file_is_an_error_naming_it() {
        let e = Trust::load(&[PathBuf::from("/nonexistent/x.pem")]).unwrap_err();
        assert!(e.contains("/nonexistent/x.pem"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a pem\n").unwrap();
        let e = Trust::load(&[empty]).unwrap_err();
        assert!(
            e.contains("empty.pem") && e.contains("no PEM certificate"),
            "{e}"
        );
    }
}
