//! The matrix as one self-contained HTML page (`merge -o html`, `check -o html`): no external
//! script, font or style, so it opens offline from a ticket attachment. The VMs with their
//! diagnosis, filters (only failures, one VM, one dependency), the matrix (colour plus a symbol
//! and a word, readable in grey-scale), and each cell's detail on click.
//!
//! Reports carry text that hostile servers chose (banners, HTTP bodies, certificate names):
//! every value is escaped here, the cells' details travel as JSON that the page reads with
//! `JSON.parse` and shows with `textContent`, and a Content-Security-Policy allows only this
//! page's own style and script (by hash), so even a value that slipped through could not run.

use std::fmt::Write as _;
use std::io::{self, Write};

use crate::evaluate::report::EvaluationReport;
use crate::report::model::Report;

use super::build::build;
use super::evaluation::{EvaluationDoc, to_source};
use super::model::{Column, Matrix};
use super::source::from_report;
use super::text::{
    counts, place, plural, references_line, row_name, symbol, verdict_line, verdict_word,
};

const CSS: &str = include_str!("page/page.css");
const JS: &str = include_str!("page/page.js");

/// Writes the page of a merged matrix.
pub fn write(m: &Matrix, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(render(m).as_bytes())
}

/// Writes the page of one `check` report: the same page with one column.
pub fn write_report(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    write(&build(vec![from_report(r, "this run")]), out)
}

/// Writes the page of one `evaluate` report: its flows as one column. The report goes through
/// its own JSON, read as `merge` reads an evaluation file, so the page is the one a merge shows.
pub fn write_evaluation(r: &EvaluationReport, out: &mut dyn Write) -> io::Result<()> {
    let value = serde_json::to_value(r).map_err(io::Error::other)?;
    let doc: EvaluationDoc = serde_json::from_value(value).map_err(io::Error::other)?;
    write(&build(vec![to_source(&doc, "evaluation")]), out)
}

/// The page as text.
pub fn render(m: &Matrix) -> String {
    let n = m.columns.len();
    let title = format!("apim-probe: {n} {}", plural(n, "VM", "VMs"));
    let mut h = String::with_capacity(4096 + m.rows.len() * n * 48);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        csp(),
        esc(&title)
    );
    let class = if m.passed() { "pass" } else { "fail" };
    let _ = writeln!(
        h,
        "<header><h1>{}</h1><p class=\"verdict {class}\" id=\"verdict\">{}</p></header>",
        esc(&title),
        esc(&verdict_line(m))
    );
    if let Some(line) = references_line(m) {
        let _ = writeln!(h, "<p id=\"reference\">{}</p>", esc(&line));
    }
    vms(&mut h, m);
    filters(&mut h, m);
    h.push_str(
        "<aside id=\"detail\" hidden><button id=\"close\" type=\"button\">close</button><dl>\
         <dt>VM</dt><dd id=\"d-vm\"></dd><dt>Dependency</dt><dd id=\"d-row\"></dd>\
         <dt>Status</dt><dd id=\"d-status\"></dd><dt>Detail</dt><dd id=\"d-detail\"></dd>\
         <dt>Hint</dt><dd id=\"d-hint\"></dd></dl></aside>\n",
    );
    matrix(&mut h, m);
    let _ = writeln!(
        h,
        "<footer>made by apim-probe {} · click a cell for its detail</footer>",
        esc(env!("CARGO_PKG_VERSION"))
    );
    let _ = writeln!(
        h,
        "<script type=\"application/json\" id=\"cells\">{}</script>",
        data(m)
    );
    let _ = write!(h, "<script>{JS}</script>\n</body>\n</html>\n");
    h
}

/// Only this page's own style and script may apply: by hash, nothing from anywhere else.
fn csp() -> String {
    format!(
        "default-src 'none'; style-src 'sha256-{}'; script-src 'sha256-{}'; img-src data:; base-uri 'none'; form-action 'none'",
        sha256_base64(CSS),
        sha256_base64(JS)
    )
}

fn vms(h: &mut String, m: &Matrix) {
    h.push_str("<section id=\"vms\"><h2>VMs</h2><table><thead><tr><th>#</th><th>VM</th><th>Place</th><th>Verdict</th><th>Cells</th><th>Diagnosis and notes</th><th>File</th></tr></thead><tbody>\n");
    for (i, c) in m.columns.iter().enumerate() {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"v-{}\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            i + 1,
            esc(&c.label),
            esc(&place(c)),
            c.verdict.as_str(),
            verdict_word(c.verdict),
            esc(&counts(&c.counts)),
            diagnosis(c),
            esc(&c.file)
        );
    }
    h.push_str("</tbody></table></section>\n");
}

