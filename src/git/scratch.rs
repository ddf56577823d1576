//! A repository handle of our own whose index is a small in-memory one of a few entries: the
//! diffs of the count by scan and of the re-counts, limited to those entries' paths, then cost
//! in proportion to them, and the repository's own index (a million entries, perhaps) is never
//! loaded into libgit2.

use std::path::Path;

use git2::Repository;

use super::error::Result;

/// The handle and its index (kept alive beside it).
pub(crate) struct Scratch {
    pub repo: Repository,
    pub index: git2::Index,
}

/// A handle on the repository at `root` whose index holds these entries alone.
///
/// Each entry loses its modification time: libgit2 then compares the file by its content
/// whenever the size is the same. An in-memory index has no time of its own, so libgit2's check
/// for files changed in the same moment the index was written ("racy") could not work.
pub(crate) fn scratch(
    root: &Path,
    entries: impl IntoIterator<Item = git2::IndexEntry>,
) -> Result<Scratch> {
    let mut index = git2::Index::new()?;
    for mut entry in entries {
        entry.mtime = git2::IndexTime::new(0, 0);
        index.add(&entry)?;
    }
    let repo = Repository::open(root)?;
    repo.set_index(&mut index)?;
    Ok(Scratch { repo, index })
}
