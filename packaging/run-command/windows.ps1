# apim-probe through `az vm run-command invoke --command-id RunPowerShellScript` (runs as SYSTEM).
#
# Gets apim-probe.exe (a path already on the VM, or a URL you give: your own storage + SAS) into a
# fresh file of its own private folder, checks that file's SHA-256, runs exactly that file as
# `apim-probe.exe check -o compact --report-file <Dir>\report-<UTC time>.json` with any extra
# arguments, prints the compact report last (Azure returns only the last 4,096 bytes of output;
# the verdict is the last line) and exits with apim-probe's exit code.
#
# Parameters: script parameters (what `--parameters Name=Value` passes), else environment variables.
#   -Sha256 HEX     APIM_PROBE_SHA256  expected SHA-256 of the exe (required; from SHA256SUMS)
#   -Url URL        APIM_PROBE_URL     download the exe from here (Invoke-WebRequest), or ...
#   -Bin PATH       APIM_PROBE_BIN     ... copy it from this path (default <Dir>\apim-probe.exe, the
#                                      one an earlier run kept); give Url or Bin, not both
#   -Dir FOLDER     APIM_PROBE_DIR     this script's private folder: the exe, reports, stderr
#                                      (default C:\ProgramData\apim-probe)
#   -ProbeArgs "…"  APIM_PROBE_ARGS    extra arguments for `check`, split on spaces, each passed
#                                      quoted, e.g. -ProbeArgs "--region westeurope --set sql_server=mysql"
#   -Reference ED   APIM_PROBE_REFERENCE  the edition of the VNet reference to check against
#                                      (`check --reference`: latest, 2025-06, 2023-11 …)
#   -Format FORMAT  APIM_PROBE_FORMAT  report format on stdout (default compact); json when the
#                                      output goes to a blob (managed run-command), not cut at 4 KB
#
# Safe as SYSTEM: ProgramData lets every user create folders and files, so Dir gets an explicit
# ACL — SYSTEM and Administrators only, protected (nothing inherited) — set when it is created.
# A Dir that is a link or junction, or that someone else owns, or that holds anything someone
# else owns, is refused (exit 3), never repaired: remove it or give another Dir. The exe is copied
# or downloaded into a new file there; that file is hashed, kept as <Dir>\apim-probe.exe and run.
#
# Exit codes: apim-probe's (0 ok, 1 a required dependency failed, 2 usage, 130 interrupted), or
# 3 whenever this script fails (bad parameter, unsafe folder, download failed, SHA-256 mismatch,
# or any other error), with one "ERROR:" line on stdout.
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
    [string]$Format = $env:APIM_PROBE_FORMAT,
    [string]$Reference = $env:APIM_PROBE_REFERENCE
)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'   # the progress bar makes Invoke-WebRequest crawl
$script:tmp = $null

# Everything goes to stdout (Write-Output): run-command appends stderr after stdout, which would
# push the verdict out of the last 4,096 bytes. The unfinished download goes on every way out.
function Fail([string]$Message) {
    if ($script:tmp) { Remove-Item -Force -ErrorAction SilentlyContinue -LiteralPath $script:tmp }
    Write-Output "apim-probe run-command: ERROR: $Message"
    exit 3
}
# Any error that no line below handles is exit 3 too.
trap { Fail "stopped unexpectedly: $($_.Exception.Message)" }

# SYSTEM and BUILTIN\Administrators, by SID (names differ by language).
$Trusted = @('S-1-5-18', 'S-1-5-32-544')

# Full control for SYSTEM and Administrators, inherited by what is created inside; nothing from
# ProgramData (SetAccessRuleProtection: protected, inherited rules dropped).
function New-PrivateAcl {
    $acl = New-Object System.Security.AccessControl.DirectorySecurity
    $acl.SetAccessRuleProtection($true, $false)
    $acl.SetOwner((New-Object System.Security.Principal.SecurityIdentifier('S-1-5-32-544')))
    foreach ($sid in $Trusted) {
        $rule = New-Object System.Security.AccessControl.FileSystemAccessRule(
            (New-Object System.Security.Principal.SecurityIdentifier($sid)), 'FullControl',
            'ContainerInherit, ObjectInherit', 'None', 'Allow')
        $acl.AddAccessRule($rule)
    }
    $acl
}

function Get-OwnerSid([string]$Path) {
    (Get-Acl -LiteralPath $Path).GetOwner([System.Security.Principal.SecurityIdentifier]).Value
}

