//! The count by scan: the index file read by us, the working tree walked by us, and libgit2 asked
//! only about the paths that may have changed.
//!
//! A whole-tree diff in libgit2 loads the index into a hash map (checking its SHA-1 first), stats
//! every tracked file by its full path and reads every tree of HEAD. At a million files those are
//! most of a count's time and memory, and all of it is spent to find the few paths that changed.
//! The scan finds those paths the way git itself does:
//!
//! - the index file is read once, into fixed-size records (`index_file`);
//! - HEAD→index: HEAD's trees are compared with the index's entries, skipping every directory
//!   whose cache-tree id (git keeps it in the index) equals HEAD's tree id;
//! - index→working tree: each directory holding tracked files is listed once and each tracked
//!   file's stat data is compared with the index's, relative to its directory, on two threads;
//!   a file whose stat data differs, or changed in the same moment as the index was written
//!   ("racy"), may have changed; names on disk the index does not hold are untracked (or ignored).
//!
//! The numbers are then libgit2's, from the same diffs as the whole-tree count, limited to those
//! paths and given a small in-memory index of their entries (stat data cleared, so libgit2 looks
//! at each file's content). Renames pair only added with deleted paths, which are all among them.
//! Whatever the scan cannot judge exactly it declines, and the caller counts by whole-tree diffs:
//! a split or sparse index, conflicts, intent-to-add or skip-worktree entries, a case-insensitive
//! worktree, a tracked directory that became a file or a link, a `.git` below the root.

use std::ffi::OsStr;
use std::ops::Range;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::Arc;

use git2::Repository;

use super::error::Result;
use super::index_file::{Entry, IndexFile, IndexFileError, FLAG_ASSUME_VALID};
use super::model::{CountOptions, RepoCounts};
use super::scratch::{scratch, Scratch};
use super::sides::{
    assemble, head_state, staged_side_limited, workdir_diff, StagedSide, WorkdirSide,
};
use super::stamp::IndexStamp;

