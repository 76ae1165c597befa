//! The rule on genuine Azure chains verified at a fixed time, and on made-up ones for every way a
//! chain can fail.

use std::time::Duration;

use rustls::pki_types::{CertificateDer, ServerName, UnixTime};

use super::super::{Assessed, Seen, assess};
use crate::probe::facts::{TlsProblem, TlsRefusal, TlsVerdict};
use crate::probe::status::Status;
use crate::probe::testcerts::{METADATA_AZURE_COM, MICROSOFT_COM, TestCa, pem_chain};
use crate::probe::trust::Trust;
use crate::probe::trust::embedded::AZURE_ROOTS_PEM;
use crate::probe::warning::WarningKind;

/// 2026-06-25T00:00:00Z: inside the validity of both genuine leaves.
const JUNE_2026: u64 = 1_782_345_600;

fn at(secs: u64) -> UnixTime {
    UnixTime::since_unix_epoch(Duration::from_secs(secs))
}

fn seen(chain: Vec<CertificateDer<'static>>, host: &str, now: u64) -> Seen {
    Seen {
        chain,
        name: ServerName::try_from(host.to_owned()).unwrap(),
        now: at(now),
    }
}

/// A store like Debian 12's: DigiCert Global Root G2, no Microsoft G2 root.
fn debian_store() -> Vec<CertificateDer<'static>> {
    pem_chain(MICROSOFT_COM)[3..].to_vec()
}

fn trust(machine: Vec<CertificateDer<'static>>, expect: Vec<Vec<u8>>) -> Trust {
    let expect: Vec<CertificateDer<'static>> =
        expect.into_iter().map(CertificateDer::from).collect();
    Trust::build(machine, &expect, Vec::new()).unwrap()
}

fn judged(t: &Trust, s: &Seen) -> Assessed {
    assess(t, s).unwrap()
}

#[test]
fn genuine_metadata_azure_com_without_cross_certificate_is_verified_not_intercepted() {
    let t = trust(debian_store(), Vec::new());
    let a = judged(
        &t,
        &seen(
            pem_chain(METADATA_AZURE_COM),
            "metadata.azure.com",
            JUNE_2026,
        ),
    );
    let j = a.judgement;
    assert_eq!(j.verdict, Ok(()));
    assert_eq!(j.facts.verdict, TlsVerdict::Verified);
    assert_eq!(j.facts.issuer, "CN=Microsoft TLS G2 RSA CA OCSP 02");
    assert_eq!(
        j.facts.expected_ca.as_deref(),
        Some("CN=Microsoft TLS RSA Root G2")
    );
    assert_eq!(j.facts.chain_len, 2);
    // Debian's store lacks the G2 root: verified, but worth a warning.
    assert!(!j.facts.trusted);
    assert_eq!(j.facts.refusal, Some(TlsRefusal::UnknownIssuer));
    let w = j.warning.unwrap();
    assert!(
        matches!(&w.kind, WarningKind::StoreDistrusts { anchor, host } if anchor == "CN=Microsoft TLS RSA Root G2" && host == "metadata.azure.com"),
        "{w:?}"
    );
    assert!(w.message.contains("apps on this VM may fail"), "{w:?}");
}

#[test]
fn a_store_with_the_g2_root_trusts_it_and_says_nothing() {
    let g2 = pem_chain(AZURE_ROOTS_PEM)[7].clone();
    let t = trust(vec![g2], Vec::new());
    let j = judged(
        &t,
        &seen(
            pem_chain(METADATA_AZURE_COM),
            "metadata.azure.com",
            JUNE_2026,
        ),
    )
    .judgement;
    assert_eq!(j.verdict, Ok(()));
    assert!(j.facts.trusted && j.warning.is_none());
}

#[test]
fn genuine_microsoft_com_with_its_cross_certificate_is_trusted_by_a_debian_store() {
    let t = trust(debian_store(), Vec::new());
    let j = judged(
        &t,
        &seen(pem_chain(MICROSOFT_COM), "microsoft.com", JUNE_2026),
    )
    .judgement;
    assert_eq!(j.verdict, Ok(()));
    assert!(
        j.facts.trusted,
        "the cross-certificate reaches DigiCert Global Root G2"
    );
    assert!(j.warning.is_none());
    assert_eq!(j.facts.chain_len, 4);
    assert_eq!(
        j.facts.expected_ca.as_deref(),
        Some("CN=Microsoft TLS RSA Root G2")
    );
}

