//! The `amqp` and `amqps` checks: an AMQP protocol-header exchange, the first bytes of every
//! AMQP connection.
//!
//! The request is the AMQP 1.0 SASL header, as Event Hubs clients send it first. A 1.0 server
//! (Event Hubs) answers with the same header *and then* a SASL `sasl-mechanisms` frame offering
//! its mechanisms: both are required, so an echo or a reflector that sends our 8 bytes back is not
//! taken for a broker. A server that wants another layer names it in its own header, and a 0-9-1
//! broker answers with its header or a `connection.start` frame. Which one it was is reported.
//!
//! # References
//! - OASIS AMQP 1.0, part 2.2 (version negotiation), 2.3 (frames), 1.6 (type encodings), part
//!   5.3.1 (SASL layer header) and 5.3.3.1 (`sasl-mechanisms`, descriptor 0x40)
//! - AMQP 0-9-1, section 4.2.2 (protocol header) and 4.2.3 (frame: type, channel, size)

use tokio::time::Instant;

use super::context::{Context, Target};
use super::exchange::{self, Decode, Exchange};
use super::outcome::Outcome;

/// The AMQP 1.0 SASL protocol header: "AMQP", protocol id 3 (SASL), version 1.0.0.
pub const SASL_HEADER: &[u8; 8] = b"AMQP\x03\x01\x00\x00";

/// The exchange both checks run, in the clear or inside TLS.
pub const EXCHANGE: Exchange<'static> = Exchange {
    protocol: "amqp",
    request_name: "AMQP protocol header",
    request: SASL_HEADER,
    decode,
};

/// The `amqp` check (5672, in the clear).
pub async fn probe(target: &Target, ctx: &Context, deadline: Instant) -> Outcome {
    exchange::probe_tcp(target, ctx, deadline, &EXCHANGE).await
}

/// The `amqps` check (5671): TLS first, then the same exchange inside it.
pub async fn probe_tls(target: &Target, ctx: &Context, deadline: Instant) -> Outcome {
    exchange::probe_tls(target, ctx, deadline, &EXCHANGE).await
}

/// Judges a reply: an AMQP protocol header, or a 0-9-1 `connection.start` method frame.
pub fn decode(b: &[u8]) -> Decode {
    if b.first() == Some(&0x01) {
        return connection_start(b);
    }
    let magic = b"AMQP";
    let n = b.len().min(4);
    if b[..n] != magic[..n] {
        return Decode::Invalid("no AMQP protocol header (\"AMQP\")".into());
    }
    if b.len() < 8 {
        return Decode::NeedMore;
    }
    let (id, major, minor, rev) = (b[4], b[5], b[6], b[7]);
    let understood = match (id, major, minor, rev) {
        (3, 1, 0, 0) => return sasl_mechanisms(&b[8..]),
        (0, 1, 0, 0) => {
            "AMQP 1.0 header without SASL: an AMQP 1.0 server that does not want SASL first".into()
        }
        (2, 1, 0, 0) => {
            "AMQP 1.0 TLS header: an AMQP 1.0 server that wants TLS first (use 5671)".into()
        }
        (0, 0, 9, 1) => {
            "AMQP 0-9-1 header: a 0-9-1 broker (RabbitMQ?), not an AMQP 1.0 service".into()
        }
        (1, 1, 0, 10) => "AMQP 0-10 header: a 0-10 broker (Qpid?), not an AMQP 1.0 service".into(),
        _ => format!("AMQP header, protocol {id}, version {major}.{minor}.{rev}"),
    };
    Decode::Done(understood)
}

/// Size of an AMQP 1.0 frame header: size (4), data offset (1), type (1), channel (2).
const FRAME_HEADER: usize = 8;

/// Frame type of the SASL layer.
const SASL_FRAME: u8 = 0x01;

/// A SASL frame larger than this is not one.
const MAX_SASL_FRAME: usize = 65_536;

/// Descriptor code of `sasl-mechanisms`.
const SASL_MECHANISMS: u8 = 0x40;

