//! The options of pair mode, validated: the token (`--token-file`/`--token`), the peers of
//! `check --peer`, and the ports of `listen --ports`. Each function names its option in its error.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::catalog::vocabulary::Transport;
use crate::cli::TokenArgs;
use crate::pair::Token;

/// The most sockets `listen` opens: its resources stay bounded whatever `--ports` says.
pub const MAX_SOCKETS: usize = 64;

/// How to make a token, for error messages.
const MAKE_ONE: &str =
    "make one with `head -c 32 /dev/urandom | base64 > pair.token` and copy it to both machines";

/// `check --peer`, validated.
#[derive(Debug, Clone)]
pub struct PairSettings {
    /// The machines where `apim-probe listen` runs.
    pub peers: Vec<String>,
    /// The pair's token.
    pub token: Arc<Token>,
    /// The peer's listener log, to match our challenges against.
    pub peer_log: Option<PathBuf>,
}

/// One socket `listen` is asked to open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListenPort {
    /// The port.
    pub port: u16,
    /// `tcp` or `udp`.
    pub transport: Transport,
}

/// The token of `--token-file` or `--token`, or `None` when neither is given.
pub fn validate_token(a: &TokenArgs) -> Result<Option<Token>, String> {
    let (option, secret) = match (&a.token_file, &a.token) {
        (Some(path), _) => (
            format!("--token-file {}", path.display()),
            read_token_file(path)?,
        ),
        (None, Some(text)) => ("--token".to_owned(), text.clone().into_bytes()),
        (None, None) => return Ok(None),
    };
    // Surrounding whitespace is not part of it: a file ends with a newline, and a copy-paste
    // may add spaces; both machines strip it the same way.
    let secret = secret.trim_ascii();
    Token::new(secret)
        .map(Some)
        .map_err(|e| format!("{option}: {e} ({MAKE_ONE})"))
}

/// Reads at most a little more than the longest token, so a wrong path (a disk image) costs
/// nothing.
fn read_token_file(path: &Path) -> Result<Vec<u8>, String> {
    let file = std::fs::File::open(path)
        .map_err(|e| format!("--token-file {}: cannot read it: {e}", path.display()))?;
    let mut secret = Vec::new();
    let limit = u64::try_from(Token::MAX_LEN).unwrap_or(u64::MAX) + 64;
    file.take(limit)
        .read_to_end(&mut secret)
        .map_err(|e| format!("--token-file {}: cannot read it: {e}", path.display()))?;
    Ok(secret)
}

/// `check --peer` with its token and log; `None` without `--peer` (then neither may be given).
pub fn validate_pair(
    peers: &[String],
    token: &TokenArgs,
    peer_log: Option<&Path>,
) -> Result<Option<PairSettings>, String> {
    let token = validate_token(token)?;
    if peers.is_empty() {
        if token.is_some() || peer_log.is_some() {
            return Err(
                "--token, --token-file and --peer-log are for pair mode: give --peer HOST too"
                    .into(),
            );
        }
        return Ok(None);
    }
    let Some(token) = token else {
        return Err(format!(
            "--peer needs the pair's token: --token-file FILE (the same as `apim-probe listen` was given there; {MAKE_ONE})"
        ));
    };
    Ok(Some(PairSettings {
        peers: validate_peers(peers)?,
        token: Arc::new(token),
        peer_log: peer_log.map(Path::to_path_buf),
    }))
}

/// Host names or addresses (`[v6]` brackets taken off), each once.
fn validate_peers(peers: &[String]) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for raw in peers {
        let host = raw.trim().trim_start_matches('[').trim_end_matches(']');
        let fits = !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'));
        if !fits {
            return Err(format!(
                "--peer {raw}: expected a host name or an IP address, e.g. 10.0.1.5"
            ));
        }
        let host = host.to_ascii_lowercase();
        if out.contains(&host) {
            return Err(format!("--peer {raw}: given twice"));
        }
        out.push(host);
    }
    Ok(out)
}

