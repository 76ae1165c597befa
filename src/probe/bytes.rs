//! What a peer's bytes look like, for details and evidence: hex, printable text, and the names of
//! familiar protocols in a reply that should have been something else. Pure functions of bytes,
//! shared by every check kind.

use std::fmt::Write;

/// How many bytes of a reply [`hex_prefix`] shows.
pub const SHOWN: usize = 16;

/// The first [`SHOWN`] bytes of a reply in spaced hex (`16 03 01 …`), for evidence.
pub fn hex_prefix(bytes: &[u8]) -> String {
    let shown: Vec<String> = bytes
        .iter()
        .take(SHOWN)
        .map(|b| format!("{b:02x}"))
        .collect();
    let more = if bytes.len() > SHOWN { " …" } else { "" };
    format!("{}{more}", shown.join(" "))
}

/// Lowercase hex without separators (fingerprints).
pub fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// The bytes as text, when they are printable ASCII (an HTTP or SSH banner, say).
pub fn printable(bytes: &[u8]) -> Option<String> {
    let text: String = bytes.iter().take(32).map(|&b| char::from(b)).collect();
    let ok = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_graphic() || c == ' ' || c == '\r' || c == '\n');
    ok.then(|| text.trim_end().escape_debug().to_string())
}

/// Names what a wrong reply looks like, when it is something recognisable.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    match bytes {
        [b'H', b'T', b'T', b'P', b'/', ..] => {
            Some("an HTTP response: a proxy or firewall answering in the service's place?")
        }
        [0x15, 0x03, ..] => Some("a TLS alert: this port expects TLS first"),
        [0x16, 0x03, ..] => Some("a TLS handshake record: this port expects TLS first"),
        [b'S', b'S', b'H', b'-', ..] => Some("an SSH banner: not the expected service"),
        [
            b'2' | b'4' | b'5',
            b'0'..=b'9',
            b'0'..=b'9',
            b' ' | b'-',
            ..,
        ] => Some("a text protocol's status line (SMTP/FTP?): not the expected service"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_forms() {
        assert_eq!(hex(&[0x00, 0xab, 0x10]), "00ab10");
        assert_eq!(hex_prefix(&[0x16, 0x03]), "16 03");
        assert_eq!(
            hex_prefix(&[0u8; 17]),
            format!("{} …", ["00"; 16].join(" "))
        );
        assert_eq!(hex_prefix(&[]), "");
    }

    #[test]
    fn banners_are_shown_as_text_and_binary_is_not() {
        assert_eq!(
            printable(b"SSH-2.0-OpenSSH_9.2\r\n").as_deref(),
            Some("SSH-2.0-OpenSSH_9.2")
        );
        assert_eq!(printable(&[0x00, 0x01]), None);
        assert_eq!(printable(b""), None);
    }

    #[test]
    fn sniffing() {
        assert!(sniff(b"HTTP/1.1 403").unwrap().contains("HTTP"));
        assert!(
            sniff(&[0x15, 0x03, 0x03, 0x00, 0x02])
                .unwrap()
                .contains("TLS alert")
        );
        assert!(sniff(b"220 smtp ready").unwrap().contains("SMTP"));
        assert_eq!(sniff(b""), None);
        assert_eq!(sniff(&[0xde, 0xad]), None);
    }
}
