//! The catalog's closed vocabularies: platform, VNet mode, cloud, direction, transport and check
//! kind. Every layer speaks them (settings, plan, probes, reports), so they import nothing.

use serde::{Deserialize, Serialize};

/// APIM's compute platform; each has its own table in the reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    /// The current platform (virtual machine scale sets).
    Stv2,
    /// The retired platform (cloud services).
    Stv1,
}

/// The VNet injection mode of the APIM instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum VnetMode {
    /// Gateway reachable from the internet.
    External,
    /// Gateway reachable only inside the VNet.
    Internal,
}

/// The Azure cloud, which decides DNS suffixes and some endpoint sets.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Deserialize,
    Serialize,
    Default,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Cloud {
    /// Azure public cloud.
    #[default]
    Public,
    /// Azure US Government.
    Usgov,
    /// Azure operated by 21Vianet (China).
    China,
}

/// Which way the traffic of a row flows, seen from the APIM subnet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// From the subnet to a dependency: what this tool probes.
    Outbound,
    /// From outside into the subnet: cannot be tested from inside, always skipped.
    Inbound,
    /// Between machines of the subnet: needs a second machine (`check --peer` with `listen`
    /// there), skipped otherwise.
    Peer,
}

/// The transport protocol of a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
}

/// What a probe does once it has an address: one variant per file in `src/probe/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckKind {
    /// A TCP handshake.
    Tcp,
    /// A DNS query answered by the server (any response code proves reachability).
    Dns,
    /// An SNTP exchange over UDP: offset, round trip, stratum.
    Ntp,
    /// A TLS handshake with SNI: chain recorded, trust and interception judged.
    Tls,
    /// A plain HTTP GET (port 80: OCSP/CRL hosts); a firewall's deny page is told apart.
    Http,
    /// A TDS PRELOGIN exchange (Azure SQL, 1433).
    Tds,
    /// An SMB2 NEGOTIATE exchange (Azure Files, 445).
    Smb,
    /// An AMQP protocol-header exchange in the clear (5672).
    Amqp,
    /// TLS, then the AMQP protocol-header exchange (5671).
    Amqps,
    /// Pair mode: a challenge-response with our own listener on another machine, keyed by a
    /// shared token (TCP or UDP); what `peer` rows become with `check --peer`.
    Peer,
    /// No protocol to speak: a UDP row that cannot be proven, always skipped.
    None,
}

names!(Platform { Stv2 => "stv2", Stv1 => "stv1" });
names!(VnetMode { External => "external", Internal => "internal" });
names!(Cloud { Public => "public", Usgov => "usgov", China => "china" });
names!(Direction { Outbound => "outbound", Inbound => "inbound", Peer => "peer" });
names!(Transport { Tcp => "tcp", Udp => "udp" });
names!(CheckKind {
    Tcp => "tcp",
    Dns => "dns",
    Ntp => "ntp",
    Tls => "tls",
    Http => "http",
    Tds => "tds",
    Smb => "smb",
    Amqp => "amqp",
    Amqps => "amqps",
    Peer => "peer",
    None => "none",
});

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names::assert_serde_agrees;

    #[test]
    fn names_agree_with_serde() {
        assert_serde_agrees(Platform::ALL, |v| v.as_str());
        assert_serde_agrees(VnetMode::ALL, |v| v.as_str());
        assert_serde_agrees(Cloud::ALL, |v| v.as_str());
        assert_serde_agrees(Direction::ALL, |v| v.as_str());
        assert_serde_agrees(Transport::ALL, |v| v.as_str());
        assert_serde_agrees(CheckKind::ALL, |v| v.as_str());
    }
}
