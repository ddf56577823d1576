//! The server's own file watcher, for editors that register none (Neovim on Linux).
//!
//! Directories are watched one by one (git replaces `index`, `HEAD` and refs by rename, so no
//! file is watched by itself), symlinks are not followed, and what cannot change a count is not
//! watched at all: `.git/objects`, `.git/logs`, hooks, and directories git ignores that hold no
//! tracked file (`target/`, `node_modules/`: no inotify watch is spent on them, however large).
//! A directory that appears is watched at once, with everything under it, and counted again once
//! watched, so nothing written into it in between is missed. Events that cannot change a count
//! are dropped here: lock files, and paths git ignores. An overflow or a watcher error falls back
//! to one full re-count (and a new look for directories). The workspace debounces what remains.

use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

use notify::{RecursiveMode, Watcher};
use tokio::sync::mpsc;

use super::{Event, BARRIER_PREFIX};
use crate::git::index_stamp::IndexStamp;
use crate::git::RepoInfo;

/// The stamp of the index from the repository's latest count, shared by the workspace (which
/// sets it) and the watcher (which asks it which ignored paths are tracked all the same, without
/// loading an index of its own).
pub(super) type SharedStamp = Arc<Mutex<Option<Arc<IndexStamp>>>>;

/// Keeps a repository's watcher alive; dropping it stops watching (and its helper thread).
pub(super) struct RepoWatcher {
    watcher: Arc<Mutex<Option<notify::RecommendedWatcher>>>,
    _adder: std::sync::mpsc::Sender<PathBuf>,
}

impl RepoWatcher {
    pub(super) fn start(
        info: &RepoInfo,
        tx: mpsc::UnboundedSender<Event>,
        stamp: SharedStamp,
    ) -> notify::Result<RepoWatcher> {
        let root = info.root.clone();
        let git_dir = info.git_dir.clone();
        // The watcher threads ask git whether a path is ignored; they share their own repository.
        let repo = Arc::new(crate::git::open_worktree(&root).ok().map(Mutex::new));
        let watcher_slot: Arc<Mutex<Option<notify::RecommendedWatcher>>> = Arc::default();
        // Watches for new directories are added on a helper thread: notify's `watch` waits for
        // the event loop, which is the thread that calls the handler.
        let (add_tx, add_rx) = std::sync::mpsc::channel::<PathBuf>();
        let handler = {
            let repo = repo.clone();
            let add_tx = add_tx.clone();
            let root = root.clone();
            let tx = tx.clone();
            let stamp = stamp.clone();
            let parent = root.parent().map(Path::to_path_buf);
            let dot_git = root.join(".git");
            move |result: notify::Result<notify::Event>| {
                // The root's parent is watched only to see the root itself go and come back.
                if let Ok(event) = &result {
                    let about_root = |p: &PathBuf| p == &root || p == &dot_git;
                    let in_parent = |p: &PathBuf| p.parent() == parent.as_deref() && p != &root;
                    if event.paths.iter().any(about_root) && made_anew(&event.kind) {
                        let _ = tx.send(Event::Rearm(root.clone()));
                        return;
                    }
                    if !event.paths.is_empty() && event.paths.iter().all(in_parent) {
                        return;
                    }
                }
                // Ignored and not tracked (git counts a tracked file under an ignored directory).
                // Before the first count no stamp is known, and that count reads everything.
                let is_ignored = |rel: &Path| {
                    let Some(repo) = repo.as_ref().as_ref() else {
                        return false;
                    };
                    lock(repo).status_should_ignore(rel).unwrap_or(false)
                        && !lock(&stamp)
                            .as_ref()
                            .is_some_and(|s| s.tracks(rel.as_os_str().as_encoded_bytes()))
                };
                if let Ok(event) = &result {
                    // Barriers go out before anything else of their event: all earlier events
                    // are out.
                    if event.kind.is_create() {
                        for name in barriers(&git_dir, &event.paths) {
                            let _ = tx.send(Event::Barrier(name));
                        }
                    }
                    // A directory that appeared (or moved here) is watched with all below it.
                    // Only creations and renames can bring one: a write costs no extra stat.
                    let appears = matches!(
                        event.kind,
                        notify::EventKind::Create(_)
                            | notify::EventKind::Modify(notify::event::ModifyKind::Name(_))
                    );
                    if appears {
                        for path in &event.paths {
                            if std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir()) {
                                let _ = add_tx.send(path.clone());
                            }
                        }
                    }
                }
                let rescan = match &result {
                    Ok(event) => event.need_rescan(),
                    Err(_) => true,
                };
                let written = match &result {
                    Ok(event) => paths_written(&root, event, &is_ignored),
                    Err(_) => Vec::new(),
                };
                let changed = paths_to_recount(&root, result, &is_ignored);
                // New ignore rules may un-ignore a directory; an overflow may hide new ones.
                if rescan || changed.iter().any(|p| changes_ignores(&root, p)) {
                    let _ = add_tx.send(root.clone());
                }
                if !changed.is_empty() || !written.is_empty() {
                    let _ = tx.send(Event::Watched { changed, written });
                }
            }
        };
        let config = notify::Config::default().with_follow_symlinks(false);
        let mut watcher = notify::RecommendedWatcher::new(handler, config)?;
        let mut tops = vec![info.root.clone()];
        // A linked worktree keeps its index and HEAD outside the working tree, its refs in the
        // common directory.
        if !info.git_dir.starts_with(&info.root) {
            watcher.watch(&info.git_dir, RecursiveMode::NonRecursive)?;
            watcher.watch(&info.common_dir, RecursiveMode::NonRecursive)?;
            tops.push(info.common_dir.join("refs"));
        }
        for top in &tops {
            for dir in watched_dirs_under(&root, top, repo.as_ref().as_ref(), None) {
                watcher.watch(&dir, RecursiveMode::NonRecursive)?;
            }
        }
        // A worktree deleted and made again at the same path (a re-clone) has none of these
        // watches: its parent tells when it reappears, and the workspace re-arms.
        if let Some(parent) = root.parent() {
            if let Err(error) = watcher.watch(parent, RecursiveMode::NonRecursive) {
                tracing::debug!("cannot watch {}: {error}", parent.display());
            }
        }
        *lock(&watcher_slot) = Some(watcher);

