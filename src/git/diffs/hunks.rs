//! The hunks of one file, unstaged (index→text) and staged (HEAD→index), for the hunk actions.

use std::path::Path;

use git2::{Blob, Patch, Repository};

use crate::git::convert;
use crate::git::error::{GitError, Result};
use crate::git::numstat::base_options;
use crate::git::repo::checked_rel_path;
use crate::hunk_range::HunkRange;

/// The blob of `rel_path` in HEAD's tree, if HEAD exists and holds the path.
pub(crate) fn head_blob<'r>(repo: &'r Repository, rel_path: &str) -> Result<Option<Blob<'r>>> {
    let Some(tree) = crate::git::refs::head_tree(repo)? else {
        return Ok(None);
    };
    let entry = match tree.get_path(Path::new(rel_path)) {
        Ok(entry) => entry,
        Err(_) => return Ok(None),
    };
    Ok(repo.find_blob(entry.id()).ok())
}

/// Which side of the index a hunk lives on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HunkSide {
    /// Index→buffer: a change not staged yet.
    Unstaged,
    /// HEAD→index: a staged change.
    Staged,
}

/// One hunk, with no context lines: a contiguous block of removed and added lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hunk {
    /// Which diff the hunk is of: staged (HEAD→index) or unstaged (index→working tree).
    pub kind: HunkSide,
    /// Its numbers, `@@ -a,b +c,d @@`.
    pub range: HunkRange,
    /// The removed lines, each with its line ending.
    pub removed: Vec<Vec<u8>>,
    /// The added lines, each with its line ending.
    pub added: Vec<Vec<u8>>,
}

impl Hunk {
    /// A hash of the numbers and every line, to tell whether a hunk is still the one offered.
    pub fn hash(&self) -> String {
        let mut hash = crate::git::fnv::Fnv::default();
        let h = self.range;
        hash.feed(
            format!(
                "{} {} {} {}",
                h.old_start, h.old_lines, h.new_start, h.new_lines
            )
            .as_bytes(),
        );
        feed_lines(&mut hash, &self.removed, &self.added);
        hash.hex()
    }

    /// The 0-based buffer lines the hunk covers on its new side (a deletion covers the line after it).
    pub fn new_line_span(&self) -> (u32, u32) {
        self.range.new_line_span()
    }
}

/// The hunks of a file, unstaged (index→`text`) and staged (HEAD→index). Binary files and
/// symlinks have none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileHunks {
    /// The index→working tree hunks (what "Stage hunk" offers).
    pub unstaged: Vec<Hunk>,
    /// The HEAD→index hunks (what "Unstage hunk" offers).
    pub staged: Vec<Hunk>,
    /// Whether git takes the file for binary (no hunks, only the whole file).
    pub binary: bool,
    /// Whether the path is in the index (an intent-to-add entry counts: `git add -N` tracks it).
    pub tracked: bool,
    /// Whether the working-tree path is a symlink: a link has no lines, only its link text.
    pub link: bool,
    /// The index and working-tree modes when they differ (`chmod +x` not staged yet).
    pub unstaged_mode: Option<(u32, u32)>,
    /// The HEAD and index modes when they differ (a staged mode change).
    pub staged_mode: Option<(u32, u32)>,
    /// Whether the working tree differs from the index in a way the hunks do not show (a link's
    /// text, a binary file's bytes, a mode, a deletion of an empty file).
    pub unstaged_other: bool,
}

/// Computes the hunks of `rel_path` given its current text (the buffer, or the disk when `None`).
///
/// The text is first converted as `git add` would convert it (line endings, `ident`), so the
/// hunks are those of `git diff` and staging them writes what `git add -p` would.
pub(crate) fn file_hunks(
    repo: &Repository,
    rel_path: &str,
    text: Option<&[u8]>,
) -> Result<FileHunks> {
    checked_rel_path(rel_path)?;
    crate::git::scratch::lend_index_for(repo, rel_path)?;
    let entry = crate::git::repo::index_entry(repo, rel_path)?;
    file_hunks_from(repo, rel_path, text, entry)
}

