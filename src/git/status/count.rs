//! Counting what a commit would hold, with git's own numbers.
//!
//! Three diffs give everything: HEAD→index (staged), index→working tree (unstaged, plus the
//! untracked files with their content), and HEAD→working tree limited to the paths the first two
//! named (total). Each is counted per file with the same line statistics `git diff --numstat`
//! prints: binary files are files with 0 lines, renames are found as git finds them.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::Path;

use git2::Repository;

use crate::git::error::{GitError, Result};
use crate::git::index_stamp::IndexStamp;
pub use crate::git::model::{CountOptions, FileDelta, LineStat, RepoCounts};
use crate::git::numstat::os_string;
use crate::git::scan::Scanned;
use crate::git::staged_unstaged::{assemble, head_state, staged_side, workdir_side, WorkdirSide};

/// Counts an open repository: by a scan of the index file and the working tree
/// (`scan::count_repo_by_scan`) where that is exact, else by libgit2's whole-tree diffs.
pub(crate) fn count_repo(repo: &Repository, options: &CountOptions) -> Result<RepoCounts> {
    match crate::git::scan::count_repo_by_scan(repo, options) {
        Ok(Scanned::Counted(counts)) => return Ok(*counts),
        Ok(Scanned::Declined(why)) => tracing::debug!("counting by whole-tree diffs: {why}"),
        Err(error) => tracing::debug!("the scan failed ({error}); counting by whole-tree diffs"),
    }
    count_repo_by_diff(repo, options).map_err(|error| ignorecase_refusal(repo, error))
}

/// libgit2's failure in a repository with `core.ignorecase=true` on a file system that tells
/// case apart (one copied from macOS or Windows), where names differing only in case are one
/// file to git: said in one line that names the setting, never libgit2's words.
fn ignorecase_refusal(repo: &Repository, error: GitError) -> GitError {
    let ignorecase = repo
        .config()
        .and_then(|c| c.get_bool("core.ignorecase"))
        .unwrap_or(false);
    match error {
        GitError::Git(_) if ignorecase => GitError::Unservable {
            what: "core.ignorecase=true on a file system that tells case apart",
            why: "libgit2 (the library commit-nudge reads git with) cannot tell which of two names differing only in case git means",
            part: "commit-nudge's count",
        },
        other => other,
    }
}

/// Counts an open repository by libgit2's whole-tree diffs: the reference the scan is checked
/// against, and the count for every repository the scan declines.
pub(crate) fn count_repo_by_diff(repo: &Repository, options: &CountOptions) -> Result<RepoCounts> {
    let root = repo.workdir().map(Path::to_path_buf).unwrap_or_default();
    // The index is read once, here: every diff of this count is handed this reading (so libgit2
    // reloads nothing), and the stamp is taken of it, so that stamp and rows agree entry for
    // entry even when git writes the index meanwhile (the next count sees that change).
    let index = crate::git::scratch::whole_index(repo)?;
    let head = head_state(repo)?;
    let head_tree = head.tree()?;

    // Index→working tree: `git diff`, and the untracked files with their content. In a large
    // repository the walk is split in two by top-level entry, one half per thread (git's own
    // `status` spreads its stat calls over threads too). Both threads read the same in-memory
    // index (libgit2's diffs only read it, through snapshots), so a large index is held once.
    let split = index.len() >= options.split_walk_at.unwrap_or(SPLIT_AT_ENTRIES);
    let names = if split {
        Some(top_level_names(&index, &root))
    } else {
        None
    };
    let (workdir_a, workdir_b, staged, stamp) = std::thread::scope(|scope| {
        let other = match &names {
            Some((_, theirs)) => {
                let index_b = repo.index().map(SharedIndex);
                let root = &root;
                Some(scope.spawn(move || -> Result<WorkdirSide> {
                    let SharedIndex(mut index_b) = index_b?;
                    let repo_b = Repository::open(root)?;
                    // libgit2 asks a repository for its index even when a diff is handed one
                    // (to learn whether paths ignore case): make it this one, not a second load.
                    repo_b.set_index(&mut index_b)?;
                    workdir_side(&repo_b, Some(&index_b), options, Some(theirs))
                }))
            }
            None => None,
        };
        let stamp = options
            .stamp_index
            .then(|| std::sync::Arc::new(IndexStamp::of(&index)));
        let staged = staged_side(repo, Some(&index), head_tree.as_ref(), options);
        let mine = workdir_side(
            repo,
            Some(&index),
            options,
            names.as_ref().map(|(mine, _)| mine),
        );
        let theirs = other.map(|handle| {
            handle
                .join()
                .unwrap_or_else(|_| Err(git2::Error::from_str("a counting thread failed").into()))
        });
        (mine, theirs, staged, stamp)
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
        None,
    )
}

/// A second handle on the index this count read, for the other thread of the walk.
struct SharedIndex(git2::Index);

// SAFETY: the handle is moved to the walk's second thread and used there only to be diffed
// against the working tree, while the first thread diffs it too and stamps it. None of that
// writes the index (no diff asks libgit2 to update it, none is given no index so none reloads
// it): libgit2 reads it through snapshots, and counts snapshot holders and handles atomically.
unsafe impl Send for SharedIndex {}

/// From this many index entries two threads walk the working tree faster than one.
const SPLIT_AT_ENTRIES: usize = 4_000;

/// The top-level entries of the worktree (on disk or in the index), in two halves, one for each
/// thread. A name's half is a hash of its bytes; an entry with a new first component is only
/// looked at where the previous one differs (the index is sorted by path, so each top-level
/// directory's entries are contiguous).
fn top_level_names(index: &git2::Index, root: &Path) -> (Vec<OsString>, Vec<OsString>) {
    let mut names: BTreeSet<OsString> = BTreeSet::new();
    let mut last: Vec<u8> = Vec::new();
    for entry in index.iter() {
        let first = entry.path.split(|b| *b == b'/').next().unwrap_or_default();
        if first != last.as_slice() {
            last = first.to_vec();
            names.insert(os_string(first));
        }
    }
    if let Ok(dir) = std::fs::read_dir(root) {
        for entry in dir.flatten() {
            names.insert(entry.file_name());
        }
    }
    names.remove(std::ffi::OsStr::new(".git"));
    let parity = |name: &std::ffi::OsStr| {
        let mut hash = crate::git::fnv::Fnv::default();
        hash.feed(name.as_encoded_bytes());
        hash.value() & 1
    };
    names.into_iter().partition(|name| parity(name) == 0)
}
