//! Status: what a commit would hold. `model` is what a count produces and takes; `numstat`
//! (per-file rows with git's numbers) and `staged_unstaged` (the two sides of a count, put
//! together) are the plumbing every count shares; `scan` is the fast count by scan, `count` the
//! full count (the scan, else libgit2's whole-tree diffs), `partial` the re-count of what
//! changed.

pub(crate) mod count;
pub(crate) mod model;
pub(crate) mod numstat;
pub(crate) mod partial;
pub(crate) mod scan;
pub(crate) mod staged_unstaged;
