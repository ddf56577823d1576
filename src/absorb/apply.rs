//! Applying absorb: one `fixup! <subject>` commit per target commit, and with `rewrite` the
//! fix-ups squashed into their targets.
//!
//! The fix-ups are made by the planner's `apply_plan` (the user's `git commit`, hooks, signing
//! and identity; the index written exactly, so that work not absorbed stays staged or unstaged as
//! it was). The squash is `git rebase -i --autosquash` in a temporary worktree
//! (`git::rebase`); the branch moves to its result only when that result's tree is the tree the
//! fix-ups made, and the old tip is kept under `refs/commit-nudge/absorb-undo`. A rebase that
//! stops puts the branch and the index back as they were before absorb.

use std::collections::BTreeMap;
use std::path::Path;

use git2::{IndexEntry, Oid, Repository};

use super::AbsorbReport;
use crate::git::commit::{CommitOptions, CommitOutcome};
use crate::plan::{PlanError, PlannedCommit, Result};

/// The ref that keeps the branch's tip from before a `--rewrite`.
pub(crate) const UNDO_REF: &str = "refs/commit-nudge/absorb-undo";

/// One fix-up to make: the target commit's id and the work's hunks that fold into it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fixup {
    /// The id of the commit the fix-up amends.
    pub target: String,
    /// Indices into the work's hunks (as `plan::read_work` reads them), in the work's order.
    pub hunks: Vec<usize>,
}

/// How to apply.
#[derive(Debug, Clone, Default)]
pub struct AbsorbOptions {
    /// Squash the fix-ups into their targets.
    pub rewrite: bool,
    /// How each `git commit` runs (hooks, signing, identity as in the user's terminal).
    pub commit: CommitOptions,
}

/// What applying made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbsorbOutcome {
    /// The fix-up commits, oldest target first.
    pub fixups: Vec<CommitOutcome>,
    /// Hunks of the work left uncommitted.
    pub left: usize,
    /// With `rewrite`: the branch's new tip.
    pub rewritten: Option<String>,
}