fn diagnosis(c: &Column) -> String {
    let mut items: Vec<String> = c
        .diagnosis
        .iter()
        .map(|d| {
            format!(
                "<li><b>{}</b>: {} — fix: {}</li>",
                esc(&d.cause),
                esc(&d.summary),
                esc(&d.fix)
            )
        })
        .collect();
    items.extend(
        c.notes
            .iter()
            .map(|n| format!("<li class=\"note\">{}</li>", esc(n))),
    );
    if items.is_empty() {
        String::new()
    } else {
        format!("<ul>{}</ul>", items.concat())
    }
}

fn filters(h: &mut String, m: &Matrix) {
    h.push_str("<section class=\"filters\" id=\"filters\"><label><input type=\"checkbox\" id=\"only-failures\"> only rows that fail</label>");
    h.push_str("<label>VM <select id=\"vm\"><option value=\"\">every VM</option>");
    for (i, c) in m.columns.iter().enumerate() {
        let _ = write!(h, "<option value=\"{i}\">{}</option>", esc(&c.label));
    }
    h.push_str("</select></label><label>Dependency <select id=\"dep\"><option value=\"\">every dependency</option>");
    let mut ids: Vec<&str> = m.rows.iter().map(|r| r.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    for id in ids {
        let _ = write!(h, "<option value=\"{0}\">{0}</option>", esc(id));
    }
    h.push_str("</select></label><span id=\"shown\"></span></section>\n");
}

fn matrix(h: &mut String, m: &Matrix) {
    h.push_str("<table id=\"matrix\"><thead><tr><th>Dependency</th><th>Target</th><th>Req</th>");
    for c in &m.columns {
        let _ = write!(h, "<th>{}</th>", esc(&c.label));
    }
    h.push_str("<th>Where</th></tr></thead>\n<tbody>\n");
    for (r, row) in m.rows.iter().enumerate() {
        let fails = row
            .cells
            .iter()
            .any(|c| c.class == super::model::CellClass::Failed);
        let _ = write!(
            h,
            "<tr data-r=\"{r}\" data-id=\"{}\" data-fails=\"{}\"><th>{}</th><td>{}</td><td>{}</td>",
            esc(&row.id),
            u8::from(fails),
            esc(&row.id),
            esc(&row.target),
            if row.required { "req" } else { "opt" }
        );
        for (c, cell) in row.cells.iter().enumerate() {
            let _ = write!(
                h,
                "<td class=\"c-{}\" data-c=\"{c}\" tabindex=\"0\">{} {}</td>",
                cell.class.as_str(),
                symbol(cell.class),
                esc(&cell.status)
            );
        }
        let _ = writeln!(h, "<td class=\"note\">{}</td></tr>", esc(&row.note));
    }
    h.push_str("</tbody></table>\n");
}

/// The cells' details as JSON for the page's script: `columns`, `rows`, and `cells` (row-major,
/// `[detail, hint]`). `<`, `>` and `&` are escaped so the text can never close its element.
fn data(m: &Matrix) -> String {
    #[derive(serde::Serialize)]
    struct Data<'a> {
        columns: Vec<&'a str>,
        rows: Vec<String>,
        cells: Vec<(&'a str, Option<&'a str>)>,
    }
    let doc = Data {
        columns: m.columns.iter().map(|c| c.label.as_str()).collect(),
        rows: m.rows.iter().map(row_name).collect(),
        cells: m
            .rows
            .iter()
            .flat_map(|r| {
                r.cells
                    .iter()
                    .map(|c| (c.detail.as_str(), c.hint.as_deref()))
            })
            .collect(),
    };
    let json = serde_json::to_string(&doc).expect("strings serialise");
    let mut out = String::with_capacity(json.len() + json.len() / 64);
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            c => out.push(c),
        }
    }
    out
}

/// Text as HTML (element content or a quoted attribute); control characters dropped.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The SHA-256 of `text`, in base64, as a CSP hash names it.
fn sha256_base64(text: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, text.as_bytes());
    base64(digest.as_ref())
}

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_of_known_values() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn values_are_escaped() {
        assert_eq!(
            esc("<script>alert('x')</script>&\"\u{1b}"),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot; "
        );
    }
}
