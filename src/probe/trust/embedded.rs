//! The CA certificates apim-probe ships in `probes/roots/`, each with the public source it was
//! copied from (the `# source:` line above it), for the judgement and for `list --roots`.

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use serde::{Deserialize, Serialize};

use super::ca::CaCert;
use crate::probe::evidence::ChainCert;

/// The trust anchors of Azure's public endpoints.
pub const AZURE_ROOTS_PEM: &str = include_str!("../../../probes/roots/azure.pem");
/// The cross-certificates between Microsoft's G2 roots and DigiCert's, for path building.
pub const AZURE_INTERMEDIATES_PEM: &str =
    include_str!("../../../probes/roots/azure-intermediates.pem");
/// Azure's G2 issuing CAs with a public copy: recognised, never trusted.
pub const AZURE_ISSUING_PEM: &str = include_str!("../../../probes/roots/azure-issuing.pem");

/// What an embedded certificate is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A trust anchor: a chain must lead to one of these (or to an `--expect-ca`).
    Anchor,
    /// A cross-certificate offered for path building; never an anchor.
    Intermediate,
    /// An issuing CA, known to say when an inspecting CA copies its name or key id; never used to
    /// build a path.
    Issuing,
}

names!(Role {
    Anchor => "anchor",
    Intermediate => "intermediate",
    Issuing => "issuing",
});

/// One embedded certificate: its role, its label and source, and the certificate.
#[derive(Debug, Clone)]
pub struct Embedded {
    /// What it is for.
    pub role: Role,
    /// The label above it in the PEM file.
    pub label: String,
    /// Where it was copied from.
    pub source: String,
    /// The certificate as the judgement reads it.
    pub ca: CaCert,
    /// The certificate as reports show it (subject, issuer, validity, SHA-256).
    pub shown: ChainCert,
}

/// Every embedded certificate: anchors, then intermediates, then issuing CAs, in file order.
pub fn all() -> Result<Vec<Embedded>, String> {
    let mut out = read(AZURE_ROOTS_PEM, Role::Anchor)?;
    out.extend(read(AZURE_INTERMEDIATES_PEM, Role::Intermediate)?);
    out.extend(read(AZURE_ISSUING_PEM, Role::Issuing)?);
    Ok(out)
}

/// The embedded certificates of one role.
pub fn of(role: Role) -> Result<Vec<CaCert>, String> {
    Ok(all()?
        .into_iter()
        .filter(|e| e.role == role)
        .map(|e| e.ca)
        .collect())
}

/// Reads one PEM file: each certificate with the `# label` and `# source:` lines above it.
fn read(pem: &str, role: Role) -> Result<Vec<Embedded>, String> {
    let mut out = Vec::new();
    let (mut label, mut source) = (String::new(), String::new());
    let mut block = String::new();
    for line in pem.lines() {
        if let Some(s) = line.strip_prefix("# source: ") {
            s.clone_into(&mut source);
        } else if let Some(l) = line.strip_prefix("# ") {
            l.clone_into(&mut label);
        } else if !line.starts_with('#') && !line.trim().is_empty() {
            block.push_str(line);
            block.push('\n');
            if line.starts_with("-----END") {
                let der = CertificateDer::from_pem_slice(block.as_bytes())
                    .map_err(|e| format!("embedded {role} `{label}`: {e}"))?;
                let what = |e: String| format!("embedded {role} `{label}`: {e}");
                out.push(Embedded {
                    role,
                    ca: CaCert::from_der(&der).map_err(what)?,
                    shown: ChainCert::from_der(&der).map_err(what)?,
                    label: std::mem::take(&mut label),
                    source: std::mem::take(&mut source),
                });
                block.clear();
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names::assert_serde_agrees;

    #[test]
    fn every_embedded_certificate_has_a_label_and_a_source() {
        let all = all().unwrap();
        assert_eq!(all.len(), 13);
        for e in &all {
            assert!(!e.label.is_empty() && !e.source.is_empty(), "{e:?}");
            assert_eq!(e.shown.sha256.len(), 64);
        }
        assert_eq!(
            all.iter().filter(|e| e.role == Role::Anchor).count(),
            9,
            "nine anchors"
        );
        assert_serde_agrees(Role::ALL, |r| r.as_str());
    }

    #[test]
    fn the_ecc_g2_anchor_is_its_cross_certificate_and_the_rsa_one_is_self_signed() {
        let all = all().unwrap();
        let find = |role: Role, label: &str| {
            all.iter()
                .find(|e| e.role == role && e.label.starts_with(label))
                .unwrap()
        };
        let ecc = find(Role::Anchor, "Microsoft TLS ECC Root G2");
        assert_eq!(ecc.shown.issuer_short, "CN=DigiCert Global Root G3");
        let rsa = find(Role::Anchor, "Microsoft TLS RSA Root G2");
        assert_eq!(rsa.shown.issuer_short, "CN=Microsoft TLS RSA Root G2");
        // The cross-certificate holds the same key as the self-signed root.
        let cross = find(Role::Intermediate, "Microsoft TLS RSA Root G2");
        assert!(cross.ca.same_as(&rsa.ca));
        assert_eq!(
            rsa.shown.sha256,
            "6a170583db584151e1c454eeca2a64cc5d8e484a5bd1156e720b4458654ee9e5"
        );
    }
}
