//! What the text formats share: the results table (one function, two presets: the aligned
//! terminal table and the Markdown table), the order failures are told in, status colours and
//! evidence highlights.

use std::io::{self, Write};

use crate::probe::Status;
use crate::probe::outcome::Evidence;

use super::model::{Report, ResultEntry};

/// How [`write_results`] lays out the results table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    /// Space-aligned columns for a terminal, status words coloured when `colour`.
    Terminal {
        /// ANSI colours.
        colour: bool,
    },
    /// A GitHub-flavoured Markdown table, cells escaped, with the detail as a last column.
    Markdown,
}

/// Column titles of the results table.
const HEADERS: [&str; 5] = ["STATUS", "REQ", "ID", "TARGET", "TIME"];

/// The same titles, as a document spells them.
const MD_HEADERS: [&str; 5] = ["Status", "Req", "ID", "Target", "Time"];

/// The cells of one result's row: status, req/opt, id, target, total time.
fn cells(e: &ResultEntry) -> [String; 5] {
    let time = e
        .timings_ms
        .total
        .map_or("-".to_owned(), |t| format!("{t:.0} ms"));
    let req = if e.spec.required { "req" } else { "opt" };
    [
        e.status.as_str().to_owned(),
        req.to_owned(),
        e.spec.id.clone(),
        e.target(),
        time,
    ]
}

/// Writes every result as one row, in catalog order, laid out by `preset`.
pub fn write_results(r: &Report, out: &mut dyn Write, preset: Preset) -> io::Result<()> {
    match preset {
        Preset::Terminal { colour } => {
            let width = |f: fn(&ResultEntry) -> usize, min: usize| {
                r.results.iter().map(f).max().unwrap_or(min).max(min)
            };
            let w_id = width(|e| e.spec.id.len(), 2);
            let w_target = width(|e| e.target().len(), 6);
            let [h_status, h_req, h_id, h_target, h_time] = HEADERS;
            writeln!(
                out,
                "{h_status:<15} {h_req:<3} {h_id:<w_id$} {h_target:<w_target$} {h_time:>9}"
            )?;
            for e in &r.results {
                let [_, req, id, target, time] = cells(e);
                // Pad first, then paint, so escapes never count toward the width.
                let status = paint(&format!("{:<15}", e.status.as_str()), e.status, colour);
                writeln!(
                    out,
                    "{status} {req:<3} {id:<w_id$} {target:<w_target$} {time:>9}"
                )?;
            }
        }
        Preset::Markdown => {
            writeln!(out, "| {} | Detail |", MD_HEADERS.join(" | "))?;
            writeln!(out, "|---|---|---|---|--:|---|")?;
            for e in &r.results {
                let row = cells(e).map(|c| md_cell(&c));
                writeln!(out, "| {} | {} |", row.join(" | "), md_cell(&e.detail))?;
            }
        }
    }
    Ok(())
}

/// Text safe inside Markdown prose: no raw HTML, line breaks kept as `<br>`.
pub fn md_inline(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => {
                chars.next_if_eq(&'\n');
                out.push_str("<br>");
            }
            '\n' => out.push_str("<br>"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Text safe inside one Markdown table cell: [`md_inline`], and `|` escaped.
pub fn md_cell(s: &str) -> String {
    md_inline(s).replace('|', "\\|")
}

/// How bad a failure is, lower first: what blocks everything behind it comes first.
pub fn severity(s: Status) -> u8 {
    match s {
        Status::DnsFailed => 0,
        Status::Timeout => 1,
        Status::Unreachable => 2,
        Status::Refused => 3,
        Status::FirewallDenied => 4,
        Status::TlsIntercepted => 5,
        Status::TlsUntrusted => 6,
        Status::ProtocolError => 7,
        Status::Error => 8,
        Status::Ok => 9,
        Status::Skipped => 10,
    }
}

/// The failures, most important first: required before optional, then by [`severity`], then in
/// catalog order.
pub fn by_importance(r: &Report) -> Vec<&ResultEntry> {
    let mut failed: Vec<&ResultEntry> =
        r.results.iter().filter(|e| e.status.is_failure()).collect();
    failed.sort_by_key(|e| (!e.spec.required, severity(e.status)));
    failed
}

/// The ANSI colour of a status: green `ok`, yellow `skipped`, red failures.
fn colour_code(s: Status) -> &'static str {
    match s {
        Status::Ok => "32",
        Status::Skipped => "33",
        _ => "31",
    }
}

/// `text` in the status's colour when `colour`, else unchanged.
pub fn paint(text: &str, status: Status, colour: bool) -> String {
    if colour {
        format!("\x1b[{}m{text}\x1b[0m", colour_code(status))
    } else {
        text.to_owned()
    }
}

/// Short lines of what the peer presented: the TLS issuer, the NTP offset, a reply understood.
pub fn highlights(e: &ResultEntry) -> Vec<String> {
    match &e.evidence {
        Some(Evidence::Tls(t)) => {
            let mut v = Vec::new();
            if let Some(leaf) = t.chain.first() {
                v.push(format!(
                    "TLS certificate for {} issued by {} (expires {})",
                    leaf.subject, leaf.issuer, leaf.not_after
                ));
            }
            if let Some(top) = t.chain.last().filter(|_| t.chain.len() > 1) {
                v.push(format!(
                    "top of the presented chain issued by {}",
                    top.issuer
                ));
            }
            if let Some(version) = &t.version {
                v.push(format!("negotiated {version} (SNI {})", t.sni));
            }
            v
        }
        Some(Evidence::Ntp(n)) => vec![format!(
            "NTP offset {:+.1} ms from {} (round trip {:.1} ms, stratum {})",
            n.offset_ms, n.server, n.round_trip_ms, n.stratum
        )],
        Some(Evidence::Reply {
            protocol,
            first_bytes_hex,
            understood,
        }) => vec![match understood {
            Some(u) => format!("{protocol} reply: {u}"),
            None if first_bytes_hex.is_empty() => format!("{protocol}: the peer sent nothing"),
            None => format!(
                "{protocol}: unexpected first bytes {}",
                &first_bytes_hex[..first_bytes_hex.len().min(32)]
            ),
        }],
        None => Vec::new(),
    }
}

/// `VNet reference edition 2025-06 (page of 2025-06-17, <URL>)` for Markdown: the edition and
/// date escaped, the URL an autolink.
pub fn reference_md(r: &super::model::Reference) -> String {
    format!(
        "{} edition {} (page of {}, <{}>)",
        r.title
            .as_deref()
            .map_or("VNet reference".to_owned(), |t| format!(
                "\"{}\"",
                md_inline(t)
            )),
        md_inline(&r.edition),
        md_inline(&r.date),
        r.url.replace(['<', '>', ' '], "")
    )
}

/// The scope of a report's settings in a header: `stv2/external/public`, or
/// `premiumv2/v2-injection/public` for the tiers that are not classic.
pub fn settings_scope(s: &super::model::ReportSettings) -> String {
    super::reference::scope(s.platform, s.vnet, s.cloud, s.tier, s.profile)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_cells_escape_pipes_newlines_and_html() {
        assert_eq!(md_cell("a|b\r\nc\nd<e>"), "a\\|b<br>c<br>d&lt;e&gt;");
        assert_eq!(md_cell("tab\there"), "tab here");
    }

    #[test]
    fn severity_puts_dns_first_and_error_last() {
        assert!(severity(Status::DnsFailed) < severity(Status::Timeout));
        assert!(severity(Status::ProtocolError) < severity(Status::Error));
    }
}
