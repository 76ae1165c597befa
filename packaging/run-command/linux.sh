#!/bin/sh
# apim-probe through `az vm run-command invoke --command-id RunShellScript` (runs as root).
#
# Gets the binary (a path already on the VM, or a URL you give: your own storage + SAS), checks
# its SHA-256, runs `apim-probe check -o compact --report-file DIR/report-<UTC time>.json` with
# any extra arguments, prints the compact report last (Azure returns only the last 4,096 bytes of
# output; the verdict is the last line) and exits with apim-probe's exit code.
#
# Parameters: NAME=VALUE script arguments (what `run-command invoke --parameters` passes), else
# environment variables named NAME (what managed run-command may set) or APIM_PROBE_*.
#   sha256=HEX      APIM_PROBE_SHA256  expected SHA-256 of the binary (required; from SHA256SUMS)
#   url=URL         APIM_PROBE_URL     download the binary from here (curl, else wget) ...
#   bin=PATH        APIM_PROBE_BIN     ... to this path, or run the binary already there
#                                      (default /var/tmp/apim-probe/apim-probe)
#   dir=FOLDER      APIM_PROBE_DIR     where reports (and stderr) are kept (default /var/tmp/apim-probe)
#   args="..."      APIM_PROBE_ARGS    extra arguments for `check`, split on spaces,
#                                      e.g. args="--region westeurope --set sql_server=mysql"
#   format=FORMAT   APIM_PROBE_FORMAT  report format on stdout (default compact); json when the
#                                      output goes to a blob (managed run-command), not cut at 4 KB
#
# Exit codes: apim-probe's (0 ok, 1 a required dependency failed, 2 usage, 130 interrupted), or
# 3 when this script could not run it (bad parameter, download failed, SHA-256 mismatch).
#
# Example:
#   az vm run-command invoke -g RG -n VM --command-id RunShellScript \
#     --scripts @packaging/run-command/linux.sh \
#     --parameters "url=https://ACCOUNT.blob.core.windows.net/tools/apim-probe?SAS" \
#                  "sha256=HEX" "args=--region westeurope"
set -u

SHA256="${sha256:-${APIM_PROBE_SHA256:-}}"
URL="${url:-${APIM_PROBE_URL:-}}"
BIN="${bin:-${APIM_PROBE_BIN:-}}"
DIR="${dir:-${APIM_PROBE_DIR:-/var/tmp/apim-probe}}"
ARGS="${args:-${APIM_PROBE_ARGS:-}}"
FORMAT="${format:-${APIM_PROBE_FORMAT:-compact}}"

# Everything goes to stdout: run-command appends stderr after stdout, which would push the
# verdict out of the last 4,096 bytes.
fail() { echo "apim-probe run-command: ERROR: $*"; exit 3; }

for a in "$@"; do
  case "$a" in
    sha256=*) SHA256="${a#sha256=}" ;;
    url=*) URL="${a#url=}" ;;
    bin=*) BIN="${a#bin=}" ;;
    dir=*) DIR="${a#dir=}" ;;
    args=*) ARGS="${a#args=}" ;;
    format=*) FORMAT="${a#format=}" ;;
    *) fail "unknown parameter '$a' (expected sha256=, url=, bin=, dir=, args=, format=)" ;;
  esac
done
[ -n "$BIN" ] || BIN="$DIR/apim-probe"
SHA256=$(printf '%s' "$SHA256" | tr 'A-F' 'a-f')
case "$SHA256" in
  "") fail "sha256= is required (the binary's line in SHA256SUMS)" ;;
  *[!0-9a-f]*) fail "sha256= must be 64 hex digits" ;;
esac
[ "${#SHA256}" -eq 64 ] || fail "sha256= must be 64 hex digits"

mkdir -p "$DIR" || fail "cannot create $DIR"
chmod 0700 "$DIR" 2>/dev/null

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1
  elif command -v openssl >/dev/null 2>&1; then openssl dgst -sha256 "$1" | sed 's/.*= *//'
  else fail "neither sha256sum nor openssl to check the binary"; fi
}

download() {
  if command -v curl >/dev/null 2>&1; then
    curl -fsS --retry 2 --connect-timeout 15 --max-time 300 -o "$2" "$1"
  elif command -v wget >/dev/null 2>&1; then
    wget -q -T 60 -t 2 -O "$2" "$1"
  else
    echo "neither curl nor wget; copy the binary to $BIN and pass bin=" >&2; return 1
  fi
}

if [ -n "$URL" ]; then
  tmp="$BIN.download.$$"
  mkdir -p "$(dirname "$BIN")" || fail "cannot create $(dirname "$BIN")"
  # The URL may carry a SAS token: it is never printed.
  if ! download "$URL" "$tmp" 2>"$DIR/download.err"; then
    rm -f "$tmp"; fail "download failed: $(head -c 200 "$DIR/download.err")"
  fi
  got=$(sha256_of "$tmp")
  [ "$got" = "$SHA256" ] || { rm -f "$tmp"; fail "SHA-256 mismatch: downloaded $got, expected $SHA256; not run"; }
  mv -f "$tmp" "$BIN" || fail "cannot write $BIN"
fi
[ -f "$BIN" ] || fail "no binary at $BIN (give url= or copy it there)"
got=$(sha256_of "$BIN")
[ "$got" = "$SHA256" ] || fail "SHA-256 mismatch: $BIN has $got, expected $SHA256; not run"
chmod 0755 "$BIN" || fail "cannot make $BIN executable"

stamp=$(date -u +%Y%m%dT%H%M%SZ)
report="$DIR/report-$stamp.json"
out="$DIR/output-$stamp.txt"
err="$DIR/stderr-$stamp.txt"
echo "apim-probe run-command: $BIN sha256 ok; full report: $report"
# shellcheck disable=SC2086 # ARGS is split on spaces on purpose
"$BIN" check -o "$FORMAT" --report-file "$report" $ARGS >"$out" 2>"$err"
code=$?
# stderr first (its last lines only), then the report, so the verdict is the last line.
if [ -s "$err" ]; then tail -n 5 "$err" | cut -c1-200; else rm -f "$err"; fi
cat "$out"
exit "$code"