# Dir itself: created with the private ACL in one step, or an existing real folder (no link,
# no junction) owned by SYSTEM or Administrators with nothing inside that someone else owns.
function Initialize-PrivateDir {
    $info = New-Object System.IO.DirectoryInfo($Dir)
    if (-not $info.Exists -and -not (Test-Path -LiteralPath $Dir)) {
        $parent = Split-Path -Parent $Dir
        if (-not $parent -or -not (Test-Path -LiteralPath $parent -PathType Container)) {
            Fail "Dir: $parent does not exist"
        }
        if ($PSVersionTable.PSEdition -eq 'Core') {
            [System.IO.FileSystemAclExtensions]::Create($info, (New-PrivateAcl))
        } else {
            $info.Create((New-PrivateAcl))
        }
    }
    $item = Get-Item -LiteralPath $Dir -Force
    if ($item.Attributes -band [System.IO.FileAttributes]::ReparsePoint) {
        Fail "$Dir is a link or junction: refused (remove it, or give another Dir)"
    }
    if (-not $item.PSIsContainer) { Fail "$Dir is not a folder (remove it, or give another Dir)" }
    $owner = Get-OwnerSid $Dir
    if ($Trusted -notcontains $owner) {
        Fail "$Dir is owned by $owner, not SYSTEM or Administrators: refused (remove it, or give another Dir)"
    }
    # Ours: others lose any access first, so nothing appears inside while it is looked at.
    Set-Acl -LiteralPath $Dir -AclObject (New-PrivateAcl)
    foreach ($entry in Get-ChildItem -LiteralPath $Dir -Force) {
        if ($entry.Attributes -band [System.IO.FileAttributes]::ReparsePoint) {
            Fail "$($entry.FullName) is a link or junction: refused (remove it, or give another Dir)"
        }
        $owner = Get-OwnerSid $entry.FullName
        if ($Trusted -notcontains $owner) {
            Fail "$($entry.FullName) is owned by $owner: refused (remove it, or give another Dir)"
        }
    }
}

# One argument as the C runtime (and Rust's std) splits a Windows command line: quoted when it
# holds a space, tab or quote, or is empty; backslashes before a quote doubled, quotes escaped.
function ConvertTo-Argument([string]$Arg) {
    if ($Arg -and $Arg -notmatch '[\s"]') { return $Arg }
    $escaped = ($Arg -replace '(\\*)"', '$1$1\"') -replace '(\\+)$', '$1$1'
    return '"' + $escaped + '"'
}

if (-not $Dir) { $Dir = Join-Path $env:ProgramData 'apim-probe' }
if (-not $Format) { $Format = 'compact' }
if (-not $Reference) { $Reference = 'latest' }
$Sha256 = "$Sha256".Trim().ToLowerInvariant()
if (-not $Sha256) { Fail 'Sha256 is required (the exe''s line in SHA256SUMS)' }
if ($Sha256 -notmatch '^[0-9a-f]{64}$') { Fail 'Sha256 must be 64 hex digits' }
if ($Url -and $Bin) { Fail 'give Url or Bin, not both (a downloaded exe is kept as <Dir>\apim-probe.exe)' }
if (-not [System.IO.Path]::IsPathRooted($Dir)) { Fail "Dir must be an absolute path: $Dir" }

Initialize-PrivateDir
$exe = Join-Path $Dir 'apim-probe.exe'

# A new file inside the private folder: the one hashed, kept and run.
$script:tmp = Join-Path $Dir ('download-' + [guid]::NewGuid().ToString('N') + '.exe')
if ($Url) {
    try {
        # Windows PowerShell 5.1 on older servers offers TLS 1.0 only unless told.
        [Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12
        Invoke-WebRequest -UseBasicParsing -Uri $Url -OutFile $script:tmp -TimeoutSec 300
    } catch {
        # The URL may carry a SAS token: it is never printed.
        Fail "download failed: $($_.Exception.Message)"
    }
    $from = 'the download'
} else {
    $src = if ($Bin) { $Bin } else { $exe }
    if (-not (Test-Path -LiteralPath $src -PathType Leaf)) { Fail "no exe at $src (give Url, or copy it there and give Bin)" }
    Copy-Item -LiteralPath $src -Destination $script:tmp
    $from = $src
}
$got = (Get-FileHash -Algorithm SHA256 -LiteralPath $script:tmp).Hash.ToLowerInvariant()
if ($got -ne $Sha256) { Fail "SHA-256 mismatch: $from has $got, expected $Sha256; not run" }
# A rename inside Dir: the same file, now under its kept name.
Move-Item -Force -LiteralPath $script:tmp -Destination $exe
$script:tmp = $null

$stamp = (Get-Date).ToUniversalTime().ToString('yyyyMMddTHHmmssZ')
$report = Join-Path $Dir "report-$stamp.json"
$out = Join-Path $Dir "output-$stamp.txt"
$err = Join-Path $Dir "stderr-$stamp.txt"
Write-Output "apim-probe run-command: $exe sha256 ok; full report: $report"

# Split on spaces (never wildcard-expanded), then each word quoted: Start-Process joins its
# -ArgumentList with spaces and quotes nothing.
$argList = @('check', '-o', $Format, '--report-file', $report, '--reference', $Reference)
if ($ProbeArgs) { $argList += ($ProbeArgs -split '\s+' | Where-Object { $_ }) }
$argLine = ($argList | ForEach-Object { ConvertTo-Argument $_ }) -join ' '
$p = Start-Process -FilePath $exe -ArgumentList $argLine -NoNewWindow -Wait -PassThru `
    -RedirectStandardOutput $out -RedirectStandardError $err
$code = $p.ExitCode

# stderr first (its last lines only), then the report, so the verdict is the last line.
if ((Test-Path -LiteralPath $err) -and (Get-Item -LiteralPath $err).Length -gt 0) {
    Get-Content -LiteralPath $err -Tail 5 | ForEach-Object { if ($_.Length -gt 200) { $_.Substring(0, 200) } else { $_ } }
}
Get-Content -LiteralPath $out
exit $code
