//! `--redact`: takes what identifies this machine and its subscription out of a report, so it
//! can be pasted into a ticket, while the evidence about Azure's endpoints stays.
//!
//! # What is replaced
//! The *identifying values* are collected first, each given a placeholder numbered in order of
//! first sight (the same value always gets the same placeholder within one report):
//! - `host.hostname` → `host-N`;
//! - each of `host.addresses` that is private: RFC 1918 (10/8, 172.16/12, 192.168/16), CGNAT
//!   (100.64/10), IPv4 link-local (169.254/16), IPv6 ULA (fc00::/7) and link-local (fe80::/10)
//!   → `private-ip-N`; public and loopback addresses stay;
//! - in `host.azure` (the IMDS answer), whatever fields it has, by key (case and `_`/`-`
//!   ignored): keys containing `subscription` → `subscription-N`, `resourcegroup` →
//!   `resource-group-N`, `resourceid` → `resource-id-N`, `vmid` → `vm-id-N`, `mac` → `mac-N`,
//!   `tenant` → `tenant-N`; keys `name`, `vmname`, `computername` → `vm-N`; and any string value
//!   that is a private address (`private-ip-N`) or a private prefix such as `10.0.1.0/24`
//!   (`subnet-N`), e.g. private IPs and subnet prefixes;
//! - each DNS server in use (`dns.servers`, and the `--dns-server` values of the recorded command
//!   line) that is a private address → `dns-server-N`: the VNet's own DNS, like its subnets.
//!
//! Then *every occurrence* of those values (ASCII case-insensitive, as a whole word: not inside a
//! longer name or number) is replaced in every string of the report: `host` and `host.azure`,
//! `dns` (servers, error, checks), report `warnings`, the recorded command line, and in each
//! result its host, addresses, peer, detail, hint, warnings, facts, evidence strings and APIM
//! status error. Longer values are matched first, so a resource id becomes one `resource-id-N`
//! rather than a mix of parts. In the command line, the value of every path option
//! (`--report-file`, `--catalog`, …) becomes `path-N` as well (see `command.rs`).
//!
//! Nothing else is touched: public addresses and names of the endpoints probed (and public DNS
//! servers such as Azure's 168.63.129.16), statuses, timings, certificate issuers. Private
//! addresses other than this machine's and its DNS servers' (a firewall sending ICMP) stay too:
//! they are evidence of the path.
//!
//! Evidence and `host.azure` are rewritten through their JSON form; a typed field that cannot
//! hold a placeholder (say an address-typed field holding this machine's address) makes that
//! part be dropped, with a report warning, rather than leaked.

use std::net::IpAddr;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::model::Report;
use crate::probe::outcome::{Facts, Warning};

mod command;

/// Replaces identifying values with stable placeholders (see the module doc for exactly which).
pub fn redact(report: &mut Report) {
    let r = Redactor::collect(report);
    if let Some(line) = &mut report.settings.command_line {
        *line = command::redact(line, &|ip| r.placeholder(&ip.to_string()));
        r.text(line);
    }
    if r.pairs.is_empty() {
        return;
    }
    let h = &mut report.host;
    r.text(&mut h.hostname);
    r.all(&mut h.addresses);
    if let Some(azure) = h.azure.take() {
        h.azure = r.typed(&azure);
        if h.azure.is_none() {
            report.warnings.push(Warning::other(
                "--redact: host.azure left out (its fields cannot hold placeholders)",
            ));
        }
    }
    let d = &mut report.dns;
    r.all(&mut d.servers);
    r.opt(&mut d.error);
    for c in &mut d.checks {
        r.text(&mut c.server);
        r.opt(&mut c.rcode);
        r.text(&mut c.detail);
    }
    r.warnings(&mut report.warnings);
    let mut dropped = false;
    for e in &mut report.results {
        r.opt(&mut e.spec.host);
        r.opt(&mut e.spec.stands_for);
        r.all(&mut e.addresses);
        r.opt(&mut e.peer);
        r.text(&mut e.detail);
        r.opt(&mut e.hint);
        r.warnings(&mut e.warnings);
        if let Some(facts) = r.typed(&e.facts) {
            e.facts = facts;
        } else {
            e.facts = Facts::default();
            dropped = true;
        }
        if let Some(a) = &mut e.apim_status {
            r.text(&mut a.error);
        }
        if let Some(ev) = e.evidence.take() {
            e.evidence = r.typed(&ev);
            dropped |= e.evidence.is_none();
        }
    }
    if dropped {
        report.warnings.push(Warning::other(
            "--redact: some evidence or facts left out (their fields cannot hold placeholders)",
        ));
    }
}

