//! The workspace engine: the one owner of all live state, with events and commands in and effects
//! out.
//!
//! Events (documents opened, edited, saved, files changed on disk, settings, commands from the
//! editor, and the results of git work) are applied in order by `State::handle`, which returns
//! the effects they call for: count a repository, diff a buffer, run a command's git work, start
//! a timer, show something, answer a command. The engine itself starts no task and reads no
//! clock but the one in `Options`: `driver` runs the effects (git work on the blocking pool) and
//! feeds their results back as events carrying a generation, a document version or a ticket, so
//! stale results are dropped. The engine is therefore tested in memory, effect by effect.
//!
//! `handle` does no git work of its own beyond discovering a new repository (a few file reads);
//! everything else runs as an effect.

mod absorb_jobs;
mod absorbs;
mod buffers;
mod commands;
mod driver;
mod effect;
mod jobs;
mod plan_jobs;
mod plans;
mod publish;
mod recount;
mod state;
#[cfg(test)]
mod tests;
mod waiting;
mod watch;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;

use crate::config::Settings;
use crate::git::GitError;
use crate::nudge::Nudge;
use crate::report::StatusReport;

pub(crate) use crate::git::commit::CommitOutcome;
pub(crate) use crate::git::hunks::{FileHunks, Hunk, LineSelection};
pub(crate) use crate::git::stage::HunkTarget;
pub(crate) use driver::spawn;
pub(crate) use effect::JobOutput;
pub(crate) use jobs::{BufferResult, CountResult};
pub(crate) use state::State;

/// The directories the server's own watcher watches in the worktree at `root` (for tests and
/// diagnostics): everything but `.git/objects`, logs, hooks, and ignored trees with no tracked
/// file; which trees hold tracked files is read from the index itself, or with `from_stamp` from
/// an index stamp, as after the first count.
pub fn watched_dirs(root: &Path, from_stamp: bool) -> Vec<PathBuf> {
    let repo = crate::git::open_worktree(root).ok();
    let stamp = from_stamp
        .then(|| repo.as_ref()?.index().ok())
        .flatten()
        .map(|index| Arc::new(crate::git::index_stamp::IndexStamp::of(&index)));
    let repo = repo.map(std::sync::Mutex::new);
    watch::watched_dirs_under(root, root, repo.as_ref(), stamp)
}

/// The client's name for an open document (its URI), opaque to this room.
pub(crate) type DocId = String;

/// The engine's clock, in Unix seconds.
pub(crate) type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// How the workspace behaves; tests shorten the debounce and fix the clock.
#[derive(Clone)]
pub struct Options {
    /// How long to gather a burst of changes before re-counting (the bound on the delay).
    pub debounce: Duration,
    /// How often to re-evaluate the nudges with no event (ages grow with time alone).
    pub tick: Duration,
    /// Watch each repository with the server's own file watcher.
    pub watch_files: bool,
    /// The clock, in Unix seconds.
    pub now: Clock,
    /// Plan the work in the background when a nudge is about its size, so that the "Split into
    /// N commits…" action can say its N (the language server does; the prompt daemon does not).
    pub plan_in_background: bool,
    /// Work out in the background which commit each hunk would absorb into, for the absorb
    /// actions and lenses (the language server does; the prompt daemon does not).
    pub absorb_in_background: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            debounce: Duration::from_millis(60),
            tick: Duration::from_secs(30),
            watch_files: true,
            now: Arc::new(crate::unix_now),
            plan_in_background: true,
            absorb_in_background: true,
        }
    }
}