        let slot = watcher_slot.clone();
        std::thread::Builder::new()
            .name("commit-nudge-watch".to_string())
            .spawn(move || {
                while let Ok(top) = add_rx.recv() {
                    // A directory made inside the tree before its parent was watched raised no
                    // event: walk again until a walk finds nothing new (then every parent was
                    // watched before any later child appeared).
                    let mut watched = std::collections::HashSet::new();
                    loop {
                        let known = lock(&stamp).clone();
                        let dirs = watched_dirs_under(&root, &top, repo.as_ref().as_ref(), known);
                        let new: Vec<PathBuf> =
                            dirs.into_iter().filter(|d| !watched.contains(d)).collect();
                        if new.is_empty() {
                            break;
                        }
                        let mut guard = lock(&slot);
                        let Some(watcher) = guard.as_mut() else {
                            return;
                        };
                        for dir in new {
                            if let Err(error) = watcher.watch(&dir, RecursiveMode::NonRecursive) {
                                tracing::debug!("cannot watch {}: {error}", dir.display());
                            }
                            watched.insert(dir);
                        }
                    }
                    if watched.is_empty() {
                        continue;
                    }
                    // Counted again now that it is watched: a file written into it before its
                    // watch existed is seen by this count, any later one by its own event.
                    if top != root {
                        let _ = tx.send(Event::Watched {
                            changed: vec![top],
                            written: Vec::new(),
                        });
                    }
                }
            })
            .map_err(|e| notify::Error::generic(&e.to_string()))?;
        Ok(RepoWatcher {
            watcher: watcher_slot,
            _adder: add_tx,
        })
    }
}

