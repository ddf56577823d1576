//! The server's own file watcher, for editors that register none (Neovim on Linux).
//!
//! Directories are watched (git replaces `index`, `HEAD` and refs by rename), symlinks are not
//! followed, and events that cannot change a count are dropped here: `.git/objects`, `.git/logs`,
//! lock files, and paths git ignores (a build writing thousands of files into `target/` costs no
//! count). An overflow or a watcher error falls back to one full re-count. The workspace debounces
//! what remains.

use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

use notify::{RecursiveMode, Watcher};
use tokio::sync::mpsc;

use super::{Event, BARRIER_PREFIX};
use crate::git::RepoInfo;

/// Keeps a repository's watcher alive; dropping it stops watching.
pub struct RepoWatcher {
    _watcher: notify::RecommendedWatcher,
}

impl RepoWatcher {
    pub fn start(info: &RepoInfo, tx: mpsc::UnboundedSender<Event>) -> notify::Result<RepoWatcher> {
        let root = info.root.clone();
        let git_dir = info.git_dir.clone();
        // The watcher thread asks git whether a path is ignored; it owns its own repository.
        let repo = crate::git::open_worktree(&root).ok().map(Mutex::new);
        let handler = move |result: notify::Result<notify::Event>| {
            let is_ignored = |rel: &Path| {
                repo.as_ref()
                    .and_then(|r| r.lock().ok())
                    .and_then(|r| r.status_should_ignore(rel).ok())
                    .unwrap_or(false)
            };
            // Barriers go out before anything else of their event: all earlier events are out.
            if let Ok(event) = &result {
                if event.kind.is_create() {
                    for name in barriers(&git_dir, &event.paths) {
                        let _ = tx.send(Event::Barrier(name));
                    }
                }
            }
            let paths = paths_to_recount(&root, result, &is_ignored);
            if !paths.is_empty() {
                let _ = tx.send(Event::FilesChanged(paths));
            }
        };
        let config = notify::Config::default().with_follow_symlinks(false);
        let mut watcher = notify::RecommendedWatcher::new(handler, config)?;
        watcher.watch(&info.root, RecursiveMode::Recursive)?;
        // A linked worktree keeps its index and HEAD outside the working tree.
        if !info.git_dir.starts_with(&info.root) {
            watcher.watch(&info.git_dir, RecursiveMode::NonRecursive)?;
            let refs = info.common_dir.join("refs");
            if refs.is_dir() {
                watcher.watch(&refs, RecursiveMode::Recursive)?;
            }
        }
        Ok(RepoWatcher { _watcher: watcher })
    }
}

/// The paths of one watcher event that can change a count; the root itself (a full re-count)
/// when the watcher overflowed or failed.
pub fn paths_to_recount(
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
        return !name.ends_with(".lock") && !name.starts_with(BARRIER_PREFIX);
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
            Some(second) if second == "objects" || second == "logs" => false,
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
}
