//! The record of how the work was done: per repository, at each save or file-system write, which
//! lines entered the uncommitted work since the last snapshot. The planner reads it
//! (`plan::episodes`) to tell which hunks were written together; nothing else does.
//!
//! Why lines by content hash: a final hunk's lines can be found in the record however far later
//! edits moved them, and a line is written once, the first time it is seen, so the record grows
//! with the work, not with the number of saves.
//!
//! The file is `<git dir>/commit-nudge/record` (`path_in`); its text, how it is read and its
//! bound are `format`'s.
//!
//! What a snapshot reads of a file: an open document's saved text, the server's own view (the
//! editor may still be writing the disk, and its save is what was meant), else the disk once the
//! file has settled (`settle::read_settled`: not changed for `SETTLE`, and the same size and time
//! before and after the read), so that a file caught half-written by a watcher is never recorded.
//!
//! Invariants: it is never in refs, the index or the object database; a record of another HEAD,
//! or one that does not parse, is ignored and written anew; a torn last line is dropped and the
//! file never grows past its bound (`format`); every failure to read or write it costs only the
//! record (logged), never the work or a plan.

mod format;
mod settle;

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use format::{read, render_snapshot, Unusable, MAX_BYTES};
use settle::read_settled;

/// Which way a line went against HEAD.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// A line the work added (in the working tree, not in HEAD).
    Added,
    /// A line of HEAD the work removed.
    Removed,
}

/// One line of one file, by content.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LineKey {
    /// Added or removed against HEAD.
    pub side: Side,
    /// `line_hash` of the line's text.
    pub hash: u64,
    /// The file, relative to the worktree's root, `/`-separated.
    pub path: String,
}

/// One snapshot: when, and the lines first seen in it.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// When it was taken, in Unix milliseconds.
    pub at_ms: i64,
    /// The lines not in any earlier snapshot.
    pub lines: Vec<LineKey>,
}

/// One file a snapshot takes: its path, and its text when the server holds it already (an open
/// document's saved text); without one the disk is read once the file has settled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Observed {
    pub rel_path: String,
    pub text: Option<Arc<String>>,
}

/// A parsed record.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Record {
    /// The HEAD it was recorded on (`None` for an unborn branch).
    pub head: Option<String>,
    /// The snapshots, oldest first.
    pub snapshots: Vec<Snapshot>,
}

/// The hash a line is recorded by (its bytes without the line end).
pub fn line_hash(line: &[u8]) -> u64 {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let mut hash = crate::git::fnv::Fnv::default();
    hash.feed(line);
    hash.value()
}

impl Record {
    /// Every line key already in the record.
    pub(crate) fn seen(&self) -> HashSet<&LineKey> {
        self.snapshots.iter().flat_map(|s| s.lines.iter()).collect()
    }
}

/// Where the record of the repository with git directory `git_dir` lives.
pub fn path_in(git_dir: &Path) -> PathBuf {
    git_dir.join("commit-nudge").join("record")
}

/// The record of `repo` for its current HEAD: the one on disk, or, when a commit moved HEAD
/// since it was written, what is left of it once the commit took its lines (`carry`). `Err`
/// when there is none to use; `Ok((record, intact))` says whether the file can be appended to
/// as it is (same HEAD, no torn line).
fn load_current(repo: &git2::Repository, root: &Path) -> Result<(Record, bool), Unusable> {
    let head = head_of(repo);
    let (record, intact) = read(&path_in(repo.path()))?;
    if record.head == head {
        return Ok((record, intact));
    }
    if !follows(repo, record.head.as_deref(), head.as_deref()) {
        return Err(Unusable::OtherHead);
    }
    Ok((carry(record, repo, root, head), false))
}

/// How far back along first parents a commit may be and still be "the HEAD the record was
/// written on, before the commits made since" (a count, not a time: the answer is the same on
/// every machine).
const CARRY_DEPTH: usize = 100;

/// Whether `now` was reached from `then` by committing: `then` (or, after an amend or a reset
/// of the last commit, its first parent) is within `CARRY_DEPTH` first parents of `now`. A
/// record of an unborn branch is followed by its first commit.
fn follows(repo: &git2::Repository, then: Option<&str>, now: Option<&str>) -> bool {
    let Some(now) = now.and_then(|oid| git2::Oid::from_str(oid).ok()) else {
        return false;
    };
    let Some(then) = then else {
        return true;
    };
    let Ok(then) = git2::Oid::from_str(then) else {
        return false;
    };
    let mut marks = vec![then];
    if let Ok(parent) = repo.find_commit(then).and_then(|c| c.parent_id(0)) {
        marks.push(parent);
    }
    let mut commit = repo.find_commit(now).ok();
    for _ in 0..=CARRY_DEPTH {
        let Some(current) = commit else {
            return false;
        };
        if marks.contains(&current.id()) {
            return true;
        }
        commit = current.parent(0).ok();
    }
    false
}

