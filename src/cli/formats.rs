//! The output formats the commands take with `-o`.

use clap::ValueEnum;

/// Formats of `list` and `diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// Aligned columns.
    Table,
    /// JSON.
    Json,
}

/// Formats of `list`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    /// Aligned columns.
    Table,
    /// JSON.
    Json,
    /// A Markdown table (for a ticket, or docs of what changed between editions).
    Markdown,
}

/// Formats of `merge`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MergeFormat {
    /// Aligned columns; the verdict is the last line.
    Table,
    /// A Markdown document for a ticket or a wiki.
    Markdown,
    /// The merged JSON.
    Json,
    /// One self-contained HTML page with filters.
    Html,
}

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Aligned columns for a terminal; the verdict is the last line.
    Table,
    /// The JSON report of the contract.
    Json,
    /// A ticket-ready document: environment, failures with reasons and hints, every result.
    Markdown,
    /// At most 4,096 bytes for `az vm run-command`: counts, one line per failure, verdict last.
    Compact,
    /// JUnit XML: one testcase per probe, for pipelines.
    Junit,
    /// One self-contained HTML page: the matrix of `merge` with this VM's column.
    Html,
}

/// Formats of `evaluate`: the report formats, and SARIF for code scanning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EvaluateFormat {
    /// Aligned columns for a terminal; the verdict is the last line.
    Table,
    /// The JSON report of the contract.
    Json,
    /// A ticket-ready document: what is not allowed and why, near misses, every flow.
    Markdown,
    /// At most 4,096 bytes for `az vm run-command`: counts, one line per failure, verdict last.
    Compact,
    /// JUnit XML: one testcase per flow, for pipelines.
    Junit,
    /// One self-contained HTML page.
    Html,
    /// SARIF 2.1.0 for code scanning: each finding on the line of the code that causes it.
    Sarif,
}
