//! The `smb` check: an SMB2 NEGOTIATE exchange, the first message of every SMB2/3 session.
//!
//! Azure Files answers NEGOTIATE on 445 before any authentication, so a NEGOTIATE response proves
//! the path to an SMB server (ISPs and firewalls often block 445 outright). The dialect it picks is
//! reported: Azure Files needs SMB 3.x with encryption from outside its region.
//!
//! # References
//! - [MS-SMB2] 2.1 (direct TCP transport: a 4-byte header, zero then a 24-bit length)
//! - [MS-SMB2] 2.2.1.2 (SMB2 packet header, sync), 2.2.3 (NEGOTIATE request and its
//!   negotiate contexts), 2.2.4 (NEGOTIATE response)

use tokio::time::Instant;

use super::context::{Context, Target};
use super::exchange::{self, Decode, Exchange};
use super::outcome::Outcome;

/// Length of the SMB2 header.
const HEADER_LEN: usize = 64;
/// Dialects offered, oldest first: SMB 2.0.2, 2.1, 3.0, 3.0.2, 3.1.1.
const DIALECTS: [u16; 5] = [0x0202, 0x0210, 0x0300, 0x0302, 0x0311];
/// SMB2_FLAGS_SERVER_TO_REDIR: set on every response.
const FLAG_RESPONSE: u32 = 0x0000_0001;
/// SMB2_NEGOTIATE_SIGNING_REQUIRED in SecurityMode.
const SIGNING_REQUIRED: u16 = 0x0002;

/// The `smb` check.
pub async fn probe(target: &Target, ctx: &Context, deadline: Instant) -> Outcome {
    let request = negotiate();
    let ex = Exchange {
        protocol: "smb",
        request_name: "SMB2 NEGOTIATE",
        request: &request,
        decode,
    };
    exchange::probe_tcp(target, ctx, deadline, &ex).await
}

/// The NEGOTIATE request with its transport header, offering [`DIALECTS`]. SMB 3.1.1 requires
/// the pre-authentication integrity context; the encryption context lets a server that insists
/// on encryption (Azure Files from outside its region) still pick 3.1.1.
pub fn negotiate() -> Vec<u8> {
    let mut m = Vec::with_capacity(192);
    // Header: protocol id, StructureSize 64, CreditCharge 0, Status 0, Command 0 (NEGOTIATE),
    // CreditRequest 1, Flags 0, NextCommand 0, MessageId 0, Reserved 0, TreeId 0, SessionId 0,
    // Signature 0.
    m.extend_from_slice(b"\xfeSMB");
    m.extend_from_slice(&64u16.to_le_bytes());
    m.extend_from_slice(&[0; 6]);
    m.extend_from_slice(&0u16.to_le_bytes());
    m.extend_from_slice(&1u16.to_le_bytes());
    m.resize(HEADER_LEN, 0);
    // Body: StructureSize 36, DialectCount, SecurityMode 1 (signing enabled), Reserved,
    // Capabilities 0, ClientGuid (fixed: this tool opens one connection and leaves).
    m.extend_from_slice(&36u16.to_le_bytes());
    m.extend_from_slice(&u16::try_from(DIALECTS.len()).expect("5").to_le_bytes());
    m.extend_from_slice(&1u16.to_le_bytes());
    m.extend_from_slice(&[0; 2 + 4]);
    m.extend_from_slice(b"apim-probe-smb2!");
    // NegotiateContextOffset (patched below), NegotiateContextCount 2, Reserved2.
    let context_offset_at = m.len();
    m.extend_from_slice(&[0; 4]);
    m.extend_from_slice(&2u16.to_le_bytes());
    m.extend_from_slice(&[0; 2]);
    for d in DIALECTS {
        m.extend_from_slice(&d.to_le_bytes());
    }
    pad8(&mut m);
    let offset = u32::try_from(m.len()).expect("small");
    m[context_offset_at..context_offset_at + 4].copy_from_slice(&offset.to_le_bytes());
    // SMB2_PREAUTH_INTEGRITY_CAPABILITIES: one hash (SHA-512), a 32-byte salt (fixed: the salt
    // only matters for sessions, which this check never opens).
    let mut preauth = Vec::new();
    preauth.extend_from_slice(&1u16.to_le_bytes());
    preauth.extend_from_slice(&32u16.to_le_bytes());
    preauth.extend_from_slice(&1u16.to_le_bytes());
    preauth.extend_from_slice(&[0x5a; 32]);
    context(&mut m, 0x0001, &preauth);
    pad8(&mut m);
    // SMB2_ENCRYPTION_CAPABILITIES: AES-128-GCM, AES-128-CCM.
    context(&mut m, 0x0002, &[2, 0, 0x02, 0x00, 0x01, 0x00]);
    let len = u32::try_from(m.len()).expect("small");
    let mut framed = len.to_be_bytes().to_vec(); // first byte 0: a session message
    framed.extend(m);
    framed
}