/// What must follow the echoed SASL header: a SASL frame holding `sasl-mechanisms`.
fn sasl_mechanisms(f: &[u8]) -> Decode {
    if f.len() < FRAME_HEADER {
        return Decode::NeedMore;
    }
    let size = u32::from_be_bytes([f[0], f[1], f[2], f[3]]) as usize;
    let (doff, kind) = (usize::from(f[4]) * 4, f[5]);
    // SASL frames are small (the spec's minimum frame size, 512 bytes, fits them); a larger size is
    // not a frame at all, e.g. our own header echoed twice.
    if kind != SASL_FRAME || doff < FRAME_HEADER || size < doff + 3 || size > MAX_SASL_FRAME {
        return Decode::Invalid(format!(
            "the SASL header came back, but then a frame that is not SASL (type {kind:#04x}, data offset {doff})"
        ));
    }
    if f.len() < doff + 3 {
        return Decode::NeedMore;
    }
    // A described type: 0x00, then the descriptor as a smallulong (0x53) or ulong (0x80).
    let descriptor = match &f[doff..] {
        [0x00, 0x53, d, ..] => Some(*d),
        [0x00, 0x80, rest @ ..] if rest.len() >= 8 => Some(rest[7]),
        [0x00, 0x80, ..] => return Decode::NeedMore,
        _ => None,
    };
    if descriptor != Some(SASL_MECHANISMS) {
        return Decode::Invalid("the SASL header came back, but no sasl-mechanisms frame".into());
    }
    if f.len() < size.min(crate::probe::exchange::READ_CAP - 8) {
        return Decode::NeedMore;
    }
    let offered = mechanisms(&f[doff + 3..f.len().min(size)]);
    Decode::Done(format!(
        "AMQP 1.0 SASL header and sasl-mechanisms{}: an AMQP 1.0 server (as Event Hubs is)",
        if offered.is_empty() {
            String::new()
        } else {
            format!(" ({})", offered.join(", "))
        }
    ))
}

/// The mechanism names of a `sasl-mechanisms` list, as far as they can be read (best effort:
/// the names are for the detail, the descriptor already proved the frame).
fn mechanisms(body: &[u8]) -> Vec<String> {
    // list8 (0xc0 size count) or list32 (0xd0 size count), then the first field: one symbol
    // (0xa3 len) or an array of symbols (0xe0 size count 0xa3, then len+bytes each).
    let ([0xc0, _, _, fields @ ..] | [0xd0, _, _, _, _, _, _, _, _, fields @ ..]) = body else {
        return Vec::new();
    };
    let symbols = |mut b: &[u8], n: usize| {
        let mut out = Vec::new();
        for _ in 0..n.min(16) {
            let Some((&len, rest)) = b.split_first() else {
                break;
            };
            let len = usize::from(len);
            if rest.len() < len {
                break;
            }
            out.push(String::from_utf8_lossy(&rest[..len]).into_owned());
            b = &rest[len..];
        }
        out
    };
    match fields {
        [0xa3, rest @ ..] => symbols(rest, 1),
        [0xe0, _, count, 0xa3, rest @ ..] => symbols(rest, usize::from(*count)),
        _ => Vec::new(),
    }
}

