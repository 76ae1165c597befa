//! The shape of the code, checked: imports run one way (no file of `src/` imports, directly or in
//! a circle, a file that imports it), no file over 400 lines of code, no function over 80 lines,
//! and nothing in the repository points outside it.
//!
//! Imports are read from the text: `use crate::…`/`use super::…` trees and inline `crate::x::y`
//! or `super::x` paths, each resolved to the file of the longest module prefix it names. A module's
//! front door (`mod.rs`, `lib.rs`, or `x.rs` beside `x/`) may declare and re-export its children:
//! those lines are not imports. Test modules (`#[cfg(test)]` onwards) are left out.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Lines of code a file may have (before its tests).
const MAX_FILE_LINES: usize = 400;

/// Lines a function may have, signature to closing brace.
const MAX_FN_LINES: usize = 80;

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// The module path of a file of `src/` (`src/probe/tls/mod.rs` → `probe::tls`).
fn module_of(file: &Path) -> Vec<String> {
    let rel = file.strip_prefix("src").unwrap();
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap();
    let stem = last.trim_end_matches(".rs");
    if !matches!(stem, "mod" | "lib" | "main") {
        parts.push(stem.to_owned());
    }
    parts
}

/// The lines of a file before its test module (a `#[cfg(test)]` item with a body; a test-only
/// `mod x;` declaration does not end the code).
fn before_tests(text: &str) -> Vec<&str> {
    let lines: Vec<&str> = text.lines().collect();
    let end = (0..lines.len())
        .find(|&i| {
            lines[i].trim() == "#[cfg(test)]"
                && lines
                    .get(i + 1)
                    .is_some_and(|n| n.trim_end().ends_with('{'))
        })
        .unwrap_or(lines.len());
    lines[..end].to_vec()
}

/// The code of a file without its test module and without line comments.
fn code_of(text: &str) -> Vec<String> {
    before_tests(text)
        .into_iter()
        .map(|l| match l.find("//") {
            Some(at) => l[..at].to_owned(),
            None => l.to_owned(),
        })
        .collect()
}

/// Expands a use tree (`a::{b, c::{d, self}}`) into its paths.
fn expand(tree: &str) -> Vec<String> {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        let path = tree.split(" as ").next().unwrap().trim();
        return vec![path.trim_end_matches("::self").to_owned()];
    };
    let prefix = tree[..open].trim_end_matches("::");
    let inner = &tree[open + 1..tree.rfind('}').unwrap()];
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|p| !p.trim().is_empty())
        .flat_map(expand)
        .map(|p| {
            if p == "self" {
                prefix.to_owned()
            } else {
                format!("{prefix}::{p}")
            }
        })
        .collect()
}

/// The modules a file declares (`mod x;`, `pub mod x;`): paths may start with their names.
fn children_of(code: &[String]) -> Vec<String> {
    code.iter()
        .filter_map(|l| {
            let t = l.trim();
            let rest = t
                .strip_prefix("pub mod ")
                .or_else(|| t.strip_prefix("mod "))?;
            rest.strip_suffix(';').map(str::to_owned)
        })
        .collect()
}

/// The `crate::`/`super::` paths a file uses (and those starting with a child module's name,
/// written `self::x::…`), and whether each comes from a `pub use`.
fn paths_of(code: &[String]) -> Vec<(String, bool)> {
    let children = children_of(code);
    let mut roots = vec!["crate::".to_owned(), "super::".to_owned()];
    roots.extend(children.iter().map(|c| format!("{c}::")));
    let relative = |p: String| {
        if p.starts_with("crate::") || p.starts_with("super::") {
            p
        } else {
            format!("self::{p}")
        }
    };
    let mut out = Vec::new();
    let mut statement: Option<(String, bool)> = None;
    for line in code {
        let t = line.trim();
        if let Some((text, public)) = &mut statement {
            text.push_str(t);
            if t.ends_with(';') {
                let text = text.trim_end_matches(';').to_owned();
                out.extend(expand(&text).into_iter().map(|p| (p, *public)));
                statement = None;
            }
            continue;
        }
        let public = t.starts_with("pub use ") || t.starts_with("pub(crate) use ");
        let statement_start = ["use ", "pub use ", "pub(crate) use ", "pub(super) use "]
            .iter()
            .find_map(|p| t.strip_prefix(p));
        if let Some(rest) = statement_start {
            if rest.ends_with(';') {
                out.extend(
                    expand(rest.trim_end_matches(';'))
                        .into_iter()
                        .map(|p| (relative(p), public)),
                );
            } else {
                statement = Some((rest.to_owned(), public));
            }
            continue;
        }
        for root in &roots {
            let mut from = 0;
            while let Some(at) = t[from..].find(root) {
                let start = from + at;
                let before = t[..start].chars().last();
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                    from = start + root.len();
                    continue;
                }
                let end = t[start..]
                    .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                    .map_or(t.len(), |e| start + e);
                out.push((
                    relative(t[start..end].trim_end_matches(':').to_owned()),
                    false,
                ));
                from = end;
            }
        }
    }
    out
}

/// The file a path leads to: the longest module prefix that has a file, if not `from` itself.
fn resolve(
    path: &str,
    from: &[String],
    files: &BTreeMap<Vec<String>, PathBuf>,
) -> Option<Vec<String>> {
    let mut segs: Vec<&str> = path.split("::").collect();
    let mut module: Vec<String> = match segs.first() {
        Some(&"crate") => Vec::new(),
        Some(&"super") => from[..from.len().saturating_sub(1)].to_vec(),
        Some(&"self") => from.to_vec(),
        _ => return None,
    };
    segs.remove(0);
    while segs.first() == Some(&"super") {
        module.pop();
        segs.remove(0);
    }
    let mut best = module.clone();
    for s in segs {
        module.push(s.to_owned());
        if files.contains_key(&module) {
            best.clone_from(&module);
        }
    }
    Some(best)
}

