//! Reading catalog files (embedded or from `--catalog`) and validating them as a whole.
//!
//! Every error names the file, the line and column, and the field, so that a user who edits a
//! catalog can go straight to the mistake.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use super::editions::Edition;
use super::embedded::EMBEDDED;
use super::model::{
    CatalogFile, CheckKind, Dependency, Direction, PlaceholderDef, SYNTHETIC_ID_PREFIX, Transport,
};
use super::{BUILTIN_PLACEHOLDERS, Catalog, edition_rules};

/// A catalog that cannot be used, with where the problem is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogError {
    /// The file, as given or as embedded.
    pub file: String,
    /// 1-based line and column, when the problem has a place.
    pub position: Option<(usize, usize)>,
    /// The field (TOML key) at fault, when known.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
    /// The offending line's text, for context.
    pub line_text: Option<String>,
}

impl fmt::Display for CatalogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "catalog {}", self.file)?;
        if let Some((line, col)) = self.position {
            write!(f, ", line {line}, column {col}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ", field `{field}`")?;
        }
        write!(f, ": {}", self.message)?;
        if let (Some((line, _)), Some(text)) = (self.position, &self.line_text) {
            write!(f, "\n  {line} | {text}")?;
        }
        Ok(())
    }
}

impl std::error::Error for CatalogError {}

/// One file's text, kept to turn byte spans into line, column and field.
struct Source<'a> {
    name: &'a str,
    text: &'a str,
}

impl Source<'_> {
    fn problem(&self, p: edition_rules::Problem) -> CatalogError {
        self.error(p.span, Some(p.field), &p.message)
    }

    fn error(
        &self,
        span: Option<Range<usize>>,
        field: Option<&str>,
        message: &str,
    ) -> CatalogError {
        let position = span.map(|s| line_col(self.text, s.start));
        let line_text = position
            .and_then(|(l, _)| self.text.lines().nth(l - 1))
            .map(str::to_owned);
        // The TOML key of the offending line names the field when the caller does not.
        let field = field
            .map(str::to_owned)
            .or_else(|| line_text.as_deref().and_then(key_of_line));
        CatalogError {
            file: self.name.to_owned(),
            position,
            field,
            message: message.trim().to_owned(),
            line_text: line_text.map(|t| t.trim_end().to_owned()),
        }
    }
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// `ports = [1]` → `ports`; `[[dependency]]` and blank lines → none.
fn key_of_line(line: &str) -> Option<String> {
    let (key, _) = line.split_once('=')?;
    let key = key.trim();
    let ok = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c));
    ok.then(|| key.to_owned())
}

/// Loads the embedded catalog.
pub fn embedded() -> Result<Catalog, CatalogError> {
    from_sources(
        &EMBEDDED
            .iter()
            .map(|(n, t)| ((*n).to_owned(), (*t).to_owned()))
            .collect::<Vec<_>>(),
    )
}

/// Loads a catalog file, or every `*.toml` file of a folder (in name order).
pub fn from_path(path: &Path) -> Result<Catalog, CatalogError> {
    let io_err = |p: &Path, e: std::io::Error| CatalogError {
        file: p.display().to_string(),
        position: None,
        field: None,
        message: format!("cannot read: {e}"),
        line_text: None,
    };
    let files: Vec<PathBuf> = if path.is_dir() {
        let mut v: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| io_err(path, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            // The region table lives beside the rows but is no catalog file.
            .filter(|p| {
                p.file_name()
                    .is_none_or(|n| n != super::regions::REGIONS_FILE)
            })
            .collect();
        v.sort();
        v
    } else {
        vec![path.to_owned()]
    };
    let mut sources = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).map_err(|e| io_err(f, e))?;
        sources.push((f.display().to_string(), text));
    }
    if sources.is_empty() {
        return Err(io_err(
            path,
            std::io::Error::other("no .toml files in this folder"),
        ));
    }
    from_sources(&sources)
}

/// Parses and validates a set of `(name, text)` files into one catalog.
pub fn from_sources(sources: &[(String, String)]) -> Result<Catalog, CatalogError> {
    let mut placeholders: Vec<PlaceholderDef> = Vec::new();
    let mut rows: Vec<(usize, Dependency)> = Vec::new();
    let mut editions: Vec<Edition> = Vec::new();
    let mut retired = Vec::new();
    for (i, (name, text)) in sources.iter().enumerate() {
        let src = Source { name, text };
        let file: CatalogFile =
            toml::from_str(text).map_err(|e| src.error(e.span(), None, e.message()))?;
        for p in file.placeholder {
            check_placeholder(&src, &p, &placeholders)?;
            placeholders.push(p);
        }
        for def in &file.edition {
            let edition =
                edition_rules::check_edition(def, &editions).map_err(|p| src.problem(p))?;
            editions.push(edition);
        }
        retired.extend(file.platform);
        for d in file.dependency {
            check_row(&src, &d)?;
            rows.push((i, d));
        }
    }
    // Every file's editions are known before any row is held to them.
    for (file, d) in &rows {
        edition_rules::check_row(d, &editions).map_err(|p| source(sources, *file).problem(p))?;
    }
    editions.sort_by(|a, b| a.date.cmp(&b.date));
    check_ids(sources, &rows)?;
    check_placeholders_known(sources, &rows, &placeholders)?;
    Ok(Catalog {
        placeholders: placeholders
            .into_iter()
            .map(|p| (p.name.into_inner(), p.help))
            .collect(),
        dependencies: rows.into_iter().map(|(_, d)| d).collect(),
        editions,
        retired,
        edition: None,
        elsewhere: BTreeMap::new(),
    })
}

fn source(sources: &[(String, String)], i: usize) -> Source<'_> {
    Source {
        name: &sources[i].0,
        text: &sources[i].1,
    }
}

