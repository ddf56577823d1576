//! Squashing `fixup!` commits into their targets with the user's own `git rebase -i
//! --autosquash`, run non-interactively in a temporary worktree of our own.
//!
//! Why a worktree of its own: a rebase in the user's worktree would refuse their uncommitted
//! work, or stash it and give it back with the staged and unstaged parts merged. In a detached
//! temporary worktree the user's files and index are never touched; the caller moves the branch
//! to the rebased tip only when it is satisfied with it. A rebase that stops (a conflict, a hook)
//! is aborted there, the worktree removed, and git's words come back as the error.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::git::error::{GitError, Result};

/// Rebases `tip` onto `base` (`None`: from the root commit) with `--autosquash` in a temporary
/// worktree (made under `scratch`) of the repository of the worktree `root`, and answers the
/// rebased tip.
pub(crate) fn autosquash(
    root: &Path,
    scratch: &Path,
    tip: &str,
    base: Option<&str>,
) -> Result<String> {
    let place = scratch.join(format!(
        "absorb-rebase-{}-{}",
        std::process::id(),
        &tip[..tip.len().min(12)]
    ));
    if let Some(parent) = place.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| GitError::io(format!("could not create {}", parent.display()), e))?;
    }
    let place_text = place.to_string_lossy().into_owned();
    let added = git(
        root,
        &["worktree", "add", "--quiet", "--detach", &place_text, tip],
    )?;
    if !added.status.success() {
        return Err(GitError::CommitFailed(words(&added)));
    }
    let result = rebase_in(&place, base);
    remove_worktree(root, &place);
    result
}

fn rebase_in(place: &Path, base: Option<&str>) -> Result<String> {
    let mut args = vec!["rebase", "--interactive", "--autosquash", "--quiet"];
    match base {
        Some(base) => args.push(base),
        None => args.push("--root"),
    }
    let rebased = git(place, &args)?;
    if !rebased.status.success() {
        let said = words(&rebased);
        let _ = git(place, &["rebase", "--abort"]);
        return Err(GitError::CommitFailed(said));
    }
    let head = git(place, &["rev-parse", "HEAD"])?;
    if !head.status.success() {
        return Err(GitError::CommitFailed(words(&head)));
    }
    Ok(String::from_utf8_lossy(&head.stdout).trim().to_string())
}

fn remove_worktree(root: &Path, place: &PathBuf) {
    let place_text = place.to_string_lossy().into_owned();
    let removed = git(root, &["worktree", "remove", "--force", &place_text]);
    if !removed.is_ok_and(|o| o.status.success()) {
        let _ = std::fs::remove_dir_all(place);
        let _ = git(root, &["worktree", "prune"]);
    }
}

/// Runs `git` in the worktree `dir`, with no terminal and no editor: the todo list is taken as
/// written (`GIT_SEQUENCE_EDITOR=true`), and so is each message.
fn git(dir: &Path, args: &[&str]) -> Result<Output> {
    Command::new("git")
        .current_dir(dir)
        .args(args)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .env("GIT_SEQUENCE_EDITOR", "true")
        .env("GIT_EDITOR", "true")
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| GitError::io("could not run git", e))
}

fn words(output: &Output) -> String {
    let text = [&output.stderr, &output.stdout]
        .iter()
        .map(|b| String::from_utf8_lossy(b).trim().to_string())
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    if text.is_empty() {
        format!("git exited with {}", output.status)
    } else {
        text
    }
}
