//! The commit planner: the uncommitted work split into a few ordered, titled commits.
//!
//! Hunks and signals go in, ordered groups with titles come out. The rooms of the planner:
//! `read_by_git` takes the hunks of `git diff -U0 --no-renames HEAD` (untracked files included)
//! from git itself, through the door, in every repository, so they are exactly git's (`read`, the
//! same with libgit2's diff, which now and then cuts a change elsewhere, serves absorb); `cochange` reads which files the history commits together (cached per
//! HEAD); `group` is pure: it weighs references, co-change, place, staging and the record's episodes and
//! returns ordered groups; `title` names them; `document` renders and parses the plan document
//! (`.git/COMMIT_PLAN`); `apply` makes the commits with the user's `git commit`.
//!
//! Nothing here knows the protocol or an async runtime: plain Rust types in, plain out.

mod affinity;
pub(crate) mod apply;
pub(crate) mod cochange;
pub mod document;
pub(crate) mod episodes;
mod facts;
mod group;
mod model;
mod options;
pub(crate) mod read;
pub(crate) mod read_by_git;
mod scope;
#[cfg(test)]
mod test_hunks;
pub(crate) mod title;
pub(crate) mod tokens;

use std::path::PathBuf;

use serde::Serialize;

pub use apply::{apply_plan, stage_commit, ApplyOptions, ApplyOutcome};
pub use document::{parse_document, render_document, DocumentError, PlannedCommit, DOCUMENT_NAME};
pub(crate) use group::Signals;
pub use options::{GroupOptions, Weights};
pub(crate) use read_by_git::work_of;

use crate::git::GitError;
use crate::hunk_range::HunkRange;

/// What changed in one hunk's file, as far as applying it is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HunkKind {
    /// Lines changed in a file that exists on both sides.
    Text,
    /// A file that HEAD lacks (untracked, or added to the index): one hunk with all its lines.
    Added,
    /// A file the working tree lacks: one hunk with all its old lines.
    Deleted,
    /// A binary change, a mode-only change or a change of type (file, link): one hunk, no lines.
    Whole,
}

/// One hunk of the uncommitted work, numbered as `git diff -U0 --no-renames HEAD` numbers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanHunk {
    /// The path, `/`-separated, relative to the worktree.
    pub path: String,
    /// Its numbers, `@@ -a,b +c,d @@` (all zeros for a `Whole` change).
    pub range: HunkRange,
    /// git's hunk-header context: the line that opens the enclosing function (may be empty).
    pub header: String,
    /// What changed in the file: lines, or the whole file (added, deleted, binary, mode).
    pub kind: HunkKind,
    /// The removed lines, each with its line ending.
    pub removed: Vec<Vec<u8>>,
    /// The added lines, each with its line ending.
    pub added: Vec<Vec<u8>>,
    /// Whether the index already holds exactly this change (the user staged it).
    pub staged: bool,
}

impl PlanHunk {
    /// The hunk's name in a plan document: path, numbers and (when there is one) header.
    pub(crate) fn label(&self) -> String {
        let mut label = format!("{} {}", self.path, self.range);
        let header = self.header.trim();
        if !header.is_empty() {
            label.push(' ');
            label.push_str(header);
        }
        label
    }

    /// The numbers that identify a hunk within one diff.
    pub(crate) fn key(&self) -> HunkKey {
        HunkKey {
            path: self.path.clone(),
            range: self.range,
        }
    }
}

/// A hunk's path and numbers: how a plan document names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HunkKey {
    /// The path, `/`-separated, relative to the worktree.
    pub path: String,
    /// The hunk's numbers in `git diff -U0 --no-renames HEAD`.
    pub range: HunkRange,
}

/// One proposed commit: a title, why its hunks go together, and the hunks (indices into the
/// work's hunk list).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// A short imperative line, the commit message's first.
    pub title: String,
    /// Why its hunks go together ("both touch `parse`"), for the document's `# why:` line.
    pub why: String,
    /// Indices into the work's hunks.
    pub hunks: Vec<usize>,
}

/// A commit plan for one worktree.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The worktree planned.
    pub root: PathBuf,
    /// HEAD's commit id, `None` on an unborn branch.
    pub head: Option<String>,
    /// Every hunk of the work (what `git add -A` would commit), file by file.
    pub hunks: Vec<PlanHunk>,
    /// The proposed commits, in the order to make them.
    pub groups: Vec<Group>,
    /// Set when the work was too large to plan finely and the plan groups by directory instead.
    pub coarse_note: Option<String>,
    /// A fingerprint of every hunk, to refuse a plan document made for other work.
    pub fingerprint: String,
}

