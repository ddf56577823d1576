//! Errors of the git core, each worded so that a user can act on it.

use std::path::PathBuf;

/// Everything that can go wrong in `src/git`, with messages fit to show a user.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("not inside a git repository: {}", .0.display())]
    NotARepository(PathBuf),
    #[error("{} is a bare repository: it has no working tree to count", .0.display())]
    Bare(PathBuf),
    #[error("{} is owned by another user, and git refuses such repositories until you trust them: git config --global --add safe.directory {}", .0.display(), .0.display())]
    NotOwned(PathBuf),
    #[error("the index is locked by another git process ({}); nothing was changed, try again when it is done", .0.display())]
    IndexLocked(PathBuf),
    #[error("{0}; nothing was changed, look again at the file and retry")]
    Stale(String),
    #[error("{0}")]
    Refused(String),
    #[error("git refused the commit:\n{0}")]
    CommitFailed(String),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Git(#[from] git2::Error),
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

pub type Result<T, E = GitError> = std::result::Result<T, E>;
