//! What `packaging/fleet/run-command.sh` keeps per VM (`apim-probe/run-command/v1`): the VM's
//! id, name and region, and what Azure returned — `az vm run-command invoke`'s JSON (only the
//! last 4,096 bytes of output), or a managed run-command's instance view and its output blob
//! saved beside the file — or why nothing came back.
//!
//! A whole JSON report in the output becomes a report column; otherwise the compact lines, or
//! what is left of a cut JSON report, are read (`salvage.rs`) and the column says it is partial.

use serde::Deserialize;
use serde_json::Value;

use crate::report::model::SCHEMA as REPORT_SCHEMA;

use super::brief::Brief;

use super::model::{SourceKind, Verdict, VmKey};
use super::salvage::{Salvaged, salvage};
use super::source::{Missing, Source, from_brief};

/// The schema name of the fleet script's per-VM file.
pub const SCHEMA: &str = "apim-probe/run-command/v1";

/// The per-VM file of the fleet script.
#[derive(Debug, Deserialize)]
pub struct Envelope {
    /// The VM.
    pub vm: EnvelopeVm,
    /// `invoke` or `managed`.
    #[serde(default)]
    pub mode: Option<String>,
    /// `az vm run-command invoke -o json`'s answer.
    #[serde(default)]
    pub invoke: Option<Value>,
    /// A file beside this one holding `invoke`'s answer (a name, no folder).
    #[serde(default)]
    pub invoke_file: Option<String>,
    /// `az vm run-command show --instance-view --query instanceView`'s answer.
    #[serde(default)]
    pub instance_view: Option<Value>,
    /// A file beside this one holding the instance view.
    #[serde(default)]
    pub instance_view_file: Option<String>,
    /// A file beside this one holding the output blob (a name, no folder).
    #[serde(default)]
    pub output_file: Option<String>,
    /// Why nothing (or not everything) came back, in the fleet script's words.
    #[serde(default)]
    pub error: Option<String>,
    /// A file beside this one holding `az`'s own error text.
    #[serde(default)]
    pub error_file: Option<String>,
}

/// The VM as `az vm list` names it.
#[derive(Debug, Deserialize)]
pub struct EnvelopeVm {
    /// Its ARM resource id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its region.
    #[serde(default)]
    pub location: Option<String>,
}

/// What Azure returned, as text.
#[derive(Debug, Default)]
struct Returned {
    stdout: String,
    stderr: String,
    exit: Option<i64>,
    state: Option<String>,
    /// Saved answers that could not be read.
    unreadable: Vec<String>,
}

/// The file as a column. `sibling` reads a file named by the envelope from beside it (`None`
/// when it cannot).
pub fn to_source(env: &Envelope, file: &str, sibling: &dyn Fn(&str) -> Option<String>) -> Source {
    let back = returned(env, sibling);
    if let Some(report) = embedded_report(&back.stdout) {
        let mut s = from_brief(&report, file);
        if report.host.azure.is_none() {
            s.key.name.clone_from(&env.vm.name);
        }
        s.key.region = s.key.region.or_else(|| env.vm.location.clone());
        return s;
    }
    let found = salvage(&back.stdout);
    let mut notes = Vec::new();
    if let Some(e) = &env.error {
        notes.push(e.clone());
    }
    if let Some(text) = env.error_file.as_deref().and_then(sibling) {
        notes.push(format!("az: {}", first_chars(text.trim(), 300)));
    }
    notes.extend(back.unreadable.iter().cloned());
    notes.extend(partial_notes(&found, &back));
    let verdict = found.verdict.unwrap_or(match back.exit {
        Some(0) if found.rows.is_empty() => Verdict::Unknown,
        Some(1) => Verdict::Fail,
        _ => Verdict::Unknown,
    });
    Source {
        key: VmKey {
            name: env.vm.name.clone(),
            region: env.vm.location.as_deref().map(str::to_lowercase),
            subnet: None,
        },
        file: file.to_owned(),
        kind: SourceKind::RunCommand,
        verdict,
        diagnosis: Vec::new(),
        notes,
        started_at: None,
        missing: if found.complete() {
            Missing::NotFailed
        } else {
            Missing::Cut
        },
        reference: found.reference.clone(),
        rows: found.rows,
        flows: Vec::new(),
    }
}

