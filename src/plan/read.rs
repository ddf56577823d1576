//! Reading the work to plan: the hunks of `git diff -U0 --no-renames HEAD`, untracked files
//! included, computed in-process with git2 (git's default diff with the indent heuristic).
//!
//! Nothing from the repository is executed: no `git` subprocess, no diff driver, no filter
//! program. The `exclude` setting does not apply here: a plan covers everything `git add -A`
//! would commit.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use git2::{Delta, DiffOptions, Patch, Repository, RepositoryState};

use super::{HunkKind, PlanError, PlanHunk, Result};
use crate::git::scratch::Scratch;
use crate::hunk_range::HunkRange;

/// Files larger than this are read for their hunks but not for the identifier signal.
const MAX_TEXT_BYTES: usize = 1 << 20;

/// The uncommitted work of one worktree, as the planner sees it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Work {
    pub root: PathBuf,
    pub head: Option<String>,
    pub hunks: Vec<PlanHunk>,
    /// HEAD's text of each changed text file (for the identifier signal).
    pub old_texts: HashMap<String, Vec<u8>>,
    /// The working tree's text of each changed text file.
    pub new_texts: HashMap<String, Vec<u8>>,
}

/// Refuses a repository in the middle of a merge, rebase or cherry-pick, or with conflicts.
pub(crate) fn check_state(repo: &Repository) -> Result<()> {
    let busy = match repo.state() {
        RepositoryState::Clean => None,
        RepositoryState::Merge => Some("merge"),
        RepositoryState::Revert | RepositoryState::RevertSequence => Some("revert"),
        RepositoryState::CherryPick | RepositoryState::CherryPickSequence => Some("cherry-pick"),
        RepositoryState::Bisect => Some("bisect"),
        RepositoryState::Rebase
        | RepositoryState::RebaseInteractive
        | RepositoryState::RebaseMerge => Some("rebase"),
        RepositoryState::ApplyMailbox | RepositoryState::ApplyMailboxOrRebase => Some("git am"),
    };
    if let Some(busy) = busy {
        return Err(PlanError::InProgress(busy));
    }
    let conflicted = crate::git::conflicted_paths(repo)?;
    if !conflicted.is_empty() {
        return Err(PlanError::Conflicted(conflicted.join(", ")));
    }
    Ok(())
}

/// The diff options of `git diff -U0 --no-renames`: no context, the indent heuristic unless
/// `diff.indentHeuristic` turns it off, untracked files with their content.
fn diff_options(repo: &Repository, untracked: bool) -> DiffOptions {
    let indent = repo
        .config()
        .and_then(|c| c.get_bool("diff.indentHeuristic"))
        .unwrap_or(true);
    let mut options = DiffOptions::new();
    options
        .context_lines(0)
        .interhunk_lines(0)
        .include_typechange(true)
        .indent_heuristic(indent);
    if untracked {
        options
            .include_untracked(true)
            .recurse_untracked_dirs(true)
            .show_untracked_content(true);
    }
    options
}

/// HEAD's commit and tree, or nothing on an unborn branch.
pub(crate) fn head_of(repo: &Repository) -> Result<Option<git2::Commit<'_>>> {
    Ok(crate::git::head_commit(repo)?)
}

/// Lines of a hunk, each with its line ending.
type Lines = Vec<Vec<u8>>;

/// A staged hunk: its old start and length, removed and added lines.
type StagedHunk = (u32, u32, Lines, Lines);

fn lines_of(patch: &Patch<'_>, index: usize) -> Result<(Lines, Lines)> {
    let mut removed = Vec::new();
    let mut added = Vec::new();
    for line_index in 0..patch.num_lines_in_hunk(index)? {
        let line = patch.line_in_hunk(index, line_index)?;
        match line.origin() {
            '-' => removed.push(line.content().to_vec()),
            '+' => added.push(line.content().to_vec()),
            _ => {}
        }
    }
    Ok((removed, added))
}

