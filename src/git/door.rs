//! The front door of the git core: what the engine, the status command and the prompt ask of a
//! repository (open, count, re-count, a file's hunks, a buffer's diff, stage, unstage, commit,
//! history), without knowing how it is read.
//!
//! Behind the door, a repository libgit2 opens (SHA-1 object names, files or reftable refs) keeps
//! every fast path (the scan, the re-counts, the small-index handles of `scratch`); one libgit2
//! cannot open (SHA-256 object names) is served by the hardened git CLI (`cli::CliRepo`). Callers
//! outside `src/git` never chain the internals (`scratch`, `index_file`, `convert`) themselves.

#![warn(missing_docs)]

use std::collections::BTreeSet;
use std::path::Path;

use crate::git::blame::{BranchCommit, SavedIndex};
use crate::git::buffer::{BufferBase, BufferDiff};
use crate::git::cli::CliRepo;
use crate::git::commit::{CommitOptions, CommitOutcome};
use crate::git::error::{GitError, Result};
use crate::git::history::{CommitSize, HistoryOptions};
use crate::git::hunks::FileHunks;
use crate::git::patch::WorkPatch;
use crate::git::stage::HunkTarget;
use crate::git::{CountOptions, RepoCounts};

/// An open repository, whichever backend reads it.
#[derive(Debug)]
pub struct Repo(Backend);

enum Backend {
    /// libgit2: every repository it can open.
    Lib(git2::Repository),
    /// The git CLI: SHA-256 object names.
    Cli(CliRepo),
}

impl std::fmt::Debug for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Backend::Lib(_) => "libgit2",
            Backend::Cli(_) => "git CLI",
        })
    }
}

/// The blobs and index entries of a repository git itself serves (SHA-256), for applying a plan.
#[derive(Debug)]
pub struct ByGit<'r>(&'r CliRepo);

impl ByGit<'_> {
    /// HEAD's entry of `rel_path`: its blob id, mode and content.
    pub fn head_blob(&self, rel_path: &str) -> Result<Option<(String, u32, Vec<u8>)>> {
        self.0.head_blob(rel_path)
    }

    /// The index's stage-0 entry of `rel_path`: its blob id and mode.
    pub fn index_row(&self, rel_path: &str) -> Result<Option<(String, u32)>> {
        self.0.index_row(rel_path)
    }

    /// Writes `content` as a blob; its id.
    pub fn write_blob(&self, content: &[u8]) -> Result<String> {
        self.0.write_blob(content)
    }

    /// What `git add` would store for the file `rel_path` on disk; `None` when it is gone.
    pub fn content_as_added(&self, rel_path: &str) -> Result<Option<Vec<u8>>> {
        self.0.content_as_added(rel_path)
    }

    /// Sets the index entries of these paths at once (`None`: removed), through git.
    pub fn set_index_rows(&self, rows: &[(String, Option<(u32, String)>)]) -> Result<()> {
        self.0.set_index_rows(rows)
    }
}

/// What stops a plan: an operation in progress (`"merge"`, `"rebase"`, …) or conflicted paths.
#[derive(Debug, Clone, Default)]
pub struct Busy {
    /// The operation git is in the middle of, if any.
    pub operation: Option<&'static str>,
    /// The paths with entries at stages 1–3, sorted.
    pub conflicted: Vec<String>,
}

