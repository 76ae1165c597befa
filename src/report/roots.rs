//! The output of `list --roots`: the CA certificates apim-probe ships — the anchors a TLS chain
//! must lead to, the cross-certificates offered for path building, the issuing CAs it
//! recognises — each with its SHA-256 and the public source it was copied from. As a table or as
//! JSON (`apim-probe/roots/v1`).

use std::io::{self, Write};

use serde::Serialize;

use super::model::Tool;
use super::rows::md_cell;
use crate::probe::trust::{Embedded, Role};

/// The schema name of `list --roots -o json`.
pub const SCHEMA: &str = "apim-probe/roots/v1";

/// The embedded CA certificates as users see them.
#[derive(Debug, Clone, Serialize)]
pub struct RootsReport {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// This tool.
    pub tool: Tool,
    /// Anchors first, then intermediates, then issuing CAs, in the order of their files.
    pub certificates: Vec<RootEntry>,
}

/// One embedded certificate.
#[derive(Debug, Clone, Serialize)]
pub struct RootEntry {
    /// What it is for: `anchor`, `intermediate` or `issuing`.
    pub role: Role,
    /// Its label in the PEM file.
    pub name: String,
    /// Subject DN.
    pub subject: String,
    /// Issuer DN (a cross-certificate names another root).
    pub issuer: String,
    /// End of validity, RFC 3339.
    pub not_after: String,
    /// SHA-256 of the DER encoding, lowercase hex.
    pub sha256: String,
    /// Where it was copied from.
    pub source: String,
}

impl RootsReport {
    /// The model of the embedded certificates.
    pub fn new(all: &[Embedded]) -> Self {
        let certificates = all
            .iter()
            .map(|e| RootEntry {
                role: e.role,
                name: e.label.clone(),
                subject: e.shown.subject.clone(),
                issuer: e.shown.issuer.clone(),
                not_after: e.shown.not_after.clone(),
                sha256: e.shown.sha256.clone(),
                source: e.source.clone(),
            })
            .collect();
        Self {
            schema: SCHEMA,
            tool: Tool::default(),
            certificates,
        }
    }
}

/// Writes the certificates as JSON.
pub fn write_json(r: &RootsReport, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, r)?;
    writeln!(out)
}

/// Writes the certificates as a Markdown table, each with its source.
pub fn write_markdown(r: &RootsReport, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "| Role | Name | Not after | SHA-256 | Source |")?;
    writeln!(out, "|---|---|---|---|---|")?;
    for c in &r.certificates {
        writeln!(
            out,
            "| {} | {} | {} | `{}` | {} |",
            c.role.as_str(),
            md_cell(&c.name),
            md_cell(c.not_after.get(..10).unwrap_or(&c.not_after)),
            c.sha256,
            md_cell(&c.source)
        )?;
    }
    Ok(())
}

/// Writes the certificates as an aligned table, each with its source on the line below.
pub fn write_table(r: &RootsReport, out: &mut dyn Write) -> io::Result<()> {
    let w = r
        .certificates
        .iter()
        .map(|c| c.name.chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    writeln!(
        out,
        "{:<12} {:<w$} {:<10} SHA-256",
        "ROLE", "NAME", "NOT AFTER"
    )?;
    for c in &r.certificates {
        let day = c.not_after.get(..10).unwrap_or(&c.not_after);
        writeln!(
            out,
            "{:<12} {:<w$} {day:<10} {}",
            c.role.as_str(),
            c.name,
            c.sha256
        )?;
        writeln!(out, "{:<12} source: {}", "", c.source)?;
    }
    let anchors = r
        .certificates
        .iter()
        .filter(|c| c.role == Role::Anchor)
        .count();
    writeln!(
        out,
        "\n{} certificates: {anchors} anchors a chain must lead to (plus --expect-ca), {} for path building, {} issuing CAs recognised",
        r.certificates.len(),
        r.certificates
            .iter()
            .filter(|c| c.role == Role::Intermediate)
            .count(),
        r.certificates
            .iter()
            .filter(|c| c.role == Role::Issuing)
            .count()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::trust::embedded;

    #[test]
    fn the_table_and_the_json_name_every_certificate_with_its_sha256_and_source() {
        let r = RootsReport::new(&embedded::all().unwrap());
        let mut table = Vec::new();
        write_table(&r, &mut table).unwrap();
        let table = String::from_utf8(table).unwrap();
        assert!(table.starts_with("ROLE"), "{table}");
        assert!(
            table.contains("anchor       Microsoft TLS RSA Root G2"),
            "{table}"
        );
        assert!(
            table.contains("6a170583db584151e1c454eeca2a64cc5d8e484a5bd1156e720b4458654ee9e5"),
            "{table}"
        );
        assert!(
            table.contains("source: github.com/taskcluster/taskcluster"),
            "{table}"
        );
        assert!(table.contains("13 certificates: 9 anchors"), "{table}");
        let mut json = Vec::new();
        write_json(&r, &mut json).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(v["schema"], SCHEMA);
        let certs = v["certificates"].as_array().unwrap();
        assert_eq!(certs.len(), 13);
        assert!(
            certs
                .iter()
                .all(|c| c["sha256"].as_str().unwrap().len() == 64)
        );
        assert_eq!(certs[8]["name"], "Microsoft TLS ECC Root G2");
        assert_eq!(certs[8]["role"], "anchor");
        assert_eq!(certs[9]["role"], "intermediate");
        assert_eq!(certs[12]["role"], "issuing");
    }
}