impl AbsorbOutcome {
    /// What the user reads: the fix-ups made, what was left, and how to undo a rewrite.
    pub fn message(&self) -> String {
        let n = self.fixups.len();
        let mut out = match &self.rewritten {
            Some(tip) => format!(
                "absorbed into {n} commit{} and rewrote the branch (now {}); to undo: git reset --soft {UNDO_REF}",
                plural(n),
                &tip[..tip.len().min(7)]
            ),
            None => format!("made {n} fix-up commit{}", plural(n)),
        };
        for commit in &self.fixups {
            out.push_str(&format!("\n  {}", commit.summary));
        }
        if self.left > 0 {
            out.push_str(&format!(
                "\n{} hunk{} left uncommitted, as {}",
                self.left,
                plural(self.left),
                if self.left == 1 {
                    "it was"
                } else {
                    "they were"
                }
            ));
        }
        out
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// The fix-ups a report proposes: one per target, oldest target first, each with its hunks in
/// the work's order.
pub fn fixups_of(report: &AbsorbReport) -> Vec<Fixup> {
    let mut by_place: BTreeMap<usize, Fixup> = BTreeMap::new();
    for hunk in report.absorbable() {
        let Some((place, c)) = hunk.target.as_deref().and_then(|t| report.candidate(t)) else {
            continue;
        };
        by_place
            .entry(place)
            .or_insert_with(|| Fixup {
                target: c.id.clone(),
                hunks: Vec::new(),
            })
            .hunks
            .push(hunk.index);
    }
    by_place.into_values().rev().collect()
}

/// Makes `fixups` (targets among the report's candidates) in the worktree the report was made
/// for. The report must be of the work as it is now: other work or another HEAD is refused, with
/// nothing applied.
pub fn apply(
    report: &AbsorbReport,
    fixups: &[Fixup],
    options: &AbsorbOptions,
) -> Result<AbsorbOutcome> {
    let fixups: Vec<&Fixup> = fixups.iter().filter(|f| !f.hunks.is_empty()).collect();
    if fixups.is_empty() {
        return Err(PlanError::Refused(
            "no hunk has a target: nothing to absorb".to_string(),
        ));
    }
    let repo = crate::git::repo::open_worktree(&report.root)?;
    let head = repo.head()?.peel_to_commit()?.id().to_string();
    if head != report.head {
        return Err(PlanError::Stale(
            "HEAD moved since the absorb was worked out".to_string(),
        ));
    }
    let mut commits = Vec::with_capacity(fixups.len());
    for fixup in &fixups {
        let Some((_, c)) = report.candidate(&fixup.target) else {
            return Err(PlanError::Refused(format!(
                "{} is not one of the branch's own commits",
                fixup.target
            )));
        };
        commits.push(PlannedCommit {
            title: format!("fixup! {}", c.subject),
            hunks: fixup.hunks.clone(),
        });
    }
    let oldest = fixups
        .iter()
        .filter_map(|f| report.candidate(&f.target))
        .map(|(place, _)| place)
        .max()
        .unwrap_or(0);
    let oldest = Oid::from_str(&report.candidates[oldest].id)?;
    if options.rewrite {
        check_local(&repo, oldest)?;
    }
    let paths: Vec<&str> = fixups
        .iter()
        .flat_map(|f| &f.hunks)
        .filter_map(|i| report.hunks.iter().find(|h| h.index == *i))
        .map(|h| h.path.as_str())
        .collect();
    let saved = SavedIndex::read(&repo, &paths)?;
    let plan = crate::plan::ApplyOptions {
        commit: options.commit.clone(),
    };
    let made = crate::plan::apply_plan(&report.root, &commits, Some(&report.fingerprint), &plan)?;
    let mut outcome = AbsorbOutcome {
        fixups: made.commits,
        left: made.left_out,
        rewritten: None,
    };
    if options.rewrite {
        let old_tip = Oid::from_str(&report.head)?;
        outcome.rewritten = Some(rewrite(&repo, old_tip, oldest, &saved)?);
    }
    Ok(outcome)
}

/// Refuses a rewrite of commits that a remote-tracking branch already has.
fn check_local(repo: &Repository, oldest: Oid) -> Result<()> {
    for reference in repo.references_glob("refs/remotes/*")?.flatten() {
        let Some(id) = reference.target() else {
            continue;
        };
        if id == oldest || repo.graph_descendant_of(id, oldest)? {
            let name = reference
                .shorthand()
                .unwrap_or("a remote branch")
                .to_string();
            return Err(PlanError::Refused(format!(
                "--rewrite would rewrite {} which {name} already has; absorb without --rewrite (fix-up commits) instead",
                &oldest.to_string()[..7]
            )));
        }
    }
    Ok(())
}

/// Squashes the fix-ups on the branch into their targets (the oldest is `oldest`) and answers
/// the new tip; on any failure the branch goes back to `old_tip` and the index to `saved`.
fn rewrite(repo: &Repository, old_tip: Oid, oldest: Oid, saved: &SavedIndex) -> Result<String> {
    let head = repo.head()?;
    let branch = head
        .name()
        .ok()
        .map(str::to_string)
        .ok_or_else(|| PlanError::Refused("HEAD names no branch".to_string()))?;
    let tip = head.peel_to_commit()?;
    repo.reference(
        UNDO_REF,
        old_tip,
        true,
        "commit-nudge absorb: the tip before --rewrite",
    )?;
    let base = repo.find_commit(oldest)?.parent_ids().next();
    let scratch = repo.path().join("commit-nudge");
    let root = repo
        .workdir()
        .ok_or_else(|| PlanError::Refused("a bare repository has no work".to_string()))?;
    let squashed = crate::git::rebase::autosquash(
        root,
        &scratch,
        &tip.id().to_string(),
        base.map(|b| b.to_string()).as_deref(),
    );
    let undo = |why: String| -> Result<String> {
        repo.reference_matching(
            &branch,
            old_tip,
            true,
            tip.id(),
            "commit-nudge absorb: rebase stopped, back to the tip before absorb",
        )?;
        saved.restore(repo)?;
        Err(PlanError::Refused(format!(
            "the rebase that squashes the fix-ups stopped; it was aborted and the branch and the work are as they were before absorb:\n{why}"
        )))
    };
    let new_tip = match squashed {
        Ok(id) => Oid::from_str(&id)?,
        Err(crate::git::GitError::CommitFailed(words)) => return undo(words),
        Err(other) => return undo(other.to_string()),
    };
    if repo.find_commit(new_tip)?.tree_id() != tip.tree_id() {
        return undo("the squashed branch does not hold the same files as the fix-ups".to_string());
    }
    repo.reference_matching(
        &branch,
        new_tip,
        true,
        tip.id(),
        "commit-nudge absorb --rewrite: fix-ups squashed",
    )?;
    Ok(new_tip.to_string())
}

/// The index entries of some paths as they were before absorb, to put back exactly.
struct SavedIndex {
    entries: Vec<(String, Option<IndexEntry>)>,
}

impl SavedIndex {
    fn read(repo: &Repository, paths: &[&str]) -> Result<SavedIndex> {
        let index = repo.index()?;
        let mut entries: Vec<(String, Option<IndexEntry>)> = Vec::new();
        for path in paths {
            if entries.iter().any(|(p, _)| p == path) {
                continue;
            }
            entries.push((path.to_string(), index.get_path(Path::new(path), 0)));
        }
        Ok(SavedIndex { entries })
    }

    fn restore(&self, repo: &Repository) -> Result<()> {
        crate::git::stage::with_index(repo, |index| {
            for (path, entry) in &self.entries {
                match entry {
                    Some(entry) => index.add(&crate::plan::apply::smudged(entry))?,
                    None => {
                        if index.get_path(Path::new(path), 0).is_some() {
                            index.remove_path(Path::new(path))?;
                        }
                    }
                }
            }
            Ok(())
        })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::absorb::{AbsorbedHunk, Candidate};
    use crate::hunk_range::HunkRange;
    use crate::plan::HunkKey;

    fn hunk(index: usize, target: Option<&str>) -> AbsorbedHunk {
        AbsorbedHunk {
            path: "f".into(),
            range: String::new(),
            header: String::new(),
            staged: false,
            target: target.map(str::to_string),
            reason: None,
            index,
            key: HunkKey {
                path: "f".into(),
                range: HunkRange {
                    old_start: index as u32,
                    old_lines: 1,
                    new_start: index as u32,
                    new_lines: 1,
                },
            },
        }
    }

    #[test]
    fn one_fixup_per_target_oldest_first_with_hunks_in_order() {
        let report = AbsorbReport {
            candidates: ["new", "mid", "old"]
                .map(|id| Candidate {
                    id: id.into(),
                    subject: format!("{id} subject"),
                })
                .to_vec(),
            hunks: vec![
                hunk(0, Some("new")),
                hunk(1, None),
                hunk(2, Some("old")),
                hunk(4, Some("new")),
            ],
            root: "/r".into(),
            head: "new".into(),
            fingerprint: String::new(),
            all_work: true,
        };
        let fixups = fixups_of(&report);
        assert_eq!(
            fixups,
            vec![
                Fixup {
                    target: "old".into(),
                    hunks: vec![2]
                },
                Fixup {
                    target: "new".into(),
                    hunks: vec![0, 4]
                },
            ]
        );
        assert!(!report.absorbs_everything(), "hunk 1 has no target");
        assert_eq!(AbsorbReport::how_far(2), "2 commits back");
    }

    #[test]
    fn the_message_names_the_undo_of_a_rewrite_and_what_was_left() {
        let outcome = AbsorbOutcome {
            fixups: vec![CommitOutcome {
                commit: "abc".into(),
                summary: "[topic abc] fixup! x".into(),
            }],
            left: 2,
            rewritten: Some("0123456789".into()),
        };
        let message = outcome.message();
        assert!(message.starts_with("absorbed into 1 commit and rewrote the branch (now 0123456)"));
        assert!(message.contains("git reset --soft refs/commit-nudge/absorb-undo"));
        assert!(message.ends_with("2 hunks left uncommitted, as they were"));
    }
}
