#!/usr/bin/env bash
# apim-probe on many Azure VMs through `az vm run-command`, then one matrix (`apim-probe merge`).
#
# Chooses the VMs by resource group, tag or id; runs packaging/run-command/linux.sh (or
# windows.ps1, by the VM's OS type) on each, a few at a time; keeps what each VM returned in a
# file named after its VM id; merges them. Run-command needs no SSH and no open port on the VMs.
#
#   run-command.sh (-g RG | --tag KEY=VALUE | --ids ID...) --sha256 HEX [--url URL | --bin PATH]
#                  [--windows-sha256 HEX [--windows-url URL | --windows-bin PATH]]
#                  [--args "check arguments"] [--reference EDITION] [--parallel N] [--timeout SECONDS]
#                  [--storage-container URL?SAS] [--out DIR] [--apim-probe PATH]
#                  [-o table|markdown|json|html] [--dry-run]
#
#   -g, --resource-group RG  every VM of the group (with --tag: those with the tag)
#   --tag KEY=VALUE          every VM of the subscription with this tag
#   --ids ID...              these VMs (ARM ids), up to the next option
#   --sha256, --url, --bin   the Linux binary, as linux.sh takes them (sha256=, url=, bin=)
#   --windows-*              the same for Windows VMs (windows.ps1's Sha256, Url, Bin)
#   --args "..."             extra arguments for `check` (linux.sh args=, windows.ps1 ProbeArgs)
#   --reference EDITION      the edition of the VNet reference every VM checks against
#                            (linux.sh reference=, windows.ps1 Reference; default latest)
#   --parallel N             VMs at once (default 8)
#   --timeout SECONDS        per VM (default 900); a VM that takes longer is kept as timed out
#   --storage-container URL  a blob container with a SAS that may create, write and read:
#                            managed run-command (`az vm run-command create --output-blob-uri`)
#                            writes each VM's whole JSON report there (no 4 KB limit), read back
#                            with `az storage blob download`. Without it: `az vm run-command
#                            invoke`, which returns only the last 4,096 bytes of output (the
#                            compact report; the full one stays on the VM).
#   --out DIR                where results go (default ./apim-probe-fleet-<UTC time>)
#   --apim-probe PATH        the apim-probe that merges (default: apim-probe on PATH)
#   -o FORMAT                merge's output on stdout (default table); merge.json and
#                            merge.html are always written to DIR
#   --dry-run                list the VMs (read only), then print every command it would run
#
# `invoke` is called once per VM: with several --ids it returns the results out of order and
# without VM ids. A timed-out VM may still be running the script: Azure runs one run-command at
# a time per VM, so wait before the next run. SAS tokens are never printed (`?<SAS>`).
#
# Exit codes: merge's (0 every VM passes, 1 a VM has a required failure or no verdict, 2 bad
# input), or 2 for a bad option here.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
SCRIPTS=$(cd "$HERE/../run-command" && pwd)
RG="" TAG="" IDS=() SHA="" URL="" BIN="" WSHA="" WURL="" WBIN="" ARGS="" REFERENCE="" PARALLEL=8 TIMEOUT=900
CONTAINER="" OUT="" PROBE=apim-probe FORMAT=table DRY=0

die() { echo "run-command.sh: $*" >&2; exit 2; }
need() { [[ $# -ge 2 && -n $2 ]] || die "$1 needs a value"; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    -g | --resource-group) need "$@"; RG=$2; shift 2 ;;
    --tag) need "$@"; TAG=$2; shift 2 ;;
    --ids) shift; while [[ $# -gt 0 && $1 != -* ]]; do IDS+=("$1"); shift; done ;;
    --sha256) need "$@"; SHA=$2; shift 2 ;;
    --url) need "$@"; URL=$2; shift 2 ;;
    --bin) need "$@"; BIN=$2; shift 2 ;;
    --windows-sha256) need "$@"; WSHA=$2; shift 2 ;;
    --windows-url) need "$@"; WURL=$2; shift 2 ;;
    --windows-bin) need "$@"; WBIN=$2; shift 2 ;;
    --args) need "$@"; ARGS=$2; shift 2 ;;
    --reference) need "$@"; REFERENCE=$2; shift 2 ;;
    --parallel) need "$@"; PARALLEL=$2; shift 2 ;;
    --timeout) need "$@"; TIMEOUT=$2; shift 2 ;;
    --storage-container) need "$@"; CONTAINER=$2; shift 2 ;;
    --out) need "$@"; OUT=$2; shift 2 ;;
    --apim-probe) need "$@"; PROBE=$2; shift 2 ;;
    -o | --output) need "$@"; FORMAT=$2; shift 2 ;;
    --dry-run) DRY=1; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (--help lists them)" ;;
  esac
