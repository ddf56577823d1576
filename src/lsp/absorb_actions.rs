//! Absorb's code actions and lenses for one document, from the background report of which
//! commit each hunk folds into: `Fold into '<subject>' (N commits back)` on a hunk whose target
//! is known, "Absorb N hunks into M commits…" (the absorb document) wherever some hunk has one,
//! and a lens on each absorbable hunk naming its target. A document with unsaved edits gets
//! none: the report numbers the lines on disk.

use serde_json::json;
use tower_lsp_server::ls_types::{CodeAction, CodeActionOrCommand, CodeLens, Command, Diagnostic};

use super::actions::action;
use super::commands::{self, AbsorbHunkArgs, RootArgs};
use super::to_proto;
use crate::absorb::{AbsorbReport, AbsorbedHunk};
use crate::lines::LineMap;
use crate::workspace::DocSnapshot;

/// The absorb actions for the git lines `first..=last` (0-based) of the document. When all the
/// work absorbs, "Absorb …" is the preferred fix of the nudges, offered before a new commit.
pub fn code_actions(
    doc: &DocSnapshot,
    root: &str,
    (first, last): (u32, u32),
    nudge_diagnostics: &[Diagnostic],
) -> Vec<CodeActionOrCommand> {
    let Some(report) = usable(doc) else {
        return Vec::new();
    };
    let mut actions = Vec::new();
    for hunk in hunks_of(report, &doc.rel_path) {
        let (start, end) = span(hunk);
        if !(start <= last && first <= end) {
            continue;
        }
        let Some((title, argument)) = fold(report, hunk, root) else {
            continue;
        };
        actions.push(action(
            format!("Fold into {title}"),
            commands::ABSORB_HUNK,
            argument,
            &[],
        ));
    }
    let fixups = crate::absorb::apply::fixups_of(report);
    let n: usize = fixups.iter().map(|f| f.hunks.len()).sum();
    if n > 0 {
        let everything = report.absorbs_everything();
        let title = format!(
            "Absorb {n} hunk{} into {} commit{}…",
            plural(n),
            fixups.len(),
            plural(fixups.len())
        );
        let argument = json!(RootArgs {
            root: root.to_string()
        });
        let nudges: &[Diagnostic] = if everything { nudge_diagnostics } else { &[] };
        let mut absorb = action(title, commands::OPEN_ABSORB, argument, nudges);
        if let CodeActionOrCommand::CodeAction(CodeAction { is_preferred, .. }) = &mut absorb {
            *is_preferred = everything.then_some(true);
        }
        actions.push(absorb);
    }
    actions
}

/// On each absorbable hunk of the document, a lens naming its target (clicking folds it).
pub fn code_lenses(doc: &DocSnapshot, root: &str) -> Vec<CodeLens> {
    let Some(report) = usable(doc).filter(|_| doc.settings.code_lens) else {
        return Vec::new();
    };
    let map = LineMap::new(&doc.text);
    hunks_of(report, &doc.rel_path)
        .filter_map(|hunk| {
            let (title, argument) = fold(report, hunk, root)?;
            let line = map.to_editor(span(hunk).0).min(map.last_text_line());
            Some(CodeLens {
                range: to_proto::line_range(line),
                command: Some(Command {
                    title: format!("fold into {title}"),
                    command: commands::ABSORB_HUNK.to_string(),
                    arguments: Some(vec![argument]),
                }),
                data: None,
            })
        })
        .collect()
}

fn usable(doc: &DocSnapshot) -> Option<&AbsorbReport> {
    doc.absorb.as_deref().filter(|_| !doc.dirty)
}

fn hunks_of<'a>(report: &'a AbsorbReport, path: &'a str) -> impl Iterator<Item = &'a AbsorbedHunk> {
    report.absorbable().filter(move |h| h.path == path)
}

/// The 0-based git lines a hunk covers in the working tree (a deletion: the line after it).
fn span(hunk: &AbsorbedHunk) -> (u32, u32) {
    hunk.key.range.new_line_span()
}

/// "'<subject>' (N commits back)" and the `absorbHunk` argument for a hunk with a target.
fn fold(
    report: &AbsorbReport,
    hunk: &AbsorbedHunk,
    root: &str,
) -> Option<(String, serde_json::Value)> {
    let target = hunk.target.as_deref()?;
    let (place, candidate) = report.candidate(target)?;
    let title = format!("'{}' ({})", candidate.subject, AbsorbReport::how_far(place));
    let argument = json!(AbsorbHunkArgs {
        root: root.to_string(),
        path: hunk.path.clone(),
        hunk: hunk.key.range,
        target: target.to_string(),
    });
    Some((title, argument))
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