/// The paths the work touches (from a count, renames' old paths included) and a repository
/// handle whose index holds their entries alone, so that the diffs of `read_work` read those
/// paths and no others; `None` when the index is in a form we do not read or a path would be
/// read by libgit2 as a pattern (then the repository's own index is diffed whole).
fn narrowed(repo: &Repository) -> Result<Option<(Scratch, Vec<String>)>> {
    let options = crate::git::CountOptions {
        count_untracked: true,
        ..crate::git::CountOptions::default()
    };
    let counts = crate::git::count::count_repo(repo, &options)?;
    let mut paths: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    for rows in [
        &counts.staged,
        &counts.unstaged,
        &counts.untracked,
        &counts.tracked_total,
    ] {
        for row in rows {
            paths.insert(row.path.clone());
            paths.extend(row.old_path.clone());
        }
    }
    if paths.iter().any(|p| p.contains('\\')) {
        return Ok(None);
    }
    let wanted = paths.iter().map(|p| p.as_bytes()).collect();
    let Ok(entries) = crate::git::scratch::entries_of(repo, &wanted) else {
        return Ok(None);
    };
    let root = repo.workdir().unwrap_or(repo.path());
    let scratch = crate::git::scratch::scratch_of(root, &entries)
        .map_err(|e| PlanError::Refused(e.to_string()))?;
    Ok(Some((scratch, paths.into_iter().collect())))
}

