//! The commit plan's code actions and lenses for one document: "Split into N commits…" while
//! there is uncommitted work, and while a plan is open "Stage planned commit k/N: title" and a
//! lens "commit k/N: title" on each of the document's planned hunks.

use serde_json::json;
use tower_lsp_server::ls_types::{CodeActionOrCommand, CodeLens, Command, Diagnostic};

use super::actions::action;
use super::commands::{self, RootArgs, StagePlannedArgs};
use super::to_proto;
use crate::lines::LineMap;
use crate::plan::Plan;
use crate::workspace::DocSnapshot;

/// The nudge codes the "Split into" quick fix answers.
const SIZE_CODES: &[&str] = &["uncommitted-lines", "uncommitted-files"];

/// "Split into N commits…" (a quick fix on a lines or files nudge, else a `source` action), and
/// one "Stage planned commit" action per commit of the open plan.
pub(super) fn code_actions(
    doc: &DocSnapshot,
    root: &str,
    nudge_diagnostics: &[Diagnostic],
) -> Vec<CodeActionOrCommand> {
    let mut actions = Vec::new();
    let has_work = doc.report.as_ref().is_some_and(|r| r.total.files > 0);
    if has_work {
        let size_nudges: Vec<Diagnostic> = nudge_diagnostics
            .iter()
            .filter(|d| {
                matches!(&d.code, Some(tower_lsp_server::ls_types::NumberOrString::String(code))
                    if SIZE_CODES.contains(&code.as_str()))
            })
            .cloned()
            .collect();
        let title = match doc.split_into {
            Some(n) if n > 1 => format!("Split into {n} commits…"),
            _ => "Split into commits…".to_string(),
        };
        let argument = json!(RootArgs {
            root: root.to_string()
        });
        actions.push(action(title, commands::OPEN_PLAN, argument, &size_nudges));
    }
    if let Some(plan) = &doc.plan {
        let total = plan.groups.len();
        for (k, group) in plan.groups.iter().enumerate() {
            let argument = json!(StagePlannedArgs {
                root: root.to_string(),
                commit: k + 1,
            });
            actions.push(action(
                format!("Stage planned commit {}/{total}: {}", k + 1, group.title),
                commands::STAGE_PLANNED,
                argument,
                &[],
            ));
        }
    }
    actions
}

/// While a plan is open: on each of the document's planned hunks, "commit k/N: title" (clicking
/// it stages that planned commit).
pub(super) fn code_lenses(doc: &DocSnapshot, root: &str) -> Vec<CodeLens> {
    let Some(plan) = &doc.plan else {
        return Vec::new();
    };
    if !doc.settings.code_lens {
        return Vec::new();
    }
    let map = LineMap::new(&doc.text);
    let mut lenses = Vec::new();
    for (k, hunk_index) in planned_hunks(plan, &doc.rel_path) {
        let hunk = &plan.hunks[hunk_index];
        let (git_line, _) = hunk.range.new_line_span();
        let line = map.to_editor(git_line).min(map.last_text_line());
        let group = &plan.groups[k];
        lenses.push(CodeLens {
            range: to_proto::line_range(line),
            command: Some(Command {
                title: format!("commit {}/{}: {}", k + 1, plan.groups.len(), group.title),
                command: commands::STAGE_PLANNED.to_string(),
                arguments: Some(vec![json!(StagePlannedArgs {
                    root: root.to_string(),
                    commit: k + 1,
                })]),
            }),
            data: None,
        });
    }
    lenses
}

/// The (commit index, hunk index) of every planned hunk of `path`, in the order of the plan.
fn planned_hunks<'a>(plan: &'a Plan, path: &'a str) -> impl Iterator<Item = (usize, usize)> + 'a {
    plan.groups.iter().enumerate().flat_map(move |(k, group)| {
        group
            .hunks
            .iter()
            .filter(move |i| plan.hunks.get(**i).is_some_and(|h| h.path == path))
            .map(move |i| (k, *i))
    })
}
