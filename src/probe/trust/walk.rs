//! Where a presented chain leads, followed from the leaf by *verified signatures*, never by name:
//! an inspecting firewall can copy an Azure CA's name and key identifier, not its key.
//!
//! At each step the certificate's issuer is looked for by name among the expected CAs first, then
//! what the server sent, the shipped cross-certificates and this machine's store; the one whose
//! key verifies the signature is the next step. The walk ends at an expected CA, at a CA that is
//! not expected (self-signed, or not signed by the CA it names: a forgery), or where it cannot go
//! on (no certificate of the named issuer anywhere; a leaf its named issuer did not sign).
//!
//! # References
//! RFC 5280 §6.1 (path validation: a path is a chain of signatures to a trust anchor, §6.1.1 the
//! anchor being a name and a key).

use x509_parser::prelude::{FromDer, X509Certificate};

use super::ca::{CaCert, short};

/// The longest path followed (leaf, issuing CA, cross-certificates, root: 4 in practice).
const MAX_DEPTH: usize = 8;

/// Where a chain leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lineage {
    /// To an expected CA.
    Expected {
        /// The certificates whose signatures were followed, leaf first (names).
        path: Vec<String>,
        /// The expected CA that signed the last of them.
        anchor: String,
    },
    /// To a CA that is not expected: what a TLS-inspecting device's chain leads to.
    Elsewhere {
        /// The certificates whose signatures were followed, leaf first (names).
        path: Vec<String>,
        /// The last CA reached: self-signed, or not signed by the CA it names.
        top: String,
        /// The issuer `top` names that did not sign it, when one was found (a forgery).
        claims: Option<String>,
        /// The CA of Azure (or `--expect-ca`) whose name or key id a CA on the path copies.
        copies: Option<Copied>,
    },
    /// The walk stopped: nobody sent or knows the issuer a certificate names.
    MissingIssuer {
        /// The certificate whose issuer is missing.
        of: String,
        /// The issuer it names.
        issuer: String,
    },
    /// The leaf's signature does not verify under the CA it names (which is known).
    BadSignature {
        /// The issuer the leaf names.
        issuer: String,
    },
}

/// A CA on an unexpected path that copies a known CA's name or key identifier with another key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copied {
    /// The copying CA (as it names itself).
    pub by: String,
    /// The known CA it copies.
    pub of: String,
    /// Whether it copies the subject name.
    pub name: bool,
    /// Whether it copies the subject key identifier.
    pub key_id: bool,
}

/// The certificates a chain may be followed through.
#[derive(Debug, Clone)]
pub struct Pool<'a> {
    /// The expected CAs: reaching one ends the walk.
    pub expected: &'a [CaCert],
    /// Others that may have signed: the shipped cross-certificates, this machine's store.
    pub others: Vec<&'a [CaCert]>,
    /// CAs an impostor may copy: every embedded certificate and `--expect-ca`.
    pub known: &'a [CaCert],
}

/// Follows `presented` (leaf first) by verified signatures through `pool`.
pub fn walk(presented: &[CaCert], pool: &Pool<'_>) -> Lineage {
    let Some(leaf) = presented.first() else {
        return Lineage::MissingIssuer {
            of: "the server".into(),
            issuer: "no certificate".into(),
        };
    };
    let mut path: Vec<&CaCert> = vec![leaf];
    let names_of = |path: &[&CaCert]| path.iter().map(|c| c.name.clone()).collect::<Vec<_>>();
    for _ in 0..MAX_DEPTH {
        let cur = path[path.len() - 1];
        let Ok((_, cert)) = X509Certificate::from_der(&cur.der) else {
            break;
        };
        let issuer_der = cert.issuer().as_raw();
        let issuer = short(cert.issuer());
        if cert.subject().as_raw() == issuer_der && signed_by(&cert, cur) {
            return elsewhere(names_of(&path), None, &path, pool);
        }
        let mut named = false;
        let mut next = None;
        for (c, expected) in candidates(presented, pool) {
            if c.subject_der != issuer_der || std::ptr::eq(c, cur) {
                continue;
            }
            named = true;
            if signed_by(&cert, c) {
                if expected {
                    return Lineage::Expected {
                        path: names_of(&path),
                        anchor: c.name.clone(),
                    };
                }
                next = Some(c);
                break;
            }
        }
        match next {
            None if !named => {
                return Lineage::MissingIssuer {
                    of: cur.name.clone(),
                    issuer,
                };
            }
            None if path.len() == 1 => return Lineage::BadSignature { issuer },
            None => return elsewhere(names_of(&path), Some(issuer), &path, pool),
            Some(n) if path.iter().any(|p| p.same_as(n)) => break,
            Some(n) => path.push(n),
        }
    }
    elsewhere(names_of(&path), None, &path, pool)
}