/// Something that happened, fed to the workspace in order.
#[derive(Debug)]
pub(crate) enum Event {
    /// The editor's settings changed (already parsed; problems already reported). The front end
    /// turns `ask_on_warning` off for a client that cannot ask.
    Configure(Settings),
    AddFolders(Vec<PathBuf>),
    RemoveFolders(Vec<PathBuf>),
    Opened {
        doc: DocId,
        path: PathBuf,
        version: i32,
        text: String,
    },
    Changed {
        doc: DocId,
        version: i32,
        text: String,
    },
    Saved {
        doc: DocId,
        path: PathBuf,
    },
    Closed {
        doc: DocId,
    },
    /// Files changed on disk, from the client's watcher.
    FilesChanged(Vec<PathBuf>),
    /// What our own watcher saw: paths `changed` (to count again), and files `written` (closed
    /// after a write, or renamed into place: what the record of the work takes).
    Watched {
        changed: Vec<PathBuf>,
        written: Vec<PathBuf>,
    },
    /// The worktree at this root, or its `.git`, was made anew (a re-clone, `rm -rf` and
    /// `git init`): the old watches and the open repository point at what is gone.
    Rearm(PathBuf),
    /// Something the user asked for; answered once, through `reply`.
    Command {
        command: Command,
        reply: Reply,
    },
    /// A request wants an owned snapshot of the state.
    Query(Query),
    /// Internal: a count finished.
    Counted {
        root: PathBuf,
        generation: u64,
        result: Box<CountResult>,
    },
    /// Internal: a buffer diff finished.
    BufferCounted {
        doc: DocId,
        version: i32,
        result: BufferResult,
    },
    /// Internal: the line limit learned from the author's history at `head`.
    Learned {
        root: PathBuf,
        head: Option<String>,
        result: Result<crate::habit::LearnedLines, Error>,
    },
    /// Internal: a command's git work finished.
    Ran {
        ticket: u64,
        result: Result<JobOutput, Error>,
    },
    /// Internal: the debounce of a repository ran out.
    Flush(PathBuf),
    /// Internal: the watcher of a repository could not start (the editor's events remain).
    Unwatched(PathBuf),
    /// Internal: a barrier file appeared in a repository's git directory (see `Query::Fresh`):
    /// every change made on disk before it was written has been seen. Holds the file's name.
    Barrier(String),
    /// Internal: time passed.
    Tick,
}

/// What the user can ask of the engine (the language server's commands, the prompt daemon's
/// questions). The commit plan's commands join as variants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Command {
    /// Stage one unstaged hunk (or some of its lines) of `path`, as the open buffer shows it.
    StageHunk {
        root: PathBuf,
        path: String,
        target: HunkTarget,
    },
    /// Put the HEAD version of one staged hunk back in the index.
    UnstageHunk {
        root: PathBuf,
        path: String,
        target: HunkTarget,
    },
    /// Stage a whole file, as the open buffer shows it.
    StageFile { root: PathBuf, path: String },
    /// Put a file's HEAD version back in the index.
    UnstageFile { root: PathBuf, path: String },
    /// Commit the index with `git commit` (hooks and signing as in a terminal).
    Commit { root: PathBuf, message: String },
    /// Write a commit-message document (as `git commit` writes COMMIT_EDITMSG); saving it with a
    /// message commits.
    OpenCommitMessage { root: PathBuf },
    /// Hide the nudges of the repository at `root` (every repository without one) for `minutes`
    /// (the `snoozeMinutes` setting without).
    Snooze {
        root: Option<PathBuf>,
        minutes: Option<u64>,
    },
    /// Count everything again; answered once the counts it started are published.
    Refresh,
    /// The hunks of an open document, with an owned snapshot of it (for code actions).
    Hunks { doc: DocId },
    /// Plan the uncommitted work and write the plan document; saving it applies the plan,
    /// closing it unsaved cancels.
    OpenPlan { root: PathBuf },
    /// Apply the saved plan document of the repository at `root`.
    ApplyPlan { root: PathBuf },
    /// Stage exactly the hunks of planned commit `commit` (1-based) of the plan open for `root`.
    StagePlanned { root: PathBuf, commit: usize },
    /// Work out the fix-ups absorb proposes and write the absorb document; saving it applies
    /// them, closing it unsaved cancels.
    OpenAbsorb { root: PathBuf },
    /// Fold one hunk (named by its numbers) into `target` with a `fixup!` commit.
    AbsorbHunk {
        root: PathBuf,
        hunk: crate::plan::HunkKey,
        target: String,
    },
}

/// What a command did.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// The index was written.
    Done,
    Committed(CommitOutcome),
    /// The commit-message document to show.
    CommitMessage {
        path: PathBuf,
    },
    Snoozed {
        until_unix: i64,
    },
    Refreshed,
    /// The document and its hunks; `None` when the document is not open in a repository.
    Hunks(Option<Box<(DocSnapshot, FileHunks)>>),
    /// The plan document to show, and how many commits it proposes.
    Plan {
        document: PathBuf,
        commits: usize,
    },
    /// A plan was applied: the commits made, and how many hunks it left uncommitted.
    Applied(crate::plan::ApplyOutcome),
    /// The absorb document to show, and how many hunks into how many commits it folds.
    AbsorbDocument {
        document: PathBuf,
        hunks: usize,
        commits: usize,
    },
    /// Fix-ups were made (and with a rewrite squashed).
    Absorbed(crate::absorb::apply::AbsorbOutcome),
}

