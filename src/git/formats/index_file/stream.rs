//! Reading the index file entry by entry through a buffer of a megabyte, and one entry at a
//! known offset.
//!
//! Each entry is parsed straight from the buffer (a fixed 62-byte head, the extended flags, the
//! path up to its NUL and the padding of versions 2 and 3, or the prefix length of version 4);
//! an entry cut by the buffer's end is moved to its start and the rest read after it.

use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use super::{parse_cache_tree, CacheTree, Entry, IndexFileError, Result, FLAG_EXTENDED};

/// What tells one index file from another written later at the same path (git replaces the
/// file whole): its size, modification time and inode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FileId {
    /// The file's length.
    pub len: u64,
    /// The file's modification time (seconds, nanoseconds).
    pub mtime: (i64, u32),
    /// The file's inode.
    pub ino: u64,
}

impl FileId {
    /// The identity of the file at `path` now, if there is one.
    pub fn at(path: &Path) -> Option<FileId> {
        std::fs::metadata(path).ok().map(|meta| FileId::of(&meta))
    }

    fn of(meta: &std::fs::Metadata) -> FileId {
        FileId {
            len: meta.len(),
            mtime: (meta.mtime(), u32::try_from(meta.mtime_nsec()).unwrap_or(0)),
            ino: meta.ino(),
        }
    }
}

/// What follows the entries, and the file read.
#[derive(Debug, Default)]
pub struct StreamEnd {
    /// The index file's version.
    pub version: u32,
    /// The cache-tree, when the index has one.
    pub cache_tree: Option<CacheTree>,
    /// Which file was read.
    pub file: FileId,
    /// A split index: the shared index it links to (the entries visited are already merged).
    pub link: Option<Link>,
    /// A sparse index (`sdir`): some entries are sparse directories (mode 040000, path ending
    /// in `/`).
    pub sparse: bool,
    /// The resolve-undo extension (`REUC`) as written: what `git checkout -m` needs to recreate
    /// a conflict resolved since; kept as it is when we write the index.
    pub resolve_undo: Option<Vec<u8>>,
}

/// The `link` extension of a split index: the shared index's id, and which of its entries
/// (positions) this index deletes and replaces.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Link {
    /// The shared index's id (`sharedindex.<id>`).
    pub shared: [u8; 20],
    /// The shared index's entries (positions) this index deletes.
    pub delete: Vec<usize>,
    /// The shared index's entries (positions) this index replaces.
    pub replace: Vec<usize>,
}

impl Link {
    fn parse(data: &[u8]) -> Result<Link> {
        let shared: [u8; 20] = data
            .get(..20)
            .and_then(|s| s.try_into().ok())
            .ok_or(IndexFileError::Malformed("the link extension"))?;
        let mut link = Link {
            shared,
            ..Link::default()
        };
        if data.len() > 20 {
            let (delete, rest) = super::ewah::read(&data[20..])?;
            let (replace, _) = super::ewah::read(rest)?;
            link.delete = delete;
            link.replace = replace;
        }
        Ok(link)
    }
}

/// What the extensions hold that the readers and writers need.
#[derive(Debug, Default)]
struct Extensions {
    cache_tree: Option<CacheTree>,
    link: Option<Link>,
    sparse: bool,
    resolve_undo: Option<Vec<u8>>,
}

const CHUNK: usize = 1 << 20;
/// The fixed part of an entry, before its extended flags and path.
const HEAD: usize = 62;

/// Reads the index at `path`, handing `visit` each entry with its path and its offset in the
/// file, until `visit` says to stop (false). An absent file is an empty index. A split index is
/// handed merged with its shared index (with no offsets: `u64::MAX`).
pub fn stream(path: &Path, visit: impl FnMut(&Entry, &[u8], u64) -> bool) -> Result<StreamEnd> {
    if super::split::may_be_split(path) {
        return super::split::stream_merged(path, visit);
    }
    let end = stream_file(path, visit)?;
    if end.link.is_some() {
        return Err(IndexFileError::Malformed(
            "a split index without its shared index",
        ));
    }
    Ok(end)
}

/// Reads one index file as it is (a split index's own entries only).
pub(crate) fn stream_file(
    path: &Path,
    mut visit: impl FnMut(&Entry, &[u8], u64) -> bool,
) -> Result<StreamEnd> {
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Ok(StreamEnd {
                version: 2,
                ..StreamEnd::default()
            })
        }
        Err(error) => return Err(error.into()),
    };
    let id = FileId::of(&file.metadata()?);
    let mut buf = Buffer::new(file);
    let head = buf.take(12)?;
    if &head[..4] != b"DIRC" {
        return Err(IndexFileError::Malformed("no DIRC signature"));
    }
    let version = be32(&head[4..8]);
    let count = be32(&head[8..12]) as usize;
    if !(2..=4).contains(&version) {
        return Err(IndexFileError::Unsupported(
            "an index version other than 2, 3 or 4",
        ));
    }
    let mut path: Vec<u8> = Vec::with_capacity(256);
    for _ in 0..count {
        let offset = buf.offset();
        let entry = buf.entry(version, &mut path)?;
        if !visit(&entry, &path, offset) {
            return Ok(StreamEnd {
                version,
                file: id,
                ..StreamEnd::default()
            });
        }
    }
    let extensions = buf.extensions()?;
    Ok(StreamEnd {
        version,
        cache_tree: extensions.cache_tree,
        file: id,
        link: extensions.link,
        sparse: extensions.sparse,
        resolve_undo: extensions.resolve_undo,
    })
}

