//! The files of a module, read and parsed (hcl-edit, through `hcl::edit`, keeps the position of
//! every block): a `.tf` file, or a folder's `.tf` files with the `terraform.tfvars` and
//! `*.auto.tfvars` Terraform loads by itself, and the local child modules they call, read the
//! same way. What Terraform itself would refuse is refused here, naming the file and the line.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::ops::Range;
use std::path::{Path, PathBuf};

use hcl::edit::Span;
use hcl::edit::expr::Expression;
use hcl::edit::structure::{Block, BlockLabel, Body, Structure};

use crate::azure::InputError;

/// Modules nested deeper than this are not read.
const MAX_MODULE_DEPTH: usize = 16;

/// One parsed file.
#[derive(Debug)]
pub struct Source {
    /// The file, as errors and origins name it.
    pub path: PathBuf,
    /// Its blocks and attributes, with their spans.
    pub body: Body,
    /// Where each line starts.
    starts: Vec<usize>,
}

impl Source {
    /// Parses `text`; a syntax error names the line and column.
    pub fn parse(path: &Path, text: &str) -> Result<Self, InputError> {
        let body = hcl::edit::parser::parse_body(text).map_err(|e| {
            let at = e.location();
            InputError::new(
                path,
                format!("line {}, column {}", at.line(), at.column()),
                format!("not HCL: {}", e.message()),
            )
        })?;
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Ok(Self {
            path: path.to_owned(),
            body,
            starts,
        })
    }

    /// The 1-based line where a parsed item starts.
    pub fn line(&self, span: Option<Range<usize>>) -> Option<usize> {
        let offset = span?.start;
        Some(self.starts.partition_point(|&s| s <= offset))
    }

    /// The path as errors and origins name it.
    pub fn display(&self) -> String {
        self.path.display().to_string()
    }

    fn error(&self, block: &Block, message: String) -> InputError {
        let line = self.line(block.span()).unwrap_or(1);
        InputError::new(&self.path, format!("line {line}"), message)
    }
}

/// A module: its files, the variable values Terraform loads by itself (the root module only),
/// and the modules it calls.
#[derive(Debug, Default)]
pub struct Module {
    /// Its folder (`path.module`, and where `./x` sources lead from).
    pub dir: PathBuf,
    /// Its `.tf` files, in name order, as Terraform reads them.
    pub files: Vec<Source>,
    /// `terraform.tfvars` then `*.auto.tfvars`, in the order Terraform applies them.
    pub tfvars: Vec<Source>,
    /// `terraform.tfvars.json` and `*.auto.tfvars.json`, read as JSON.
    pub tfvars_json: Vec<(PathBuf, serde_json::Value)>,
    /// Each `module` block by name: the module read, or why not.
    pub children: BTreeMap<String, Result<Module, String>>,
    /// What was left out while reading, in words.
    pub notes: Vec<String>,
}

/// Reads a `.tf` file or a folder of them (the root module), with its local child modules.
pub fn load(path: &Path) -> Result<Module, InputError> {
    if path.is_dir() {
        return load_dir(path, true, &mut Vec::new());
    }
    let text = read(path)?;
    let dir = path.parent().unwrap_or(Path::new("")).to_owned();
    let mut m = Module {
        dir,
        files: vec![Source::parse(path, &text)?],
        ..Module::default()
    };
    finish(&mut m, true, &mut Vec::new())?;
    Ok(m)
}

/// One file's text as the root module; the modules it calls are not read.
pub fn from_text(path: &Path, text: &str) -> Result<Module, InputError> {
    let mut m = Module {
        dir: path.parent().unwrap_or(Path::new("")).to_owned(),
        files: vec![Source::parse(path, text)?],
        ..Module::default()
    };
    finish(&mut m, false, &mut Vec::new())?;
    Ok(m)
}

fn read(path: &Path) -> Result<String, InputError> {
    std::fs::read_to_string(path)
        .map_err(|e| InputError::new(path, "$", format!("cannot read: {e}")))
}

fn load_dir(dir: &Path, root: bool, stack: &mut Vec<PathBuf>) -> Result<Module, InputError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| InputError::new(dir, "$", format!("cannot read the folder: {e}")))?;
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| e.path().is_file())
        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
        .collect();
    names.sort();
    let mut m = Module {
        dir: dir.to_owned(),
        ..Module::default()
    };
    for name in &names {
        let path = dir.join(name);
        let ext = Path::new(name).extension().and_then(OsStr::to_str);
        match ext {
            Some("tf") if name == "override.tf" || name.ends_with("_override.tf") => {
                let note = format!("{}: an override file, not read", path.display());
                m.notes.push(note);
            }
            Some("tf") => m.files.push(Source::parse(&path, &read(&path)?)?),
            // Terraform compares the extension as written: `main.TF` is no part of the module
            // it plans, so it is not read here either, but said, since it looks like one.
            Some(e) if e.eq_ignore_ascii_case("tf") => m.notes.push(format!(
                "{}: Terraform reads .tf files only (in lower case): not read",
                path.display()
            )),
            _ if name.ends_with(".tf.json") => m.notes.push(format!(
                "{}: Terraform JSON configuration is not read",
                path.display()
            )),
            _ => {}
        }
    }
    if m.files.is_empty() {
        return Err(InputError::new(dir, "$", "a folder without .tf files"));
    }
    if root {
        tfvars(&mut m, &names)?;
    }
    finish(&mut m, true, stack)?;
    Ok(m)
}