/// Why a command failed, in words fit for the user.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    /// The root a command named is not a repository that can be read.
    #[error("{0}")]
    Root(GitError),
    /// Git refused or failed the work.
    #[error("{0}")]
    Git(#[from] GitError),
    #[error("no repository is open in this workspace")]
    NoRepository,
    /// The commit plan could not be made or applied (stale, a bad document, a hook said no).
    #[error("{0}")]
    Plan(#[from] crate::plan::PlanError),
    /// A job panicked: a bug of ours, reported as such.
    #[error("internal error (a bug in commit-nudge; the server keeps running)")]
    Internal,
}

/// Where a command's answer goes: to whoever asked, after every output before it has gone out.
pub(crate) struct Reply(Option<oneshot::Sender<Result<Outcome, Error>>>);

impl Reply {
    /// A reply and the receiver that gets the answer.
    pub(crate) fn new() -> (Reply, oneshot::Receiver<Result<Outcome, Error>>) {
        let (tx, rx) = oneshot::channel();
        (Reply(Some(tx)), rx)
    }

    pub(crate) fn send(self, result: Result<Outcome, Error>) {
        if let Some(tx) = self.0 {
            // The asker may have given up: nothing to do then.
            let _ = tx.send(result);
        }
    }
}

impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Reply")
    }
}

/// Requests answered from the state at once.
#[derive(Debug)]
pub(crate) enum Query {
    /// The context of an open document, for code actions and lenses.
    Document {
        doc: DocId,
        reply: oneshot::Sender<Option<DocSnapshot>>,
    },
    /// The status of the repository at `root` once it counts every change made before this
    /// query: the asker writes a file named `barrier` into the git directory right after sending
    /// it, and the answer waits until the watcher has delivered that file's creation (events of
    /// one watcher arrive in order) and the counts it made due are done.
    Fresh {
        root: PathBuf,
        barrier: String,
        reply: oneshot::Sender<Fresh>,
    },
}

/// The answer to `Query::Fresh`.
#[derive(Debug, Clone)]
pub(crate) enum Fresh {
    /// Up to date with everything on disk before the barrier.
    Ready(Box<StatusReport>),
    /// This workspace cannot vouch for its numbers (why, for the log): count afresh instead.
    Unsure(String),
}

/// The start of the name of the barrier files of `Query::Fresh`.
pub(crate) const BARRIER_PREFIX: &str = "commit-nudge-barrier.";

/// An owned copy of what a request needs to know about one document.
#[derive(Debug, Clone)]
pub(crate) struct DocSnapshot {
    pub root: PathBuf,
    pub rel_path: String,
    pub text: Arc<String>,
    pub settings: Settings,
    pub report: Option<StatusReport>,
    /// Whether the document's text differs from the file on disk (unsaved edits).
    pub dirty: bool,
    /// Whether the document holds uncommitted changes (against HEAD).
    pub file_changed: bool,
    /// Whether a symlink the document was opened through has unstaged changes (re-pointed):
    /// "Stage file" stages it too.
    pub link_changed: bool,
    /// The document's added and removed lines against HEAD.
    pub file_stat: (u64, u64),
    /// The commit plan open for the document's repository (its document not yet saved or closed).
    pub plan: Option<Arc<crate::plan::Plan>>,
    /// How many commits a plan of the work as it is now would make, when that is known.
    pub split_into: Option<usize>,
    /// Which commit each hunk of the work as it is now would absorb into, when that is known.
    pub absorb: Option<Arc<crate::absorb::AbsorbReport>>,
}

/// A nudge placed on a line of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PlacedNudge {
    pub line: u32,
    pub nudge: Nudge,
}

/// What the editor should show, in order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Output {
    /// The complete set of nudge diagnostics for a document (empty clears them).
    Diagnostics { doc: DocId, items: Vec<PlacedNudge> },
    /// A repository's status changed.
    Status(Box<StatusReport>),
    /// A nudge just turned into a warning: offer the next step (commit, snooze, settings), once
    /// in a cool-down.
    Offer(Box<StatusReport>),
    /// A problem the user should read once (bad settings, a repository that cannot be read).
    Warning(String),
    /// Something the user did failed (a commit from the commit-message document).
    Failure(String),
    /// Something the user did succeeded, worth a line (a commit from the document).
    Info(String),
    /// Code lenses may have changed.
    CodeLensRefresh,
    /// The first count of a repository began (for `$/progress`).
    ScanStarted(PathBuf),
    /// The first count of a repository ended.
    ScanFinished(PathBuf),
}

/// What leaves the engine for the front end, in order: an output, or a command's answer (which
/// so follows every output emitted before it).
#[derive(Debug)]
pub(crate) enum Message {
    Output(Output),
    Reply(Reply, Result<Outcome, Error>),
}

impl Message {
    /// Delivers a reply; gives back an output for the front end to show.
    pub(crate) fn deliver(self) -> Option<Output> {
        match self {
            Message::Output(output) => Some(output),
            Message::Reply(reply, result) => {
                reply.send(result);
                None
            }
        }
    }
}
