//! Git's index file (`.git/index`), read by us: its entries in a compact form, and its cache-tree.
//!
//! libgit2 reads the index into a hash map of every entry and checks the file's SHA-1 first; at a
//! million files that is most of a count's memory and a third of its time. Reading the file
//! ourselves, as git does (git checks the checksum only in `fsck`), costs a pass over the bytes:
//! entries are kept as fixed-size records with their paths in one buffer, and the file is read
//! through a small buffer, never held whole.
//!
//! Versions 2, 3 and 4 (path prefix compression) are read, and the two kinds libgit2 cannot
//! read: a split index (`link`, merged with its shared index as it is read: `split`) and a
//! sparse index (`sdir`), whose sparse directory entries (mode 040000, path ending in `/`) are
//! kept as they are, one entry for a whole directory outside the sparse-checkout cone. Those two
//! kinds are also written here (`write`), since libgit2 would write neither.

use std::path::Path;

mod ewah;
mod split;
mod stream;
mod write;
pub(crate) use split::may_be_split;
pub use stream::{entry_at, stream, FileId, Link};
pub(crate) use write::encode_like;

/// Why an index file was not read.
#[derive(Debug, thiserror::Error)]
pub enum IndexFileError {
    /// The file could not be read.
    #[error("could not read the index: {0}")]
    Io(#[from] std::io::Error),
    /// The file is not an index git writes.
    #[error("the index file is malformed: {0}")]
    Malformed(&'static str),
    /// A form of the index this reader does not read.
    #[error("the index uses a form not read here: {0}")]
    Unsupported(&'static str),
}

pub(crate) type Result<T> = std::result::Result<T, IndexFileError>;

/// Flag bits of an entry (`flags`): assume-valid, extended, the stage.
pub const FLAG_ASSUME_VALID: u16 = 0x8000;
pub(crate) const FLAG_EXTENDED: u16 = 0x4000;
/// The flags' stage bits (0 for a merged entry, 1–3 for a conflict's sides).
pub const STAGE_MASK: u16 = 0x3000;
/// Extended flag bits (`flags_extended`): skip-worktree, intent-to-add.
pub const EXT_SKIP_WORKTREE: u16 = 1 << 14;
/// The extended flag of an intent-to-add entry (`git add -N`).
pub const EXT_INTENT_TO_ADD: u16 = 1 << 13;
/// The extended flags git writes (the others are in-memory marks).
pub(crate) const EXTENDED_FLAGS: u16 = EXT_SKIP_WORKTREE | EXT_INTENT_TO_ADD;
/// The mode of a sparse directory entry.
pub const MODE_SPARSE_DIR: u32 = 0o040000;

/// One index entry, as stored (stat data truncated to 32 bits, as git stores it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// The file's change time (seconds, nanoseconds), as the index keeps it.
    pub ctime: (u32, u32),
    /// The file's modification time (seconds, nanoseconds).
    pub mtime: (u32, u32),
    /// The device, inode, mode, owner and size of the file when it was staged (the low 32 bits).
    pub dev: u32,
    /// See `dev`.
    pub ino: u32,
    /// The entry's mode (100644, 100755, 120000, 160000, or 040000 for a sparse directory).
    pub mode: u32,
    /// See `dev`.
    pub uid: u32,
    /// See `dev`.
    pub gid: u32,
    /// See `dev`.
    pub size: u32,
    /// The blob's (or sparse directory's tree's) id.
    pub oid: [u8; 20],
    /// The flags: stage, assume-valid, extended, and the path's length.
    pub flags: u16,
    /// The extended flags (skip-worktree, intent-to-add), version 3 and later.
    pub flags_extended: u16,
    /// Where the path sits in `IndexFile::paths`.
    pub(crate) path_at: u32,
    pub(crate) path_len: u32,
}

impl Entry {
    /// The entry's stage (0, or 1–3 in a conflict).
    pub fn stage(&self) -> u16 {
        (self.flags & STAGE_MASK) >> 12
    }

    /// A sparse index's entry for a whole directory outside the cone (its id is the tree's).
    pub fn is_sparse_dir(&self) -> bool {
        self.mode == MODE_SPARSE_DIR
    }
}

/// The cache-tree (the `TREE` extension): for each directory, the tree id git would write for it
/// while still valid, and how many index entries lie below it. Kept flat, in git's pre-order.
#[derive(Debug, Clone, Default)]
pub struct CacheTree {
    nodes: Vec<TreeNode>,
}

#[derive(Debug, Clone)]
struct TreeNode {
    name: Vec<u8>,
    valid: Option<(usize, [u8; 20])>,
    /// This node and all below it: the next sibling sits this many nodes further on.
    span: usize,
}

/// A directory of the cache-tree.
#[derive(Debug, Clone, Copy)]
pub struct CacheNode<'t> {
    tree: &'t CacheTree,
    at: usize,
}

impl CacheTree {
    /// The root directory's node.
    pub fn root(&self) -> Option<CacheNode<'_>> {
        (!self.nodes.is_empty()).then_some(CacheNode { tree: self, at: 0 })
    }