/// The variable files Terraform loads by itself, in its order (later ones win).
fn tfvars(m: &mut Module, names: &[String]) -> Result<(), InputError> {
    let auto = names.iter().filter(|n| n.ends_with(".auto.tfvars"));
    for name in ["terraform.tfvars"]
        .iter()
        .copied()
        .chain(auto.map(String::as_str))
    {
        let path = m.dir.join(name);
        if path.is_file() {
            m.tfvars.push(Source::parse(&path, &read(&path)?)?);
        }
    }
    let auto_json = names.iter().filter(|n| n.ends_with(".auto.tfvars.json"));
    for name in ["terraform.tfvars.json"]
        .iter()
        .copied()
        .chain(auto_json.map(String::as_str))
    {
        let path = m.dir.join(name);
        if path.is_file() {
            let v = serde_json::from_str(&read(&path)?)
                .map_err(|e| InputError::new(&path, "$", format!("not JSON: {e}")))?;
            m.tfvars_json.push((path, v));
        }
    }
    Ok(())
}

/// Checks the declarations and reads the child modules (`follow`: from disk).
fn finish(m: &mut Module, follow: bool, stack: &mut Vec<PathBuf>) -> Result<(), InputError> {
    let calls = check(m)?;
    let here = m.dir.canonicalize().unwrap_or_else(|_| m.dir.clone());
    stack.push(here);
    for (name, source) in calls {
        let child = match source {
            Err(why) => Err(why),
            Ok(_) if !follow => Err("modules are not followed when reading one text".into()),
            Ok(s) => child(&m.dir, &s, stack)?,
        };
        if let Err(why) = &child {
            m.notes.push(format!("module.{name}: {why}: not read"));
        }
        m.children.insert(name, child);
    }
    stack.pop();
    Ok(())
}

/// A local child module (`./x`, `../x`), read; why not otherwise.
fn child(
    dir: &Path,
    source: &str,
    stack: &mut Vec<PathBuf>,
) -> Result<Result<Module, String>, InputError> {
    if !(source.starts_with("./") || source.starts_with("../")) {
        return Ok(Err(format!("its source {source:?} is not a local path")));
    }
    // `dir/./net` read as `dir/net`: the path is how origins and messages name the files.
    let path: PathBuf = dir.join(source).components().collect();
    let canonical = path.canonicalize().unwrap_or_else(|_| path.clone());
    if stack.contains(&canonical) {
        return Ok(Err(format!("{} calls itself", path.display())));
    }
    if stack.len() >= MAX_MODULE_DEPTH {
        return Ok(Err(format!("modules nested over {MAX_MODULE_DEPTH} deep")));
    }
    let has_tf = std::fs::read_dir(&path).is_ok_and(|entries| {
        entries
            .filter_map(Result::ok)
            .any(|e| e.path().extension().is_some_and(|x| x == "tf"))
    });
    if !has_tf {
        return Ok(Err(format!("{} holds no .tf files", path.display())));
    }
    load_dir(&path, false, stack).map(Ok)
}

/// What Terraform refuses before planning: blocks without their labels, a name declared
/// twice. Returns the module calls with their sources.
fn check(m: &Module) -> Result<Vec<(String, ModuleSource)>, InputError> {
    let mut seen: BTreeMap<String, (&Source, &Block)> = BTreeMap::new();
    let mut calls = Vec::new();
    for file in &m.files {
        for s in &file.body {
            let Structure::Block(b) = s else { continue };
            let labels: Vec<&str> = b.labels.iter().map(BlockLabel::as_str).collect();
            let ident = b.ident.as_str();
            let wanted = match ident {
                "resource" | "data" => 2,
                "variable" | "module" | "output" => 1,
                _ => continue,
            };
            if labels.len() != wanted {
                let what = if wanted == 2 {
                    "a type and a name"
                } else {
                    "a name"
                };
                return Err(file.error(b, format!("a {ident} block needs {what}")));
            }
            let key = format!("{ident} {}", labels.join("."));
            if let Some((first, fb)) = seen.get(&key) {
                let line = first.line(fb.span()).unwrap_or(1);
                return Err(file.error(
                    b,
                    format!(
                        "{ident} {} is declared twice (first in {} line {line})",
                        labels.join("."),
                        first.display()
                    ),
                ));
            }
            seen.insert(key, (file, b));
            if ident == "module" {
                calls.push((labels[0].to_owned(), source_of(b)));
            }
        }
    }
    Ok(calls)
}

/// A module call's `source`, or why it cannot be followed.
type ModuleSource = Result<String, String>;

/// A module's `source`, which Terraform wants literal.
fn source_of(b: &Block) -> ModuleSource {
    match b.body.get_attribute("source").map(|a| &a.value) {
        Some(Expression::String(s)) => Ok(s.value().clone()),
        Some(_) => Err("its source is not a literal string".into()),
        None => Err("it has no source".into()),
    }
}
