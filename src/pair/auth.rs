//! Who holds the token: the challenge-response of pair mode, keyed by the shared token, pure.
//!
//! The client sends a fresh random nonce and the port and transport it aimed at, with an
//! HMAC-SHA256 over them under the token: the listener answers only a challenge whose MAC
//! verifies, so it says nothing to whoever lacks the token. Its proof is an HMAC over the same
//! nonce and the port and transport it received on, under another label, so a proof is never a
//! challenge's MAC sent back. A firewall or NVA that accepts every connection cannot make one.
//!
//! # References
//! - RFC 2104 (HMAC), FIPS 180-4 (SHA-256), via `ring::hmac` (constant-time verification)

use std::fmt;

use ring::hmac;

use super::wire::{self, HEADER_LEN, Kind, MAC_LEN, Message, NONCE_LEN, WireError};
use crate::catalog::vocabulary::Transport;

/// Label of a challenge's MAC.
const CHALLENGE_LABEL: &[u8] = b"apim-probe pair challenge v1";
/// Label of a proof's MAC.
const PROOF_LABEL: &[u8] = b"apim-probe pair proof v1";

/// The shared secret of a pair: both machines are given the same one.
#[derive(Clone)]
pub struct Token {
    key: hmac::Key,
    len: usize,
}

/// Why a secret cannot be a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Shorter than [`Token::MIN_LEN`].
    #[error("the token has {0} byte(s); at least {min} are needed", min = Token::MIN_LEN)]
    TooShort(usize),
    /// Longer than [`Token::MAX_LEN`].
    #[error("the token has {0} bytes; at most {max} are accepted", max = Token::MAX_LEN)]
    TooLong(usize),
}

impl Token {
    /// The fewest bytes a token may have (128 bits of a random secret).
    pub const MIN_LEN: usize = 16;
    /// The most bytes a token may have.
    pub const MAX_LEN: usize = 1024;

    /// A token from its secret bytes.
    pub fn new(secret: &[u8]) -> Result<Token, TokenError> {
        match secret.len() {
            n if n < Self::MIN_LEN => Err(TokenError::TooShort(n)),
            n if n > Self::MAX_LEN => Err(TokenError::TooLong(n)),
            n => Ok(Token {
                key: hmac::Key::new(hmac::HMAC_SHA256, secret),
                len: n,
            }),
        }
    }

    /// How many bytes the secret has (never the secret itself).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Always false: a token has at least [`Token::MIN_LEN`] bytes.
    pub fn is_empty(&self) -> bool {
        false
    }

    fn sign(&self, label: &[u8], header: &[u8; HEADER_LEN], nonce: &[u8]) -> hmac::Tag {
        let mut ctx = hmac::Context::with_key(&self.key);
        ctx.update(label);
        ctx.update(header);
        ctx.update(nonce);
        ctx.sign()
    }

    fn verifies(&self, label: &[u8], m: &Message) -> bool {
        let mut data = label.to_vec();
        data.extend_from_slice(&wire::header(m.kind, m.port, m.transport));
        data.extend_from_slice(&m.nonce);
        hmac::verify(&self.key, &data, &m.mac).is_ok()
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Token({} bytes, hidden)", self.len)
    }
}

/// A signed message of `kind` (challenge or proof).
fn signed(token: &Token, kind: Kind, port: u16, transport: Transport, nonce: [u8; 16]) -> Message {
    let label = if kind == Kind::Challenge {
        CHALLENGE_LABEL
    } else {
        PROOF_LABEL
    };
    let tag = token.sign(label, &wire::header(kind, port, transport), &nonce);
    let mut mac = [0u8; MAC_LEN];
    mac.copy_from_slice(tag.as_ref());
    Message {
        kind,
        port,
        transport,
        nonce,
        mac,
    }
}

/// The client's challenge to the listener on `port`/`transport`, with a fresh `nonce`.
pub fn challenge(
    token: &Token,
    port: u16,
    transport: Transport,
    nonce: [u8; NONCE_LEN],
) -> Vec<u8> {
    wire::encode(&signed(token, Kind::Challenge, port, transport, nonce))
}

