//! The effects the engine asks for, and the git work they carry: plain values, run by `driver`.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::watch::SharedStamp;
use super::{DocId, Error, Message, Outcome, Output, Reply};
use crate::config::Settings;
use crate::git::buffer::BufferBase;
use crate::git::{RepoCounts, RepoInfo};

/// One thing for the driver to do. Those that do git work come back as an event.
#[derive(Debug)]
pub(crate) enum Effect {
    /// Count a repository (`Event::Counted`).
    Count(CountJob),
    /// Diff an open buffer against HEAD, the index and the disk (`Event::BufferCounted`).
    DiffBuffer(BufferJob),
    /// Learn the line limit from the author's history (`Event::Learned`).
    Learn {
        root: PathBuf,
        head: Option<String>,
        fallback: u64,
    },
    /// A command's git work on the repository the counts keep open (`Event::Ran` with the
    /// ticket).
    Run {
        ticket: u64,
        root: PathBuf,
        repo: SharedRepo,
        job: GitJob,
    },
    /// A planner's job, on a repository of its own (`Event::Ran` with the ticket): planning can
    /// take a while and must not hold up the counts.
    Plan {
        ticket: u64,
        root: PathBuf,
        job: PlanJob,
    },
    /// Absorb's job, on a repository of its own (`Event::Ran` with the ticket).
    Absorb {
        ticket: u64,
        root: PathBuf,
        job: AbsorbJob,
    },
    /// Append a snapshot of these files to the repository's record of how the work was done
    /// (`crate::record`), on the blocking pool; nothing comes back (a failure costs the record
    /// alone). Never asked for on a keystroke: on saves (with the saved text) and finished
    /// file-system writes (read from disk once settled).
    Record {
        root: PathBuf,
        files: Vec<crate::record::Observed>,
    },
    /// Send `Event::Flush(root)` after `delay`.
    FlushAfter {
        root: PathBuf,
        delay: Duration,
    },
    /// Watch a repository with the server's own watcher, until `Unwatch`.
    Watch {
        info: RepoInfo,
        stamp: SharedStamp,
    },
    Unwatch(PathBuf),
    /// Send something to the front end, after everything sent before it.
    Send(Message),
    /// Answer a read at once, ahead of outputs still on their way (nothing it says depends on
    /// them: the hunks of a document).
    Answer(Reply, Result<Outcome, Error>),
}

impl Effect {
    pub(super) fn output(output: Output) -> Effect {
        Effect::Send(Message::Output(output))
    }

    pub(super) fn reply(reply: Reply, result: Result<Outcome, Error>) -> Effect {
        Effect::Send(Message::Reply(reply, result))
    }
}

/// What a count must cover.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Scope {
    /// Everything: the index, HEAD or settings may have changed.
    Full,
    /// Only these working-tree paths changed (relative to the root).
    Paths(BTreeSet<String>),
    /// The index, HEAD or refs changed, and these working-tree paths.
    GitDir(BTreeSet<String>),
}

/// A repository kept open between jobs (`git::Repo` is `Send`, not `Sync`: one job at a
/// time holds it). Filled by the first job that needs it (`jobs::with_shared`).
#[derive(Clone, Default)]
pub(crate) struct SharedRepo(pub(super) Arc<std::sync::Mutex<Option<crate::git::Repo>>>);

impl std::fmt::Debug for SharedRepo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SharedRepo")
    }
}

/// A count to run: what to count, on which repository, on top of which previous count.
#[derive(Debug)]
pub(crate) struct CountJob {
    pub root: PathBuf,
    pub generation: u64,
    /// The editor's settings (the repository's own file is read by the job).
    pub settings: Settings,
    pub scope: Scope,
    pub previous: Option<Arc<RepoCounts>>,
    pub repo: SharedRepo,
}

/// A buffer diff to run.
#[derive(Debug)]
pub(crate) struct BufferJob {
    pub root: PathBuf,
    pub rel_path: String,
    pub doc: DocId,
    pub version: i32,
    pub text: Arc<String>,
    /// The file's HEAD and index versions from the last diff, while they hold.
    pub base: Option<Arc<BufferBase>>,
    pub repo: SharedRepo,
}

/// The git work of a command.
#[derive(Debug, Clone)]
pub(crate) enum GitJob {
    StageHunk {
        path: String,
        text: Option<Arc<String>>,
        target: crate::git::stage::HunkTarget,
    },
    UnstageHunk {
        path: String,
        target: crate::git::stage::HunkTarget,
    },
    StageFile {
        path: String,
        text: Option<Arc<String>>,
        /// Symlinks the document was opened through, staged as links (as `git add` does).
        links: Vec<String>,
    },
    UnstageFile {
        path: String,
    },
    /// Commit with `message`; `strip_comments` for a message from the commit-message document.
    Commit {
        message: String,
        strip_comments: bool,
    },
    /// Commit with the text of the saved commit-message document at `path`, unless it is empty.
    CommitDocument {
        path: PathBuf,
    },
    /// Write the commit-message document.
    PrepareCommitMessage,
    /// The hunks of a file with the buffer's text.
    Hunks {
        path: String,
        text: Arc<String>,
    },
}

