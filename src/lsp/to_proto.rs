//! Converting the core's plain types into protocol values.

use std::path::Path;

use tower_lsp_server::ls_types::{
    Diagnostic, DiagnosticSeverity, NumberOrString, Position, Range, Uri,
};

use crate::nudge::Severity;
use crate::workspace::PlacedNudge;

/// The diagnostic `source` every nudge carries.
pub const SOURCE: &str = "commit-nudge";

pub fn severity(severity: Severity) -> DiagnosticSeverity {
    match severity {
        Severity::Hint => DiagnosticSeverity::HINT,
        Severity::Information => DiagnosticSeverity::INFORMATION,
        Severity::Warning => DiagnosticSeverity::WARNING,
        Severity::Error => DiagnosticSeverity::ERROR,
    }
}

/// A nudge as a diagnostic spanning its line.
pub fn diagnostic(placed: &PlacedNudge) -> Diagnostic {
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
pub fn line_range(line: u32) -> Range {
    Range {
        start: Position { line, character: 0 },
        end: Position {
            line: line.saturating_add(1),
            character: 0,
        },
    }
}

/// A file URI for a local path.
pub fn file_uri(path: &Path) -> Option<Uri> {
    Uri::from_file_path(path)
}
