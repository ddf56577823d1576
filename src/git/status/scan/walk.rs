//! The walk of the working tree: each directory holding tracked files listed once, each tracked
//! file's stat data compared with the index's relative to its directory, on two threads.

use std::ffi::OsStr;
use std::ops::Range;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use crate::git::index_file::{Entry, IndexFile, EXT_SKIP_WORKTREE, FLAG_ASSUME_VALID};
use crate::git::model::CountOptions;

/// Why the scan cannot count this repository exactly.
#[derive(Debug)]
pub(super) struct Decline(pub(super) &'static str);

/// How stat data is compared, from the repository's configuration.
pub(super) struct StatRules {
    pub(super) trust_ctime: bool,
    pub(super) file_mode: bool,
    pub(super) index_mtime: (i64, u32),
}

impl StatRules {
    /// Whether the file with stat data `st` is surely what `entry` records: same kind, mode,
    /// size, times, inode and owner, and not changed in the moment the index was written.
    fn unchanged(&self, entry: &Entry, st: &libc::stat) -> bool {
        if entry.mode == 0o160000 || entry.flags & FLAG_ASSUME_VALID != 0 {
            // A submodule's state, or a file git was told to trust: libgit2 judges both.
            return false;
        }
        let kind = st.st_mode & libc::S_IFMT;
        let same_mode = match kind {
            // Without core.fileMode the executable bit on disk means nothing.
            libc::S_IFREG if !self.file_mode => matches!(entry.mode, 0o100644 | 0o100755),
            libc::S_IFREG if st.st_mode & 0o111 != 0 => entry.mode == 0o100755,
            libc::S_IFREG => entry.mode == 0o100644,
            libc::S_IFLNK => entry.mode == 0o120000,
            _ => false,
        };
        // Times, sizes and ids as the index keeps them: the low 32 bits.
        let racy = i64::from(entry.mtime.0) >= self.index_mtime.0;
        // A size of 0 may be git's mark on a racily clean entry ("smudged"): git then reads the
        // file whatever its stat data says, and so does the scan.
        let smudged = entry.size == 0;
        same_mode
            && !racy
            && !smudged
            && entry.mtime == (st.st_mtime as u32, st.st_mtime_nsec as u32)
            && (!self.trust_ctime || entry.ctime == (st.st_ctime as u32, st.st_ctime_nsec as u32))
            && entry.ino == st.st_ino as u32
            && entry.uid == st.st_uid
            && entry.gid == st.st_gid
            && entry.size == st.st_size as u32
    }
}

/// What the walk found: index entries whose files may differ, and untracked names (files or
/// directories, relative to the root) that git may or may not ignore.
#[derive(Default)]
pub(super) struct Walked {
    pub(super) changed: Vec<usize>,
    pub(super) untracked: Vec<Vec<u8>>,
}

impl Walked {
    fn merge(&mut self, other: Walked) {
        self.changed.extend(other.changed);
        self.untracked.extend(other.untracked);
    }
}

/// A directory's children as the index holds them: a file entry, a directory's entries, or a
/// sparse index's entry for a whole directory outside the cone (compared by its tree id only).
pub(super) enum Child {
    File(usize),
    Dir(Range<usize>),
    Sparse(usize),
}

/// The index's children of the directory `dir` (`""` or ending in `/`), whose entries are `range`.
pub(super) fn index_children<'i>(
    index: &'i IndexFile,
    dir: &[u8],
    range: Range<usize>,
) -> Vec<(&'i [u8], Child)> {
    let mut children = Vec::new();
    let mut at = range.start;
    while at < range.end {
        let path = index.path(&index.entries[at]);
        let rest = &path[dir.len()..];
        match rest.iter().position(|b| *b == b'/') {
            Some(slash) => {
                let below = &path[..dir.len() + slash + 1];
                let end = at
                    + index.entries[at..range.end]
                        .partition_point(|e| index.path(e).starts_with(below));
                let entry = &index.entries[at];
                let child = if entry.is_sparse_dir() && path.len() == below.len() {
                    Child::Sparse(at)
                } else {
                    Child::Dir(at..end)
                };
                children.push((&rest[..slash], child));
                at = end;
            }
            None => {
                children.push((rest, Child::File(at)));
                at += 1;
            }
        }
    }
    // Index order puts `a.b` before the directory `a/` but `a0` after it: sort by name alone.
    children.sort_by(|a, b| a.0.cmp(b.0));
    children
}

/// Walks the working tree, the root's subdirectories split over two threads by entry count.
pub(super) fn walk_worktree(
    root: &Path,
    index: &IndexFile,
    rules: &StatRules,
    options: &CountOptions,
) -> std::result::Result<Walked, Decline> {
    let walker = Walker {
        root,
        index,
        rules,
        untracked: options.count_untracked,
    };
    let mut mine = Walked::default();
    let subdirs = walker.dir(b"", 0..index.entries.len(), &mut mine)?;
    let total: usize = subdirs.iter().map(|(_, r)| r.len()).sum();
    let mut split = 0;
    let mut seen = 0;
    while split < subdirs.len() && seen < total / 2 {
        seen += subdirs[split].1.len();
        split += 1;
    }
    let (first, second) = subdirs.split_at(split);
    std::thread::scope(|scope| {
        let other = scope.spawn(|| walker.dirs(second));
        let here = walker.dirs(first);
        let there = other
            .join()
            .unwrap_or(Err(Decline("a walking thread failed")));
        mine.merge(here?);
        mine.merge(there?);
        Ok(mine)
    })
}

