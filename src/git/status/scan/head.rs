//! HEAD→index: HEAD's trees compared with the index's entries, skipping every directory whose
//! cache-tree id (git keeps it in the index) equals HEAD's tree id, as git itself does.

use std::ops::Range;

use git2::Repository;

use super::walk::{index_children, Child};
use crate::git::error::Result;
use crate::git::index_file::{CacheNode, IndexFile};

/// The paths where HEAD and the index differ: HEAD's trees against the index's entries, skipping
/// every directory whose cache-tree id equals HEAD's (git's own shortcut).
pub(super) fn staged_paths(
    repo: &Repository,
    head_tree: Option<&git2::Tree<'_>>,
    index: &IndexFile,
) -> Result<Vec<Vec<u8>>> {
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
    Ok(out)
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
            all_files(repo, &path_of(name), id, out)
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

/// Every file below the tree `id`, whose path is `dir` (without a trailing `/`).
fn all_files(repo: &Repository, dir: &[u8], id: git2::Oid, out: &mut Vec<Vec<u8>>) -> Result<()> {
    let tree = repo.find_tree(id)?;
    for entry in tree.iter() {
        let mut path = dir.to_vec();
        path.push(b'/');
        path.extend_from_slice(entry.name_bytes());
        if entry.filemode() == 0o040000 {
            all_files(repo, &path, entry.id(), out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}
