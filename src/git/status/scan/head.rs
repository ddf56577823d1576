//! HEAD→index: HEAD's trees compared with the index's entries, skipping every directory whose
//! cache-tree id (git keeps it in the index) equals HEAD's tree id, as git itself does.

use std::ops::Range;

use git2::Repository;

use super::walk::{index_children, Child};
use crate::git::error::Result;
use crate::git::index_file::{CacheNode, Entry, IndexFile, EXT_SKIP_WORKTREE};
use crate::git::scratch::KeptEntry;

/// Where HEAD and the index differ: the paths, and the entries of the sparse directories whose
/// trees are not HEAD's, expanded (each file of the tree as a skip-worktree entry, as git
/// expands a sparse index where it must).
pub(super) struct Staged {
    pub(super) paths: Vec<Vec<u8>>,
    pub(super) expanded: Vec<KeptEntry>,
}

/// The paths where HEAD and the index differ: HEAD's trees against the index's entries, skipping
/// every directory whose cache-tree id equals HEAD's (git's own shortcut), and every sparse
/// directory whose tree id equals HEAD's.
pub(super) fn staged_paths(
    repo: &Repository,
    head_tree: Option<&git2::Tree<'_>>,
    index: &IndexFile,
) -> Result<Staged> {
    let mut out = Vec::new();
    let root = index.cache_tree.as_ref().and_then(|t| t.root());
    compare_tree(
        repo,
        b"",
        head_tree,
        root,
        0..index.entries.len(),
        index,
        &mut out,
    )?;
    // A sparse directory that differs: every file below it on either side may differ.
    let (dirs, mut paths): (Vec<_>, Vec<_>) = out.into_iter().partition(|p| p.ends_with(b"/"));
    let mut expanded = Vec::new();
    for dir in dirs {
        let Some(entry) = index.find(&dir) else {
            continue;
        };
        let mut files = Vec::new();
        all_files(
            repo,
            &dir[..dir.len() - 1],
            git2::Oid::from_bytes(&entry.oid)?,
            &mut files,
        )?;
        for (path, id, mode) in files {
            let mut entry = Entry {
                mode,
                flags_extended: EXT_SKIP_WORKTREE,
                ..*entry
            };
            entry.oid.copy_from_slice(id.as_bytes());
            paths.push(path.clone());
            expanded.push((entry, path));
        }
        let head_dir = std::str::from_utf8(&dir[..dir.len() - 1])
            .ok()
            .and_then(|d| head_tree?.get_path(std::path::Path::new(d)).ok());
        if let Some(head_dir) = head_dir.filter(|e| e.filemode() == 0o040000) {
            let mut files = Vec::new();
            all_files(repo, &dir[..dir.len() - 1], head_dir.id(), &mut files)?;
            paths.extend(files.into_iter().map(|(path, ..)| path));
        }
    }
    paths.sort_unstable();
    paths.dedup();
    Ok(Staged { paths, expanded })
}

fn compare_tree(
    repo: &Repository,
    dir: &[u8],
    tree: Option<&git2::Tree<'_>>,
    cache: Option<CacheNode<'_>>,
    range: Range<usize>,
    index: &IndexFile,
    out: &mut Vec<Vec<u8>>,
) -> Result<()> {
    if let (Some(tree), Some((count, id))) = (tree, cache.and_then(|c| c.valid())) {
        if count == range.len() && tree.id().as_bytes() == id {
            return Ok(());
        }
    }
    let mut in_tree: Vec<(Vec<u8>, git2::Oid, i32)> = tree
        .map(|t| {
            t.iter()
                .map(|e| (e.name_bytes().to_vec(), e.id(), e.filemode()))
                .collect()
        })
        .unwrap_or_default();
    in_tree.sort_by(|a, b| a.0.cmp(&b.0));
    let children = index_children(index, dir, range);
    let path_of = |name: &[u8]| {
        let mut path = dir.to_vec();
        path.extend_from_slice(name);
        path
    };
    let is_tree = |mode: i32| mode == 0o040000;
    let mut theirs = in_tree.iter().peekable();
    let only_in_tree = |name: &[u8], id: git2::Oid, mode: i32, out: &mut Vec<Vec<u8>>| {
        if is_tree(mode) {
            let mut files = Vec::new();
            all_files(repo, &path_of(name), id, &mut files)?;
            out.extend(files.into_iter().map(|(path, ..)| path));
            Ok::<(), crate::git::GitError>(())
        } else {
            out.push(path_of(name));
            Ok(())
        }
    };
    for (name, child) in &children {
        while let Some((other, id, mode)) = theirs.next_if(|(other, ..)| other.as_slice() < *name) {
            only_in_tree(other, *id, *mode, out)?;
        }
        let same = theirs.next_if(|(other, ..)| other.as_slice() == *name);
        match (child, same) {
            (Child::File(at), Some((_, id, mode))) if !is_tree(*mode) => {
                let entry = &index.entries[*at];
                if entry.oid != *id.as_bytes() || entry.mode as i32 != *mode {
                    out.push(path_of(name));
                }
            }
            // A sparse directory is the same as HEAD's when its tree id is; else its path (with
            // its `/`) says that only a whole index can tell what differs below it.
            (Child::Sparse(at), Some((_, id, mode))) if is_tree(*mode) => {
                if index.entries[*at].oid != *id.as_bytes() {
                    out.push(index.path(&index.entries[*at]).to_vec());
                }
            }
            (Child::Dir(range), Some((_, id, mode))) if is_tree(*mode) => {
                let subtree = repo.find_tree(*id)?;
                let mut below = path_of(name);
                below.push(b'/');
                let cache = cache.and_then(|c| c.child(name));
                compare_tree(
                    repo,
                    &below,
                    Some(&subtree),
                    cache,
                    range.clone(),
                    index,
                    out,
                )?;
            }
            (child, other) => {
                if let Some((_, id, mode)) = other {
                    only_in_tree(name, *id, *mode, out)?;
                }
                match child {
                    Child::File(_) => out.push(path_of(name)),
                    Child::Sparse(at) => out.push(index.path(&index.entries[*at]).to_vec()),
                    Child::Dir(range) => out.extend(
                        range
                            .clone()
                            .map(|at| index.path(&index.entries[at]).to_vec()),
                    ),
                }
            }
        }
    }
    for (other, id, mode) in theirs {
        only_in_tree(other, *id, *mode, out)?;
    }
    Ok(())
}

/// Every file below the tree `id`, whose path is `dir` (without a trailing `/`), with its id
/// and mode.
fn all_files(
    repo: &Repository,
    dir: &[u8],
    id: git2::Oid,
    out: &mut Vec<(Vec<u8>, git2::Oid, u32)>,
) -> Result<()> {
    let tree = repo.find_tree(id)?;
    for entry in tree.iter() {
        let mut path = dir.to_vec();
        path.push(b'/');
        path.extend_from_slice(entry.name_bytes());
        if entry.filemode() == 0o040000 {
            all_files(repo, &path, entry.id(), out)?;
        } else {
            let mode = u32::try_from(entry.filemode()).unwrap_or(0o100644);
            out.push((path, entry.id(), mode));
        }
    }
    Ok(())
}