/// `6380,6381-6383/tcp,4290/udp`: ports and ranges, each TCP and UDP unless `/tcp` or `/udp`
/// says; at most [`MAX_SOCKETS`] sockets in all.
pub fn validate_ports(text: &str) -> Result<Vec<ListenPort>, String> {
    let mut out: Vec<ListenPort> = Vec::new();
    for item in text.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let bad = |why: &str| format!("--ports {text}: `{item}` {why}");
        let (range, transports) = match item.rsplit_once('/') {
            Some((r, "tcp")) => (r, &[Transport::Tcp][..]),
            Some((r, "udp")) => (r, &[Transport::Udp][..]),
            Some(_) => return Err(bad("ends with neither /tcp nor /udp")),
            None => (item, &[Transport::Tcp, Transport::Udp][..]),
        };
        let (lo, hi) = range.split_once('-').unwrap_or((range, range));
        let port = |p: &str| p.trim().parse::<u16>().ok().filter(|&p| p > 0);
        let (Some(lo), Some(hi)) = (port(lo), port(hi)) else {
            return Err(bad("is not a port (1-65535) or a range like 6381-6383"));
        };
        if lo > hi {
            return Err(bad("is a range that ends before it starts"));
        }
        for p in lo..=hi {
            for &transport in transports {
                let lp = ListenPort { port: p, transport };
                if !out.contains(&lp) {
                    out.push(lp);
                }
                if out.len() > MAX_SOCKETS {
                    return Err(format!(
                        "--ports {text}: more than {MAX_SOCKETS} sockets; the listener opens only the ports you need"
                    ));
                }
            }
        }
    }
    if out.is_empty() {
        return Err(format!("--ports {text}: no port given"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use test_case::test_case;

    fn args(token: Option<&str>, file: Option<PathBuf>) -> TokenArgs {
        TokenArgs {
            token_file: file,
            token: token.map(str::to_owned),
        }
    }

    #[test]
    fn tokens_come_from_a_file_or_the_option_without_surrounding_whitespace() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("t");
        std::fs::write(&file, "0123456789abcdef\n").unwrap();
        let t = validate_token(&args(None, Some(file.clone()))).unwrap();
        assert_eq!(t.unwrap().len(), 16);
        std::fs::write(&file, "short\n").unwrap();
        let e = validate_token(&args(None, Some(file))).unwrap_err();
        assert!(e.contains("5 byte(s); at least 16"), "{e}");
        assert!(e.contains("--token-file"), "{e}");
        let missing = validate_token(&args(None, Some(dir.path().join("nope")))).unwrap_err();
        assert!(missing.contains("cannot read it"), "{missing}");
        assert!(validate_token(&args(Some("  0123456789abcdef "), None)).is_ok());
        assert!(validate_token(&args(None, None)).unwrap().is_none());
    }

    #[test]
    fn pair_mode_needs_peer_and_token_together() {
        let token = args(Some("0123456789abcdef"), None);
        let e = validate_pair(&[], &token, None).unwrap_err();
        assert!(e.contains("give --peer"), "{e}");
        let e = validate_pair(&["10.0.0.5".into()], &args(None, None), None).unwrap_err();
        assert!(e.contains("--peer needs the pair's token"), "{e}");
        let p = validate_pair(&["[fd00::5]".into(), "VM2".into()], &token, None)
            .unwrap()
            .unwrap();
        assert_eq!(p.peers, ["fd00::5", "vm2"]);
        assert!(validate_pair(&["a b".into()], &token, None).is_err());
        assert!(validate_pair(&["vm2".into(), "VM2".into()], &token, None).is_err());
        assert!(
            validate_pair(&[], &args(None, None), None)
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn ports_and_ranges_with_their_transports() {
        let p = validate_ports("6380/tcp, 6381-6382/tcp,4290/udp,9").unwrap();
        let shown: Vec<String> = p
            .iter()
            .map(|l| format!("{}/{}", l.port, l.transport.as_str()))
            .collect();
        assert_eq!(
            shown,
            [
                "6380/tcp", "6381/tcp", "6382/tcp", "4290/udp", "9/tcp", "9/udp"
            ]
        );
    }

    #[test_case("0", "is not a port"; "zero")]
    #[test_case("70000", "is not a port"; "too big")]
    #[test_case("6383-6381", "ends before it starts"; "backwards")]
    #[test_case("443/sctp", "neither /tcp nor /udp"; "transport")]
    #[test_case("1-65535", "more than 64 sockets"; "too many")]
    #[test_case(" , ", "no port given"; "empty")]
    fn bad_ports(text: &str, want: &str) {
        let e = validate_ports(text).unwrap_err();
        assert!(e.contains(want), "{e}");
    }
}