    /// Marks every directory holding `path` as no longer valid, as git does when it changes an
    /// entry (`cache_tree_invalidate_path`); the others keep their ids.
    pub(crate) fn invalidate(&mut self, path: &[u8]) {
        let mut at = 0;
        let mut rest = path;
        while at < self.nodes.len() {
            self.nodes[at].valid = None;
            let Some(slash) = rest.iter().position(|b| *b == b'/') else {
                return;
            };
            let Some(child) = (CacheNode { tree: self, at }).child(&rest[..slash]) else {
                return;
            };
            at = child.at;
            rest = &rest[slash + 1..];
        }
    }

    /// The `TREE` extension's bytes (see `parse_cache_tree`).
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for (at, node) in self.nodes.iter().enumerate() {
            let mut children = 0;
            let mut child = at + 1;
            while child < at + node.span {
                children += 1;
                child += self.nodes[child].span.max(1);
            }
            out.extend_from_slice(&node.name);
            out.push(0);
            let count = node.valid.map_or(-1, |(count, _)| count as i64);
            out.extend_from_slice(format!("{count} {children}\n").as_bytes());
            if let Some((_, id)) = node.valid {
                out.extend_from_slice(&id);
            }
        }
        out
    }
}

impl<'t> CacheNode<'t> {
    /// The number of entries below and the tree id, when valid.
    pub fn valid(&self) -> Option<(usize, [u8; 20])> {
        self.tree.nodes[self.at].valid
    }

    /// The subdirectory `name`, if the cache-tree has it.
    pub fn child(&self, name: &[u8]) -> Option<CacheNode<'t>> {
        let nodes = &self.tree.nodes;
        let end = self.at + nodes[self.at].span;
        let mut at = self.at + 1;
        while at < end {
            if nodes[at].name == name {
                return Some(CacheNode {
                    tree: self.tree,
                    at,
                });
            }
            at += nodes[at].span.max(1);
        }
        None
    }
}

/// An index file read whole: its entries in file order (sorted by path, then stage).
#[derive(Debug, Default)]
pub struct IndexFile {
    /// The index file's version (2, 3 or 4).
    pub version: u32,
    /// The entries, in file order.
    pub entries: Vec<Entry>,
    paths: Vec<u8>,
    /// The cache-tree (the `TREE` extension), when the index has one.
    pub cache_tree: Option<CacheTree>,
    /// The index file's own modification time: an entry whose file changed in that same moment
    /// may match its stat data and still differ (git's "racy" entries).
    pub file_mtime: (i64, u32),
    /// Some entry is a conflict, is kept out of the working tree, or is only an intent to add.
    pub conflicts: bool,
    /// Some entry is kept out of the working tree (skip-worktree).
    pub skip_worktree: bool,
    /// Some entry is an intent to add.
    pub intent_to_add: bool,
    /// Where each entry starts in the file (files over 4 GiB and split indexes keep none), and
    /// which file it was.
    pub offsets: Vec<u32>,
    /// Which file was read (length, time, inode).
    pub file: FileId,
    /// A sparse index: some entries are sparse directories.
    pub sparse: bool,
    /// A split index: its entries are merged with this shared index's.
    pub link: Option<Link>,
    /// The resolve-undo extension (`REUC`), kept as written.
    pub resolve_undo: Option<Vec<u8>>,
}

