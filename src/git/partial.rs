//! Re-counting only the paths that changed, patched into the previous full count.
//!
//! A save or a write by another program touches a handful of files; re-counting them alone keeps
//! the work in proportion to the change, not to the repository. Whenever the shortcut could give
//! a different answer from a full count (HEAD moved, a directory appeared or vanished, a file was
//! added or deleted, which may pair with another into a rename), it declines and the caller
//! counts everything.

use std::collections::BTreeSet;
use std::path::Path;

use git2::{Delta, Repository};

use super::count::{
    head_state, large_files, modified_unix, os_string, rows, sized_options, workdir_side,
    CountOptions, NewSide, RepoCounts, SKIP_WORKTREE,
};
use super::error::Result;

/// Re-counts `paths` (relative to the worktree root) on top of `previous`; `Ok(None)` when only a
/// full count can be exact.
pub fn recount_paths(
    repo: &Repository,
    previous: &RepoCounts,
    paths: &BTreeSet<String>,
    options: &CountOptions,
) -> Result<Option<RepoCounts>> {
    let head = head_state(repo)?;
    if head.commit.as_ref().map(|c| c.id().to_string()) != previous.head {
        return Ok(None);
    }
    let root = previous.info.root.clone();
    for path in paths {
        if root.join(path).is_dir() {
            return Ok(None);
        }
        let prefix = format!("{path}/");
        let touches_rename = |rows: &[super::FileDelta]| {
            rows.iter().any(|r| {
                r.old_path.is_some() && (r.path == *path || r.old_path.as_deref() == Some(path))
            })
        };
        if touches_rename(&previous.staged)
            || touches_rename(&previous.tracked_total)
            || previous
                .untracked
                .iter()
                .any(|r| r.path.starts_with(&prefix))
            || previous
                .tracked_total
                .iter()
                .any(|r| r.path.starts_with(&prefix))
        {
            return Ok(None);
        }
    }
    // Conflicts and sparse checkouts need the full count's special handling.
    let index = repo.index()?;
    if index.has_conflicts()
        || paths.iter().any(|p| {
            index
                .get_path(Path::new(p), 0)
                .is_some_and(|e| e.flags_extended & SKIP_WORKTREE != 0)
        })
    {
        return Ok(None);
    }
    let keep = |path: &str| !options.exclude.is_match(path);
    let within: Vec<std::ffi::OsString> = paths.iter().map(|p| os_string(p.as_bytes())).collect();
    let workdir = workdir_side(repo, options, Some(&within))?;

    let head_tree = match &head.commit {
        Some(commit) => Some(commit.tree()?),
        None => None,
    };
    let mut total_options = sized_options(options);
    total_options.disable_pathspec_match(true);
    for path in paths {
        total_options.pathspec(path);
    }
    let total_diff =
        repo.diff_tree_to_workdir_with_index(head_tree.as_ref(), Some(&mut total_options))?;
    // An added or deleted file may pair with another into a rename: only a full count knows.
    if total_diff
        .deltas()
        .any(|d| matches!(d.status(), Delta::Added | Delta::Deleted))
    {
        return Ok(None);
    }
    let tracked_total = rows(repo, &total_diff, |_| true, &keep, NewSide::Workdir, false)?;

    // A file over the size limit, before or now, is rare: leave it to a full count.
    let mut large = workdir.large;
    large.extend(large_files(&[&total_diff], options.max_file_bytes));
    if !large.is_empty() || previous.large_files.iter().any(|p| paths.contains(p)) {
        return Ok(None);
    }
    let mut counts = previous.clone();
    let replace = |old: &mut Vec<super::FileDelta>, new: Vec<super::FileDelta>| {
        old.retain(|r| !paths.contains(&r.path));
        old.extend(new);
        old.sort_by(|a, b| a.path.cmp(&b.path));
    };
    replace(&mut counts.unstaged, workdir.unstaged);
    replace(&mut counts.untracked, workdir.untracked);
    replace(&mut counts.tracked_total, tracked_total);
    counts.oldest_change_unix = counts
        .tracked_total
        .iter()
        .chain(counts.untracked.iter())
        .filter_map(|row| modified_unix(&root.join(&row.path)))
        .min();
    Ok(Some(counts))
}
