//! The repository side of absorb: the branch's own commits (the candidates) and, per file, which
//! of them last changed each line of HEAD. Both are asked of the front door (`git::Repo`), which
//! reads them with libgit2 or, where libgit2 cannot open the repository (SHA-256), with git
//! itself (`git log --first-parent`, `git blame --porcelain`); the rules that turn those answers
//! into candidates and origins are here, once, for both.

use std::collections::HashMap;

use super::{Candidate, FileBlame};
use crate::git::GitError;

/// How far back candidates go when the branch has no upstream.
pub(crate) const LAST_WITHOUT_UPSTREAM: usize = 10;

/// The current branch's own commits, newest first: not on its upstream (or the last 10 when it
/// has none), never past a merge, and only those whose author email is `email` when given.
/// Walking stops at the first commit of someone else when `email` is given, so that a target is
/// never behind another author's commit.
pub(crate) fn candidates(
    repo: &crate::git::Repo,
    email: Option<&str>,
) -> Result<Vec<Candidate>, GitError> {
    Ok(repo
        .branch_commits(LAST_WITHOUT_UPSTREAM)?
        .into_iter()
        .take_while(|commit| email.is_none_or(|email| commit.author_email == email))
        .map(|commit| Candidate {
            id: commit.id,
            subject: commit.subject,
        })
        .collect())
}

/// Where blame stops: the oldest candidate's parent, which is no candidate (so a long history
/// costs no more than the branch); `None` when the oldest is a root commit.
pub(crate) fn boundary(
    repo: &crate::git::Repo,
    candidates: &[Candidate],
) -> Result<Option<String>, GitError> {
    match candidates.last() {
        Some(oldest) => Ok(repo.commit_tree_and_parent(&oldest.id)?.1),
        None => Ok(None),
    }
}

/// Which candidate last changed each line of `path` in HEAD (`None` when HEAD lacks the file),
/// blame stopped at `boundary`.
pub(crate) fn blame_file(
    repo: &crate::git::Repo,
    path: &str,
    candidates: &[Candidate],
    boundary: Option<&str>,
) -> Result<Option<FileBlame>, GitError> {
    let index: HashMap<&str, usize> = candidates
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id.as_str(), i))
        .collect();
    let Some(lines) = repo.blame_head(path, boundary)? else {
        return Ok(None);
    };
    let origin = lines
        .iter()
        .map(|id| index.get(id.as_str()).copied())
        .collect();
    Ok(Some(FileBlame { origin }))
}
