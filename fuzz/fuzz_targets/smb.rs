//! A smb server's reply, whatever its bytes, is judged (done, invalid, or need more); never a
//! panic. The bytes are also given to `sniff`, which names garbage in a protocol error.
#![no_main]

use apim_probe::probe::{bytes, smb};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The exchange calls the decoder on every prefix as bytes arrive; the last one is enough
    // here, the fuzzer's shorter inputs cover the prefixes.
    let _ = format!("{:?}", smb::decode(data));
    let _ = bytes::sniff(data);
});
