//! What the `tls` check expects a chain to lead to, and what this machine trusts.
//!
//! Two separate questions. *Expected*: does the chain lead, by verified signatures, to one of
//! Azure's trust anchors (or a CA given with `--expect-ca`)? A firewall doing TLS inspection
//! re-signs with a CA of its own, which this machine may well trust (it was deployed for that),
//! yet the chain is not the one the endpoint presents. *Trusted*: does this machine's own store
//! verify it, as the apps on this VM would? Debian and Ubuntu stores lacked Microsoft's 2025 G2
//! roots, so an Azure chain can be expected and still not trusted here: worth a warning.
//!
//! Children: [`ca`] (certificates as the judgement reads them), [`embedded`] (what apim-probe
//! ships, with sources), [`walk`] (following a chain by signatures).

pub mod ca;
pub mod embedded;
pub mod walk;

use std::path::PathBuf;
use std::sync::Arc;

use rustls::RootCertStore;
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

pub use super::evidence::ChainCert;
pub use ca::{CaCert, path};
pub use embedded::{Embedded, Role};
pub use walk::{Copied, Lineage, Pool};

/// What the `tls` check expects and what this machine trusts.
#[derive(Debug)]
pub struct Trust {
    /// This machine's store (honours `SSL_CERT_FILE`/`SSL_CERT_DIR`), as its own verdict's anchors.
    pub roots: Arc<RootCertStore>,
    /// The same store as certificates, to follow a chain through them (an inspecting CA this
    /// machine was given is found there).
    pub machine: Vec<CaCert>,
    /// The CAs a chain should lead to: Azure's anchors and `--expect-ca`.
    pub expected: Vec<CaCert>,
    /// `expected` as anchors, for the verdict by signatures.
    pub expected_roots: Arc<RootCertStore>,
    /// The shipped cross-certificates, offered for path building.
    pub intermediates: Vec<CaCert>,
    /// Every CA an inspecting device may imitate: the embedded ones and `--expect-ca`.
    pub known: Vec<CaCert>,
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
        Self::load(&[]).unwrap_or_else(|e| {
            Self::build(Vec::new(), &[], vec![e]).expect("an empty trust builds")
        })
    }
}

impl Trust {
    /// Loads the machine's store, Azure's CAs, and each `--expect-ca` file (expected; this
    /// machine's store is left as it is). A file that cannot be read or holds no usable
    /// certificate is an error naming it.
    pub fn load(expect_ca: &[PathBuf]) -> Result<Self, String> {
        let native = rustls_native_certs::load_native_certs();
        let load_errors: Vec<String> = native
            .errors
            .iter()
            .map(|e| format!("system trust store: {e}"))
            .collect();
        let mut expect = Vec::new();
        for path in expect_ca {
            let shown = path.display();
            let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
                .and_then(Iterator::collect)
                .map_err(|e| format!("--expect-ca {shown}: {e}"))?;
            if certs.is_empty() {
                return Err(format!("--expect-ca {shown}: no PEM certificate in it"));
            }
            for cert in &certs {
                let mut check = RootCertStore::empty();
                check
                    .add(cert.clone())
                    .map_err(|e| format!("--expect-ca {shown}: not usable as a CA: {e}"))?;
            }
            expect.extend(certs);
        }
        Self::build(native.certs, &expect, load_errors)
    }

    /// A trust from this machine's store (`machine`) and the `--expect-ca` certificates, with
    /// Azure's embedded CAs. Certificates of the machine's store that cannot be read are counted
    /// in `load_errors`; an unusable `--expect-ca` certificate is an error.
    pub fn build(
        machine: Vec<CertificateDer<'static>>,
        expect_ca: &[CertificateDer<'static>],
        mut load_errors: Vec<String>,
    ) -> Result<Self, String> {
        let machine_cas: Vec<CaCert> = machine
            .iter()
            .filter_map(|c| CaCert::from_der(c).ok())
            .collect();
        let mut roots = RootCertStore::empty();
        let (_, ignored) = roots.add_parsable_certificates(machine);
        if ignored > 0 {
            load_errors.push(format!(
                "system trust store: {ignored} certificate(s) could not be used"
            ));
        }
        let mut expected = embedded::of(Role::Anchor)?;
        for c in expect_ca {
            expected.push(CaCert::from_der(c).map_err(|e| format!("--expect-ca: {e}"))?);
        }
        let mut expected_roots = RootCertStore::empty();
        for c in &expected {
            expected_roots
                .add(c.der.clone())
                .map_err(|e| format!("{}: not usable as a CA: {e}", c.name))?;
        }
        let intermediates = embedded::of(Role::Intermediate)?;
        let mut known = expected.clone();
        known.extend(intermediates.iter().cloned());
        known.extend(embedded::of(Role::Issuing)?);
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
        Ok(Self {
            roots,
            machine: machine_cas,
            expected,
            expected_roots: Arc::new(expected_roots),
            intermediates,
            known,
            load_errors,
            verifier,
            provider,
        })
    }

    /// Where a chain may be followed: the expected CAs, the shipped cross-certificates and this
    /// machine's store.
    pub fn pool(&self) -> Pool<'_> {
        Pool {
            expected: &self.expected,
            others: vec![&self.intermediates, &self.machine],
            known: &self.known,
        }
    }
}

/// Azure's trust anchors, from the embedded PEM.
pub fn azure_roots() -> Result<Vec<CaCert>, String> {
    embedded::of(Role::Anchor)
}

#[cfg(test)]
mod tests {
    use super::super::testcerts::{TestCa, pem_chain};
    use super::*;
    use crate::probe::bytes::hex;
    use crate::timestamp::rfc3339;

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
    fn expect_ca_is_expected_but_not_added_to_this_machines_store() {
        let lab = TestCa::root("Lab CA");
        let machine = pem_chain(super::super::testcerts::MICROSOFT_COM)[3..].to_vec();
        let t = Trust::build(machine, &[lab.der.clone().into()], Vec::new()).unwrap();
        assert_eq!(t.expected.len(), 10);
        assert!(t.expected.iter().any(|c| c.name == "CN=Lab CA"));
        assert_eq!(t.roots.len(), 1, "only DigiCert Global Root G2");
        assert_eq!(t.machine.len(), 1);
        assert_eq!(t.intermediates.len(), 2);
        assert_eq!(t.known.len(), 14, "10 expected, 2 cross, 2 issuing");
        let empty = Trust::build(Vec::new(), &[], Vec::new()).unwrap();
        assert!(empty.verifier.is_err());
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
