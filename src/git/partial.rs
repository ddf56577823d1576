//! Re-counting only the paths that changed, patched into the previous full count.
//!
//! A save or a write by another program touches a handful of files; re-counting them alone keeps
//! the work in proportion to the change, not to the repository. Whenever the shortcut could give
//! a different answer from a full count (HEAD moved, a directory appeared or vanished, a file was
//! added or deleted, which may pair with another into a rename), it declines and the caller
//! counts everything.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::UNIX_EPOCH;

use git2::{Delta, Repository};

use super::count::{
    base_options, head_state, large_files, rows, CountOptions, NewSide, RepoCounts,
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
    const SKIP_WORKTREE: u16 = 1 << 14;
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
    let sized = |mut diff_options: git2::DiffOptions| {
        if options.max_file_bytes > 0 {
            diff_options.max_size(i64::try_from(options.max_file_bytes).unwrap_or(i64::MAX));
        }
        diff_options
    };

    let mut workdir_options = sized(base_options());
    workdir_options
        .include_untracked(options.count_untracked)
        .recurse_untracked_dirs(options.count_untracked)
        .show_untracked_content(options.count_untracked)
        .disable_pathspec_match(true);
    for path in paths {
        workdir_options.pathspec(path);
    }
    let workdir_diff = repo.diff_index_to_workdir(None, Some(&mut workdir_options))?;
    let unstaged = rows(
        repo,
        &workdir_diff,
        |s| s != Delta::Untracked,
        &keep,
        NewSide::Workdir,
        false,
    )?;
    let untracked = rows(
        repo,
        &workdir_diff,
        |s| s == Delta::Untracked,
        &keep,
        NewSide::Workdir,
        false,
    )?;

    let head_tree = match &head.commit {
        Some(commit) => Some(commit.tree()?),
        None => None,
    };
    let mut total_options = sized(base_options());
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
    let large = large_files(&[&workdir_diff, &total_diff], options.max_file_bytes);
    if !large.is_empty() || previous.large_files.iter().any(|p| paths.contains(p)) {
        return Ok(None);
    }
    let mut counts = previous.clone();
    let replace = |old: &mut Vec<super::FileDelta>, new: Vec<super::FileDelta>| {
        old.retain(|r| !paths.contains(&r.path));
        old.extend(new);
        old.sort_by(|a, b| a.path.cmp(&b.path));
    };
    replace(&mut counts.unstaged, unstaged);
    replace(&mut counts.untracked, untracked);
    replace(&mut counts.tracked_total, tracked_total);
    counts.oldest_change_unix = counts
        .tracked_total
        .iter()
        .chain(counts.untracked.iter())
        .filter_map(|row| modified_unix(&root.join(&row.path)))
        .min();
    Ok(Some(counts))
}

fn modified_unix(path: &Path) -> Option<i64> {
    let modified = std::fs::symlink_metadata(path).ok()?.modified().ok()?;
    i64::try_from(modified.duration_since(UNIX_EPOCH).ok()?.as_secs()).ok()
}