/// The identifying values and their placeholders, longest value first.
#[derive(Debug, Default)]
struct Redactor {
    /// `(value in ASCII lower case, placeholder)`.
    pairs: Vec<(String, String)>,
}

impl Redactor {
    fn collect(report: &Report) -> Self {
        let mut r = Redactor::default();
        let mut counts: Vec<(&'static str, usize)> = Vec::new();
        let mut add = |value: &str, kind: &'static str| {
            let value = value.trim().to_ascii_lowercase();
            if value.is_empty() || r.pairs.iter().any(|(v, _)| *v == value) {
                return;
            }
            let n = if let Some((_, n)) = counts.iter_mut().find(|(k, _)| *k == kind) {
                *n += 1;
                *n
            } else {
                counts.push((kind, 1));
                1
            };
            r.pairs.push((value, format!("{kind}-{n}")));
        };
        add(&report.host.hostname, "host");
        for a in &report.host.addresses {
            if is_private(a) {
                add(a, "private-ip");
            }
        }
        if let Some(azure) = &report.host.azure
            && let Ok(v) = serde_json::to_value(azure)
        {
            walk_azure(&v, None, &mut add);
        }
        let given = report
            .settings
            .command_line
            .as_deref()
            .map(command::dns_servers);
        let servers = report.dns.servers.iter().filter_map(|s| server_ip(s));
        for ip in servers.chain(given.into_iter().flatten()) {
            if is_private(&ip.to_string()) {
                add(&ip.to_string(), "dns-server");
            }
        }
        r.pairs.sort_by_key(|(v, _)| std::cmp::Reverse(v.len()));
        r
    }

    /// The placeholder of a value, if it is one of the identifying values.
    fn placeholder(&self, value: &str) -> Option<String> {
        let value = value.to_ascii_lowercase();
        self.pairs
            .iter()
            .find(|(v, _)| *v == value)
            .map(|(_, p)| p.clone())
    }

    fn all(&self, v: &mut [String]) {
        for s in v {
            self.text(s);
        }
    }

    fn opt(&self, s: &mut Option<String>) {
        if let Some(s) = s {
            self.text(s);
        }
    }

    /// Each warning through its JSON form (message and typed fields alike); one that cannot hold
    /// a placeholder in a typed field keeps only its redacted message.
    fn warnings(&self, ws: &mut [Warning]) {
        for w in ws {
            *w = self.typed(w).unwrap_or_else(|| {
                let mut message = w.message.clone();
                self.text(&mut message);
                Warning::other(message)
            });
        }
    }

    fn text(&self, s: &mut String) {
        if let Some(new) = self.replace(s) {
            *s = new;
        }
    }

    /// `s` with every whole-word occurrence of a value replaced, or `None` when none occurs.
    fn replace(&self, s: &str) -> Option<String> {
        let lower = s.to_ascii_lowercase();
        let (hay, bytes) = (lower.as_bytes(), s.as_bytes());
        let mut out = Vec::with_capacity(s.len());
        let mut i = 0;
        let mut hit = false;
        'scan: while i < bytes.len() {
            if i == 0 || !is_word(hay[i - 1]) {
                for (value, placeholder) in &self.pairs {
                    let end = i + value.len();
                    if hay[i..].starts_with(value.as_bytes()) && !continues(value, &hay[end..]) {
                        out.extend_from_slice(placeholder.as_bytes());
                        i = end;
                        hit = true;
                        continue 'scan;
                    }
                }
            }
            out.push(bytes[i]);
            i += 1;
        }
        // Whole UTF-8 sequences were copied, and placeholders are ASCII.
        hit.then(|| String::from_utf8(out).expect("valid UTF-8"))
    }

    /// `value` redacted through its JSON form, or `None` when the type rejects a placeholder.
    fn typed<T: Serialize + DeserializeOwned>(&self, value: &T) -> Option<T> {
        let mut v = serde_json::to_value(value).ok()?;
        self.value(&mut v);
        serde_json::from_value(v).ok()
    }

    fn value(&self, v: &mut Value) {
        match v {
            Value::String(s) => self.text(s),
            Value::Array(a) => {
                for v in a {
                    self.value(v);
                }
            }
            Value::Object(o) => {
                for v in o.values_mut() {
                    self.value(v);
                }
            }
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }
}

/// Part of a name, an address or an id: a match may not start or end next to one of these.
fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// Whether what follows a match of `value` makes it part of something longer: a word byte, or
/// for an IPv6 value a `:` and a hex digit (`fd00::1` is not `fd00::1:2`, but `fd00::1: …` is).
fn continues(value: &str, after: &[u8]) -> bool {
    match after {
        [b':', next, ..] if value.contains(':') => next.is_ascii_hexdigit() || *next == b':',
        [b, ..] => is_word(*b),
        [] => false,
    }
}

