#!/bin/sh
# apim-probe through `az vm run-command invoke --command-id RunShellScript` (runs as root).
#
# Gets the binary (a path already on the VM, or a URL you give: your own storage + SAS) into a
# fresh file of its own private folder, checks that file's SHA-256, runs exactly that file as
# `apim-probe check -o compact --report-file DIR/report-<UTC time>.json` with any extra arguments,
# prints the compact report last (Azure returns only the last 4,096 bytes of output; the verdict
# is the last line) and exits with apim-probe's exit code.
#
# Parameters: NAME=VALUE script arguments (what `run-command invoke --parameters` passes), else
# environment variables named NAME (what managed run-command may set) or APIM_PROBE_*.
#   sha256=HEX      APIM_PROBE_SHA256  expected SHA-256 of the binary (required; from SHA256SUMS)
#   url=URL         APIM_PROBE_URL     download the binary from here (curl, else wget), or ...
#   bin=PATH        APIM_PROBE_BIN     ... copy it from this path (default DIR/apim-probe, the one
#                                      an earlier run kept); give url= or bin=, not both
#   dir=FOLDER      APIM_PROBE_DIR     this script's private folder: the binary, reports, stderr
#                                      (default /var/tmp/apim-probe; an absolute path whose parent
#                                      exists)
#   args="..."      APIM_PROBE_ARGS    extra arguments for `check`, split on spaces, never
#                                      glob-expanded, e.g. args="--region westeurope --set sql_server=mysql"
#   format=FORMAT   APIM_PROBE_FORMAT  report format on stdout (default compact); json when the
#                                      output goes to a blob (managed run-command), not cut at 4 KB
#   reference=ED    APIM_PROBE_REFERENCE  the edition of the VNet reference to check against
#                                      (`check --reference`: latest, 2025-06, 2023-11 …)
#
# Safe as root: DIR is created with mode 0700 and must be a real folder of root's alone, in
# folders that no one else can write to (sticky /var/tmp is fine). A DIR that is a symlink, that
# someone else owns, or that group or others may write to is refused (exit 3), never repaired:
# remove it or give another dir=. The binary is copied or downloaded into a new file there; that
# file is hashed, kept as DIR/apim-probe and run, so no one else can swap it in between.
#
# Exit codes: apim-probe's (0 ok, 1 a required dependency failed, 2 usage, 130 interrupted), or
# 3 whenever this script fails (bad parameter, unsafe folder, download failed, SHA-256 mismatch,
# or any other error), with one "ERROR:" line on stdout.
#
# Example:
#   az vm run-command invoke -g RG -n VM --command-id RunShellScript \
#     --scripts @packaging/run-command/linux.sh \
#     --parameters "url=https://ACCOUNT.blob.core.windows.net/tools/apim-probe?SAS" \
#                  "sha256=HEX" "args=--region westeurope"
set -u
umask 077

SHA256="${sha256:-${APIM_PROBE_SHA256:-}}"
URL="${url:-${APIM_PROBE_URL:-}}"
BIN="${bin:-${APIM_PROBE_BIN:-}}"
DIR="${dir:-${APIM_PROBE_DIR:-/var/tmp/apim-probe}}"
ARGS="${args:-${APIM_PROBE_ARGS:-}}"
FORMAT="${format:-${APIM_PROBE_FORMAT:-compact}}"
REFERENCE="${reference:-${APIM_PROBE_REFERENCE:-latest}}"

# Everything goes to stdout: run-command appends stderr after stdout, which would push the
# verdict out of the last 4,096 bytes.
finished=0
tmp=""
fail() { echo "apim-probe run-command: ERROR: $*"; finished=1; exit 3; }
# Every way out passes here: the unfinished download goes, and an exit that no line below chose
# (an unset variable, a signal) is exit 3 too.
# shellcheck disable=SC2317 # called by the trap
on_exit() {
  status=$?
  if [ -n "$tmp" ]; then rm -f -- "$tmp"; fi
  if [ "$finished" != 1 ]; then
    echo "apim-probe run-command: ERROR: stopped unexpectedly (status $status)"
    exit 3
  fi
}
trap on_exit EXIT
trap 'exit 3' HUP INT TERM

for a in "$@"; do
  case "$a" in
    sha256=*) SHA256="${a#sha256=}" ;;
    url=*) URL="${a#url=}" ;;
    bin=*) BIN="${a#bin=}" ;;
    dir=*) DIR="${a#dir=}" ;;
    args=*) ARGS="${a#args=}" ;;
    format=*) FORMAT="${a#format=}" ;;
    reference=*) REFERENCE="${a#reference=}" ;;
    *) fail "unknown parameter '$a' (expected sha256=, url=, bin=, dir=, args=, format=, reference=)" ;;
  esac
done
SHA256=$(printf '%s' "$SHA256" | tr 'A-F' 'a-f')
case "$SHA256" in
  "") fail "sha256= is required (the binary's line in SHA256SUMS)" ;;
  *[!0-9a-f]*) fail "sha256= must be 64 hex digits" ;;
esac
[ "${#SHA256}" -eq 64 ] || fail "sha256= must be 64 hex digits"
if [ -n "$URL" ] && [ -n "$BIN" ]; then
  fail "give url= or bin=, not both (a downloaded binary is kept as DIR/apim-probe)"