/// Where a certificate's issuer may be found: the expected CAs first (marked), then what was
/// sent (after the leaf), then the other pools.
fn candidates<'a>(
    presented: &'a [CaCert],
    pool: &'a Pool<'a>,
) -> impl Iterator<Item = (&'a CaCert, bool)> {
    pool.expected
        .iter()
        .map(|c| (c, true))
        .chain(presented.iter().skip(1).map(|c| (c, false)))
        .chain(
            pool.others
                .iter()
                .flat_map(|s| s.iter())
                .map(|c| (c, false)),
        )
}

/// Whether `parent`'s key verifies `child`'s signature.
fn signed_by(child: &X509Certificate<'_>, parent: &CaCert) -> bool {
    X509Certificate::from_der(&parent.der)
        .is_ok_and(|(_, p)| child.verify_signature(Some(p.public_key())).is_ok())
}

/// The walk ended at a CA that is not expected: its path, top, claim, and any copy on the way.
fn elsewhere(
    names: Vec<String>,
    claims: Option<String>,
    path: &[&CaCert],
    pool: &Pool<'_>,
) -> Lineage {
    // The leaf copies nothing worth saying; the CAs above it are what an impostor dresses up.
    let copies = path.iter().skip(1).find_map(|c| copied(c, pool.known));
    Lineage::Elsewhere {
        top: names.last().cloned().unwrap_or_default(),
        path: names,
        claims,
        copies,
    }
}