/// The import graph of `src/`, between modules that are files.
fn graph() -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let files: BTreeMap<Vec<String>, PathBuf> = rust_files(Path::new("src"))
        .into_iter()
        .filter(|f| !f.ends_with("main.rs"))
        .map(|f| (module_of(&f), f))
        .collect();
    let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for (module, file) in &files {
        let code = code_of(&fs::read_to_string(file).unwrap());
        let out = edges.entry(module.clone()).or_default();
        for (path, public) in paths_of(&code) {
            let Some(to) = resolve(&path, module, &files) else {
                continue;
            };
            let front_door = to.starts_with(module) && public;
            if to != *module && !front_door {
                out.insert(to);
            }
        }
    }
    edges
}

/// Every circle of the graph, each once, as module paths.
fn circles(edges: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Vec<Vec<String>> {
    let name = |m: &Vec<String>| {
        if m.is_empty() {
            "crate".to_owned()
        } else {
            m.join("::")
        }
    };
    let mut found = BTreeSet::new();
    for start in edges.keys() {
        let mut stack = vec![(start.clone(), vec![start.clone()])];
        while let Some((at, path)) = stack.pop() {
            for next in edges.get(&at).into_iter().flatten() {
                if next == start {
                    let mut circle: Vec<String> = path.iter().map(name).collect();
                    let min = circle.iter().enumerate().min_by_key(|(_, n)| *n).unwrap().0;
                    circle.rotate_left(min);
                    found.insert(circle);
                } else if !path.contains(next) && next > start {
                    let mut longer = path.clone();
                    longer.push(next.clone());
                    stack.push((next.clone(), longer));
                }
            }
        }
    }
    found.into_iter().collect()
}

#[test]
fn imports_run_one_way() {
    let edges = graph();
    assert!(
        edges.values().map(BTreeSet::len).sum::<usize>() > 50,
        "the import reader found too few imports to be trusted"
    );
    let found = circles(&edges);
    assert!(found.is_empty(), "import circles in src/: {found:#?}");
}

#[test]
fn the_reader_sees_a_circle_when_there_is_one() {
    let code = |s: &str| s.lines().map(str::to_owned).collect::<Vec<_>>();
    let paths = paths_of(&code(
        "mod k;\nuse super::{a::{B, C}, d};\npub use crate::x::y as z;\nfn f() { crate::e::g(); k::h(); }",
    ));
    let texts: Vec<&str> = paths.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        texts,
        [
            "super::a::B",
            "super::a::C",
            "super::d",
            "crate::x::y",
            "crate::e::g",
            "self::k::h"
        ]
    );
    let m = |s: &str| s.split("::").map(str::to_owned).collect::<Vec<_>>();
    let edges = BTreeMap::from([
        (m("p::a"), BTreeSet::from([m("p::b")])),
        (m("p::b"), BTreeSet::from([m("p::a")])),
    ]);
    assert_eq!(
        circles(&edges),
        [vec!["p::a".to_owned(), "p::b".to_owned()]]
    );
}

#[test]
fn no_file_is_too_long() {
    let mut long = Vec::new();
    for f in rust_files(Path::new("src")) {
        let text = fs::read_to_string(&f).unwrap();
        let lines = before_tests(&text).len();
        if lines > MAX_FILE_LINES {
            long.push(format!("{}: {lines} lines", f.display()));
        }
    }
    assert!(
        long.is_empty(),
        "over {MAX_FILE_LINES} lines of code: {long:#?}"
    );
}

#[test]
fn no_function_is_too_long() {
    let mut long = Vec::new();
    for f in rust_files(Path::new("src")) {
        let text = fs::read_to_string(&f).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let t = line.trim_start();
            let indent = &line[..line.len() - t.len()];
            let is_fn = t.split_once("fn ").is_some_and(|(before, _)| {
                before
                    .split_whitespace()
                    .all(|w| w.starts_with("pub") || matches!(w, "async" | "const" | "unsafe"))
            });
            if !is_fn || t.ends_with(';') {
                continue;
            }
            // rustfmt puts the closing brace of a function at the indentation of its `fn`.
            let close = format!("{indent}}}");
            let Some(end) = lines[i + 1..].iter().position(|l| *l == close) else {
                continue;
            };
            if end + 2 > MAX_FN_LINES {
                long.push(format!("{}:{}: {} lines", f.display(), i + 1, end + 2));
            }
        }
    }
    assert!(long.is_empty(), "over {MAX_FN_LINES} lines: {long:#?}");
}

#[test]
fn nothing_points_outside_the_repository() {
    let mut files = vec![PathBuf::from("README.md")];
    for dir in [
        "src",
        "tests",
        "docs",
        "packaging",
        "scripts",
        "probes",
        "fuzz/fuzz_targets",
    ] {
        if Path::new(dir).is_dir() {
            files.extend(all_files(Path::new(dir)));
        }
    }
    let me = Path::new("tests/architecture.rs");
    let outside = ["../shared", "/work/"];
    let mut found = Vec::new();
    for f in files.iter().filter(|f| f.as_path() != me) {
        let Ok(text) = fs::read_to_string(f) else {
            continue;
        };
        for (n, line) in text.lines().enumerate() {
            if outside.iter().any(|o| line.contains(o)) {
                found.push(format!("{}:{}: {}", f.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(found.is_empty(), "paths outside the repository: {found:#?}");
}

/// Every file under `dir` (text or not).
fn all_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(all_files(&path));
        } else {
            out.push(path);
        }
    }
    out
}
