//! The git core: everything commit-nudge asks of a repository, through git2 only.
//!
//! This room knows nothing of LSP, tokio or JSON. It opens repositories, counts what a commit would
//! hold (`count`), computes and applies hunks (`hunks`), and commits the index by running the
//! user's own `git commit` (`commit`), which is the only place a git subprocess is started.

pub mod buffer;
pub mod commit;
pub mod convert;
pub mod count;
pub mod error;
pub mod fnv;
pub mod history;
pub mod hunks;
pub mod index_file;
mod model;
pub mod nommap;
pub mod partial;
pub mod renames;
pub mod repo;
mod rows;
pub mod scan;
pub mod scratch;
mod sides;
pub mod stage;
pub mod stamp;

pub use count::{count, CountOptions, FileDelta, LineStat, RepoCounts};
pub use error::GitError;
pub use repo::{discover, open_worktree, RepoInfo};
