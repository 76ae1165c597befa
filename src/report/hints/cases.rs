//! The cases of the hint table's tests: one result per line of the table, the line it must take,
//! and words its hint must hold.

use serde_json::{Value, json};

use crate::report::model::ResultEntry;

/// A result with `tag`, `port`, `check`, `status`, `phase`, and extra fields merged in.
pub(super) fn r(
    tag: &str,
    port: u16,
    check: &str,
    status: &str,
    phase: &str,
    extra: &Value,
) -> ResultEntry {
    crate::report::sample::result(
        "row",
        tag,
        ("svc.example.net", port),
        check,
        status,
        phase,
        extra,
    )
}

/// A case: the result, the line it must take, words the hint must hold.
pub(super) type Case = (ResultEntry, &'static str, &'static [&'static str]);

/// Every case.
pub(super) fn cases() -> Vec<Case> {
    [
        cases_1(),
        cases_2(),
        cases_3(),
        cases_4(),
        cases_5(),
        cases_profiles(),
    ]
    .concat()
}

/// What only the v2 tiers' and workspace gateways' rows meet.
fn cases_profiles() -> Vec<Case> {
    vec![(
        r(
            "VirtualNetwork",
            443,
            "tls",
            "dns_failed",
            "resolve",
            &json!({"facts": {"dns": {"servers": [], "failure": "public_answer"}}}),
        ),
        "name resolves outside the VNet",
        &["private IP", "private DNS zone", "link it to this VNet"],
    )]
}

fn cases_1() -> Vec<Case> {
    let none = json!({});
    let _ = &none;
    vec![
        (
            r(
                "Internet",
                123,
                "ntp",
                "ok",
                "handshake",
                &json!({"warnings": [{"kind": "clock_skew", "offset_ms": 600_000.0, "server": "t", "message": "m"}]}),
            ),
            "clock skew on an ok result",
            &["clock"],
        ),
        (
            r("Storage", 443, "tls", "ok", "tls", &none),
            "nothing to change",
            &[],
        ),
        (
            r(
                "Storage",
                443,
                "tls",
                "dns_failed",
                "resolve",
                &json!({"facts": {"dns": {"servers": ["10.0.0.4:53"], "rcode": "NXDOMAIN", "failure": "nxdomain"}}}),
            ),
            "name does not exist",
            &["does not exist", "168.63.129.16", "private DNS zone"],
        ),
        (
            r(
                "Storage",
                443,
                "tls",
                "dns_failed",
                "resolve",
                &json!({"facts": {"dns": {"servers": ["10.0.0.4:53"], "rcode": "SERVFAIL", "failure": "rcode"}}}),
            ),
            "resolver said no",
            &["10.0.0.4:53", "SERVFAIL", "forwarder"],
        ),
        (
            r(
                "Storage",
                443,
                "tls",
                "dns_failed",
                "resolve",
                &json!({"facts": {"dns": {"servers": ["10.0.0.4:53"], "failure": "no_answer"}}}),
            ),
            "resolver silent",
            &["UDP and TCP 53", "10.0.0.4:53"],
        ),
        (
            r(
                "VirtualNetwork",
                6381,
                "peer",
                "error",
                "handshake",
                &json!({"direction": "peer", "facts": {"pair": {"nonce": "00", "answer": "bad_mac"}}}),
            ),
            "wrong pair token",
            &["--token-file"],
        ),
    ]
}

fn cases_2() -> Vec<Case> {
    let none = json!({});
    let _ = &none;
    vec![
        (
            r(
                "Storage",
                443,
                "tls",
                "unreachable",
                "connect",
                &json!({"facts": {"icmp": {"version": 4, "type": 3, "code": 13, "name": "admin-prohibited", "from": "10.0.0.4"}}}),
            ),
            "rejected with ICMP by a device",
            &["rejected by 10.0.0.4", "not an NSG", "route table"],
        ),
        (
            r("Storage", 443, "tls", "unreachable", "connect", &none),
            "no route on this machine",
            &["no usable route", "ip route get", "not involved"],
        ),
        (
            r("Storage", 443, "tls", "timeout", "connect", &none),
            "dropped or reset on the way",
            &[
                "silently dropped",
                "Storage.WestEurope",
                "az network nsg rule create",
            ],
        ),
        (
            r(
                "Internet",
                80,
                "http",
                "firewall_denied",
                "handshake",
                &json!({"facts": {"http": {"status": 470, "reason": "x", "deny_reason": "Action: Deny"}}}),
            ),
            "firewall deny page",
            &["application rule", "svc.example.net", "not the problem"],
        ),
        (
            r(
                "Internet",
                80,
                "http",
                "firewall_denied",
                "handshake",
                &json!({"facts": {"http": {"status": 407, "reason": "x", "proxy": "Proxy-Authenticate: Basic"}}}),
            ),
            "proxy answers",
            &["proxy", "Proxy-Authenticate: Basic"],
        ),
        (
            r(
                "AzureMonitor",
                443,
                "tls",
                "tls_intercepted",
                "tls",
                &json!({"facts": {"tls": {"verdict": "intercepted", "issuer": "CN=Fw", "trusted": true, "chain_len": 2}}}),
            ),
            "re-signed certificate",
            &["TLS inspection", "CN=Fw"],
        ),
    ]
}

fn cases_3() -> Vec<Case> {
    let none = json!({});
    let _ = &none;
    vec![
        (
            r(
                "AzureMonitor",
                443,
                "tls",
                "tls_untrusted",
                "tls",
                &json!({"facts": {"tls": {"verdict": "untrusted", "refusal": "not_valid_yet", "issuer": "CN=x", "trusted": false, "chain_len": 2}}}),
            ),
            "certificate not valid yet",
            &["clock"],
        ),
        (
            r(
                "AzureMonitor",
                443,
                "tls",
                "tls_untrusted",
                "tls",
                &json!({"facts": {"tls": {"verdict": "untrusted", "refusal": "expired", "issuer": "CN=x", "trusted": false, "chain_len": 2}}}),
            ),
            "certificate refused",
            &["refused", "TLS inspection"],
        ),
        (
            r("Sql", 1433, "tds", "timeout", "handshake", &none),
            "connected, then nothing answered",
            &["NSG let it through", "firewall/NVA"],
        ),
        (
            r("Storage", 443, "tls", "error", "connect", &none),
            "local problem",
            &["local problem"],
        ),
    ]
}

fn cases_4() -> Vec<Case> {
    vec![
        (
            r(
                "AzureMonitor",
                443,
                "tls",
                "ok",
                "tls",
                &json!({"warnings": [{"kind": "store_distrusts", "host": "h", "anchor": "CN=Microsoft TLS RSA Root G2", "message": "m"}]}),
            ),
            "this machine's store distrusts a verified chain",
            &[
                "CN=Microsoft TLS RSA Root G2",
                "ca-certificates",
                "apps on this VM",
            ],
        ),
        (
            r(
                "DnsServers",
                53,
                "dns",
                "refused",
                "connect",
                &json!({"facts": {"dns": {"servers": ["127.0.0.1:53"], "transport": "udp", "failure": "unreachable"}, "icmp": {"version": 4, "type": 3, "code": 3, "name": "port-unreachable", "from": "127.0.0.1"}}}),
            ),
            "local resolver not running",
            &["127.0.0.1:53", "not running", "resolv.conf", "not involved"],
        ),
        (
            r(
                "Storage",
                443,
                "tls",
                "dns_failed",
                "resolve",
                &json!({"facts": {"dns": {"servers": ["127.0.0.1:53"], "failure": "unreachable"}}}),
            ),
            "local resolver not running",
            &["127.0.0.1:53"],
        ),
    ]
}

fn cases_5() -> Vec<Case> {
    vec![
        (
            r(
                "Storage",
                443,
                "tls",
                "unreachable",
                "connect",
                &json!({"facts": {"local_error": "EHOSTUNREACH", "icmp": {"version": 4, "type": 3, "code": 13, "name": "admin-prohibited", "from": "198.18.0.2"}}}),
            ),
            "no route on this machine",
            &["never left this machine"],
        ),
        (
            r(
                "AzureMonitor",
                443,
                "tls",
                "tls_untrusted",
                "tls",
                &json!({"facts": {"tls": {"verdict": "untrusted", "problem": "incomplete_chain", "issuer": "CN=Rogue", "trusted": false, "chain_len": 1}}}),
            ),
            "incomplete chain",
            &[
                "cannot be followed",
                "CN=Rogue",
                "TLS inspection",
                "--expect-ca",
            ],
        ),
        (
            r(
                "AzureMonitor",
                443,
                "tls",
                "tls_untrusted",
                "tls",
                &json!({"facts": {"tls": {"verdict": "untrusted", "problem": "not_valid_yet", "issuer": "CN=x", "trusted": true, "chain_len": 2}}}),
            ),
            "certificate not valid yet",
            &["clock"],
        ),
    ]
}
