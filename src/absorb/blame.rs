//! The repository side of absorb: the branch's own commits (the candidates) and, per file, which
//! of them last changed each line of HEAD (git2's blame, stopped at the oldest candidate).

use std::collections::HashMap;

use git2::{BlameOptions, Oid, Repository};

use super::{Candidate, FileBlame};

/// How far back candidates go when the branch has no upstream.
pub(crate) const LAST_WITHOUT_UPSTREAM: usize = 10;

/// The current branch's own commits, newest first: not on its upstream (or the last 10 when it
/// has none), never past a merge, and only those whose author email is `email` when given.
/// Walking stops at the first commit of someone else when `email` is given, so that a target is
/// never behind another author's commit.
pub(crate) fn candidates(
    repo: &Repository,
    email: Option<&str>,
) -> Result<Vec<Candidate>, git2::Error> {
    let upstream: Option<Oid> = crate::git::upstream(repo);
    let mut commit = head_commit(repo)?;
    let mut out = Vec::new();
    loop {
        if commit.parent_count() > 1 {
            break;
        }
        if let Some(up) = upstream {
            if commit.id() == up || repo.graph_descendant_of(up, commit.id())? {
                break;
            }
        } else if out.len() >= LAST_WITHOUT_UPSTREAM {
            break;
        }
        if let Some(email) = email {
            if commit.author().email().ok() != Some(email) {
                break;
            }
        }
        out.push(Candidate {
            id: commit.id().to_string(),
            subject: commit.summary().ok().flatten().unwrap_or("").to_string(),
        });
        match commit.parent(0) {
            Ok(parent) => commit = parent,
            Err(_) => break,
        }
    }
    Ok(out)
}

/// Which candidate last changed each line of `path` in HEAD (`None` when HEAD lacks the file).
pub(crate) fn blame_file(
    repo: &Repository,
    path: &str,
    candidates: &[Candidate],
) -> Result<Option<FileBlame>, git2::Error> {
    let head = head_commit(repo)?;
    let tree = head.tree()?;
    let Ok(entry) = tree.get_path(std::path::Path::new(path)) else {
        return Ok(None);
    };
    let blob = repo.find_blob(entry.id())?;
    let lines = blob.content().split_inclusive(|&b| b == b'\n').count();
    let index: HashMap<Oid, usize> = candidates
        .iter()
        .enumerate()
        .filter_map(|(i, c)| Oid::from_str(&c.id).ok().map(|o| (o, i)))
        .collect();
    let mut origin = vec![None; lines];
    if candidates.is_empty() {
        return Ok(Some(FileBlame { origin }));
    }
    let mut opts = BlameOptions::new();
    opts.newest_commit(head.id());
    // Lines from before the oldest candidate need not be followed further back: blame stops at
    // its parent (which is no candidate), so a long history costs no more than the branch.
    let oldest = candidates.last().and_then(|c| Oid::from_str(&c.id).ok());
    if let Some(parent) = oldest
        .and_then(|o| repo.find_commit(o).ok())
        .and_then(|c| c.parent_ids().next())
    {
        opts.oldest_commit(parent);
    }
    let blame = repo.blame_file(std::path::Path::new(path), Some(&mut opts))?;
    for hunk in blame.iter() {
        let Some(&c) = index.get(&hunk.final_commit_id()) else {
            continue;
        };
        let start = hunk.final_start_line().saturating_sub(1);
        for slot in origin.iter_mut().skip(start).take(hunk.lines_in_hunk()) {
            *slot = Some(c);
        }
    }
    Ok(Some(FileBlame { origin }))
}

/// HEAD's commit (wherever the refs are stored); an unborn branch is libgit2's "not found".
fn head_commit(repo: &Repository) -> Result<git2::Commit<'_>, git2::Error> {
    crate::git::head_commit(repo)
        .map_err(|e| git2::Error::from_str(&e.to_string()))?
        .ok_or_else(|| git2::Error::from_str("HEAD has no commit yet"))
}
