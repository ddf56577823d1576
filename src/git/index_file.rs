//! Git's index file (`.git/index`), read by us: its entries in a compact form, and its cache-tree.
//!
//! libgit2 reads the index into a hash map of every entry and checks the file's SHA-1 first; at a
//! million files that is most of a count's memory and a third of its time. Reading the file
//! ourselves, as git does (git checks the checksum only in `fsck`), costs a pass over the bytes:
//! entries are kept as fixed-size records with their paths in one buffer, and the file is read
//! through a small buffer, never held whole.
//!
//! Versions 2, 3 and 4 (path prefix compression) are read. A split index (`link`) or a sparse
//! index (`sdir`) is refused with `Unsupported`: their entries live partly elsewhere, so the
//! callers count those repositories the other way.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

/// Why an index file was not read.
#[derive(Debug, thiserror::Error)]
pub enum IndexFileError {
    #[error("could not read the index: {0}")]
    Io(#[from] std::io::Error),
    #[error("the index file is malformed: {0}")]
    Malformed(&'static str),
    #[error("the index uses a form not read here: {0}")]
    Unsupported(&'static str),
}

type Result<T> = std::result::Result<T, IndexFileError>;

/// Flag bits of an entry (`flags`): assume-valid, extended, the stage.
pub const FLAG_ASSUME_VALID: u16 = 0x8000;
const FLAG_EXTENDED: u16 = 0x4000;
pub const STAGE_MASK: u16 = 0x3000;
/// Extended flag bits (`flags_extended`): skip-worktree, intent-to-add.
pub const EXT_SKIP_WORKTREE: u16 = 1 << 14;
pub const EXT_INTENT_TO_ADD: u16 = 1 << 13;

/// One index entry, as stored (stat data truncated to 32 bits, as git stores it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub ctime: (u32, u32),
    pub mtime: (u32, u32),
    pub dev: u32,
    pub ino: u32,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub size: u32,
    pub oid: [u8; 20],
    pub flags: u16,
    pub flags_extended: u16,
    /// Where the path sits in `IndexFile::paths`.
    path_at: u32,
    path_len: u32,
}

impl Entry {
    pub fn stage(&self) -> u16 {
        (self.flags & STAGE_MASK) >> 12
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
    pub version: u32,
    pub entries: Vec<Entry>,
    paths: Vec<u8>,
    pub cache_tree: Option<CacheTree>,
    /// The index file's own modification time: an entry whose file changed in that same moment
    /// may match its stat data and still differ (git's "racy" entries).
    pub file_mtime: (i64, u32),
    /// Some entry is a conflict, is kept out of the working tree, or is only an intent to add.
    pub conflicts: bool,
    pub skip_worktree: bool,
    pub intent_to_add: bool,
}

impl IndexFile {
    /// Reads the index file at `path`; an absent file is an empty index.
    pub fn read(path: &Path) -> Result<IndexFile> {
        let file = match std::fs::File::open(path) {
            Ok(file) => file,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Ok(IndexFile {
                    version: 2,
                    ..IndexFile::default()
                })
            }
            Err(error) => return Err(error.into()),
        };
        let meta = file.metadata()?;
        let file_mtime = {
            use std::os::unix::fs::MetadataExt;
            (meta.mtime(), u32::try_from(meta.mtime_nsec()).unwrap_or(0))
        };
        let mut index = IndexFile {
            file_mtime,
            ..IndexFile::default()
        };
        let mut reader = Reader::new(BufReader::with_capacity(256 * 1024, file));
        let (version, count) = reader.header()?;
        index.version = version;
        index.entries.reserve(count);
        let mut path: Vec<u8> = Vec::new();
        for _ in 0..count {
            let entry = reader.entry(version, &mut path)?;
            index.conflicts |= entry.flags & STAGE_MASK != 0;
            index.skip_worktree |= entry.flags_extended & EXT_SKIP_WORKTREE != 0;
            index.intent_to_add |= entry.flags_extended & EXT_INTENT_TO_ADD != 0;
            let path_at = u32::try_from(index.paths.len())
                .map_err(|_| IndexFileError::Unsupported("paths longer than 4 GiB in all"))?;
            index.paths.extend_from_slice(&path);
            index.entries.push(Entry {
                path_at,
                path_len: path.len() as u32,
                ..entry
            });
        }
        index.cache_tree = reader.extensions()?;
        Ok(index)
    }

    /// The path of `entry` (relative to the worktree root, `/`-separated).
    pub fn path(&self, entry: &Entry) -> &[u8] {
        &self.paths[entry.path_at as usize..(entry.path_at + entry.path_len) as usize]
    }

    /// The range of entries whose paths lie below the directory `dir` (`""` is the root; else
    /// given with its trailing `/`).
    pub fn range_below(&self, dir: &[u8]) -> std::ops::Range<usize> {
        let start = self.entries.partition_point(|e| self.path(e) < dir);
        let end = start + self.entries[start..].partition_point(|e| self.path(e).starts_with(dir));
        start..end
    }

    /// The entry at stage 0 for `path`, if tracked.
    pub fn find(&self, path: &[u8]) -> Option<&Entry> {
        let at = self.entries.partition_point(|e| self.path(e) < path);
        self.entries
            .get(at)
            .filter(|e| self.path(e) == path && e.stage() == 0)
    }

    /// The entry as libgit2 takes it, to build a small in-memory index of some paths.
    pub fn git2_entry(&self, entry: &Entry) -> git2::IndexEntry {
        let path = self.path(entry).to_vec();
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
            path,
        }
    }
}

/// The index file's bytes, read in order.
struct Reader<R> {
    inner: R,
    /// Bytes consumed so far (for version 2 and 3 padding, which counts from the entry's start).
    at: u64,
}

impl<R: BufRead> Reader<R> {
    fn new(inner: R) -> Reader<R> {
        Reader { inner, at: 0 }
    }

