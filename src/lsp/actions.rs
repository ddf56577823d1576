//! Code actions and code lenses for one document, built from an owned snapshot and its hunks.

use serde_json::json;
use tower_lsp_server::ls_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeLens, Command, Diagnostic, Range,
};

use super::commands::{self, FileArgs, HunkArgs};
use super::to_proto;
use crate::lines::LineMap;
use crate::workspace::{DocSnapshot, FileHunks, Hunk};

/// The code actions for a cursor or selection `range` in a document with these hunks.
pub(super) fn code_actions(
    doc: &DocSnapshot,
    hunks: &FileHunks,
    range: Range,
    nudge_diagnostics: &[Diagnostic],
) -> Vec<CodeActionOrCommand> {
    let root = root_uri(doc);
    let (editor_first, editor_last) = (
        range.start.line.min(range.end.line),
        range.start.line.max(range.end.line),
    );
    // A selection ending at column 0 of the next line selects up to the line before.
    let editor_last = if range.end.line > range.start.line && range.end.character == 0 {
        editor_last - 1
    } else {
        editor_last
    };
    // Hunks count git's lines, which a lone `\r` does not end: map the editor's lines to them.
    let map = LineMap::new(&doc.text);
    let (first, last) = (map.to_git(editor_first), map.to_git(editor_last));
    let is_selection = range.start != range.end && editor_last > editor_first;
    let mut actions = Vec::new();

    for hunk in hunks
        .unstaged
        .iter()
        .filter(|h| overlaps(offered_span(h, map.git_lines()), first, last))
    {
        let whole = !is_selection || covers(hunk.new_line_span(), first, last);
        let title = if whole {
            format!("Stage hunk ({})", counts(hunk))
        } else {
            format!(
                "Stage hunk: selected lines {}–{}",
                u64::from(editor_first) + 1,
                u64::from(editor_last) + 1
            )
        };
        let args = HunkArgs {
            root: root.clone(),
            path: doc.rel_path.clone(),
            hunk: hunk.range,
            hash: hunk.hash(),
            lines: if whole { None } else { Some([first, last]) },
        };
        actions.push(action(
            title,
            commands::STAGE_HUNK,
            json!(args),
            nudge_diagnostics,
        ));
    }

    // Staged hunks count index lines: map the buffer range through the unstaged hunks above it.
    let (index_first, index_last) = (to_index_line(hunks, first), to_index_line(hunks, last));
    for hunk in hunks
        .staged
        .iter()
        .filter(|h| overlaps(h.new_line_span(), index_first, index_last))
    {
        let args = HunkArgs {
            root: root.clone(),
            path: doc.rel_path.clone(),
            hunk: hunk.range,
            hash: hunk.hash(),
            lines: None,
        };
        actions.push(action(
            format!("Unstage hunk ({})", counts(hunk)),
            commands::UNSTAGE_HUNK,
            json!(args),
            nudge_diagnostics,
        ));
    }

    let file_args = json!(FileArgs {
        root: root.clone(),
        path: doc.rel_path.clone(),
    });
    if !hunks.unstaged.is_empty()
        || (hunks.binary && doc.file_changed)
        || !hunks.tracked
        || hunks.unstaged_other
        || doc.link_changed
    {
        actions.push(action(
            format!(
                "Stage file {}{}",
                doc.rel_path,
                mode_note(hunks.unstaged_mode)
            ),
            commands::STAGE_FILE,
            file_args.clone(),
            nudge_diagnostics,
        ));
    }
    if !hunks.staged.is_empty() || hunks.staged_mode.is_some() {
        actions.push(action(
            format!(
                "Unstage file {}{}",
                doc.rel_path,
                mode_note(hunks.staged_mode)
            ),
            commands::UNSTAGE_FILE,
            file_args,
            nudge_diagnostics,
        ));
    }
    // Folding a fix into the commit it mends comes before making a new commit.
    actions.extend(super::absorb_actions::code_actions(
        doc,
        &root,
        (first, last),
        nudge_diagnostics,
    ));
    let staged_files = doc.report.as_ref().map_or(0, |r| r.staged.files);
    if staged_files > 0 {
        actions.push(action(
            format!(
                "Commit staged hunks ({staged_files} {})…",
                if staged_files == 1 { "file" } else { "files" }
            ),
            commands::COMMIT_STAGED,
            json!({ "root": root }),
            nudge_diagnostics,
        ));
    }
    if !nudge_diagnostics.is_empty() {
        let minutes = doc.settings.snooze_minutes;
        actions.push(action(
            format!("Snooze commit nudges for {minutes} minutes"),
            commands::SNOOZE,
            json!({ "root": root, "minutes": minutes }),
            nudge_diagnostics,
        ));
    }
    actions.extend(super::plan_actions::code_actions(
        doc,
        &root,
        nudge_diagnostics,
    ));
    actions
}