/// What the listener does with the bytes of one request received on `port`/`transport`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The challenge verifies: send `reply`, the proof.
    Proof {
        /// The client's nonce.
        nonce: [u8; NONCE_LEN],
        /// The port the client says it aimed at.
        aimed_at: u16,
        /// The proof's bytes.
        reply: Vec<u8>,
    },
    /// A well-formed challenge whose MAC does not verify: another token. `reply` is the bad-MAC
    /// message, for TCP only (see the listener).
    BadMac {
        /// The client's nonce.
        nonce: [u8; NONCE_LEN],
        /// The bad-MAC message's bytes.
        reply: Vec<u8>,
    },
    /// Not a challenge of this format: nothing is sent.
    Malformed(WireError),
    /// A message of this format that is not a challenge (a reply sent back): nothing is sent.
    NotChallenge,
}

/// The listener's decision on one request.
pub fn answer(token: &Token, request: &[u8], port: u16, transport: Transport) -> Answer {
    let m = match wire::decode(request) {
        Ok(m) => m,
        Err(e) => return Answer::Malformed(e),
    };
    if m.kind != Kind::Challenge {
        return Answer::NotChallenge;
    }
    if !token.verifies(CHALLENGE_LABEL, &m) {
        let reply = wire::encode(&Message {
            kind: Kind::BadMac,
            port,
            transport,
            nonce: m.nonce,
            mac: [0; MAC_LEN],
        });
        return Answer::BadMac {
            nonce: m.nonce,
            reply,
        };
    }
    Answer::Proof {
        nonce: m.nonce,
        aimed_at: m.port,
        reply: wire::encode(&signed(token, Kind::Proof, port, transport, m.nonce)),
    }
}

/// What the client makes of a reply to its challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Our listener, on the port and transport aimed at: the path is proven.
    Proven,
    /// Our listener, but it received the challenge on another port or transport: something on
    /// the route forwards the port.
    ProvenElsewhere {
        /// The port the listener received on.
        port: u16,
        /// The transport it received on.
        transport: Transport,
    },
    /// A listener of this format whose token differs (it said "bad MAC" to our nonce).
    WrongToken,
    /// A proof whose MAC does not verify, or a reply for another nonce: not a proof for us.
    Unproven,
    /// Our own challenge came back: an echo service, not our listener.
    Echo,
    /// Not this format at all.
    NotOurs(WireError),
}

/// Judges `reply` to the challenge with `nonce` sent to `port`/`transport`.
pub fn judge(
    token: &Token,
    reply: &[u8],
    nonce: &[u8; NONCE_LEN],
    port: u16,
    transport: Transport,
) -> Verdict {
    let m = match wire::decode(reply) {
        Ok(m) => m,
        Err(e) => return Verdict::NotOurs(e),
    };
    if m.nonce != *nonce {
        return Verdict::Unproven;
    }
    match m.kind {
        Kind::Challenge => Verdict::Echo,
        Kind::BadMac => Verdict::WrongToken,
        Kind::Proof if !token.verifies(PROOF_LABEL, &m) => Verdict::Unproven,
        Kind::Proof if (m.port, m.transport) == (port, transport) => Verdict::Proven,
        Kind::Proof => Verdict::ProvenElsewhere {
            port: m.port,
            transport: m.transport,
        },
    }
}

