//! IMDS against small loopback responders that answer each connection as scripted: one retry
//! on 429/5xx/silence inside the budget, none on a final answer, and "not on an Azure VM" only
//! when nothing answered. (`lab_azure.rs` runs the binary against 169.254.169.254 in a
//! namespace.)

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use apim_probe::azure::imds::{ImdsError, fetch_from};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// IMDS's whole budget in `check`.
const BUDGET: Duration = Duration::from_secs(1);

const DOC: &str =
    r#"{"compute":{"name":"vm1","location":"WestEurope","azEnvironment":"AzurePublicCloud"}}"#;

/// What the responder does with one connection.
#[derive(Clone, Copy)]
enum Act {
    /// Reads the request, sends these bytes, closes.
    Reply(&'static str),
    /// HTTP 200 with the instance document.
    Document,
    /// Reads the request and never answers (holds the connection while the test runs).
    Silent,
    /// Closes without a byte.
    Close,
}

/// A responder on 127.0.0.1 acting out `script`, one act per connection (the last one
/// repeats); the requests it got are in the returned list.
async fn responder(script: &'static [Act]) -> (SocketAddr, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let requests = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&requests);
    tokio::spawn(async move {
        let mut held = Vec::new();
        // Bounded: a fetch makes two connections at most.
        for n in 0..4 {
            let Ok((mut conn, _)) = listener.accept().await else {
                return;
            };
            let act = script[n.min(script.len() - 1)];
            let mut buf = vec![0u8; 4096];
            let got = match act {
                Act::Close => 0,
                _ => conn.read(&mut buf).await.unwrap_or(0),
            };
            log.lock()
                .unwrap()
                .push(String::from_utf8_lossy(&buf[..got]).into_owned());
            match act {
                Act::Reply(bytes) => {
                    let _ = conn.write_all(bytes.as_bytes()).await;
                }
                Act::Document => {
                    let reply = format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{DOC}",
                        DOC.len()
                    );
                    let _ = conn.write_all(reply.as_bytes()).await;
                }
                Act::Silent => held.push(conn),
                Act::Close => {}
            }
        }
    });
    (addr, requests)
}

const BUSY: Act = Act::Reply("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n");
const THROTTLED: Act = Act::Reply("HTTP/1.1 429 Too Many Requests\r\nContent-Length: 0\r\n\r\n");

async fn fetch(script: &'static [Act]) -> (Result<String, ImdsError>, usize) {
    let (addr, requests) = responder(script).await;
    let got = fetch_from(addr, BUDGET).await.map(|ctx| ctx.location);
    let n = requests.lock().unwrap().len();
    (got, n)
}

fn answered(got: Result<String, ImdsError>) -> String {
    match got {
        Err(e @ ImdsError::Answered(_)) => e.to_string(),
        other => panic!("expected 'IMDS answered but …', got {other:?}"),
    }
}

#[tokio::test]
async fn asks_for_the_instance_document_with_the_metadata_header() {
    let (addr, requests) = responder(&[Act::Document]).await;
    assert_eq!(
        fetch_from(addr, BUDGET).await.unwrap().location,
        "WestEurope"
    );
    let req = requests.lock().unwrap()[0].clone();
    assert!(req.starts_with("GET /metadata/instance?api-version=2021-02-01 HTTP/1.0\r\n"));
    assert!(req.contains("\r\nMetadata: true\r\n"), "{req}");
}

#[tokio::test]
async fn a_busy_or_throttled_imds_is_asked_once_more() {
    assert_eq!(
        fetch(&[BUSY, Act::Document]).await,
        (Ok("WestEurope".into()), 2)
    );
    assert_eq!(
        fetch(&[THROTTLED, Act::Document]).await,
        (Ok("WestEurope".into()), 2)
    );
}

#[tokio::test]
async fn a_silent_or_closing_imds_is_asked_once_more_within_the_budget() {
    assert_eq!(
        fetch(&[Act::Silent, Act::Document]).await,
        (Ok("WestEurope".into()), 2)
    );
    assert_eq!(
        fetch(&[Act::Close, Act::Document]).await,
        (Ok("WestEurope".into()), 2)
    );
}

#[tokio::test]
async fn busy_twice_is_imds_answering_not_the_absence_of_azure() {
    let (got, n) = fetch(&[BUSY]).await;
    assert_eq!(n, 2, "one retry, no more");
    assert_eq!(
        answered(got),
        "IMDS answered but HTTP 503 Service Unavailable, twice"
    );
    let (got, n) = fetch(&[BUSY, Act::Silent]).await;
    assert_eq!(n, 2);
    let said = answered(got);
    assert!(
        said.starts_with("IMDS answered but HTTP 503 Service Unavailable, then connected to"),
        "{said}"
    );
}

#[tokio::test]
async fn a_final_answer_is_not_retried_and_said_as_an_answer() {
    let (got, n) = fetch(&[Act::Reply("HTTP/1.1 404 Not Found\r\n\r\n")]).await;
    assert_eq!(n, 1);
    assert_eq!(answered(got), "IMDS answered but HTTP 404 Not Found");
    let (got, n) = fetch(&[Act::Reply("SSH-2.0-OpenSSH_9.2\r\n")]).await;
    assert_eq!(n, 1);
    assert!(answered(got).starts_with("IMDS answered but not an HTTP response"));
    let (got, n) = fetch(&[Act::Reply("HTTP/1.1 200 OK\r\n\r\n<html>portal</html>")]).await;
    assert_eq!(n, 1);
    assert!(answered(got).starts_with("IMDS answered but bad JSON"));
}

#[tokio::test]
async fn nothing_answering_is_not_an_azure_vm() {
    let (got, n) = fetch(&[Act::Silent]).await;
    assert_eq!(n, 2);
    let err = got.unwrap_err();
    assert!(matches!(err, ImdsError::NoAnswer(_)), "{err:?}");
    let said = err.to_string();
    assert!(
        said.starts_with("not on an Azure VM, or IMDS unreachable (connected to"),
        "{said}"
    );

    // Refused: no retry (the same answer would come back at once).
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    let err = fetch_from(addr, BUDGET).await.unwrap_err();
    assert!(
        matches!(err, ImdsError::NoAnswer(ref w) if w.starts_with("cannot connect")),
        "{err:?}"
    );
}