/// A tracked directory still to walk (its path, ending in `/`) and its entries.
type Subdir = (Vec<u8>, Range<usize>);

struct Walker<'w> {
    root: &'w Path,
    index: &'w IndexFile,
    rules: &'w StatRules,
    untracked: bool,
}

impl Walker<'_> {
    /// Walks these directories and all below them.
    fn dirs(&self, dirs: &[Subdir]) -> std::result::Result<Walked, Decline> {
        let mut out = Walked::default();
        let mut stack: Vec<Subdir> = dirs.to_vec();
        while let Some((dir, range)) = stack.pop() {
            stack.extend(self.dir(&dir, range, &mut out)?);
        }
        Ok(out)
    }

    /// Looks at one directory: stats its tracked files, notes its untracked names, and returns
    /// its tracked subdirectories (each with its entries) for the caller to walk.
    fn dir(
        &self,
        dir: &[u8],
        range: Range<usize>,
        out: &mut Walked,
    ) -> std::result::Result<Vec<Subdir>, Decline> {
        let full = self.root.join(OsStr::from_bytes(dir));
        let mut on_disk: Vec<(Vec<u8>, std::fs::FileType)> = match std::fs::read_dir(&full) {
            Ok(list) => list
                .filter_map(|e| e.ok())
                .filter_map(|e| Some((e.file_name().as_bytes().to_vec(), e.file_type().ok()?)))
                .collect(),
            Err(error) if matches!(error.kind(), std::io::ErrorKind::NotFound) => Vec::new(),
            Err(_) => return Err(Decline("a directory could not be listed")),
        };
        on_disk.sort_by(|a, b| a.0.cmp(&b.0));
        let handle = std::fs::File::open(&full).ok();
        let children = index_children(self.index, dir, range);
        let mut subdirs = Vec::new();
        let mut disk = on_disk.iter().peekable();
        let mut name = Vec::with_capacity(256);
        for (child, kind) in &children {
            // Names on disk before this child are not in the index.
            while let Some((other, _)) = disk.next_if(|(other, _)| other.as_slice() < *child) {
                self.untracked_name(dir, other, out)?;
            }
            let present = disk.next_if(|(other, _)| other.as_slice() == *child);
            match (kind, present) {
                // Outside the sparse-checkout cone: git assumes it unchanged, whatever is on disk.
                (Child::Sparse(_), _) => {}
                (Child::File(at), _) if self.skipped(*at) => {}
                (Child::File(at), Some(_)) => {
                    let entry = &self.index.entries[*at];
                    let st = handle.as_ref().and_then(|h| stat_at(h, child, &mut name));
                    if !st.is_some_and(|st| self.rules.unchanged(entry, &st)) {
                        out.changed.push(*at);
                    }
                }
                (Child::File(at), None) => out.changed.push(*at),
                (Child::Dir(range), Some((_, file_type))) if file_type.is_dir() => {
                    let mut below = dir.to_vec();
                    below.extend_from_slice(child);
                    below.push(b'/');
                    subdirs.push((below, range.clone()));
                }
                (Child::Dir(_), Some(_)) => {
                    return Err(Decline("a tracked directory is now a file or a link"))
                }
                (Child::Dir(range), None) => {
                    out.changed
                        .extend(range.clone().filter(|&at| !self.skipped(at)));
                }
            }
        }
        for (other, _) in disk {
            self.untracked_name(dir, other, out)?;
        }
        Ok(subdirs)
    }

    /// An entry kept out of the working tree (skip-worktree): git compares it with nothing there.
    fn skipped(&self, at: usize) -> bool {
        self.index.entries[at].flags_extended & EXT_SKIP_WORKTREE != 0
    }

    fn untracked_name(
        &self,
        dir: &[u8],
        name: &[u8],
        out: &mut Walked,
    ) -> std::result::Result<(), Decline> {
        if name == b".git" {
            // The repository's own directory is no content; a `.git` further down is a nested
            // repository or worse, which whole-tree diffs judge.
            return if dir.is_empty() {
                Ok(())
            } else {
                Err(Decline("a .git below the root"))
            };
        }
        if self.untracked {
            let mut path = dir.to_vec();
            path.extend_from_slice(name);
            out.untracked.push(path);
        }
        Ok(())
    }
}

/// `lstat` of `name` in the open directory `dir`: one path component for the kernel to look up,
/// not the whole path.
fn stat_at(dir: &std::fs::File, name: &[u8], buf: &mut Vec<u8>) -> Option<libc::stat> {
    use std::os::fd::AsRawFd;
    buf.clear();
    buf.extend_from_slice(name);
    buf.push(0);
    if name.contains(&0) {
        return None;
    }
    let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: `buf` is a NUL-terminated name without inner NULs, `dir` an open descriptor, and
    // `st` is only read after fstatat said it filled it.
    let done = unsafe {
        libc::fstatat(
            dir.as_raw_fd(),
            buf.as_ptr().cast(),
            st.as_mut_ptr(),
            libc::AT_SYMLINK_NOFOLLOW,
        )
    };
    // SAFETY: fstatat returned 0, so `st` is initialised.
    (done == 0).then(|| unsafe { st.assume_init() })
}
