//! Writing the index: stage or unstage one hunk, stage or unstage a file.
//!
//! Every write re-reads the index, checks that the hunk is still the one the user was offered,
//! and goes through git's lock protocol (`index.lock`): when another process holds the lock the
//! write is refused with a message naming it, and nothing is touched. The working tree is never
//! written.

use std::path::Path;

use git2::{IndexEntry, IndexTime, Repository};

use super::error::{GitError, Result};
use super::hunks::{
    file_hunks, select_lines, staged_content, unstaged_content, HunkHeader, LineSelection,
};

/// The hunk an action was offered for: its header, the hash of its lines, and the lines chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HunkTarget {
    pub header: HunkHeader,
    pub hash: String,
    pub selection: LineSelection,
}

/// Stages one unstaged hunk of `rel_path` (or the selected lines of it).
///
/// `text` is the document's current text (an unsaved buffer stages what the user sees, as gitsigns
/// does); `None` reads the file on disk.
pub fn stage_hunk(
    repo: &Repository,
    rel_path: &str,
    text: Option<&[u8]>,
    target: &HunkTarget,
) -> Result<()> {
    let hunks = file_hunks(repo, rel_path, text)?;
    let hunk = hunks
        .unstaged
        .iter()
        .find(|h| h.header == target.header && h.hash() == target.hash)
        .ok_or_else(|| {
            GitError::Stale("the hunk changed since the action was offered".to_string())
        })?;
    let hunk = select_lines(hunk, target.selection);
    with_index(repo, |index| {
        let current = blob_of(repo, index, rel_path)?.unwrap_or_default();
        let content = staged_content(&current, &hunk)?;
        put(repo, index, rel_path, &content)
    })
}

/// Unstages one staged hunk of `rel_path`: the HEAD version of those lines goes back in the index.
pub fn unstage_hunk(repo: &Repository, rel_path: &str, target: &HunkTarget) -> Result<()> {
    let hunks = file_hunks(repo, rel_path, None)?;
    let hunk = hunks
        .staged
        .iter()
        .find(|h| h.header == target.header && h.hash() == target.hash)
        .ok_or_else(|| {
            GitError::Stale("the staged hunk changed since the action was offered".to_string())
        })?;
    with_index(repo, |index| {
        let current = blob_of(repo, index, rel_path)?.unwrap_or_default();
        let content = unstaged_content(&current, hunk)?;
        put(repo, index, rel_path, &content)
    })
}

/// Stages the whole file: `text` when given (an open buffer), else the disk; a deleted file's
/// removal is staged.
pub fn stage_file(repo: &Repository, rel_path: &str, text: Option<&[u8]>) -> Result<()> {
    let root = repo.workdir().map(Path::to_path_buf).unwrap_or_default();
    let on_disk = root.join(rel_path).symlink_metadata().is_ok();
    with_index(repo, |index| {
        match text {
            Some(text) => put(repo, index, rel_path, text)?,
            None if on_disk => index.add_path(Path::new(rel_path))?,
            None => index.remove_path(Path::new(rel_path))?,
        }
        Ok(())
    })
}

/// Unstages the whole file: the index entry goes back to HEAD's (or away, when HEAD lacks it).
pub fn unstage_file(repo: &Repository, rel_path: &str) -> Result<()> {
    let head_entry = match repo.head().ok().and_then(|h| h.peel_to_tree().ok()) {
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
fn with_index(
    repo: &Repository,
    change: impl FnOnce(&mut git2::Index) -> Result<()>,
) -> Result<()> {
    let lock = repo.path().join("index.lock");
    if lock.exists() {
        return Err(GitError::IndexLocked(lock));
    }
    let mut index = repo.index()?;
    // Another process may have written the index since this repository object read it.
    index.read(true)?;
    change(&mut index)?;
    index.write().map_err(|error| {
        if error.code() == git2::ErrorCode::Locked || lock.exists() {
            GitError::IndexLocked(lock.clone())
        } else {
            GitError::Git(error)
        }
    })
}

fn blob_of(repo: &Repository, index: &git2::Index, rel_path: &str) -> Result<Option<Vec<u8>>> {
    match index.get_path(Path::new(rel_path), 0) {
        Some(entry) => Ok(Some(repo.find_blob(entry.id)?.content().to_vec())),
        None => Ok(None),
    }
}

/// Puts `content` in the index as `rel_path`, keeping the entry's mode (or the file's, when new).
fn put(repo: &Repository, index: &mut git2::Index, rel_path: &str, content: &[u8]) -> Result<()> {
    let mode = match index.get_path(Path::new(rel_path), 0) {
        Some(entry) => entry.mode,
        None => mode_on_disk(repo, rel_path),
    };
    let mut entry = blank_entry(rel_path, mode);
    entry.id = repo.blob(content)?;
    entry.file_size = u32::try_from(content.len()).unwrap_or(u32::MAX);
    index.add(&entry)?;
    Ok(())
}

/// An index entry with no stat data, so git compares the working tree file by content.
fn blank_entry(rel_path: &str, mode: u32) -> IndexEntry {
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

fn mode_on_disk(repo: &Repository, rel_path: &str) -> u32 {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let root = repo.workdir().map(Path::to_path_buf).unwrap_or_default();
        if let Ok(meta) = std::fs::metadata(root.join(rel_path)) {
            if meta.permissions().mode() & 0o111 != 0 {
                return 0o100755;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = (repo, rel_path);
    0o100644
}