    fn bytes<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut buf = [0u8; N];
        self.inner.read_exact(&mut buf).map_err(truncated)?;
        self.at += N as u64;
        Ok(buf)
    }

    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_be_bytes(self.bytes::<4>()?))
    }

    fn u16(&mut self) -> Result<u16> {
        Ok(u16::from_be_bytes(self.bytes::<2>()?))
    }

    fn byte(&mut self) -> Result<u8> {
        Ok(self.bytes::<1>()?[0])
    }

    fn header(&mut self) -> Result<(u32, usize)> {
        if &self.bytes::<4>()? != b"DIRC" {
            return Err(IndexFileError::Malformed("no DIRC signature"));
        }
        let version = self.u32()?;
        if !(2..=4).contains(&version) {
            return Err(IndexFileError::Unsupported(
                "an index version other than 2, 3 or 4",
            ));
        }
        let count = self.u32()? as usize;
        Ok((version, count))
    }

    /// One entry; `path` holds the previous entry's path (version 4 compresses against it) and
    /// is left holding this one's.
    fn entry(&mut self, version: u32, path: &mut Vec<u8>) -> Result<Entry> {
        let start = self.at;
        let head = self.bytes::<62>()?;
        let word =
            |at: usize| u32::from_be_bytes([head[at], head[at + 1], head[at + 2], head[at + 3]]);
        let ctime = (word(0), word(4));
        let mtime = (word(8), word(12));
        let (dev, ino, mode, uid, gid, size) =
            (word(16), word(20), word(24), word(28), word(32), word(36));
        let mut oid = [0u8; 20];
        oid.copy_from_slice(&head[40..60]);
        let flags = u16::from_be_bytes([head[60], head[61]]);
        let flags_extended = if flags & FLAG_EXTENDED != 0 {
            if version < 3 {
                return Err(IndexFileError::Malformed(
                    "extended flags in a version 2 index",
                ));
            }
            self.u16()?
        } else {
            0
        };
        if version == 4 {
            // The number of bytes to drop from the previous path, then the rest, NUL-ended.
            let strip = self.varint()?;
            let keep = path
                .len()
                .checked_sub(strip)
                .ok_or(IndexFileError::Malformed(
                    "a path prefix longer than the previous path",
                ))?;
            path.truncate(keep);
            self.until_nul(path)?;
        } else {
            path.clear();
            self.until_nul(path)?;
            // Entries are padded with 1 to 8 NULs to a multiple of 8 bytes; one NUL was read.
            let length = self.at - start;
            let padded = (self.at - 1 - start + 8) & !7;
            for _ in length..padded {
                self.byte()?;
            }
        }
        Ok(Entry {
            ctime,
            mtime,
            dev,
            ino,
            mode,
            uid,
            gid,
            size,
            oid,
            flags,
            flags_extended,
            path_at: 0,
            path_len: 0,
        })
    }

    fn until_nul(&mut self, out: &mut Vec<u8>) -> Result<()> {
        let read = self.inner.read_until(0, out)?;
        self.at += read as u64;
        match out.pop() {
            Some(0) => Ok(()),
            _ => Err(IndexFileError::Malformed("the file ends inside a path")),
        }
    }

    /// Git's offset encoding (version 4 prefix lengths).
    fn varint(&mut self) -> Result<usize> {
        let mut byte = self.byte()?;
        let mut value = usize::from(byte & 0x7F);
        while byte & 0x80 != 0 {
            byte = self.byte()?;
            value = value
                .checked_add(1)
                .and_then(|v| v.checked_mul(128))
                .map(|v| v + usize::from(byte & 0x7F))
                .ok_or(IndexFileError::Malformed("a prefix length out of range"))?;
        }
        Ok(value)
    }

    /// The extensions after the entries: the cache-tree is kept; a split or sparse index is
    /// refused; the others are skipped. The trailing checksum is not checked (git checks it only
    /// in `fsck`).
    fn extensions(&mut self) -> Result<Option<CacheTree>> {
        let mut cache_tree = None;
        loop {
            // Either an extension (4-byte signature, 4-byte size) or the 20-byte checksum.
            let mut head = [0u8; 8];
            let got = read_up_to(&mut self.inner, &mut head)?;
            if got < 8 {
                return Ok(cache_tree);
            }
            let signature = &head[..4];
            let size = u32::from_be_bytes([head[4], head[5], head[6], head[7]]) as usize;
            match signature {
                b"link" => return Err(IndexFileError::Unsupported("a split index")),
                b"sdir" => return Err(IndexFileError::Unsupported("a sparse index")),
                b"TREE" => {
                    let mut data = vec![0u8; size];
                    self.inner.read_exact(&mut data).map_err(truncated)?;
                    cache_tree = Some(parse_cache_tree(&data)?);
                }
                _ if signature[0].is_ascii_uppercase() => {
                    // An optional extension: skipped.
                    std::io::copy(
                        &mut (&mut self.inner).take(size as u64),
                        &mut std::io::sink(),
                    )?;
                }
                _ if signature.iter().all(|b| b.is_ascii_lowercase()) => {
                    return Err(IndexFileError::Unsupported("a required extension"))
                }
                // Not an extension: the checksum's first bytes.
                _ => return Ok(cache_tree),
            }
        }
    }
}

