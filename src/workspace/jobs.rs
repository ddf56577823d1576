//! Git work for the workspace, run on the blocking pool; results come back as events.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::mpsc;

use super::{DocId, Event};
use crate::config::{self, Parsed, Settings};
use crate::git::buffer::BufferBase;
use crate::git::buffer::BufferDiff;
use crate::git::{self, RepoCounts};
use crate::report;

/// The outcome of a count: the numbers and the settings in effect (with the repository file).
pub type CountResult = Result<(RepoCounts, Parsed), String>;

/// The outcome of a buffer diff: the base it was compared with (to keep) and the diff.
pub type BufferResult = Result<(Arc<BufferBase>, BufferDiff), String>;

/// What a count must cover.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Everything: the index, HEAD or settings may have changed.
    Full,
    /// Only these working-tree paths changed (relative to the root).
    Paths(BTreeSet<String>),
    /// The index, HEAD or refs changed, and these working-tree paths.
    GitDir(BTreeSet<String>),
}

/// A repository kept open between jobs (git2's `Repository` is `Send`, not `Sync`: one job at a
/// time holds it).
pub type SharedRepo = Arc<std::sync::Mutex<Option<git2::Repository>>>;

/// Counts a repository on the blocking pool and sends `Event::Counted`. With a narrower scope
/// than `Scope::Full` and a previous count, only what changed is re-counted, unless that could be
/// inexact.
pub fn spawn_count(
    root: PathBuf,
    generation: u64,
    editor_settings: Settings,
    scope: Scope,
    previous: Option<Arc<RepoCounts>>,
    shared: SharedRepo,
    tx: mpsc::UnboundedSender<Event>,
) {
    tokio::task::spawn_blocking(move || {
        let result = catch(|| {
            let parsed = config::with_repo_file(&editor_settings, &root);
            let mut options = report::count_options(&parsed.settings);
            options.stamp_index = true;
            let mut guard = open_shared(&shared, &root)?;
            let Some(repo) = guard.as_ref() else {
                return Err("the repository could not be opened".to_string());
            };
            if let Some(previous) = &previous {
                let partial = match &scope {
                    Scope::Full => Ok(None),
                    Scope::Paths(paths) => {
                        git::partial::recount_paths(repo, previous, paths, &options)
                    }
                    Scope::GitDir(paths) => {
                        git::partial::recount_after_git_change(repo, previous, paths, &options)
                    }
                };
                match partial {
                    Ok(Some(counts)) => return Ok((counts, parsed)),
                    Ok(None) if scope != Scope::Full => {
                        tracing::debug!(
                            "a re-count of what changed could be inexact; counting everything"
                        )
                    }
                    Ok(None) => {}
                    Err(error) => {
                        tracing::debug!("partial count failed ({error}); counting everything")
                    }
                }
            }
            let counts = git::count::count_repo(repo, &options);
            if counts.is_err() {
                // Open afresh next time, in case the repository itself changed under us.
                *guard = None;
            }
            Ok((counts.map_err(|e| e.to_string())?, parsed))
        });
        let _ = tx.send(Event::Counted {
            root,
            generation,
            result: Box::new(result),
        });
    });
}

/// Diffs an open buffer against HEAD, the index and the disk, and sends `Event::BufferCounted`.
/// With a `base` (the file's HEAD and index versions) the repository is not touched at all;
/// without, the base is read through the repository the counts keep open (after any count that
/// holds it), so that no third copy of a large index is ever loaded.
#[allow(clippy::too_many_arguments)]
pub fn spawn_buffer_diff(
    root: PathBuf,
    rel_path: String,
    doc: DocId,
    version: i32,
    text: Arc<String>,
    base: Option<Arc<BufferBase>>,
    shared: SharedRepo,
    tx: mpsc::UnboundedSender<Event>,
) {
    tokio::task::spawn_blocking(move || {
        let result = catch(|| {
            let base = match base {
                Some(base) => base,
                None => {
                    let guard = open_shared(&shared, &root)?;
                    let Some(repo) = guard.as_ref() else {
                        return Err("the repository could not be opened".to_string());
                    };
                    Arc::new(git::buffer::buffer_base(repo, &rel_path).map_err(|e| e.to_string())?)
                }
            };
            // Line endings and `ident` are converted as `git add` would, which needs the
            // repository's attributes; most paths have no conversion and skip it.
            let converted = if base.converts && !base.link {
                let guard = open_shared(&shared, &root)?;
                let Some(repo) = guard.as_ref() else {
                    return Err("the repository could not be opened".to_string());
                };
                Some(
                    git::convert::to_git(repo, &rel_path, text.as_bytes())
                        .map_err(|e| e.to_string())?,
                )
            } else {
                None
            };
            let diff = git::buffer::diff_from_base(
                &base,
                &root,
                &rel_path,
                text.as_bytes(),
                converted.as_deref(),
            )
            .map_err(|e| e.to_string())?;
            Ok((base, diff))
        });
        let _ = tx.send(Event::BufferCounted {
            doc,
            version,
            result,
        });
    });
}

/// Learns the line limit from the author's history on the blocking pool; sends `Event::Learned`.
pub fn spawn_learn(
    root: PathBuf,
    head: Option<String>,
    fallback: u64,
    tx: mpsc::UnboundedSender<Event>,
) {
    tokio::task::spawn_blocking(move || {
        let result = catch(|| {
            let repo = git::open_worktree(&root).map_err(|e| e.to_string())?;
            let sizes = git::history::author_sizes(&repo).map_err(|e| e.to_string())?;
            Ok(crate::habit::LearnedLines::from_sizes(&sizes, fallback))
        });
        // The walk freed what it read; hand the pages back instead of keeping them for good.
        crate::release_free_memory();
        let _ = tx.send(Event::Learned { root, head, result });
    });
}

/// The repository kept open in `shared`, opened first if need be; held until the guard goes.
fn open_shared<'a>(
    shared: &'a SharedRepo,
    root: &std::path::Path,
) -> Result<std::sync::MutexGuard<'a, Option<git2::Repository>>, String> {
    // A poisoned lock only means an earlier job panicked: the repository is still usable.
    let mut guard = shared
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if guard.is_none() {
        *guard = Some(git::open_worktree(root).map_err(|e| e.to_string())?);
    }
    Ok(guard)
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
