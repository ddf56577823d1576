//! The git core: everything commit-nudge asks of a repository.
//!
//! This room knows nothing of LSP, tokio or JSON. Callers outside it come in by the front door
//! (`door`: `open` → `Repo`, which counts, re-counts, gives a file's hunks and a buffer's base,
//! stages, unstages and commits), and the backend is chosen behind it: libgit2 wherever it opens
//! the repository (with HEAD and refs read through `formats::refs`, which asks git itself in a
//! reftable repository), the hardened git CLI (`cli`) where it cannot (SHA-256 object names).
//! Commits run the user's own `git commit` (`commit`), the one git process with the user's hooks.
//!
//! What is public is the door and the types its methods take and give (re-exported here), plus
//! `verify`, the differential tests' read-only way to the scan and its reference, and
//! `repo::open_containing` for the binary's `absorb`. The rooms themselves are the crate's.

// The rooms, one per layer: formats on disk, status, diffs and conversions, writes.
mod cli;
pub(crate) mod diffs;
mod door;
pub(crate) mod formats;
pub(crate) mod status;
pub(crate) mod writes;

pub(crate) mod blame;
pub(crate) mod error;
pub(crate) mod history;
pub mod repo;
pub mod verify;

// Each module keeps the path it had before the rooms (`crate::git::count`, …), so that callers
// inside the crate need not change.
pub(crate) use diffs::{buffer, convert, hunks, no_mmap_filter, patch, renames, scratch};
pub(crate) use formats::{fnv, index_file, index_stamp, refs};
pub(crate) use refs::{head, head_commit, upstream};
pub(crate) use repo::open_worktree;
pub(crate) use status::{count, model, numstat, partial, scan, staged_unstaged};
pub(crate) use writes::{commit, rebase, stage};

pub(crate) use blame::SavedIndex;

// The door, and what its methods take and give.
pub use buffer::{BufferBase, BufferDiff};
pub use commit::{CommitOptions, CommitOutcome};
pub use count::{CountOptions, FileDelta, LineStat, RepoCounts};
pub use door::{buffer_diff, open, Busy, ByGit, Changed, Repo};
pub use error::GitError;
pub use history::{CommitSize, HistoryOptions};
pub use hunks::{FileHunks, Hunk, HunkSide, LineSelection};
pub use patch::{FilePatch, PatchChange, PatchHunk, WorkPatch};
pub use repo::{discover, RepoInfo};
pub use stage::HunkTarget;
