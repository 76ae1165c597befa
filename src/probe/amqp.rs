//! The `amqp` and `amqps` checks: an AMQP protocol-header exchange, the first bytes of every
//! AMQP connection.
//!
//! The request is the AMQP 1.0 SASL header, as Event Hubs clients send it first. Any 8-byte AMQP
//! protocol header in return proves an AMQP server: a 1.0 server echoes it (or names the layer it
//! wants instead), and a 0-9-1 broker answers with its own header, or with a `connection.start`
//! frame when it takes the request for one of its own. Which one it was is reported.
//!
//! # References
//! - OASIS AMQP 1.0, part 2.2 (version negotiation) and part 5.3.1 (SASL layer header)
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
        (3, 1, 0, 0) => {
            "AMQP 1.0 SASL header, echoed: an AMQP 1.0 server (as Event Hubs is)".into()
        }
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

    #[test]
    fn echoed_header_is_understood() {
        assert!(matches!(decode(SASL_HEADER), Decode::Done(t) if t.contains("echoed")));
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
    fn longer_reply_is_judged_on_its_header() {
        // The header, then the start of a SASL mechanisms frame (size 0x3f, doff 2, type 1).
        let mut r = SASL_HEADER.to_vec();
        r.extend_from_slice(&[0x00, 0x00, 0x00, 0x3f, 0x02, 0x01, 0x00, 0x00]);
        assert!(matches!(decode(&r), Decode::Done(_)));
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
