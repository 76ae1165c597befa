//! The recorded command line (`settings.command_line`) under `--redact`: it names files of this
//! machine (`--report-file /home/alice/contoso/report.json`) and the VNet's DNS servers
//! (`--dns-server 10.0.0.4`), which the rest of the report does not show.
//!
//! - the value of a path option (`--catalog`, `--report-file`, `--dependencies`,
//!   `--apim-status`, `--expect-ca`) becomes `path-N`, numbered in order of first sight (a folder
//!   or a file name can name a user or a customer; the option says what kind of file it was);
//! - the address of a `--dns-server` value becomes the placeholder that the rest of the report
//!   uses for it, when it has one (private addresses: `dns-server-N`), its port kept;
//! - both `--option value` and `--option=value` are understood.
//!
//! The line is split as the POSIX shell would split what [`shell_word`] wrote, and written again
//! with it, so it can still be pasted.

use std::net::{IpAddr, SocketAddr};

use crate::report::markdown::shell_word;

/// Options whose value is a path on this machine.
const PATH_OPTIONS: [&str; 5] = [
    "--catalog",
    "--report-file",
    "--dependencies",
    "--apim-status",
    "--expect-ca",
];

/// The option whose value is a DNS server.
const DNS_OPTION: &str = "--dns-server";

/// The addresses given to `--dns-server` in `line`.
pub(super) fn dns_servers(line: &str) -> Vec<IpAddr> {
    let words = split(line);
    let mut out = Vec::new();
    for_each_value(&words, |option, value| {
        if option == DNS_OPTION
            && let Some((ip, _)) = address(value)
        {
            out.push(ip);
        }
    });
    out
}

/// `line` with path values replaced by `path-N` and each `--dns-server` address by
/// `placeholder(address)` when that gives one.
pub(super) fn redact(line: &str, placeholder: &dyn Fn(IpAddr) -> Option<String>) -> String {
    let mut words = split(line);
    let mut paths: Vec<String> = Vec::new();
    let mut replace = |option: &str, value: &str| -> Option<String> {
        if PATH_OPTIONS.contains(&option) {
            if !paths.iter().any(|p| p == value) {
                paths.push(value.to_owned());
            }
            let n = paths.iter().position(|p| p == value).map_or(0, |i| i + 1);
            return Some(format!("path-{n}"));
        }
        if option == DNS_OPTION {
            let (ip, port) = address(value)?;
            let name = placeholder(ip)?;
            return Some(match (ip, port) {
                (_, None) => name,
                (IpAddr::V4(_), Some(p)) => format!("{name}:{p}"),
                (IpAddr::V6(_), Some(p)) => format!("[{name}]:{p}"),
            });
        }
        None
    };
    let mut i = 0;
    while i < words.len() {
        if let Some((option, value)) = words[i].split_once('=')
            && option.starts_with("--")
        {
            if let Some(new) = replace(option, value) {
                words[i] = format!("{option}={new}");
            }
        } else if words[i].starts_with("--")
            && let Some(value) = words.get(i + 1).cloned()
            && let Some(new) = replace(&words[i], &value)
        {
            words[i + 1] = new;
            i += 1;
        }
        i += 1;
    }
    words
        .iter()
        .map(|w| shell_word(w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Calls `f(option, value)` for each `--option value` and `--option=value` of `words`.
fn for_each_value(words: &[String], mut f: impl FnMut(&str, &str)) {
    for (i, word) in words.iter().enumerate() {
        if let Some((option, value)) = word.split_once('=')
            && option.starts_with("--")
        {
            f(option, value);
        } else if word.starts_with("--")
            && let Some(value) = words.get(i + 1)
        {
            f(word, value);
        }
    }
}

/// `IP`, `IP:PORT`, `[IPv6]` or `[IPv6]:PORT` (what `--dns-server` takes).
fn address(value: &str) -> Option<(IpAddr, Option<u16>)> {
    if let Ok(sa) = value.parse::<SocketAddr>() {
        return Some((sa.ip(), Some(sa.port())));
    }
    let bare = value.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<IpAddr>().ok().map(|ip| (ip, None))
}

/// The words of a line written with [`shell_word`]: split on spaces outside single quotes, a
/// backslash outside quotes keeping the next character (`'\''` is a quote inside a word).
fn split(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut started = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' => {
                if started {
                    words.push(std::mem::take(&mut word));
                    started = false;
                }
            }
            '\'' => {
                started = true;
                for q in chars.by_ref() {
                    if q == '\'' {
                        break;
                    }
                    word.push(q);
                }
            }
            '\\' => {
                started = true;
                word.extend(chars.next());
            }
            _ => {
                started = true;
                word.push(c);
            }
        }
    }
    if started {
        words.push(word);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    fn private(ip: IpAddr) -> Option<String> {
        match ip.to_string().as_str() {
            "10.0.0.4" => Some("dns-server-1".into()),
            "fd00::53" => Some("dns-server-2".into()),
            _ => None,
        }
    }

    /// The line `check` records for these words.
    fn line(words: &str) -> String {
        words
            .split(' ')
            .map(shell_word)
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn splits_what_shell_word_wrote() {
        let words = ["apim-probe", "--set", "a b", "it's", "", "x=1"];
        let line: Vec<String> = words.iter().map(|w| shell_word(w)).collect();
        assert_eq!(split(&line.join(" ")), words);
    }

    #[test]
    fn paths_become_numbered_placeholders() {
        let given = line(
            "apim-probe check --report-file /home/alice/contoso/r.json --catalog=/srv/probes \
             --expect-ca /home/alice/ca.pem --apim-status /home/alice/contoso/r.json \
             --dependencies deps.json",
        );
        assert_eq!(
            redact(&given, &private),
            line(
                "apim-probe check --report-file path-1 --catalog=path-2 --expect-ca path-3 \
                 --apim-status path-1 --dependencies path-4"
            )
        );
        let spaced = format!(
            "{} {}",
            line("apim-probe --catalog"),
            shell_word("/my dir/x")
        );
        assert_eq!(redact(&spaced, &private), "apim-probe --catalog path-1");
    }

    #[test]
    fn private_dns_servers_get_their_placeholder_and_keep_the_port() {
        let given = line(
            "apim-probe check --dns-server 10.0.0.4 --dns-server=10.0.0.4:5353 \
             --dns-server [fd00::53]:53 --dns-server fd00::53 --dns-server 168.63.129.16",
        );
        assert_eq!(
            redact(&given, &private),
            line(
                "apim-probe check --dns-server dns-server-1 --dns-server=dns-server-1:5353 \
                 --dns-server [dns-server-2]:53 --dns-server dns-server-2 \
                 --dns-server 168.63.129.16"
            )
        );
        assert_eq!(
            dns_servers(&given),
            [
                "10.0.0.4",
                "10.0.0.4",
                "fd00::53",
                "fd00::53",
                "168.63.129.16"
            ]
            .map(|a| a.parse::<IpAddr>().unwrap())
        );
    }

    #[test]
    fn everything_else_is_kept() {
        let given = line("apim-probe check --region westeurope --set sql_server=x --only sql,dns");
        assert_eq!(redact(&given, &private), given);
    }
}
