//! The TLS facts of a result: the verdict on the presented chain, by verified signatures, and
//! what this machine's own store made of it; mutual TLS.

use serde::{Deserialize, Serialize};

/// The TLS verdict on a presented chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsFacts {
    /// Verified, intercepted or untrusted.
    pub verdict: TlsVerdict,
    /// Why this machine's trust store refuses the chain, when it does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refusal: Option<TlsRefusal>,
    /// Who signed the leaf (`CN=…`).
    pub issuer: String,
    /// The top of the presented chain (the last issuer named), when it differs from `issuer`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub root: Option<String>,
    /// Whether this machine's trust store verifies the chain.
    pub trusted: bool,
    /// The expected CA (Azure's roots, `--expect-ca`) the chain leads to, when it does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_ca: Option<String>,
    /// How many certificates the peer sent (1: the leaf alone, maybe an incomplete chain).
    pub chain_len: usize,
    /// Why a chain is untrusted although no other CA is shown to have signed it: what fails
    /// against the expected CAs (expired, other name …) or why it cannot be followed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<TlsProblem>,
    /// The CA the chain leads to by verified signatures when it is not an expected one: the
    /// inspecting device's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leads_to: Option<String>,
    /// The Azure (or `--expect-ca`) CA whose name or key id a CA of an intercepted chain copies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copies: Option<String>,
    /// The service asked for a client certificate (mutual TLS), and what it did without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_certificate: Option<ClientCertificate>,
}

impl TlsFacts {
    /// The facts of a verdict, with nothing beyond the fields every verdict has.
    pub fn new(verdict: TlsVerdict, issuer: String, trusted: bool, chain_len: usize) -> Self {
        Self {
            verdict,
            refusal: None,
            issuer,
            root: None,
            trusted,
            expected_ca: None,
            chain_len,
            problem: None,
            leads_to: None,
            copies: None,
            client_certificate: None,
        }
    }
}

/// Why a chain does not hold against the expected CAs, or cannot be followed to any.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TlsProblem {
    /// The leaf or a CA of the chain has expired.
    Expired,
    /// Not valid yet: often this machine's clock.
    NotValidYet,
    /// The certificate is for another name.
    WrongName,
    /// The leaf's signature does not verify under the CA it names.
    BadSignature,
    /// A certificate names an issuer that was not sent and is not known here.
    IncompleteChain,
    /// Any other refusal (constraints, algorithms …): the detail says which.
    Other,
}

names!(TlsProblem {
    Expired => "expired",
    NotValidYet => "not_valid_yet",
    WrongName => "wrong_name",
    BadSignature => "bad_signature",
    IncompleteChain => "incomplete_chain",
    Other => "other",
});

/// What a service that asks for a client certificate (mutual TLS) did when none was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientCertificate {
    /// It asked, then went on without one.
    Requested,
    /// It ended the session (an alert or a close): it requires one, as APIM's own machines hold.
    Required,
}

names!(ClientCertificate {
    Requested => "requested",
    Required => "required",
});

/// What the chain of a TLS peer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TlsVerdict {
    /// It verifies and leads to an expected CA.
    Verified,
    /// It leads, by verified signatures, to a CA that is not expected: re-signed (TLS
    /// inspection), whether this machine trusts that CA or not.
    Intercepted,
    /// It leads to an expected CA but does not hold (expired, other name), or it cannot be
    /// followed (an issuer nobody has, a leaf its issuer did not sign): `problem` says which.
    Untrusted,
}

names!(TlsVerdict {
    Verified => "verified",
    Intercepted => "intercepted",
    Untrusted => "untrusted",
});

/// Why a chain does not verify on this machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TlsRefusal {
    /// No path to a root in this machine's store.
    UnknownIssuer,
    /// The leaf (or a CA) has expired.
    Expired,
    /// Not valid yet: often this machine's clock.
    NotValidYet,
    /// The certificate is for another name.
    WrongName,
    /// Any other refusal (bad signature, revoked …): the detail says which.
    Other,
}

names!(TlsRefusal {
    UnknownIssuer => "unknown_issuer",
    Expired => "expired",
    NotValidYet => "not_valid_yet",
    WrongName => "wrong_name",
    Other => "other",
});
