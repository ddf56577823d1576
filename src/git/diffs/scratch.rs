//! A repository handle of our own whose index is a small in-memory one of a few entries: the
//! diffs of the count by scan and of the re-counts, limited to those entries' paths, then cost
//! in proportion to them, and the repository's own index (a million entries, perhaps) is never
//! loaded into libgit2.

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use git2::Repository;

use crate::git::error::Result;

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
pub type KeptEntry = (crate::git::index_file::Entry, Vec<u8>);

/// The stage-0 index entries of `paths` that the index holds: read from the index file up to
/// the last of them; an index our reader refuses (a split or sparse one) is asked of libgit2.
pub(crate) fn entries_of(repo: &Repository, paths: &BTreeSet<&[u8]>) -> Result<Vec<KeptEntry>> {
    if let Ok(found) = crate::git::index_file::find_entries(&repo.path().join("index"), paths) {
        return Ok(found);
    }
    let mut index = repo.index()?;
    index.read(false)?;
    Ok(paths
        .iter()
        .filter_map(|path| index.get_path(Path::new(OsStr::from_bytes(path)), 0))
        .map(|entry| {
            (
                crate::git::index_file::from_git2(&entry),
                entry.path.clone(),
            )
        })
        .collect())
}

/// The index entries work on one path needs: its own, and those of the `.gitattributes` files
/// that could apply to it (libgit2 reads an attributes file from the index when the working tree
/// has none).
pub(crate) fn entries_for_path(repo: &Repository, rel_path: &str) -> Result<Vec<KeptEntry>> {
    let mut wanted: Vec<Vec<u8>> = vec![rel_path.as_bytes().to_vec(), b".gitattributes".to_vec()];
    let mut dir = String::new();
    if let Some((parents, _)) = rel_path.rsplit_once('/') {
        for part in parents.split('/') {
            dir.push_str(part);
            dir.push('/');
            wanted.push(format!("{dir}.gitattributes").into_bytes());
        }
    }
    entries_of(repo, &wanted.iter().map(Vec::as_slice).collect())
}

/// A scratch handle at `root` whose index holds `entries`.
pub(crate) fn scratch_of(root: &Path, entries: &[KeptEntry]) -> Result<Scratch> {
    scratch(
        root,
        entries
            .iter()
            .map(|(entry, path)| crate::git::index_file::to_git2(entry, path)),
    )
}
