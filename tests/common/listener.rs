//! Pair mode on loopback: `apim-probe listen -o json` as a child process on 127.0.0.1, its JSON
//! log read back, a catalog of `peer` rows on free ports, and the listener's memory and threads
//! from `/proc` (Linux). The guard kills the child (by its own handle) on drop.

use std::net::{TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Longest the listener may take to open its sockets.
const READY_BOUND: Duration = Duration::from_secs(20);

/// A token both sides of a test use (at least 16 bytes).
pub const TOKEN: &str = "lab-pair-token-0123456789abcdef";

/// A running listener; killed on drop.
pub struct Listener {
    child: Child,
    /// Its stdout: the JSON-lines log.
    pub log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Listener {
    /// Starts `apim-probe listen -o json --bind 127.0.0.1 --token TOKEN <args…>` and waits until
    /// it has said, for each socket, that it listens or cannot.
    pub fn start(token: &str, sockets: usize, args: &[&str]) -> Listener {
        let dir = tempfile::tempdir().expect("listener folder");
        let log = dir.path().join("listen.jsonl");
        let child = Command::new(env!("CARGO_BIN_EXE_apim-probe"))
            .args([
                "listen",
                "-o",
                "json",
                "--bind",
                "127.0.0.1",
                "--token",
                token,
            ])
            .args(args)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&log).expect("listener log"))
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start apim-probe listen");
        let mut l = Listener {
            child,
            log,
            _dir: dir,
        };
        let deadline = Instant::now() + READY_BOUND;
        loop {
            let said = l
                .lines()
                .iter()
                .filter(|v| v["event"] == "listening" || v["event"] == "bind_failed")
                .count();
            if said >= sockets {
                return l;
            }
            if let Ok(Some(status)) = l.child.try_wait() {
                panic!("listen exited early ({status}): {:?}", l.lines());
            }
            assert!(
                Instant::now() < deadline,
                "listen not ready: {:?}",
                l.lines()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Every complete line of its log, parsed.
    pub fn lines(&self) -> Vec<Value> {
        read_log(&self.log)
    }

    /// Its `probe` lines.
    pub fn probes(&self) -> Vec<Value> {
        self.lines()
            .into_iter()
            .filter(|v| v["event"] == "probe")
            .collect()
    }

    /// Its pid, for `/proc`.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Stops it with SIGTERM (by pid, which this guard started) and waits, bounded, for its exit
    /// code; its summary is then the log's last line.
    pub fn stop(&mut self) -> i32 {
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status();
        let deadline = Instant::now() + READY_BOUND;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code().unwrap_or(-1);
            }
            assert!(Instant::now() < deadline, "listen ignored SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The complete lines of a JSON-lines log.
pub fn read_log(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let complete = text.rfind('\n').map_or("", |end| &text[..end]);
    complete
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// A port of 127.0.0.1 free for both TCP and UDP right now (bound, then released).
pub fn free_port() -> u16 {
    for _ in 0..100 {
        let tcp = TcpListener::bind("127.0.0.1:0").expect("bind tcp");
        let port = tcp.local_addr().unwrap().port();
        if UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no port free for both TCP and UDP");
}

/// A catalog of `peer` rows: one TCP row over `tcp` ports, one UDP row over `udp` ports.
pub fn peer_catalog(dir: &Path, tcp: &[u16], udp: &[u16]) -> PathBuf {
    let row = |id: &str, transport: &str, ports: &[u16], check: &str| {
        let ports: Vec<String> = ports.iter().map(ToString::to_string).collect();
        format!(
            r#"
[[dependency]]
id = "{id}"
purpose = "test peer row {id}"
direction = "peer"
source = "VirtualNetwork"
destination = "VirtualNetwork"
required = false
platforms = ["stv2", "stv1"]
vnet = ["external", "internal"]
transport = "{transport}"
ports = [{}]
check = "{check}"
reference = "test"
"#,
            ports.join(", ")
        )
    };
    let path = dir.join("peer-catalog.toml");
    std::fs::write(
        &path,
        row("peer-tcp", "tcp", tcp, "tcp") + &row("peer-udp", "udp", udp, "none"),
    )
    .expect("write catalog");
    path
}

/// `VmRSS` (kB) and `Threads` of a process, from `/proc/<pid>/status`.
pub fn rss_and_threads(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in {status}"))
    };
    (field("VmRSS:"), field("Threads:"))
}
