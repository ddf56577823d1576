//! Git work for the workspace, run on the blocking pool; results come back as events.

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::mpsc;

use super::{DocId, Event};
use crate::config::{self, Parsed, Settings};
use crate::git::{self, RepoCounts};
use crate::report;

/// The outcome of a count: the numbers and the settings in effect (with the repository file).
pub type CountResult = Result<(RepoCounts, Parsed), String>;

/// Counts a repository on the blocking pool and sends `Event::Counted`.
pub fn spawn_count(
    root: PathBuf,
    generation: u64,
    editor_settings: Settings,
    tx: mpsc::UnboundedSender<Event>,
) {
    tokio::task::spawn_blocking(move || {
        let result = catch(|| {
            let parsed = config::with_repo_file(&editor_settings, &root);
            let counts = git::count::count(&root, &report::count_options(&parsed.settings))
                .map_err(|e| e.to_string())?;
            Ok((counts, parsed))
        });
        let _ = tx.send(Event::Counted {
            root,
            generation,
            result,
        });
    });
}

/// Diffs an open buffer against HEAD, the index and the disk, and sends `Event::BufferCounted`.
pub fn spawn_buffer_diff(
    root: PathBuf,
    rel_path: String,
    doc: DocId,
    version: i32,
    text: Arc<String>,
    tx: mpsc::UnboundedSender<Event>,
) {
    tokio::task::spawn_blocking(move || {
        let result = catch(|| {
            let repo = git::open_worktree(&root).map_err(|e| e.to_string())?;
            git::hunks::buffer_diff(&repo, &rel_path, text.as_bytes()).map_err(|e| e.to_string())
        });
        let _ = tx.send(Event::BufferCounted {
            doc,
            version,
            result,
        });
    });
}

/// Runs `job`, turning a panic into an error message so one bad file cannot stop the server.
fn catch<T>(job: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(job)) {
        Ok(result) => result,
        Err(_) => {
            Err("internal error (a bug in commit-nudge; the server keeps running)".to_string())
        }
    }
}