/// The record with only the lines still in the uncommitted work against the new HEAD `head`:
/// what the commits took is dropped, the rest keeps its times. Snapshots left empty go.
fn carry(mut record: Record, repo: &git2::Repository, root: &Path, head: Option<String>) -> Record {
    let tree = repo.head().ok().and_then(|h| h.peel_to_tree().ok());
    let mut work: HashMap<String, (HashSet<u64>, HashSet<u64>)> = HashMap::new();
    for snapshot in &mut record.snapshots {
        snapshot.lines.retain(|line| {
            let (added, removed) = work.entry(line.path.clone()).or_insert_with(|| {
                let old = head_text(repo, tree.as_ref(), &line.path).unwrap_or_default();
                let new = crate::git::repo::checked_rel_path(&line.path)
                    .ok()
                    .and_then(|p| std::fs::read(root.join(p)).ok())
                    .unwrap_or_default();
                let (added, removed) = changed_lines(&old, &new);
                (added.into_iter().collect(), removed.into_iter().collect())
            });
            match line.side {
                Side::Added => added.contains(&line.hash),
                Side::Removed => removed.contains(&line.hash),
            }
        });
    }
    record.snapshots.retain(|s| !s.lines.is_empty());
    record.head = head;
    record
}

/// The bytes of `rel_path` in `tree` (HEAD's), if it has that file.
fn head_text(
    repo: &git2::Repository,
    tree: Option<&git2::Tree>,
    rel_path: &str,
) -> Option<Vec<u8>> {
    let checked = crate::git::repo::checked_rel_path(rel_path).ok()?;
    let entry = tree?.get_path(checked).ok()?;
    let blob = entry.to_object(repo).ok()?.into_blob().ok()?;
    Some(blob.content().to_vec())
}

/// The record of the worktree at `root` for its current HEAD, if there is a usable one.
pub fn load_worktree(root: &Path) -> Option<Record> {
    let repo = crate::git::repo::open_worktree(root).ok()?;
    load_current(&repo, root)
        .ok()
        .map(|(record, _)| record)
        .filter(|record| !record.snapshots.is_empty())
}

