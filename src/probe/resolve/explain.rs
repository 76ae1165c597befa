//! A failed lookup in words and as facts: which response code, from which servers, or that no
//! server answered.

use hickory_resolver::net::{DnsError, NetError, NoRecords};
use hickory_resolver::proto::op::ResponseCode;

use crate::probe::facts::DnsFailureKind;

/// What went wrong resolving `host`, naming the servers `asked`.
pub fn explain(host: &str, e: &NetError, asked: &str) -> String {
    match e {
        NetError::Dns(DnsError::NoRecordsFound(NoRecords { response_code, .. })) => {
            if *response_code == ResponseCode::NXDomain {
                format!("NXDOMAIN: {host} does not exist ({asked})")
            } else {
                format!(
                    "no A/AAAA records for {host} ({}, {asked})",
                    rcode_name(*response_code)
                )
            }
        }
        NetError::Dns(DnsError::ResponseCode(code)) => explain_rcode(host, *code, asked),
        NetError::Timeout => format!(
            "no answer from the DNS server within the timeout ({asked}; UDP/TCP 53 dropped?)"
        ),
        NetError::Io(io) => format!("DNS server unreachable: {io} ({asked})"),
        NetError::NoConnections => format!("no DNS server could be reached ({asked})"),
        other => format!("lookup of {host} failed: {other} ({asked})"),
    }
}

/// The response code and kind of a resolver error, as facts.
pub fn kind_of(e: &NetError) -> (Option<ResponseCode>, DnsFailureKind) {
    match e {
        NetError::Dns(DnsError::NoRecordsFound(NoRecords { response_code, .. })) => {
            let kind = if *response_code == ResponseCode::NXDomain {
                DnsFailureKind::Nxdomain
            } else {
                DnsFailureKind::NoRecords
            };
            (Some(*response_code), kind)
        }
        NetError::Dns(DnsError::ResponseCode(code)) => (Some(*code), DnsFailureKind::Rcode),
        NetError::Timeout => (None, DnsFailureKind::NoAnswer),
        NetError::Io(_) | NetError::NoConnections => (None, DnsFailureKind::Unreachable),
        _ => (None, DnsFailureKind::NotDns),
    }
}

/// The mnemonic of a response code, as dig prints it (`NOERROR`, `NXDOMAIN`, `SERVFAIL` …).
pub fn rcode_name(code: ResponseCode) -> String {
    match code {
        ResponseCode::NoError => "NOERROR".into(),
        ResponseCode::FormErr => "FORMERR".into(),
        ResponseCode::ServFail => "SERVFAIL".into(),
        ResponseCode::NXDomain => "NXDOMAIN".into(),
        ResponseCode::NotImp => "NOTIMP".into(),
        ResponseCode::Refused => "REFUSED".into(),
        other => format!("RCODE {}", u16::from(other)),
    }
}

fn explain_rcode(host: &str, code: ResponseCode, asked: &str) -> String {
    match code {
        ResponseCode::ServFail => {
            format!(
                "SERVFAIL for {host}: the server could not resolve it (failing forwarder or upstream?) ({asked})"
            )
        }
        ResponseCode::Refused => {
            format!("REFUSED: the server will not resolve {host} for this client ({asked})")
        }
        other => format!(
            "the server answered {} for {host} ({asked})",
            rcode_name(other)
        ),
    }
}
