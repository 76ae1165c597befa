//! packaging/ansible/ run for real with `ansible-core` (from PyPI, in the virtualenv that
//! scripts/test.sh makes under target/ansible-venv): the role copies the binary, checks its
//! SHA-256, runs `check -o json --report-file`, fetches each report to the controller and runs
//! `merge` there.
//!
//! The hosts: this machine, through Ansible's `local` connection (no SSH server here), each host
//! running its check inside a network namespace of its own with its own host name — the role's
//! `apim_probe_wrapper` puts `nsenter --net=… unshare --uts sh -c 'hostname …'` before the binary.
//! vm-weu has the service listening in its namespace, vm-neu does not (a required failure), and
//! vm-bad is given a wrong SHA-256 (refused, never run). Only loopback inside the namespaces.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::atomic::{AtomicU32, Ordering};

use common::prereq;
use common::support::row;
use serde_json::Value;

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// Namespaces and the listener, removed on drop (also when the test fails).
struct Hosts {
    namespaces: Vec<String>,
    listener: Option<Child>,
}

impl Drop for Hosts {
    fn drop(&mut self) {
        if let Some(mut l) = self.listener.take() {
            let _ = l.kill();
            let _ = l.wait();
        }
        for ns in &self.namespaces {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

fn ansible_playbook() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/ansible-venv/bin/ansible-playbook");
    p.is_file().then_some(p)
}

fn root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .find(|l| l.starts_with("Uid:"))
            .and_then(|l| l.split_whitespace().nth(2).map(|u| u == "0"))
            .unwrap_or(false)
    })
}

fn sh(args: &[&str]) {
    let ok = Command::new(args[0])
        .args(&args[1..])
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "{args:?}");
}

fn sha256(path: &Path) -> String {
    let out = Command::new("sha256sum").arg(path).output().unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

/// Three namespaces with loopback up; a listener on 127.0.0.1:`port` in the first only.
fn hosts(port: u16) -> Hosts {
    let tag = format!(
        "apimfleet-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let mut h = Hosts {
        namespaces: Vec::new(),
        listener: None,
    };
    for name in ["weu", "neu", "bad"] {
        let ns = format!("{tag}-{name}");
        sh(&["ip", "netns", "add", &ns]);
        h.namespaces.push(ns.clone());
        sh(&["ip", "-n", &ns, "link", "set", "lo", "up"]);
    }
    let script = format!(
        "import socket,time\ns=socket.socket()\ns.bind(('127.0.0.1',{port}))\ns.listen(64)\nprint('ready',flush=True)\ntime.sleep(300)"
    );
    let mut child = Command::new("ip")
        .args(["netns", "exec", &h.namespaces[0], "python3", "-c", &script])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.as_mut().unwrap()),
        &mut line,
    )
    .unwrap();
    assert_eq!(line.trim(), "ready");
    h.listener = Some(child);
    h
}

fn inventory(h: &Hosts, dir: &Path, good_sha: &str) -> String {
    let mut hosts = serde_json::Map::new();
    for (ns, name) in h.namespaces.iter().zip(["vm-weu", "vm-neu", "vm-bad"]) {
        let sha = if name == "vm-bad" {
            "0".repeat(64)
        } else {
            good_sha.to_owned()
        };
        hosts.insert(
            name.to_owned(),
            serde_json::json!({
                "ansible_connection": "local",
                "ansible_python_interpreter": "{{ ansible_playbook_python }}",
                "apim_probe_dir": dir.join(name).join("apim-probe"),
                "apim_probe_sha256": sha,
                "apim_probe_wrapper": ["nsenter", format!("--net=/run/netns/{ns}"), "unshare", "--uts",
                    "sh", "-c", "hostname \"$0\" && exec \"$@\"", name],
            }),
        );
    }
    serde_json::json!({ "all": { "children": { "apim_probe": { "hosts": hosts } } } }).to_string()
}

#[test]
fn the_playbook_copies_checks_runs_fetches_and_merges() {
    let Some(playbook) = ansible_playbook() else {
        prereq::missing(
            "ANSIBLE",
            "no target/ansible-venv (scripts/test.sh makes it: python3 -m venv, pip install ansible-core)",
        );
        return;
    };
    if !root() {
        prereq::missing("ANSIBLE", "needs root for the hosts' network namespaces");
        return;
    }
    let listener_port = 18443;
    let closed_port = 18444;
    let h = hosts(listener_port);
    let dir = tempfile::tempdir().unwrap();
    for name in ["vm-weu", "vm-neu", "vm-bad"] {
        std::fs::create_dir(dir.path().join(name)).unwrap();
    }
    let catalog = dir.path().join("catalog.toml");
    std::fs::write(
        &catalog,
        [
            row("svc", true, "127.0.0.1", listener_port),
            row("extra", false, "127.0.0.1", closed_port),
        ]
        .concat(),
    )
    .unwrap();
    let inv = dir.path().join("inventory.json");
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_apim-probe"));
    std::fs::write(&inv, inventory(&h, dir.path(), &sha256(&bin))).unwrap();
    let reports = dir.path().join("reports");
    let vars = serde_json::json!({
        "apim_probe_binary": bin,
        "apim_probe_args": ["--no-imds", "--catalog", catalog, "--timeout", "2s"],
        "apim_probe_reports": reports,
        "apim_probe_merge_binary": bin,
    });
    let home = dir.path().join("ansible-home");
    let out = Command::new(playbook)
        .args(["-i", inv.to_str().unwrap(), "-e", &vars.to_string()])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging/ansible/playbook.yml"))
        .env("ANSIBLE_HOME", &home)
        .env("ANSIBLE_LOCAL_TEMP", home.join("tmp"))
        .env("ANSIBLE_REMOTE_TEMP", home.join("remote-tmp"))
        .env("ANSIBLE_NOCOLOR", "1")
        .env("ANSIBLE_RETRY_FILES_ENABLED", "0")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    // vm-bad fails (refused binary) and the merge fails the play (vm-neu's required failure).
    assert_eq!(
        out.status.code(),
        Some(2),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("SHA-256 mismatch"), "{text}");
    assert!(
        !dir.path().join("vm-bad/apim-probe/report.json").exists(),
        "vm-bad must never run"
    );
    assert!(!reports.join("vms/vm-bad.json").exists());
    let m: Value =
        serde_json::from_slice(&std::fs::read(reports.join("merge.json")).unwrap()).unwrap();
    let names: Vec<&str> = m["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["key"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["vm-neu", "vm-weu"], "{m}");
    let svc = m["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "svc")
        .unwrap();
    assert_eq!(svc["note"], "fails from vm-neu only (refused)", "{svc}");
    let md = std::fs::read_to_string(reports.join("merge.md")).unwrap();
    assert!(md.contains("| svc 127.0.0.1:18443/tcp | req | ✗ refused | ✓ ok | fails from vm-neu only (refused) |"), "{md}");
    assert!(
        std::fs::read_to_string(reports.join("merge.html"))
            .unwrap()
            .starts_with("<!DOCTYPE html>")
    );
    // Kept for a look (the README shows this run's matrix).
    let keep = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/ansible-test");
    std::fs::create_dir_all(&keep).unwrap();
    std::fs::write(keep.join("merge.md"), &md).unwrap();
    std::fs::write(keep.join("ansible-playbook.txt"), text.as_bytes()).unwrap();
    drop(h);
}
