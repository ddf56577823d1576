//! Staging in the index kinds libgit2 can neither read nor write: a sparse index (`sdir`) stays
//! sparse, a split index (`link`) stays split.
//!
//! The index is read by us; its entries (less the sparse directories) are handed to the same
//! change `git::stage` makes on an ordinary index, in a libgit2 index in memory; the result, the
//! sparse directories put back, is written by `index_file::encode_like` in the kind it was read
//! in, its cache-tree kept but for the directories above what changed (as git invalidates them).
//! A path outside the sparse-checkout cone is refused before anything is read for writing, as
//! `git add` refuses it.

use std::cmp::Ordering;

use git2::Repository;

use crate::git::error::{GitError, Result};
use crate::git::index_file::{self, encode_like, from_git2, Entry, IndexFile, EXT_SKIP_WORKTREE};

/// The bytes of the index after `change`, for an index libgit2 does not write (the lock is held).
pub(crate) fn changed_index(
    repo: &Repository,
    change: impl FnOnce(&mut git2::Index) -> Result<()>,
    racy_from: Option<(i64, u32)>,
) -> Result<Vec<u8>> {
    let index_path = repo.path().join("index");
    let ours = IndexFile::read(&index_path).map_err(|e| GitError::Refused(e.to_string()))?;
    let (sparse_dirs, files): (Vec<&Entry>, Vec<&Entry>) =
        ours.entries.iter().partition(|e| e.is_sparse_dir());
    let mut index = git2::Index::new()?;
    for entry in &files {
        index.add(&ours.git2_entry(entry))?;
    }
    repo.set_index(&mut index)?;
    let before = entries_of(&index);
    change(&mut index)?;
    let mut after = entries_of(&index);
    let sparse_dirs: Vec<(Entry, Vec<u8>)> = sparse_dirs
        .into_iter()
        .map(|e| (*e, ours.path(e).to_vec()))
        .collect();
    if let Some((_, path)) = after
        .iter()
        .find(|(_, path)| sparse_dirs.iter().any(|(_, dir)| path.starts_with(dir)))
    {
        return Err(GitError::Refused(format!(
            "{} lies in a directory outside the sparse-checkout cone; nothing was written",
            String::from_utf8_lossy(path)
        )));
    }
    let mut cache_tree = ours.cache_tree.clone();
    if let Some(tree) = &mut cache_tree {
        for path in changed_paths(&before, &after) {
            tree.invalidate(&path);
        }
    }
    // Racily clean entries lose their size, as `stage::write_copy` does for an ordinary index.
    for (entry, _) in &mut after {
        if racy_from.is_some_and(|from| (i64::from(entry.mtime.0), entry.mtime.1) >= from) {
            entry.size = 0;
        }
    }
    let entries = merged(after, sparse_dirs);
    encode_like(&index_path, &ours, &entries, cache_tree.as_ref())
        .map_err(|e| GitError::Refused(e.to_string()))
}

/// Refuses to stage or unstage `rel_path` when it lies outside the sparse-checkout cone: below a
/// sparse directory entry, or an entry git keeps out of the working tree (skip-worktree).
pub(crate) fn refuse_outside_cone(repo: &Repository, rel_path: &str) -> Result<()> {
    let wanted = rel_path.as_bytes();
    let mut outside: Option<Vec<u8>> = None;
    // An index we cannot read is left to the write, which reads it again and says why.
    let _ = index_file::stream(&repo.path().join("index"), |entry, path, _| {
        let below_sparse = entry.is_sparse_dir() && wanted.starts_with(path);
        if below_sparse || (path == wanted && entry.flags_extended & EXT_SKIP_WORKTREE != 0) {
            outside = Some(path.to_vec());
            return false;
        }
        path <= wanted
    });
    if let Some(path) = outside {
        return Err(outside_cone(rel_path, &String::from_utf8_lossy(&path)));
    }
    // A path the index does not hold yet (a new directory beside the cone): the cone's patterns.
    let config = repo.config()?;
    let on = |key: &str| config.get_bool(key).unwrap_or(false);
    let cone = on("core.sparseCheckout") && on("core.sparseCheckoutCone");
    refuse_outside_cone_patterns(repo.path(), cone, rel_path)
}

