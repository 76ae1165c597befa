//! The bytes of pair mode: three fixed-size messages, hand-rolled, pure (no I/O, no keys).
//!
//! Every message starts with the same 10-byte header, big-endian:
//!
//! ```text
//!  0      4        5     6           8           9       10
//!  +------+--------+-----+-----------+-----------+-------+
//!  | APMP | version| type| port (u16)| transport | flags |   header (10 bytes)
//!  +------+--------+-----+-----------+-----------+-------+
//!  challenge (client → listener, 58 bytes): header, nonce (16), MAC (32)
//!  proof     (listener → client, 58 bytes): header, nonce (16), MAC (32)
//!  bad MAC   (listener → client, 26 bytes, TCP only): header, nonce (16)
//! ```
//!
//! - `port`/`transport`: in a challenge, where the client aimed; in a reply, where the listener
//!   received it (its local port, its socket's transport). A reply is never larger than the
//!   challenge it answers.
//! - `transport` is the IP protocol number: 6 for TCP, 17 for UDP. `flags` is 0 in version 1.
//! - The MACs are computed by `super::auth`; this file only places and reads bytes.
//!
//! A datagram holds exactly one message; on a stream, [`needed`] tells how many bytes the message
//! being read has, from its first 6 bytes, so a reader never reads past it.

use crate::catalog::vocabulary::Transport;

/// The first four bytes of every message ("APiM Pair").
pub const MAGIC: [u8; 4] = *b"APMP";
/// The version this build speaks.
pub const VERSION: u8 = 1;
/// Bytes of the header shared by every message.
pub const HEADER_LEN: usize = 10;
/// Bytes of the random nonce a challenge carries.
pub const NONCE_LEN: usize = 16;
/// Bytes of an HMAC-SHA256.
pub const MAC_LEN: usize = 32;
/// Bytes of a challenge and of a proof.
pub const CHALLENGE_LEN: usize = HEADER_LEN + NONCE_LEN + MAC_LEN;
/// Bytes of a bad-MAC reply.
pub const BAD_MAC_LEN: usize = HEADER_LEN + NONCE_LEN;
/// The longest message: a reader never needs more.
pub const MAX_LEN: usize = CHALLENGE_LEN;
/// Bytes before the type is known: magic, version, type.
const KIND_AT: usize = 5;

/// What a message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Client → listener: prove you hold the token (the client proves it first).
    Challenge,
    /// Listener → client: the MAC over the client's nonce, the port and the transport.
    Proof,
    /// Listener → client (TCP only): the challenge's MAC does not verify under the listener's
    /// token. Carries no key-derived byte.
    BadMac,
}

impl Kind {
    fn code(self) -> u8 {
        match self {
            Kind::Challenge => 0x01,
            Kind::Proof => 0x81,
            Kind::BadMac => 0x82,
        }
    }

    fn of(code: u8) -> Option<Kind> {
        match code {
            0x01 => Some(Kind::Challenge),
            0x81 => Some(Kind::Proof),
            0x82 => Some(Kind::BadMac),
            _ => None,
        }
    }

    /// The whole length of a message of this kind.
    pub fn size(self) -> usize {
        match self {
            Kind::Challenge | Kind::Proof => CHALLENGE_LEN,
            Kind::BadMac => BAD_MAC_LEN,
        }
    }
}

/// One decoded message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// What it is.
    pub kind: Kind,
    /// The port it names (see the module doc for which).
    pub port: u16,
    /// The transport it names.
    pub transport: Transport,
    /// The client's nonce.
    pub nonce: [u8; NONCE_LEN],
    /// The MAC (challenge and proof), all zero in a bad-MAC reply.
    pub mac: [u8; MAC_LEN],
}

