//! `apim-probe watch` as a running process for tests: started with a log and a report file in
//! its own folder, read while it runs, stopped by a signal, killed if a test panics.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// A running `watch`.
pub struct Agent {
    child: Option<Child>,
    /// Its `--log` file.
    pub log: PathBuf,
    /// Its `--report-file`.
    pub report: PathBuf,
    stderr: PathBuf,
    dir: tempfile::TempDir,
}

impl Agent {
    /// Starts `program watch <args> --log … --report-file …`; `program` is the binary, or `ip
    /// netns exec NS binary` in the lab. IMDS is off.
    pub fn start(mut program: Command, args: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("watch.jsonl");
        let report = dir.path().join("report.json");
        let stderr = dir.path().join("stderr");
        let child = program
            .arg("watch")
            .args(args)
            .arg("--log")
            .arg(&log)
            .arg("--report-file")
            .arg(&report)
            .env("APIM_PROBE_NO_IMDS", "true")
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(dir.path().join("stdout")).unwrap())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .expect("start apim-probe watch");
        Self {
            child: Some(child),
            log,
            report,
            stderr,
            dir,
        }
    }

    /// The binary itself as the program of [`Agent::start`].
    pub fn binary() -> Command {
        Command::new(env!("CARGO_BIN_EXE_apim-probe"))
    }

    /// Every line of the log so far, parsed.
    pub fn events(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("log line {l}: {e}")))
            .collect()
    }

    /// The row events as `(id, from, to)`, `-` for null.
    pub fn row_changes(&self) -> Vec<(String, String, String)> {
        let s = |v: &Value| v.as_str().unwrap_or("-").to_owned();
        self.events()
            .iter()
            .filter(|e| e["event"] == "row")
            .map(|e| (s(&e["row"]["id"]), s(&e["from"]), s(&e["to"])))
            .collect()
    }

    /// When the run of the report file started (each run writes it), if there is one yet.
    pub fn last_run(&self) -> Option<String> {
        let text = std::fs::read_to_string(&self.report).ok()?;
        let v: Value = serde_json::from_str(&text).ok()?;
        v["started_at"].as_str().map(str::to_owned)
    }

    /// Waits for `n` more runs than `seen` (distinct `started_at`s of the report file).
    pub fn wait_runs(&self, n: usize, bound: Duration) {
        let mut seen = self.last_run();
        let mut count = 0;
        self.wait_for(&format!("{n} more runs"), bound, || {
            let now = self.last_run();
            if now.is_some() && now != seen {
                count += 1;
                seen = now;
            }
            (count >= n).then_some(())
        });
    }

    /// Where it listens: from the `start` line of the log (`--listen 127.0.0.1:0` picks a port).
    pub fn listening(&self) -> SocketAddr {
        self.wait_for("the start line", Duration::from_secs(20), || {
            let events = self.events();
            let detail = events.first()?["detail"].as_str()?.to_owned();
            let at = detail.find("http://")? + "http://".len();
            detail[at..].split('/').next()?.parse().ok()
        })
    }

    /// Polls `f` every 50 ms until it gives a value; panics after `bound` with the agent's stderr.
    pub fn wait_for<T>(&self, what: &str, bound: Duration, mut f: impl FnMut() -> Option<T>) -> T {
        let start = Instant::now();
        loop {
            if let Some(v) = f() {
                return v;
            }
            assert!(
                start.elapsed() < bound,
                "no {what} within {bound:?}; log:\n{}\nstderr:\n{}",
                std::fs::read_to_string(&self.log).unwrap_or_default(),
                std::fs::read_to_string(&self.stderr).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Sends `signal` (`TERM`, `INT`) and waits (at most 20 s) for the exit.
    pub fn stop(mut self, signal: &str) -> ExitStatus {
        let mut child = self.child.take().unwrap();
        let sent = Command::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let start = Instant::now();
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            if start.elapsed() > Duration::from_secs(20) {
                let _ = child.kill();
                let _ = child.wait();
                panic!("watch still running 20 s after SIG{signal}: killed");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Its scratch folder.
    pub fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// `GET path` over HTTP/1.1 with 5 s timeouts: the status code and the body.
pub fn http_get(addr: SocketAddr, path: &str) -> std::io::Result<(u16, String)> {
    http(
        addr,
        &format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
    )
}

/// Sends `request` as is and reads the answer to its end: the status code and the body.
pub fn http(addr: SocketAddr, request: &str) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    s.set_write_timeout(Some(Duration::from_secs(5)))?;
    s.write_all(request.as_bytes())?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let code = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("not an HTTP answer: {text:?}")))?;
    let body = text
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_owned();
    Ok((code, body))
}