/// Why a plan could not be made or applied, worded for the user.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// Reading or writing the repository failed.
    #[error(transparent)]
    Git(#[from] GitError),
    #[error("a {0} is in progress: finish or abort it before planning commits")]
    /// A merge, rebase, cherry-pick, revert or bisect (named) is in progress.
    InProgress(&'static str),
    #[error("the index has conflicts ({0}): resolve them before planning commits")]
    /// The index has conflicts (the paths).
    Conflicted(String),
    #[error("{0}")]
    /// The plan document cannot be applied.
    Document(#[from] DocumentError),
    #[error("the plan is stale: {0}; nothing was applied, make the plan again")]
    /// The work changed since the plan was made (what changed).
    Stale(String),
    #[error("{0}")]
    /// Refused for a reason worded in full (nothing to plan, an unservable repository).
    Refused(String),
    #[error("commit {index} of {total} (\"{title}\") failed, {done} made before it; its hunks and the later ones are as they were:\n{words}")]
    /// `git commit` failed (a hook refused, say): the commits before it stay.
    CommitFailed {
        /// The failed commit's place, 1-based.
        index: usize,
        /// How many commits the plan has.
        total: usize,
        /// How many were made before it.
        done: usize,
        /// The failed commit's title.
        title: String,
        /// What git said.
        words: String,
    },
}

impl From<git2::Error> for PlanError {
    fn from(error: git2::Error) -> Self {
        PlanError::Git(GitError::from(error))
    }
}

pub(crate) type Result<T, E = PlanError> = std::result::Result<T, E>;

/// How to make a plan.
#[derive(Debug, Clone)]
pub struct PlanOptions {
    /// How hunks are grouped (the model, the threshold, the bounds).
    pub group: GroupOptions,
    /// Read co-change from this many recent commits (0: none).
    pub history_commits: usize,
    /// Keep the co-change cache under the git directory (the server and the CLI do).
    pub cache_history: bool,
    /// Read the worktree's record of how the work was done (`crate::record`) when there is one.
    pub use_record: bool,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            group: GroupOptions::default(),
            history_commits: 300,
            cache_history: true,
            use_record: true,
        }
    }
}

/// Plans the uncommitted work of the worktree at `root`.
///
/// `record` is the record of how the work was done (`crate::record`); with `None` and
/// `options.use_record`, the worktree's own record is read, if it has a usable one. The plan is
/// good without one.
pub fn plan_worktree(
    root: &std::path::Path,
    options: &PlanOptions,
    record: Option<&crate::record::Record>,
) -> Result<Plan> {
    let opened = crate::git::open(root)?;
    let (work, cochange) = work_and_cochange(&opened, options)?;
    let own_record = match record {
        None if options.use_record && !work.hunks.is_empty() => crate::record::load_worktree(root),
        _ => None,
    };
    let episodes = record
        .or(own_record.as_ref())
        .and_then(|record| episodes::episodes_of(record, &work.hunks));
    let signals = Signals {
        cochange: &cochange,
        old_texts: &work.old_texts,
        new_texts: &work.new_texts,
        episodes: episodes.as_deref(),
    };
    let outcome = group::group(&work.hunks, &signals, &options.group);
    let fingerprint = fingerprint(&work.hunks);
    Ok(Plan {
        root: work.root,
        head: work.head,
        groups: outcome.groups,
        coarse_note: outcome.coarse_note,
        hunks: work.hunks,
        fingerprint,
    })
}

/// What the pair model sees of the uncommitted work at `root` (`plan --features`, for the
/// benchmark's fit): the hunks, the starting group of each and the features of every pair, as
/// JSON. The record is not read.
pub fn features_worktree(root: &std::path::Path, options: &PlanOptions) -> Result<String> {
    let (work, cochange) = work_and_cochange(&crate::git::open(root)?, options)?;
    let signals = Signals {
        cochange: &cochange,
        old_texts: &work.old_texts,
        new_texts: &work.new_texts,
        episodes: None,
    };
    let dump = group::feature_dump(&work.hunks, &signals, &options.group);
    let hunks: Vec<(String, u32, u32, u32, u32)> = work
        .hunks
        .iter()
        .map(|h| {
            (
                h.path.clone(),
                h.range.old_start,
                h.range.old_lines,
                h.range.new_start,
                h.range.new_lines,
            )
        })
        .collect();
    let value = serde_json::json!({
        "hunks": hunks,
        "features": dump.features,
        "units": dump.units,
        "pairs": dump.pairs,
    });
    Ok(value.to_string())
}

