//! The git work behind the engine's effects, as plain functions from a job to the event that
//! reports it; the driver runs them on the blocking pool, tests run them in place.

use std::sync::Arc;

use super::effect::{BufferJob, CountJob, GitJob, JobOutput, Scope, SharedRepo};
use super::{Error, Event};
use crate::config::{self, Parsed};
use crate::git::buffer::{BufferBase, BufferDiff};
use crate::git::{self, GitError, RepoCounts};
use crate::report;

/// The outcome of a count: the numbers and the settings in effect (with the repository file).
pub(crate) type CountResult = Result<(RepoCounts, Parsed), Error>;

/// The outcome of a buffer diff: the base it was compared with (to keep) and the diff.
pub(crate) type BufferResult = Result<(Arc<BufferBase>, BufferDiff), Error>;

/// Counts a repository. With a narrower scope than `Scope::Full` and a previous count, only what
/// changed is re-counted, unless that could be inexact.
pub(super) fn count(job: CountJob) -> Event {
    let CountJob {
        root,
        generation,
        settings,
        scope,
        previous,
        repo: shared,
    } = job;
    let result = catch(|| {
        let parsed = config::with_repo_file(&settings, &root);
        let mut options = report::count_options(&parsed.settings);
        options.stamp_index = true;
        with_shared(&shared, &root, |repo| {
            if let Some(counts) = recount(repo, &scope, previous.as_deref(), &options) {
                return (Ok((counts, parsed)), Keep::Open);
            }
            let counts = repo.count(&options);
            // A full count of a large repository frees much of what it read (the index file's
            // bytes, the walk's lists): hand those pages back instead of keeping them for good.
            crate::release_free_memory();
            // Open afresh next time: in case the repository itself changed under us, and so
            // that what libgit2 keeps of a full count (a whole index, when the scan declined)
            // goes.
            let result = counts.map(|counts| (counts, parsed)).map_err(Error::from);
            (result, Keep::Close)
        })
    });
    Event::Counted {
        root,
        generation,
        result: Box::new(result),
    }
}

/// A re-count of only what `scope` names on top of `previous`, where that is exact; `None` means
/// count everything.
fn recount(
    repo: &git::Repo,
    scope: &Scope,
    previous: Option<&RepoCounts>,
    options: &git::CountOptions,
) -> Option<RepoCounts> {
    let partial = match scope {
        Scope::Full => return None,
        Scope::Paths(paths) => repo.recount(previous?, git::Changed::Paths(paths), options),
        Scope::GitDir(paths) => repo.recount(previous?, git::Changed::GitDir(paths), options),
    };
    match partial {
        Ok(Some(counts)) => return Some(counts),
        Ok(None) => {
            tracing::debug!("a re-count of what changed could be inexact; counting everything")
        }
        Err(error) => tracing::debug!("partial count failed ({error}); counting everything"),
    }
    None
}

/// Diffs an open buffer against HEAD, the index and the disk. With a base (the file's HEAD and
/// index versions) the repository is not touched at all; without, the base is read through the
/// repository the counts keep open (after any count that holds it), so that no third copy of a
/// large index is ever loaded.
pub(super) fn diff_buffer(job: BufferJob) -> Event {
    let BufferJob {
        root,
        rel_path,
        doc,
        version,
        text,
        base,
        repo: shared,
    } = job;
    let result = catch(|| {
        let base = match base {
            Some(base) => base,
            None => Arc::new(with_shared(&shared, &root, |repo| {
                let base = repo.buffer_base(&rel_path).map_err(Error::from);
                (base, Keep::Open)
            })?),
        };
        let diff = git::buffer_diff(&root, &base, &rel_path, text.as_bytes())?;
        Ok((base, diff))
    });
    Event::BufferCounted {
        doc,
        version,
        result,
    }
}

/// Learns the line limit from the author's history.
pub(super) fn learn(root: std::path::PathBuf, head: Option<String>, fallback: u64) -> Event {
    let result = catch(|| {
        let sizes = git::open(&root)?.author_sizes()?;
        Ok(crate::habit::LearnedLines::from_sizes(&sizes, fallback))
    });
    // The walk freed what it read; hand the pages back instead of keeping them for good.
    crate::release_free_memory();
    Event::Learned { root, head, result }
}

