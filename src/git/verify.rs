//! The count's fast path and its reference, public on purpose: the differential tests (and an
//! embedder who doubts a count) compare the scan with libgit2's whole-tree diffs, and a count's
//! index stamp (`RepoCounts::index_stamp`, an `IndexStamp`) with the index as it is now, and
//! check that a write kept the index's kind (`index_form`: what our reader sees of it). Nothing
//! here is needed to use commit-nudge; `Repo::count` picks the path itself. This is the one
//! public way into the core's internals, and it is read-only: everything else of `src/git` is
//! behind the front door (`git::open` → `git::Repo`).

#![warn(missing_docs)]

use std::path::Path;

use crate::git::error::{GitError, Result};
use crate::git::index_file::IndexFile;
use crate::git::{CountOptions, Repo, RepoCounts};

pub use crate::git::index_stamp::IndexStamp;
pub use crate::git::scan::Scanned;

/// Counts `repo` by the scan alone, or says why the scan declines (the git-CLI backend has no
/// scan: it always declines).
pub fn by_scan(repo: &Repo, options: &CountOptions) -> Result<Scanned> {
    match repo.libgit2() {
        Some(repo) => crate::git::scan::count_repo_by_scan(repo, options),
        None => Ok(Scanned::Declined(
            "served by the git CLI, which has no scan",
        )),
    }
}

/// Counts `repo` by the reference: libgit2's whole-tree diffs (git's own numbers, through the
/// git CLI, where libgit2 cannot open the repository).
pub fn by_diff(repo: &Repo, options: &CountOptions) -> Result<RepoCounts> {
    match repo.libgit2() {
        Some(repo) => crate::git::count::count_repo_by_diff(repo, options),
        None => repo.count(options),
    }
}

/// The whole index as libgit2 holds it for the reference count: libgit2's own reading, or ours
/// handed to it where libgit2 cannot read the file (a split or sparse index); `None` where the
/// git CLI serves the repository.
pub fn whole_index(repo: &Repo) -> Option<Result<git2::Index>> {
    repo.libgit2().map(crate::git::scratch::whole_index)
}

/// What our index reader sees of an index file: its kind and its entries' paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexForm {
    /// A sparse index (`sdir`): directories outside the cone are one entry each.
    pub sparse: bool,
    /// A split index (`link`): its entries are merged with a shared index's.
    pub split: bool,
    /// Each entry's path, in the index's order (a sparse directory's ends with `/`).
    pub paths: Vec<Vec<u8>>,
}

/// Reads the index file at `path` (`<git dir>/index`) as the scan and the writes read it.
pub fn index_form(path: &Path) -> Result<IndexForm> {
    let file = IndexFile::read(path).map_err(|e| GitError::Refused(e.to_string()))?;
    Ok(IndexForm {
        sparse: file.sparse,
        split: file.link.is_some(),
        paths: file
            .entries
            .iter()
            .map(|entry| file.path(entry).to_vec())
            .collect(),
    })
}
