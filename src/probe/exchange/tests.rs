//! The exchange against scripted peers over an in-memory pipe: a reply (whole or split), a close
//! (silent or mid-reply), garbage, an echo, silence, a trickle and an endless prefix, each with
//! the status and words it must give.

use super::*;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt, duplex};

/// A toy protocol: the reply is `OK` followed by one version byte.
fn toy(b: &[u8]) -> Decode {
    match b {
        [b'O', b'K', v, ..] => Decode::Done(format!("version {v}")),
        [b'O'] | [b'O', b'K'] => Decode::NeedMore,
        _ => Decode::Invalid("does not start with OK".into()),
    }
}

const TOY: Exchange<'static> = Exchange {
    protocol: "toy",
    request_name: "TOY HELLO",
    request: b"HELLO",
    decode: toy,
};

fn peer() -> SocketAddr {
    "127.0.0.1:9".parse().unwrap()
}

/// Runs the exchange against a peer scripted by `script`, with a 300 ms deadline.
async fn against<F, Fut>(script: F) -> Outcome
where
    F: FnOnce(tokio::io::DuplexStream) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let (mut ours, theirs) = duplex(64);
    let server = tokio::spawn(script(theirs));
    let limit = Duration::from_millis(300);
    let o = run(&mut ours, peer(), limit, Instant::now() + limit, &TOY).await;
    server.abort();
    o
}

async fn read_request(s: &mut tokio::io::DuplexStream) {
    let mut buf = [0u8; 5];
    s.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"HELLO");
}

#[tokio::test]
async fn understood_reply_is_ok_with_evidence() {
    let o = against(|mut s| async move {
        read_request(&mut s).await;
        s.write_all(b"OK\x07").await.unwrap();
        std::future::pending::<()>().await;
    })
    .await;
    assert_eq!(o.status, Status::Ok, "{}", o.detail);
    assert!(o.detail.contains("version 7"), "{}", o.detail);
    assert_eq!(o.facts.first_bytes_hex.as_deref(), Some("4f 4b 07"));
    let Some(crate::probe::evidence::Evidence::Reply {
        understood,
        first_bytes_hex,
        ..
    }) = o.evidence
    else {
        panic!("no evidence");
    };
    assert_eq!(understood.as_deref(), Some("version 7"));
    assert_eq!(first_bytes_hex, "4f 4b 07");
}

#[tokio::test]
async fn reply_split_across_reads_is_reassembled() {
    let o = against(|mut s| async move {
        read_request(&mut s).await;
        for b in b"OK\x01" {
            s.write_all(&[*b]).await.unwrap();
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        std::future::pending::<()>().await;
    })
    .await;
    assert_eq!(o.status, Status::Ok, "{}", o.detail);
}

#[tokio::test]
async fn close_without_a_word_is_a_protocol_error() {
    let o = against(|mut s| async move { read_request(&mut s).await }).await;
    assert_eq!(o.status, Status::ProtocolError);
    assert!(o.detail.contains("closed without a word"), "{}", o.detail);
}

#[tokio::test]
async fn close_mid_reply_says_how_far_it_got() {
    let o = against(|mut s| async move {
        read_request(&mut s).await;
        s.write_all(b"OK").await.unwrap();
    })
    .await;
    assert_eq!(o.status, Status::ProtocolError);
    assert!(o.detail.contains("after 2 byte(s)"), "{}", o.detail);
}

#[tokio::test]
async fn garbage_is_a_protocol_error_with_hex() {
    let o = against(|mut s| async move {
        read_request(&mut s).await;
        s.write_all(b"HTTP/1.1 470 Deny\r\n").await.unwrap();
        std::future::pending::<()>().await;
    })
    .await;
    assert_eq!(o.status, Status::ProtocolError);
    assert!(o.detail.contains("48 54 54 50"), "{}", o.detail);
    assert!(o.detail.contains("HTTP response"), "{}", o.detail);
}

#[tokio::test]
async fn our_own_bytes_back_are_an_echo_whether_it_then_waits_or_closes() {
    for close in [false, true] {
        let o = against(move |mut s| async move {
            read_request(&mut s).await;
            s.write_all(b"HELLO").await.unwrap();
            if !close {
                std::future::pending::<()>().await;
            }
        })
        .await;
        assert_eq!(o.status, Status::ProtocolError, "{}", o.detail);
        assert!(o.detail.contains("echo or reflector"), "{}", o.detail);
    }
}

#[tokio::test]
async fn silence_is_a_timeout() {
    let o = against(|mut s| async move {
        read_request(&mut s).await;
        std::future::pending::<()>().await;
    })
    .await;
    assert_eq!(o.status, Status::Timeout);
    assert!(
        o.detail.contains("no reply to the TOY HELLO within 300ms"),
        "{}",
        o.detail
    );
}

#[tokio::test]
async fn trickle_ends_at_the_deadline_with_what_came() {
    let o = against(|mut s| async move {
        read_request(&mut s).await;
        s.write_all(b"O").await.unwrap();
        std::future::pending::<()>().await;
    })
    .await;
    assert_eq!(o.status, Status::Timeout);
    assert!(o.detail.contains("only 1 byte(s)"), "{}", o.detail);
    assert!(o.detail.contains("4f"), "{}", o.detail);
}

#[tokio::test]
async fn endless_valid_prefix_stops_at_the_cap() {
    fn never(_: &[u8]) -> Decode {
        Decode::NeedMore
    }
    let (mut ours, mut theirs) = duplex(8192);
    let server = tokio::spawn(async move {
        let mut buf = [0u8; 5];
        theirs.read_exact(&mut buf).await.unwrap();
        theirs.write_all(&[0u8; 8192]).await.unwrap();
        std::future::pending::<()>().await;
    });
    let ex = Exchange {
        decode: never,
        ..TOY
    };
    let limit = Duration::from_secs(2);
    let o = run(&mut ours, peer(), limit, Instant::now() + limit, &ex).await;
    server.abort();
    assert_eq!(o.status, Status::ProtocolError);
    assert!(o.detail.contains("4096 bytes"), "{}", o.detail);
}