fi
if command -v sha256sum >/dev/null 2>&1; then
  sha256_of() { sha256sum "$1" | cut -d' ' -f1; }
elif command -v openssl >/dev/null 2>&1; then
  sha256_of() { openssl dgst -sha256 "$1" | sed 's/.*= *//'; }
else
  fail "neither sha256sum nor openssl to check the binary"
fi

me=$(id -u) || fail "cannot tell who runs this script"

# Sets `uid` and `mode` from `ls -ldn` of a path (empty when it cannot be read).
stat_of() {
  uid=""; mode=""
  line=$(ls -ldn -- "$1" 2>/dev/null) || return 0
  set -f
  # shellcheck disable=SC2086 # split into ls's fields on purpose, never glob-expanded
  set -- $line
  set +f
  mode=${1:-}; uid=${3:-}
}

# A folder that no one but root (or this script's user) can change: each folder above DIR.
# Others may write to a sticky one (/var/tmp): there they cannot rename or remove our entries.
check_above() {
  p=$1
  while :; do
    stat_of "$p"
    case "$uid" in 0 | "$me") ;; *) fail "$p belongs to uid ${uid:-?}: dir= must be in folders of root's" ;; esac
    case "$mode" in
      ?????????[tT]*) ;;
      ?????w* | ????????w*) fail "$p may be written by others (mode $mode): choose another dir=" ;;
    esac
    [ "$p" = / ] && break
    p=$(dirname -- "$p")
  done
}

# DIR itself: created 0700 by us, or already a real folder of ours that no one else may write.
private_dir() {
  case "$DIR" in /*) ;; *) fail "dir= must be an absolute path: $DIR" ;; esac
  name=$(basename -- "$DIR")
  case "$name" in / | . | ..) fail "dir= must name a folder of its own: $DIR" ;; esac
  parent=$(cd -P -- "$(dirname -- "$DIR")" 2>/dev/null && pwd -P) ||
    fail "dir=: $(dirname -- "$DIR") does not exist"
  check_above "$parent"
  DIR="${parent%/}/$name"
  if [ ! -e "$DIR" ] && [ ! -L "$DIR" ]; then
    # No -p: a folder that appears in between is checked below like any other.
    mkdir -m 0700 -- "$DIR" 2>/dev/null
  fi
  if [ -L "$DIR" ]; then fail "$DIR is a symlink: refused (remove it, or give another dir=)"; fi
  [ -d "$DIR" ] || fail "$DIR is not a folder (remove it, or give another dir=)"
  stat_of "$DIR"
  if [ "$uid" != "$me" ]; then
    fail "$DIR belongs to uid ${uid:-?}, not to this script's user ($me): refused (remove it, or give another dir=)"
  fi
  case "$mode" in
    ?????w* | ????????w*) fail "$DIR may be written by others (mode $mode): refused (remove it, or give another dir=)" ;;
  esac
  chmod 0700 "$DIR" || fail "cannot make $DIR private"
}
private_dir

download() {
  if command -v curl >/dev/null 2>&1; then
    curl -fsS --retry 2 --connect-timeout 15 --max-time 300 -o "$2" "$1"
  elif command -v wget >/dev/null 2>&1; then
    wget -q -T 60 -t 2 -O "$2" "$1"
  else
    echo "neither curl nor wget; copy the binary to the VM and pass bin=" >&2; return 1
  fi
}

# A new file that only root can reach: the one hashed, kept and run.
tmp=$(mktemp "$DIR/.apim-probe.XXXXXX") || fail "cannot create a file in $DIR"
if [ -n "$URL" ]; then
  # The URL may carry a SAS token: it is never printed.
  if ! download "$URL" "$tmp" 2>"$DIR/download.err"; then
    fail "download failed: $(head -c 200 "$DIR/download.err")"
  fi
  rm -f -- "$DIR/download.err"
  from="the download"
else
  src="${BIN:-$DIR/apim-probe}"
  [ -f "$src" ] || fail "no binary at $src (give url=, or copy it there and give bin=)"
  cp -- "$src" "$tmp" || fail "cannot copy $src"
  from="$src"
fi
got=$(sha256_of "$tmp")
[ "$got" = "$SHA256" ] || fail "SHA-256 mismatch: $from has $got, expected $SHA256; not run"
chmod 0700 "$tmp" || fail "cannot make the binary executable"
exe="$DIR/apim-probe"
# A rename inside DIR: the same file, now under its kept name.
mv -f -- "$tmp" "$exe" || fail "cannot keep the binary as $exe"
tmp=""

stamp=$(date -u +%Y%m%dT%H%M%SZ)
report="$DIR/report-$stamp.json"
out="$DIR/output-$stamp.txt"
err="$DIR/stderr-$stamp.txt"
echo "apim-probe run-command: $exe sha256 ok; full report: $report"
# ARGS is split on spaces on purpose, and never glob-expanded (set -f): `*` arrives as `*`.
set -f
# shellcheck disable=SC2086
"$exe" check -o "$FORMAT" --report-file "$report" --reference "$REFERENCE" $ARGS >"$out" 2>"$err"
code=$?
set +f
# stderr first (its last lines only), then the report, so the verdict is the last line.
if [ -s "$err" ]; then tail -n 5 "$err" | cut -c1-200; else rm -f -- "$err"; fi
cat "$out"
finished=1
exit "$code"
