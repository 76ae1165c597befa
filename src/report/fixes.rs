//! Every fix of a report, once: the rows' and the causes', de-duplicated by what they change (one
//! NSG rule per tag, ports and direction, however many rows need it), in the order they first
//! appear. The Markdown "Fix it" section and compact's last lines are written from this.

use std::io::{self, Write};

use super::fix::Fix;
use super::model::Report;
use super::rows::md_inline;

/// One distinct change, and the rows (`id target`) that need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Needed {
    /// The change.
    pub fix: Fix,
    /// The rows it fixes.
    pub rows: Vec<String>,
}

/// The distinct fixes of a report: the causes' first, then the rows'.
pub fn collect(r: &Report) -> Vec<Needed> {
    let mut out: Vec<Needed> = Vec::new();
    let mut add = |fix: &Fix, row: Option<String>| {
        let key = fix.key();
        let at = if let Some(i) = out.iter().position(|n| n.fix.key() == key) {
            i
        } else {
            out.push(Needed {
                fix: fix.clone(),
                rows: Vec::new(),
            });
            out.len() - 1
        };
        if let Some(row) = row.filter(|r| !out[at].rows.contains(r)) {
            out[at].rows.push(row);
        }
    };
    for c in &r.diagnosis {
        for f in &c.fixes {
            add(f, None);
        }
    }
    for e in &r.results {
        if let Some(f) = &e.fix {
            add(f, Some(format!("{} {}", e.spec.id, e.target())));
        }
    }
    out
}

/// The `az` command of an NSG rule, its priority offset by `10 × nth` when unknown.
fn az(fix: &Fix, nth: u32) -> Option<String> {
    let cmd = fix.az()?;
    Some(if nth > 0 {
        cmd.replace("\"$PRIORITY\"", &format!("$((PRIORITY + {}))", nth * 10))
    } else {
        cmd
    })
}

/// The PowerShell equivalent, offset the same way.
fn powershell(fix: &Fix, nth: u32) -> Option<String> {
    let cmd = fix.powershell()?;
    Some(if nth > 0 {
        cmd.replace("$PRIORITY", &format!("($PRIORITY + {})", nth * 10))
    } else {
        cmd
    })
}

/// The Markdown "Fix it" section: variables to set, one command per distinct NSG rule and route
/// (with PowerShell), then the FQDN lists for the firewall, the TLS inspection and the proxy.
pub fn write_markdown(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let needed = collect(r);
    if needed.is_empty() {
        return Ok(());
    }
    writeln!(out, "## Fix it")?;
    writeln!(out)?;
    let mut vars: Vec<&str> = needed.iter().flat_map(|n| n.fix.variables()).collect();
    vars.sort_unstable();
    vars.dedup();
    if !vars.is_empty() {
        writeln!(
            out,
            "Set first (they name your resources): {}.",
            vars.iter()
                .map(|v| format!("`{v}={}`", meaning(v, r)))
                .collect::<Vec<_>>()
                .join(", ")
        )?;
        writeln!(out)?;
    }
    let mut nth = 0;
    for n in needed.iter().filter(|n| n.fix.az().is_some()) {
        writeln!(out, "- {} — for {}:", title(&n.fix), rows(n))?;
        writeln!(out)?;
        writeln!(
            out,
            "  ```sh\n  {}\n  ```",
            az(&n.fix, nth).unwrap_or_default()
        )?;
        if let Some(ps) = powershell(&n.fix, nth) {
            writeln!(out, "  ```powershell\n  {ps}\n  ```")?;
        }
        writeln!(out)?;
        if matches!(n.fix, Fix::NsgRule { priority: None, .. }) {
            nth += 1;
        }
    }
    write_lists(&needed, out)
}

