//! A DNS reply, whatever its bytes, is judged `ok` or `protocol_error`; never a panic.
//! The expected id is the reply's own (its first two bytes), so the fuzzer reaches past the id
//! check into the answer.
#![no_main]

use std::net::SocketAddr;

use apim_probe::catalog::model::Transport;
use apim_probe::probe::dns;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let server: SocketAddr = "192.0.2.53:53".parse().expect("literal");
    let id = match data {
        [a, b, ..] => u16::from_be_bytes([*a, *b]),
        _ => 0,
    };
    let o = dns::judge(server, Transport::Udp, id, data);
    let _ = format!("{o:?}");
});