impl Drop for RepoWatcher {
    fn drop(&mut self) {
        // Stops the notify watcher (its handler holds the other sender of the helper's channel),
        // so the helper thread, which shares the slot, ends too.
        lock(&self.watcher).take();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Whether an event brings a path into being: created, or renamed into place.
fn made_anew(kind: &notify::EventKind) -> bool {
    use notify::event::{ModifyKind, RenameMode};
    matches!(
        kind,
        notify::EventKind::Create(_)
            | notify::EventKind::Modify(ModifyKind::Name(
                RenameMode::To | RenameMode::Both | RenameMode::Any
            ))
    )
}

/// Whether a changed path holds ignore rules (`.gitignore`, `.git/info/exclude`).
fn changes_ignores(root: &Path, path: &Path) -> bool {
    path.file_name().is_some_and(|n| n == ".gitignore")
        || path.ends_with(".git/info/exclude")
        || path == root
}

/// The directories of the worktree at `root` to watch, from `top` down (`top` included): all
/// but symlinks, the parts of a git directory that never matter (objects, logs, hooks), and
/// ignored directories that hold no tracked file. Which directories hold tracked files comes
/// from `stamp`, or without one (before the first count) from the index, read only if an
/// ignored directory is met and dropped after the walk.
pub(super) fn watched_dirs_under(
    root: &Path,
    top: &Path,
    repo: Option<&Mutex<git2::Repository>>,
    stamp: Option<Arc<IndexStamp>>,
) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if std::fs::symlink_metadata(top).map_or(true, |m| !m.is_dir()) {
        return dirs;
    }
    let repo = repo.map(lock);
    let index: std::cell::OnceCell<Option<git2::Index>> = std::cell::OnceCell::new();
    let tracks_below = |rel: &Path| {
        let rel = rel.as_os_str().as_encoded_bytes();
        if let Some(stamp) = &stamp {
            return stamp.tracks_below(rel);
        }
        let index = index.get_or_init(|| {
            let path = repo.as_ref()?.path().join("index");
            git2::Index::open(&path).ok()
        });
        let mut prefix = rel.to_vec();
        prefix.push(b'/');
        index
            .as_ref()
            .is_some_and(|i| i.find_prefix(prefix.as_slice()).is_ok())
    };
    let skip = |dir: &Path, name: &std::ffi::OsStr| -> bool {
        let child = dir.join(name);
        let Ok(rel) = child.strip_prefix(root) else {
            // Outside the worktree: the refs of a linked worktree's common directory.
            return false;
        };
        if rel.starts_with(".git") {
            // In a git directory (one holds a HEAD) only the index, HEAD, refs and rules matter.
            return matches!(name.to_str(), Some("objects" | "logs" | "hooks" | "lfs"))
                && dir.join("HEAD").is_file();
        }
        let ignored = repo
            .as_ref()
            .is_some_and(|r| r.status_should_ignore(rel).unwrap_or(false));
        ignored && !tracks_below(rel)
    };
    let top_skipped = match (top.parent(), top.file_name()) {
        (Some(parent), Some(name)) if top != root => skip(parent, name),
        _ => false,
    };
    if top_skipped {
        return dirs;
    }
    let mut pending = vec![top.to_path_buf()];
    while let Some(dir) = pending.pop() {
        if let Ok(entries) = std::fs::read_dir(&dir) {
            for entry in entries.flatten() {
                let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
                if is_dir && !skip(&dir, &entry.file_name()) {
                    pending.push(entry.path());
                }
            }
        }
        dirs.push(dir);
    }
    dirs
}

/// The paths of one watcher event that can change a count; the root itself (a full re-count)
/// when the watcher overflowed or failed.
pub(super) fn paths_to_recount(
    root: &Path,
    result: notify::Result<notify::Event>,
    is_ignored: &dyn Fn(&Path) -> bool,
) -> Vec<PathBuf> {
    match result {
        Ok(event) if event.need_rescan() => vec![root.to_path_buf()],
        Ok(event) if event.kind.is_access() => Vec::new(),
        Ok(event) => event
            .paths
            .into_iter()
            .filter(|p| worth_a_count(root, p, is_ignored))
            .collect(),
        Err(error) => {
            tracing::warn!("file watcher error ({error}); counting everything again");
            vec![root.to_path_buf()]
        }
    }
}

/// The files of one watcher event that a write is finished with, for the record of the work
/// (`crate::record`): closed after writing, or renamed into place. A file being written raises
/// modifications first (its truncation, then each part written): those are counted, never
/// recorded, so the record never takes a file half-written. Where the watcher cannot tell a
/// close (not inotify), every creation or modification is one, and the record's settled read
/// (`record::settle::read_settled`) guards against a half-written file.
pub(super) fn paths_written(
    root: &Path,
    event: &notify::Event,
    is_ignored: &dyn Fn(&Path) -> bool,
) -> Vec<PathBuf> {
    use notify::event::{AccessKind, AccessMode, ModifyKind, RenameMode};
    use notify::EventKind;
    let finished = match event.kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Modify(ModifyKind::Name(RenameMode::To)) => true,
        EventKind::Create(_) | EventKind::Modify(_) => !cfg!(target_os = "linux"),
        _ => false,
    };
    if !finished || event.need_rescan() {
        return Vec::new();
    }
    event
        .paths
        .iter()
        .filter(|p| p.starts_with(root) && worth_a_count(root, p, is_ignored))
        .cloned()
        .collect()
}

/// The names of the barrier files (see `workspace::Query::Fresh`) among `paths`.
fn barriers(git_dir: &Path, paths: &[PathBuf]) -> Vec<String> {
    paths
        .iter()
        .filter(|p| p.parent() == Some(git_dir))
        .filter_map(|p| p.file_name()?.to_str())
        .filter(|name| name.starts_with(BARRIER_PREFIX))
        .map(str::to_string)
        .collect()
}

