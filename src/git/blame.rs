//! What absorb reads and writes of a repository libgit2 opens: the current branch's own commits,
//! who last changed each line of a file in HEAD (git2's blame), the index entries to put back,
//! the refs a `--rewrite` moves. The front door (`door::Repo`) answers the same questions through
//! git itself where libgit2 cannot open the repository (`cli::absorb`, SHA-256), so that absorb's
//! decisions (absorb's `target`) are the same whichever backend reads.

use std::path::Path;

use git2::{BlameOptions, IndexEntry, Oid, Repository};

use crate::git::error::{GitError, Result};

/// One commit of the current branch, as absorb's candidate list starts from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BranchCommit {
    /// The commit's full id.
    pub id: String,
    /// The first line of its message (git's `%s`).
    pub subject: String,
    /// Its author's email as recorded (no mailmap).
    pub author_email: String,
}

/// The index entries of some paths as they were, to be put back exactly.
#[derive(Debug)]
pub(crate) enum SavedIndex {
    /// libgit2's whole entries (flags and all).
    Lib(Vec<(String, Option<IndexEntry>)>),
    /// The mode and id of each entry, as git lists them (`git ls-files -s`).
    Cli(Vec<(String, Option<(u32, String)>)>),
}

/// The branch's commits from HEAD along first parents, newest first: ending before the first
/// commit the upstream has (without an upstream, after `limit`), before the first merge, at the
/// root. Empty on an unborn branch.
pub(crate) fn branch_commits(repo: &Repository, limit: usize) -> Result<Vec<BranchCommit>> {
    let upstream: Option<Oid> = crate::git::upstream(repo);
    let Some(mut commit) = crate::git::head_commit(repo)? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    loop {
        if commit.parent_count() > 1 {
            break;
        }
        if let Some(up) = upstream {
            if commit.id() == up || repo.graph_descendant_of(up, commit.id())? {
                break;
            }
        } else if out.len() >= limit {
            break;
        }
        out.push(BranchCommit {
            id: commit.id().to_string(),
            subject: commit.summary().ok().flatten().unwrap_or("").to_string(),
            author_email: commit.author().email().unwrap_or("").to_string(),
        });
        match commit.parent(0) {
            Ok(parent) => commit = parent,
            Err(_) => break,
        }
    }
    Ok(out)
}

/// The commit that last changed each line of `path` in HEAD, following history no further back
/// than `boundary` (a line as old or older is named by `boundary`); `None` when HEAD lacks the
/// file.
pub(crate) fn blame_head(
    repo: &Repository,
    path: &str,
    boundary: Option<&str>,
) -> Result<Option<Vec<String>>> {
    let Some(head) = crate::git::head_commit(repo)? else {
        return Ok(None);
    };
    let tree = head.tree()?;
    let Ok(entry) = tree.get_path(Path::new(path)) else {
        return Ok(None);
    };
    let blob = repo.find_blob(entry.id())?;
    let lines = blob.content().split_inclusive(|&b| b == b'\n').count();
    let mut origin = vec![String::new(); lines];
    let mut opts = BlameOptions::new();
    opts.newest_commit(head.id());
    if let Some(boundary) = boundary {
        opts.oldest_commit(Oid::from_str(boundary)?);
    }
    let blame = repo.blame_file(Path::new(path), Some(&mut opts))?;
    for hunk in blame.iter() {
        let id = hunk.final_commit_id().to_string();
        let start = hunk.final_start_line().saturating_sub(1);
        for slot in origin.iter_mut().skip(start).take(hunk.lines_in_hunk()) {
            slot.clone_from(&id);
        }
    }
    Ok(Some(origin))
}

/// The first remote-tracking branch (`refs/remotes/*`, its short name) whose tip has `commit`.
pub(crate) fn remote_having(repo: &Repository, commit: &str) -> Result<Option<String>> {
    let commit = Oid::from_str(commit)?;
    for reference in repo.references_glob("refs/remotes/*")?.flatten() {
        let Some(id) = reference.target() else {
            continue;
        };
        if id == commit || repo.graph_descendant_of(id, commit)? {
            return Ok(Some(
                reference
                    .shorthand()
                    .unwrap_or("a remote branch")
                    .to_string(),
            ));
        }
    }
    Ok(None)
}

/// The stage-0 index entries of `paths` (each once).
pub(crate) fn save_index(repo: &Repository, paths: &[&str]) -> Result<SavedIndex> {
    let index = repo.index()?;
    let mut entries: Vec<(String, Option<IndexEntry>)> = Vec::new();
    for path in paths {
        if entries.iter().any(|(p, _)| p == path) {
            continue;
        }
        entries.push((path.to_string(), index.get_path(Path::new(path), 0)));
    }
    Ok(SavedIndex::Lib(entries))
}

/// Puts the saved entries back (an entry that was absent is removed), their file times cleared
/// so that git compares those files by content next time.
pub(crate) fn restore_index(
    repo: &Repository,
    saved: &[(String, Option<IndexEntry>)],
) -> Result<()> {
    crate::git::stage::with_index(repo, |index| {
        for (path, entry) in saved {
            match entry {
                Some(entry) => index.add(&crate::git::stage::smudged(entry))?,
                None => {
                    if index.get_path(Path::new(path), 0).is_some() {
                        index.remove_path(Path::new(path))?;
                    }
                }
            }
        }
        Ok(())
    })
}

/// A commit's tree id and first parent.
pub(crate) fn commit_tree_and_parent(
    repo: &Repository,
    commit: &str,
) -> Result<(String, Option<String>)> {
    let commit = repo.find_commit(Oid::from_str(commit)?)?;
    Ok((
        commit.tree_id().to_string(),
        commit.parent_ids().next().map(|p| p.to_string()),
    ))
}

/// Points the ref `name` at `id`; with `expected`, only if it points there now.
pub(crate) fn set_ref(
    repo: &Repository,
    name: &str,
    id: &str,
    expected: Option<&str>,
    message: &str,
) -> Result<()> {
    let id = Oid::from_str(id)?;
    match expected {
        Some(old) => repo.reference_matching(name, id, true, Oid::from_str(old)?, message)?,
        None => repo.reference(name, id, true, message)?,
    };
    Ok(())
}

/// `user.email` from the repository's configuration, if set.
pub(crate) fn user_email(repo: &Repository) -> Result<Option<String>> {
    let config = repo.config().map_err(GitError::from)?;
    Ok(config.get_string("user.email").ok())
}