/// What the reader of a partial column should know.
fn partial_notes(found: &Salvaged, back: &Returned) -> Vec<String> {
    let mut notes = Vec::new();
    if let Some(e) = &found.error {
        notes.push(format!("the run-command script failed: {e}"));
    }
    if back.stdout.trim().is_empty() {
        if let Some(state) = &back.state {
            notes.push(format!("run-command state: {state}"));
        }
        notes.push("no output came back".to_owned());
        return notes;
    }
    if found.from_json {
        notes.push(format!(
            "truncated: only the end of a JSON report came back ({} whole results read); use a storage container (managed run-command) for the full report",
            found.rows.len()
        ));
    } else if !found.header && found.verdict.is_some() {
        notes.push("truncated: the start of the output was cut (run-command returns only its last 4,096 bytes)".to_owned());
    } else if found.verdict.is_none() && found.rows.is_empty() {
        notes.push("no verdict in the output that came back".to_owned());
    }
    if let Some(n) = found.more {
        notes.push(format!(
            "{n} more failures are in the report file on the VM only"
        ));
    }
    if found.interrupted {
        notes.push("interrupted: a partial report".to_owned());
    }
    if !back.stderr.trim().is_empty() && found.verdict.is_none() {
        notes.push(format!("stderr: {}", first_chars(back.stderr.trim(), 300)));
    }
    if let Some(code) = back.exit.filter(|c| *c > 1) {
        notes.push(format!("exit code {code}"));
    }
    notes
}

/// An answer of `az`, inline or in a file beside: `None` when neither (or unreadable, said in
/// `unreadable`).
fn answer(
    inline: Option<&Value>,
    file: Option<&str>,
    sibling: &dyn Fn(&str) -> Option<String>,
    unreadable: &mut Vec<String>,
) -> Option<Value> {
    if let Some(v) = inline {
        return Some(v.clone());
    }
    let name = file?;
    let parsed = sibling(name).and_then(|text| serde_json::from_str(&text).ok());
    if parsed.is_none() {
        unreadable.push(format!(
            "the saved answer of az ({name}) is missing or not JSON"
        ));
    }
    parsed
}

/// The output, error text and exit code, from whichever answer the file holds.
fn returned(env: &Envelope, sibling: &dyn Fn(&str) -> Option<String>) -> Returned {
    let mut back = Returned::default();
    let invoke = answer(
        env.invoke.as_ref(),
        env.invoke_file.as_deref(),
        sibling,
        &mut back.unreadable,
    );
    let view = answer(
        env.instance_view.as_ref(),
        env.instance_view_file.as_deref(),
        sibling,
        &mut back.unreadable,
    );
    if let Some(values) = invoke
        .as_ref()
        .and_then(|v| v.get("value"))
        .and_then(Value::as_array)
    {
        for v in values {
            let code = v.get("code").and_then(Value::as_str).unwrap_or("");
            let message = v.get("message").and_then(Value::as_str).unwrap_or("");
            if code.contains("StdOut") {
                back.stdout.push_str(message);
            } else if code.contains("StdErr") {
                back.stderr.push_str(message);
            } else {
                linux_message(message, &mut back);
            }
        }
    }
    if let Some(view) = &view {
        let text = |k: &str| view.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
        if back.stdout.is_empty() {
            back.stdout = text("output");
        }
        back.stderr.push_str(&text("error"));
        back.exit = back
            .exit
            .or_else(|| view.get("exitCode").and_then(Value::as_i64));
        back.state = Some(text("executionState")).filter(|s| !s.is_empty());
    }
    if let Some(out) = env.output_file.as_deref().and_then(sibling) {
        back.stdout = out;
    }
    back
}

/// Linux's one message: `Enable succeeded: \n[stdout]\n…\n[stderr]\n…`, or `Enable failed:
/// failed to execute command: command terminated with exit status=1\n[stdout]…`.
fn linux_message(message: &str, back: &mut Returned) {
    let (head, rest) = message.split_once("[stdout]\n").unwrap_or(("", message));
    let (out, err) = rest.split_once("\n[stderr]\n").unwrap_or((rest, ""));
    back.stdout.push_str(out);
    back.stderr.push_str(err);
    if let Some((_, n)) = head.split_once("exit status=") {
        back.exit = n
            .trim()
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .and_then(|d| d.parse().ok());
    } else if head.starts_with("Enable succeeded") {
        back.exit = Some(0);
    }
}

/// A whole JSON report in the output (after the script's own first line), if there is one.
fn embedded_report(text: &str) -> Option<Brief> {
    let start = if text.starts_with('{') {
        0
    } else {
        text.find("\n{")? + 1
    };
    let report = serde_json::Deserializer::from_str(&text[start..])
        .into_iter::<Brief>()
        .next()?
        .ok()?;
    (report.schema == REPORT_SCHEMA).then_some(report)
}

fn first_chars(s: &str, n: usize) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(n)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_linux_message_splits_into_stdout_stderr_and_exit() {
        let mut back = Returned::default();
        linux_message(
            "Enable failed: failed to execute command: command terminated with exit status=1\n[stdout]\nVERDICT: FAIL\n\n[stderr]\nwarn\n",
            &mut back,
        );
        assert_eq!(back.stdout, "VERDICT: FAIL\n");
        assert_eq!(back.stderr, "warn\n");
        assert_eq!(back.exit, Some(1));
    }
}