/// Refuses `rel_path` when a cone-mode sparse checkout (`cone`: `core.sparseCheckout` and
/// `core.sparseCheckoutCone`) leaves it out, by the cone's patterns in
/// `<git dir>/info/sparse-checkout`, as `git add` decides: a file at the top, in a directory of
/// the cone or directly in one of its parents is in; anything else is out.
pub(crate) fn refuse_outside_cone_patterns(
    git_dir: &std::path::Path,
    cone: bool,
    rel_path: &str,
) -> Result<()> {
    if !cone {
        return Ok(());
    }
    let Ok(patterns) = std::fs::read_to_string(git_dir.join("info").join("sparse-checkout")) else {
        return Ok(());
    };
    match dir_outside_cone(&patterns, rel_path) {
        Some(dir) => Err(outside_cone(rel_path, &format!("{dir}/"))),
        None => Ok(()),
    }
}

/// The directory of `rel_path` the cone's `patterns` leave out, if they do.
fn dir_outside_cone(patterns: &str, rel_path: &str) -> Option<String> {
    let (dir, _) = rel_path.rsplit_once('/')?;
    let mut listed = std::collections::HashSet::new();
    let mut parents = std::collections::HashSet::new();
    for line in patterns.lines().map(str::trim) {
        if let Some(parent) = line.strip_prefix("!/").and_then(|p| p.strip_suffix("/*/")) {
            parents.insert(parent.to_string());
        } else if let Some(dir) = line.strip_prefix('/').and_then(|p| p.strip_suffix('/')) {
            listed.insert(dir.to_string());
        }
    }
    // A listed directory that is not only a parent is in the cone with all below it.
    let recursive = |d: &str| listed.contains(d) && !parents.contains(d);
    let mut prefix = dir;
    loop {
        if recursive(prefix) {
            return None;
        }
        match prefix.rsplit_once('/') {
            Some((up, _)) => prefix = up,
            None => break,
        }
    }
    if parents.contains(dir) {
        return None;
    }
    Some(dir.to_string())
}

/// The one refusal of a path outside the cone; `what` names what is not checked out.
pub(crate) fn outside_cone(rel_path: &str, what: &str) -> GitError {
    GitError::Refused(format!(
        "{rel_path} is outside the sparse-checkout cone ({what} is not checked out), so nothing was changed; `git sparse-checkout add` its directory first, as git add would ask"
    ))
}

/// The entries of a libgit2 index in our form, with their paths.
fn entries_of(index: &git2::Index) -> Vec<(Entry, Vec<u8>)> {
    index.iter().map(|e| (from_git2(&e), e.path)).collect()
}

fn order(a: &(Entry, Vec<u8>), b: &(Entry, Vec<u8>)) -> Ordering {
    a.1.cmp(&b.1).then(a.0.stage().cmp(&b.0.stage()))
}

/// The paths whose entries differ between two sorted entry lists.
fn changed_paths(before: &[(Entry, Vec<u8>)], after: &[(Entry, Vec<u8>)]) -> Vec<Vec<u8>> {
    let (mut b, mut a) = (0, 0);
    let mut changed = Vec::new();
    while b < before.len() || a < after.len() {
        let ordering = match (before.get(b), after.get(a)) {
            (Some(old), Some(new)) => order(old, new),
            (Some(_), None) => Ordering::Less,
            _ => Ordering::Greater,
        };
        match ordering {
            Ordering::Less => {
                changed.push(before[b].1.clone());
                b += 1;
            }
            Ordering::Greater => {
                changed.push(after[a].1.clone());
                a += 1;
            }
            Ordering::Equal => {
                if before[b].0 != after[a].0 {
                    changed.push(after[a].1.clone());
                }
                b += 1;
                a += 1;
            }
        }
    }
    changed
}

/// Two sorted entry lists as one, in index order.
fn merged(mut files: Vec<(Entry, Vec<u8>)>, dirs: Vec<(Entry, Vec<u8>)>) -> Vec<(Entry, Vec<u8>)> {
    files.extend(dirs);
    files.sort_by(order);
    files
}

#[cfg(test)]
mod tests {
    use super::dir_outside_cone;

    #[test]
    fn the_cone_is_read_as_git_add_reads_it() {
        let patterns = "/*\n!/*/\n/dir/\n!/dir/*/\n/dir/sub/\n";
        assert_eq!(dir_outside_cone(patterns, "top.txt"), None);
        assert_eq!(dir_outside_cone(patterns, "dir/d.txt"), None);
        assert_eq!(dir_outside_cone(patterns, "dir/sub/deep/c.txt"), None);
        assert_eq!(
            dir_outside_cone(patterns, "dir/x/x.txt").as_deref(),
            Some("dir/x")
        );
        assert_eq!(
            dir_outside_cone(patterns, "newtop/n.txt").as_deref(),
            Some("newtop")
        );
    }
}