/// The known CA whose name or key id `c` carries with a key of its own, if any.
fn copied(c: &CaCert, known: &[CaCert]) -> Option<Copied> {
    known
        .iter()
        .filter(|k| k.spki_der != c.spki_der)
        .find_map(|k| {
            let name = k.subject_der == c.subject_der;
            let key_id = k.key_id.is_some() && k.key_id == c.key_id;
            (name || key_id).then(|| Copied {
                by: c.name.clone(),
                of: k.name.clone(),
                name,
                key_id,
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::testcerts::{METADATA_AZURE_COM, MICROSOFT_COM, TestCa, known, pem_chain};
    use crate::probe::trust::Trust;

    fn presented(pem: &str) -> Vec<CaCert> {
        pem_chain(pem).iter().map(|c| known(c)).collect()
    }

    fn pool<'a>(expected: &'a [CaCert], machine: &'a [CaCert], known: &'a [CaCert]) -> Pool<'a> {
        Pool {
            expected,
            others: vec![machine],
            known,
        }
    }

    #[test]
    fn genuine_g2_chains_lead_to_microsoft_tls_rsa_root_g2() {
        let t = Trust::build(Vec::new(), &[], Vec::new()).unwrap();
        for pem in [METADATA_AZURE_COM, MICROSOFT_COM] {
            match walk(&presented(pem), &t.pool()) {
                Lineage::Expected { path, anchor } => {
                    assert_eq!(anchor, "CN=Microsoft TLS RSA Root G2");
                    assert_eq!(path[1], "CN=Microsoft TLS G2 RSA CA OCSP 02");
                }
                other => panic!("{other:?}"),
            }
        }
        // The leaf alone leads nowhere: OCSP 02 is known, not offered for path building.
        let leaf = &presented(METADATA_AZURE_COM)[..1];
        assert_eq!(
            walk(leaf, &t.pool()),
            Lineage::MissingIssuer {
                of: "CN=metadata.azure.com".into(),
                issuer: "CN=Microsoft TLS G2 RSA CA OCSP 02".into()
            }
        );
    }

    #[test]
    fn an_impostor_copying_microsofts_names_and_key_ids_leads_elsewhere() {
        let t = Trust::build(Vec::new(), &[], Vec::new()).unwrap();
        let genuine = pem_chain(MICROSOFT_COM);
        let root_g2 = pem_chain(crate::probe::trust::embedded::AZURE_ROOTS_PEM)[7].clone();
        let fake_root = TestCa::imitating(&root_g2, None);
        let fake_ocsp = TestCa::imitating(&genuine[1], Some(&fake_root));
        let chain = [known(&fake_ocsp.leaf_der("svc.test")), fake_ocsp.ca()];
        assert_eq!(chain[1].subject_der, known(&genuine[1]).subject_der);
        let Lineage::Elsewhere {
            top,
            claims,
            copies,
            ..
        } = walk(&chain, &t.pool())
        else {
            panic!("not elsewhere");
        };
        assert_eq!(top, "CN=Microsoft TLS G2 RSA CA OCSP 02");
        assert_eq!(claims.as_deref(), Some("CN=Microsoft TLS RSA Root G2"));
        let c = copies.unwrap();
        assert!(c.name && c.key_id, "{c:?}");
        assert_eq!(c.of, "CN=Microsoft TLS G2 RSA CA OCSP 02");
        // With its fake root sent as well, the walk ends at that root, which copies Azure's.
        let chain = [chain[0].clone(), chain[1].clone(), fake_root.ca()];
        let Lineage::Elsewhere { top, claims, .. } = walk(&chain, &t.pool()) else {
            panic!("not elsewhere");
        };
        assert_eq!(
            (top.as_str(), claims),
            ("CN=Microsoft TLS RSA Root G2", None)
        );
    }

    #[test]
    fn a_ca_in_this_machines_store_is_followed_to_its_top() {
        let azure = TestCa::root("Azure Root");
        let fw = TestCa::root("Contoso Firewall CA");
        let leaf = [known(&fw.leaf_der("svc.test"))];
        let (expected, machine) = ([azure.ca()], [fw.ca()]);
        let lineage = walk(&leaf, &pool(&expected, &machine, &expected));
        assert_eq!(
            lineage,
            Lineage::Elsewhere {
                path: vec!["CN=svc.test".into(), "CN=Contoso Firewall CA".into()],
                top: "CN=Contoso Firewall CA".into(),
                claims: None,
                copies: None,
            }
        );
        // Nowhere to be found: the walk stops, naming what is missing.
        assert_eq!(
            walk(&leaf, &pool(&expected, &[], &expected)),
            Lineage::MissingIssuer {
                of: "CN=svc.test".into(),
                issuer: "CN=Contoso Firewall CA".into()
            }
        );
    }

    #[test]
    fn a_leaf_its_named_issuer_did_not_sign_is_a_bad_signature() {
        let root = TestCa::root("Root");
        let mid = root.intermediate("Mid");
        let twin = root.intermediate("Mid");
        let chain = [known(&twin.leaf_der("svc.test")), mid.ca()];
        let expected = [root.ca()];
        assert_eq!(
            walk(&chain, &pool(&expected, &[], &expected)),
            Lineage::BadSignature {
                issuer: "CN=Mid".into()
            }
        );
        // The genuine leaf of the same CA leads to the root.
        let chain = [known(&mid.leaf_der("svc.test")), mid.ca()];
        assert!(matches!(
            walk(&chain, &pool(&expected, &[], &expected)),
            Lineage::Expected { anchor, .. } if anchor == "CN=Root"
        ));
    }

    #[test]
    fn an_expected_intermediate_ends_the_walk_and_a_self_signed_leaf_is_its_own_top() {
        let root = TestCa::root("Root");
        let mid = root.intermediate("Mid");
        let leaf = [known(&mid.leaf_der("svc.test"))];
        let expected = [mid.ca()];
        assert!(matches!(
            walk(&leaf, &pool(&expected, &[], &expected)),
            Lineage::Expected { anchor, .. } if anchor == "CN=Mid"
        ));
        let selfie = [root.ca()];
        assert!(matches!(
            walk(&selfie, &pool(&[], &[], &[])),
            Lineage::Elsewhere { top, claims: None, .. } if top == "CN=Root"
        ));
    }
}
