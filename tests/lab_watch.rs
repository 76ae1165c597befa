//! `apim-probe watch` in the network lab, scraped by a real Prometheus (Debian's `prometheus`):
//! both run in the `subnet` namespace, Prometheus scraping the agent on that namespace's loopback
//! every second. The test asks Prometheus's HTTP API (`promtool query instant`, run in the same
//! namespace) for `apim_probe_up` and sees the lab's ground truth, changes the lab's NSG, and sees
//! the series change after the next run — and the agent's log name that one row and no other.
//!
//! Needs root and the lab's packages plus `prometheus`; without them it says `… SKIPPED` (and
//! fails under `CI=true`).

mod common;

use std::collections::BTreeMap;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::agent::Agent;
use common::lab::{Family, Lab, Proto, Verdict, Zone, tcp_row};
use serde_json::Value;

const BOUND: Duration = Duration::from_secs(60);
const AGENT: &str = "127.0.0.1:9469";
const PROMETHEUS: &str = "http://127.0.0.1:9090";

/// Prometheus inside `subnet`, killed when dropped (the lab's guard would end it too).
struct Prometheus(Child);

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_prometheus(lab: &Lab) -> Prometheus {
    let dir = lab.dir().join("prometheus");
    std::fs::create_dir_all(dir.join("data")).unwrap();
    let config = dir.join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n\
             scrape_configs:\n  - job_name: apim-probe\n    static_configs:\n      - targets: ['{AGENT}']\n"
        ),
    )
    .unwrap();
    let log = std::fs::File::create(dir.join("prometheus.log")).unwrap();
    let child = lab
        .in_ns(&lab.subnet, "prometheus")
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.join("data").display()
        ))
        .arg("--web.listen-address=127.0.0.1:9090")
        .arg("--log.level=warn")
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("start prometheus");
    Prometheus(child)
}

/// `promtool query instant` in `subnet`: each series' labels and value, or `None` when
/// Prometheus does not answer yet.
fn query(lab: &Lab, expr: &str) -> Option<Vec<(BTreeMap<String, String>, f64)>> {
    let out = lab
        .in_ns(&lab.subnet, "promtool")
        .args(["query", "instant", "-o", "json", PROMETHEUS, expr])
        .stdin(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let v: Value = serde_json::from_slice(&out.stdout).ok()?;
    v.as_array()?
        .iter()
        .map(|s| {
            let labels = s["metric"]
                .as_object()?
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect();
            Some((labels, s["value"][1].as_str()?.parse().ok()?))
        })
        .collect()
}

/// `apim_probe_up` per row id, as Prometheus has it now.
fn up_by_id(lab: &Lab) -> Option<BTreeMap<String, f64>> {
    let series = query(lab, "apim_probe_up")?;
    Some(
        series
            .into_iter()
            .map(|(l, v)| (l["id"].clone(), v))
            .collect(),
    )
}

/// Polls `f` every 500 ms until it holds; panics after [`BOUND`] with the last value seen.
fn eventually<T: std::fmt::Debug>(what: &str, mut f: impl FnMut() -> (bool, T)) -> T {
    let start = Instant::now();
    loop {
        let (done, seen) = f();
        if done {
            return seen;
        }
        assert!(
            start.elapsed() < BOUND,
            "{what}: not within {BOUND:?}; last seen {seen:?}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[test]
fn prometheus_sees_the_lab_and_an_nsg_change() {
    let Some(mut lab) = Lab::start() else { return };
    if std::process::Command::new("prometheus")
        .arg("--version")
        .output()
        .is_err()
    {
        common::prereq::missing(
            "PROMETHEUS",
            "prometheus not found (apt-get install -y prometheus)",
        );
        return;
    }
    let mut zone = Zone::new();
    let names = ["web", "api", "shut"];
    let services = lab.services(names.len(), Family::V4);
    for (name, svc) in names.iter().zip(&services) {
        zone.host(&format!("{name}.lab.test"), svc);
    }
    let dns_svc = lab.service(Family::V4);
    let dns = lab.start_dns(&dns_svc, &zone);
    lab.start_web(&[443]);
    // The ground truth: web and api open, shut rejected with a reset by the NSG.
    lab.block_service(Verdict::TcpReset, &services[2], Proto::Tcp, Some(443));
    let rows: Vec<String> = names
        .iter()
        .map(|n| tcp_row(n, *n != "shut", &format!("{n}.lab.test"), 443))
        .collect();
    let cat = lab.catalog(&rows);
    let dns = dns.to_string();
    let agent = Agent::start(
        lab.in_ns(&lab.subnet, env!("CARGO_BIN_EXE_apim-probe")),
        &[
            "--catalog",
            cat.to_str().unwrap(),
            "--dns-server",
            &dns,
            "--every",
            "2s",
            "--timeout",
            "1s",
            "--listen",
            AGENT,
        ],
    );
    let _prometheus = start_prometheus(&lab);
    let want = |api: f64| {
        BTreeMap::from([
            ("api".into(), api),
            ("shut".into(), 0.0),
            ("web".into(), 1.0),
        ])
    };
    let seen = eventually("Prometheus has the lab's ground truth", || {
        let up = up_by_id(&lab);
        (up.as_ref() == Some(&want(1.0)), up)
    });
    eprintln!("LAB watch: apim_probe_up before the NSG change: {seen:?}");
    let scrape = query(&lab, "up{job=\"apim-probe\"}").expect("up of the scrape job");
    assert_eq!(
        scrape.first().map(|s| s.1),
        Some(1.0),
        "Prometheus could not scrape the agent"
    );
    let first_round = agent.row_changes().len();
    assert_eq!(first_round, 3, "{:?}", agent.row_changes());

    // The NSG now drops api: the next run times out, and Prometheus sees it.
    lab.block_service(Verdict::Drop, &services[1], Proto::Tcp, Some(443));
    eventually("apim_probe_up of api goes to 0", || {
        let up = up_by_id(&lab);
        (up.as_ref() == Some(&want(0.0)), up)
    });
    let timeout = query(&lab, "apim_probe_status{id=\"api\",status=\"timeout\"}").unwrap();
    assert_eq!(timeout.first().map(|s| s.1), Some(1.0), "{timeout:?}");
    let failed = query(&lab, "apim_probe_failed_required").unwrap();
    assert_eq!(failed.first().map(|s| s.1), Some(1.0), "{failed:?}");
    // Another run later, the log names that one row, once.
    agent.wait_runs(1, BOUND);
    let later = agent.row_changes().split_off(first_round);
    assert_eq!(
        later,
        [("api".to_owned(), "ok".to_owned(), "timeout".to_owned())],
        "{:#?}",
        agent.events()
    );
}
