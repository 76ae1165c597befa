//! A certificate a server sends (DER), whatever its bytes, is read or refused; never a panic.
//! A certificate read is also checked against itself as an issuing CA, followed by verified
//! signatures towards Azure's anchors (the walk that decides interception), and the bytes are
//! given to the "is this TLS at all?" helpers used when a handshake fails. A NUL-NUL-NUL
//! separator splits the input into a presented chain of up to three certificates.
#![no_main]

use std::sync::OnceLock;

use apim_probe::probe::bytes::printable;
use apim_probe::probe::tls::looks_like_tls;
use apim_probe::probe::trust::walk::walk;
use apim_probe::probe::trust::{CaCert, ChainCert, Pool, azure_roots};
use libfuzzer_sys::fuzz_target;

fn roots() -> &'static [CaCert] {
    static ROOTS: OnceLock<Vec<CaCert>> = OnceLock::new();
    ROOTS.get_or_init(|| azure_roots().expect("the embedded anchors load"))
}

/// The input cut at each `00 00 00` (rare inside DER, so a seed of one certificate stays whole).
fn parts(data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = data;
    while let Some(at) = rest.windows(3).position(|w| w == [0, 0, 0]) {
        out.push(&rest[..at]);
        rest = &rest[at + 3..];
    }
    out.push(rest);
    out
}

fuzz_target!(|data: &[u8]| {
    if let Ok(cert) = ChainCert::from_der(data) {
        if let Ok(ca) = CaCert::from_der(data) {
            let _ = cert.issued_by(&ca);
        }
        let _ = format!("{cert:?}");
    }
    let presented: Vec<CaCert> = parts(data)
        .into_iter()
        .take(3)
        .filter_map(|p| CaCert::from_der(p).ok())
        .collect();
    let pool = Pool {
        expected: roots(),
        others: vec![&presented],
        known: roots(),
    };
    let _ = format!("{:?}", walk(&presented, &pool));
    let _ = looks_like_tls(data);
    let _ = printable(data);
});