/// A 0-9-1 frame: type 1 (method), channel 0, size, then class 10 method 10 (`connection.start`).
fn connection_start(b: &[u8]) -> Decode {
    // Frame header: type (1), channel (2), size (4); method: class (2), method (2).
    if b.len() < 11 {
        return Decode::NeedMore;
    }
    if b[1..3] != [0, 0] || b[7..11] != [0x00, 0x0a, 0x00, 0x0a] {
        return Decode::Invalid("a frame that is not AMQP 0-9-1 connection.start".into());
    }
    Decode::Done(
        "AMQP 0-9-1 connection.start: a 0-9-1 broker (RabbitMQ?), not an AMQP 1.0 service".into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_is_the_sasl_header() {
        assert_eq!(SASL_HEADER, &[b'A', b'M', b'Q', b'P', 3, 1, 0, 0]);
    }

    /// What Event Hubs sends after the header: a SASL frame with `sasl-mechanisms`.
    fn mechanisms_frame() -> Vec<u8> {
        let names: &[&[u8]] = &[b"MSSBCBS", b"PLAIN", b"ANONYMOUS", b"EXTERNAL"];
        let mut array = vec![0xa3]; // constructor: sym8
        for n in names {
            array.push(u8::try_from(n.len()).unwrap());
            array.extend_from_slice(n);
        }
        let mut list = vec![0xe0, u8::try_from(array.len() + 1).unwrap(), 4];
        list.extend(array); // array8: size, count, then the elements
        let mut body = vec![
            0x00,
            0x53,
            0x40,
            0xc0,
            u8::try_from(list.len() + 1).unwrap(),
            1,
        ];
        body.extend(list); // described sasl-mechanisms, a list8 of one field
        let size = u32::try_from(8 + body.len()).unwrap();
        let mut frame = size.to_be_bytes().to_vec();
        frame.extend_from_slice(&[0x02, 0x01, 0x00, 0x00]); // doff 2, type SASL, channel 0
        frame.extend(body);
        frame
    }

    #[test]
    fn echoed_header_then_mechanisms_is_a_server() {
        let mut reply = SASL_HEADER.to_vec();
        reply.extend(mechanisms_frame());
        let Decode::Done(t) = decode(&reply) else {
            panic!("{:?}", decode(&reply));
        };
        assert!(
            t.contains("sasl-mechanisms (MSSBCBS, PLAIN, ANONYMOUS, EXTERNAL)"),
            "{t}"
        );
        for cut in 8..reply.len() {
            assert_eq!(decode(&reply[..cut]), Decode::NeedMore, "cut at {cut}");
        }
    }

    #[test]
    fn an_echo_alone_is_not_a_server() {
        // Our own 8 bytes: a reflector would stop here; the exchange reports it at its end.
        assert_eq!(decode(SASL_HEADER), Decode::NeedMore);
        // Our header twice (an echo of everything): not a SASL frame.
        let twice = [&SASL_HEADER[..], &SASL_HEADER[..]].concat();
        assert!(matches!(decode(&twice), Decode::Invalid(_)));
    }

    #[test]
    fn other_headers_say_which() {
        // "AMQP", protocol id 0, version 0-9-1: RabbitMQ without the 1.0 plugin.
        assert!(matches!(decode(b"AMQP\x00\x00\x09\x01"), Decode::Done(t) if t.contains("0-9-1")));
        // "AMQP", protocol id 2 (TLS), 1.0.0.
        assert!(matches!(decode(b"AMQP\x02\x01\x00\x00"), Decode::Done(t) if t.contains("TLS")));
        // "AMQP", protocol id 0, 1.0.0.
        assert!(
            matches!(decode(b"AMQP\x00\x01\x00\x00"), Decode::Done(t) if t.contains("without SASL"))
        );
        assert!(matches!(decode(b"AMQP\x07\x02\x03\x04"), Decode::Done(t) if t.contains("2.3.4")));
    }

    #[test]
    fn connection_start_frame() {
        let frame = [
            0x01, // frame type: method
            0x00, 0x00, // channel 0
            0x00, 0x00, 0x01, 0xf4, // payload size 500
            0x00, 0x0a, 0x00, 0x0a, // class 10 (connection), method 10 (start)
            0x00, 0x09, // version-major 0, version-minor 9
        ];
        assert!(matches!(decode(&frame), Decode::Done(t) if t.contains("connection.start")));
        assert_eq!(decode(&frame[..10]), Decode::NeedMore, "truncated");
        let mut other = frame;
        other[10] = 0x0b; // connection.start-ok: a client's frame, not a server's
        assert!(matches!(decode(&other), Decode::Invalid(_)));
    }

    #[test]
    fn a_frame_that_is_not_sasl_mechanisms_is_invalid() {
        let mut reply = SASL_HEADER.to_vec();
        let mut frame = mechanisms_frame();
        frame[5] = 0x00; // type AMQP, not SASL
        reply.extend(frame);
        assert!(matches!(decode(&reply), Decode::Invalid(_)));
        let mut reply = SASL_HEADER.to_vec();
        let mut frame = mechanisms_frame();
        frame[10] = 0x41; // sasl-init: a client's frame
        reply.extend(frame);
        assert!(matches!(decode(&reply), Decode::Invalid(_)));
    }

    #[test]
    fn truncated_header_needs_more() {
        for cut in 0..8 {
            assert_eq!(
                decode(&SASL_HEADER[..cut]),
                Decode::NeedMore,
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn wrong_magic() {
        assert!(matches!(
            decode(b"HTTP/1.1 400 Bad Request"),
            Decode::Invalid(_)
        ));
        assert!(
            matches!(decode(b"AMQX"), Decode::Invalid(_)),
            "wrong at the 4th byte"
        );
        assert!(matches!(decode(b"X"), Decode::Invalid(_)), "wrong at once");
        assert!(
            matches!(decode(&[0x15, 0x03, 0x03]), Decode::Invalid(_)),
            "a TLS alert"
        );
    }

    #[test]
    fn empty_needs_more() {
        assert_eq!(decode(&[]), Decode::NeedMore);
    }
}
