//! The planner's picture of the uncommitted work (`Work`), which `read_by_git` fills from git's
//! own `-U0` patches in every repository (the plan's and absorb's hunks are `git diff`'s), and
//! HEAD's commit where libgit2 reads the repository.
//!
//! The libgit2 reading of the work that lived here is gone: its diff now and then placed a change
//! elsewhere than `git diff` does (13 of 360 benchmark plans), and absorb, its last user, now reads
//! the work as the plan does, so that the hunks it decides on are the ones applying commits.

use std::collections::HashMap;
use std::path::PathBuf;

use git2::Repository;

use super::{PlanHunk, Result};

/// The uncommitted work of one worktree, as the planner sees it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Work {
    pub root: PathBuf,
    pub head: Option<String>,
    pub hunks: Vec<PlanHunk>,
    /// HEAD's text of each changed text file (for the identifier signal).
    pub old_texts: HashMap<String, Vec<u8>>,
    /// The working tree's text of each changed text file.
    pub new_texts: HashMap<String, Vec<u8>>,
}

/// HEAD's commit and tree, or nothing on an unborn branch.
pub(crate) fn head_of(repo: &Repository) -> Result<Option<git2::Commit<'_>>> {
    Ok(crate::git::head_commit(repo)?)
}
