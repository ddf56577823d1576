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
/// the last of them (a split index merged as it is read); an index our reader refuses is asked
/// of libgit2.
pub(crate) fn entries_of(repo: &Repository, paths: &BTreeSet<&[u8]>) -> Result<Vec<KeptEntry>> {
    if let Ok(found) = crate::git::index_file::find_entries(&repo.path().join("index"), paths) {
        return Ok(found);
    }
    let index = whole_index(repo)?;
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

/// The repository's whole index as libgit2 takes it, read now. libgit2 reads an ordinary index
/// itself; a split or sparse one, which it cannot read, is read by us and handed to it in memory
/// (and set as `repo`'s index, so that what libgit2 looks up in the index meanwhile, such as
/// attributes, is found there): a sparse directory expanded into its tree's files, each marked
/// skip-worktree, as git expands a sparse index when a command needs every entry.
pub fn whole_index(repo: &Repository) -> Result<git2::Index> {
    match repo.index() {
        // An index libgit2 reads from its file (an in-memory one left by an earlier call on this
        // handle is built again: the file may have changed since).
        Ok(mut index) if index.path().is_some() => {
            index.read(false)?;
            return Ok(index);
        }
        Ok(_) => {}
        Err(error) if crate::git::error::unservable_of(&error).is_none() => {
            return Err(error.into())
        }
        Err(_) => {}
    }
    let ours = crate::git::index_file::IndexFile::read(&repo.path().join("index"))
        .map_err(|e| crate::git::GitError::Refused(e.to_string()))?;
    let mut index = git2::Index::new()?;
    for entry in &ours.entries {
        let mut entry = ours.git2_entry(entry);
        if entry.mode == crate::git::index_file::MODE_SPARSE_DIR {
            let dir = std::mem::take(&mut entry.path);
            add_tree(repo, &mut index, &dir, entry.id)?;
        } else {
            index.add(&entry)?;
        }
    }
    repo.set_index(&mut index)?;
    Ok(index)
}

/// Every file of the tree `id` as a skip-worktree entry below `dir` (ending in `/`).
fn add_tree(repo: &Repository, index: &mut git2::Index, dir: &[u8], id: git2::Oid) -> Result<()> {
    let tree = repo.find_tree(id)?;
    for item in tree.iter() {
        let mut path = dir.to_vec();
        path.extend_from_slice(item.name_bytes());
        if item.kind() == Some(git2::ObjectType::Tree) {
            path.push(b'/');
            add_tree(repo, index, &path, item.id())?;
            continue;
        }
        let mode = u32::try_from(item.filemode()).unwrap_or(0o100644);
        let mut entry = crate::git::stage::blank_entry("", mode);
        entry.path = path;
        entry.id = item.id();
        entry.flags_extended = crate::git::index_file::EXT_SKIP_WORKTREE;
        index.add(&entry)?;
    }
    Ok(())
}

/// Before libgit2 looks up `rel_path`'s attributes on `repo` (which reads the index for
/// `.gitattributes` files): when the index is one libgit2 cannot read (split or sparse), `repo`
/// is given a small in-memory index of the entries that matter to the path instead. Whether it
/// is such an index is told cheaply, without reading it: a shared index beside it, or
/// `index.sparse` set.
pub(crate) fn lend_index_for(repo: &Repository, rel_path: &str) -> Result<()> {
    let index_path = repo.path().join("index");
    let sparse = repo
        .config()
        .and_then(|c| c.get_bool("index.sparse"))
        .unwrap_or(false);
    if !sparse && !crate::git::index_file::may_be_split(&index_path) {
        return Ok(());
    }
    match repo.index() {
        Ok(_) => Ok(()),
        Err(error) if crate::git::error::unservable_of(&error).is_some() => {
            let small = scratch_of(
                repo.workdir().unwrap_or(repo.path()),
                &entries_for_path(repo, rel_path)?,
            )?;
            let mut index = small.index;
            repo.set_index(&mut index)?;
            Ok(())
        }
        Err(error) => Err(error.into()),
    }
}
