//! The `tds` check: a TDS PRELOGIN exchange, the first thing every SQL Server client sends.
//!
//! Azure SQL's gateway answers PRELOGIN on 1433 before any TLS or login, so a well-formed reply
//! proves the path to the real service, not just to a firewall that completes TCP handshakes.
//!
//! # References
//! - [MS-TDS] 2.2.3.1.1 (packet header: type, status, length, SPID, packet id, window)
//! - [MS-TDS] 2.2.6.5 (PRELOGIN: option table of token, offset, length; then the option data)

use tokio::time::Instant;

use super::context::{Context, Target};
use super::exchange::{self, Decode, Exchange};
use super::outcome::Outcome;

/// Packet type of a PRELOGIN request ([MS-TDS] 2.2.3.1.1).
const TYPE_PRELOGIN: u8 = 0x12;
/// Packet type of a server's reply, "tabular result".
const TYPE_REPLY: u8 = 0x04;
/// Status: end of message (the whole request fits in one packet).
const STATUS_EOM: u8 = 0x01;
/// Length of the packet header.
const HEADER_LEN: usize = 8;
/// Option tokens ([MS-TDS] 2.2.6.5).
const VERSION: u8 = 0x00;
const ENCRYPTION: u8 = 0x01;
const INSTOPT: u8 = 0x02;
const THREADID: u8 = 0x03;
const TERMINATOR: u8 = 0xFF;
/// ENCRYPT_OFF: the client can encrypt but asks for login-only encryption, like most drivers.
const ENCRYPT_OFF: u8 = 0x00;

/// The `tds` check.
pub async fn probe(target: &Target, ctx: &Context, deadline: Instant) -> Outcome {
    let request = prelogin();
    let ex = Exchange {
        protocol: "tds",
        request_name: "TDS PRELOGIN",
        request: &request,
        decode,
    };
    exchange::probe_tcp(target, ctx, deadline, &ex).await
}

/// The PRELOGIN packet: VERSION, ENCRYPTION, INSTOPT and THREADID options.
pub fn prelogin() -> Vec<u8> {
    // (token, data): a client version of 0.0.0 is allowed; the instance name is empty (just its
    // NUL terminator); thread id 0.
    let options: [(u8, &[u8]); 4] = [
        (VERSION, &[0, 0, 0, 0, 0, 0]),
        (ENCRYPTION, &[ENCRYPT_OFF]),
        (INSTOPT, &[0]),
        (THREADID, &[0, 0, 0, 0]),
    ];
    let table_len = options.len() * 5 + 1;
    let mut table = Vec::new();
    let mut data = Vec::new();
    for (token, bytes) in options {
        let offset = u16::try_from(table_len + data.len()).expect("small");
        let len = u16::try_from(bytes.len()).expect("small");
        table.push(token);
        table.extend_from_slice(&offset.to_be_bytes());
        table.extend_from_slice(&len.to_be_bytes());
        data.extend_from_slice(bytes);
    }
    table.push(TERMINATOR);
    let total = u16::try_from(HEADER_LEN + table.len() + data.len()).expect("small");
    let mut packet = vec![TYPE_PRELOGIN, STATUS_EOM];
    packet.extend_from_slice(&total.to_be_bytes());
    // SPID 0, packet id 1 (the first packet), window 0.
    packet.extend_from_slice(&[0, 0, 1, 0]);
    packet.extend(table);
    packet.extend(data);
    packet
}

/// Judges a server's reply: one type-0x04 packet whose payload is a well-formed option table.
pub fn decode(b: &[u8]) -> Decode {
    let Some(&kind) = b.first() else {
        return Decode::NeedMore;
    };
    if kind != TYPE_REPLY {
        return Decode::Invalid(format!("packet type 0x{kind:02x}, not a TDS reply (0x04)"));
    }
    if b.len() < HEADER_LEN {
        return Decode::NeedMore;
    }
    let len = usize::from(u16::from_be_bytes([b[2], b[3]]));
    if len <= HEADER_LEN {
        return Decode::Invalid(format!(
            "the header's length ({len}) leaves no room for a PRELOGIN reply"
        ));
    }
    if b.len() < len {
        return Decode::NeedMore;
    }
    match read_options(&b[HEADER_LEN..len]) {
        Ok(text) => Decode::Done(text),
        Err(why) => Decode::Invalid(why),
    }
}

/// Reads the option table of a PRELOGIN payload; returns version and encryption as text.
fn read_options(payload: &[u8]) -> Result<String, String> {
    let mut version = None;
    let mut encryption = None;
    let mut at = 0;
    loop {
        match payload.get(at) {
            None => return Err("the option table has no terminator (0xFF)".into()),
            Some(&TERMINATOR) => break,
            Some(&token) => {
                let Some(entry) = payload.get(at + 1..at + 5) else {
                    return Err(format!("option 0x{token:02x} is cut short"));
                };
                let offset = usize::from(u16::from_be_bytes([entry[0], entry[1]]));
                let len = usize::from(u16::from_be_bytes([entry[2], entry[3]]));
                let Some(data) = payload.get(offset..offset + len) else {
                    return Err(format!(
                        "option 0x{token:02x} points outside the packet (offset {offset}, length {len}, payload {})",
                        payload.len()
                    ));
                };
                match token {
                    VERSION if len >= 6 => version = Some(version_text(data)),
                    VERSION => return Err(format!("VERSION has {len} bytes, not 6")),
                    ENCRYPTION if len >= 1 => encryption = Some(encryption_text(data[0])),
                    _ => {}
                }
                at += 5;
            }
        }
    }
    let version = version.ok_or("the reply has no VERSION option")?;
    let encryption = encryption.unwrap_or_else(|| "not stated".into());
    Ok(format!("server version {version}, encryption {encryption}"))
}

