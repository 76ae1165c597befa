//! The formats of `evaluate`'s report (table, JSON, Markdown, compact, JUnit, SARIF): one pure
//! function per format over
//! [`crate::evaluate::report::EvaluationReport`], writing to any `Write`. Table and Markdown
//! share the row facts (`rows`).

pub mod compact;
pub mod junit;
pub mod markdown;
pub mod rows;
pub mod sarif;
pub mod table;
mod write;

pub use self::write::write_json;