/// The stage-0 entry of `path` in the index file at `index_path`, read up to it and no further.
pub fn find_entry(index_path: &Path, path: &[u8]) -> Result<Option<Entry>> {
    let paths = std::collections::BTreeSet::from([path]);
    Ok(find_entries(index_path, &paths)?
        .pop()
        .map(|(entry, _)| entry))
}

/// The stage-0 entries of `paths` in the index file at `index_path` (with their paths), read up
/// to the last of them and no further.
pub fn find_entries(
    index_path: &Path,
    paths: &std::collections::BTreeSet<&[u8]>,
) -> Result<Vec<(Entry, Vec<u8>)>> {
    let mut found = Vec::new();
    let Some(&last) = paths.last() else {
        return Ok(found);
    };
    stream(index_path, |entry, path, _| {
        if entry.stage() == 0 && paths.contains(path) {
            found.push((*entry, path.to_vec()));
        }
        path <= last
    })?;
    Ok(found)
}

/// libgit2's entry in our form (its path kept apart).
pub fn from_git2(entry: &git2::IndexEntry) -> Entry {
    let mut oid = [0u8; 20];
    let id = entry.id.as_bytes();
    oid[..id.len().min(20)].copy_from_slice(&id[..id.len().min(20)]);
    Entry {
        ctime: (entry.ctime.seconds() as u32, entry.ctime.nanoseconds()),
        mtime: (entry.mtime.seconds() as u32, entry.mtime.nanoseconds()),
        dev: entry.dev,
        ino: entry.ino,
        mode: entry.mode,
        uid: entry.uid,
        gid: entry.gid,
        size: entry.file_size,
        oid,
        flags: entry.flags,
        flags_extended: entry.flags_extended,
        path_at: 0,
        path_len: 0,
    }
}

/// `entry` as libgit2 takes it, with its path.
pub fn to_git2(entry: &Entry, path: &[u8]) -> git2::IndexEntry {
    let name_len = path.len().min(0xFFF) as u16;
    git2::IndexEntry {
        ctime: git2::IndexTime::new(entry.ctime.0 as i32, entry.ctime.1),
        mtime: git2::IndexTime::new(entry.mtime.0 as i32, entry.mtime.1),
        dev: entry.dev,
        ino: entry.ino,
        mode: entry.mode,
        uid: entry.uid,
        gid: entry.gid,
        file_size: entry.size,
        id: git2::Oid::from_bytes(&entry.oid).unwrap_or(git2::Oid::ZERO_SHA1),
        flags: (entry.flags & !0xFFF & !FLAG_EXTENDED) | name_len,
        flags_extended: entry.flags_extended,
        path: path.to_vec(),
    }
}

impl IndexFile {
    /// Reads the index file at `path`; an absent file is an empty index.
    pub fn read(path: &Path) -> Result<IndexFile> {
        let mut index = IndexFile::default();
        let mut paths_overflow = false;
        let end = stream::stream(path, |entry, path, offset| {
            index.conflicts |= entry.flags & STAGE_MASK != 0;
            index.skip_worktree |= entry.flags_extended & EXT_SKIP_WORKTREE != 0;
            index.intent_to_add |= entry.flags_extended & EXT_INTENT_TO_ADD != 0;
            let Ok(path_at) = u32::try_from(index.paths.len()) else {
                paths_overflow = true;
                return false;
            };
            index.paths.extend_from_slice(path);
            if let Ok(offset) = u32::try_from(offset) {
                index.offsets.push(offset);
            }
            index.entries.push(Entry {
                path_at,
                path_len: path.len() as u32,
                ..*entry
            });
            true
        })?;
        if paths_overflow {
            return Err(IndexFileError::Unsupported(
                "paths longer than 4 GiB in all",
            ));
        }
        index.version = end.version;
        index.file_mtime = (end.file.mtime.0, end.file.mtime.1);
        index.file = end.file;
        if index.offsets.len() != index.entries.len() {
            index.offsets.clear();
        }
        index.cache_tree = end.cache_tree;
        index.sparse = end.sparse;
        index.link = end.link;
        index.resolve_undo = end.resolve_undo;
        Ok(index)
    }

