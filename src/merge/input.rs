//! One file's bytes to what it is: a `check` report, an evaluation, or the fleet script's
//! run-command file, told apart by `schema`. Errors name the JSON path.

use serde::Deserialize;
use serde_json::Value;

use crate::azure::InputError;
use crate::report::model::SCHEMA as REPORT_SCHEMA;

use super::brief::Brief;
use super::evaluation::{EvaluationDoc, SCHEMA as EVALUATION_SCHEMA};
use super::runcommand::{Envelope, SCHEMA as RUN_COMMAND_SCHEMA};

/// A file, read.
#[derive(Debug)]
pub enum Document {
    /// `apim-probe/report/v1`, the fields the matrix shows.
    Report(Box<Brief>),
    /// `apim-probe/evaluation/v1`.
    Evaluation(EvaluationDoc),
    /// `apim-probe/run-command/v1`.
    RunCommand(Envelope),
}

/// Why a file could not be read.
#[derive(Debug)]
pub enum ParseError {
    /// Not JSON, no known schema, or a document that does not fit its schema.
    Input(InputError),
    /// A report/v1 that does not fit the report model: the caller reads it again with the
    /// reader of `diff`, whose error names the field.
    Report,
}

#[derive(Deserialize)]
struct Head {
    #[serde(default)]
    schema: Option<Value>,
}

/// Reads a file's bytes (`file` names it in errors).
pub fn parse(file: &str, bytes: &[u8]) -> Result<Document, ParseError> {
    let fail = |at: &str, message: String| {
        ParseError::Input(InputError {
            file: file.to_owned(),
            path: at.to_owned(),
            message,
        })
    };
    let schema = if let Some(s) = sniff(bytes) {
        Some(Value::String(s))
    } else {
        let head: Head =
            serde_json::from_slice(bytes).map_err(|e| fail("$", format!("not JSON: {e}")))?;
        head.schema
    };
    let schema = match schema {
        Some(Value::String(s)) => s,
        Some(other) => return Err(fail("$.schema", format!("expected a string, not {other}"))),
        None => {
            return Err(fail(
                "$",
                format!(
                    "not an apim-probe report: no \"schema\" (expected {})",
                    known()
                ),
            ));
        }
    };
    match schema.as_str() {
        REPORT_SCHEMA => serde_json::from_slice(bytes)
            .map(|r| Document::Report(Box::new(r)))
            .map_err(|_| ParseError::Report),
        EVALUATION_SCHEMA => typed(file, bytes).map(Document::Evaluation),
        RUN_COMMAND_SCHEMA => typed(file, bytes).map(Document::RunCommand),
        other => Err(fail("$.schema", unsupported(other))),
    }
}

/// The schema, when the document starts with it as apim-probe writes it (`{ "schema": "…"`):
/// spares a pass over the whole document to find it.
fn sniff(bytes: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(&bytes[..bytes.len().min(256)]).ok()?;
    let rest = text.trim_start().strip_prefix('{')?.trim_start();
    let rest = rest
        .strip_prefix("\"schema\"")?
        .trim_start()
        .strip_prefix(':')?;
    let rest = rest.trim_start().strip_prefix('"')?;
    let end = rest.find('"')?;
    let schema = &rest[..end];
    (!schema.contains('\\')).then(|| schema.to_owned())
}

/// A document into `T`, the error naming the JSON path.
fn typed<T: serde::de::DeserializeOwned>(file: &str, bytes: &[u8]) -> Result<T, ParseError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let at = e.path().to_string();
        let at = if at == "." {
            "$".to_owned()
        } else {
            format!("$.{at}")
        };
        ParseError::Input(InputError {
            file: file.to_owned(),
            path: at,
            message: e.into_inner().to_string(),
        })
    })
}

fn known() -> String {
    format!("{REPORT_SCHEMA}, {EVALUATION_SCHEMA} or {RUN_COMMAND_SCHEMA}")
}

/// The message for a schema this build does not read: another version of ours, or another
/// document.
fn unsupported(schema: &str) -> String {
    let name = schema.rsplit_once("/v").map_or(schema, |(n, _)| n);
    let ours = [REPORT_SCHEMA, EVALUATION_SCHEMA, RUN_COMMAND_SCHEMA]
        .into_iter()
        .find(|s| s.rsplit_once("/v").is_some_and(|(n, _)| n == name));
    match ours {
        Some(s) => format!("schema {schema:?} is not supported (this apim-probe reads {s:?})"),
        None => format!(
            "not an apim-probe report: schema {schema:?} (expected {})",
            known()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(bytes: &str) -> InputError {
        match parse("f.json", bytes.as_bytes()) {
            Err(ParseError::Input(e)) => e,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn files_that_are_not_reports_are_named_with_their_path() {
        assert_eq!(error("nope").path, "$");
        assert!(error("{}").message.contains("no \"schema\""));
        assert_eq!(error(r#"{"schema": 3}"#).path, "$.schema");
        let e = error(r#"{"schema": "apim-probe/report/v2"}"#);
        assert!(e.message.contains("not supported"), "{e}");
        let e = error(r#"{"schema": "apim-probe/evaluation/v1", "flows": [{"id": 3}]}"#);
        assert_eq!(e.path, "$.flows[0].id");
    }

    #[test]
    fn a_report_that_does_not_fit_is_read_again_for_the_exact_error() {
        assert!(matches!(
            parse("f.json", br#"{"schema": "apim-probe/report/v1"}"#),
            Err(ParseError::Report)
        ));
    }
}
