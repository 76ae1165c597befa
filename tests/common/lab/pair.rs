//! Pair mode in the lab: the real `apim-probe listen` runs inside `azure` (the second "VM",
//! reached at its veth address), `check --peer` inside `subnet`. The listener's JSON log is its
//! daemon log file, which `check --peer-log` reads from the same folder. Rules that drop the
//! listener's answers sit in `subnet`'s own *input* hook (`table inet prober`): the return path,
//! never the output chain (LAB.md).

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::netns::{AZURE_V4, BOUND, Lab, run};

/// The address `check --peer` gives for the listener: `azure`'s end of the veth pair.
pub const LISTENER: IpAddr = IpAddr::V4(AZURE_V4);

impl Lab {
    /// Writes `token` to a file of the lab's scratch folder (both sides read it).
    pub fn token_file(&self, name: &str, token: &str) -> PathBuf {
        let path = self.dir().join(name);
        std::fs::write(&path, format!("{token}\n")).expect("write token file");
        path
    }

    /// Starts `apim-probe listen -o json --for 5m --token-file <token> <args…>` inside `azure`
    /// and waits until it has said, for each of `sockets` sockets, that it listens or cannot.
    /// Returns its JSON log (the daemon's output file); the guard kills it.
    pub fn start_listener(&mut self, token: &Path, sockets: usize, args: &[&str]) -> PathBuf {
        let n = self.daemons.len();
        let mut all: Vec<String> = ["listen", "-o", "json", "--for", "5m", "--token-file"]
            .map(str::to_owned)
            .to_vec();
        all.push(token.display().to_string());
        all.extend(args.iter().map(|a| (*a).to_owned()));
        let exe = PathBuf::from(env!("CARGO_BIN_EXE_apim-probe"));
        self.spawn_in_azure(&format!("listen-{n}"), &exe, &all);
        let log = self.daemons.last().expect("just started").log.clone();
        let deadline = Instant::now() + BOUND;
        loop {
            let said = listener_log(&log)
                .iter()
                .filter(|v| v["event"] == "listening" || v["event"] == "bind_failed")
                .count();
            if said >= sockets {
                return log;
            }
            let daemon = self.daemons.last_mut().expect("just started");
            if let Ok(Some(status)) = daemon.child.try_wait() {
                let text = std::fs::read_to_string(&log).unwrap_or_default();
                panic!("listen exited early ({status}):\n{text}");
            }
            assert!(
                Instant::now() < deadline,
                "listen not ready after {BOUND:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Adds a rule to `subnet`'s own input hook: what the prober's machine drops on the way back.
    pub fn drop_in_subnet(&self, rule: &str) {
        let n = self.daemons.len();
        let file = self.dir().join(format!("prober-{n}-{}.nft", rule.len()));
        let script = format!(
            "table inet prober {{\n  chain input {{ type filter hook input priority 0; policy accept; }}\n}}\nadd rule inet prober input {rule} drop\n"
        );
        std::fs::write(&file, script).expect("write nft script");
        let mut cmd = self.in_ns(&self.subnet, &self.tools.nft);
        cmd.arg("-f").arg(&file);
        run(&mut cmd).unwrap_or_else(|e| panic!("lab nft in subnet: {e}"));
    }

    /// Removes the rules of [`Lab::drop_in_subnet`].
    pub fn clear_subnet_drops(&self) {
        let mut cmd = self.in_ns(&self.subnet, &self.tools.nft);
        cmd.args(["flush", "table", "inet", "prober"]);
        let _ = run(&mut cmd);
    }
}

/// The complete lines of a listener's JSON log.
pub fn listener_log(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let complete = text.rfind('\n').map_or("", |end| &text[..end]);
    complete
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// The listener's `probe` lines on one port.
pub fn probes_on(log: &[Value], port: u16, transport: &str) -> Vec<Value> {
    log.iter()
        .filter(|v| v["event"] == "probe" && v["port"] == port && v["transport"] == transport)
        .cloned()
        .collect()
}

/// The veth address of `subnet` (the prober's source address the listener sees).
pub const PROBER: Ipv4Addr = super::netns::SUBNET_V4;
