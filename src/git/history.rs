//! The current author's recent commits and their sizes: the habit the nudge learns from. Read
//! with libgit2 here; callers ask the front door (`Repo::author_commits`), which reads them
//! through git itself where libgit2 cannot open the repository (SHA-256).

use git2::{DiffOptions, Repository, Sort};

use crate::git::error::Result;
use crate::git::staged_unstaged::head_state;

/// One commit's size, as `git show --numstat` would sum it (renames not followed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitSize {
    /// The commit's id.
    pub id: String,
    /// Author time, in Unix seconds.
    pub time_unix: i64,
    /// The author's time-zone offset in minutes (to tell calendar days apart).
    pub offset_minutes: i32,
    /// Added plus removed lines.
    pub lines: u64,
    /// How many files it changed.
    pub files: u64,
}

/// Which commits to read.
#[derive(Debug, Clone)]
pub struct HistoryOptions {
    /// Stop after this many commits by the author.
    pub max_commits: usize,
    /// Stop after walking this many commits in all (a huge history by others).
    pub max_walk: usize,
    /// Whose commits: `None` reads `user.email` from the repository's configuration.
    pub author_email: Option<String>,
}

impl Default for HistoryOptions {
    fn default() -> Self {
        HistoryOptions {
            max_commits: 300,
            max_walk: 20_000,
            author_email: None,
        }
    }
}

/// The author's email and their most recent non-merge commits reachable from HEAD, newest first.
pub(crate) fn author_commits(
    repo: &Repository,
    options: &HistoryOptions,
) -> Result<(Option<String>, Vec<CommitSize>)> {
    let email = match &options.author_email {
        Some(email) => Some(email.clone()),
        None => repo.config()?.get_string("user.email").ok(),
    };
    let Some(email) = email else {
        return Ok((None, Vec::new()));
    };
    let Some(head) = head_state(repo)?.commit else {
        return Ok((Some(email), Vec::new()));
    };
    let mut walk = repo.revwalk()?;
    walk.set_sorting(Sort::TIME)?;
    walk.push(head.id())?;
    let mut sizes = Vec::new();
    for oid in walk.take(options.max_walk) {
        let commit = repo.find_commit(oid?)?;
        if commit.parent_count() > 1 {
            continue;
        }
        let author = commit.author();
        if !author.email().is_ok_and(|e| e.eq_ignore_ascii_case(&email)) {
            continue;
        }
        let tree = commit.tree()?;
        let parent_tree = match commit.parent(0) {
            Ok(parent) => Some(parent.tree()?),
            Err(_) => None,
        };
        let diff = repo.diff_tree_to_tree(
            parent_tree.as_ref(),
            Some(&tree),
            Some(&mut DiffOptions::new()),
        )?;
        let stats = diff.stats()?;
        sizes.push(CommitSize {
            id: oid_string(&commit),
            time_unix: author.when().seconds(),
            offset_minutes: author.when().offset_minutes(),
            lines: (stats.insertions() + stats.deletions()) as u64,
            files: stats.files_changed() as u64,
        });
        if sizes.len() >= options.max_commits {
            break;
        }
    }
    Ok((Some(email), sizes))
}

fn oid_string(commit: &git2::Commit<'_>) -> String {
    commit.id().to_string()
}