/// Runs a command's git work on the repository the counts keep open.
pub(super) fn run(ticket: u64, root: std::path::PathBuf, shared: SharedRepo, job: GitJob) -> Event {
    let result = catch(|| {
        with_shared(&shared, &root, |repo| {
            let result = run_on(repo, &job);
            // A write loaded the whole index into this repository object (libgit2 writes it
            // whole): let it go rather than keep it, and with it whatever a failed write left.
            let keep = if job.writes() {
                Keep::Close
            } else {
                Keep::Open
            };
            (result, keep)
        })
    });
    Event::Ran { ticket, result }
}

fn run_on(repo: &git::Repo, job: &GitJob) -> Result<JobOutput, Error> {
    let bytes = |text: &Option<Arc<String>>| text.as_ref().map(|t| t.as_bytes().to_vec());
    // Each job reads the index file as it is now: lookups read it up to their entry, writes
    // read it whole under git's lock (`stage::with_index`).
    match job {
        GitJob::StageHunk { path, text, target } => {
            repo.stage_hunk(path, bytes(text).as_deref(), target)?;
            Ok(JobOutput::Done)
        }
        GitJob::UnstageHunk { path, target } => {
            repo.unstage_hunk(path, target)?;
            Ok(JobOutput::Done)
        }
        GitJob::StageFile { path, text, links } => {
            repo.stage_file(path, bytes(text).as_deref())?;
            for link in links {
                repo.stage_file(link, None)?;
            }
            Ok(JobOutput::Done)
        }
        GitJob::UnstageFile { path } => {
            repo.unstage_file(path)?;
            Ok(JobOutput::Done)
        }
        GitJob::Commit {
            message,
            strip_comments,
        } => commit(repo, message, *strip_comments),
        GitJob::CommitDocument { path } => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| GitError::io(format!("could not read {}", path.display()), e))?;
            if git::commit::message_is_empty(&text, true) {
                return Ok(JobOutput::EmptyMessage);
            }
            commit(repo, &text, true)
        }
        GitJob::PrepareCommitMessage => Ok(JobOutput::CommitMessage(prepare_commit_message(repo)?)),
        GitJob::Hunks { path, text } => Ok(JobOutput::Hunks(
            repo.file_hunks(path, Some(text.as_bytes()))?,
        )),
    }
}

fn commit(repo: &git::Repo, message: &str, strip_comments: bool) -> Result<JobOutput, Error> {
    let options = git::CommitOptions {
        strip_comments,
        ..git::CommitOptions::default()
    };
    Ok(JobOutput::Committed(repo.commit_staged(message, &options)?))
}

/// Writes `<git dir>/COMMIT_EDITMSG` with the staged summary as comments; returns its path.
fn prepare_commit_message(repo: &git::Repo) -> Result<std::path::PathBuf, GitError> {
    let counts = repo.count(&git::CountOptions::default())?;
    let mut text = String::from(
        "\n# Write the commit message above, then save this file to commit the staged hunks.\n",
    );
    text.push_str("# Lines starting with '#' are ignored; an empty message commits nothing.\n#\n");
    let staged = git::LineStat::of(&counts.staged);
    text.push_str(&format!(
        "# Staged: {} files, +{} −{}\n",
        staged.files, staged.added, staged.removed
    ));
    for file in &counts.staged {
        text.push_str(&format!(
            "#   {}  +{} −{}\n",
            file.path, file.added, file.removed
        ));
    }
    let path = repo.git_dir().join("COMMIT_EDITMSG");
    std::fs::write(&path, text)
        .map_err(|e| GitError::io(format!("could not write {}", path.display()), e))?;
    Ok(path)
}

/// Whether a job leaves the shared repository open for the next one.
enum Keep {
    Open,
    Close,
}

/// Runs `job` on the repository kept open in `shared` (opened first if need be), holding it
/// alone until `job` returns; keeps it open afterwards unless `job` says to close it.
fn with_shared<T>(
    shared: &SharedRepo,
    root: &std::path::Path,
    job: impl FnOnce(&git::Repo) -> (Result<T, Error>, Keep),
) -> Result<T, Error> {
    // A poisoned lock only means an earlier job panicked: the repository is still usable.
    let mut guard = shared
        .0
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let repo = match guard.take() {
        Some(repo) => repo,
        None => git::open(root)?,
    };
    let (result, keep) = job(&repo);
    if let Keep::Open = keep {
        *guard = Some(repo);
    }
    result
}

/// Runs `job`, turning a panic into `Error::Internal` so one bad file cannot stop the server.
pub(super) fn catch<T>(job: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(job)) {
        Ok(result) => result,
        Err(_) => {
            tracing::error!("a git job panicked; the server keeps running");
            Err(Error::Internal)
        }
    }
}