/// `file_hunks` with the path's index entry already read (`None`: untracked).
pub(crate) fn file_hunks_from(
    repo: &Repository,
    rel_path: &str,
    text: Option<&[u8]>,
    entry: Option<git2::IndexEntry>,
) -> Result<FileHunks> {
    checked_rel_path(rel_path)?;
    // An intent-to-add entry (`git add -N`) holds the empty blob and stands for "nothing staged".
    let intent_to_add = entry.as_ref().is_some_and(is_intent_to_add);
    let index_mode = entry.as_ref().map(|e| e.mode);
    let index = match &entry {
        Some(entry) => Some((repo.find_blob(entry.id)?.content().to_vec(), entry.mode)),
        None => None,
    };
    hunks_of_sides(Sides {
        index,
        intent_to_add,
        head: head_entry(repo, rel_path)?,
        worktree: convert::as_git_would_add(repo, rel_path, text, index_mode)?,
    })
}

/// The hunk among `hunks` an action was offered for (same numbers, same hash), or `Stale` with
/// `what` ("the hunk", "the staged hunk") when it changed since.
pub(crate) fn offered<'h>(
    hunks: &'h [Hunk],
    range: &HunkRange,
    hash: &str,
    what: &str,
) -> Result<&'h Hunk> {
    hunks
        .iter()
        .find(|h| h.range == *range && h.hash() == hash)
        .ok_or_else(|| GitError::Stale(format!("{what} changed since the action was offered")))
}

/// Feeds a hunk's lines into `hash`, each removed line after `-` and each added one after `+`:
/// the one hunk hash, shared by a hunk offered to an action (`Hunk::hash`) and the planner's
/// fingerprint of the work.
pub(crate) fn feed_lines(hash: &mut crate::git::fnv::Fnv, removed: &[Vec<u8>], added: &[Vec<u8>]) {
    for line in removed {
        hash.feed(b"-");
        hash.feed(line);
    }
    for line in added {
        hash.feed(b"+");
        hash.feed(line);
    }
}

/// The three versions of one file a `FileHunks` compares, however they were read.
pub(crate) struct Sides {
    /// The index's content and mode (`None`: untracked).
    pub index: Option<(Vec<u8>, u32)>,
    /// Whether the index entry is a `git add -N` one.
    pub intent_to_add: bool,
    /// HEAD's content and mode (`None`: not in HEAD).
    pub head: Option<(Vec<u8>, u32)>,
    /// What `git add` would write now (`None`: gone from the working tree).
    pub worktree: Option<convert::Addable>,
}

/// The hunks between the three versions of a file: pure, no repository.
pub(crate) fn hunks_of_sides(sides: Sides) -> Result<FileHunks> {
    let Sides {
        index,
        intent_to_add,
        head,
        worktree,
    } = sides;
    let index_mode = index.as_ref().map(|(_, mode)| *mode);
    let index_content = index.map(|(content, _)| content);
    let link = worktree
        .as_ref()
        .is_some_and(|w| w.mode == convert::MODE_LINK)
        || index_mode == Some(convert::MODE_LINK);
    let new_content = worktree
        .as_ref()
        .map(|w| w.content.as_slice())
        .unwrap_or(&[]);
    let (unstaged, unstaged_binary) = if link {
        (Vec::new(), false)
    } else {
        hunks_between(index_content.as_deref(), new_content, HunkSide::Unstaged)?
    };
    let (staged, staged_binary) = match &index_content {
        Some(_) if intent_to_add => (Vec::new(), false),
        Some(_) if index_mode == Some(convert::MODE_LINK) => (Vec::new(), false),
        Some(index_content) => {
            let head_content = head.as_ref().map(|(content, _)| content.as_slice());
            hunks_between(head_content, index_content, HunkSide::Staged)?
        }
        None => (Vec::new(), false),
    };
    let unstaged_mode = match (index_mode, &worktree) {
        (Some(old), Some(new)) if old != new.mode && !intent_to_add => Some((old, new.mode)),
        _ => None,
    };
    let staged_mode = match (&head, index_mode) {
        (Some((_, old)), Some(new)) if *old != new && !intent_to_add => Some((*old, new)),
        _ => None,
    };
    let unstaged_other = unstaged_mode.is_some()
        || match (&index_content, &worktree) {
            (Some(old), Some(new)) => {
                (link || unstaged_binary) && old.as_slice() != new.content.as_slice()
            }
            (None, Some(_)) => true,
            (Some(_), None) => unstaged.is_empty(),
            (None, None) => false,
        };
    Ok(FileHunks {
        binary: unstaged_binary || staged_binary,
        unstaged: if unstaged_binary {
            Vec::new()
        } else {
            unstaged
        },
        staged: if staged_binary { Vec::new() } else { staged },
        tracked: index_content.is_some(),
        link,
        unstaged_mode,
        staged_mode,
        unstaged_other,
    })
}