/// Appends one negotiate context: type, data length, 4 reserved bytes, data.
fn context(m: &mut Vec<u8>, kind: u16, data: &[u8]) {
    m.extend_from_slice(&kind.to_le_bytes());
    m.extend_from_slice(&u16::try_from(data.len()).expect("small").to_le_bytes());
    m.extend_from_slice(&[0; 4]);
    m.extend_from_slice(data);
}

/// Pads to the next multiple of 8 (negotiate contexts are 8-byte aligned from the SMB2 header).
fn pad8(m: &mut Vec<u8>) {
    m.resize(m.len().next_multiple_of(8), 0);
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Judges a reply: a NEGOTIATE response in an SMB2 header; reads no further than the dialect.
pub fn decode(b: &[u8]) -> Decode {
    match b.first() {
        None => return Decode::NeedMore,
        Some(0x00) => {}
        Some(&t @ (0x82 | 0x83)) => {
            return Decode::Invalid(format!(
                "a NetBIOS session-service reply (0x{t:02x}), not SMB over direct TCP"
            ));
        }
        Some(t) => {
            return Decode::Invalid(format!(
                "not an SMB transport header (first byte 0x{t:02x}, expected 0x00)"
            ));
        }
    }
    if b.len() < 8 {
        return Decode::NeedMore;
    }
    let len = usize::from(b[1]) << 16 | usize::from(b[2]) << 8 | usize::from(b[3]);
    let smb = &b[4..];
    match &smb[..4] {
        b"\xfeSMB" => {}
        b"\xffSMB" => {
            return Decode::Invalid(
                "answered in SMB1 (0xFF 'SMB'): an SMB1-only server, or one with SMB2 disabled; Azure Files speaks SMB 2.1 and 3.x only".into(),
            );
        }
        b"\xfdSMB" => {
            return Decode::Invalid("an encrypted SMB3 message in reply to a NEGOTIATE".into());
        }
        other => {
            return Decode::Invalid(format!(
                "no SMB2 protocol id (0xFE 'SMB'), but {}",
                super::bytes::hex_prefix(other)
            ));
        }
    }
    if len < HEADER_LEN {
        return Decode::Invalid(format!(
            "the transport header's length ({len}) is too short for an SMB2 header"
        ));
    }
    if smb.len() < HEADER_LEN + 8 {
        return Decode::NeedMore;
    }
    check_response(smb, len)
}

/// Checks the header and the NEGOTIATE response's fixed part; `len` is the transport's length.
fn check_response(smb: &[u8], len: usize) -> Decode {
    let (size, status, command) = (u16_at(smb, 4), u32_at(smb, 8), u16_at(smb, 12));
    if size != 64 || command != 0 {
        return Decode::Invalid(format!(
            "an SMB2 header with StructureSize {size} and command {command}, not a NEGOTIATE response"
        ));
    }
    if u32_at(smb, 16) & FLAG_RESPONSE == 0 {
        return Decode::Invalid("the SMB2 header is not marked as a response (an echo?)".into());
    }
    if status != 0 {
        let name = match status {
            0xC000_00BB => " (STATUS_NOT_SUPPORTED: no dialect in common)",
            0xC000_0022 => " (STATUS_ACCESS_DENIED)",
            0xC000_000D => " (STATUS_INVALID_PARAMETER)",
            _ => "",
        };
        return Decode::Invalid(format!(
            "the server refused the NEGOTIATE with status 0x{status:08X}{name}"
        ));
    }
    let body = &smb[HEADER_LEN..];
    if u16_at(body, 0) != 65 || len < HEADER_LEN + 64 {
        return Decode::Invalid(format!(
            "a NEGOTIATE response with StructureSize {} and length {len}, not 65 and at least 128",
            u16_at(body, 0)
        ));
    }
    let dialect = u16_at(body, 4);
    let Some(name) = dialect_name(dialect) else {
        return Decode::Invalid(format!(
            "the server chose dialect 0x{dialect:04x}, which was not offered"
        ));
    };
    let signing = if u16_at(body, 2) & SIGNING_REQUIRED == 0 {
        "signing enabled"
    } else {
        "signing required"
    };
    Decode::Done(format!("dialect {name} (0x{dialect:04x}), {signing}"))
}

/// The name of an offered dialect.
fn dialect_name(d: u16) -> Option<&'static str> {
    Some(match d {
        0x0202 => "SMB 2.0.2",
        0x0210 => "SMB 2.1",
        0x0300 => "SMB 3.0",
        0x0302 => "SMB 3.0.2",
        0x0311 => "SMB 3.1.1",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A NEGOTIATE response as Azure Files sends it (SMB 3.1.1, signing enabled), without its
    /// security blob and contexts, which the check does not read.
    fn reply() -> Vec<u8> {
        let parts: [&[u8]; 20] = [
            &[0x00, 0x00, 0x00, 0x80], // transport: session message, length 128
            b"\xfeSMB",                // protocol id
            &[64, 0, 0, 0],            // StructureSize 64, CreditCharge 0
            &[0, 0, 0, 0],             // Status 0 (success)
            &[0, 0, 1, 0],             // Command 0 (NEGOTIATE), CreditResponse 1
            &[1, 0, 0, 0],             // Flags: SERVER_TO_REDIR
            &[0; 4],                   // NextCommand
            &[0; 8],                   // MessageId 0
            &[0; 4 + 4],               // Reserved, TreeId
            &[0; 8 + 16],              // SessionId, Signature
            &[65, 0],                  // body StructureSize 65
            &[0x01, 0x00],             // SecurityMode: signing enabled
            &[0x11, 0x03],             // DialectRevision 0x0311
            &[0x02, 0x00],             // NegotiateContextCount 2
            &[0xab; 16],               // ServerGuid
            &[0x2f, 0, 0, 0],          // Capabilities
            &[0, 0, 0x80, 0, 0, 0, 0x80, 0, 0, 0, 0x80, 0], // MaxTransact/Read/WriteSize 8 MiB
            &[0; 8 + 8],               // SystemTime, ServerStartTime
            &[0x80, 0, 0, 0],          // SecurityBufferOffset 128, SecurityBufferLength 0
            &[0; 4],                   // NegotiateContextOffset
        ];
        parts.concat()
    }

    #[test]
    fn request_layout() {
        let r = negotiate();
        let len = u32::from_be_bytes([r[0], r[1], r[2], r[3]]) as usize;
        assert_eq!(len + 4, r.len(), "transport length");
        let m = &r[4..];
        assert_eq!(&m[..4], b"\xfeSMB");
        assert_eq!(u16_at(m, 4), 64, "header StructureSize");
        assert_eq!(u16_at(m, 12), 0, "command NEGOTIATE");
        assert_eq!(u16_at(m, 64), 36, "body StructureSize");
        assert_eq!(u16_at(m, 66), 5, "DialectCount");
        let offset = u32_at(m, 92) as usize;
        assert_eq!(offset % 8, 0, "contexts 8-byte aligned");
        assert_eq!(u16_at(m, 96), 2, "two contexts");
        let dialects: Vec<u16> = (0..5).map(|i| u16_at(m, 100 + 2 * i)).collect();
        assert_eq!(dialects, DIALECTS);
        assert_eq!(u16_at(m, offset), 1, "first context: preauth integrity");
        assert_eq!(u16_at(m, offset + 2), 38, "its data length");
        assert_eq!(u16_at(m, offset + 8 + 4), 1, "SHA-512");
        let second = (offset + 8 + 38).next_multiple_of(8);
        assert_eq!(u16_at(m, second), 2, "second context: encryption");
        assert_eq!(m.len(), second + 8 + 6, "nothing after the last context");
    }

    #[test]
    fn valid_reply() {
        assert_eq!(
            decode(&reply()),
            Decode::Done("dialect SMB 3.1.1 (0x0311), signing enabled".into())
        );
        let mut required = reply();
        required[4 + 66] = 0x03;
        assert!(matches!(decode(&required), Decode::Done(t) if t.contains("signing required")));
    }

    #[test]
    fn truncated_reply_needs_more() {
        let r = reply();
        for cut in 0..4 + 64 + 8 {
            assert_eq!(decode(&r[..cut]), Decode::NeedMore, "cut at {cut}");
        }
    }

    #[test]
    fn length_that_lies() {
        let mut r = reply();
        r[3] = 0x10; // 16 bytes: less than a header
        assert!(matches!(decode(&r), Decode::Invalid(w) if w.contains("too short")));
        let mut r = reply();
        r[3] = 0x48; // 72 bytes: a header and an 8-byte body, not a NEGOTIATE response
        assert!(matches!(decode(&r), Decode::Invalid(w) if w.contains("at least 128")));
        let mut r = reply();
        r[1] = 0xff; // 16 MB announced: the dialect is read without waiting for the rest
        assert!(matches!(decode(&r), Decode::Done(_)));
    }

    #[test]
    fn wrong_magic_and_smb1() {
        let mut smb1 = reply();
        smb1[4] = 0xff;
        assert!(matches!(decode(&smb1), Decode::Invalid(w) if w.contains("SMB1")));
        assert!(
            matches!(decode(b"\x00\x00\x00\x10HTTP/1.1"), Decode::Invalid(w) if w.contains("48 54 54 50"))
        );
        assert!(matches!(decode(b"HTTP/1.1 400"), Decode::Invalid(w) if w.contains("0x48")));
        assert!(
            matches!(decode(&[0x83, 0, 0, 1, 0x8f]), Decode::Invalid(w) if w.contains("NetBIOS"))
        );
    }

    #[test]
    fn refusals_and_echoes() {
        let mut refused = reply();
        refused[4 + 8..4 + 12].copy_from_slice(&0xC000_00BBu32.to_le_bytes());
        assert!(
            matches!(decode(&refused), Decode::Invalid(w) if w.contains("no dialect in common"))
        );
        let echo = negotiate();
        assert!(
            matches!(decode(&echo), Decode::Invalid(w) if w.contains("not marked as a response"))
        );
        let mut odd = reply();
        odd[4 + 68] = 0xff; // dialect 0x03ff
        assert!(matches!(decode(&odd), Decode::Invalid(w) if w.contains("not offered")));
    }

    #[test]
    fn empty_needs_more() {
        assert_eq!(decode(&[]), Decode::NeedMore);
    }
}
