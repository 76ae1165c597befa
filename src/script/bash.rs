//! The bash script: each check is `timeout T bash -c 'exec 3<>/dev/tcp/HOST/PORT'` in a
//! background job, at most `P` at once (`wait -n`, or whole batches on a bash without it).
//!
//! What the shell can tell apart: exit status 124 of `timeout` is a `timeout`; bash's message
//! names the cause otherwise — "Connection refused" (`refused`), a resolver message such as "Name
//! or service not known" (`dns_failed`), "No route to host" / "Network is unreachable" /
//! "Permission denied" (`unreachable`); anything else is `error` with bash's words.
//!
//! What it cannot: Linux treats an ICMP unreachable answering a SYN as a soft error and keeps
//! retrying, so a blocking `connect()` sees it only when it gives up. `check` reads the socket's
//! error queue and reports `unreachable` at once; this script reports `timeout` (and says that
//! an ICMP error is possible). A local route (`unreachable`, `prohibit`) fails at once, as here.

use std::fmt::Write as _;

use super::parts::{ScriptSettings, Targets, header, secs, sh_quote};

/// The fixed part after the data: checks, then one line per failure, counts, verdict last.
const BODY: &str = r#"
if ! command -v timeout >/dev/null 2>&1; then
  echo "VERDICT: ERROR - the timeout command (coreutils) is missing: the checks cannot be bounded"
  exit 2
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/apim-probe.XXXXXX") || {
  echo "VERDICT: ERROR - cannot create a temporary folder"
  exit 2
}
trap 'rm -rf "$dir"' EXIT

# probe INDEX HOST PORT: writes "status<TAB>detail" to $dir/INDEX.
probe() {
  local err rc st detail why
  # The host and port are arguments of the inner bash, never part of its code.
  err=$(timeout "$T" "${BASH:-bash}" -c 'exec 3<>"/dev/tcp/$1/$2"' apim-probe "$2" "$3" 2>&1 >/dev/null)
  rc=$?
  # bash says "...: connect: Connection refused" then "...: /dev/tcp/...": the first line says why.
  why=${err%%$'\n'*}
  why=${why##*: }
  if [ "$rc" -eq 0 ]; then
    st=ok detail=""
  elif [ "$rc" -eq 124 ]; then
    st=timeout detail="no answer within $T (silently dropped, or an ICMP unreachable: bash cannot tell)"
  else
    case "$err" in
      *"Connection refused"*) st=refused detail="TCP reset: nothing listens, or a firewall rejects with a reset" ;;
      *"not known"* | *"name resolution"* | *"No address"* | *"nodename nor servname"* | *"Unknown host"*)
        st=dns_failed detail="the name did not resolve: $why" ;;
      *"No route to host"* | *"Network is unreachable"* | *"Permission denied"* | *"unreachable"*)
        st=unreachable detail="$why (ICMP unreachable, a reject, or no route)" ;;
      *) st=error detail="exit $rc: ${err//$'\n'/ }" ;;
    esac
  fi
  printf '%s\t%s\n' "$st" "$detail" >"$dir/$1"
}

echo "apim-probe script (TCP ONLY: no TLS/HTTP/protocol checks, UDP not checked): ${#ID[@]} TCP check(s)"
running=0
for i in "${!ID[@]}"; do
  probe "$i" "${HOST[$i]}" "${PORT[$i]}" &
  running=$((running + 1))
  if [ "$running" -ge "$P" ]; then
    if wait -n 2>/dev/null; then running=$((running - 1)); else wait; running=0; fi
  fi
done
wait

ok=0 failed=0 freq=0 fopt=0 ids=""
for i in "${!ID[@]}"; do
  st=error detail="no result"
  [ -r "$dir/$i" ] && IFS=$'\t' read -r st detail <"$dir/$i"
  if [ "$st" = ok ]; then ok=$((ok + 1)); continue; fi
  failed=$((failed + 1))
  if [ "${REQ[$i]}" = 1 ]; then
    freq=$((freq + 1)) tag=FAIL
    case " $ids " in *" ${ID[$i]} "*) ;; *) ids="$ids ${ID[$i]}" ;; esac
  else
    fopt=$((fopt + 1)) tag=WARN
  fi
  printf '%s %s %s:%s/tcp %s: %s\n' "$tag" "${ID[$i]}" "${HOST[$i]}" "${PORT[$i]}" "$st" "$detail"
done
echo "TCP only: ${#ID[@]} checked: $ok ok, $failed failed ($freq required); $UDP UDP not checked; $SKIPPED skipped"
if [ "$freq" -eq 0 ]; then
  echo "VERDICT: PASS - every required dependency checked is reachable over TCP; $fopt optional failure(s) (TCP only)"
  exit 0
fi
ids=${ids# }
echo "VERDICT: FAIL - $freq required probe(s) failed: ${ids// /, }; $fopt optional failure(s) (TCP only)"
exit 1
"#;

/// The bash script for these targets.
pub fn render(t: &Targets, s: &ScriptSettings) -> String {
    let mut out = String::from("#!/usr/bin/env bash\n");
    for line in header(
        t,
        s,
        "for resolve and connect together",
        "bash script.sh (as any user; needs bash 4+ and timeout from coreutils)",
    ) {
        let _ = writeln!(out, "{}", format!("# {line}").trim_end());
    }
    let _ = write!(
        out,
        "\nT={}\nP={}\nUDP={}\nSKIPPED={}\n\
         ID=() REQ=() HOST=() PORT=()\n\
         add() {{ ID+=(\"$1\"); REQ+=(\"$2\"); HOST+=(\"$3\"); PORT+=(\"$4\"); }}\n\
         # add ID REQUIRED HOST PORT\n",
        sh_quote(&secs(s.timeout)),
        s.parallel.max(1),
        t.udp.len(),
        t.skipped.len()
    );
    for x in &t.tcp {
        let _ = writeln!(
            out,
            "add {} {} {} {}",
            sh_quote(&x.id),
            u8::from(x.required),
            sh_quote(&x.host),
            x.port
        );
    }
    out.push_str(BODY);
    out
}