#[test]
fn genuine_chain_expired_or_for_another_name_is_untrusted_with_the_reason() {
    let t = trust(debian_store(), Vec::new());
    let december = 1_796_083_200; // 2026-12-01
    let j = judged(
        &t,
        &seen(
            pem_chain(METADATA_AZURE_COM),
            "metadata.azure.com",
            december,
        ),
    )
    .judgement;
    let (status, why) = j.verdict.unwrap_err();
    assert_eq!(status, Status::TlsUntrusted);
    assert_eq!(j.facts.problem, Some(TlsProblem::Expired));
    assert!(why.contains("expired on 2026-11-11"), "{why}");
    assert!(
        why.contains("CN=Microsoft TLS G2 RSA CA OCSP 02 under CN=Microsoft TLS RSA Root G2"),
        "{why}"
    );
    let j = judged(
        &t,
        &seen(pem_chain(METADATA_AZURE_COM), "other.azure.com", JUNE_2026),
    )
    .judgement;
    let (status, why) = j.verdict.unwrap_err();
    assert_eq!(status, Status::TlsUntrusted);
    assert_eq!(j.facts.problem, Some(TlsProblem::WrongName));
    assert!(why.contains("not valid for this name"), "{why}");
}

#[test]
fn the_genuine_leaf_alone_is_an_incomplete_chain_not_inspection() {
    let t = trust(debian_store(), Vec::new());
    let leaf = pem_chain(METADATA_AZURE_COM)[..1].to_vec();
    let j = judged(&t, &seen(leaf, "metadata.azure.com", JUNE_2026)).judgement;
    let (status, why) = j.verdict.unwrap_err();
    assert_eq!(status, Status::TlsUntrusted);
    assert_eq!(j.facts.problem, Some(TlsProblem::IncompleteChain));
    assert!(
        why.contains("CN=Microsoft TLS G2 RSA CA OCSP 02, the leaf's issuer, was not sent"),
        "{why}"
    );
}

#[test]
fn an_interceptor_copying_microsofts_names_and_key_ids_stays_intercepted() {
    let t = trust(debian_store(), Vec::new());
    let genuine = pem_chain(MICROSOFT_COM);
    let root_g2 = pem_chain(AZURE_ROOTS_PEM)[7].clone();
    let fake_root = TestCa::imitating(&root_g2, None);
    let fake_ocsp = TestCa::imitating(&genuine[1], Some(&fake_root));
    let chain = vec![
        fake_ocsp.leaf_der("metadata.azure.com").into(),
        fake_ocsp.der.clone().into(),
    ];
    let j = judged(&t, &seen(chain, "metadata.azure.com", JUNE_2026)).judgement;
    let (status, why) = j.verdict.unwrap_err();
    assert_eq!(status, Status::TlsIntercepted, "{why}");
    assert_eq!(j.facts.verdict, TlsVerdict::Intercepted);
    assert_eq!(j.facts.issuer, "CN=Microsoft TLS G2 RSA CA OCSP 02");
    assert_eq!(
        j.facts.leads_to.as_deref(),
        Some("CN=Microsoft TLS G2 RSA CA OCSP 02")
    );
    assert_eq!(
        j.facts.copies.as_deref(),
        Some("CN=Microsoft TLS G2 RSA CA OCSP 02")
    );
    assert!(
        why.contains("copies the name and key id of CN=Microsoft TLS G2 RSA CA OCSP 02"),
        "{why}"
    );
    assert!(
        why.contains(
            "names CN=Microsoft TLS RSA Root G2 as its issuer, but that CA's key did not sign it"
        ),
        "{why}"
    );
    assert!(
        why.contains("this machine does not trust it either"),
        "{why}"
    );
}

