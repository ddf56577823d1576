//! The server's own file watcher, for editors that register none (Neovim on Linux).
//!
//! Directories are watched (git replaces `index`, `HEAD` and refs by rename), symlinks are not
//! followed, and events under `.git/objects` or heavy ignored trees are dropped here. Every
//! remaining event asks the workspace to re-count; the workspace debounces.

use std::path::{Component, Path, PathBuf};

use notify::{RecursiveMode, Watcher};
use tokio::sync::mpsc;

use super::Event;
use crate::git::RepoInfo;

/// Keeps a repository's watcher alive; dropping it stops watching.
pub struct RepoWatcher {
    _watcher: notify::RecommendedWatcher,
}

impl RepoWatcher {
    pub fn start(info: &RepoInfo, tx: mpsc::UnboundedSender<Event>) -> notify::Result<RepoWatcher> {
        let root = info.root.clone();
        let handler = move |result: notify::Result<notify::Event>| {
            let paths: Vec<PathBuf> = match result {
                Ok(event) if event.need_rescan() => vec![root.clone()],
                Ok(event) => event
                    .paths
                    .into_iter()
                    .filter(|p| worth_a_count(&root, p))
                    .collect(),
                // An error (such as an overflow) falls back to one full re-count.
                Err(_) => vec![root.clone()],
            };
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

/// Whether a changed path can change the counts.
fn worth_a_count(root: &Path, path: &Path) -> bool {
    let relative = path.strip_prefix(root).unwrap_or(path);
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
            _ => !name.ends_with(".lock"),
        };
    }
    !parts.iter().any(|p| *p == "node_modules" || *p == "target")
}