/// The entry at `offset` of the index at `path`, if the file is still `id` and the entry there
/// is `expected` (a path known from an earlier reading).
pub fn entry_at(
    path: &Path,
    id: FileId,
    version: u32,
    offset: u64,
    expected: &[u8],
) -> Result<Option<Entry>> {
    use std::os::unix::fs::FileExt;
    let file = std::fs::File::open(path)?;
    if FileId::of(&file.metadata()?) != id {
        return Ok(None);
    }
    // The head, the extended flags, a prefix length and the path: at most this many bytes.
    let mut bytes = vec![0u8; HEAD + 2 + 16 + expected.len() + 8];
    let mut got = 0;
    while got < bytes.len() {
        match file.read_at(&mut bytes[got..], offset + got as u64)? {
            0 => break,
            n => got += n,
        }
    }
    bytes.truncate(got);
    let Some((entry, rest)) = parse_head(&bytes, version)? else {
        return Ok(None);
    };
    let same = if version == 4 {
        // The prefix shared with the previous entry is not here; the rest must end the path.
        let (_, after) = varint(rest)?;
        let end = after.iter().position(|b| *b == 0);
        end.is_some_and(|end| expected.ends_with(&after[..end]))
    } else {
        rest.get(..expected.len()) == Some(expected) && rest.get(expected.len()) == Some(&0)
    };
    Ok(same.then_some(entry))
}

fn be32(bytes: &[u8]) -> u32 {
    u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])
}

/// An entry's head from `bytes`, and what follows it (the path's encoding); `None` if `bytes`
/// is too short.
fn parse_head(bytes: &[u8], version: u32) -> Result<Option<(Entry, &[u8])>> {
    let Some(head) = bytes.get(..HEAD) else {
        return Ok(None);
    };
    let word = |at: usize| be32(&head[at..at + 4]);
    let mut oid = [0u8; 20];
    oid.copy_from_slice(&head[40..60]);
    let flags = u16::from_be_bytes([head[60], head[61]]);
    let (flags_extended, rest) = if flags & FLAG_EXTENDED != 0 {
        if version < 3 {
            return Err(IndexFileError::Malformed(
                "extended flags in a version 2 index",
            ));
        }
        let Some(extended) = bytes.get(HEAD..HEAD + 2) else {
            return Ok(None);
        };
        (
            u16::from_be_bytes([extended[0], extended[1]]),
            &bytes[HEAD + 2..],
        )
    } else {
        (0, &bytes[HEAD..])
    };
    let entry = Entry {
        ctime: (word(0), word(4)),
        mtime: (word(8), word(12)),
        dev: word(16),
        ino: word(20),
        mode: word(24),
        uid: word(28),
        gid: word(32),
        size: word(36),
        oid,
        flags,
        flags_extended,
        path_at: 0,
        path_len: 0,
    };
    Ok(Some((entry, rest)))
}

/// Git's offset encoding (version 4 prefix lengths): the value and the bytes after it.
fn varint(bytes: &[u8]) -> Result<(usize, &[u8])> {
    let bad = || IndexFileError::Malformed("a prefix length");
    let mut at = 0;
    let mut byte = *bytes.first().ok_or_else(bad)?;
    let mut value = usize::from(byte & 0x7F);
    while byte & 0x80 != 0 {
        at += 1;
        byte = *bytes.get(at).ok_or_else(bad)?;
        value = value
            .checked_add(1)
            .and_then(|v| v.checked_mul(128))
            .map(|v| v + usize::from(byte & 0x7F))
            .ok_or_else(bad)?;
    }
    Ok((value, &bytes[at + 1..]))
}

/// The file's bytes, a megabyte at a time.
struct Buffer {
    file: std::fs::File,
    bytes: Vec<u8>,
    /// The unread bytes are `bytes[start..end]`; `bytes[start]` sits at `consumed` in the file.
    start: usize,
    end: usize,
    consumed: u64,
    eof: bool,
}

impl Buffer {
    fn new(file: std::fs::File) -> Buffer {
        Buffer {
            file,
            bytes: vec![0u8; CHUNK],
            start: 0,
            end: 0,
            consumed: 0,
            eof: false,
        }
    }

