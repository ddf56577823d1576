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
    match outside {
        Some(path) => Err(GitError::Refused(format!(
            "{rel_path} is outside the sparse-checkout cone ({} is not checked out), so nothing was changed; `git sparse-checkout add` its directory first, as git add would ask",
            String::from_utf8_lossy(&path)
        ))),
        None => Ok(()),
    }
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
