//! The count by scan: the index file read by us, the working tree walked by us, and libgit2 asked
//! only about the paths that may have changed.
//!
//! A whole-tree diff in libgit2 loads the index into a hash map (checking its SHA-1 first), stats
//! every tracked file by its full path and reads every tree of HEAD. At a million files those are
//! most of a count's time and memory, and all of it is spent to find the few paths that changed.
//! The scan finds those paths the way git itself does:
//!
//! - the index file is read once, into fixed-size records (`index_file`);
//! - HEAD→index: HEAD's trees are compared with the index's entries, skipping every directory
//!   whose cache-tree id (git keeps it in the index) equals HEAD's tree id;
//! - index→working tree: each directory holding tracked files is listed once and each tracked
//!   file's stat data is compared with the index's, relative to its directory, on two threads;
//!   a file whose stat data differs, or changed in the same moment as the index was written
//!   ("racy"), may have changed; names on disk the index does not hold are untracked (or ignored).
//!
//! The numbers are then libgit2's, from the same diffs as the whole-tree count, limited to those
//! paths and given a small in-memory index of their entries (stat data cleared, so libgit2 looks
//! at each file's content). Renames pair only added with deleted paths, which are all among them.
//! A sparse index's directory entries are compared with HEAD's trees by id and never walked;
//! skip-worktree entries are unchanged whatever is on disk (git's rule). Whatever the scan
//! cannot judge exactly it declines, and the caller counts by whole-tree diffs: conflicts,
//! intent-to-add entries, a case-insensitive worktree, a tracked directory that became a file or
//! a link, a `.git` below the root.

use std::path::Path;
use std::sync::Arc;

use git2::Repository;

mod direct;
mod head;
mod walk;

use crate::git::error::Result;
use crate::git::index_file::{to_git2, IndexFile, IndexFileError};
use crate::git::index_stamp::IndexStamp;
use crate::git::model::{CountOptions, RepoCounts};
use crate::git::scratch::{scratch, Scratch};
use crate::git::staged_unstaged::{
    assemble, head_state, staged_side_limited, workdir_diff, StagedSide, WorkdirSide,
};
use head::staged_paths;
use walk::{walk_worktree, Decline, StatRules};

