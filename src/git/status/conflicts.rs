//! Which paths of the index are conflicted (have entries at stages 1–3), for the callers that
//! must refuse to act on a conflicted index (the planner). Read from the index file, which stops
//! at the first conflict, and from libgit2 only where our reader declines the index or a conflict
//! is found and its paths are wanted.

use git2::Repository;

use crate::git::error::Result;

/// The conflicted paths of `repo`'s index, sorted and without repeats; empty when there is none.
pub fn conflicted_paths(repo: &Repository) -> Result<Vec<String>> {
    let mut conflicted = false;
    let read = crate::git::index_file::stream(&repo.path().join("index"), |entry, _, _| {
        conflicted |= entry.stage() != 0;
        !conflicted
    });
    if read.is_ok() && !conflicted {
        return Ok(Vec::new());
    }
    let index = crate::git::scratch::whole_index(repo)?;
    if !index.has_conflicts() {
        return Ok(Vec::new());
    }
    let mut paths: Vec<String> = index
        .conflicts()?
        .filter_map(|c| c.ok())
        .filter_map(|c| c.our.or(c.their).or(c.ancestor))
        .map(|e| String::from_utf8_lossy(&e.path).into_owned())
        .collect();
    paths.sort();
    paths.dedup();
    Ok(paths)
}
