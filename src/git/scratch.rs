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

/// An index entry and its path, as kept to build a scratch handle again later.
pub type KeptEntry = (super::index_file::Entry, Vec<u8>);

/// The index entries work on one path needs: its own, and those of the `.gitattributes` files
/// that could apply to it (libgit2 reads an attributes file from the index when the working tree
/// has none). Read from the index file; a split or sparse index is asked of libgit2.
pub(crate) fn entries_for_path(repo: &Repository, rel_path: &str) -> Result<Vec<KeptEntry>> {
    let mut wanted: Vec<Vec<u8>> = vec![rel_path.as_bytes().to_vec()];
    let mut dir = String::new();
    wanted.push(b".gitattributes".to_vec());
    for part in rel_path
        .split('/')
        .rev()
        .skip(1)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
    {
        dir.push_str(part);
        dir.push('/');
        wanted.push(format!("{dir}.gitattributes").into_bytes());
    }
    let mut entries = Vec::new();
    let read = super::index_file::stream(&repo.path().join("index"), |entry, path, _| {
        if entry.stage() == 0 && wanted.iter().any(|w| w.as_slice() == path) {
            entries.push((*entry, path.to_vec()));
        }
        true
    });
    if read.is_ok() {
        return Ok(entries);
    }
    let mut index = repo.index()?;
    index.read(false)?;
    Ok(wanted
        .iter()
        .filter_map(|w| index.get_path(Path::new(&*String::from_utf8_lossy(w)), 0))
        .map(|e| (super::index_file::from_git2(&e), e.path.clone()))
        .collect())
}

/// A scratch handle at `root` whose index holds `entries`.
pub(crate) fn scratch_of(root: &Path, entries: &[KeptEntry]) -> Result<Scratch> {
    scratch(
        root,
        entries
            .iter()
            .map(|(entry, path)| super::index_file::to_git2(entry, path)),
    )
}