done
[[ -n $RG || -n $TAG || ${#IDS[@]} -gt 0 ]] || die "choose VMs: -g RG, --tag KEY=VALUE or --ids ID..."
[[ ${#IDS[@]} -eq 0 || (-z $RG && -z $TAG) ]] || die "--ids cannot be combined with -g or --tag"
[[ -n $SHA || -n $WSHA ]] || die "--sha256 (Linux) or --windows-sha256 is required"
[[ $PARALLEL =~ ^[1-9][0-9]*$ ]] || die "--parallel must be a positive number"
[[ $TIMEOUT =~ ^[1-9][0-9]*$ ]] || die "--timeout must be a number of seconds"
case "$FORMAT" in table | markdown | json | html) ;; *) die "-o must be table, markdown, json or html" ;; esac
if [[ -n $TAG ]]; then
  [[ $TAG == *=* ]] || die "--tag must be KEY=VALUE"
  # The tag goes into a JMESPath query: no quotes or backslashes that could end it.
  [[ $TAG != *[\'\"\\\`]* ]] || die "--tag must not contain quotes or backslashes"
fi
if [[ -n $CONTAINER ]]; then
  [[ $CONTAINER == https://*\?* ]] || die "--storage-container must be https://ACCOUNT.blob.core.windows.net/CONTAINER?SAS"
fi
OUT=${OUT:-./apim-probe-fleet-$(date -u +%Y%m%dT%H%M%SZ)}
exec 3>&1
STAMP=$(date -u +%Y%m%d%H%M%S)

# A command as it would be typed, SAS tokens (a URL's query) hidden.
show() {
  local out="" w
  for w in "$@"; do out+="$(printf '%q' "$w" | sed -E 's#(https?://[^?]*)\?[^ ]*#\1?<SAS>#g') "; done
  echo "${out% }"
}

# id, name, OS type and region of each chosen VM, tab-separated, one per line.
list_vms() {
  local query="[].[id, name, storageProfile.osDisk.osType, location]"
  if [[ -n $TAG ]]; then
    query="[?tags.\"${TAG%%=*}\"=='${TAG#*=}'].[id, name, storageProfile.osDisk.osType, location]"
  fi
  if [[ ${#IDS[@]} -gt 0 ]]; then
    local id
    for id in "${IDS[@]}"; do
      az vm show --ids "$id" --query "[[id, name, storageProfile.osDisk.osType, location]]" -o tsv
    done
  elif [[ -n $RG ]]; then
    az vm list -g "$RG" --query "$query" -o tsv
  else
    az vm list --query "$query" -o tsv
  fi
}

# The file name of a VM's results: its id, lowercase, `/` as `_` (subscription_group_name).
file_of() {
  printf '%s' "$1" | tr '[:upper:]' '[:lower:]' |
    sed -E 's#^/subscriptions/##; s#/resourcegroups/#_#; s#/providers/microsoft\.compute/virtualmachines/#_#; s#[^a-z0-9._-]#_#g'
}

# The blob URL of `name` in the container: the name before the SAS query.
blob_of() { printf '%s/%s?%s' "${CONTAINER%%\?*}" "$1" "${CONTAINER#*\?}"; }

# run-command's script, its command id and its parameters for an OS type (sets SCRIPT, CID, PARAMS).
plan_for() {
  local format=compact
  [[ -n $CONTAINER ]] && format=json
  if [[ ${1,,} == windows ]]; then
    SCRIPT="$SCRIPTS/windows.ps1" CID=RunPowerShellScript
    PARAMS=("Sha256=$WSHA" "Format=$format")
    [[ -n $WURL ]] && PARAMS+=("Url=$WURL")
    [[ -n $WBIN ]] && PARAMS+=("Bin=$WBIN")
    [[ -n $ARGS ]] && PARAMS+=("ProbeArgs=$ARGS")
    [[ -n $REFERENCE ]] && PARAMS+=("Reference=$REFERENCE")
  else
    SCRIPT="$SCRIPTS/linux.sh" CID=RunShellScript
    PARAMS=("sha256=$SHA" "format=$format")
    [[ -n $URL ]] && PARAMS+=("url=$URL")
    [[ -n $BIN ]] && PARAMS+=("bin=$BIN")
    [[ -n $ARGS ]] && PARAMS+=("args=$ARGS")
    [[ -n $REFERENCE ]] && PARAMS+=("reference=$REFERENCE")
  fi
  return 0
}

# Runs a command bounded by --timeout (124 when it ran out), or prints it under --dry-run (on
# the script's own stdout, fd 3: the command's output is redirected to a file).
run() {
  if [[ $DRY == 1 ]]; then show "$@" >&3; return 0; fi
  timeout -k 10 "$TIMEOUT" "$@"
}

# Where a command's output goes: the file, or nowhere under --dry-run.
to() { if [[ $DRY == 1 ]]; then echo /dev/null; else echo "$1"; fi; }

# The per-VM file merge reads (apim-probe/run-command/v1). Every value in it was checked to hold
# only characters of Azure ids and names, so it needs no escaping; az's answers stay in files
# beside it, which merge reads leniently.
envelope() {
  local file=$1 mode=$2 extra=$3
  printf '{"schema":"apim-probe/run-command/v1","vm":{"id":"%s","name":"%s","os":"%s","location":"%s"},"mode":"%s"%s}\n' \
    "$ID" "$NAME" "$OS" "$LOC" "$mode" "$extra" >"$file"
}

# One VM, start to end: its results are DIR/vms/<file>.json and files beside it.
one_vm() {
  ID=$1 NAME=$2 OS=$3 LOC=$4
  local f; f=$(file_of "$ID")
  local base="$OUT/vms/$f" code=0
  plan_for "$OS"
  if [[ -z $CONTAINER ]]; then
    run az vm run-command invoke --ids "$ID" --command-id "$CID" --scripts "@$SCRIPT" \
      --parameters "${PARAMS[@]}" -o json >"$(to "$base.invoke.out")" 2>"$(to "$base.az-error.txt")" || code=$?
    [[ $DRY == 1 ]] && return 0
    outcome "$base" invoke "$code" "az vm run-command invoke" ',"invoke_file":"'"$f"'.invoke.out"'
    return 0
  fi
  local rg=${ID#*/resourceGroups/}; rg=${rg%%/*}
  local rc="apim-probe-$STAMP" blob; blob=$(blob_of "$f.output.txt")
  run az vm run-command create --resource-group "$rg" --vm-name "$NAME" --name "$rc" \
    --script "@$SCRIPT" --parameters "${PARAMS[@]}" --output-blob-uri "$blob" \
    --error-blob-uri "$(blob_of "$f.error.txt")" --timeout-in-seconds "$TIMEOUT" -o none \
    2>"$(to "$base.az-error.txt")" || code=$?
  if [[ $code == 0 ]]; then
    run az vm run-command show --resource-group "$rg" --vm-name "$NAME" --name "$rc" \
      --instance-view --query instanceView -o json >"$(to "$base.instance-view.out")" \
      2>>"$(to "$base.az-error.txt")" || true
    run az storage blob download --blob-url "$blob" --file "$base.output.txt" -o none \
      2>>"$(to "$base.az-error.txt")" || true
  fi
  run az vm run-command delete --resource-group "$rg" --vm-name "$NAME" --name "$rc" --yes \
    -o none 2>>"$(to "$base.az-error.txt")" || true
  [[ $DRY == 1 ]] && return 0
  local extra=',"instance_view_file":"'"$f"'.instance-view.out"'
  [[ -s $base.output.txt ]] && extra+=',"output_file":"'"$f"'.output.txt"'
  outcome "$base" managed "$code" "az vm run-command create" "$extra"
}

# Writes the VM's file from how its az call ended.
outcome() {
  local base=$1 mode=$2 code=$3 what=$4 extra=$5 f; f=$(basename "$base")
  if [[ $code == 0 ]]; then
    [[ -s $base.az-error.txt ]] || rm -f "$base.az-error.txt"
    envelope "$base.json" "$mode" "$extra"
  elif [[ $code == 124 || $code == 137 ]]; then
    envelope "$base.json" "$mode" ',"error":"timed out after '"$TIMEOUT"' s waiting for '"$what"' (the script may still be running on the VM)"'
  else
    envelope "$base.json" "$mode" ',"error":"'"$what"' failed (az exit code '"$code"')","error_file":"'"$f"'.az-error.txt"'
  fi
  echo "run-command.sh: $NAME done" >&2
}

vms=$(list_vms) || die "could not list the VMs (az vm list/show failed)"
[[ -n $vms ]] || die "no VM matches"
[[ $DRY == 1 ]] || mkdir -p "$OUT/vms"
safe='^[A-Za-z0-9._()/:-]+$'
running=0
while IFS=$'\t' read -r id name os loc; do
  [[ -n $id ]] || continue
  for v in "$id" "$name" "${os:-Linux}" "${loc:-unknown}"; do
    [[ $v =~ $safe ]] || die "unexpected characters in az's VM list: $v"
  done
  if [[ ${os,,} == windows && -z $WSHA ]] || [[ ${os,,} != windows && -z $SHA ]]; then
    echo "run-command.sh: $name ($os) skipped: no binary given for $os" >&2
    continue
  fi
  if [[ $DRY == 1 ]]; then
    one_vm "$id" "$name" "${os:-Linux}" "${loc:-}"
    continue
  fi
  one_vm "$id" "$name" "${os:-Linux}" "${loc:-}" &
  running=$((running + 1))
  if [[ $running -ge $PARALLEL ]]; then
    wait -n || true
    running=$((running - 1))
  fi
done <<<"$vms"
wait
[[ $DRY == 1 ]] && { show "$PROBE" merge -o "$FORMAT" --report-file "$OUT/merge.json" "$OUT/vms"; exit 0; }

"$PROBE" merge -o html "$OUT/vms" >"$OUT/merge.html" || [[ $? == 1 ]] || exit 2
echo "run-command.sh: results in $OUT (merge.html, merge.json, vms/)" >&2
"$PROBE" merge -o "$FORMAT" --report-file "$OUT/merge.json" "$OUT/vms"
