//! The `http` check end to end on loopback: any status line is reachable, Azure Firewall's deny
//! page is `firewall_denied`, hostile peers are `protocol_error` or `timeout`.

mod common;

use common::peers;

use std::time::Duration;

use peers::*;

// ---------------------------------------------------------------------------------------------
// http

#[test]
fn http_200_is_ok() {
    let port = raw_server(Raw::Reply(
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi",
    ));
    let (code, r, _) = run("http", port, None, &[]);
    assert_eq!(r["status"], "ok", "{r}");
    assert_eq!(code, 0);
    assert!(detail(&r).contains("HTTP/1.1 200 OK"), "{r}");
    assert!(r["timings_ms"]["connect"].is_number(), "{r}");
}

#[test]
fn http_404_is_still_reachable() {
    let port = raw_server(Raw::Reply(b"HTTP/1.0 404 Not Found\r\n\r\n"));
    let (_, r, _) = run("http", port, None, &[]);
    assert_eq!(r["status"], "ok", "{r}");
    assert!(detail(&r).contains("404 Not Found"), "{r}");
}

const AZFW_BODY: &str = "HTTP request from 10.0.1.4:43512 to svc.test:80. Url: svc.test. Action: Deny. Reason: No rule matched to proceed.";

#[test]
fn http_470_is_firewall_denied_with_the_reason() {
    let reply = format!(
        "HTTP/1.1 470 status code 470\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{AZFW_BODY}",
        AZFW_BODY.len()
    );
    let port = raw_server(Raw::Reply(Box::leak(reply.into_boxed_str()).as_bytes()));
    let (code, r, _) = run("http", port, None, &[]);
    assert_eq!(r["status"], "firewall_denied", "{r}");
    assert_eq!(code, 1);
    assert!(detail(&r).contains("470"), "{r}");
    assert!(
        detail(&r).contains("Action: Deny. Reason: No rule matched to proceed."),
        "{r}"
    );
}

#[test]
fn http_403_with_a_deny_page_is_firewall_denied() {
    let reply = format!("HTTP/1.1 403 Forbidden\r\n\r\n{AZFW_BODY}");
    let port = raw_server(Raw::Reply(Box::leak(reply.into_boxed_str()).as_bytes()));
    let (_, r, _) = run("http", port, None, &[]);
    assert_eq!(r["status"], "firewall_denied", "{r}");
    assert!(detail(&r).contains("No rule matched"), "{r}");
}

#[test]
fn http_garbage_is_protocol_error_with_hex() {
    let port = raw_server(Raw::Reply(b"\x16\x03\x01\x00\x02\x02\x28"));
    let (_, r, _) = run("http", port, None, &[]);
    assert_eq!(r["status"], "protocol_error", "{r}");
    assert!(detail(&r).contains("16 03 01 00"), "{r}");
    assert_eq!(r["evidence"]["kind"], "reply", "{r}");
    assert_eq!(r["evidence"]["protocol"], "http", "{r}");
}

#[test]
fn http_accept_then_close_is_protocol_error() {
    let port = raw_server(Raw::Close);
    let (_, r, _) = run("http", port, None, &[]);
    assert_eq!(r["status"], "protocol_error", "{r}");
    assert!(detail(&r).contains("accepted the connection"), "{r}");
}

#[test]
fn http_reset_after_the_request_is_protocol_error() {
    let port = raw_server(Raw::ReadThenReset);
    let (_, r, _) = run("http", port, None, &[]);
    assert_eq!(r["status"], "protocol_error", "{r}");
    assert!(detail(&r).contains("then reset it"), "{r}");
}

#[test]
fn http_silence_is_timeout_by_the_deadline() {
    let port = raw_server(Raw::Silent);
    let (_, r, took) = run("http", port, None, &["--timeout", "1s"]);
    assert_eq!(r["status"], "timeout", "{r}");
    assert!(detail(&r).contains("no HTTP answer"), "{r}");
    assert!(took < Duration::from_secs(4), "took {took:?}");
}

#[test]
fn http_trickle_is_timeout_by_the_deadline() {
    let port = raw_server(Raw::Trickle(b"HTTP/1.1 2"));
    let (_, r, took) = run("http", port, None, &["--timeout", "1s"]);
    assert_eq!(r["status"], "timeout", "{r}");
    assert!(detail(&r).contains("did not finish its status line"), "{r}");
    assert!(took < Duration::from_secs(4), "took {took:?}");
}