/// The work as git's own patches (so the hunks are `git diff`'s), and the co-change: cached
/// from libgit2's walk where libgit2 reads the repository, from `git log` where git serves it.
fn work_and_cochange(
    opened: &crate::git::Repo,
    options: &PlanOptions,
) -> Result<(read::Work, cochange::CoChange)> {
    let by_git_history = if opened.libgit2().is_none() {
        options.history_commits
    } else {
        0
    };
    let (work, from_git) = read_by_git::read_work_by_git(opened, by_git_history)?;
    let cochange = match opened.libgit2() {
        Some(repo) if options.history_commits > 0 && !work.hunks.is_empty() => {
            cochange::cochange(repo, options.history_commits, options.cache_history)
                .unwrap_or_default()
        }
        Some(_) => cochange::CoChange::default(),
        None => from_git,
    };
    Ok((work, cochange))
}

/// A stable hash of every hunk's path, numbers and lines.
pub(crate) fn fingerprint(hunks: &[PlanHunk]) -> String {
    let mut hash = crate::git::fnv::Fnv::default();
    for hunk in hunks {
        hash.feed(hunk.label().as_bytes());
        crate::git::hunks::feed_lines(&mut hash, &hunk.removed, &hunk.added);
    }
    hash.hex()
}

/// The JSON form of a plan (`plan --json`).
#[derive(Debug, Serialize)]
pub struct PlanJson {
    /// The worktree planned.
    pub root: String,
    /// HEAD's commit id, `null` on an unborn branch.
    pub head: Option<String>,
    /// Why the plan is coarse, when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The proposed commits, in order.
    pub commits: Vec<CommitJson>,
}

/// One commit of `plan --json`.
#[derive(Debug, Serialize)]
pub struct CommitJson {
    /// The commit's title.
    pub title: String,
    /// Why its hunks go together.
    pub why: String,
    /// The paths it touches, in the order of its hunks.
    pub files: Vec<String>,
    /// Its hunks.
    pub hunks: Vec<HunkJson>,
}

/// One hunk of `plan --json`, with git's -U0 numbering.
#[derive(Debug, Serialize)]
pub struct HunkJson {
    /// The path, `/`-separated, relative to the worktree.
    pub path: String,
    /// The numbers, as four keys of the hunk's object (`old_start`, … `new_lines`).
    #[serde(flatten)]
    pub range: HunkRange,
    /// git's hunk-header context, trimmed.
    pub header: String,
}

impl Plan {
    /// The plan as `plan --json` prints it.
    pub fn to_json(&self) -> PlanJson {
        PlanJson {
            root: self.root.display().to_string(),
            head: self.head.clone(),
            note: self.coarse_note.clone(),
            commits: self
                .groups
                .iter()
                .map(|group| CommitJson {
                    title: group.title.clone(),
                    why: group.why.clone(),
                    files: files_of(&self.hunks, &group.hunks),
                    hunks: group
                        .hunks
                        .iter()
                        .map(|i| {
                            let h = &self.hunks[*i];
                            HunkJson {
                                path: h.path.clone(),
                                range: h.range,
                                header: h.header.trim().to_string(),
                            }
                        })
                        .collect(),
                })
                .collect(),
        }
    }

    /// The human form: each commit's title, then its files with lines added and removed.
    pub fn human(&self) -> String {
        let mut out = String::new();
        if let Some(note) = &self.coarse_note {
            out.push_str(&format!("note: {note}\n\n"));
        }
        let total = self.groups.len();
        for (n, group) in self.groups.iter().enumerate() {
            out.push_str(&format!("commit {}/{}: {}\n", n + 1, total, group.title));
            for file in files_of(&self.hunks, &group.hunks) {
                let (added, removed) = group
                    .hunks
                    .iter()
                    .map(|i| &self.hunks[*i])
                    .filter(|h| h.path == file)
                    .fold((0, 0), |(a, r), h| (a + h.added.len(), r + h.removed.len()));
                out.push_str(&format!("    {file}  +{added} -{removed}\n"));
            }
        }
        out
    }
}

/// The distinct paths of some hunks, in their first-seen order.
pub(crate) fn files_of(hunks: &[PlanHunk], indices: &[usize]) -> Vec<String> {
    let mut files: Vec<String> = Vec::new();
    for i in indices {
        if let Some(h) = hunks.get(*i) {
            if !files.contains(&h.path) {
                files.push(h.path.clone());
            }
        }
    }
    files
}
