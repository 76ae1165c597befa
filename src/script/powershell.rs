//! The PowerShell script (Windows PowerShell 5.1 and PowerShell 7): each check resolves with
//! `[System.Net.Dns]::GetHostAddressesAsync` (error → `dns_failed`) and connects with
//! `System.Net.Sockets.TcpClient.ConnectAsync` and `Wait(timeout)`; both waits are bounded.
//! Refused, unreachable and timeout are told apart by the `SocketException`'s
//! `SocketErrorCode`. The checks run in parallel in a runspace pool of `$Parallel` runspaces.
//! (PowerShell variable names ignore case: no two may differ by case only.)

use std::fmt::Write as _;

use super::parts::{ScriptSettings, Targets, header, ps_quote};

/// The fixed part after the data: checks in a runspace pool, then one line per failure, counts,
/// verdict last.
const BODY: &str = r#"
$Check = {
  param([string]$HostName, [int]$Port, [int]$TimeoutMs)
  $secs = '{0}s' -f ($TimeoutMs / 1000)
  try {
    $resolve = [System.Net.Dns]::GetHostAddressesAsync($HostName)
    if (-not $resolve.Wait($TimeoutMs)) { return @('dns_failed', "name resolution timed out after $secs") }
    $addrs = @($resolve.Result)
  } catch {
    $e = $_.Exception; while ($e.InnerException) { $e = $e.InnerException }
    return @('dns_failed', "the name did not resolve: $($e.Message)")
  }
  if ($addrs.Count -eq 0) { return @('dns_failed', 'the name has no address') }
  $addr = @($addrs | Where-Object { $_.AddressFamily -eq 'InterNetwork' }) + @($addrs) | Select-Object -First 1
  $client = New-Object System.Net.Sockets.TcpClient($addr.AddressFamily)
  try {
    $connect = $client.ConnectAsync($addr, $Port)
    if (-not $connect.Wait($TimeoutMs)) { return @('timeout', "no answer from $addr within $secs (silently dropped?)") }
    return @('ok', '')
  } catch {
    $e = $_.Exception
    while ($e -and -not ($e -is [System.Net.Sockets.SocketException])) { $e = $e.InnerException }
    if (-not $e) { return @('error', $_.Exception.Message) }
    switch ($e.SocketErrorCode.ToString()) {
      'ConnectionRefused' { return @('refused', "TCP reset from ${addr}: nothing listens, or a firewall rejects with a reset") }
      'TimedOut' { return @('timeout', "no answer from $addr (silently dropped?)") }
      'HostUnreachable' { return @('unreachable', "$addr host unreachable (ICMP, a reject, or no route)") }
      'NetworkUnreachable' { return @('unreachable', "$addr network unreachable (no route)") }
      'AccessDenied' { return @('unreachable', "$addr access denied (a local firewall?)") }
      default { return @('error', "$($e.SocketErrorCode): $($e.Message)") }
    }
  } finally {
    $client.Dispose()
  }
}

Write-Output "apim-probe script (TCP ONLY: no TLS/HTTP/protocol checks, UDP not checked): $($Probes.Count) TCP check(s)"
$pool = [runspacefactory]::CreateRunspacePool(1, $Parallel)
$pool.Open()
$jobs = foreach ($probe in $Probes) {
  $ps = [powershell]::Create().AddScript($Check).AddArgument($probe.HostName).AddArgument($probe.Port).AddArgument($TimeoutMs)
  $ps.RunspacePool = $pool
  @{ Probe = $probe; PS = $ps; Handle = $ps.BeginInvoke() }
}
$ok = 0; $failed = 0; $freq = 0; $fopt = 0; $ids = @()
foreach ($j in $jobs) {
  $r = @($j.PS.EndInvoke($j.Handle))
  $j.PS.Dispose()
  if ($r.Count -lt 2) { $r = @('error', 'no result') }
  $probe = $j.Probe
  if ($r[0] -eq 'ok') { $ok++; continue }
  $failed++
  if ($probe.Required) {
    $freq++; $tag = 'FAIL'
    if ($ids -notcontains $probe.Id) { $ids += $probe.Id }
  } else { $fopt++; $tag = 'WARN' }
  Write-Output ('{0} {1} {2}:{3}/tcp {4}: {5}' -f $tag, $probe.Id, $probe.HostName, $probe.Port, $r[0], $r[1])
}
$pool.Close()
Write-Output "TCP only: $($Probes.Count) checked: $ok ok, $failed failed ($freq required); $UDP UDP not checked; $SKIPPED skipped"
if ($freq -eq 0) {
  Write-Output "VERDICT: PASS - every required dependency checked is reachable over TCP; $fopt optional failure(s) (TCP only)"
  exit 0
}
Write-Output "VERDICT: FAIL - $freq required probe(s) failed: $($ids -join ', '); $fopt optional failure(s) (TCP only)"
exit 1
"#;

/// The PowerShell script for these targets.
pub fn render(t: &Targets, s: &ScriptSettings) -> String {
    let mut out = String::new();
    let run = "powershell -NoProfile -ExecutionPolicy Bypass -File script.ps1 (checks run in parallel in a runspace pool)";
    for line in header(t, s, "to resolve, the same to connect", run) {
        let _ = writeln!(out, "{}", format!("# {line}").trim_end());
    }
    let _ = write!(
        out,
        "\nSet-StrictMode -Off\n$TimeoutMs = {}\n$Parallel = {}\n$UDP = {}\n$SKIPPED = {}\n$Probes = @(\n",
        s.timeout.as_millis().max(1),
        s.parallel.max(1),
        t.udp.len(),
        t.skipped.len()
    );
    for x in &t.tcp {
        let _ = writeln!(
            out,
            "  @{{ Id = {}; Required = ${}; HostName = {}; Port = {} }}",
            ps_quote(&x.id),
            x.required,
            ps_quote(&x.host),
            x.port
        );
    }
    out.push_str(")\n");
    out.push_str(BODY);
    out
}
