//! Applying absorb: one `fixup! <subject>` commit per target commit, and with `rewrite` the
//! fix-ups squashed into their targets.
//!
//! The fix-ups are made by the planner's `apply_plan` (the user's `git commit`, hooks, signing
//! and identity; the index written exactly, so that work not absorbed stays staged or unstaged as
//! it was). The squash is `git rebase -i --autosquash` in a temporary worktree
//! (`git::rebase`); the branch moves to its result only when that result's tree is the tree the
//! fix-ups made, and the old tip is kept under `refs/commit-nudge/absorb-undo`. A rebase that
//! stops puts the branch and the index back as they were before absorb. Every read and write of
//! refs and index entries goes through the front door (`git::Repo`), so a repository of SHA-256
//! object names (served by git itself) is absorbed exactly as one libgit2 opens.

use std::collections::BTreeMap;

use super::AbsorbReport;
use crate::git::commit::{CommitOptions, CommitOutcome};
use crate::git::{Repo, SavedIndex};
use crate::plan::{PlanError, PlannedCommit, Result};

/// The ref that keeps the branch's tip from before a `--rewrite`.
pub(crate) const UNDO_REF: &str = "refs/commit-nudge/absorb-undo";

/// One fix-up to make: the target commit's id and the work's hunks that fold into it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fixup {
    /// The id of the commit the fix-up amends.
    pub target: String,
    /// Indices into the work's hunks (as `plan::work_of` reads them), in the work's order.
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
    let repo = crate::git::open(&report.root)?;
    let head = repo.head_ids()?.1.unwrap_or_default();
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
    let oldest = report.candidates[oldest].id.as_str();
    if options.rewrite {
        check_local(&repo, oldest)?;
    }
    let paths: Vec<&str> = fixups
        .iter()
        .flat_map(|f| &f.hunks)
        .filter_map(|i| report.hunks.iter().find(|h| h.index == *i))
        .map(|h| h.path.as_str())
        .collect();
    let saved = repo.save_index(&paths)?;
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
        outcome.rewritten = Some(rewrite(&repo, &report.head, oldest, &saved)?);
    }
    Ok(outcome)
}

/// Refuses a rewrite of commits that a remote-tracking branch already has.
fn check_local(repo: &Repo, oldest: &str) -> Result<()> {
    if let Some(name) = repo.remote_having(oldest)? {
        return Err(PlanError::Refused(format!(
            "--rewrite would rewrite {} which {name} already has; absorb without --rewrite (fix-up commits) instead",
            &oldest[..oldest.len().min(7)]
        )));
    }
    Ok(())
}

/// Squashes the fix-ups on the branch into their targets (the oldest is `oldest`) and answers
/// the new tip; on any failure the branch goes back to `old_tip` and the index to `saved`.
fn rewrite(repo: &Repo, old_tip: &str, oldest: &str, saved: &SavedIndex) -> Result<String> {
    let (branch, tip) = repo.head_ids()?;
    let (Some(branch), Some(tip)) = (branch, tip) else {
        return Err(PlanError::Refused("HEAD names no branch".to_string()));
    };
    let branch = if branch.starts_with("refs/") {
        branch
    } else {
        format!("refs/heads/{branch}")
    };
    repo.set_ref(
        UNDO_REF,
        old_tip,
        None,
        "commit-nudge absorb: the tip before --rewrite",
    )?;
    let base = repo.commit_tree_and_parent(oldest)?.1;
    let scratch = repo.git_dir().join("commit-nudge");
    let squashed = crate::git::rebase::autosquash(repo.root(), &scratch, &tip, base.as_deref());
    let undo = |why: String| -> Result<String> {
        repo.set_ref(
            &branch,
            old_tip,
            Some(&tip),
            "commit-nudge absorb: rebase stopped, back to the tip before absorb",
        )?;
        repo.restore_index(saved)?;
        Err(PlanError::Refused(format!(
            "the rebase that squashes the fix-ups stopped ({why}); it was aborted and the branch and the work are as they were before absorb"
        )))
    };
    let new_tip = match squashed {
        Ok(id) => id,
        Err(crate::git::GitError::CommitFailed(words)) => return undo(first_words(&words)),
        Err(other) => return undo(other.to_string()),
    };
    let tree = |id: &str| repo.commit_tree_and_parent(id).map(|(tree, _)| tree);
    if tree(&new_tip)? != tree(&tip)? {
        return undo("the squashed branch does not hold the same files as the fix-ups".to_string());
    }
    repo.set_ref(
        &branch,
        &new_tip,
        Some(&tip),
        "commit-nudge absorb --rewrite: fix-ups squashed",
    )?;
    Ok(new_tip)
}

/// The line of git's words that says why a rebase stopped (a conflict, a refusal), for a
/// one-line message: the first `CONFLICT` line, else the first that is not a hint.
fn first_words(words: &str) -> String {
    let lines = || words.lines().map(str::trim).filter(|l| !l.is_empty());
    lines()
        .find(|l| l.starts_with("CONFLICT"))
        .or_else(|| lines().find(|l| !l.starts_with("hint:")))
        .unwrap_or("git gave no reason")
        .to_string()
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