/// UL_VERSION (major, minor, build big-endian) and US_SUBBUILD.
fn version_text(d: &[u8]) -> String {
    let build = u16::from_be_bytes([d[2], d[3]]);
    let sub = u16::from_be_bytes([d[4], d[5]]);
    format!("{}.{}.{build}.{sub}", d[0], d[1])
}

/// The ENCRYPTION byte ([MS-TDS] 2.2.6.5): what the server will do.
fn encryption_text(e: u8) -> String {
    match e {
        0x00 => "off (login only)".into(),
        0x01 => "on".into(),
        0x02 => "not supported".into(),
        0x03 => "required".into(),
        other => format!("0x{other:02x}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PRELOGIN reply as SQL Server sends it (Azure SQL's gateway reports version 12.0).
    pub const REPLY: &[u8] = &[
        0x04, 0x01, 0x00, 0x25, // type: tabular result, status: EOM, length 37
        0x00, 0x00, 0x01, 0x00, // SPID 0, packet id 1, window 0
        0x00, 0x00, 0x15, 0x00, 0x06, // VERSION at 21, 6 bytes
        0x01, 0x00, 0x1b, 0x00, 0x01, // ENCRYPTION at 27, 1 byte
        0x02, 0x00, 0x1c, 0x00, 0x01, // INSTOPT at 28, 1 byte
        0x03, 0x00, 0x1d, 0x00, 0x00, // THREADID at 29, 0 bytes
        0xff, // terminator
        0x0c, 0x00, 0x07, 0xd0, 0x00, 0x00, // version 12.0, build 2000, sub-build 0
        0x03, // encryption: required
        0x00, // INSTOPT: the instance name matched
    ];

    #[test]
    fn request_layout() {
        let p = prelogin();
        assert_eq!(&p[..2], &[0x12, 0x01], "type PRELOGIN, status EOM");
        assert_eq!(
            usize::from(u16::from_be_bytes([p[2], p[3]])),
            p.len(),
            "length"
        );
        assert_eq!(&p[4..8], &[0, 0, 1, 0], "SPID, packet id, window");
        // VERSION at 21 (after 4 entries of 5 bytes and the terminator), 6 bytes.
        assert_eq!(&p[8..13], &[0x00, 0x00, 0x15, 0x00, 0x06]);
        assert_eq!(
            &p[13..18],
            &[0x01, 0x00, 0x1b, 0x00, 0x01],
            "ENCRYPTION at 27"
        );
        assert_eq!(&p[18..23], &[0x02, 0x00, 0x1c, 0x00, 0x01], "INSTOPT at 28");
        assert_eq!(
            &p[23..28],
            &[0x03, 0x00, 0x1d, 0x00, 0x04],
            "THREADID at 29"
        );
        assert_eq!(p[28], 0xff, "terminator");
        assert_eq!(p.len(), 8 + 21 + 6 + 1 + 1 + 4);
        // A request must be a valid table for our own decoder too (as a reply type).
        let mut as_reply = p.clone();
        as_reply[0] = TYPE_REPLY;
        assert!(matches!(decode(&as_reply), Decode::Done(_)));
    }

    #[test]
    fn valid_reply() {
        assert_eq!(
            decode(REPLY),
            Decode::Done("server version 12.0.2000.0, encryption required".into())
        );
    }

    #[test]
    fn truncated_reply_needs_more() {
        for cut in 0..REPLY.len() {
            assert_eq!(decode(&REPLY[..cut]), Decode::NeedMore, "cut at {cut}");
        }
    }

    #[test]
    fn bytes_after_the_packet_are_ignored() {
        let mut longer = REPLY.to_vec();
        longer.extend_from_slice(&[0xde, 0xad]);
        assert!(matches!(decode(&longer), Decode::Done(_)));
    }

    #[test]
    fn length_that_lies() {
        let mut short = REPLY.to_vec();
        short[3] = 0x08; // length 8: a header and nothing else
        assert!(matches!(decode(&short), Decode::Invalid(w) if w.contains("no room")));
        let mut long = REPLY.to_vec();
        long[2] = 0xff; // length 65317: never arrives, so the exchange's deadline ends it
        assert_eq!(decode(&long), Decode::NeedMore);
    }

    #[test]
    fn option_pointing_outside_the_packet() {
        let mut bad = REPLY.to_vec();
        bad[10] = 0xf0; // VERSION offset 0xf000
        assert!(matches!(decode(&bad), Decode::Invalid(w) if w.contains("outside")));
    }

    #[test]
    fn missing_terminator() {
        // Header with length 13 and one option entry, no 0xFF.
        let bad = [
            0x04, 0x01, 0x00, 0x0d, 0, 0, 1, 0, 0x01, 0x00, 0x05, 0x00, 0x00,
        ];
        assert!(matches!(decode(&bad), Decode::Invalid(w) if w.contains("terminator")));
    }

    #[test]
    fn missing_version() {
        let bad = [0x04, 0x01, 0x00, 0x0a, 0, 0, 1, 0, 0xff, 0x00];
        assert!(matches!(decode(&bad), Decode::Invalid(w) if w.contains("no VERSION")));
    }

    #[test]
    fn wrong_packet_type() {
        assert!(matches!(decode(b"HTTP/1.1 400"), Decode::Invalid(w) if w.contains("0x48")));
        assert!(
            matches!(decode(&[0x12]), Decode::Invalid(_)),
            "our own request echoed"
        );
    }

    #[test]
    fn empty_needs_more() {
        assert_eq!(decode(&[]), Decode::NeedMore);
    }
}