/// Deletes the record of the worktree at `root`; whether there was one.
pub fn forget(root: &Path) -> std::io::Result<bool> {
    let repo =
        crate::git::repo::open_worktree(root).map_err(|e| std::io::Error::other(e.to_string()))?;
    match std::fs::remove_file(path_in(repo.path())) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

fn head_of(repo: &git2::Repository) -> Option<String> {
    crate::git::head_commit(repo)
        .ok()
        .flatten()
        .map(|commit| commit.id().to_string())
}

/// The lines of `new` not in `old` and of `old` not in `new`, counted as multisets: which lines a
/// file gained and lost against HEAD, wherever they are.
pub(crate) fn changed_lines(old: &[u8], new: &[u8]) -> (Vec<u64>, Vec<u64>) {
    let count = |text: &[u8]| {
        let mut counts: HashMap<u64, i64> = HashMap::new();
        let mut order = Vec::new();
        for line in text.split_inclusive(|b| *b == b'\n') {
            let hash = line_hash(line);
            let slot = counts.entry(hash).or_insert(0);
            if *slot == 0 {
                order.push(hash);
            }
            *slot += 1;
        }
        (counts, order)
    };
    let (old_counts, old_order) = count(old);
    let (new_counts, new_order) = count(new);
    let added = new_order
        .into_iter()
        .filter(|h| new_counts[h] > old_counts.get(h).copied().unwrap_or(0))
        .collect();
    let removed = old_order
        .into_iter()
        .filter(|h| old_counts[h] > new_counts.get(h).copied().unwrap_or(0))
        .collect();
    (added, removed)
}

/// Takes a snapshot of `files` in the worktree at `root` (their text, the given one or the
/// disk's once settled, against HEAD's) at `now_ms`, and appends the lines not yet in the
/// record. Returns how many lines it added. Every failure is the record's alone: the caller logs
/// it and goes on.
pub(crate) fn observe(root: &Path, files: &[Observed], now_ms: i64) -> Result<usize, String> {
    // One writer at a time in this process (a save and its file-system event come together).
    static ONE_WRITER: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _writer = ONE_WRITER.lock().unwrap_or_else(|e| e.into_inner());
    let repo = crate::git::repo::open_worktree(root).map_err(|e| e.to_string())?;
    let head = head_of(&repo);
    let tree = crate::git::head_commit(&repo)
        .ok()
        .flatten()
        .and_then(|c| c.tree().ok());
    let path = path_in(repo.path());
    let (record, fresh) = match load_current(&repo, root) {
        Ok((record, intact)) => (record, !intact),
        Err(Unusable::Missing) => (Record::default(), true),
        Err(why) => {
            tracing::info!("record {}: {why:?}; starting anew", path.display());
            (Record::default(), true)
        }
    };
    let seen = record.seen();
    let mut snapshot = Snapshot {
        at_ms: now_ms,
        lines: Vec::new(),
    };
    for Observed { rel_path, text } in files {
        if rel_path.contains('\n') || rel_path.is_empty() {
            continue;
        }
        let Ok(checked) = crate::git::repo::checked_rel_path(rel_path) else {
            continue;
        };
        // A file that is gone is not recorded: its removal is in git's diff alone, and a
        // worktree being deleted (`rm -rf`) must not see its git directory written to.
        let new = match text {
            Some(text) => text.as_bytes().to_vec(),
            None => match read_settled(&root.join(checked)) {
                Some(bytes) => bytes,
                None => continue,
            },
        };
        let old = head_text(&repo, tree.as_ref(), rel_path).unwrap_or_default();
        if old == new {
            continue;
        }
        let (added, removed) = changed_lines(&old, &new);
        let sides = [(Side::Added, added), (Side::Removed, removed)];
        for (side, hashes) in sides {
            for hash in hashes {
                let key = LineKey {
                    side,
                    hash,
                    path: rel_path.clone(),
                };
                if !seen.contains(&key) {
                    snapshot.lines.push(key);
                }
            }
        }
    }
    let added = snapshot.lines.len();
    // Nothing new: the file stays as it is, unless it must be rewritten to stay usable (a torn
    // line, or a commit that took some of its lines).
    let must_rewrite = fresh && !record.snapshots.is_empty();
    if added == 0 && !must_rewrite {
        return Ok(0);
    }
    // One writer across processes too (a language server and a prompt daemon may watch one
    // worktree), taken only to write: a snapshot with nothing new touches no file, so a git
    // directory being deleted (`rm -rf`) never sees one made in it.
    let _across = lock_across_processes(&path);
    let mut text = render_snapshot(&snapshot);
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let rewrite = fresh || size + text.len() as u64 > MAX_BYTES;
    let result = if rewrite {
        let mut record = Record { head, ..record };
        if added > 0 {
            record.snapshots.push(snapshot);
        }
        record.trim_to_bound();
        text = record.render();
        write_anew(&path, &text)
    } else {
        append(&path, &text)
    };
    result.map_err(|e| format!("could not write {}: {e}", path.display()))?;
    Ok(added)
}

/// An exclusive `flock` on `record.lock` beside the record, held while the returned file is
/// open, so that two processes never append and rewrite at once; `None` (and no lock) when it
/// cannot be had. (A line both add at the same moment is kept twice: the first one counts.)
fn lock_across_processes(record: &Path) -> Option<std::fs::File> {
    let dir = record.parent()?;
    make_own_dir(dir).ok()?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join("record.lock"))
        .ok()?;
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: the descriptor is open for as long as `file` lives; flock only reads it.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } != 0 {
            return None;
        }
    }
    Some(file)
}

/// Makes our own directory in the git directory, never the git directory itself (one deleted
/// meanwhile must stay deleted).
fn make_own_dir(dir: &Path) -> std::io::Result<()> {
    match std::fs::create_dir(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => Err(e),
        _ => Ok(()),
    }
}

fn append(path: &Path, text: &str) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new().append(true).open(path)?;
    file.write_all(text.as_bytes())
}

/// Writes the record through a temporary file and a rename, so a reader never sees half of it.
fn write_anew(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        make_own_dir(dir)?;
    }
    let temp = path.with_extension("tmp");
    let written = std::fs::write(&temp, text).and_then(|()| std::fs::rename(&temp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written
}

/// Snapshots under way in this process: a server that exits waits for them (`wait_for_pending`),
/// so the save just before an editor closes is kept.
static PENDING: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// One snapshot under way, from when it is asked for until this is dropped.
pub struct Pending(());

impl Pending {
    /// Counts one more snapshot under way.
    #[allow(clippy::new_without_default)]
    pub fn new() -> Pending {
        PENDING.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Pending(())
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        PENDING.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Waits until no snapshot is under way, or `limit` has passed.
pub fn wait_for_pending(limit: std::time::Duration) {
    let started = std::time::Instant::now();
    while PENDING.load(std::sync::atomic::Ordering::SeqCst) > 0 && started.elapsed() < limit {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// The current time in Unix milliseconds.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests;
