//! The git core: everything commit-nudge asks of a repository.
//!
//! This room knows nothing of LSP, tokio or JSON. Callers outside it come in by the front door
//! (`door`: `open` → `Repo`, which counts, re-counts, gives a file's hunks and a buffer's base,
//! stages, unstages and commits), and the backend is chosen behind it: libgit2 wherever it opens
//! the repository (with HEAD and refs read through `formats::refs`, which asks git itself in a
//! reftable repository), the hardened git CLI (`cli`) where it cannot (SHA-256 object names).
//! Commits run the user's own `git commit` (`commit`), the one git process with the user's hooks.

// The rooms, one per layer: formats on disk, status, diffs and conversions, writes.
mod cli;
pub mod diffs;
mod door;
pub mod formats;
pub mod status;
pub mod writes;

pub mod error;
pub mod history;
pub mod repo;
pub mod verify;

// Each module keeps the path it had before the rooms (`crate::git::count`, …), so that callers
// outside src/git need not change.
pub use diffs::{buffer, hunks, patch};
pub(crate) use diffs::{convert, no_mmap_filter, renames, scratch};
// `index_file` stays public while the index reader grows the sparse and split kinds (branch
// index-kinds); it is the next to close.
pub use formats::index_file;
pub(crate) use formats::{fnv, index_stamp, refs};
pub(crate) use refs::{head, head_commit, upstream};
pub(crate) use status::conflicted_paths;
pub use status::count;
pub(crate) use status::{model, numstat, staged_unstaged};
pub(crate) use status::{partial, scan};
pub(crate) use writes::rebase;
pub use writes::{commit, stage};

pub use count::{count, CountOptions, FileDelta, LineStat, RepoCounts};
pub use door::{buffer_diff, open, Busy, ByGit, Changed, Repo};
pub use error::GitError;
pub use repo::{discover, open_worktree, RepoInfo};

// What the door's methods take and give, beside it.
pub use buffer::{BufferBase, BufferDiff};
pub use commit::{CommitOptions, CommitOutcome};
pub use history::{CommitSize, HistoryOptions};
pub use hunks::{FileHunks, Hunk, HunkSide, LineSelection};
pub use patch::{FilePatch, PatchChange, PatchHunk, WorkPatch};
pub use stage::HunkTarget;