/// What a scan gives: the counts, or why only whole-tree diffs can count this repository.
#[derive(Debug)]
pub enum Scanned {
    Counted(Box<RepoCounts>),
    Declined(&'static str),
}

/// Counts `repo` by a scan, or declines.
pub fn count_repo_by_scan(repo: &Repository, options: &CountOptions) -> Result<Scanned> {
    let Some(root) = repo.workdir().map(Path::to_path_buf) else {
        return Ok(Scanned::Declined("a bare repository"));
    };
    let started = std::time::Instant::now();
    let config = repo.config()?.snapshot()?;
    if config.get_bool("core.ignorecase").unwrap_or(false) {
        return Ok(Scanned::Declined("a case-insensitive worktree"));
    }
    let index = match IndexFile::read(&repo.path().join("index")) {
        Ok(index) => index,
        Err(IndexFileError::Unsupported(what)) => return Ok(Scanned::Declined(what)),
        Err(_) => return Ok(Scanned::Declined("the index file could not be read")),
    };
    if index.conflicts {
        return Ok(Scanned::Declined("conflicts in the index"));
    }
    if index.skip_worktree || index.intent_to_add {
        return Ok(Scanned::Declined("skip-worktree or intent-to-add entries"));
    }
    tracing::debug!("scan: index read in {:?}", started.elapsed());
    let rules = StatRules {
        trust_ctime: config.get_bool("core.trustctime").unwrap_or(true),
        file_mode: config.get_bool("core.filemode").unwrap_or(true),
        index_mtime: index.file_mtime,
    };

    // HEAD→index on this thread, the working tree on two more.
    let head = head_state(repo)?;
    let head_tree = head.tree()?;
    let (walked, staged_paths) = std::thread::scope(|scope| {
        let walk = scope.spawn(|| walk_worktree(&root, &index, &rules, options));
        let staged = staged_paths(repo, head_tree.as_ref(), &index);
        let walked = walk
            .join()
            .unwrap_or(Err(Decline("a walking thread failed")));
        (walked, staged)
    });
    let walked = match walked {
        Ok(walked) => walked,
        Err(Decline(why)) => return Ok(Scanned::Declined(why)),
    };
    let staged_paths = staged_paths?;
    tracing::debug!(
        "scan: walked in {:?}: {} may differ, {} untracked names, {} staged",
        started.elapsed(),
        walked.changed.len(),
        walked.untracked.len(),
        staged_paths.len()
    );

    // Every path handed to libgit2 must mean only itself (see `partial::limits_exactly`).
    let paths = staged_paths
        .iter()
        .chain(walked.untracked.iter())
        .map(Vec::as_slice)
        .chain(
            walked
                .changed
                .iter()
                .map(|&at| index.path(&index.entries[at])),
        );
    if paths.clone().any(|p| p.contains(&b'\\')) {
        return Ok(Scanned::Declined("a path with a backslash"));
    }

    // The paths that may differ, each counted by libgit2 on a repository handle of our own whose
    // index is a small one of their entries; the working-tree paths in two halves, one a thread.
    let mut in_small: Vec<usize> = walked.changed.clone();
    in_small.extend(staged_paths.iter().filter_map(|p| index.position(p)));
    in_small.sort_unstable();
    in_small.dedup();
    let mut worktree_paths: Vec<&[u8]> = walked
        .changed
        .iter()
        .map(|&at| index.path(&index.entries[at]))
        .collect();
    worktree_paths.extend(walked.untracked.iter().map(Vec::as_slice));
    worktree_paths.sort_unstable();
    let (first_half, second_half) = worktree_paths.split_at(worktree_paths.len() / 2);
    let small = || {
        scratch(
            &root,
            in_small
                .iter()
                .map(|&at| index.git2_entry(&index.entries[at])),
        )
    };
    let (other_half, scratch, staged, workdir) = std::thread::scope(|scope| {
        let other = scope.spawn(|| -> Result<WorkdirSide> {
            workdir_side_of_list(&small()?, options, second_half)
        });
        let mine = (|| {
            let scratch = small()?;
            let staged = {
                let head = head_state(&scratch.repo)?;
                let head_tree = head.tree()?;
                if staged_paths.is_empty() {
                    StagedSide::empty()
                } else {
                    staged_side_limited(
                        &scratch.repo,
                        Some(&scratch.index),
                        head_tree.as_ref(),
                        options,
                        |o| exact_list(o, staged_paths.iter().map(Vec::as_slice)),
                    )?
                }
            };
            let workdir = workdir_side_of_list(&scratch, options, first_half)?;
            Ok::<_, super::error::GitError>((scratch, staged, workdir))
        })();
        let other = other
            .join()
            .unwrap_or_else(|_| Err(git2::Error::from_str("a counting thread failed").into()));
        mine.map(|(scratch, staged, workdir)| (other, scratch, staged, workdir))
    })?;
    let mut workdir = workdir;
    workdir.merge(other_half?);
    let head = head_state(&scratch.repo)?;
    let head_tree = head.tree()?;
    tracing::debug!("scan: diffed in {:?}", started.elapsed());
    let stamp = options
        .stamp_index
        .then(|| Arc::new(IndexStamp::of_file(&index)));
    drop(index);
    let counts = assemble(
        &scratch.repo,
        &head,
        head_tree.as_ref(),
        staged,
        workdir,
        options,
        stamp,
        None,
    )?;
    tracing::debug!("scan: counted in {:?}", started.elapsed());
    Ok(Scanned::Counted(Box::new(counts)))
}

/// The index→working tree side of exactly these paths, on a scratch handle.
fn workdir_side_of_list(
    scratch: &Scratch,
    options: &CountOptions,
    paths: &[&[u8]],
) -> Result<WorkdirSide> {
    if paths.is_empty() {
        return Ok(WorkdirSide::empty());
    }
    workdir_diff(&scratch.repo, Some(&scratch.index), options, |o| {
        exact_list(o, paths.iter().copied())
    })
}

/// Limits a diff to exactly these paths (a directory covers what lies below it).
fn exact_list<'p>(options: &mut git2::DiffOptions, paths: impl Iterator<Item = &'p [u8]>) {
    options.disable_pathspec_match(true);
    for path in paths {
        options.pathspec(path.to_vec());
    }
}

