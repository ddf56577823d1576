//! What the editor is shown: a repository's status, its nudges placed on open documents, and the
//! one-time offer of the next step when a nudge turns into a warning.

use std::collections::HashMap;
use std::path::Path;

use super::state::State;
use super::{DocId, DocSnapshot, Output, PlacedNudge};
use crate::nudge::Severity;
use crate::report::{self, BufferCounts, Effective, StatusReport};

/// How long after offering the next step the engine stays quiet about it, per repository.
pub(super) const ASK_COOL_DOWN_SECONDS: i64 = 60 * 60;

/// When to offer "Commit staged hunks… / Snooze / Settings": the first time a repository's nudge
/// turns into a warning, never again within the cool-down.
#[derive(Default)]
pub(super) struct Cadence {
    /// Per root: whether it was warning at the last status, and when we last asked.
    roots: HashMap<String, (bool, Option<i64>)>,
}

impl Cadence {
    pub(super) fn should_ask(&mut self, report: &StatusReport, now_unix: i64) -> bool {
        let warning = report
            .nudges
            .iter()
            .any(|n| n.severity >= Severity::Warning);
        let (was_warning, last_asked) = self
            .roots
            .entry(report.root.clone())
            .or_insert((false, None));
        let crossed = warning && !*was_warning;
        *was_warning = warning;
        let cooled = last_asked.is_none_or(|t| now_unix - t >= ASK_COOL_DOWN_SECONDS);
        if crossed && cooled {
            *last_asked = Some(now_unix);
            true
        } else {
            false
        }
    }
}

impl State {
    /// The merged per-file view and the status of a repository, if it has been counted.
    pub(super) fn effective(&self, root: &Path) -> Option<(Effective, StatusReport)> {
        let repo = self.repos.get(root)?;
        let counts = repo.counts.as_ref()?;
        let buffers: Vec<BufferCounts> = self
            .docs
            .values()
            .filter(|d| d.root.as_deref() == Some(root))
            .filter_map(|d| d.buffer.clone())
            .collect();
        let effective = Effective::new(counts.clone(), &buffers, &repo.settings);
        let report = report::build(
            counts,
            &effective,
            &repo.settings,
            repo.learned.as_ref().map(|(_, learned)| learned),
            repo.snoozed_until,
            self.now(),
        );
        Some((effective, report))
    }

    /// Sends the status and the diagnostics of a repository, where they changed, and the offer
    /// of the next step when its nudge just turned into a warning.
    pub(super) fn publish(&mut self, root: &Path) {
        let Some((effective, report)) = self.effective(root) else {
            return;
        };
        let now = self.now();
        let Some(repo) = self.repos.get_mut(root) else {
            return;
        };
        if repo.last_report.as_ref() != Some(&report) {
            repo.last_report = Some(report.clone());
            let ask = self.settings.ask_on_warning && self.cadence.should_ask(&report, now);
            self.emit(Output::Status(Box::new(report.clone())));
            self.emit(Output::CodeLensRefresh);
            if ask {
                self.emit(Output::Offer(Box::new(report.clone())));
            }
            self.preview_plan(root, &report.nudges);
            self.preview_absorb(root);
        }
        // Nudges go on each open document with changes, at its first change; when none has
        // changes, on the most recently opened or edited document, at its first line.
        let in_repo: Vec<DocId> = self
            .docs
            .iter()
            .filter(|(_, d)| d.root.as_deref() == Some(root))
            .map(|(id, _)| id.clone())
            .collect();
        let with_changes: Vec<&DocId> = in_repo
            .iter()
            .filter(|id| {
                self.docs[*id]
                    .rel_path
                    .as_deref()
                    .is_some_and(|p| effective.has_changes(p))
            })
            .collect();
        let fallback = if with_changes.is_empty() {
            in_repo
                .iter()
                .max_by_key(|id| self.docs[*id].touched)
                .cloned()
        } else {
            None
        };
        let mut outputs = Vec::new();
        for id in &in_repo {
            let doc = &self.docs[id];
            let line = if with_changes.contains(&id) {
                doc.rel_path
                    .as_deref()
                    .and_then(|p| effective.first_change_line(p))
            } else if fallback.as_ref() == Some(id) {
                Some(0)
            } else {
                None
            };
            let items: Vec<PlacedNudge> = match line {
                Some(line) => report
                    .nudges
                    .iter()
                    .map(|nudge| PlacedNudge {
                        line: {
                            // The change's git line, where the editor shows it (see `lines`).
                            let map = crate::lines::LineMap::new(&doc.text);
                            map.to_editor(line).min(map.last_text_line())
                        },
                        nudge: nudge.clone(),
                    })
                    .collect(),
                None => Vec::new(),
            };
            if items != doc.published {
                outputs.push((id.clone(), items));
            }
        }
        for (id, items) in outputs {
            if let Some(doc) = self.docs.get_mut(&id) {
                doc.published = items.clone();
            }
            self.emit(Output::Diagnostics { doc: id, items });
        }
    }

    /// An owned copy of what a request needs to know about an open document in a repository.
    pub(super) fn doc_snapshot(&self, doc: &DocId) -> Option<DocSnapshot> {
        let d = self.docs.get(doc)?;
        let root = d.root.clone()?;
        let repo = self.repos.get(&root)?;
        let rel_path = d.rel_path.clone()?;
        let row = self
            .effective(&root)
            .and_then(|(effective, _)| effective.row(&rel_path).cloned());
        let unstaged = |path: &String| {
            repo.counts
                .as_ref()
                .is_some_and(|counts| counts.unstaged.iter().any(|r| &r.path == path))
        };
        let link_changed = self.links_to(&root, &rel_path).iter().any(unstaged);
        Some(DocSnapshot {
            file_changed: row.is_some(),
            link_changed,
            file_stat: row.map_or((0, 0), |r| (r.added, r.removed)),
            rel_path,
            text: d.text.clone(),
            settings: repo.settings.clone(),
            report: repo.last_report.clone(),
            dirty: d.buffer.is_some(),
            plan: self.open_plan_of(&root),
            split_into: self.split_into(&root),
            absorb: self.absorb_of(&root),
            root,
        })
    }
}