/// Why bytes are not a message of this format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// Fewer bytes than a header.
    #[error("{got} byte(s): too short for a header ({HEADER_LEN} bytes)")]
    TooShort {
        /// How many bytes there were.
        got: usize,
    },
    /// The first four bytes are not `APMP`.
    #[error("does not start with the pair-mode magic APMP")]
    WrongMagic,
    /// A version this build does not speak.
    #[error("pair-mode version {0}, this build speaks {VERSION}")]
    WrongVersion(u8),
    /// An unknown message type.
    #[error("unknown message type 0x{0:02x}")]
    WrongType(u8),
    /// An unknown transport number.
    #[error("unknown transport {0}")]
    WrongTransport(u8),
    /// Flags this version does not define.
    #[error("flags 0x{0:02x} are not defined in version {VERSION}")]
    WrongFlags(u8),
    /// A header whose message ends before its length.
    #[error("truncated: {got} of {want} bytes")]
    Truncated {
        /// Bytes present.
        got: usize,
        /// Bytes the message has.
        want: usize,
    },
    /// More bytes than the message has.
    #[error("too long: {got} bytes for a {want}-byte message")]
    TooLong {
        /// Bytes present.
        got: usize,
        /// Bytes the message has.
        want: usize,
    },
}

/// The bytes of `m`.
pub fn encode(m: &Message) -> Vec<u8> {
    let mut out = header(m.kind, m.port, m.transport).to_vec();
    out.extend_from_slice(&m.nonce);
    if m.kind != Kind::BadMac {
        out.extend_from_slice(&m.mac);
    }
    out
}

/// The header of a message: what its MAC covers besides the nonce.
pub fn header(kind: Kind, port: u16, transport: Transport) -> [u8; HEADER_LEN] {
    let [p0, p1] = port.to_be_bytes();
    let [m0, m1, m2, m3] = MAGIC;
    [
        m0,
        m1,
        m2,
        m3,
        VERSION,
        kind.code(),
        p0,
        p1,
        transport_code(transport),
        0,
    ]
}

/// How long the message starting at `buf[0]` is, from its first bytes: `Ok(HEADER_LEN)` while
/// the type is not known yet, an error as soon as the bytes cannot start a message.
pub fn needed(buf: &[u8]) -> Result<usize, WireError> {
    let shown = buf.len().min(MAGIC.len());
    if buf[..shown] != MAGIC[..shown] {
        return Err(WireError::WrongMagic);
    }
    if let Some(&v) = buf.get(4)
        && v != VERSION
    {
        return Err(WireError::WrongVersion(v));
    }
    match buf.get(KIND_AT) {
        None => Ok(HEADER_LEN),
        Some(&t) => Kind::of(t).map(Kind::size).ok_or(WireError::WrongType(t)),
    }
}

/// Decodes exactly one message: `buf` must be the whole of it (a datagram, or the bytes
/// [`needed`] said).
pub fn decode(buf: &[u8]) -> Result<Message, WireError> {
    let want = needed(buf)?;
    if buf.len() < HEADER_LEN {
        return Err(WireError::TooShort { got: buf.len() });
    }
    let got = buf.len();
    if got < want {
        return Err(WireError::Truncated { got, want });
    }
    if got > want {
        return Err(WireError::TooLong { got, want });
    }
    let kind = Kind::of(buf[KIND_AT]).ok_or(WireError::WrongType(buf[KIND_AT]))?;
    let transport = match buf[8] {
        6 => Transport::Tcp,
        17 => Transport::Udp,
        other => return Err(WireError::WrongTransport(other)),
    };
    if buf[9] != 0 {
        return Err(WireError::WrongFlags(buf[9]));
    }
    let mut nonce = [0u8; NONCE_LEN];
    nonce.copy_from_slice(&buf[HEADER_LEN..HEADER_LEN + NONCE_LEN]);
    let mut mac = [0u8; MAC_LEN];
    if kind != Kind::BadMac {
        mac.copy_from_slice(&buf[HEADER_LEN + NONCE_LEN..]);
    }
    Ok(Message {
        kind,
        port: u16::from_be_bytes([buf[6], buf[7]]),
        transport,
        nonce,
        mac,
    })
}

