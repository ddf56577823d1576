//! Writing the index: stage or unstage one hunk, stage or unstage a file.
//!
//! Every write re-reads the index, checks that the hunk is still the one the user was offered,
//! and goes through git's lock protocol (`index.lock`): when another process holds the lock the
//! write is refused with a message naming it, and nothing is touched. The working tree is never
//! written.

use std::path::Path;

use git2::{IndexEntry, IndexTime, Repository};

use crate::git::convert;
use crate::git::error::{GitError, Result};
use crate::git::hunks::{
    file_hunks, index_content, offered, select_lines, staged_content, unstaged_content,
    LineSelection,
};
use crate::git::repo::checked_rel_path;
use crate::hunk_range::HunkRange;

/// The hunk an action was offered for: its numbers, the hash of its lines, and the lines chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HunkTarget {
    /// The hunk's numbers as offered.
    pub range: HunkRange,
    /// The hash of its lines as offered (`Hunk::hash`).
    pub hash: String,
    /// Which of its lines to stage.
    pub selection: LineSelection,
}

/// Stages one unstaged hunk of `rel_path` (or the selected lines of it).
///
/// `text` is the document's current text (an unsaved buffer stages what the user sees, as gitsigns
/// does); `None` reads the file on disk.
pub(crate) fn stage_hunk(
    repo: &Repository,
    rel_path: &str,
    text: Option<&[u8]>,
    target: &HunkTarget,
) -> Result<()> {
    checked_rel_path(rel_path)?;
    super::kinds::refuse_outside_cone(repo, rel_path)?;
    let hunks = file_hunks(repo, rel_path, text)?;
    let hunk = offered(&hunks.unstaged, &target.range, &target.hash, "the hunk")?;
    let hunk = select_lines(hunk, target.selection);
    with_index(repo, |index| {
        let current = index_content(repo, index, rel_path)?.unwrap_or_default();
        let content = staged_content(&current, &hunk)?;
        // A hunk carries lines, not a mode: the index keeps its mode, as `git add -p` does.
        let mode = index_mode_or_new(repo, index, rel_path);
        put(repo, index, rel_path, &content, mode)
    })
}

/// Unstages one staged hunk of `rel_path`: the HEAD version of those lines goes back in the index.
pub(crate) fn unstage_hunk(repo: &Repository, rel_path: &str, target: &HunkTarget) -> Result<()> {
    checked_rel_path(rel_path)?;
    super::kinds::refuse_outside_cone(repo, rel_path)?;
    let hunks = file_hunks(repo, rel_path, None)?;
    let hunk = offered(
        &hunks.staged,
        &target.range,
        &target.hash,
        "the staged hunk",
    )?;
    with_index(repo, |index| {
        let current = index_content(repo, index, rel_path)?.unwrap_or_default();
        let content = unstaged_content(&current, hunk)?;
        let mode = index_mode_or_new(repo, index, rel_path);
        put(repo, index, rel_path, &content, mode)
    })
}

/// Stages the whole file as `git add` would: `text` when given (an open buffer, converted as git
/// converts the file's bytes), else the disk; its mode as git would record it; a symlink's link
/// text whatever the buffer shows; a deleted file's removal.
pub(crate) fn stage_file(repo: &Repository, rel_path: &str, text: Option<&[u8]>) -> Result<()> {
    checked_rel_path(rel_path)?;
    super::kinds::refuse_outside_cone(repo, rel_path)?;
    with_index(repo, |index| {
        let index_mode = index.get_path(Path::new(rel_path), 0).map(|e| e.mode);
        match convert::as_git_would_add(repo, rel_path, text, index_mode)? {
            Some(addable) => put(repo, index, rel_path, &addable.content, addable.mode)?,
            None if index_mode.is_some() => index.remove_path(Path::new(rel_path))?,
            None => {}
        }
        Ok(())
    })
}