#[test]
fn an_inspecting_ca_this_machine_trusts_is_named() {
    let fw = TestCa::root("Contoso Firewall CA");
    let t = trust(vec![fw.der.clone().into()], Vec::new());
    let chain = vec![fw.leaf_der("svc.test").into()];
    let j = judged(&t, &seen(chain, "svc.test", JUNE_2026)).judgement;
    let (status, why) = j.verdict.unwrap_err();
    assert_eq!(status, Status::TlsIntercepted);
    assert!(
        why.contains("re-signed by CN=Contoso Firewall CA — TLS inspection?"),
        "{why}"
    );
    assert!(why.contains("this machine trusts it"), "{why}");
    assert!(j.facts.trusted && j.facts.copies.is_none());
    assert_eq!(j.facts.leads_to.as_deref(), Some("CN=Contoso Firewall CA"));
}

#[test]
fn an_inspecting_chain_with_its_root_names_signer_and_top() {
    let root = TestCa::root("Contoso Root");
    let mid = root.intermediate("Contoso Firewall Intermediate");
    let t = trust(Vec::new(), Vec::new());
    let chain = vec![
        mid.leaf_der("svc.test").into(),
        mid.der.clone().into(),
        root.der.clone().into(),
    ];
    let (status, why) = judged(&t, &seen(chain, "svc.test", JUNE_2026))
        .judgement
        .verdict
        .unwrap_err();
    assert_eq!(status, Status::TlsIntercepted);
    assert!(
        why.contains("re-signed by CN=Contoso Firewall Intermediate under CN=Contoso Root"),
        "{why}"
    );
}

#[test]
fn a_leaf_its_issuer_did_not_sign_and_an_expired_ca_are_untrusted() {
    let root = TestCa::root("Lab Root");
    let mid = root.intermediate("Lab Issuing CA");
    let twin = root.intermediate("Lab Issuing CA");
    let t = trust(Vec::new(), vec![root.der.clone()]);
    let chain = vec![twin.leaf_der("svc.test").into(), mid.der.clone().into()];
    let j = judged(&t, &seen(chain, "svc.test", JUNE_2026)).judgement;
    assert_eq!(j.verdict.clone().unwrap_err().0, Status::TlsUntrusted);
    assert_eq!(j.facts.problem, Some(TlsProblem::BadSignature));
    let old = root.expired_intermediate("Lab Old CA");
    let chain = vec![old.leaf_der("svc.test").into(), old.der.clone().into()];
    let j = judged(&t, &seen(chain, "svc.test", JUNE_2026)).judgement;
    let (status, why) = j.verdict.unwrap_err();
    assert_eq!(status, Status::TlsUntrusted);
    assert_eq!(j.facts.problem, Some(TlsProblem::Expired));
    assert!(
        why.contains("its CA CN=Lab Old CA expired on 2021-01-01"),
        "{why}"
    );
}

#[test]
fn a_lab_hierarchy_shaped_like_azures_is_verified_to_the_expected_root() {
    // Root not sent, issuing CA sent: the shape of most Azure servers.
    let root = TestCa::root("Lab TLS RSA Root G2");
    let issuing = root.intermediate("Lab TLS G2 RSA CA OCSP 02");
    let t = trust(Vec::new(), vec![root.der.clone()]);
    let chain = vec![
        issuing.leaf_der("svc.test").into(),
        issuing.der.clone().into(),
    ];
    let j = judged(&t, &seen(chain, "svc.test", JUNE_2026)).judgement;
    assert_eq!(j.verdict, Ok(()));
    assert_eq!(
        j.facts.expected_ca.as_deref(),
        Some("CN=Lab TLS RSA Root G2")
    );
    assert!(j.warning.is_some(), "an empty machine store trusts nothing");
}

#[test]
fn an_empty_or_unreadable_chain_is_not_judged() {
    let t = trust(Vec::new(), Vec::new());
    assert!(assess(&t, &seen(Vec::new(), "svc.test", JUNE_2026)).is_err());
    let junk = vec![CertificateDer::from(vec![1u8, 2, 3])];
    let e = assess(&t, &seen(junk, "svc.test", JUNE_2026)).unwrap_err();
    assert!(e.contains("cannot be read"), "{e}");
}