/// Whether a changed path can change the counts.
fn worth_a_count(root: &Path, path: &Path, is_ignored: &dyn Fn(&Path) -> bool) -> bool {
    let Ok(relative) = path.strip_prefix(root) else {
        // Outside the worktree: the private git directory of a linked worktree, or its refs.
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        let in_record = path.parent().is_some_and(|p| p.ends_with("commit-nudge"));
        return !name.ends_with(".lock") && !name.starts_with(BARRIER_PREFIX) && !in_record;
    };
    let parts: Vec<&std::ffi::OsStr> = relative
        .components()
        .filter_map(|c| match c {
            Component::Normal(part) => Some(part),
            _ => None,
        })
        .collect();
    if parts.first().is_some_and(|p| *p == ".git") {
        // Inside .git only the index, HEAD and refs matter; lock files come and go around them.
        let name = parts
            .last()
            .map(|p| p.to_string_lossy())
            .unwrap_or_default();
        return match parts.get(1).map(|p| p.to_string_lossy()) {
            // Our own record (`crate::record`) changes no count.
            Some(second) if second == "objects" || second == "logs" || second == "commit-nudge" => {
                false
            }
            Some(second) if second.starts_with(BARRIER_PREFIX) => false,
            _ => !name.ends_with(".lock"),
        };
    }
    !relative.as_os_str().is_empty() && !is_ignored(relative)
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify::event::{EventKind, Flag, ModifyKind};

    fn event(paths: &[&str]) -> notify::Event {
        let mut event = notify::Event::new(EventKind::Modify(ModifyKind::Any));
        for path in paths {
            event = event.add_path(PathBuf::from(path));
        }
        event
    }

    #[test]
    fn an_overflow_or_an_error_falls_back_to_a_full_count() {
        let root = Path::new("/repo");
        let overflow = event(&["/repo/a.txt"]).set_flag(Flag::Rescan);
        assert_eq!(
            paths_to_recount(root, Ok(overflow), &|_| false),
            vec![root.to_path_buf()]
        );
        let error = notify::Error::generic("inotify queue overflow");
        assert_eq!(
            paths_to_recount(root, Err(error), &|_| false),
            vec![root.to_path_buf()]
        );
    }

    #[test]
    fn only_paths_that_can_change_a_count_pass() {
        let root = Path::new("/repo");
        let ignored = |p: &Path| p.starts_with("target");
        let paths = paths_to_recount(
            root,
            Ok(event(&[
                "/repo/src/a.rs",
                "/repo/target/debug/x",
                "/repo/.git/objects/ab/cd",
                "/repo/.git/index.lock",
                "/repo/.git/index",
                "/repo/.git/refs/heads/main",
                "/repo/.git/logs/HEAD",
            ])),
            &ignored,
        );
        let expected: Vec<PathBuf> = [
            "/repo/src/a.rs",
            "/repo/.git/index",
            "/repo/.git/refs/heads/main",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        assert_eq!(paths, expected);
    }

    #[test]
    fn only_a_finished_write_goes_to_the_record() {
        use notify::event::{AccessKind, AccessMode, CreateKind, DataChange, RenameMode};
        let root = Path::new("/repo");
        let ignored = |p: &Path| p.starts_with("target");
        let of = |kind: EventKind, path: &str| {
            let event = notify::Event::new(kind).add_path(PathBuf::from(path));
            paths_written(root, &event, &ignored)
        };
        let closed = EventKind::Access(AccessKind::Close(AccessMode::Write));
        let renamed = EventKind::Modify(ModifyKind::Name(RenameMode::To));
        assert_eq!(of(closed, "/repo/a.rs"), vec![PathBuf::from("/repo/a.rs")]);
        assert_eq!(of(renamed, "/repo/a.rs"), vec![PathBuf::from("/repo/a.rs")]);
        assert!(of(closed, "/repo/target/x").is_empty());
        assert!(of(closed, "/repo/.git/objects/ab/cd").is_empty());
        let read = EventKind::Access(AccessKind::Close(AccessMode::Read));
        assert!(of(read, "/repo/a.rs").is_empty());
        let removed = EventKind::Remove(notify::event::RemoveKind::File);
        assert!(of(removed, "/repo/a.rs").is_empty());
        // inotify tells when a write is done: a truncation, a part written, a file made (and
        // written next) are only counted.
        if cfg!(target_os = "linux") {
            let modified = EventKind::Modify(ModifyKind::Data(DataChange::Any));
            assert!(of(modified, "/repo/a.rs").is_empty());
            assert!(of(EventKind::Create(CreateKind::File), "/repo/a.rs").is_empty());
        }
    }
}
