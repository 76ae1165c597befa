//! What both generators share: the targets drawn from the plan, the header, and the quoting and
//! number formats of each shell.

use std::time::Duration;

use crate::catalog::model::Transport;
use crate::catalog::plan::Plan;

/// What the generated script needs besides the plan.
#[derive(Debug, Clone)]
pub struct ScriptSettings {
    /// The generating tool's version, named in the header.
    pub version: String,
    /// One line describing the scope (platform, vnet, cloud, region, catalog), for the header.
    pub scope: String,
    /// Limit for each check (name resolution and connect each).
    pub timeout: Duration,
    /// Checks in flight at once.
    pub parallel: usize,
}

/// One TCP connection the script attempts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Dependency id.
    pub id: String,
    /// Whether a failure fails the verdict.
    pub required: bool,
    /// Host name or address literal.
    pub host: String,
    /// TCP port.
    pub port: u16,
}

/// A plan entry the script does not check, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unchecked {
    /// Dependency id.
    pub id: String,
    /// `host:port/transport`, as `list` shows it.
    pub what: String,
    /// Why it is not checked.
    pub why: String,
}

/// The plan split the way the script sees it.
#[derive(Debug, Clone, Default)]
pub struct Targets {
    /// TCP entries to check, in catalog order.
    pub tcp: Vec<Target>,
    /// UDP entries: not checked by this script.
    pub udp: Vec<Unchecked>,
    /// Entries the plan skips, with the plan's reason.
    pub skipped: Vec<Unchecked>,
}

/// Splits a plan into what the script checks, the UDP rows it cannot, and the plan's skips.
pub fn targets(plan: &Plan) -> Targets {
    let mut t = Targets::default();
    for p in &plan.probes {
        let id = p.dep.id.get_ref().clone();
        let host = p.host.as_deref().unwrap_or("*");
        let port = p.port.map_or("*".to_owned(), |n| n.to_string());
        let what = format!("{host}:{port}/{}", p.transport.as_str());
        let unchecked = |why: &str| Unchecked {
            id: id.clone(),
            what: what.clone(),
            why: why.to_owned(),
        };
        match (&p.skip, p.transport, &p.host, p.port) {
            (Some(reason), ..) => t.skipped.push(unchecked(reason)),
            (None, Transport::Udp, ..) => t.udp.push(unchecked(&format!(
                "not checked by this script (UDP, {})",
                p.check.as_str()
            ))),
            (None, Transport::Tcp, Some(host), Some(port)) => t.tcp.push(Target {
                id,
                required: p.dep.required,
                host: host.clone(),
                port,
            }),
            (None, Transport::Tcp, ..) => {
                t.skipped.push(unchecked("no host or port to connect to"));
            }
        }
    }
    t
}

/// The header both shells share, as comment lines without the comment marker.
pub fn header(t: &Targets, s: &ScriptSettings, per_check: &str, run_with: &str) -> Vec<String> {
    let mut lines = vec![
        format!("apim-probe {} script: TCP-only reachability of Azure API Management's network dependencies.", s.version),
        "TCP ONLY: each check resolves the name and opens a TCP connection, then closes it. Nothing".into(),
        "is spoken over it (no TLS, HTTP, SQL, SMB or AMQP) and no UDP is sent (DNS, NTP are not".into(),
        "checked): an `ok` here proves the port is open, not that the service works. Where the".into(),
        "binary can be copied, `apim-probe check` does the full checks and explains each failure.".into(),
        format!("Generated for: {}", s.scope),
        format!(
            "Per check: at most {} {per_check}; {} checks at once.",
            secs(s.timeout),
            s.parallel
        ),
        format!("Run: {run_with}"),
        "Exit code: 0 every required dependency reachable over TCP, 1 a required one failed, 2 cannot run.".into(),
        format!(
            "{} TCP check(s), {} UDP entr(ies) not checked, {} skipped by the plan.",
            t.tcp.len(),
            t.udp.len(),
            t.skipped.len()
        ),
    ];
    let mut section = |title: &str, list: &[Unchecked]| {
        if !list.is_empty() {
            lines.push(String::new());
            lines.push(title.to_owned());
            for u in list {
                lines.push(format!("  {} {}: {}", u.id, u.what, u.why));
            }
        }
    };
    section("Not checked by this script (UDP):", &t.udp);
    section("Skipped (not probed, with the plan's reason):", &t.skipped);
    lines.into_iter().map(|l| comment_safe(&l)).collect()
}

/// A duration as the seconds `timeout(1)` takes: `5`, `0.5`, `1.25`.
pub fn secs(d: Duration) -> String {
    let ms = d.as_millis();
    let frac = format!("{:03}", ms % 1000);
    let frac = frac.trim_end_matches('0');
    if frac.is_empty() {
        format!("{}s", ms / 1000)
    } else {
        format!("{}.{frac}s", ms / 1000)
    }
}

/// Printable ASCII only: a control character (a newline!) would end a comment and let the rest
/// run as code; non-ASCII may be mangled by Windows PowerShell reading the file as ANSI.
pub fn comment_safe(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            ' '..='~' => c,
            '\u{2013}' | '\u{2014}' => '-',
            '\u{2026}' => '.',
            _ => '?',
        })
        .collect()
}

/// A POSIX shell word in single quotes: safe for any content (`'` becomes `'\''`); control
/// characters are replaced, so a quoted word never spans lines.
pub fn sh_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\'' => out.push_str("'\\''"),
            c if c.is_control() => out.push('?'),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// A PowerShell single-quoted string: every quote PowerShell treats as a single quote (the ASCII
/// one and the typographic ‘ ’ ‚ ‛) is doubled; control characters are replaced.
pub fn ps_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' => {
                out.push(c);
                out.push(c);
            }
            c if c.is_control() => out.push('?'),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sh_quote_is_strict() {
        assert_eq!(sh_quote("a.b"), "'a.b'");
        assert_eq!(sh_quote("a'b"), "'a'\\''b'");
        assert_eq!(sh_quote("$(x)\n`y`"), "'$(x)?`y`'");
    }

    #[test]
    fn ps_quote_doubles_every_single_quote() {
        assert_eq!(ps_quote("a'b\u{2019}c"), "'a''b\u{2019}\u{2019}c'");
        assert_eq!(ps_quote("$x\r\n"), "'$x??'");
    }

    #[test]
    fn comments_cannot_end_early() {
        assert_eq!(comment_safe("a\nrm -rf /\u{2014}é"), "a?rm -rf /-?");
    }

    #[test]
    fn seconds_for_timeout() {
        assert_eq!(secs(Duration::from_secs(5)), "5s");
        assert_eq!(secs(Duration::from_millis(500)), "0.5s");
        assert_eq!(secs(Duration::from_millis(1250)), "1.25s");
    }
}