/// What a scan gives: the counts, or why only whole-tree diffs can count this repository.
#[derive(Debug)]
pub enum Scanned {
    /// The scan's counts.
    Counted(Box<RepoCounts>),
    /// Why the scan declined (the caller counts by whole-tree diffs).
    Declined(&'static str),
}

/// Counts `repo` by a scan, or declines.
pub fn count_repo_by_scan(repo: &Repository, options: &CountOptions) -> Result<Scanned> {
    let Some(root) = repo.workdir().map(Path::to_path_buf) else {
        return Ok(Scanned::Declined("a bare repository"));
    };
    let started = std::time::Instant::now();
    let config = repo.config()?.snapshot()?;
    if config.get_bool("core.ignorecase").unwrap_or(false) {
        return Ok(Scanned::Declined("a case-insensitive worktree"));
    }
    let index = match IndexFile::read(&repo.path().join("index")) {
        Ok(index) => index,
        Err(IndexFileError::Unsupported(what)) => return Ok(Scanned::Declined(what)),
        Err(_) => return Ok(Scanned::Declined("the index file could not be read")),
    };
    if index.conflicts {
        return Ok(Scanned::Declined("conflicts in the index"));
    }
    if index.intent_to_add {
        return Ok(Scanned::Declined("intent-to-add entries"));
    }
    tracing::debug!("scan: index read in {:?}", started.elapsed());
    let rules = StatRules {
        trust_ctime: config.get_bool("core.trustctime").unwrap_or(true),
        file_mode: config.get_bool("core.filemode").unwrap_or(true),
        index_mtime: index.file_mtime,
    };

    // HEAD→index on this thread, the working tree on two more.
    let head = head_state(repo)?;
    let head_tree = head.tree()?;
    let (walked, staged_paths) = std::thread::scope(|scope| {
        let walk = scope.spawn(|| walk_worktree(&root, &index, &rules, options));
        let staged = staged_paths(repo, head_tree.as_ref(), &index);
        let walked = walk
            .join()
            .unwrap_or(Err(Decline("a walking thread failed")));
        (walked, staged)
    });
    let walked = match walked {
        Ok(walked) => walked,
        Err(Decline(why)) => return Ok(Scanned::Declined(why)),
    };
    let head::Staged {
        paths: staged_paths,
        expanded,
    } = staged_paths?;
    tracing::debug!(
        "scan: walked in {:?}: {} may differ, {} untracked names, {} staged",
        started.elapsed(),
        walked.changed.len(),
        walked.untracked.len(),
        staged_paths.len()
    );

    // Every path handed to libgit2 must mean only itself (see `partial::limits_exactly`).
    let mut paths = staged_paths
        .iter()
        .chain(walked.untracked.iter())
        .map(Vec::as_slice)
        .chain(
            walked
                .changed
                .iter()
                .map(|&at| index.path(&index.entries[at])),
        );
    if paths.any(|p| p.contains(&b'\\')) {
        return Ok(Scanned::Declined("a path with a backslash"));
    }

    // The paths that may differ, each counted by libgit2 on a repository handle of our own whose
    // index is a small one of their entries; the working-tree paths in two halves, one a thread.
    let mut in_small: Vec<usize> = walked.changed.clone();
    in_small.extend(staged_paths.iter().filter_map(|p| index.position(p)));
    in_small.sort_unstable();
    in_small.dedup();
    // Plainly modified files are counted directly where nothing can make that differ from
    // libgit2's diff; the rest, and the untracked names, by libgit2.
    let direct = direct::attributes_free(repo, &index, &walked.untracked);
    let (changed_first, changed_second) = walked.changed.split_at(walked.changed.len() / 2);
    let untracked: Vec<&[u8]> = walked.untracked.iter().map(Vec::as_slice).collect();
    let (untracked_first, untracked_second) = untracked.split_at(untracked.len() / 2);
    let half = |scratch: &Scratch, changed: &[usize], untracked: &[&[u8]]| {
        worktree_half(
            scratch,
            &root,
            &index,
            options,
            (direct, rules.file_mode),
            changed,
            untracked,
        )
    };
    let small = || {
        scratch(
            &root,
            in_small
                .iter()
                .map(|&at| index.git2_entry(&index.entries[at]))
                .chain(expanded.iter().map(|(entry, path)| to_git2(entry, path))),
        )
    };
    let (other_half, scratch, staged, workdir) = std::thread::scope(|scope| {
        let other = scope
            .spawn(|| -> Result<WorkdirSide> { half(&small()?, changed_second, untracked_second) });
        let mine = (|| {
            let scratch = small()?;
            let staged = {
                let head = head_state(&scratch.repo)?;
                let head_tree = head.tree()?;
                if staged_paths.is_empty() {
                    StagedSide::empty()
                } else {
                    staged_side_limited(
                        &scratch.repo,
                        Some(&scratch.index),
                        head_tree.as_ref(),
                        options,
                        |o| exact_list(o, staged_paths.iter().map(Vec::as_slice)),
                    )?
                }
            };
            let workdir = half(&scratch, changed_first, untracked_first)?;
            Ok::<_, crate::git::error::GitError>((scratch, staged, workdir))
        })();
        let other = other
            .join()
            .unwrap_or_else(|_| Err(git2::Error::from_str("a counting thread failed").into()));
        mine.map(|(scratch, staged, workdir)| (other, scratch, staged, workdir))
    })?;
    let mut workdir = workdir;
    workdir.merge(other_half?);
    let head = head_state(&scratch.repo)?;
    let head_tree = head.tree()?;
    tracing::debug!("scan: diffed in {:?}", started.elapsed());
    let stamp = options
        .stamp_index
        .then(|| Arc::new(IndexStamp::of_file(&index)));
    drop(index);
    let counts = assemble(
        &scratch.repo,
        &head,
        head_tree.as_ref(),
        staged,
        workdir,
        options,
        stamp,
        None,
    )?;
    tracing::debug!("scan: counted in {:?}", started.elapsed());
    Ok(Scanned::Counted(Box::new(counts)))
}

/// The index→working tree side of these candidates (positions in `index`) and untracked names,
/// on a scratch handle: plain modifications directly when `direct` allows, the rest by libgit2.
fn worktree_half(
    scratch: &Scratch,
    root: &Path,
    index: &IndexFile,
    options: &CountOptions,
    (direct, file_mode): (bool, bool),
    changed: &[usize],
    untracked: &[&[u8]],
) -> Result<WorkdirSide> {
    let counted = if direct {
        direct::direct_rows(&scratch.repo, root, index, changed, options, file_mode)?
    } else {
        direct::Direct {
            rows: Vec::new(),
            plain: Default::default(),
            rest: changed.to_vec(),
        }
    };
    let mut paths: Vec<&[u8]> = counted
        .rest
        .iter()
        .map(|&at| index.path(&index.entries[at]))
        .collect();
    paths.extend_from_slice(untracked);
    let mut side = if paths.is_empty() {
        WorkdirSide::empty()
    } else {
        workdir_diff(&scratch.repo, Some(&scratch.index), options, |o| {
            exact_list(o, paths.iter().copied())
        })?
    };
    side.merge(WorkdirSide {
        unstaged: counted.rows,
        untracked: Vec::new(),
        plain: counted.plain,
        large: Vec::new(),
    });
    Ok(side)
}

/// Limits a diff to exactly these paths (a directory covers what lies below it).
fn exact_list<'p>(options: &mut git2::DiffOptions, paths: impl Iterator<Item = &'p [u8]>) {
    options.disable_pathspec_match(true);
    for path in paths {
        options.pathspec(path.to_vec());
    }
}