/// The fixes that are lists of hosts or settings, one line each, grouped.
fn write_lists(needed: &[Needed], out: &mut dyn Write) -> io::Result<()> {
    let group = |pick: fn(&Fix) -> Option<String>| -> Vec<String> {
        needed.iter().filter_map(|n| pick(&n.fix)).collect()
    };
    let app = group(|f| match f {
        Fix::FirewallAppRule { fqdn, protocol } => Some(format!("`{fqdn}` ({protocol})")),
        _ => None,
    });
    let tls = group(|f| match f {
        Fix::TlsBypass { fqdn } => Some(format!("`{fqdn}`")),
        _ => None,
    });
    let proxy = group(|f| match f {
        Fix::ProxyBypass { fqdn } => Some(format!("`{fqdn}`")),
        _ => None,
    });
    let dns = group(|f| match f {
        Fix::Dns { servers } => Some(servers.join(", ")),
        _ => None,
    });
    for (title, list) in [
        (
            "Firewall application rules: allow from the APIM subnet",
            &app,
        ),
        ("TLS inspection: exempt", &tls),
        ("Proxy: let through without it", &proxy),
    ] {
        if !list.is_empty() {
            writeln!(out, "- {title}: {}", list.join(", "))?;
        }
    }
    if !dns.is_empty() {
        writeln!(
            out,
            "- DNS: the servers {} must resolve Azure's names (forward to 168.63.129.16; private DNS zones linked to the VNet)",
            md_inline(&dns.join("; "))
        )?;
    }
    if needed.iter().any(|n| n.fix == Fix::Clock) {
        writeln!(out, "- Clock: enable time sync on this machine")?;
    }
    writeln!(out)
}

/// What a variable stands for. IMDS tells this VM's resource group, which is often — not always —
/// the NSG's: offered as a hint, never filled in.
fn meaning(var: &str, r: &Report) -> String {
    let vm_group = r
        .host
        .azure
        .as_ref()
        .map(|a| a.resource_group_name.as_str())
        .filter(|g| !g.is_empty());
    match (var, vm_group) {
        ("RG", Some(g)) => format!("<resource group of the NSG or route table; this VM's is {g}>"),
        _ => meaning_of(var).to_owned(),
    }
}

fn meaning_of(var: &str) -> &'static str {
    match var {
        "RG" => "<resource group of the NSG or route table>",
        "NSG" => "<the APIM subnet's NSG>",
        "PRIORITY" => "<a free priority, 100-4096, below any deny; each next rule takes +10>",
        "ROUTE_TABLE" => "<the APIM subnet's route table>",
        _ => "<value>",
    }
}

fn title(f: &Fix) -> String {
    match f {
        Fix::NsgRule {
            direction,
            protocol,
            source,
            destination,
            ports,
            ..
        } => {
            format!("NSG rule: {direction} Allow {protocol} {source} → {destination} port {ports}")
        }
        Fix::Route {
            prefix, next_hop, ..
        } => format!("Route: {prefix} → {next_hop}"),
        other => other.key(),
    }
}

fn rows(n: &Needed) -> String {
    if n.rows.is_empty() {
        return "the diagnosis".into();
    }
    let shown: Vec<String> = n
        .rows
        .iter()
        .take(4)
        .map(|r| format!("`{}`", md_inline(r)))
        .collect();
    let more = n.rows.len().saturating_sub(4);
    if more > 0 {
        format!("{} (+{more} more)", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

/// Short lines for `compact`, one per distinct fix, most rows first: `FIX nsg Outbound Tcp
/// VirtualNetwork->Storage.WestEurope 443 (3 rows)`.
pub fn compact_lines(r: &Report) -> Vec<String> {
    let mut needed = collect(r);
    needed.sort_by_key(|n| std::cmp::Reverse(n.rows.len()));
    needed
        .iter()
        .map(|n| {
            let what = match &n.fix {
                Fix::NsgRule {
                    direction,
                    protocol,
                    source,
                    destination,
                    ports,
                    ..
                } => format!("nsg {direction} Allow {protocol} {source}->{destination} {ports}"),
                Fix::Route {
                    prefix, next_hop, ..
                } => format!("route {prefix}->{next_hop}"),
                Fix::FirewallAppRule { fqdn, protocol } => {
                    format!("firewall app rule {fqdn} {protocol}")
                }
                Fix::TlsBypass { fqdn } => format!("no TLS inspection for {fqdn}"),
                Fix::ProxyBypass { fqdn } => format!("no proxy for {fqdn}"),
                Fix::Dns { .. } => "DNS must resolve Azure names (forward to 168.63.129.16)".into(),
                Fix::Clock => "time sync".into(),
            };
            format!("FIX {what} ({} row(s))", n.rows.len())
        })
        .collect()
}