/// Reads the work of the worktree `repo` opens: every hunk from HEAD to the working tree.
pub(crate) fn read_work(repo: &Repository) -> Result<Work> {
    check_state(repo)?;
    let root = repo
        .workdir()
        .map(|p| p.components().collect::<PathBuf>())
        .ok_or_else(|| PlanError::Refused("a bare repository has no work to plan".to_string()))?;
    // The diffs below read only the paths a count found changed, when they can.
    let narrowed = narrowed(repo)?;
    if narrowed.as_ref().is_some_and(|(_, paths)| paths.is_empty()) {
        return Ok(Work {
            root,
            head: head_of(repo)?.map(|c| c.id().to_string()),
            ..Work::default()
        });
    }
    let own_index;
    let (repo, index) = match &narrowed {
        Some((scratch, _)) => (&scratch.repo, &scratch.index),
        None => {
            own_index = crate::git::scratch::whole_index(repo)?;
            (repo, &own_index)
        }
    };
    let limit = |options: &mut DiffOptions| {
        if let Some((_, paths)) = &narrowed {
            options.disable_pathspec_match(true);
            for path in paths {
                options.pathspec(path);
            }
        }
    };
    let head = head_of(repo)?;
    let head_tree = head.as_ref().map(|c| c.tree()).transpose()?;

    // What the user staged: HEAD→index hunks by path, and which paths the index→working tree
    // side leaves alone (their whole change is staged).
    let mut staged_options = diff_options(repo, false);
    limit(&mut staged_options);
    let staged_diff =
        repo.diff_tree_to_index(head_tree.as_ref(), Some(index), Some(&mut staged_options))?;
    let mut staged_hunks: HashMap<String, Vec<StagedHunk>> = HashMap::new();
    let mut staged_paths: HashSet<String> = HashSet::new();
    for delta_index in 0..staged_diff.deltas().len() {
        let Some(patch) = Patch::from_diff(&staged_diff, delta_index)? else {
            continue;
        };
        let path = delta_path(&patch.delta());
        staged_paths.insert(path.clone());
        for h in 0..patch.num_hunks() {
            let (header, _) = patch.hunk(h)?;
            let (removed, added) = lines_of(&patch, h)?;
            staged_hunks.entry(path.clone()).or_default().push((
                header.old_start(),
                header.old_lines(),
                removed,
                added,
            ));
        }
    }
    let mut unstaged_options = diff_options(repo, true);
    limit(&mut unstaged_options);
    let unstaged_diff = repo.diff_index_to_workdir(Some(index), Some(&mut unstaged_options))?;
    let unstaged_paths: HashSet<String> =
        unstaged_diff.deltas().map(|d| delta_path_of(&d)).collect();

    let mut options = diff_options(repo, true);
    limit(&mut options);
    let diff = repo.diff_tree_to_workdir_with_index(head_tree.as_ref(), Some(&mut options))?;
    let mut work = Work {
        root: root.clone(),
        head: head.as_ref().map(|c| c.id().to_string()),
        ..Work::default()
    };
    for delta_index in 0..diff.deltas().len() {
        let Some(patch) = Patch::from_diff(&diff, delta_index)? else {
            continue;
        };
        let delta = patch.delta();
        let path = delta_path(&delta);
        let whole_staged = staged_paths.contains(&path) && !unstaged_paths.contains(&path);
        let binary = delta.flags().is_binary();
        let submodule = delta.old_file().mode() == git2::FileMode::Commit
            || delta.new_file().mode() == git2::FileMode::Commit;
        let kind = match delta.status() {
            Delta::Added | Delta::Untracked => HunkKind::Added,
            Delta::Deleted => HunkKind::Deleted,
            Delta::Modified if !binary && !submodule && patch.num_hunks() > 0 => HunkKind::Text,
            _ => HunkKind::Whole,
        };
        if binary || submodule || kind == HunkKind::Whole || patch.num_hunks() == 0 {
            work.hunks.push(PlanHunk {
                path: path.clone(),
                range: HunkRange::default(),
                header: if binary {
                    "binary".to_string()
                } else {
                    String::new()
                },
                kind: if binary || submodule {
                    HunkKind::Whole
                } else {
                    kind
                },
                removed: Vec::new(),
                added: Vec::new(),
                staged: whole_staged,
            });
            continue;
        }
        for h in 0..patch.num_hunks() {
            let (header, _) = patch.hunk(h)?;
            let (removed, added) = lines_of(&patch, h)?;
            let staged = if kind == HunkKind::Text {
                whole_staged
                    || staged_hunks.get(&path).is_some_and(|hunks| {
                        hunks.iter().any(|(start, lines, r, a)| {
                            *start == header.old_start()
                                && *lines == header.old_lines()
                                && *r == removed
                                && *a == added
                        })
                    })
            } else {
                whole_staged
            };
            work.hunks.push(PlanHunk {
                path: path.clone(),
                range: HunkRange {
                    old_start: header.old_start(),
                    old_lines: header.old_lines(),
                    new_start: header.new_start(),
                    new_lines: header.new_lines(),
                },
                header: header_context(header.header()),
                kind,
                removed,
                added,
                staged,
            });
        }
        if kind != HunkKind::Added {
            if let Some(tree) = &head_tree {
                if let Ok(entry) = tree.get_path(Path::new(&path)) {
                    if let Ok(blob) = repo.find_blob(entry.id()) {
                        if blob.content().len() <= MAX_TEXT_BYTES {
                            work.old_texts.insert(path.clone(), blob.content().to_vec());
                        }
                    }
                }
            }
        }
        if kind != HunkKind::Deleted {
            if let Ok(text) = std::fs::read(root.join(&path)) {
                if text.len() <= MAX_TEXT_BYTES {
                    work.new_texts.insert(path.clone(), text);
                }
            }
        }
    }
    Ok(work)
}

fn delta_path(delta: &git2::DiffDelta<'_>) -> String {
    delta_path_of(delta)
}

fn delta_path_of(delta: &git2::DiffDelta<'_>) -> String {
    let path = delta
        .new_file()
        .path_bytes()
        .or_else(|| delta.old_file().path_bytes())
        .unwrap_or_default();
    String::from_utf8_lossy(path).into_owned()
}

/// The context git prints after a hunk's numbers (`@@ -1 +1 @@ fn parse`), trimmed.
fn header_context(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let text = text.trim_end();
    // The raw header is the whole `@@ … @@ context` line.
    match text.strip_prefix("@@") {
        Some(rest) => match rest.find("@@") {
            Some(end) => rest[end + 2..].trim().to_string(),
            None => String::new(),
        },
        None => text.trim().to_string(),
    }
}
