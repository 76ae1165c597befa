//! What this machine's kernel says of the route to one address (`ip route get ADDR`): the
//! evidence behind "this machine's own routes refuse", read once per run for one failing
//! address. A missing `ip`, or one that hangs, is said in words, never a failure of the run.

use std::io::Read;
use std::net::IpAddr;
use std::process::{Command, Stdio};
use std::time::Duration;

/// How long `ip route get` may take (it asks the kernel over netlink: milliseconds).
const LIMIT: Duration = Duration::from_secs(2);
/// How often its end is polled.
const POLL: Duration = Duration::from_millis(20);

/// `` `ip route get ADDR`: <what it printed> ``, or why it could not be asked.
pub fn route_get(addr: IpAddr) -> String {
    let asked = format!("`ip route get {addr}`");
    let child = Command::new("ip")
        .args(["route", "get", &addr.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => return format!("{asked} could not be run ({e}): is iproute2 installed?"),
    };
    // Bounded: at most LIMIT / POLL polls, then the child is killed.
    let polls = LIMIT.as_millis() / POLL.as_millis();
    for _ in 0..polls {
        match child.try_wait() {
            Ok(Some(_)) => {
                let mut out = String::new();
                if let Some(mut o) = child.stdout.take() {
                    let _ = o.read_to_string(&mut out);
                }
                if let Some(mut e) = child.stderr.take() {
                    let _ = e.read_to_string(&mut out);
                }
                let said = out.split_whitespace().collect::<Vec<_>>().join(" ");
                return format!("{asked} says: {said}");
            }
            Ok(None) => std::thread::sleep(POLL),
            Err(e) => return format!("{asked} failed: {e}"),
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    format!("{asked} did not answer within {} s", LIMIT.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_route_to_loopback_is_told_or_the_missing_tool_is_said() {
        let said = route_get(IpAddr::from([127, 0, 0, 1]));
        assert!(said.starts_with("`ip route get 127.0.0.1`"), "{said}");
        assert!(
            said.contains("local 127.0.0.1") || said.contains("could not be run"),
            "{said}"
        );
    }
}
