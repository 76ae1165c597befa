#!/usr/bin/env bash
# Fuzz smoke for CI: builds every cargo-fuzz target and runs each one briefly from its seed corpus
# (fuzz/corpus/<target>), so a decoder that panics on a known input, a hang, or a target that no
# longer builds fails the run. Long runs are by hand: `cargo +nightly fuzz run <target>`.
#
# The seeds are read, never written: new inputs go to a scratch directory. Without a sanitizer:
# the code is safe Rust, what is looked for is a panic or a hang, and the build is much shorter.
# FUZZ_SMOKE_RUNS / FUZZ_SMOKE_SECONDS bound each target (whichever comes first).
set -euo pipefail
cd "$(dirname "$0")/.."

runs="${FUZZ_SMOKE_RUNS:-20000}"
seconds="${FUZZ_SMOKE_SECONDS:-10}"

# cargo-fuzz needs a nightly toolchain (-Z flags for the coverage instrumentation).
if ! rustup run nightly rustc --version >/dev/null 2>&1; then
    rustup toolchain install nightly --profile minimal
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

# The options go before the target and libFuzzer's own arguments.
fuzz() { cargo +nightly fuzz "$1" --sanitizer none "${@:2}"; }

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

start=$SECONDS
fuzz build
echo "fuzz build: $((SECONDS - start))s"
for target in $(cargo +nightly fuzz list); do
    mkdir -p "$scratch/$target"
    t0=$SECONDS
    if ! fuzz run "$target" "$scratch/$target" "fuzz/corpus/$target" -- \
        -runs="$runs" -max_total_time="$seconds" -timeout=10 >"$scratch/$target.log" 2>&1; then
        cat "$scratch/$target.log"
        echo "fuzz smoke: $target FAILED (the input is in fuzz/artifacts/$target/)" >&2
        exit 1
    fi
    echo "fuzz $target: $(grep -E '^Done' "$scratch/$target.log" | tail -1) ($((SECONDS - t0))s)"
done
echo "fuzz smoke: all targets passed in $((SECONDS - start))s"