    /// The sparse directory entry holding `path`, if `path` lies below one (only the reader's
    /// tests ask it now: the scan and the writes walk the entries themselves).
    #[cfg(test)]
    pub fn sparse_dir_holding(&self, path: &[u8]) -> Option<&Entry> {
        if !self.sparse {
            return None;
        }
        // Nothing lies below a sparse directory, so it is the last entry not after `path`.
        let at = self.entries.partition_point(|e| self.path(e) <= path);
        let entry = self.entries.get(at.checked_sub(1)?)?;
        (entry.is_sparse_dir() && path.starts_with(self.path(entry))).then_some(entry)
    }

    /// The path of `entry` (relative to the worktree root, `/`-separated).
    pub fn path(&self, entry: &Entry) -> &[u8] {
        &self.paths[entry.path_at as usize..(entry.path_at + entry.path_len) as usize]
    }

    /// The range of entries whose paths lie below the directory `dir` (`""` is the root; else
    /// given with its trailing `/`; only the reader's tests ask it now).
    #[cfg(test)]
    pub fn range_below(&self, dir: &[u8]) -> std::ops::Range<usize> {
        let start = self.entries.partition_point(|e| self.path(e) < dir);
        let end = start + self.entries[start..].partition_point(|e| self.path(e).starts_with(dir));
        start..end
    }

    /// The entry at stage 0 for `path`, if tracked.
    pub fn find(&self, path: &[u8]) -> Option<&Entry> {
        self.position(path).map(|at| &self.entries[at])
    }

    /// Where the entry at stage 0 for `path` sits in `entries`, if tracked.
    pub fn position(&self, path: &[u8]) -> Option<usize> {
        let at = self.entries.partition_point(|e| self.path(e) < path);
        self.entries
            .get(at)
            .is_some_and(|e| self.path(e) == path && e.stage() == 0)
            .then_some(at)
    }

    /// The entry as libgit2 takes it, to build a small in-memory index of some paths.
    pub fn git2_entry(&self, entry: &Entry) -> git2::IndexEntry {
        to_git2(entry, self.path(entry))
    }
}

/// The `TREE` extension: nodes in pre-order, each `name NUL count SP subtrees LF [id]`.
pub(crate) fn parse_cache_tree(data: &[u8]) -> Result<CacheTree> {
    let bad = || IndexFileError::Malformed("a cache-tree entry");
    let mut nodes: Vec<TreeNode> = Vec::new();
    // The nodes still waiting for children, with how many they still wait for.
    let mut open: Vec<(usize, usize)> = Vec::new();
    let mut at = 0usize;
    loop {
        let rest = data.get(at..).ok_or_else(bad)?;
        let nul = rest.iter().position(|b| *b == 0).ok_or_else(bad)?;
        let after = &rest[nul + 1..];
        let lf = after.iter().position(|b| *b == b'\n').ok_or_else(bad)?;
        let numbers = std::str::from_utf8(&after[..lf]).map_err(|_| bad())?;
        let (count, subtrees) = numbers.split_once(' ').ok_or_else(bad)?;
        let count: i64 = count.parse().map_err(|_| bad())?;
        let subtrees: usize = subtrees.parse().map_err(|_| bad())?;
        let name = rest[..nul].to_vec();
        at += nul + 1 + lf + 1;
        let valid = if count >= 0 {
            let id: [u8; 20] = data
                .get(at..at + 20)
                .and_then(|s| s.try_into().ok())
                .ok_or_else(bad)?;
            at += 20;
            Some((count as usize, id))
        } else {
            None
        };
        nodes.push(TreeNode {
            name,
            valid,
            span: 1,
        });
        open.push((nodes.len() - 1, subtrees));
        // Close every node whose children are all read.
        while let Some(&(node, 0)) = open.last() {
            open.pop();
            nodes[node].span = nodes.len() - node;
            match open.last_mut() {
                Some((_, waiting)) => *waiting -= 1,
                None => return Ok(CacheTree { nodes }),
            }
        }
    }
}

#[cfg(test)]
mod tests;