    fn offset(&self) -> u64 {
        self.consumed
    }

    /// The unread bytes, at least `n` of them unless the file ends first.
    fn fill(&mut self, n: usize) -> Result<&[u8]> {
        if self.end - self.start < n && !self.eof {
            self.bytes.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
            if self.bytes.len() < n {
                self.bytes.resize(n.max(CHUNK), 0);
            }
            while self.end < self.bytes.len() {
                match self.file.read(&mut self.bytes[self.end..])? {
                    0 => {
                        self.eof = true;
                        break;
                    }
                    read => self.end += read,
                }
            }
        }
        Ok(&self.bytes[self.start..self.end])
    }

    fn advance(&mut self, n: usize) {
        self.start += n;
        self.consumed += n as u64;
    }

    /// Exactly `n` bytes, consumed.
    fn take(&mut self, n: usize) -> Result<Vec<u8>> {
        let bytes = self.fill(n)?;
        let taken = bytes
            .get(..n)
            .ok_or(IndexFileError::Malformed("the file ends early"))?
            .to_vec();
        self.advance(n);
        Ok(taken)
    }

    /// One entry; `path` holds the previous entry's path (version 4 compresses against it) and
    /// is left holding this one's.
    fn entry(&mut self, version: u32, path: &mut Vec<u8>) -> Result<Entry> {
        // Enough for any path git writes (4096 bytes) with its head; a longer one asks for more.
        let mut want = HEAD + 2 + 16 + 4096 + 8;
        loop {
            let bytes = self.fill(want)?;
            let available = bytes.len();
            let Some((entry, rest)) = parse_head(bytes, version)? else {
                return Err(IndexFileError::Malformed("the file ends inside an entry"));
            };
            let head_len = available - rest.len();
            let (strip, name) = if version == 4 {
                let (strip, after) = varint(rest)?;
                (Some(strip), after)
            } else {
                (None, rest)
            };
            let name_at = available - name.len();
            let Some(nul) = name.iter().position(|b| *b == 0) else {
                if self.eof {
                    return Err(IndexFileError::Malformed("the file ends inside a path"));
                }
                want = available * 2;
                continue;
            };
            match strip {
                Some(strip) => {
                    let keep = path
                        .len()
                        .checked_sub(strip)
                        .ok_or(IndexFileError::Malformed(
                            "a prefix longer than the previous path",
                        ))?;
                    path.truncate(keep);
                    path.extend_from_slice(&name[..nul]);
                    self.advance(name_at + nul + 1);
                }
                None => {
                    path.clear();
                    path.extend_from_slice(&name[..nul]);
                    // Padded with 1 to 8 NULs to a multiple of 8 bytes from the entry's start.
                    let total = (head_len + nul + 8) & !7;
                    if total > available {
                        return Err(IndexFileError::Malformed("the file ends inside an entry"));
                    }
                    self.advance(total);
                }
            }
            return Ok(entry);
        }
    }

    /// The extensions after the entries: the cache-tree, a split index's link, a sparse index's
    /// mark and the resolve-undo records are kept; the others are skipped (the untracked cache,
    /// the fsmonitor's token and the offset tables are rebuilt by git's next write). The trailing checksum is not checked (git
    /// checks it only in `fsck`).
    fn extensions(&mut self) -> Result<Extensions> {
        let mut found = Extensions::default();
        loop {
            // Either an extension (4-byte signature, 4-byte size) or the 20-byte checksum.
            let head = self.fill(28)?;
            if head.len() < 28 {
                return Ok(found);
            }
            let signature: [u8; 4] = [head[0], head[1], head[2], head[3]];
            let size = be32(&head[4..8]) as usize;
            match &signature {
                b"link" => {
                    self.advance(8);
                    found.link = Some(Link::parse(&self.take(size)?)?);
                }
                b"sdir" => {
                    self.advance(8);
                    self.take(size)?;
                    found.sparse = true;
                }
                b"TREE" => {
                    self.advance(8);
                    let data = self.take(size)?;
                    found.cache_tree = Some(parse_cache_tree(&data)?);
                }
                b"REUC" => {
                    self.advance(8);
                    found.resolve_undo = Some(self.take(size)?);
                }
                _ if signature[0].is_ascii_uppercase() => {
                    // An optional extension: skipped.
                    self.advance(8);
                    let mut left = size;
                    while left > 0 {
                        let here = self.fill(left.min(CHUNK))?.len().min(left);
                        if here == 0 {
                            return Err(IndexFileError::Malformed("an extension ends early"));
                        }
                        self.advance(here);
                        left -= here;
                    }
                }
                _ if signature.iter().all(|b| b.is_ascii_lowercase()) => {
                    return Err(IndexFileError::Unsupported("a required extension"))
                }
                // Not an extension: the checksum's first bytes.
                _ => return Ok(found),
            }
        }
    }
}
