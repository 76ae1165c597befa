//! A file given to `merge`, whatever its bytes, is read or refused with an error naming the JSON
//! path; never a panic. What is read — a report, an evaluation, the fleet script's run-command
//! file (its saved answers and output blob being these same bytes) — is merged with the sample
//! report and written in every format. The bytes are also salvaged as run-command output
//! (compact lines, a cut JSON report), as `merge` does with what Azure returns.
#![no_main]

#[expect(dead_code, reason = "this target reads no file: the scratch file goes unused")]
mod common;

use apim_probe::merge::build::build;
use apim_probe::merge::input::{Document, ParseError, parse};
use apim_probe::merge::model::Matrix;
use apim_probe::merge::source::{Source, from_brief, from_report};
use apim_probe::merge::{evaluation, html, json, markdown, runcommand, salvage, table};
use common::sample;
use libfuzzer_sys::fuzz_target;

fn render(m: &Matrix) {
    let mut out = Vec::new();
    for write in [table::write, markdown::write, json::write, html::write] {
        write(m, &mut out).expect("to memory");
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = salvage::salvage(&text);
    let source: Source = match parse("fuzz.json", data) {
        Ok(Document::Report(r)) => from_brief(&r, "fuzz.json"),
        Ok(Document::Evaluation(e)) => evaluation::to_source(&e, "fuzz.json"),
        Ok(Document::RunCommand(env)) => {
            runcommand::to_source(&env, "fuzz.json", &|_| Some(text.clone().into_owned()))
        }
        Err(ParseError::Input(e)) => {
            let _ = e.to_string();
            return;
        }
        Err(ParseError::Report) => return,
    };
    render(&build(vec![from_report(sample(), "sample.json"), source]));
});
