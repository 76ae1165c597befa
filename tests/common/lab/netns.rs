//! The namespaces, their wiring, the service addresses, and the guard that removes it all.

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use super::prereq::{Tools, prerequisites, skip};

/// `subnet`'s end of the veth pair.
pub const SUBNET_V4: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 2);
/// `azure`'s end of the veth pair (the gateway of `subnet`'s routes).
pub const AZURE_V4: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 1);
/// `subnet`'s end of the veth pair, IPv6.
pub const SUBNET_V6: Ipv6Addr = Ipv6Addr::new(0x2001, 2, 0, 0, 0, 0, 0, 2);
/// `azure`'s end of the veth pair, IPv6.
pub const AZURE_V6: Ipv6Addr = Ipv6Addr::new(0x2001, 2, 0, 0, 0, 0, 0, 1);
/// MAC of `subnet`'s end (locally administered).
const SUBNET_MAC: &str = "02:00:5e:10:00:02";
/// MAC of `azure`'s end.
const AZURE_MAC: &str = "02:00:5e:10:00:01";
/// Service addresses (IPv4) live in 198.19.0.0/16, on `azure`'s loopback.
pub const SERVICES_V4: &str = "198.19.0.0/16";
/// Service addresses (IPv6) live in 2001:2:0:1::/64, on `azure`'s loopback.
pub const SERVICES_V6: &str = "2001:2:0:1::/64";

/// Longest a daemon may take to listen, or a lab command to finish.
pub const BOUND: std::time::Duration = std::time::Duration::from_secs(20);

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// Which address families a service gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// IPv4 only (an A record).
    V4,
    /// IPv6 only (an AAAA record).
    V6,
    /// Both.
    Dual,
}

/// One fake service: its own addresses on the far side, so NSG rules can target it alone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Service {
    /// Its IPv4 address, if it has one.
    pub v4: Option<Ipv4Addr>,
    /// Its IPv6 address, if it has one.
    pub v6: Option<Ipv6Addr>,
}

impl Service {
    /// Every address, IPv4 first.
    pub fn addrs(&self) -> Vec<IpAddr> {
        let mut out: Vec<IpAddr> = Vec::new();
        out.extend(self.v4.map(IpAddr::V4));
        out.extend(self.v6.map(IpAddr::V6));
        out
    }

    /// The IPv4 address; panics if the service has none.
    pub fn ip4(&self) -> IpAddr {
        IpAddr::V4(self.v4.expect("service has no IPv4 address"))
    }

    /// The IPv6 address; panics if the service has none.
    pub fn ip6(&self) -> IpAddr {
        IpAddr::V6(self.v6.expect("service has no IPv6 address"))
    }
}

/// A daemon the lab started; killed by the guard.
pub(super) struct Daemon {
    pub name: String,
    pub child: Child,
    pub log: PathBuf,
}

/// The lab guard. See the module documentation.
pub struct Lab {
    /// The namespace apim-probe runs in.
    pub subnet: String,
    /// The far side.
    pub azure: String,
    /// Scratch space: configuration files, logs, catalogs.
    pub(super) dir: tempfile::TempDir,
    pub(super) tools: &'static Tools,
    pub(super) daemons: Vec<Daemon>,
    next_host: u32,
    created: Vec<String>,
}