/// Unstages the whole file: the index entry goes back to HEAD's (or away, when HEAD lacks it).
pub(crate) fn unstage_file(repo: &Repository, rel_path: &str) -> Result<()> {
    checked_rel_path(rel_path)?;
    super::kinds::refuse_outside_cone(repo, rel_path)?;
    let head_entry = match crate::git::refs::head_tree(repo)? {
        Some(tree) => tree
            .get_path(Path::new(rel_path))
            .ok()
            .map(|e| (e.id(), e.filemode())),
        None => None,
    };
    with_index(repo, |index| {
        match head_entry {
            Some((id, mode)) => {
                let mut entry = blank_entry(rel_path, u32::try_from(mode).unwrap_or(0o100644));
                entry.id = id;
                entry.file_size =
                    u32::try_from(repo.find_blob(id)?.content().len()).unwrap_or(u32::MAX);
                index.add(&entry)?;
            }
            None => {
                if index.get_path(Path::new(rel_path), 0).is_some() {
                    index.remove_path(Path::new(rel_path))?;
                }
            }
        }
        Ok(())
    })
}

/// Runs `change` on a freshly read index and writes it through `index.lock`.
///
/// The lock is taken before the index is read, as git does: while it is held no other git can
/// write the index, so the index written is never built on a stale one. The new index is written
/// beside the lock, moved into the lock's place, and renamed onto the index.
pub(crate) fn with_index(
    repo: &Repository,
    change: impl FnOnce(&mut git2::Index) -> Result<()>,
) -> Result<()> {
    let git_dir = repo.path();
    let lock = IndexLock::acquire(&git_dir.join("index.lock"))?;
    // The time of the index being replaced: entries not older than it are "racily clean".
    let replaced_at = std::fs::metadata(git_dir.join("index"))
        .and_then(|m| m.modified())
        .ok();
    let racy_from = racy_from(replaced_at);
    let scratch = git_dir.join(format!("index.commit-nudge-{}", std::process::id()));
    let written = match index_libgit2_writes(repo)? {
        Some(mut index) => {
            // Another process may have written the index since this repository object read it.
            index.read(true)?;
            change(&mut index)?;
            write_copy(&index, &scratch, racy_from)
        }
        // A split or sparse index, written by us in its own kind.
        None => super::kinds::changed_index(repo, change, racy_from).and_then(|bytes| {
            std::fs::write(&scratch, bytes)
                .map_err(|e| GitError::io("could not write the new index", e))
        }),
    };
    let written = written.and_then(|()| {
        std::fs::rename(&scratch, &lock.path)
            .and_then(|()| std::fs::rename(&lock.path, git_dir.join("index")))
            .map_err(|e| GitError::io("could not replace the index", e))
    });
    if written.is_err() {
        let _ = std::fs::remove_file(&scratch);
    } else {
        lock.release();
    }
    written
}

/// Writes the entries of `index` (conflict stages included) as a new index file at `path`.
///
/// An entry whose file time is not older than the index it came from (`replaced_at`) is "racily
/// clean": its file may have changed in the same tick without its stat data showing it, and git
/// re-reads such files only while the index is no newer than them. The new index is newer, so,
/// as git does when it writes an index, such entries lose their size: git then compares their
/// content instead of trusting their stat data.
fn write_copy(index: &git2::Index, path: &Path, racy_from: Option<(i64, u32)>) -> Result<()> {
    let _ = std::fs::remove_file(path);
    let mut copy = git2::Index::open(path)?;
    for mut entry in index.iter() {
        let mtime = (i64::from(entry.mtime.seconds()), entry.mtime.nanoseconds());
        if racy_from.is_some_and(|from| mtime >= from) {
            entry.file_size = 0;
        }
        copy.add(&entry)?;
    }
    copy.write()?;
    Ok(())
}

/// From when (seconds, nanoseconds) an entry's file time makes it racily clean: the time of the
/// index being replaced.
fn racy_from(replaced_at: Option<std::time::SystemTime>) -> Option<(i64, u32)> {
    replaced_at
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| {
            (
                i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
                d.subsec_nanos(),
            )
        })
}