/// The IP protocol number of a transport.
fn transport_code(t: Transport) -> u8 {
    match t {
        Transport::Tcp => 6,
        Transport::Udp => 17,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn challenge() -> Message {
        Message {
            kind: Kind::Challenge,
            port: 6381,
            transport: Transport::Tcp,
            nonce: [0xab; NONCE_LEN],
            mac: [0xcd; MAC_LEN],
        }
    }

    #[test]
    fn a_challenge_is_laid_out_field_by_field() {
        let bytes = encode(&challenge());
        assert_eq!(bytes.len(), CHALLENGE_LEN);
        assert_eq!(&bytes[0..4], b"APMP", "magic");
        assert_eq!(bytes[4], 1, "version");
        assert_eq!(bytes[5], 0x01, "type: challenge");
        assert_eq!(&bytes[6..8], &[0x18, 0xed], "port 6381, big-endian");
        assert_eq!(bytes[8], 6, "transport: TCP's protocol number");
        assert_eq!(bytes[9], 0, "flags");
        assert_eq!(&bytes[10..26], &[0xab; 16], "nonce");
        assert_eq!(&bytes[26..58], &[0xcd; 32], "MAC");
        assert_eq!(decode(&bytes).unwrap(), challenge());
    }

    #[test]
    fn replies_are_never_larger_than_the_challenge() {
        let proof = Message {
            kind: Kind::Proof,
            transport: Transport::Udp,
            ..challenge()
        };
        let bad = Message {
            kind: Kind::BadMac,
            mac: [0; MAC_LEN],
            ..challenge()
        };
        let (p, b) = (encode(&proof), encode(&bad));
        assert!(p.len() <= CHALLENGE_LEN && b.len() <= CHALLENGE_LEN);
        assert_eq!(b.len(), BAD_MAC_LEN);
        assert_eq!((p[5], p[8]), (0x81, 17), "proof, UDP");
        assert_eq!(b[5], 0x82, "bad MAC");
        assert_eq!(decode(&p).unwrap(), proof);
        assert_eq!(decode(&b).unwrap(), bad);
    }

    #[test]
    fn too_short_too_long_and_truncated() {
        let bytes = encode(&challenge());
        assert_eq!(decode(&[]), Err(WireError::TooShort { got: 0 }));
        assert_eq!(decode(&bytes[..9]), Err(WireError::TooShort { got: 9 }));
        assert_eq!(
            decode(&bytes[..57]),
            Err(WireError::Truncated { got: 57, want: 58 })
        );
        let mut long = bytes.clone();
        long.push(0);
        assert_eq!(decode(&long), Err(WireError::TooLong { got: 59, want: 58 }));
    }

    #[test]
    fn wrong_magic_version_type_transport_and_flags() {
        let good = encode(&challenge());
        let with = |at: usize, b: u8| {
            let mut v = good.clone();
            v[at] = b;
            decode(&v)
        };
        assert_eq!(decode(b"GET / HTTP/1.1\r\n"), Err(WireError::WrongMagic));
        assert_eq!(with(0, b'a'), Err(WireError::WrongMagic));
        assert_eq!(with(4, 2), Err(WireError::WrongVersion(2)));
        assert_eq!(with(5, 0x7f), Err(WireError::WrongType(0x7f)));
        assert_eq!(with(8, 1), Err(WireError::WrongTransport(1)));
        assert_eq!(with(9, 0x80), Err(WireError::WrongFlags(0x80)));
    }

    #[test]
    fn needed_decides_from_the_first_bytes() {
        let bytes = encode(&challenge());
        assert_eq!(needed(&[]), Ok(HEADER_LEN));
        assert_eq!(needed(b"AP"), Ok(HEADER_LEN));
        assert_eq!(needed(b"AX"), Err(WireError::WrongMagic));
        assert_eq!(needed(&bytes[..5]), Ok(HEADER_LEN));
        assert_eq!(needed(&bytes[..6]), Ok(CHALLENGE_LEN));
        assert_eq!(needed(b"APMP\x09"), Err(WireError::WrongVersion(9)));
        assert_eq!(needed(b"APMP\x01\x82"), Ok(BAD_MAC_LEN));
    }
}