fn check_placeholder(
    src: &Source,
    p: &PlaceholderDef,
    seen: &[PlaceholderDef],
) -> Result<(), CatalogError> {
    let name = p.name.get_ref();
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return Err(src.error(
            Some(p.name.span()),
            Some("name"),
            "placeholder names are lowercase_with_underscores",
        ));
    }
    if BUILTIN_PLACEHOLDERS.contains(&name.as_str())
        || seen.iter().any(|s| s.name.get_ref() == name)
    {
        return Err(src.error(
            Some(p.name.span()),
            Some("name"),
            &format!("placeholder `{name}` is declared twice"),
        ));
    }
    Ok(())
}

/// Rules about one row that the types alone do not express.
fn check_row(src: &Source, d: &Dependency) -> Result<(), CatalogError> {
    let at = Some(d.id.span());
    let id = d.id.get_ref();
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(src.error(
            at,
            Some("id"),
            &format!("id `{id}` must be lowercase letters, digits and dashes"),
        ));
    }
    if id.starts_with(SYNTHETIC_ID_PREFIX) {
        return Err(src.error(
            at,
            Some("id"),
            &format!(
                "id `{id}`: the `{SYNTHETIC_ID_PREFIX}` prefix is kept for what --dependencies brings that the catalog lacks"
            ),
        ));
    }
    if d.ports.is_empty() {
        return Err(src.error(
            at,
            Some("ports"),
            &format!("dependency `{id}` lists no ports"),
        ));
    }
    let fits = match d.check {
        CheckKind::Tcp
        | CheckKind::Tls
        | CheckKind::Http
        | CheckKind::Tds
        | CheckKind::Smb
        | CheckKind::Amqp
        | CheckKind::Amqps => d.transport == [Transport::Tcp],
        CheckKind::Ntp | CheckKind::None => d.transport == [Transport::Udp],
        CheckKind::Dns | CheckKind::Peer => true,
    };
    if !fits {
        let msg = format!(
            "dependency `{id}`: check `{}` cannot run over this transport",
            d.check.as_str()
        );
        return Err(src.error(at, Some("check"), &msg));
    }
    let probed = d.direction == Direction::Outbound && d.skip.is_none();
    if probed && d.hosts.is_none() {
        let msg =
            format!("outbound dependency `{id}` needs `hosts` to probe, or `skip` with a reason");
        return Err(src.error(at, Some("hosts"), &msg));
    }
    Ok(())
}

/// An id may appear on several rows only when they never yield the same probe: their platforms
/// differ (stv1 and stv2 rows of one dependency differ in purpose or in being required), their
/// ports differ (one dependency checked with a different protocol per port, e.g. 80 and 443), or
/// they belong to different editions of the reference.
fn check_ids(
    sources: &[(String, String)],
    rows: &[(usize, Dependency)],
) -> Result<(), CatalogError> {
    let mut seen: HashMap<&str, Vec<&Dependency>> = HashMap::new();
    for (file, d) in rows {
        let earlier = seen.entry(d.id.get_ref()).or_default();
        if earlier.iter().any(|e| {
            overlap(&e.platforms, &d.platforms) && ports_overlap(e, d) && editions_overlap(e, d)
        }) {
            let src = source(sources, *file);
            let msg = format!(
                "duplicate id `{}` for the same platform and port",
                d.id.get_ref()
            );
            return Err(src.error(Some(d.id.span()), Some("id"), &msg));
        }
        earlier.push(d);
    }
    Ok(())
}

fn overlap<T: PartialEq>(a: &[T], b: &[T]) -> bool {
    a.iter().any(|x| b.contains(x))
}

fn editions_overlap(a: &Dependency, b: &Dependency) -> bool {
    match (&a.editions, &b.editions) {
        (Some(x), Some(y)) => x
            .iter()
            .any(|e| y.iter().any(|f| e.get_ref() == f.get_ref())),
        _ => true,
    }
}

fn ports_overlap(a: &Dependency, b: &Dependency) -> bool {
    let ports = |d: &Dependency| d.ports.iter().flat_map(|p| p.expand()).collect::<Vec<_>>();
    let (pa, pb) = (ports(a), ports(b));
    overlap(&a.transport, &b.transport)
        && pa
            .iter()
            .any(|p| p.is_none() || pb.contains(p) || pb.contains(&None))
}

fn check_placeholders_known(
    sources: &[(String, String)],
    rows: &[(usize, Dependency)],
    declared: &[PlaceholderDef],
) -> Result<(), CatalogError> {
    for (file, d) in rows {
        // A row's own hosts and those an edition gives it.
        let changed = d
            .changed
            .values()
            .filter_map(|c| c.get_ref().hosts.as_ref());
        for hosts in d.hosts.iter().chain(changed) {
            for entry in hosts.get_ref().all() {
                for name in entry.placeholders() {
                    let known = BUILTIN_PLACEHOLDERS.contains(&name)
                        || declared.iter().any(|p| p.name.get_ref() == name);
                    if !known {
                        let msg = format!(
                            "unknown placeholder `{{{name}}}` in host `{}` (declare it with [[placeholder]])",
                            entry.name
                        );
                        let src = source(sources, *file);
                        return Err(src.error(Some(hosts.span()), Some("hosts"), &msg));
                    }
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_catalog_is_valid() {
        let c = embedded().expect("embedded catalog");
        assert!(c.dependencies.len() > 30);
    }

    #[test]
    fn positions_and_fields() {
        assert_eq!(line_col("a\nbc\nd", 3), (2, 2));
        assert_eq!(key_of_line("ports = [70000]").as_deref(), Some("ports"));
        assert_eq!(key_of_line("[[dependency]]"), None);
    }
}
