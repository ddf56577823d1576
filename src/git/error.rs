//! Errors of the git core, each worded so that a user can act on it.

use std::path::PathBuf;

/// Everything that can go wrong in `src/git`, with messages fit to show a user.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// No repository holds the path.
    #[error("not inside a git repository: {}", .0.display())]
    NotARepository(PathBuf),
    /// The repository has no working tree.
    #[error("{} is a bare repository: it has no working tree to count", .0.display())]
    Bare(PathBuf),
    /// The repository belongs to another user (git's `safe.directory`).
    #[error("{} is owned by another user, and git refuses such repositories until you trust them: git config --global --add safe.directory {}", .0.display(), .0.display())]
    NotOwned(PathBuf),
    /// Another process holds `index.lock`.
    #[error("the index is locked by another git process ({}); nothing was changed, try again when it is done", .0.display())]
    IndexLocked(PathBuf),
    /// What an action was offered for changed since (the hunk, the file).
    #[error("{0}; nothing was changed, look again at the file and retry")]
    Stale(String),
    /// The write would lose or change the user's work, and was not made.
    #[error("{0}")]
    Refused(String),
    /// `git commit` failed: git's own words.
    #[error("git refused the commit:\n{0}")]
    CommitFailed(String),
    /// An I/O error, with what was being done.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A repository git makes that the libraries under commit-nudge cannot read yet: `what` names
    /// it as git's documentation does, `why` says which layer refuses it, `part` which part of
    /// commit-nudge cannot serve it. One line, never the library's own error text.
    #[error("this repository uses {what}, which {why}: {part} cannot serve it yet (git itself works here)")]
    Unservable {
        /// The kind, as git's documentation names it.
        what: &'static str,
        /// Which layer refuses it.
        why: &'static str,
        /// Which part of commit-nudge cannot serve it.
        part: &'static str,
    },
    /// libgit2's error where no sentence of ours fits better.
    #[error("{0}")]
    Git(git2::Error),
}

impl From<git2::Error> for GitError {
    fn from(error: git2::Error) -> Self {
        unservable_of(&error).unwrap_or(GitError::Git(error))
    }
}

/// libgit2's refusals of a repository git itself reads (SHA-256 objects, reftable refs, a sparse or
/// split index), recognised so that the user reads what and why instead of libgit2's wording.
pub(crate) fn unservable_of(error: &git2::Error) -> Option<GitError> {
    let message = error.message();
    let libgit2 = "libgit2 (the library commit-nudge reads git with) cannot read";
    let mut part = "commit-nudge";
    let (what, why) = if message.contains("object format") || message.contains("objectformat") {
        // The git-CLI backend serves status, the editor's counts, staging, commits, plans and
        // stats here (`git::door`); absorb, which still reads through libgit2 alone, refuses.
        part = "commit-nudge's absorb (its status, counts, staging, commits, plans and stats do)";
        (
            "SHA-256 object names (extensions.objectFormat=sha256)",
            libgit2,
        )
    } else if message.contains("refstorage") || message.contains("reftable") {
        (
            "the reftable ref storage (extensions.refStorage=reftable)",
            libgit2,
        )
    } else if message.contains("'sdir'") {
        ("a sparse index (index.sparse=true)", libgit2)
    } else if message.contains("'link'") {
        ("a split index (core.splitIndex=true)", libgit2)
    } else {
        return None;
    };
    Some(GitError::Unservable { what, why, part })
}

impl GitError {
    /// Wraps an I/O error with a sentence saying what was being done.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        GitError::Io {
            context: context.into(),
            source,
        }
    }
}

/// The git core's results.
pub type Result<T, E = GitError> = std::result::Result<T, E>;
