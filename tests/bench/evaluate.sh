#!/usr/bin/env bash
# The benchmarks of `apim-probe evaluate` on Public-cloud-sized inputs (no network, no root):
# a synthetic 4 MB service-tag file (~3,000 tags, ~90,000 prefixes) and a 500-rule NSG, made by
# examples/evaluate_bench.rs from a seeded generator. Prints a table of each step's best and
# median time, and the release binary run as a user would run it.
#
#   tests/bench/evaluate.sh [RUNS]                              (default 5)
#   APIM_PROBE_BIN=path/to/apim-probe tests/bench/evaluate.sh   (time that binary, skip its build)
#
# The goal (≤ 300 ms for the whole evaluation) is read from this table, never asserted in tests.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
if [[ -z ${APIM_PROBE_BIN:-} ]]; then
  echo "bench: building the release binary" >&2
  cargo build --release --quiet
fi
cargo run --release --quiet --example evaluate_bench -- "${1:-5}"
cargo run --release --quiet --example preflight_bench -- "${1:-5}"