/// The lenses of a document: at the top of one with changes, its numbers and the workspace's and
/// a commit lens when something is staged; while a plan is open, each planned hunk's commit.
pub(super) fn code_lenses(doc: &DocSnapshot) -> Vec<CodeLens> {
    let mut lenses = summary_lenses(doc);
    lenses.extend(super::plan_actions::code_lenses(doc, &root_uri(doc)));
    lenses.extend(super::absorb_actions::code_lenses(doc, &root_uri(doc)));
    lenses
}

/// The numbers at the top of a document with changes, and the commit lens.
fn summary_lenses(doc: &DocSnapshot) -> Vec<CodeLens> {
    let Some(report) = &doc.report else {
        return Vec::new();
    };
    if !doc.settings.code_lens || !doc.file_changed {
        return Vec::new();
    }
    let range = to_proto::line_range(0);
    let (added, removed) = doc.file_stat;
    let mut lenses = vec![CodeLens {
        range,
        command: Some(Command {
            title: format!(
                "this file +{added} −{removed} · uncommitted +{} −{} in {} {}",
                report.total.added,
                report.total.removed,
                report.total.files,
                if report.total.files == 1 {
                    "file"
                } else {
                    "files"
                }
            ),
            command: commands::REFRESH.to_string(),
            arguments: None,
        }),
        data: None,
    }];
    if report.staged.files > 0 {
        lenses.push(CodeLens {
            range,
            command: Some(Command {
                title: format!(
                    "Commit staged hunks (+{} −{})…",
                    report.staged.added, report.staged.removed
                ),
                command: commands::COMMIT_STAGED.to_string(),
                arguments: Some(vec![json!({ "root": root_uri(doc) })]),
            }),
            data: None,
        });
    }
    lenses
}

/// A code action running `command`: a quick fix of the nudges when there are any, else a
/// `source.commitNudge` action.
pub(super) fn action(
    title: String,
    command: &str,
    argument: serde_json::Value,
    nudge_diagnostics: &[Diagnostic],
) -> CodeActionOrCommand {
    let quick_fix = !nudge_diagnostics.is_empty();
    CodeActionOrCommand::CodeAction(CodeAction {
        title: title.clone(),
        kind: Some(if quick_fix {
            CodeActionKind::QUICKFIX
        } else {
            CodeActionKind::new("source.commitNudge")
        }),
        diagnostics: quick_fix.then(|| nudge_diagnostics.to_vec()),
        command: Some(Command {
            title,
            command: command.to_string(),
            arguments: Some(vec![argument]),
        }),
        ..CodeAction::default()
    })
}

fn root_uri(doc: &DocSnapshot) -> String {
    to_proto::file_uri(&doc.root)
        .map(|u| u.as_str().to_string())
        .unwrap_or_default()
}

fn counts(hunk: &Hunk) -> String {
    format!("+{} −{}", hunk.added.len(), hunk.removed.len())
}

/// The git lines where a hunk's actions are offered: the lines it covers, and for a deletion of
/// the file's last lines (which sits past the end, where some editors cannot put the cursor) the
/// last line that remains as well.
fn offered_span(hunk: &Hunk, git_lines: u32) -> (u32, u32) {
    let (start, end) = hunk.new_line_span();
    if hunk.range.new_lines == 0 && start >= git_lines && git_lines > 0 {
        (git_lines - 1, end)
    } else {
        (start, end)
    }
}

/// " (mode 100644 → 100755)" when a mode changes, else nothing.
fn mode_note(modes: Option<(u32, u32)>) -> String {
    modes.map_or_else(String::new, |(old, new)| {
        format!(" (mode {old:o} → {new:o})")
    })
}

fn overlaps((start, end): (u32, u32), first: u32, last: u32) -> bool {
    start <= last && first <= end
}

fn covers((start, end): (u32, u32), first: u32, last: u32) -> bool {
    first <= start && end <= last
}

/// The index line that buffer line `line` corresponds to, given the unstaged hunks.
fn to_index_line(hunks: &FileHunks, line: u32) -> u32 {
    let mut shift: i64 = 0;
    for hunk in &hunks.unstaged {
        let (start, end) = hunk.new_line_span();
        if hunk.range.new_lines > 0 && end < line || hunk.range.new_lines == 0 && start <= line {
            shift += i64::from(hunk.range.new_lines) - i64::from(hunk.range.old_lines);
        }
    }
    u32::try_from((i64::from(line) - shift).max(0)).unwrap_or(0)
}