/// Why the scan cannot count this repository exactly.
#[derive(Debug)]
struct Decline(&'static str);

/// How stat data is compared, from the repository's configuration.
struct StatRules {
    trust_ctime: bool,
    file_mode: bool,
    index_mtime: (i64, u32),
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
        same_mode
            && !racy
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
struct Walked {
    changed: Vec<usize>,
    untracked: Vec<Vec<u8>>,
}

impl Walked {
    fn merge(&mut self, other: Walked) {
        self.changed.extend(other.changed);
        self.untracked.extend(other.untracked);
    }
}

/// A directory's children as the index holds them: a file entry, or a directory's entries.
enum Child {
    File(usize),
    Dir(Range<usize>),
}

/// The index's children of the directory `dir` (`""` or ending in `/`), whose entries are `range`.
fn index_children<'i>(
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
                children.push((&rest[..slash], Child::Dir(at..end)));
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
fn walk_worktree(
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
                (Child::Dir(range), None) => out.changed.extend(range.clone()),
            }
        }
        for (other, _) in disk {
            self.untracked_name(dir, other, out)?;
        }
        Ok(subdirs)
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

/// The paths where HEAD and the index differ: HEAD's trees against the index's entries, skipping
/// every directory whose cache-tree id equals HEAD's (git's own shortcut).
fn staged_paths(
    repo: &Repository,
    head_tree: Option<&git2::Tree<'_>>,
    index: &IndexFile,
) -> Result<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    let root = index.cache_tree.as_ref().and_then(|t| t.root());
    compare_tree(
        repo,
        b"",
        head_tree,
        root,
        0..index.entries.len(),
        index,
        &mut out,
    )?;
    Ok(out)
}

fn compare_tree(
    repo: &Repository,
    dir: &[u8],
    tree: Option<&git2::Tree<'_>>,
    cache: Option<super::index_file::CacheNode<'_>>,
    range: Range<usize>,
    index: &IndexFile,
    out: &mut Vec<Vec<u8>>,
) -> Result<()> {
    if let (Some(tree), Some((count, id))) = (tree, cache.and_then(|c| c.valid())) {
        if count == range.len() && tree.id().as_bytes() == id {
            return Ok(());
        }
    }
    let mut in_tree: Vec<(Vec<u8>, git2::Oid, i32)> = tree
        .map(|t| {
            t.iter()
                .map(|e| (e.name_bytes().to_vec(), e.id(), e.filemode()))
                .collect()
        })
        .unwrap_or_default();
    in_tree.sort_by(|a, b| a.0.cmp(&b.0));
    let children = index_children(index, dir, range);
    let path_of = |name: &[u8]| {
        let mut path = dir.to_vec();
        path.extend_from_slice(name);
        path
    };
    let is_tree = |mode: i32| mode == 0o040000;
    let mut theirs = in_tree.iter().peekable();
    let only_in_tree = |name: &[u8], id: git2::Oid, mode: i32, out: &mut Vec<Vec<u8>>| {
        if is_tree(mode) {
            all_files(repo, &path_of(name), id, out)
        } else {
            out.push(path_of(name));
            Ok(())
        }
    };
    for (name, child) in &children {
        while let Some((other, id, mode)) = theirs.next_if(|(other, ..)| other.as_slice() < *name) {
            only_in_tree(other, *id, *mode, out)?;
        }
        let same = theirs.next_if(|(other, ..)| other.as_slice() == *name);
        match (child, same) {
            (Child::File(at), Some((_, id, mode))) if !is_tree(*mode) => {
                let entry = &index.entries[*at];
                if entry.oid != *id.as_bytes() || entry.mode as i32 != *mode {
                    out.push(path_of(name));
                }
            }
            (Child::Dir(range), Some((_, id, mode))) if is_tree(*mode) => {
                let subtree = repo.find_tree(*id)?;
                let mut below = path_of(name);
                below.push(b'/');
                let cache = cache.and_then(|c| c.child(name));
                compare_tree(
                    repo,
                    &below,
                    Some(&subtree),
                    cache,
                    range.clone(),
                    index,
                    out,
                )?;
            }
            (child, other) => {
                if let Some((_, id, mode)) = other {
                    only_in_tree(name, *id, *mode, out)?;
                }
                match child {
                    Child::File(_) => out.push(path_of(name)),
                    Child::Dir(range) => out.extend(
                        range
                            .clone()
                            .map(|at| index.path(&index.entries[at]).to_vec()),
                    ),
                }
            }
        }
    }
    for (other, id, mode) in theirs {
        only_in_tree(other, *id, *mode, out)?;
    }
    Ok(())
}

/// Every file below the tree `id`, whose path is `dir` (without a trailing `/`).
fn all_files(repo: &Repository, dir: &[u8], id: git2::Oid, out: &mut Vec<Vec<u8>>) -> Result<()> {
    let tree = repo.find_tree(id)?;
    for entry in tree.iter() {
        let mut path = dir.to_vec();
        path.push(b'/');
        path.extend_from_slice(entry.name_bytes());
        if entry.filemode() == 0o040000 {
            all_files(repo, &path, entry.id(), out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}
