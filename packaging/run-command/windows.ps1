# apim-probe through `az vm run-command invoke --command-id RunPowerShellScript` (runs as SYSTEM).
#
# Gets apim-probe.exe (a path already on the VM, or a URL you give: your own storage + SAS), checks
# its SHA-256, runs `apim-probe.exe check -o compact --report-file <Dir>\report-<UTC time>.json`
# with any extra arguments, prints the compact report last (Azure returns only the last 4,096
# bytes of output; the verdict is the last line) and exits with apim-probe's exit code.
#
# Parameters: script parameters (what `--parameters Name=Value` passes), else environment variables.
#   -Sha256 HEX     APIM_PROBE_SHA256  expected SHA-256 of the exe (required; from SHA256SUMS)
#   -Url URL        APIM_PROBE_URL     download the exe from here (Invoke-WebRequest) ...
#   -Bin PATH       APIM_PROBE_BIN     ... to this path, or run the exe already there
#                                      (default C:\ProgramData\apim-probe\apim-probe.exe)
#   -Dir FOLDER     APIM_PROBE_DIR     where reports (and stderr) are kept (default C:\ProgramData\apim-probe)
#   -ProbeArgs "…"  APIM_PROBE_ARGS    extra arguments for `check`, split on spaces,
#                                      e.g. -ProbeArgs "--region westeurope --set sql_server=mysql"
#   -Format FORMAT  APIM_PROBE_FORMAT  report format on stdout (default compact); json when the
#                                      output goes to a blob (managed run-command), not cut at 4 KB
#
# Exit codes: apim-probe's (0 ok, 1 a required dependency failed, 2 usage, 130 interrupted), or
# 3 when this script could not run it (bad parameter, download failed, SHA-256 mismatch).
#
# Example:
#   az vm run-command invoke -g RG -n VM --command-id RunPowerShellScript `
#     --scripts "@packaging/run-command/windows.ps1" `
#     --parameters "Url=https://ACCOUNT.blob.core.windows.net/tools/apim-probe.exe?SAS" `
#                  "Sha256=HEX" "ProbeArgs=--region westeurope"
param(
    [string]$Sha256 = $env:APIM_PROBE_SHA256,
    [string]$Url = $env:APIM_PROBE_URL,
    [string]$Bin = $env:APIM_PROBE_BIN,
    [string]$Dir = $env:APIM_PROBE_DIR,
    [string]$ProbeArgs = $env:APIM_PROBE_ARGS,
    [string]$Format = $env:APIM_PROBE_FORMAT
)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'   # the progress bar makes Invoke-WebRequest crawl

# Everything goes to stdout (Write-Output): run-command appends stderr after stdout, which would
# push the verdict out of the last 4,096 bytes.
function Fail([string]$Message) {
    Write-Output "apim-probe run-command: ERROR: $Message"
    exit 3
}

if (-not $Dir) { $Dir = Join-Path $env:ProgramData 'apim-probe' }
if (-not $Format) { $Format = 'compact' }
if (-not $Bin) { $Bin = Join-Path $Dir 'apim-probe.exe' }
$Sha256 = "$Sha256".Trim().ToLowerInvariant()
if (-not $Sha256) { Fail 'Sha256 is required (the exe''s line in SHA256SUMS)' }
if ($Sha256 -notmatch '^[0-9a-f]{64}$') { Fail 'Sha256 must be 64 hex digits' }

try { New-Item -ItemType Directory -Force -Path $Dir | Out-Null } catch { Fail "cannot create ${Dir}: $($_.Exception.Message)" }

if ($Url) {
    $tmp = "$Bin.download"
    try {
        New-Item -ItemType Directory -Force -Path (Split-Path -Parent $Bin) | Out-Null
        # Windows PowerShell 5.1 on older servers offers TLS 1.0 only unless told.
        [Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12
        Invoke-WebRequest -UseBasicParsing -Uri $Url -OutFile $tmp -TimeoutSec 300
    } catch {
        Remove-Item -Force -ErrorAction SilentlyContinue $tmp
        # The URL may carry a SAS token: it is never printed.
        Fail "download failed: $($_.Exception.Message)"
    }
    $got = (Get-FileHash -Algorithm SHA256 -LiteralPath $tmp).Hash.ToLowerInvariant()
    if ($got -ne $Sha256) {
        Remove-Item -Force -ErrorAction SilentlyContinue $tmp
        Fail "SHA-256 mismatch: downloaded $got, expected $Sha256; not run"
    }
    Move-Item -Force -LiteralPath $tmp -Destination $Bin
}
if (-not (Test-Path -LiteralPath $Bin -PathType Leaf)) { Fail "no exe at $Bin (give Url or copy it there)" }
$got = (Get-FileHash -Algorithm SHA256 -LiteralPath $Bin).Hash.ToLowerInvariant()
if ($got -ne $Sha256) { Fail "SHA-256 mismatch: $Bin has $got, expected $Sha256; not run" }

$stamp = (Get-Date).ToUniversalTime().ToString('yyyyMMddTHHmmssZ')
$report = Join-Path $Dir "report-$stamp.json"
$out = Join-Path $Dir "output-$stamp.txt"
$err = Join-Path $Dir "stderr-$stamp.txt"
Write-Output "apim-probe run-command: $Bin sha256 ok; full report: $report"

$argList = @('check', '-o', $Format, '--report-file', "`"$report`"")
if ($ProbeArgs) { $argList += ($ProbeArgs -split '\s+' | Where-Object { $_ }) }
$p = Start-Process -FilePath $Bin -ArgumentList $argList -NoNewWindow -Wait -PassThru `
    -RedirectStandardOutput $out -RedirectStandardError $err
$code = $p.ExitCode

# stderr first (its last lines only), then the report, so the verdict is the last line.
if ((Test-Path $err) -and (Get-Item $err).Length -gt 0) {
    Get-Content -LiteralPath $err -Tail 5 | ForEach-Object { if ($_.Length -gt 200) { $_.Substring(0, 200) } else { $_ } }
}
Get-Content -LiteralPath $out
exit $code
