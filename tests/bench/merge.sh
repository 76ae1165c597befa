#!/usr/bin/env bash
# The benchmark of `apim-probe merge`: N generated reports of R rows each (default 1,000 × 90,
# made from tests/fixtures/report-sample.json: a realistic row with facts, hints and a TLS
# chain, repeated with other ids and hosts; each VM fails a few rows of its own) merged in every
# format. Prints a table: format, reports, rows, wall time, CPU time (user + system: what the
# work costs whatever else the machine runs; merge reads on every core), peak RSS, output size,
# and the load average it ran under. Timing goals are read from this table, never asserted in tests.
#
#   tests/bench/merge.sh [N] [R]
#   APIM_PROBE_BIN=path/to/apim-probe tests/bench/merge.sh …   (use a built binary, skip the build)
#
# Needs python3 and GNU time (/usr/bin/time; installed when missing and run as root). No network.
set -euo pipefail

N=${1:-1000}
R=${2:-90}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${APIM_PROBE_BIN:-$ROOT/target/release/apim-probe}
if [[ ! -x /usr/bin/time ]]; then
  [[ $(id -u) -eq 0 ]] || { echo "bench: needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
fi
if [[ -z ${APIM_PROBE_BIN:-} ]]; then
  echo "bench: building the release binary" >&2
  (cd "$ROOT" && cargo build --release --quiet)
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/apim-merge-bench-XXXXXX")
trap 'rm -rf "$WORK"' EXIT

python3 - "$ROOT/tests/fixtures/report-sample.json" "$WORK/reports" "$N" "$R" <<'PY'
import copy, json, pathlib, random, sys
sample, out, n, rows = json.load(open(sys.argv[1])), pathlib.Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
out.mkdir()
rng = random.Random(16)
base = sample["results"]
results = []
for i in range(rows):
    e = copy.deepcopy(base[i % len(base)])
    e["id"] = f"{e['id']}-{i // len(base)}"
    if e.get("host"):
        e["host"] = f"h{i}.{e['host']}"
    results.append(e)
failures = ["timeout", "refused", "dns_failed", "unreachable"]
for v in range(n):
    r = copy.deepcopy(sample)
    r["results"] = copy.deepcopy(results)
    name = f"vm-{v:04d}"
    r["host"]["hostname"] = name
    r["host"]["azure"]["name"] = name
    r["host"]["azure"]["subnets"] = [f"10.{v // 256}.{v % 256}.0/24"]
    for e in rng.sample(r["results"], 3):
        e["status"] = rng.choice(failures)
    (out / f"{name}.json").write_text(json.dumps(r, indent=2))
PY

size=$(du -sh "$WORK/reports" | cut -f1)
echo "bench: $N reports of $R rows ($size of JSON) in $WORK/reports" >&2
# Warm the page cache so the first row does not pay for the disk.
cat "$WORK"/reports/*.json >/dev/null

echo "bench: load average $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs" >&2
printf '%-10s %8s %6s %10s %9s %10s %12s\n' format reports rows "wall (s)" "CPU (s)" "RSS (MB)" "output (MB)"
for format in table json markdown html; do
  code=0
  /usr/bin/time -f '%e %U %S %M' -o "$WORK/time" "$BIN" merge -o "$format" "$WORK/reports" >"$WORK/out" || code=$?
  [[ $code -le 1 ]] || { echo "bench: merge failed ($code)" >&2; exit 1; }
  read -r wall user sys rss < <(tail -n 1 "$WORK/time")
  cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
  out_mb=$(awk -v b="$(stat -c %s "$WORK/out")" 'BEGIN { printf "%.1f", b / 1048576 }')
  printf '%-10s %8s %6s %10s %9s %10s %12s\n' "$format" "$N" "$R" "$wall" "$cpu" "$((rss / 1024))" "$out_mb"
done