/// Whether an index entry was made by `git add -N` (intent to add): it is tracked, but nothing
/// of it is staged.
pub(crate) fn is_intent_to_add(entry: &git2::IndexEntry) -> bool {
    // GIT_INDEX_ENTRY_INTENT_TO_ADD, in the extended flags.
    const INTENT_TO_ADD: u16 = 1 << 13;
    entry.flags_extended & INTENT_TO_ADD != 0
}

/// The content and mode of `rel_path` in HEAD's tree, if HEAD exists and holds it.
fn head_entry(repo: &Repository, rel_path: &str) -> Result<Option<(Vec<u8>, u32)>> {
    let Some(tree) = crate::git::refs::head_tree(repo)? else {
        return Ok(None);
    };
    let Ok(entry) = tree.get_path(Path::new(rel_path)) else {
        return Ok(None);
    };
    let mode = u32::try_from(entry.filemode()).unwrap_or(0);
    Ok(repo
        .find_blob(entry.id())
        .ok()
        .map(|blob| (blob.content().to_vec(), mode)))
}

/// The content of `rel_path` in `index` (stage 0), if the index holds it.
pub(crate) fn index_content(
    repo: &Repository,
    index: &git2::Index,
    rel_path: &str,
) -> Result<Option<Vec<u8>>> {
    match index.get_path(Path::new(rel_path), 0) {
        Some(entry) => Ok(Some(repo.find_blob(entry.id)?.content().to_vec())),
        None => Ok(None),
    }
}

/// The zero-context hunks from `old` (nothing when `None`) to `new`, and whether git sees binary.
fn hunks_between(old: Option<&[u8]>, new: &[u8], kind: HunkSide) -> Result<(Vec<Hunk>, bool)> {
    let mut options = base_options();
    options.context_lines(0).interhunk_lines(0);
    let old = old.unwrap_or(&[]);
    let patch = Patch::from_buffers(old, None, new, None, Some(&mut options))?;
    if patch.delta().flags().is_binary() {
        return Ok((Vec::new(), true));
    }
    let mut hunks = Vec::new();
    for index in 0..patch.num_hunks() {
        let (header, _) = patch.hunk(index)?;
        let mut hunk = Hunk {
            kind,
            range: HunkRange {
                old_start: header.old_start(),
                old_lines: header.old_lines(),
                new_start: header.new_start(),
                new_lines: header.new_lines(),
            },
            removed: Vec::new(),
            added: Vec::new(),
        };
        for line_index in 0..patch.num_lines_in_hunk(index)? {
            let line = patch.line_in_hunk(index, line_index)?;
            match line.origin() {
                '-' => hunk.removed.push(line.content().to_vec()),
                '+' => hunk.added.push(line.content().to_vec()),
                _ => {}
            }
        }
        hunks.push(hunk);
    }
    Ok((hunks, false))
}

/// Splits text into lines, each keeping its `\n`.
fn split_lines(text: &[u8]) -> Vec<&[u8]> {
    text.split_inclusive(|b| *b == b'\n').collect()
}

/// The text `base` becomes when `removed` lines starting at 1-based `start` (count `count`) are
/// replaced by `added`. With `count == 0` the lines go after line `start`.
fn splice(base: &[u8], start: u32, count: u32, added: &[Vec<u8>]) -> Result<Vec<u8>> {
    let lines = split_lines(base);
    let at = insertion_point(start, count) as usize;
    let end = at + count as usize;
    if end > lines.len() {
        return Err(GitError::Stale(
            "the hunk no longer fits the file".to_string(),
        ));
    }
    let mut out = Vec::with_capacity(base.len());
    for line in &lines[..at] {
        out.extend_from_slice(line);
    }
    // A line before the insertion point that lacked its newline gains one, as git's apply does.
    if at > 0 && at == lines.len() && !out.ends_with(b"\n") && !added.is_empty() {
        out.push(b'\n');
    }
    for line in added {
        out.extend_from_slice(line);
    }
    for line in &lines[end..] {
        out.extend_from_slice(line);
    }
    Ok(out)
}

