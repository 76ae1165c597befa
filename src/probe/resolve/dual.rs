//! A and AAAA asked side by side, so that a server (or a firewall in front of it) that drops AAAA
//! questions does not cost the whole lookup: when the A answer has addresses, the AAAA answer gets
//! a short grace and no more, and its silence is reported instead of failing the name.

use std::net::IpAddr;
use std::time::Duration;

use hickory_resolver::TokioResolver;
use hickory_resolver::net::NetError;
use hickory_resolver::proto::rr::{RData, RecordType};
use tokio::time::timeout;

/// How long the AAAA answer may lag an A answer that has addresses.
pub const AAAA_GRACE: Duration = Duration::from_millis(300);

/// What the two questions brought.
#[derive(Debug)]
pub struct Both {
    /// The A question's answer: addresses, or why none.
    pub a: Result<Vec<IpAddr>, NetError>,
    /// The AAAA question's answer; `None` when it did not come within the grace.
    pub aaaa: Option<Result<Vec<IpAddr>, NetError>>,
}

impl Both {
    /// Every address, IPv4 first, without repeats.
    pub fn addrs(&self) -> Vec<IpAddr> {
        let mut out: Vec<IpAddr> = Vec::new();
        for list in [
            self.a.as_ref().ok(),
            self.aaaa.as_ref().and_then(|r| r.as_ref().ok()),
        ]
        .into_iter()
        .flatten()
        {
            for ip in list {
                if !out.contains(ip) {
                    out.push(*ip);
                }
            }
        }
        out
    }

    /// Whether the AAAA question went unanswered while the A question had addresses.
    pub fn aaaa_silent(&self) -> bool {
        self.aaaa.is_none()
    }

    /// The error that best explains why no address came: the A question's, else the AAAA one's.
    pub fn error(&self) -> Option<&NetError> {
        self.a
            .as_ref()
            .err()
            .or_else(|| self.aaaa.as_ref().and_then(|r| r.as_ref().err()))
    }
}

/// Asks `fqdn`'s A and AAAA records at once; see the module doc for how long each is waited for.
pub async fn lookup(resolver: &TokioResolver, fqdn: &str) -> Both {
    let a = ask(resolver, fqdn, RecordType::A);
    let aaaa = ask(resolver, fqdn, RecordType::AAAA);
    tokio::pin!(a, aaaa);
    tokio::select! {
        a = &mut a => {
            let has = a.as_ref().is_ok_and(|v| !v.is_empty());
            let aaaa = if has { timeout(AAAA_GRACE, aaaa).await.ok() } else { Some(aaaa.await) };
            Both { a, aaaa }
        }
        aaaa = &mut aaaa => Both { a: a.await, aaaa: Some(aaaa) },
    }
}

/// One question's addresses (CNAMEs followed by the resolver are skipped).
async fn ask(
    resolver: &TokioResolver,
    fqdn: &str,
    kind: RecordType,
) -> Result<Vec<IpAddr>, NetError> {
    let lookup = resolver.lookup(fqdn, kind).await?;
    Ok(lookup
        .answers()
        .iter()
        .filter_map(|r| match &r.data {
            RData::A(a) => Some(IpAddr::V4(a.0)),
            RData::AAAA(a) => Some(IpAddr::V6(a.0)),
            _ => None,
        })
        .collect())
}
