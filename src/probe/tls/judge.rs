//! The judgement of a presented chain, as pure functions of what was found about it: the rule
//! behind `ok`, `tls_intercepted` and `tls_untrusted`, and the words for each.
//!
//! The rule, by signatures, never by name:
//! - it verifies against the expected CAs (Azure's anchors, `--expect-ca`) and is valid for the
//!   name → verified (`ok`), with a warning when this machine's own store does not trust it;
//! - it leads by verified signatures to a CA that is not expected (self-signed, or not signed by
//!   the CA it names) → `tls_intercepted`, naming that CA and any Azure CA it imitates;
//! - it leads to an expected CA but does not hold (expired, another name), or it cannot be
//!   followed (an issuer nobody sent or knows; a leaf its named issuer did not sign) →
//!   `tls_untrusted`, with the reason (`facts.tls.problem`).

use std::fmt::Write as _;

use rustls::CertificateError;

use super::signs::reason;
use crate::probe::evidence::ChainCert;
use crate::probe::facts::{TlsFacts, TlsProblem, TlsRefusal, TlsVerdict};
use crate::probe::status::Status;
use crate::probe::trust::{Copied, Lineage, path};
use crate::probe::warning::{Warning, WarningKind};

/// What was found about a presented chain.
#[derive(Debug, Clone, Copy)]
pub struct Findings<'a> {
    /// The presented chain, read, leaf first.
    pub chain: &'a [ChainCert],
    /// Against the expected CAs and the name: `None` when it verifies.
    pub expected: Option<&'a rustls::Error>,
    /// Where the chain leads by verified signatures.
    pub lineage: &'a Lineage,
    /// This machine's own store: `None` when it trusts the chain.
    pub machine: Option<&'a rustls::Error>,
    /// The name asked for (SNI).
    pub host: &'a str,
}

/// The verdict on a chain: its facts, the status and detail when it is not `ok`, and a warning.
#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    /// The verdict as facts.
    pub facts: TlsFacts,
    /// `Ok` for a verified chain; else the status and the detail.
    pub verdict: Result<(), (Status, String)>,
    /// A verified chain this machine's store does not trust.
    pub warning: Option<Warning>,
}

/// Judges a chain; `None` for an empty one.
pub fn judge(f: &Findings<'_>) -> Option<Judgement> {
    let leaf = f.chain.first()?;
    let signer = leaf.issuer_short.clone();
    let named_top = path(f.chain)
        .last()
        .map_or_else(|| signer.clone(), |c| c.issuer_short.clone());
    let mut facts = TlsFacts::new(
        TlsVerdict::Untrusted,
        signer.clone(),
        f.machine.is_none(),
        f.chain.len(),
    );
    facts.refusal = f.machine.map(refusal);
    facts.root = (named_top != signer).then_some(named_top);
    if let Lineage::Expected { anchor, .. } = f.lineage {
        facts.expected_ca = Some(anchor.clone());
    }
    let mut warning = None;
    let verdict = match (f.expected, f.lineage) {
        (None, _) => {
            facts.verdict = TlsVerdict::Verified;
            warning = f
                .machine
                .map(|e| distrust(f.host, facts.expected_ca.as_deref(), e));
            Ok(())
        }
        (Some(e), Lineage::Expected { anchor, .. }) => {
            facts.problem = Some(problem(e));
            Err(untrusted(
                f,
                &format!("{}: {}", lineage(&signer, anchor), why(e, f.chain)),
            ))
        }
        (
            Some(_),
            Lineage::Elsewhere {
                top,
                claims,
                copies,
                ..
            },
        ) => {
            facts.verdict = TlsVerdict::Intercepted;
            facts.leads_to = Some(top.clone());
            facts.copies = copies.as_ref().map(|c| c.of.clone());
            Err(intercepted(f, top, claims.as_deref(), copies.as_ref()))
        }
        (Some(_), Lineage::MissingIssuer { of, issuer }) => {
            facts.problem = Some(TlsProblem::IncompleteChain);
            let which = if *of == leaf.subject_short {
                "the leaf's issuer".to_owned()
            } else {
                format!("the issuer of {of}")
            };
            Err(untrusted(
                f,
                &format!(
                    "{signer}: the chain cannot be followed — {issuer}, {which}, was not sent and is not known here (neither one of Azure's CAs nor in this machine's store), so no signature leads to an expected CA: a server that leaves out its intermediate, or an inspecting device whose CA this machine lacks"
                ),
            ))
        }
        (Some(_), Lineage::BadSignature { issuer }) => {
            facts.problem = Some(TlsProblem::BadSignature);
            Err(untrusted(
                f,
                &format!(
                    "{issuer}, which it names as its issuer, but its signature does not verify under that CA's key (a damaged or mis-issued certificate, or one re-signed under a copied issuer name)"
                ),
            ))
        }
    };
    Some(Judgement {
        facts,
        verdict,
        warning,
    })
}

