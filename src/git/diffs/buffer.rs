//! An open buffer against HEAD and the index, computed on every keystroke without opening the
//! repository: the HEAD and index versions of the file are read once (`BufferBase`) and kept
//! until the index or HEAD changes.

use std::path::Path;

use git2::Repository;

use crate::git::error::Result;
use crate::git::hunks::head_blob;
use crate::git::repo::checked_rel_path;
use crate::git::FileDelta;

/// An open buffer's text compared with HEAD, the index and the disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BufferDiff {
    /// Whether the path is in the index.
    pub tracked: bool,
    /// Whether git ignores the path.
    pub ignored: bool,
    /// The buffer against HEAD (`None` when they are equal).
    pub vs_head: Option<FileDelta>,
    /// The buffer against the index (`None` when they are equal).
    pub vs_index: Option<FileDelta>,
    /// Whether the buffer's bytes differ from the file on disk.
    pub differs_from_disk: bool,
}

/// What a buffer is compared with: the file's HEAD and index versions, and its standing in git.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BufferBase {
    /// HEAD's version of the path (`None`: HEAD lacks it, or no commit yet).
    pub head: Option<Vec<u8>>,
    /// The index's version of the path (`None`: not in the index).
    pub index: Option<Vec<u8>>,
    /// Whether the path is in the index.
    pub tracked: bool,
    /// Whether git ignores the path (untracked and ignored).
    pub ignored: bool,
    /// Whether `git add` converts this path's bytes (line endings, `ident`): then a buffer must
    /// go through `convert::to_git` before it is compared with HEAD or the index.
    pub converts: bool,
    /// Whether the path is a symlink on disk: a buffer shown through it is its target's text,
    /// which never stands for the link.
    pub link: bool,
    /// The index entries of this path and of the attributes files that may apply to it: what a
    /// repository handle needs to convert the buffer (`scratch::scratch_of`) without loading the
    /// whole index.
    pub(crate) entries: Vec<crate::git::scratch::KeptEntry>,
    /// Where git itself read the attributes (SHA-256): the conversion, applied without libgit2.
    pub(crate) rule: Option<crate::git::convert::TextRule>,
}

/// Reads the HEAD and index versions of `rel_path`.
pub(crate) fn buffer_base(repo: &Repository, rel_path: &str) -> Result<BufferBase> {
    checked_rel_path(rel_path)?;
    // The index as it is on disk now: this path's entry and the attributes files' entries, on a
    // handle of our own (an attribute lookup would otherwise load every entry of the index).
    let entries = crate::git::scratch::entries_for_path(repo, rel_path)?;
    let root = repo.workdir().unwrap_or(repo.path());
    let scratch = crate::git::scratch::scratch_of(root, &entries)?;
    let repo = &scratch.repo;
    let own = entries
        .iter()
        .find(|(_, path)| path.as_slice() == rel_path.as_bytes());
    let index_content = match own {
        Some((entry, _)) => {
            let id = git2::Oid::from_bytes(&entry.oid)?;
            Some(repo.find_blob(id)?.content().to_vec())
        }
        None => None,
    };
    let head = head_blob(repo, rel_path)?.map(|b| b.content().to_vec());
    let tracked = index_content.is_some();
    let ignored = !tracked
        && repo
            .status_should_ignore(Path::new(rel_path))
            .unwrap_or(false);
    let link = repo.workdir().is_some_and(|root| {
        std::fs::symlink_metadata(root.join(rel_path)).is_ok_and(|m| m.file_type().is_symlink())
    });
    Ok(BufferBase {
        head,
        index: index_content,
        tracked,
        ignored,
        converts: crate::git::convert::converts(repo, rel_path)?,
        link,
        entries,
        rule: None,
    })
}

/// Compares `text`, the unsaved content of `rel_path`, with its base and with the disk.
///
/// `converted` is `text` as `git add` would store it, required when `base.converts` (see
/// `convert::to_git`); the comparison with the disk is of the bytes as they are.
pub(crate) fn diff_from_base(
    base: &BufferBase,
    root: &Path,
    rel_path: &str,
    text: &[u8],
    converted: Option<&[u8]>,
) -> Result<BufferDiff> {
    // A symlink is counted from the disk: the buffer shows its target, not the link.
    let differs_from_disk = !base.link
        && match std::fs::read(root.join(rel_path)) {
            Ok(disk) => disk != text,
            Err(_) => true,
        };
    let as_git = converted.unwrap_or(text);
    Ok(BufferDiff {
        tracked: base.tracked,
        ignored: base.ignored,
        vs_head: delta_of(base.head.as_deref(), rel_path, as_git)?,
        vs_index: delta_of(base.index.as_deref(), rel_path, as_git)?,
        differs_from_disk,
    })
}

/// One `--numstat` row for `old` (or nothing) against `text`; `None` when they are equal.
fn delta_of(old: Option<&[u8]>, rel_path: &str, text: &[u8]) -> Result<Option<FileDelta>> {
    if old == Some(text) {
        return Ok(None);
    }
    crate::git::numstat::row_of_buffers(rel_path, old.unwrap_or(&[]), text).map(Some)
}