/// The commit planner's work (`plan_jobs`): a type of its own, so that no planner's job can reach
/// the runner of the counts' repository, nor the other way round.
#[derive(Debug, Clone)]
pub(crate) enum PlanJob {
    /// Plan the uncommitted work and write the plan document (`<git dir>/COMMIT_PLAN`);
    /// `use_record` is the `recordWork` setting (off, an existing record is not read).
    Open { use_record: bool },
    /// Plan the uncommitted work only to learn how many commits it makes (for the title of the
    /// "Split into N commits…" action); `key` names the work the engine saw.
    Preview { key: String, use_record: bool },
    /// Apply the saved plan document at `document` (the git directory's `COMMIT_PLAN` without);
    /// `fingerprint` is that of the plan the server made, for a document that lost its own.
    Apply {
        document: Option<PathBuf>,
        fingerprint: Option<String>,
    },
    /// Stage exactly the hunks of planned commit `commit` (0-based) of `plan`.
    StagePlanned {
        plan: Arc<crate::plan::Plan>,
        commit: usize,
    },
}

/// Absorb's work (`absorb_jobs`): like the planner's, on a repository of its own.
#[derive(Debug, Clone)]
pub(crate) enum AbsorbJob {
    /// Work out absorb's fix-ups and write the absorb document (`<git dir>/COMMIT_ABSORB`).
    Open,
    /// Work out absorb's targets only, for the actions and lenses; `key` names the work.
    Preview { key: String },
    /// Apply the saved absorb document at `document`; `made_for` is the fingerprint and HEAD of
    /// the report the server wrote it from (the document must still be of that work).
    Apply {
        document: PathBuf,
        made_for: (String, String),
    },
    /// Fold one hunk into `target`.
    Hunk {
        hunk: crate::plan::HunkKey,
        target: String,
    },
}

/// Any kind of job, as the engine starts them (`State::start_job`).
#[derive(Debug, Clone)]
pub(crate) enum Job {
    Git(GitJob),
    Plan(PlanJob),
    Absorb(AbsorbJob),
}

impl From<GitJob> for Job {
    fn from(job: GitJob) -> Job {
        Job::Git(job)
    }
}

impl From<PlanJob> for Job {
    fn from(job: PlanJob) -> Job {
        Job::Plan(job)
    }
}

impl From<AbsorbJob> for Job {
    fn from(job: AbsorbJob) -> Job {
        Job::Absorb(job)
    }
}

impl Job {
    /// Whether the job writes the index or HEAD (a re-count follows).
    pub(crate) fn writes(&self) -> bool {
        match self {
            Job::Git(job) => job.writes(),
            Job::Plan(job) => job.writes(),
            Job::Absorb(job) => !matches!(job, AbsorbJob::Open | AbsorbJob::Preview { .. }),
        }
    }
}

impl GitJob {
    /// Whether the job writes the index or HEAD (a re-count follows).
    pub(crate) fn writes(&self) -> bool {
        !matches!(self, GitJob::PrepareCommitMessage | GitJob::Hunks { .. })
    }
}

impl PlanJob {
    /// Whether the job writes the index or HEAD (a re-count follows).
    pub(crate) fn writes(&self) -> bool {
        !matches!(self, PlanJob::Open { .. } | PlanJob::Preview { .. })
    }
}

/// What a command's git work gave.
#[derive(Debug)]
pub(crate) enum JobOutput {
    Done,
    Committed(crate::git::commit::CommitOutcome),
    /// The commit-message document was empty: nothing was committed.
    EmptyMessage,
    CommitMessage(PathBuf),
    Hunks(crate::git::hunks::FileHunks),
    /// A plan was made and its document written.
    Plan {
        document: PathBuf,
        plan: Arc<crate::plan::Plan>,
    },
    /// How many commits the plan of the work named `key` has.
    Preview {
        key: String,
        commits: usize,
    },
    /// A plan was applied.
    Applied(crate::plan::ApplyOutcome),
    /// Absorb's fix-ups were worked out and their document written.
    AbsorbDocument {
        document: PathBuf,
        report: Arc<crate::absorb::AbsorbReport>,
    },
    /// Absorb's targets for the work named `key` (`None`: it could not be worked out).
    AbsorbPreview {
        key: String,
        report: Option<Arc<crate::absorb::AbsorbReport>>,
    },
    /// Fix-ups were made.
    Absorbed(crate::absorb::apply::AbsorbOutcome),
}