/// What changed since the previous count, for a re-count of that alone.
#[derive(Debug, Clone, Copy)]
pub enum Changed<'a> {
    /// Only these working-tree paths (relative to the root).
    Paths(&'a BTreeSet<String>),
    /// The index, HEAD or refs, and these working-tree paths.
    GitDir(&'a BTreeSet<String>),
}

/// Opens the repository whose working tree is `root` (as `discover` returns it).
pub fn open(root: &Path) -> Result<Repo> {
    match crate::git::repo::open_worktree(root) {
        Ok(repo) => Ok(Repo(Backend::Lib(repo))),
        Err(error) if needs_cli(&error) => Ok(Repo(Backend::Cli(CliRepo::open(root)?))),
        Err(error) => Err(error),
    }
}

/// Whether libgit2's refusal is one the git CLI serves: SHA-256 object names.
pub(crate) fn needs_cli(error: &GitError) -> bool {
    matches!(error, GitError::Unservable { what, .. } if what.starts_with("SHA-256"))
}

/// Whether libgit2's refusal of a count is one git itself counts: a repository whose
/// `core.ignorecase=true` meets a file system that tells case apart.
fn served_by_git(error: &GitError) -> bool {
    matches!(error, GitError::Unservable { what, .. } if what.starts_with("core.ignorecase"))
}

impl Repo {
    /// The libgit2 handle, where libgit2 reads this repository (the planner's way in).
    pub fn libgit2(&self) -> Option<&git2::Repository> {
        match &self.0 {
            Backend::Lib(repo) => Some(repo),
            Backend::Cli(_) => None,
        }
    }

    /// The repository's git directory (for a linked worktree, its private one).
    pub fn git_dir(&self) -> &Path {
        match &self.0 {
            Backend::Lib(repo) => repo.path(),
            Backend::Cli(repo) => repo.git_dir(),
        }
    }

    /// Counts everything a commit would hold: `git diff --cached --numstat`, `git diff
    /// --numstat`, the untracked files, `git diff --numstat HEAD`.
    pub fn count(&self, options: &CountOptions) -> Result<RepoCounts> {
        match &self.0 {
            Backend::Lib(repo) => match crate::git::count::count_repo(repo, options) {
                // What libgit2 cannot count (names differing only in case under
                // `core.ignorecase=true` on a file system that tells case apart), git counts.
                Err(error) if served_by_git(&error) => CliRepo::open(self.root())?.count(options),
                other => other,
            },
            Backend::Cli(repo) => repo.count(options),
        }
    }

    /// Re-counts only what changed, patched into `previous`; `None` when that could differ
    /// from a full count (the caller then counts everything).
    pub fn recount(
        &self,
        previous: &RepoCounts,
        changed: Changed<'_>,
        options: &CountOptions,
    ) -> Result<Option<RepoCounts>> {
        let repo = match &self.0 {
            Backend::Lib(repo) => repo,
            // git itself: the working-tree paths alone, when they cannot pair into renames; a
            // change of the index or HEAD is counted whole.
            Backend::Cli(repo) => {
                return match changed {
                    Changed::Paths(paths) => repo.recount_paths(previous, paths, options),
                    Changed::GitDir(_) => Ok(None),
                }
            }
        };
        match changed {
            Changed::Paths(paths) => {
                crate::git::partial::recount_paths(repo, previous, paths, options)
            }
            Changed::GitDir(paths) => {
                crate::git::partial::recount_after_git_change(repo, previous, paths, options)
            }
        }
    }

    /// The hunks of `rel_path` given its current text (an open document's, `None` the disk's),
    /// unstaged (index→text) and staged (HEAD→index), for the hunk actions.
    pub fn file_hunks(&self, rel_path: &str, text: Option<&[u8]>) -> Result<FileHunks> {
        match &self.0 {
            Backend::Lib(repo) => {
                // On a handle whose index holds this path's entries alone (attribute lookups
                // would load every entry of the repository's index, and keep them). The index
                // is read once, for both.
                let root = repo.workdir().unwrap_or(repo.path());
                let entries = crate::git::scratch::entries_for_path(repo, rel_path)?;
                let scratch = crate::git::scratch::scratch_of(root, &entries)?;
                let own = entries
                    .iter()
                    .find(|(_, kept)| kept.as_slice() == rel_path.as_bytes())
                    .map(|(entry, kept)| crate::git::index_file::to_git2(entry, kept));
                crate::git::hunks::file_hunks_from(&scratch.repo, rel_path, text, own)
            }
            Backend::Cli(repo) => repo.file_hunks(rel_path, text),
        }
    }

    /// The HEAD and index versions of `rel_path`, kept to diff an unsaved buffer against.
    pub fn buffer_base(&self, rel_path: &str) -> Result<BufferBase> {
        match &self.0 {
            Backend::Lib(repo) => crate::git::buffer::buffer_base(repo, rel_path),
            Backend::Cli(repo) => repo.buffer_base(rel_path),
        }
    }

    /// Stages one unstaged hunk of `rel_path` (or the selected lines of it); `text` is the open
    /// document's text, `None` the disk.
    pub fn stage_hunk(
        &self,
        rel_path: &str,
        text: Option<&[u8]>,
        target: &HunkTarget,
    ) -> Result<()> {
        self.refuse_case_alias(rel_path)?;
        match &self.0 {
            Backend::Lib(repo) => crate::git::stage::stage_hunk(repo, rel_path, text, target),
            Backend::Cli(repo) => repo.stage_hunk(rel_path, text, target),
        }
    }

    /// Unstages one staged hunk of `rel_path`.
    pub fn unstage_hunk(&self, rel_path: &str, target: &HunkTarget) -> Result<()> {
        self.refuse_case_alias(rel_path)?;
        match &self.0 {
            Backend::Lib(repo) => crate::git::stage::unstage_hunk(repo, rel_path, target),
            Backend::Cli(repo) => repo.unstage_hunk(rel_path, target),
        }
    }

    /// Stages the whole file as `git add` would.
    pub fn stage_file(&self, rel_path: &str, text: Option<&[u8]>) -> Result<()> {
        self.refuse_case_alias(rel_path)?;
        match &self.0 {
            Backend::Lib(repo) => crate::git::stage::stage_file(repo, rel_path, text),
            Backend::Cli(repo) => repo.stage_file(rel_path, text),
        }
    }

    /// Refuses to stage or unstage `rel_path` where git would not: under `core.ignorecase=true`
    /// (a repository copied from macOS or Windows onto a file system that tells case apart), a
    /// name that differs only in case from a tracked one is that file to git, and `git add` or
    /// `git reset` of it changes nothing; libgit2 would replace or drop the tracked entry. git is
    /// asked only when the setting is on.
    fn refuse_case_alias(&self, rel_path: &str) -> Result<()> {
        let alias = match &self.0 {
            Backend::Lib(repo) => {
                let on = repo
                    .config()
                    .and_then(|c| c.get_bool("core.ignorecase"))
                    .unwrap_or(false);
                if !on {
                    return Ok(());
                }
                CliRepo::open(self.root())?.case_alias(rel_path)?
            }
            Backend::Cli(repo) => repo.case_alias(rel_path)?,
        };
        match alias {
            Some(tracked) => Err(GitError::Refused(format!(
                "{rel_path} differs only in case from the tracked {tracked}, and core.ignorecase=true: \
                 git takes them for one file and would not stage or unstage {rel_path} apart; nothing was changed"
            ))),
            None => Ok(()),
        }
    }

    /// Unstages the whole file: its index entry goes back to HEAD's.
    pub fn unstage_file(&self, rel_path: &str) -> Result<()> {
        self.refuse_case_alias(rel_path)?;
        match &self.0 {
            Backend::Lib(repo) => crate::git::stage::unstage_file(repo, rel_path),
            Backend::Cli(repo) => repo.unstage_file(rel_path),
        }
    }

    /// Commits what is staged with `message`, through the user's own `git commit` (hooks and
    /// signing as in their terminal) in every kind of repository; the new HEAD is read back
    /// through this repository's backend.
    pub fn commit_staged(&self, message: &str, options: &CommitOptions) -> Result<CommitOutcome> {
        let summary = crate::git::commit::run_commit(self.root(), message, options)?;
        let commit = match &self.0 {
            Backend::Lib(repo) => crate::git::refs::head(repo)?
                .commit
                .map(|id| id.to_string()),
            Backend::Cli(repo) => repo.head_id()?,
        };
        Ok(CommitOutcome {
            commit: commit.unwrap_or_default(),
            summary,
        })
    }

    /// The sizes of the author's recent commits, newest first (what the `"auto"` limit learns).
    pub fn author_sizes(&self) -> Result<Vec<u64>> {
        let (_, commits) = self.author_commits(&HistoryOptions::default())?;
        Ok(commits.iter().map(|c| c.lines).collect())
    }

    /// The author's email and their most recent non-merge commits reachable from HEAD, newest
    /// first, each with its size (what `stats` summarises).
    pub fn author_commits(
        &self,
        options: &HistoryOptions,
    ) -> Result<(Option<String>, Vec<CommitSize>)> {
        match &self.0 {
            Backend::Lib(repo) => crate::git::history::author_commits(repo, options),
            Backend::Cli(repo) => repo.author_commits(options),
        }
    }

    /// The work as git's own `-U0` patches (what the planner plans, in every repository, so
    /// that its hunks are the ones `git diff` prints), after what would stop a plan (an
    /// operation in progress, the conflicted paths). Asked of the hardened git even where
    /// libgit2 reads the repository: libgit2's diff now and then cuts a change elsewhere.
    pub fn work_patch(&self) -> Result<(WorkPatch, Busy)> {
        let opened;
        let repo = match &self.0 {
            Backend::Lib(_) => {
                opened = CliRepo::open(self.root())?;
                &opened
            }
            Backend::Cli(repo) => repo,
        };
        let (operation, conflicted) = repo.busy()?;
        let busy = Busy {
            operation,
            conflicted,
        };
        if busy.operation.is_some() || !busy.conflicted.is_empty() {
            return Ok((WorkPatch::default(), busy));
        }
        Ok((repo.work_patch()?, busy))
    }

    /// Where libgit2 does not read the repository: the paths each of the newest non-merge
    /// commits from HEAD touched, newest first (at most `max_commits`, walking at most
    /// `max_walked`; a commit of more than `max_files` paths as none), for the planner's
    /// co-change. `None` where libgit2 reads it.
    pub fn commit_paths(
        &self,
        max_commits: usize,
        max_walked: usize,
        max_files: usize,
    ) -> Result<Option<Vec<Vec<String>>>> {
        match &self.0 {
            Backend::Lib(_) => Ok(None),
            Backend::Cli(repo) => repo
                .commit_paths(max_commits, max_walked, max_files)
                .map(Some),
        }
    }

    /// Where libgit2 does not read the repository, what applying a plan reads and writes there,
    /// each through git itself; `None` where libgit2 reads it (the planner uses libgit2 there).
    pub fn by_git(&self) -> Option<ByGit<'_>> {
        match &self.0 {
            Backend::Lib(_) => None,
            Backend::Cli(repo) => Some(ByGit(repo)),
        }
    }

    /// HEAD's branch (without `refs/heads/`; `None` when detached) and commit id (`None` on an
    /// unborn branch).
    pub(crate) fn head_ids(&self) -> Result<(Option<String>, Option<String>)> {
        match &self.0 {
            Backend::Lib(repo) => {
                let head = crate::git::head(repo)?;
                Ok((head.branch, head.commit.map(|id| id.to_string())))
            }
            Backend::Cli(repo) => repo.head_ids(),
        }
    }

    /// `user.email` from the repository's configuration, if set.
    pub(crate) fn user_email(&self) -> Result<Option<String>> {
        match &self.0 {
            Backend::Lib(repo) => crate::git::blame::user_email(repo),
            Backend::Cli(repo) => repo.user_email(),
        }
    }

    /// Absorb's candidates before the author's test: the current branch's commits from HEAD
    /// along first parents, newest first, ending before the first commit its upstream has
    /// (without an upstream, after `limit`), before the first merge, or at the root.
    pub(crate) fn branch_commits(&self, limit: usize) -> Result<Vec<BranchCommit>> {
        match &self.0 {
            Backend::Lib(repo) => crate::git::blame::branch_commits(repo, limit),
            Backend::Cli(repo) => repo.branch_commits(limit),
        }
    }

    /// The commit that last changed each line of `rel_path` in HEAD (blame), following history
    /// no further back than `boundary` (older lines are named by `boundary`); `None` when HEAD
    /// lacks the file.
    pub(crate) fn blame_head(
        &self,
        rel_path: &str,
        boundary: Option<&str>,
    ) -> Result<Option<Vec<String>>> {
        match &self.0 {
            Backend::Lib(repo) => crate::git::blame::blame_head(repo, rel_path, boundary),
            Backend::Cli(repo) => repo.blame_head(rel_path, boundary),
        }
    }

    /// The first remote-tracking branch (its short name) whose tip has `commit`.
    pub(crate) fn remote_having(&self, commit: &str) -> Result<Option<String>> {
        match &self.0 {
            Backend::Lib(repo) => crate::git::blame::remote_having(repo, commit),
            Backend::Cli(repo) => repo.remote_having(commit),
        }
    }

    /// The index entries of `paths` now, for `restore_index`.
    pub(crate) fn save_index(&self, paths: &[&str]) -> Result<SavedIndex> {
        match &self.0 {
            Backend::Lib(repo) => crate::git::blame::save_index(repo, paths),
            Backend::Cli(repo) => repo.save_index(paths),
        }
    }

    /// Puts back the index entries `save_index` read (one that was absent is removed).
    pub(crate) fn restore_index(&self, saved: &SavedIndex) -> Result<()> {
        match (&self.0, saved) {
            (Backend::Lib(repo), SavedIndex::Lib(entries)) => {
                crate::git::blame::restore_index(repo, entries)
            }
            (Backend::Cli(repo), SavedIndex::Cli(rows)) => repo.set_index_rows(rows),
            _ => Err(GitError::Refused(
                "the saved index entries are of another repository".to_string(),
            )),
        }
    }

    /// A commit's tree id and first parent (`None` for a root commit).
    pub(crate) fn commit_tree_and_parent(&self, commit: &str) -> Result<(String, Option<String>)> {
        match &self.0 {
            Backend::Lib(repo) => crate::git::blame::commit_tree_and_parent(repo, commit),
            Backend::Cli(repo) => repo.commit_tree_and_parent(commit),
        }
    }

    /// Points the ref `name` (`refs/…`) at `id`; with `expected`, only if it points there now.
    pub(crate) fn set_ref(
        &self,
        name: &str,
        id: &str,
        expected: Option<&str>,
        message: &str,
    ) -> Result<()> {
        match &self.0 {
            Backend::Lib(repo) => crate::git::blame::set_ref(repo, name, id, expected, message),
            Backend::Cli(repo) => repo.set_ref(name, id, expected, message),
        }
    }

    /// The repository's working tree.
    pub fn root(&self) -> &Path {
        match &self.0 {
            Backend::Lib(repo) => repo.workdir().unwrap_or(repo.path()),
            Backend::Cli(repo) => repo.root(),
        }
    }
}

/// Diffs an unsaved buffer's `text` against its `base` and the disk, converting it as `git add`
/// would first where the base says so (on a handle holding the base's entries alone).
pub fn buffer_diff(
    root: &Path,
    base: &BufferBase,
    rel_path: &str,
    text: &[u8],
) -> Result<BufferDiff> {
    let converted = match &base.rule {
        _ if !base.converts || base.link => None,
        Some(rule) => Some(rule.apply(text, base.index.as_deref())),
        None => {
            let scratch = crate::git::scratch::scratch_of(root, &base.entries)?;
            Some(crate::git::convert::to_git(&scratch.repo, rel_path, text)?)
        }
    };
    crate::git::buffer::diff_from_base(base, root, rel_path, text, converted.as_deref())
}
