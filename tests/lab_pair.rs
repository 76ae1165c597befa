//! Pair mode in the network lab: two "VMs" — `apim-probe listen` inside `azure`, `apim-probe
//! check --peer` inside `subnet` — with nftables NSGs on either side: everything open, a TCP port
//! and the UDP port dropped on the listener's side, answers dropped on the prober's side (an
//! asymmetric path, told apart by the listener's log), a wrong token, and a server that is not
//! ours.
//!
//! Needs root, `ip netns` and nft (and the lab's other packages); without them every test prints
//! `LAB SKIPPED: …` and passes, except under `CI=true`, where it fails.

mod common;

use common::lab;

use std::net::SocketAddr;
use std::path::Path;

use lab::{Family, Kind, LISTENER, Lab, PROBER, Proto, Verdict, detail, listener_log, probes_on};
use serde_json::Value;

const TOKEN: &str = "the-lab-pair-token-0123456789";
/// The embedded catalog's `peer` rows.
const PEER_ROWS: &str = "redis-external,redis-internal,rate-limit-sync";

/// `check --peer <azure> --token-file <token> --only <peer rows> <extra…>` in `subnet`.
fn check_peer(lab: &Lab, dns: SocketAddr, token: &Path, extra: &[&str]) -> Value {
    let peer = LISTENER.to_string();
    let token = token.to_str().unwrap();
    let mut args = vec![
        "--peer",
        &peer,
        "--token-file",
        token,
        "--only",
        PEER_ROWS,
        "--timeout",
        "2s",
    ];
    args.extend_from_slice(extra);
    let run = lab.check_json(dns, &args);
    for r in run.report["results"].as_array().unwrap() {
        eprintln!(
            "LAB {}/{}: {} | {}",
            r["port"],
            r["transport"],
            r["status"],
            detail(r)
        );
    }
    run.report
}

/// The result on one port and transport.
fn on<'a>(report: &'a Value, port: u16, transport: &str) -> &'a Value {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["port"] == port && r["transport"] == transport)
        .unwrap_or_else(|| panic!("no result on {port}/{transport}: {report:#}"))
}

fn status(report: &Value, port: u16, transport: &str) -> String {
    on(report, port, transport)["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A lab address for `--dns-server` (nothing is resolved: the peer is an address).
fn no_dns(lab: &mut Lab) -> SocketAddr {
    SocketAddr::new(lab.service(Family::V4).ip4(), 53)
}

#[test]
fn pair_mode_through_nsgs_on_both_sides() {
    let Some(mut lab) = Lab::start() else {
        return;
    };
    let dns = no_dns(&mut lab);
    let token = lab.token_file("pair.token", TOKEN);
    // The embedded catalog's peer ports: TCP 6380-6383, UDP 4290.
    let log = lab.start_listener(&token, 5, &[]);
    let log_arg = log.to_str().unwrap().to_owned();
    let listener = LISTENER;

    // The listener's NSG drops TCP 6382 and UDP 4290 coming in.
    lab.block(Verdict::Drop, listener, Proto::Tcp, Some(6382));
    lab.block(Verdict::Drop, listener, Proto::Udp, Some(4290));
    let report = check_peer(&lab, dns, &token, &["--peer-log", &log_arg]);
    for port in [6380, 6381, 6383] {
        assert_eq!(status(&report, port, "tcp"), "ok");
    }
    assert_eq!(status(&report, 6382, "tcp"), "timeout");
    assert_eq!(status(&report, 4290, "udp"), "timeout");
    let lines = listener_log(&log);
    assert!(probes_on(&lines, 6382, "tcp").is_empty(), "{lines:?}");
    assert!(probes_on(&lines, 4290, "udp").is_empty(), "{lines:?}");
    let dropped = on(&report, 6382, "tcp");
    assert_eq!(dropped["facts"]["pair"]["listener_log"]["arrived"], false);
    assert!(detail(dropped).contains("it never arrived"), "{dropped:#}");
    // The ones that got through came from the prober's address, authenticated.
    let seen = probes_on(&lines, 6381, "tcp");
    assert_eq!(seen.len(), 1);
    assert!(
        seen[0]["from"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{PROBER}:"))
    );
    assert_eq!(seen[0]["authenticated"], true);

    // Everything open: every peer row ok.
    lab.clear_nsg();
    let report = check_peer(&lab, dns, &token, &[]);
    for r in report["results"].as_array().unwrap() {
        assert_eq!(r["status"], "ok", "{r:#}");
        assert_eq!(r["check"], "peer");
    }

    // The answers are dropped on the prober's side: the requests arrive, the answers never
    // come back. The listener's log proves the first half.
    lab.drop_in_subnet("ip saddr 198.18.0.1 tcp sport 6383 ip length > 64");
    lab.drop_in_subnet("ip saddr 198.18.0.1 udp sport 4290");
    let report = check_peer(&lab, dns, &token, &["--peer-log", &log_arg]);
    for (port, transport) in [(6383, "tcp"), (4290, "udp")] {
        let r = on(&report, port, transport);
        assert_eq!(r["status"], "timeout", "{r:#}");
        let logged = &r["facts"]["pair"]["listener_log"];
        assert_eq!(logged["arrived"], true, "{r:#}");
        assert_eq!(logged["handling"], "answered");
        assert!(detail(r).contains("never came back"), "{r:#}");
    }
    assert_eq!(status(&report, 6381, "tcp"), "ok");
    lab.clear_subnet_drops();
}

#[test]
fn a_wrong_token_and_a_server_that_is_not_ours() {
    let Some(mut lab) = Lab::start() else {
        return;
    };
    let dns = no_dns(&mut lab);
    let token = lab.token_file("pair.token", TOKEN);
    let wrong = lab.token_file("other.token", "the token of another pair, not ours");
    // 6380 is a plain server that is not ours (it answers with a TDS PRELOGIN reply).
    let listener = LISTENER;
    lab.start_responder(&Kind::Tds, &[SocketAddr::new(listener, 6380)]);
    let log = lab.start_listener(&token, 4, &["--ports", "6381-6383/tcp,4290/udp"]);

    let report = check_peer(&lab, dns, &wrong, &[]);
    assert_eq!(status(&report, 6380, "tcp"), "protocol_error");
    for port in [6381, 6382, 6383] {
        let r = on(&report, port, "tcp");
        assert_eq!(r["status"], "error", "{r:#}");
        assert!(detail(r).starts_with("wrong token"), "{r:#}");
    }
    assert_eq!(status(&report, 4290, "udp"), "timeout");
    let lines = listener_log(&log);
    assert!(
        lines
            .iter()
            .filter(|v| v["event"] == "probe")
            .all(|v| v["verdict"] == "bad_mac" && v["authenticated"] == false),
        "{lines:?}"
    );

    let report = check_peer(&lab, dns, &token, &[]);
    let not_ours = on(&report, 6380, "tcp");
    assert_eq!(not_ours["status"], "protocol_error");
    assert!(
        detail(not_ours).contains("not our listener"),
        "{not_ours:#}"
    );
    assert_eq!(not_ours["facts"]["pair"]["answer"], "not_ours");
    for (port, transport) in [(6381, "tcp"), (6382, "tcp"), (6383, "tcp"), (4290, "udp")] {
        assert_eq!(status(&report, port, transport), "ok");
    }
}
