//! `apim-probe merge REPORT...`: reads every file (folders: their `*.json`), makes each a column
//! (`merge::input`, `merge::source`), merges them (`merge::build`), prints the matrix and exits 1
//! when any VM has a required failure or no verdict, 2 on a file that is not a report.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::{UsageError, ignore_broken_pipe, read_report};
use crate::azure::InputError;
use crate::cli::{MergeArgs, MergeFormat};
use crate::exit;
use crate::merge::build::build;
use crate::merge::input::{Document, ParseError, parse};
use crate::merge::model::Matrix;
use crate::merge::source::{Source, from_brief, from_report};
use crate::merge::{evaluation, html, json, markdown, runcommand, table};
use crate::report::{check_writable, write_file_atomically};

/// The largest file read beside a run-command file (an output blob): a report of thousands of
/// rows fits many times over.
const MAX_SIBLING: u64 = 64 << 20;

/// `apim-probe merge`.
pub fn merge(args: &MergeArgs) -> Result<u8, UsageError> {
    if let Some(path) = &args.report_file {
        check_writable(path).map_err(|err| report_file_error(path, err))?;
    }
    let files = expand(&args.reports)?;
    let sources = read_all(&files)?;
    let matrix = build(sources);
    if let Some(path) = &args.report_file {
        let mut bytes = Vec::new();
        json::write(&matrix, &mut bytes).expect("writing to memory");
        if let Err(err) = write_file_atomically(path, &bytes) {
            eprintln!("apim-probe: error: {}", report_file_error(path, err));
        }
    }
    print(&matrix, args.output);
    Ok(if matrix.passed() {
        exit::OK
    } else {
        exit::FAILED
    })
}

fn print(m: &Matrix, format: MergeFormat) {
    let mut out = io::BufWriter::new(io::stdout().lock());
    let written = match format {
        MergeFormat::Table => table::write(m, &mut out),
        MergeFormat::Markdown => markdown::write(m, &mut out),
        MergeFormat::Json => json::write(m, &mut out),
        MergeFormat::Html => html::write(m, &mut out),
    };
    ignore_broken_pipe(written.and_then(|()| out.flush()));
}

fn report_file_error(path: &Path, err: io::Error) -> UsageError {
    UsageError::ReportFile {
        path: path.display().to_string(),
        err,
    }
}

/// The files to read: each file as given, each folder's `*.json` in name order.
fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>, InputError> {
    let mut files = Vec::new();
    for path in paths {
        if !path.is_dir() {
            files.push(path.clone());
            continue;
        }
        let entries = std::fs::read_dir(path)
            .map_err(|e| InputError::new(path, "$", format!("cannot read the folder: {e}")))?;
        let mut inside: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json") && p.is_file())
            .collect();
        if inside.is_empty() {
            return Err(InputError::new(
                path,
                "$",
                "the folder holds no *.json file",
            ));
        }
        inside.sort();
        files.extend(inside);
    }
    Ok(files)
}

/// Reads every file, on as many threads as there are cores, keeping the order given; the first
/// bad file (in that order) is the error.
fn read_all(files: &[PathBuf]) -> Result<Vec<Source>, InputError> {
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let chunk = files.len().div_ceil(threads).max(1);
    let parts: Vec<Result<Vec<Source>, InputError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(|f| read_one(f)).collect()))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a reader thread panicked"))
            .collect()
    });
    let mut sources = Vec::with_capacity(files.len());
    for part in parts {
        sources.extend(part?);
    }
    Ok(sources)
}

/// One file as a column.
fn read_one(path: &Path) -> Result<Source, InputError> {
    let file = path.display().to_string();
    let bytes =
        std::fs::read(path).map_err(|e| InputError::new(path, "$", format!("cannot read: {e}")))?;
    match parse(&file, &bytes) {
        Ok(Document::Report(r)) => Ok(from_brief(&r, &file)),
        Ok(Document::Evaluation(doc)) => Ok(evaluation::to_source(&doc, &file)),
        Ok(Document::RunCommand(env)) => {
            let folder = path.parent().unwrap_or(Path::new("."));
            Ok(runcommand::to_source(&env, &file, &|name| {
                sibling(folder, name)
            }))
        }
        Err(ParseError::Input(e)) => Err(e),
        // The reader of `diff` names the field that does not fit.
        Err(ParseError::Report) => read_report(path).map(|r| from_report(&r, &file)),
    }
}

/// A file named by a run-command file, from its own folder only: a bare name, no path.
fn sibling(folder: &Path, name: &str) -> Option<String> {
    if name.is_empty() || name.contains(['/', '\\']) || name == "." || name == ".." {
        return None;
    }
    let path = folder.join(name);
    let file = std::fs::File::open(path).ok()?;
    let mut text = String::new();
    io::Read::read_to_string(&mut io::Read::take(file, MAX_SIBLING), &mut text).ok()?;
    Some(text)
}
