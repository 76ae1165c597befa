//! A DNS server that takes its time: every answer leaves after a fixed delay. No Debian daemon
//! delays on purpose, and the lab kernel has no netem; this stands in for a slow forwarder, so a
//! test can see what a probe says when resolving used part of its budget.

use std::net::{Ipv4Addr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use hickory_resolver::proto::op::{Message, MessageType, ResponseCode};
use hickory_resolver::proto::rr::{RData, Record, RecordType, rdata::A};

/// Queries answered at most (the loop is bounded, like every lab server's).
const MAX_QUERIES: u32 = 1000;

/// Answers A questions with `answer` and AAAA with no records, each `delay` after it came.
pub fn serve(sock: &UdpSocket, delay: Duration, answer: Ipv4Addr, served: &AtomicU32) {
    let sock = Arc::new(sock.try_clone().expect("clone the DNS socket"));
    let mut buf = [0u8; 1500];
    while served.fetch_add(1, Ordering::Relaxed) < MAX_QUERIES {
        let Ok((n, from)) = sock.recv_from(&mut buf) else {
            continue;
        };
        let Some(reply) = reply(&buf[..n], answer) else {
            continue;
        };
        let sock = Arc::clone(&sock);
        std::thread::spawn(move || {
            std::thread::sleep(delay);
            let _ = sock.send_to(&reply, from);
        });
    }
}

fn reply(query: &[u8], answer: Ipv4Addr) -> Option<Vec<u8>> {
    let query = Message::from_vec(query).ok()?;
    let q = query.queries.first()?;
    let mut m = Message::response(query.metadata.id, query.metadata.op_code);
    m.metadata.message_type = MessageType::Response;
    m.metadata.recursion_desired = query.metadata.recursion_desired;
    m.metadata.recursion_available = true;
    m.metadata.response_code = ResponseCode::NoError;
    m.add_query(q.clone());
    if q.query_type() == RecordType::A {
        m.add_answer(Record::from_rdata(
            q.name().clone(),
            60,
            RData::A(A(answer)),
        ));
    }
    m.to_vec().ok()
}
