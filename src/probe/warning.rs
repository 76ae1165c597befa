//! Findings that do not change a status, as typed objects: `{ "kind": "clock_skew", "message":
//! "…", "offset_ms": … }`. The kind and its fields are for programs (diagnosis, metrics, diff);
//! the message is for people.
//!
//! Reports written before warnings had a kind hold plain strings; those still read, as kind
//! `other`, so `diff` and `merge` take old and new reports alike.

use serde::{Deserialize, Serialize};

/// One finding that does not change a status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "Repr")]
pub struct Warning {
    /// What kind of finding, with its typed fields.
    #[serde(flatten)]
    pub kind: WarningKind,
    /// The finding in a sentence.
    pub message: String,
}

/// The kinds of warning, each with the facts a program needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WarningKind {
    /// A time server's clock differs from this machine's by more than `--max-clock-skew`.
    ClockSkew {
        /// Server minus this machine, milliseconds (positive: this machine is behind).
        offset_ms: f64,
        /// The time server (host name as probed).
        server: String,
    },
    /// A presented certificate expires soon.
    CertExpiry {
        /// Days left.
        days_left: i64,
        /// End of validity, RFC 3339.
        not_after: String,
    },
    /// A DNS server answered with a failing response code for the name asked.
    DnsRcode {
        /// The server (`ip:port`).
        server: String,
        /// The response code (`SERVFAIL`, `REFUSED`, `NXDOMAIN` …).
        rcode: String,
    },
    /// APIM's own `networkstatus` disagrees with this probe.
    ApimDisagrees {
        /// APIM's status (`success`, `failure`, `initializing`).
        apim_status: String,
    },
    /// The system trust store could not be read whole.
    TrustStore,
    /// Fewer probes ran at once than asked (the open-file limit).
    Concurrency {
        /// How many ran at once.
        limit: usize,
    },
    /// The AAAA question got no answer while the A question did.
    AaaaNoAnswer {
        /// The name asked.
        host: String,
    },
    /// The system's DNS server is a local caching stub (bypassed for its upstream when found).
    DnsStub {
        /// The stub's addresses.
        stub: Vec<String>,
        /// Where its upstream servers were read, when they were.
        upstream_from: Option<String>,
    },
    /// An HTTP answer with an error status that does not look like a firewall or proxy.
    HttpStatus {
        /// The status code.
        status: u16,
        /// The `Server` header, when sent.
        server: Option<String>,
    },
    /// A chain verified, by signatures, to an expected CA that this machine's own store does not
    /// trust: the service is right, apps on this VM may still fail (an outdated CA store).
    StoreDistrusts {
        /// The host (SNI) whose chain it is.
        host: String,
        /// The expected CA the chain leads to.
        anchor: String,
    },
    /// Anything else (and every warning of reports written before warnings had kinds).
    #[serde(other)]
    Other,
}

impl Warning {
    /// A warning of `kind` saying `message`.
    pub fn new(kind: WarningKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// A warning of kind `other`.
    pub fn other(message: impl Into<String>) -> Self {
        Self::new(WarningKind::Other, message)
    }

    /// The kind's name as in JSON (`clock_skew`, `cert_expiry` …).
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            WarningKind::ClockSkew { .. } => "clock_skew",
            WarningKind::CertExpiry { .. } => "cert_expiry",
            WarningKind::DnsRcode { .. } => "dns_rcode",
            WarningKind::ApimDisagrees { .. } => "apim_disagrees",
            WarningKind::TrustStore => "trust_store",
            WarningKind::Concurrency { .. } => "concurrency",
            WarningKind::AaaaNoAnswer { .. } => "aaaa_no_answer",
            WarningKind::HttpStatus { .. } => "http_status",
            WarningKind::DnsStub { .. } => "dns_stub",
            WarningKind::StoreDistrusts { .. } => "store_distrusts",
            WarningKind::Other => "other",
        }
    }
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// What a warning may look like in a report file: an object, or an older report's plain text.
#[derive(Deserialize)]
#[serde(untagged)]
enum Repr {
    Object {
        #[serde(flatten)]
        kind: WarningKind,
        message: String,
    },
    Text(String),
}

impl From<Repr> for Warning {
    fn from(r: Repr) -> Self {
        match r {
            Repr::Object { kind, message } => Self { kind, message },
            Repr::Text(message) => Self::other(message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typed_warning_is_an_object_with_its_kind_and_fields() {
        let w = Warning::new(
            WarningKind::ClockSkew {
                offset_ms: -600_000.0,
                server: "time.windows.com".into(),
            },
            "clock differs",
        );
        let v = serde_json::to_value(&w).unwrap();
        assert_eq!(v["kind"], "clock_skew");
        assert_eq!(v["offset_ms"], -600_000.0);
        assert_eq!(v["message"], "clock differs");
        assert_eq!(w.kind_name(), "clock_skew");
        let back: Warning = serde_json::from_value(v).unwrap();
        assert_eq!(back, w);
    }

    #[test]
    fn old_text_warnings_and_unknown_kinds_still_read() {
        let old: Vec<Warning> = serde_json::from_str(r#"["clock is off"]"#).unwrap();
        assert_eq!(old, vec![Warning::other("clock is off")]);
        let future: Warning =
            serde_json::from_str(r#"{"kind":"something_new","message":"m","extra":1}"#).unwrap();
        assert_eq!(future, Warning::other("m"));
        for k in ["trust_store", "other"] {
            let w: Warning =
                serde_json::from_str(&format!(r#"{{"kind":"{k}","message":"m"}}"#)).unwrap();
            assert_eq!(w.kind_name(), k);
        }
    }
}
