//! Everything found about a recorded chain, put to [`super::judge`]: the verdict against the
//! expected CAs (webpki, with the shipped cross-certificates offered as intermediates), the walk
//! by signatures, and this machine's own store.

use rustls::client::danger::ServerCertVerifier;
use rustls::client::{verify_server_cert_signed_by_trust_anchor, verify_server_name};
use rustls::pki_types::CertificateDer;
use rustls::server::ParsedCertificate;

use super::judge::{Findings, Judgement, judge};
use super::verify::Seen;
use crate::probe::evidence::ChainCert;
use crate::probe::trust::{CaCert, Trust, walk::walk};

/// A recorded chain, read and judged.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessed {
    /// The presented chain as the report shows it.
    pub chain: Vec<ChainCert>,
    /// The verdict.
    pub judgement: Judgement,
}

/// Reads and judges what the peer presented; `Err` says why the chain could not be read (empty,
/// or a certificate that does not parse).
pub fn assess(trust: &Trust, seen: &Seen) -> Result<Assessed, String> {
    let chain: Vec<ChainCert> = seen
        .chain
        .iter()
        .map(|c| ChainCert::from_der(c))
        .collect::<Result<_, _>>()
        .map_err(|e| format!("the peer sent a certificate that cannot be read: {e}"))?;
    let presented: Vec<CaCert> = seen
        .chain
        .iter()
        .map(|c| CaCert::from_der(c))
        .collect::<Result<_, _>>()
        .map_err(|e| format!("the peer sent a certificate that cannot be read: {e}"))?;
    let Some((leaf, sent)) = seen.chain.split_first() else {
        return Err("the peer sent an empty certificate chain".into());
    };
    let expected = against_expected(trust, seen, leaf, sent).err();
    let machine = match &trust.verifier {
        Ok(v) => v
            .verify_server_cert(leaf, sent, &seen.name, &[], seen.now)
            .err(),
        Err(why) => Some(rustls::Error::General(why.clone())),
    };
    let lineage = walk(&presented, &trust.pool());
    let host = seen.name.to_str();
    let judgement = judge(&Findings {
        chain: &chain,
        expected: expected.as_ref(),
        lineage: &lineage,
        machine: machine.as_ref(),
        host: &host,
    })
    .ok_or("the peer sent an empty certificate chain")?;
    Ok(Assessed { chain, judgement })
}

/// Whether the chain verifies to an expected CA, with the shipped cross-certificates offered
/// beside what was sent, and is valid for the name.
fn against_expected(
    trust: &Trust,
    seen: &Seen,
    leaf: &CertificateDer<'static>,
    sent: &[CertificateDer<'static>],
) -> Result<(), rustls::Error> {
    let parsed = ParsedCertificate::try_from(leaf)?;
    let intermediates: Vec<CertificateDer<'_>> = sent
        .iter()
        .cloned()
        .chain(trust.intermediates.iter().map(|c| c.der.clone()))
        .collect();
    verify_server_cert_signed_by_trust_anchor(
        &parsed,
        &trust.expected_roots,
        &intermediates,
        seen.now,
        trust.provider.signature_verification_algorithms.all,
    )?;
    verify_server_name(&parsed, &seen.name)
}
