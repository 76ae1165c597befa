//! What the lab needs from the machine, and what happens when it is missing: a loud skip, or a
//! failure under `CI=true`.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// Full paths of the programs the lab drives.
#[derive(Debug)]
pub struct Tools {
    pub ip: PathBuf,
    pub nft: PathBuf,
    pub dnsmasq: PathBuf,
    pub nginx: PathBuf,
    pub chronyd: PathBuf,
    pub smbd: PathBuf,
    pub openssl: PathBuf,
    pub sysctl: PathBuf,
    pub ss: PathBuf,
    pub kill: PathBuf,
}

/// Finds a program on PATH or in the sbin folders (root's PATH may lack them under `cargo test`).
fn find(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/bin", "/bin"].map(PathBuf::from))
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

fn effective_uid() -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    line.split_whitespace().nth(2)?.parse().ok()
}

pub(super) fn prerequisites() -> Result<&'static Tools, String> {
    static TOOLS: OnceLock<Result<Tools, String>> = OnceLock::new();
    TOOLS
        .get_or_init(|| {
            if !cfg!(target_os = "linux") {
                return Err("the lab needs Linux network namespaces".into());
            }
            match effective_uid() {
                Some(0) => {}
                Some(uid) => return Err(format!("the lab needs root (running as uid {uid})")),
                None => return Err("cannot read the effective uid from /proc/self/status".into()),
            }
            let need = |name: &str, package: &str| {
                find(name)
                    .ok_or_else(|| format!("`{name}` not found (apt-get install -y {package})"))
            };
            let tools = Tools {
                ip: need("ip", "iproute2")?,
                nft: need("nft", "nftables")?,
                dnsmasq: need("dnsmasq", "dnsmasq")?,
                nginx: need("nginx", "nginx")?,
                chronyd: need("chronyd", "chrony")?,
                smbd: need("smbd", "samba")?,
                openssl: need("openssl", "openssl")?,
                sysctl: need("sysctl", "procps")?,
                ss: need("ss", "iproute2")?,
                kill: need("kill", "procps")?,
            };
            let netns = Command::new(&tools.ip).args(["netns", "list"]).output();
            match netns {
                Ok(o) if o.status.success() => Ok(tools),
                Ok(o) => Err(format!(
                    "`ip netns list` failed: {}",
                    String::from_utf8_lossy(&o.stderr).trim()
                )),
                Err(e) => Err(format!("cannot run `ip netns list`: {e}")),
            }
        })
        .as_ref()
        .map_err(Clone::clone)
}

pub use crate::common::prereq::under_ci;

/// The lab cannot be built here: skipped loudly, or a failure under CI.
pub(super) fn skip(why: &str) {
    crate::common::prereq::missing("LAB", why);
}