/// `tls_untrusted`: the certificate for the host, issued by `what`.
fn untrusted(f: &Findings<'_>, what: &str) -> (Status, String) {
    (
        Status::TlsUntrusted,
        format!("certificate for {} issued by {what}", f.host),
    )
}

/// `tls_intercepted`: who re-signed, where the signatures lead, what it imitates, and whether
/// this machine trusts it.
fn intercepted(
    f: &Findings<'_>,
    top: &str,
    claims: Option<&str>,
    copies: Option<&Copied>,
) -> (Status, String) {
    let signer = f.chain.first().map_or("?", |l| l.issuer_short.as_str());
    let mut why = format!(
        "certificate for {} re-signed by {} — TLS inspection? Its signatures lead to {top}, not to an expected CA (Azure's roots or --expect-ca)",
        f.host,
        lineage(signer, top)
    );
    if let Some(claimed) = claims {
        let _ = write!(
            why,
            "; {top} names {claimed} as its issuer, but that CA's key did not sign it"
        );
    }
    if let Some(c) = copies {
        let what = match (c.name, c.key_id) {
            (true, true) => "name and key id",
            (true, false) => "name",
            _ => "key id",
        };
        let _ = write!(
            why,
            "; {} copies the {what} of {} with a key of its own",
            c.by, c.of
        );
    }
    match f.machine {
        None => why.push_str("; this machine trusts it"),
        Some(e) => {
            let _ = write!(
                why,
                "; this machine does not trust it either: {}",
                reason(e)
            );
        }
    }
    (Status::TlsIntercepted, why)
}

/// The warning for a verified chain this machine's store refuses.
fn distrust(host: &str, anchor: Option<&str>, e: &rustls::Error) -> Warning {
    let anchor = anchor.unwrap_or("an expected CA").to_owned();
    Warning::new(
        WarningKind::StoreDistrusts {
            host: host.to_owned(),
            anchor: anchor.clone(),
        },
        format!(
            "the chain of {host} verifies to {anchor}; this machine's store does not trust it ({}) — apps on this VM may fail: update its CA store (ca-certificates) or add {anchor}",
            reason(e)
        ),
    )
}

/// Which kind of refusal this machine's store made.
pub fn refusal(e: &rustls::Error) -> TlsRefusal {
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

/// Which problem a refusal against the expected CAs is.
fn problem(e: &rustls::Error) -> TlsProblem {
    use CertificateError as C;
    match e {
        rustls::Error::InvalidCertificate(c) => match c {
            C::Expired | C::ExpiredContext { .. } => TlsProblem::Expired,
            C::NotValidYet | C::NotValidYetContext { .. } => TlsProblem::NotValidYet,
            C::NotValidForName | C::NotValidForNameContext { .. } => TlsProblem::WrongName,
            C::BadSignature => TlsProblem::BadSignature,
            _ => TlsProblem::Other,
        },
        _ => TlsProblem::Other,
    }
}

/// Why a chain that leads to an expected CA fails, naming the CA when a CA (not the leaf) expired.
fn why(e: &rustls::Error, chain: &[ChainCert]) -> String {
    if let rustls::Error::InvalidCertificate(CertificateError::ExpiredContext {
        not_after, ..
    }) = e
    {
        let at = i64::try_from(not_after.as_secs()).unwrap_or(i64::MAX);
        if let Some(ca) = chain.iter().skip(1).find(|c| c.not_after_unix == at) {
            return format!("its CA {} expired on {}", ca.subject_short, ca.not_after);
        }
    }
    reason(e)
}

/// `CN=A`, or `CN=A under CN=B` when the chain goes higher than the signer.
pub fn lineage(signer: &str, top: &str) -> String {
    if signer == top {
        signer.to_owned()
    } else {
        format!("{signer} under {top}")
    }
}

#[cfg(test)]
mod tests;