/// The command line with the value of `--token` hidden: the report records the command line,
/// and the token must never be in a report.
pub fn hide_token(args: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for arg in args {
        if out.last().is_some_and(|prev| prev == "--token") {
            out.push("(hidden)".into());
        } else if arg.starts_with("--token=") {
            out.push("--token=(hidden)".into());
        } else {
            out.push(arg);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const NONCE: [u8; NONCE_LEN] = [7; NONCE_LEN];

    fn token(s: &str) -> Token {
        Token::new(s.as_bytes()).unwrap()
    }

    #[test]
    fn the_recorded_command_line_never_holds_the_token() {
        let line = [
            "apim-probe",
            "check",
            "--token",
            "s3cret-s3cret-s3cret",
            "--token=abc",
            "--token-file",
            "f",
        ];
        let shown = hide_token(line.map(str::to_owned)).join(" ");
        assert_eq!(
            shown,
            "apim-probe check --token (hidden) --token=(hidden) --token-file f"
        );
    }

    #[test]
    fn tokens_have_at_least_16_bytes_and_never_show() {
        assert_eq!(Token::new(b"short").unwrap_err(), TokenError::TooShort(5));
        assert!(Token::new(&[0; 2000]).is_err());
        let t = token("0123456789abcdef");
        assert_eq!(t.len(), 16);
        assert!(!format!("{t:?}").contains("0123"));
    }

    #[test]
    fn the_same_token_proves_the_path() {
        let t = token("a shared secret of the pair");
        let req = challenge(&t, 6381, Transport::Tcp, NONCE);
        let Answer::Proof {
            nonce,
            aimed_at,
            reply,
        } = answer(&t, &req, 6381, Transport::Tcp)
        else {
            panic!("the listener must answer its own token's challenge");
        };
        assert_eq!((nonce, aimed_at), (NONCE, 6381));
        assert!(reply.len() <= req.len());
        assert_eq!(
            judge(&t, &reply, &NONCE, 6381, Transport::Tcp),
            Verdict::Proven
        );
        assert_eq!(
            judge(&t, &reply, &[8; NONCE_LEN], 6381, Transport::Tcp),
            Verdict::Unproven,
            "a proof for another nonce proves nothing"
        );
    }

    #[test]
    fn a_forwarded_port_is_told_apart() {
        let t = token("a shared secret of the pair");
        let req = challenge(&t, 6382, Transport::Tcp, NONCE);
        let Answer::Proof { reply, .. } = answer(&t, &req, 6381, Transport::Tcp) else {
            panic!("proof expected");
        };
        assert_eq!(
            judge(&t, &reply, &NONCE, 6382, Transport::Tcp),
            Verdict::ProvenElsewhere {
                port: 6381,
                transport: Transport::Tcp
            }
        );
    }

    #[test]
    fn another_token_gets_a_bad_mac_without_key_material() {
        let (ours, theirs) = (
            token("the client's own token"),
            token("the listener's token!"),
        );
        let req = challenge(&ours, 4290, Transport::Udp, NONCE);
        let Answer::BadMac { nonce, reply } = answer(&theirs, &req, 4290, Transport::Udp) else {
            panic!("bad MAC expected");
        };
        assert_eq!(nonce, NONCE);
        assert_eq!(reply.len(), wire::BAD_MAC_LEN);
        assert_eq!(
            judge(&ours, &reply, &NONCE, 4290, Transport::Udp),
            Verdict::WrongToken
        );
    }

    #[test]
    fn a_proof_is_not_a_challenge_mac_sent_back() {
        let t = token("a shared secret of the pair");
        let req = challenge(&t, 6380, Transport::Tcp, NONCE);
        // An echo server sends the challenge back; relabelled as a proof it must not verify.
        assert_eq!(judge(&t, &req, &NONCE, 6380, Transport::Tcp), Verdict::Echo);
        let mut relabelled = req.clone();
        relabelled[5] = 0x81;
        assert_eq!(
            judge(&t, &relabelled, &NONCE, 6380, Transport::Tcp),
            Verdict::Unproven
        );
        assert_eq!(
            answer(&t, &relabelled, 6380, Transport::Tcp),
            Answer::NotChallenge
        );
    }

    #[test]
    fn a_tampered_challenge_is_not_answered_with_a_proof() {
        let t = token("a shared secret of the pair");
        let mut req = challenge(&t, 6380, Transport::Tcp, NONCE);
        req[7] ^= 1; // another port than the MAC covers
        assert!(matches!(
            answer(&t, &req, 6380, Transport::Tcp),
            Answer::BadMac { .. }
        ));
        assert_eq!(
            answer(&t, b"garbage", 6380, Transport::Tcp),
            Answer::Malformed(WireError::WrongMagic)
        );
        assert!(matches!(
            judge(
                &t,
                b"HTTP/1.1 400 Bad Request\r\n",
                &NONCE,
                6380,
                Transport::Tcp
            ),
            Verdict::NotOurs(WireError::WrongMagic)
        ));
    }
}
