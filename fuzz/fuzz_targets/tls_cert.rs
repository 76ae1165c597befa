//! A certificate a server sends (DER), whatever its bytes, is read or refused; never a panic.
//! A certificate read is also checked against itself as an expected CA, and the bytes are
//! given to the "is this TLS at all?" helpers used when a handshake fails.
#![no_main]

use apim_probe::probe::bytes::printable;
use apim_probe::probe::tls::looks_like_tls;
use apim_probe::probe::trust::{ChainCert, ExpectedCa};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(cert) = ChainCert::from_der(data) {
        if let Ok(ca) = ExpectedCa::from_der(data) {
            let _ = cert.issued_by(&ca);
        }
        let _ = format!("{cert:?}");
    }
    let _ = looks_like_tls(data);
    let _ = printable(data);
});
