//! Reading the work to plan, in every repository: the same `Work` as `read`, from git's own `-U0`
//! patches, which the front door asks of the hardened git (`git::Repo::work_patch`), so that the
//! plan's hunks are the ones `git diff` prints (libgit2's diff now and then places an insertion at
//! the other end of a repeated block, or splits a change around a common blank line); and where
//! git serves the repository (SHA-256), the co-change from `git log` (`git::Repo::commit_paths`).
//!
//! Nothing of the planner's logic lives here: hunks are translated one to one, and co-change is
//! bounded by the same counts as `cochange` (not cached: one `git log` per plan).

use std::path::Path;

use super::cochange::{CoChange, MAX_FILES_PER_COMMIT, WALKED_PER_READ};
use super::read::Work;
use super::{HunkKind, PlanError, PlanHunk, Result};
use crate::git::patch::{FilePatch, PatchChange, MAX_TEXT_BYTES};
use crate::hunk_range::HunkRange;

/// The work of `opened`, whichever backend serves it (without the co-change).
pub(crate) fn work_of(opened: &crate::git::Repo) -> Result<Work> {
    Ok(read_work_by_git(opened, 0)?.0)
}

/// The work of `repo` and, where git serves the repository (SHA-256), its co-change (where
/// libgit2 reads it, the co-change is `cochange`'s, cached: empty here).
pub(crate) fn read_work_by_git(
    repo: &crate::git::Repo,
    history_commits: usize,
) -> Result<(Work, CoChange)> {
    let (patch, busy) = repo.work_patch()?;
    if let Some(operation) = busy.operation {
        return Err(PlanError::InProgress(operation));
    }
    if !busy.conflicted.is_empty() {
        return Err(PlanError::Conflicted(busy.conflicted.join(", ")));
    }
    let root: std::path::PathBuf = repo.root().components().collect();
    let mut work = Work {
        root: root.clone(),
        head: patch.head.clone(),
        ..Work::default()
    };
    // In path order, as libgit2's diff lists them (git prints the untracked files last), so the
    // plan is the same whichever reads the work.
    let mut files: Vec<&FilePatch> = patch.files.iter().collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    for file in files {
        let staged_file = patch.staged.iter().find(|s| s.path == file.path);
        let whole_staged = staged_file.is_some() && !patch.unstaged_paths.contains(&file.path);
        push_file(&mut work, file, staged_file, whole_staged);
        if matches!(file.change, PatchChange::Modified | PatchChange::Deleted) {
            if let Some(text) = patch.head_texts.get(&file.path) {
                work.old_texts.insert(file.path.clone(), text.clone());
            }
        }
        if file.change != PatchChange::Deleted && file.change != PatchChange::Whole {
            new_text(&mut work, &root, &file.path);
        }
    }
    let cochange = if history_commits > 0 && !work.hunks.is_empty() {
        let walked = history_commits.saturating_mul(WALKED_PER_READ);
        match repo.commit_paths(history_commits, walked, MAX_FILES_PER_COMMIT) {
            Ok(Some(commits)) => CoChange::from_commits(&commits),
            _ => CoChange::default(),
        }
    } else {
        CoChange::default()
    };
    Ok((work, cochange))
}

/// One file's hunks as the planner's, each marked staged as `read` marks it.
fn push_file(work: &mut Work, file: &FilePatch, staged: Option<&FilePatch>, whole_staged: bool) {
    let kind = match file.change {
        PatchChange::Modified => HunkKind::Text,
        PatchChange::Added => HunkKind::Added,
        PatchChange::Deleted => HunkKind::Deleted,
        PatchChange::Whole => HunkKind::Whole,
    };
    if file.change == PatchChange::Whole || file.hunks.is_empty() {
        work.hunks.push(PlanHunk {
            path: file.path.clone(),
            range: HunkRange::default(),
            header: if file.binary {
                "binary".to_string()
            } else {
                String::new()
            },
            kind,
            removed: Vec::new(),
            added: Vec::new(),
            staged: whole_staged,
        });
        return;
    }
    for hunk in &file.hunks {
        let staged = whole_staged
            || kind == HunkKind::Text
                && staged.is_some_and(|s| {
                    s.hunks.iter().any(|h| {
                        h.range.old_start == hunk.range.old_start
                            && h.range.old_lines == hunk.range.old_lines
                            && h.removed == hunk.removed
                            && h.added == hunk.added
                    })
                });
        work.hunks.push(PlanHunk {
            path: file.path.clone(),
            range: hunk.range,
            header: hunk.context.clone(),
            kind,
            removed: hunk.removed.clone(),
            added: hunk.added.clone(),
            staged,
        });
    }
}

/// The working tree's text of a changed file, for the identifier signal.
fn new_text(work: &mut Work, root: &Path, path: &str) {
    if let Ok(text) = std::fs::read(root.join(path)) {
        if text.len() <= MAX_TEXT_BYTES {
            work.new_texts.insert(path.to_string(), text);
        }
    }
}