/// Collects identifying values of the IMDS answer (see the module doc for the keys).
fn walk_azure(v: &Value, key: Option<&str>, add: &mut impl FnMut(&str, &'static str)) {
    match v {
        Value::String(s) => {
            if let Some(kind) = key.and_then(kind_of_key) {
                add(s, kind);
            } else if is_private(s) {
                add(s, "private-ip");
            } else if is_private_prefix(s) {
                add(s, "subnet");
            }
        }
        Value::Array(a) => {
            for v in a {
                walk_azure(v, key, add);
            }
        }
        Value::Object(o) => {
            for (k, v) in o {
                walk_azure(v, Some(k), add);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

fn kind_of_key(key: &str) -> Option<&'static str> {
    let k: String = key
        .chars()
        .filter(|c| !matches!(c, '_' | '-'))
        .collect::<String>()
        .to_ascii_lowercase();
    Some(match k.as_str() {
        _ if k.contains("subscription") => "subscription",
        _ if k.contains("resourcegroup") => "resource-group",
        _ if k.contains("resourceid") => "resource-id",
        _ if k.contains("vmid") => "vm-id",
        _ if k.contains("mac") => "mac",
        _ if k.contains("tenant") => "tenant",
        "name" | "vmname" | "computername" => "vm",
        _ => return None,
    })
}

/// Whether `s` is a private address (see the module doc); an IPv6 zone (`%eth0`) is ignored.
pub fn is_private(s: &str) -> bool {
    let s = s.split('%').next().unwrap_or(s);
    match s.parse::<IpAddr>() {
        Ok(IpAddr::V4(a)) => {
            let [x, y, ..] = a.octets();
            a.is_private() || a.is_link_local() || (x == 100 && (64..128).contains(&y))
        }
        Ok(IpAddr::V6(a)) => {
            let first = a.segments()[0];
            first & 0xfe00 == 0xfc00 || first & 0xffc0 == 0xfe80
        }
        Err(_) => false,
    }
}

/// The address of a DNS server as the report lists it (`ip:port`, `[ipv6]:port`, or bare).
fn server_ip(s: &str) -> Option<IpAddr> {
    s.parse::<std::net::SocketAddr>()
        .map(|a| a.ip())
        .or_else(|_| s.parse::<IpAddr>())
        .ok()
}

/// Whether `s` is a prefix (`ADDR/LEN`) of a private range.
fn is_private_prefix(s: &str) -> bool {
    s.split_once('/')
        .is_some_and(|(addr, len)| is_private(addr) && len.parse::<u8>().is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redactor(pairs: &[(&str, &str)]) -> Redactor {
        Redactor {
            pairs: pairs
                .iter()
                .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
                .collect(),
        }
    }

    #[test]
    fn replaces_whole_words_only() {
        let r = redactor(&[("10.0.1.4", "private-ip-1"), ("vm1", "host-1")]);
        assert_eq!(
            r.replace("from 10.0.1.4:443 to VM1.internal, not 10.0.1.40 or vm10 or 110.0.1.4")
                .unwrap(),
            "from private-ip-1:443 to host-1.internal, not 10.0.1.40 or vm10 or 110.0.1.4"
        );
        assert_eq!(r.replace("nothing here"), None);
    }

    #[test]
    fn ipv6_values_do_not_match_a_longer_address() {
        let r = redactor(&[("fd00::1", "private-ip-1")]);
        assert_eq!(r.replace("fd00::1:2"), None);
        assert_eq!(
            r.replace("from fd00::1: x").unwrap(),
            "from private-ip-1: x"
        );
        assert_eq!(r.replace("[fd00::1]:443").unwrap(), "[private-ip-1]:443");
    }

    #[test]
    fn private_ranges() {
        for a in [
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "100.64.0.1",
            "169.254.1.1",
        ] {
            assert!(is_private(a), "{a}");
        }
        for a in ["fd12::1", "fe80::1%eth0"] {
            assert!(is_private(a), "{a}");
        }
        for a in ["8.8.8.8", "100.128.0.1", "127.0.0.1", "2001:db8::1", "vm1"] {
            assert!(!is_private(a), "{a}");
        }
        assert!(is_private_prefix("10.0.1.0/24"));
        assert!(!is_private_prefix("20.0.1.0/24"));
    }

    #[test]
    fn azure_keys() {
        assert_eq!(kind_of_key("subscriptionId"), Some("subscription"));
        assert_eq!(kind_of_key("resource_group_name"), Some("resource-group"));
        assert_eq!(kind_of_key("vmId"), Some("vm-id"));
        assert_eq!(kind_of_key("name"), Some("vm"));
        assert_eq!(kind_of_key("location"), None);
    }
}
