//! The hunks the planner's tests are made of, built in one place: the tests of grouping
//! (`group/tests.rs`) and of scope (`scope.rs`) each built the same text hunk (its new side
//! where its old side was), one with its lines as written, the other with each line ended.

use super::{HunkKind, PlanHunk};
use crate::hunk_range::HunkRange;

/// A text hunk of `path` that replaces `old_lines` lines at `old_start` by `added`, at the same
/// place on the new side; its lines as given (no line end unless one is written).
pub(super) fn hunk(
    path: &str,
    old_start: u32,
    old_lines: u32,
    removed: &[&str],
    added: &[&str],
) -> PlanHunk {
    let bytes = |lines: &[&str]| lines.iter().map(|l| l.as_bytes().to_vec()).collect();
    text_hunk(path, old_start, old_lines, bytes(removed), bytes(added))
}

/// `hunk` with each line ended by a newline, as git gives them.
pub(super) fn hunk_with_newlines(
    path: &str,
    old_start: u32,
    old_lines: u32,
    removed: &[&str],
    added: &[&str],
) -> PlanHunk {
    let ended = |lines: &[&str]| {
        lines
            .iter()
            .map(|l| format!("{l}\n").into_bytes())
            .collect()
    };
    text_hunk(path, old_start, old_lines, ended(removed), ended(added))
}

fn text_hunk(
    path: &str,
    old_start: u32,
    old_lines: u32,
    removed: Vec<Vec<u8>>,
    added: Vec<Vec<u8>>,
) -> PlanHunk {
    PlanHunk {
        path: path.to_string(),
        range: HunkRange {
            old_start,
            old_lines,
            new_start: old_start,
            new_lines: added.len() as u32,
        },
        header: String::new(),
        kind: HunkKind::Text,
        removed,
        added,
        staged: false,
    }
}