/// Reads as many bytes as are there, up to `buf`'s length.
fn read_up_to(reader: &mut impl Read, buf: &mut [u8]) -> Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match reader.read(&mut buf[got..])? {
            0 => break,
            n => got += n,
        }
    }
    Ok(got)
}

fn truncated(error: std::io::Error) -> IndexFileError {
    if error.kind() == std::io::ErrorKind::UnexpectedEof {
        IndexFileError::Malformed("the file ends inside an entry")
    } else {
        IndexFileError::Io(error)
    }
}

/// The `TREE` extension: nodes in pre-order, each `name NUL count SP subtrees LF [id]`.
fn parse_cache_tree(data: &[u8]) -> Result<CacheTree> {
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
mod tests {
    use super::*;

    fn git(dir: &Path, args: &[&str]) {
        let out = std::process::Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", dir)
            .output()
            .expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Every entry as libgit2 reads it equals ours, for each index version, with a cache-tree
    /// that is valid where git left it valid.
    #[test]
    fn entries_equal_libgit2s_in_every_version() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        git(root, &["init", "-q"]);
        let names = [
            "a.b",
            "a-b",
            "a0",
            "a/b",
            "a/c/d.txt",
            "deep/er/and/deeper/file",
            "ü nicode.txt",
            &format!("{}/f", "l".repeat(200)),
            &format!("{}f", "m/".repeat(900)),
        ];
        for name in names {
            let path = root.join(name);
            if path.exists() {
                continue;
            }
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, format!("{name}\n")).unwrap();
        }
        git(root, &["add", "."]);
        git(
            root,
            &[
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@t",
                "commit",
                "-qm",
                "seed",
            ],
        );
        std::fs::write(root.join("deep/er/new"), "new\n").unwrap();
        git(root, &["add", "-N", "deep/er/new"]);
        for version in ["2", "3", "4"] {
            git(root, &["update-index", "--index-version", version]);
            let ours = IndexFile::read(&root.join(".git/index")).expect("read");
            // An intent-to-add entry has extended flags, which need version 3 at least.
            let expected = if version == "2" { "3" } else { version };
            assert_eq!(ours.version.to_string(), expected);
            let repo = git2::Repository::open(root).unwrap();
            let theirs = repo.index().unwrap();
            assert_eq!(ours.entries.len(), theirs.len());
            for (mine, their) in ours.entries.iter().zip(theirs.iter()) {
                let mine_git2 = ours.git2_entry(mine);
                assert_eq!(mine_git2.path, their.path);
                assert_eq!(mine_git2.id, their.id);
                assert_eq!(
                    (mine.mode, mine.size, mine.ino, mine.mtime.0, mine.mtime.1),
                    (
                        their.mode,
                        their.file_size,
                        their.ino,
                        their.mtime.seconds() as u32,
                        their.mtime.nanoseconds()
                    )
                );
                assert_eq!(
                    mine.flags_extended & EXT_INTENT_TO_ADD,
                    their.flags_extended & EXT_INTENT_TO_ADD
                );
            }
            assert!(ours.intent_to_add, "git add -N is seen");
            let tree = ours.cache_tree.as_ref().expect("a cache-tree");
            let root = tree.root().expect("a root");
            assert!(
                root.valid().is_none(),
                "the root is invalidated by the new entry"
            );
            let a = root.child(b"a").expect("a/ in the cache-tree");
            assert!(root.child(b"nothing").is_none());
            let head_a = repo
                .head()
                .unwrap()
                .peel_to_tree()
                .unwrap()
                .get_name("a")
                .unwrap()
                .id();
            assert_eq!(
                a.valid().map(|(_, id)| id),
                Some(*head_a.as_bytes().first_chunk().unwrap())
            );
            assert_eq!(
                ours.find(b"a/c/d.txt").map(|e| ours.path(e)),
                Some(&b"a/c/d.txt"[..])
            );
            assert_eq!(ours.range_below(b"a/").len(), 2);
        }
    }

    #[test]
    fn a_split_index_is_refused_and_garbage_is_malformed() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        git(root, &["init", "-q"]);
        std::fs::write(root.join("f"), "f\n").unwrap();
        git(root, &["add", "f"]);
        git(root, &["update-index", "--split-index"]);
        assert!(matches!(
            IndexFile::read(&root.join(".git/index")),
            Err(IndexFileError::Unsupported(_))
        ));
        std::fs::write(root.join(".git/index"), b"DIRC\0\0\0\x02\0\0\0\x05short").unwrap();
        assert!(matches!(
            IndexFile::read(&root.join(".git/index")),
            Err(IndexFileError::Malformed(_))
        ));
        std::fs::remove_file(root.join(".git/index")).unwrap();
        assert!(IndexFile::read(&root.join(".git/index"))
            .unwrap()
            .entries
            .is_empty());
    }
}