/// The repository's index from its file, when libgit2 reads and writes it; `None` for a split
/// or sparse index (or an in-memory one an earlier read of a split or sparse index left on this
/// handle), which only we write.
fn index_libgit2_writes(repo: &Repository) -> Result<Option<git2::Index>> {
    match repo.index() {
        Ok(index) if index.path().is_some() => Ok(Some(index)),
        Ok(_) => Ok(None),
        Err(error) if crate::git::error::unservable_of(&error).is_some() => Ok(None),
        Err(error) => Err(error.into()),
    }
}

/// The user's entry without its file times, so that git compares the file by content next time.
///
/// An entry written in the same second as its file was last changed is trusted by git only while
/// the index file is as old ("racily clean"); the index written here is newer, so an entry that
/// kept its times could hide a change of the same size made in that second.
pub(crate) fn smudged(entry: &IndexEntry) -> IndexEntry {
    IndexEntry {
        ctime: git2::IndexTime::new(0, 0),
        mtime: git2::IndexTime::new(0, 0),
        dev: entry.dev,
        ino: entry.ino,
        mode: entry.mode,
        uid: entry.uid,
        gid: entry.gid,
        file_size: entry.file_size,
        id: entry.id,
        flags: entry.flags,
        flags_extended: entry.flags_extended,
        path: entry.path.clone(),
    }
}

/// git's `index.lock`, created exclusively; removed on drop unless it became the index.
struct IndexLock {
    path: std::path::PathBuf,
    released: bool,
}

impl IndexLock {
    /// Takes the lock; while another git holds it (a `git status` refreshing the index in a
    /// terminal, a commit in its hook), tries again after 50, 200, 450 and 800 ms, as VS Code's
    /// git does, before naming the lock in the refusal. A stage runs off the typing path.
    fn acquire(path: &Path) -> Result<IndexLock> {
        let mut attempt: u64 = 1;
        loop {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)
            {
                Ok(_) => {
                    return Ok(IndexLock {
                        path: path.to_path_buf(),
                        released: false,
                    })
                }
                Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
                    if attempt == 5 {
                        return Err(GitError::IndexLocked(path.to_path_buf()));
                    }
                    std::thread::sleep(std::time::Duration::from_millis(attempt * attempt * 50));
                    attempt += 1;
                }
                Err(error) => {
                    return Err(GitError::io(
                        format!("could not create {}", path.display()),
                        error,
                    ))
                }
            }
        }
    }

    /// The lock file was renamed onto the index: nothing to remove.
    fn release(mut self) {
        self.released = true;
    }
}

impl Drop for IndexLock {
    fn drop(&mut self) {
        if !self.released {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// The mode of `rel_path` in the index or, for a path it does not hold yet, the mode `git add`
/// would give the file.
fn index_mode_or_new(repo: &Repository, index: &git2::Index, rel_path: &str) -> u32 {
    match index.get_path(Path::new(rel_path), 0) {
        Some(entry) => entry.mode,
        None => convert::mode_git_would_add(repo, rel_path, None),
    }
}

/// Puts `content` in the index as `rel_path` with `mode`; a `git add -N` mark is cleared, as
/// staging does.
fn put(
    repo: &Repository,
    index: &mut git2::Index,
    rel_path: &str,
    content: &[u8],
    mode: u32,
) -> Result<()> {
    let mut entry = blank_entry(rel_path, mode);
    entry.id = repo.blob(content)?;
    entry.file_size = u32::try_from(content.len()).unwrap_or(u32::MAX);
    index.add(&entry)?;
    Ok(())
}

/// An index entry with no stat data, so git compares the working tree file by content.
pub(crate) fn blank_entry(rel_path: &str, mode: u32) -> IndexEntry {
    IndexEntry {
        ctime: IndexTime::new(0, 0),
        mtime: IndexTime::new(0, 0),
        dev: 0,
        ino: 0,
        mode,
        uid: 0,
        gid: 0,
        file_size: 0,
        id: git2::Oid::ZERO_SHA1,
        flags: 0,
        flags_extended: 0,
        path: rel_path.as_bytes().to_vec(),
    }
}
