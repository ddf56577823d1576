//! The git core: everything commit-nudge asks of a repository, through git2 only.
//!
//! This room knows nothing of LSP, tokio or JSON. It opens repositories, counts what a commit would
//! hold (`count`), computes and applies hunks (`hunks`), and commits the index by running the
//! user's own `git commit` (`commit`), which is the only place a git subprocess is started.

// The rooms, one per layer: formats on disk, status, diffs and conversions, writes.
pub mod diffs;
pub mod formats;
pub mod status;
pub mod writes;

pub mod error;
pub mod history;
pub mod repo;

// Each module keeps the path it had before the rooms (`crate::git::count`, …), so that callers
// outside src/git need not change.
pub use diffs::{buffer, convert, hunks, scratch};
pub(crate) use diffs::{nommap, renames};
pub use formats::{fnv, index_file, stamp};
pub use status::{conflicted_paths, count, partial, scan};
pub(crate) use status::{model, rows, sides};
pub use writes::{commit, rebase, stage};

pub use count::{count, CountOptions, FileDelta, LineStat, RepoCounts};
pub use error::GitError;
pub use repo::{discover, open_worktree, RepoInfo};
