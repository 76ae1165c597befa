//! Pair mode's untrusted bytes, whatever they are: a request as the listener reads it (TCP,
//! prefix by prefix, and UDP, whole), a reply as the prober judges it, and a line of a listener
//! log as `check --peer-log` reads it. Never a panic, and the listener never answers with more
//! bytes than it was sent.
#![no_main]

use apim_probe::catalog::vocabulary::Transport;
use apim_probe::pair::auth::{self, Answer, Token};
use apim_probe::pair::log::Line;
use apim_probe::pair::wire;
use libfuzzer_sys::fuzz_target;

/// The token the seed corpus's challenge and proof were made with.
const TOKEN: &[u8] = b"fuzz-pair-token-0123456789";

fuzz_target!(|data: &[u8]| {
    let token = Token::new(TOKEN).expect("a long enough token");
    // A stream reader asks `needed` after every read: each prefix must be judged without panic.
    for end in 0..=data.len().min(wire::MAX_LEN + 1) {
        let _ = wire::needed(&data[..end]);
    }
    let _ = wire::decode(data);
    for transport in [Transport::Tcp, Transport::Udp] {
        match auth::answer(&token, data, 6381, transport) {
            Answer::Proof { reply, .. } | Answer::BadMac { reply, .. } => {
                assert!(reply.len() <= data.len(), "an answer larger than the request");
            }
            Answer::Malformed(_) | Answer::NotChallenge => {}
        }
        let _ = auth::judge(&token, data, &[7; wire::NONCE_LEN], 6381, transport);
    }
    let _ = serde_json::from_slice::<Line>(data);
});
