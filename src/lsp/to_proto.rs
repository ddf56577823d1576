//! Converting the core's plain types into protocol values.

use std::path::Path;

use serde_json::{json, Value};
use tower_lsp_server::jsonrpc;
use tower_lsp_server::ls_types::{
    Diagnostic, DiagnosticSeverity, NumberOrString, Position, Range, Uri,
};

use crate::nudge::Severity;
use crate::report::StatusReport;
use crate::workspace::{Error, Outcome, PlacedNudge};

/// The diagnostic `source` every nudge carries.
pub(super) const SOURCE: &str = "commit-nudge";

pub(super) fn severity(severity: Severity) -> DiagnosticSeverity {
    match severity {
        Severity::Hint => DiagnosticSeverity::HINT,
        Severity::Information => DiagnosticSeverity::INFORMATION,
        Severity::Warning => DiagnosticSeverity::WARNING,
        Severity::Error => DiagnosticSeverity::ERROR,
    }
}

/// A nudge as a diagnostic spanning its line.
pub(super) fn diagnostic(placed: &PlacedNudge) -> Diagnostic {
    Diagnostic {
        range: line_range(placed.line),
        severity: Some(severity(placed.nudge.severity)),
        code: Some(NumberOrString::String(
            placed.nudge.code.as_str().to_string(),
        )),
        source: Some(SOURCE.to_string()),
        message: placed.nudge.message.clone(),
        ..Diagnostic::default()
    }
}

/// The whole of one line, as a range from its start to the start of the next.
pub(super) fn line_range(line: u32) -> Range {
    Range {
        start: Position { line, character: 0 },
        end: Position {
            line: line.saturating_add(1),
            character: 0,
        },
    }
}

/// A file URI for a local path.
pub(super) fn file_uri(path: &Path) -> Option<Uri> {
    Uri::from_file_path(path)
}

/// The params of `commitNudge/status`: the `status --json` object.
pub(super) fn status(report: &StatusReport) -> Option<Value> {
    serde_json::to_value(report)
        .map_err(|error| tracing::error!("could not encode the status: {error}"))
        .ok()
}

/// The result of `workspace/executeCommand` for what a command did (keys in snake_case, as in
/// every object the server sends).
pub(super) fn outcome(outcome: Outcome) -> Option<Value> {
    match outcome {
        Outcome::Done | Outcome::Refreshed | Outcome::Hunks(_) => None,
        Outcome::Committed(commit) => {
            Some(json!({ "commit": commit.commit, "summary": commit.summary }))
        }
        Outcome::CommitMessage { path } => Some(json!({ "document": path.to_string_lossy() })),
        Outcome::Snoozed { until_unix } => Some(json!({ "snoozed_until_unix": until_unix })),
        Outcome::Plan { document, commits } => {
            Some(json!({ "document": document.to_string_lossy(), "commits": commits }))
        }
        Outcome::Applied(applied) => Some(json!({
            "commits": applied
                .commits
                .iter()
                .map(|c| json!({ "commit": c.commit, "summary": c.summary }))
                .collect::<Vec<_>>(),
            "left_out": applied.left_out,
        })),
        Outcome::AbsorbDocument {
            document,
            hunks,
            commits,
        } => Some(json!({
            "document": document.to_string_lossy(),
            "hunks": hunks,
            "commits": commits,
        })),
        Outcome::Absorbed(absorbed) => Some(json!({
            "fixups": absorbed
                .fixups
                .iter()
                .map(|c| json!({ "commit": c.commit, "summary": c.summary }))
                .collect::<Vec<_>>(),
            "left": absorbed.left,
            "rewritten": absorbed.rewritten,
            "message": absorbed.message(),
        })),
    }
}

/// A command's failure as a JSON-RPC error. Failures of the git work were shown to the user
/// already (`data.shown`), so clients need not show them again.
pub(super) fn error(error: &Error) -> jsonrpc::Error {
    match error {
        Error::Root(_) | Error::NoRepository => jsonrpc::Error::invalid_params(error.to_string()),
        Error::Git(_) | Error::Plan(_) | Error::Internal => jsonrpc::Error {
            code: jsonrpc::ErrorCode::ServerError(1),
            message: error.to_string().into(),
            data: Some(json!({ "shown": true })),
        },
    }
}

/// Whether a failure is one the user is shown as a message (not a malformed request).
pub(super) fn is_shown(error: &Error) -> bool {
    matches!(error, Error::Git(_) | Error::Plan(_) | Error::Internal)
}