/// Which lines of a hunk to act on: all of them, or those in a 0-based buffer line range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineSelection {
    /// The whole hunk.
    All,
    /// Only the hunk's lines `first..=last` (0-based lines of the new side).
    Lines {
        /// The first line chosen.
        first: u32,
        /// The last line chosen.
        last: u32,
    },
}

/// Narrows an unstaged hunk to the buffer lines `first..=last`, as gitsigns does: the added lines
/// in the range, and the removed lines at the same offsets (all removed lines past the last added
/// one when the range reaches the hunk's end).
pub(crate) fn select_lines(hunk: &Hunk, selection: LineSelection) -> Hunk {
    let LineSelection::Lines { first, last } = selection else {
        return hunk.clone();
    };
    let (span_start, _) = hunk.new_line_span();
    let n_added = hunk.added.len();
    let n_removed = hunk.removed.len();
    let from = first.saturating_sub(span_start) as usize;
    let to = (last.saturating_sub(span_start) as usize)
        .saturating_add(1)
        .max(from);
    let added: Vec<Vec<u8>> = hunk.added.iter().take(to).skip(from).cloned().collect();
    let removed_to = if to >= n_added {
        n_removed
    } else {
        to.min(n_removed)
    };
    let removed: Vec<Vec<u8>> = hunk
        .removed
        .iter()
        .take(removed_to)
        .skip(from)
        .cloned()
        .collect();
    // The 0-based position in the old text where the narrowed change applies.
    let hunk_at = insertion_point(hunk.range.old_start, hunk.range.old_lines);
    let at = hunk_at + from.min(n_removed) as u32;
    let old_lines = removed.len() as u32;
    Hunk {
        kind: hunk.kind,
        range: HunkRange {
            old_start: if old_lines == 0 { at } else { at + 1 },
            old_lines,
            new_start: hunk.range.new_start + from.min(n_added) as u32,
            new_lines: added.len() as u32,
        },
        removed,
        added,
    }
}

/// The 0-based position of a hunk side: its first line, or the line it is inserted after.
fn insertion_point(start: u32, count: u32) -> u32 {
    if count == 0 {
        start
    } else {
        start.saturating_sub(1)
    }
}

/// The index content of a file after staging `hunk` (computed from the index's current content).
pub(crate) fn staged_content(index_content: &[u8], hunk: &Hunk) -> Result<Vec<u8>> {
    check_old_side(
        index_content,
        hunk.range.old_start,
        hunk.range.old_lines,
        &hunk.removed,
    )?;
    splice(
        index_content,
        hunk.range.old_start,
        hunk.range.old_lines,
        &hunk.added,
    )
}

/// The index content of a file after unstaging a staged `hunk`: its HEAD lines put back.
pub(crate) fn unstaged_content(index_content: &[u8], hunk: &Hunk) -> Result<Vec<u8>> {
    check_old_side(
        index_content,
        hunk.range.new_start,
        hunk.range.new_lines,
        &hunk.added,
    )?;
    splice(
        index_content,
        hunk.range.new_start,
        hunk.range.new_lines,
        &hunk.removed,
    )
}

/// Refuses when the lines a hunk replaces are not where it says (the index moved meanwhile).
fn check_old_side(content: &[u8], start: u32, count: u32, expected: &[Vec<u8>]) -> Result<()> {
    if count == 0 {
        return Ok(());
    }
    let lines = split_lines(content);
    let at = (start as usize).saturating_sub(1);
    let actual = lines.get(at..at + count as usize);
    let matches = actual.is_some_and(|actual| {
        actual.len() == expected.len()
            && actual.iter().zip(expected).all(|(a, e)| a == &e.as_slice())
    });
    if matches {
        Ok(())
    } else {
        Err(GitError::Stale(
            "the index changed since the hunk was computed".to_string(),
        ))
    }
}