/// Runs a command to completion; `Err` carries its stderr.
pub(super) fn run(cmd: &mut Command) -> Result<String, String> {
    let shown = format!("{cmd:?}");
    let out: Output = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{shown}: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "{shown} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

impl Lab {
    /// Builds a lab, or returns `None` after printing `LAB SKIPPED` (panics under `CI=true`).
    pub fn start() -> Option<Lab> {
        let tools = match prerequisites() {
            Ok(t) => t,
            Err(why) => {
                skip(&why);
                return None;
            }
        };
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let tag = format!("apimlab-{}-{n}", std::process::id());
        let mut lab = Lab {
            subnet: format!("{tag}-subnet"),
            azure: format!("{tag}-azure"),
            dir: tempfile::Builder::new()
                .prefix(&format!("{tag}-"))
                .tempdir()
                .expect("lab temp folder"),
            tools,
            daemons: Vec::new(),
            next_host: 0,
            created: Vec::new(),
        };
        // The first namespace tells whether this machine allows them at all.
        if let Err(why) = lab.add_namespace(&lab.subnet.clone()) {
            skip(&format!("cannot create a network namespace: {why}"));
            return None;
        }
        lab.add_namespace(&lab.azure.clone())
            .expect("second namespace");
        lab.wire();
        Some(lab)
    }

    fn add_namespace(&mut self, name: &str) -> Result<(), String> {
        run(Command::new(&self.tools.ip).args(["netns", "add", name]))?;
        self.created.push(name.to_owned());
        // Addresses usable at once: no duplicate address detection anywhere in the lab.
        self.sysctl(
            name,
            &[
                "net.ipv6.conf.all.accept_dad=0",
                "net.ipv6.conf.default.accept_dad=0",
            ],
        );
        Ok(())
    }

    fn wire(&mut self) {
        let (s, a) = (self.subnet.clone(), self.azure.clone());
        // Fixed MACs and permanent neighbour entries: right after a veth comes up the first
        // IPv6 neighbour solicitation is often lost (the far side has not joined the
        // solicited-node group yet), which delayed the first IPv6 packet of a lab by 1 s.
        // The far side sends the ICMP errors of `reject`: no rate limit there (LAB.md).
        self.sysctl(
            &a,
            &[
                "net.ipv4.icmp_ratelimit=0",
                "net.ipv4.icmp_msgs_per_sec=1000000",
                "net.ipv4.icmp_msgs_burst=1000000",
                "net.ipv6.icmp.ratelimit=0",
            ],
        );
        self.ip(
            &s,
            &format!(
                "link add s0 address {SUBNET_MAC} type veth peer name a0 address {AZURE_MAC} netns {a}
                 link set lo up
                 addr add {SUBNET_V4}/24 dev s0
                 addr add {SUBNET_V6}/64 dev s0 nodad
                 link set s0 up
                 neigh replace {AZURE_V4} lladdr {AZURE_MAC} dev s0 nud permanent
                 neigh replace {AZURE_V6} lladdr {AZURE_MAC} dev s0 nud permanent
                 route add {SERVICES_V4} via {AZURE_V4}
                 route add {SERVICES_V6} via {AZURE_V6}"
            ),
        );
        self.ip(
            &a,
            &format!(
                "link set lo up
                 addr add {AZURE_V4}/24 dev a0
                 addr add {AZURE_V6}/64 dev a0 nodad
                 link set a0 up
                 neigh replace {SUBNET_V4} lladdr {SUBNET_MAC} dev a0 nud permanent
                 neigh replace {SUBNET_V6} lladdr {SUBNET_MAC} dev a0 nud permanent"
            ),
        );
        self.nft_script(
            "table inet nsg {
               chain input { type filter hook input priority 0; policy accept; }
             }",
        );
    }

    /// Sets sysctls inside a namespace of this lab.
    pub fn sysctl(&self, ns: &str, settings: &[&str]) {
        let mut cmd = self.in_ns(ns, &self.tools.sysctl);
        cmd.arg("-qw").args(settings);
        run(&mut cmd).unwrap_or_else(|e| panic!("lab sysctl: {e}"));
    }

    /// Runs `ip` commands (one per line, `ip -batch` syntax) inside a namespace of this lab.
    pub fn ip(&self, ns: &str, batch: &str) {
        let lines: String = batch.lines().map(str::trim).filter(|l| !l.is_empty()).fold(
            String::new(),
            |mut acc, l| {
                let _ = writeln!(acc, "{l}");
                acc
            },
        );
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let file = self.dir.path().join(format!("ip-batch-{n}"));
        std::fs::write(&file, lines).expect("write ip batch");
        run(Command::new(&self.tools.ip)
            .args(["-n", ns, "-batch"])
            .arg(&file))
        .unwrap_or_else(|e| panic!("lab ip: {e}\n{batch}"));
    }

    /// Loads an nft script inside `azure`.
    pub fn nft_script(&self, script: &str) {
        self.try_nft_script(script)
            .unwrap_or_else(|e| panic!("lab nft: {e}\n{script}"));
    }

    /// Loads an nft script inside `azure`; `Err` carries nft's complaint.
    pub fn try_nft_script(&self, script: &str) -> Result<(), String> {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let file = self.dir.path().join(format!("nft-{n}.nft"));
        std::fs::write(&file, script).expect("write nft script");
        let mut cmd = self.in_ns(&self.azure, &self.tools.nft);
        cmd.arg("-f").arg(&file);
        run(&mut cmd).map(drop)
    }

    /// A command that runs `program` inside namespace `ns` (`ip netns exec`).
    pub fn in_ns(&self, ns: &str, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new(&self.tools.ip);
        cmd.args(["netns", "exec", ns]).arg(program);
        cmd
    }

    /// The lab's scratch folder.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A new fake service: fresh addresses on `azure`'s loopback, reachable from `subnet`.
    pub fn service(&mut self, family: Family) -> Service {
        self.services(1, family).pop().expect("one service")
    }

    /// `count` new fake services, added in one batch.
    pub fn services(&mut self, count: usize, family: Family) -> Vec<Service> {
        let mut out = Vec::with_capacity(count);
        let mut batch = String::new();
        for _ in 0..count {
            self.next_host += 1;
            let n = self.next_host;
            assert!(n < 250 * 250, "the lab ran out of service addresses");
            let [_, _, hi, lo] = (n / 250 * 256 + n % 250 + 1).to_be_bytes();
            let v4 = (family != Family::V6).then(|| Ipv4Addr::new(198, 19, hi, lo));
            let v6 = (family != Family::V4)
                .then(|| Ipv6Addr::new(0x2001, 2, 0, 1, 0, 0, 0, u16::try_from(n).unwrap()));
            if let Some(a) = v4 {
                let _ = writeln!(batch, "addr add {a}/32 dev lo");
            }
            if let Some(a) = v6 {
                let _ = writeln!(batch, "addr add {a}/128 dev lo nodad");
            }
            out.push(Service { v4, v6 });
        }
        let azure = self.azure.clone();
        self.ip(&azure, &batch);
        out
    }

    /// Starts a daemon inside `azure`, its output going to a log file; the guard kills it.
    pub(super) fn spawn_in_azure(&mut self, name: &str, program: &Path, args: &[String]) {
        self.spawn_in_azure_env(name, program, args, &[]);
    }

    /// [`Lab::spawn_in_azure`] with extra environment variables.
    pub(super) fn spawn_in_azure_env(
        &mut self,
        name: &str,
        program: &Path,
        args: &[String],
        env: &[(&str, &str)],
    ) {
        let ns = self.azure.clone();
        self.spawn_in(&ns, name, program, args, env);
    }

    /// Starts a daemon inside namespace `ns`, its output in the lab's folder; it is killed (by
    /// pid) when the lab is dropped.
    pub(super) fn spawn_in(
        &mut self,
        ns: &str,
        name: &str,
        program: &Path,
        args: &[String],
        env: &[(&str, &str)],
    ) {
        let log = self.dir.path().join(format!("{name}.out"));
        let file = std::fs::File::create(&log).expect("daemon log");
        let child = self
            .in_ns(ns, program)
            .args(args)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("dup log"))
            .stderr(file)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        self.daemons.push(Daemon {
            name: name.to_owned(),
            child,
            log,
        });
    }

    fn dump_logs(&self) {
        for d in &self.daemons {
            let text = std::fs::read_to_string(&d.log).unwrap_or_default();
            eprintln!(
                "---- lab daemon {} ({}) ----\n{text}",
                d.name,
                d.log.display()
            );
        }
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.dump_logs();
        }
        for d in &mut self.daemons {
            let _ = d.child.kill();
            let _ = d.child.wait();
        }
        for ns in self.created.iter().rev() {
            // Anything still running in a namespace of this lab was started by this lab (a probe
            // cut short, a daemon's child): end it by pid before the namespace goes.
            if let Ok(out) = Command::new(&self.tools.ip)
                .args(["netns", "pids", ns])
                .output()
            {
                for pid in String::from_utf8_lossy(&out.stdout).split_whitespace() {
                    let _ = Command::new(&self.tools.kill).args(["-KILL", pid]).status();
                }
            }
            let del = Command::new(&self.tools.ip)
                .args(["netns", "del", ns])
                .stderr(Stdio::null())
                .status();
            if !del.is_ok_and(|s| s.success()) {
                eprintln!("lab: could not delete namespace {ns}");
            }
        }
    }
}
