//! Counting what a commit would hold, with git's own numbers.
//!
//! Three diffs give everything: HEAD→index (staged), index→working tree (unstaged, plus the
//! untracked files with their content), and HEAD→working tree limited to the paths the first two
//! named (total). Each is counted per file with the same line statistics `git diff --numstat`
//! prints: binary files are files with 0 lines, renames are found as git finds them.

use std::path::Path;

use git2::Repository;

use super::error::Result;
pub use super::model::{CountOptions, FileDelta, LineStat, RepoCounts};
use super::repo::open_containing;
use super::rows::os_string;
use super::sides::{assemble, head_state, staged_side, workdir_side, WorkdirSide};
use super::stamp::IndexStamp;

/// Counts the repository containing `path`.
pub fn count(path: &Path, options: &CountOptions) -> Result<RepoCounts> {
    let repo = open_containing(path)?;
    count_repo(&repo, options)
}

/// Counts an open repository.
pub fn count_repo(repo: &Repository, options: &CountOptions) -> Result<RepoCounts> {
    let root = repo.workdir().map(Path::to_path_buf).unwrap_or_default();
    // The stamp is taken before anything is counted: should git change the index meanwhile,
    // the stamp is older than the rows, never newer, and the next re-count redoes those entries.
    let stamp = if options.stamp_index {
        let mut index = repo.index()?;
        index.read(false)?;
        Some(std::sync::Arc::new(IndexStamp::of(&index)))
    } else {
        None
    };
    let head = head_state(repo)?;
    let head_tree = head.tree()?;

    // Index→working tree: `git diff`, and the untracked files with their content. In a large
    // repository the walk is split in two by top-level entry, one half per thread (git's own
    // `status` spreads its stat calls over threads too); the second thread starts at once, so
    // its repository and index load while this one diffs HEAD against the index.
    let index_bytes = std::fs::metadata(repo.path().join("index")).map_or(0, |m| m.len());
    let split = index_bytes >= options.split_walk_at.unwrap_or(SPLIT_AT_INDEX_BYTES);
    let (workdir_a, workdir_b, staged) = std::thread::scope(|scope| {
        let other = split.then(|| {
            let root = &root;
            scope.spawn(move || -> Result<WorkdirSide> {
                let repo_b = Repository::open(root)?;
                let names = top_level_names(&repo_b, root, 1)?;
                workdir_side(&repo_b, options, Some(&names))
            })
        });
        let staged = staged_side(repo, head_tree.as_ref(), options);
        let mine = if split {
            top_level_names(repo, &root, 0)
                .and_then(|names| workdir_side(repo, options, Some(&names)))
        } else {
            workdir_side(repo, options, None)
        };
        let theirs = other.map(|handle| {
            handle
                .join()
                .unwrap_or_else(|_| Err(git2::Error::from_str("a counting thread failed").into()))
        });
        (mine, theirs, staged)
    });
    let mut workdir = workdir_a?;
    if let Some(workdir_b) = workdir_b {
        workdir.merge(workdir_b?);
    }
    assemble(
        repo,
        &head,
        head_tree.as_ref(),
        staged?,
        workdir,
        options,
        stamp,
    )
}

/// From this size of the index file (about 4,000 entries) two threads walk the working tree
/// faster than one.
const SPLIT_AT_INDEX_BYTES: u64 = 400_000;

/// The top-level entries of the worktree (on disk or in the index) that fall to thread `half`
/// (0 or 1). A name's half is a hash of its bytes, so both threads agree on every name without
/// sharing a list, even a name only one of them sees.
fn top_level_names(repo: &Repository, root: &Path, half: u64) -> Result<Vec<std::ffi::OsString>> {
    let index = repo.index()?;
    let mut names: std::collections::BTreeSet<std::ffi::OsString> =
        std::collections::BTreeSet::new();
    for entry in index.iter() {
        let first = entry.path.split(|b| *b == b'/').next().unwrap_or_default();
        names.insert(os_string(first));
    }
    if let Ok(dir) = std::fs::read_dir(root) {
        for entry in dir.flatten() {
            names.insert(entry.file_name());
        }
    }
    names.remove(std::ffi::OsStr::new(".git"));
    let parity = |name: &std::ffi::OsStr| {
        name.as_encoded_bytes()
            .iter()
            .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
                (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
            })
            & 1
    };
    Ok(names
        .into_iter()
        .filter(|name| parity(name) == half)
        .collect())
}
