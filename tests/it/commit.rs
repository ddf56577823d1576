//! Committing staged hunks runs the user's own `git commit`: hooks run, git's refusals come back
//! in git's words, and a refused commit changes nothing.

use crate::support;

use commit_nudge::git::{self, CommitOptions, CommitOutcome, GitError};
use support::Repo;

/// Commits what is staged in `repo` through the front door, as the engine does.
fn commit_staged(
    repo: &Repo,
    message: &str,
    options: &CommitOptions,
) -> Result<CommitOutcome, GitError> {
    git::open(&repo.root())
        .expect("open")
        .commit_staged(message, options)
}

fn hook(repo: &Repo, dir: &str, name: &str, body: &str) {
    let path = repo.path(&format!("{dir}/{name}"));
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

/// Two files changed; only `a.txt` staged.
fn partly_staged() -> Repo {
    let repo = Repo::new();
    repo.write("a.txt", "a\n");
    repo.write("b.txt", "b\n");
    repo.commit_all("base");
    repo.write("a.txt", "a\nstaged line\n");
    repo.git(&["add", "a.txt"]);
    repo.write("a.txt", "a\nstaged line\nunstaged line\n");
    repo.write("b.txt", "b\nnot staged\n");
    repo
}

#[test]
fn hooks_run_and_only_the_staged_content_is_committed() {
    let repo = partly_staged();
    hook(
        &repo,
        ".git/hooks",
        "pre-commit",
        "echo ran > \"$(git rev-parse --git-dir)/pre-commit-ran\"",
    );
    hook(
        &repo,
        ".git/hooks",
        "commit-msg",
        "echo 'Checked-by: commit-msg hook' >> \"$1\"",
    );
    let outcome = commit_staged(&repo, "Add the staged line\n", &CommitOptions::default()).unwrap();
    assert_eq!(outcome.commit, repo.git(&["rev-parse", "HEAD"]).trim());
    assert!(
        outcome.summary.contains("Add the staged line"),
        "{}",
        outcome.summary
    );
    assert!(
        repo.path(".git/pre-commit-ran").exists(),
        "the pre-commit hook ran"
    );
    let message = repo.git(&["log", "-1", "--format=%B"]);
    assert!(
        message.contains("Checked-by: commit-msg hook"),
        "the commit-msg hook ran: {message}"
    );
    assert_eq!(repo.git(&["show", "HEAD:a.txt"]), "a\nstaged line\n");
    assert_eq!(
        repo.git(&["show", "--name-only", "--format=", "HEAD"])
            .trim(),
        "a.txt"
    );
    assert_eq!(
        repo.read("a.txt"),
        b"a\nstaged line\nunstaged line\n",
        "unstaged work is still there"
    );
    assert_eq!(repo.numstat(&[]), (2, 2, 0));
}

#[test]
fn core_hooks_path_is_honoured() {
    let repo = partly_staged();
    hook(
        &repo,
        "team-hooks",
        "pre-commit",
        "touch \"$(git rev-parse --show-toplevel)/team-hook-ran\"",
    );
    repo.git(&["config", "core.hooksPath", "team-hooks"]);
    commit_staged(&repo, "msg", &CommitOptions::default()).unwrap();
    assert!(repo.path("team-hook-ran").exists());
}

#[test]
fn a_failing_hook_shows_its_words_and_changes_nothing() {
    let repo = partly_staged();
    hook(
        &repo,
        ".git/hooks",
        "pre-commit",
        "echo 'lint failed: trailing spaces in a.txt' >&2; exit 1",
    );
    let head = repo.git(&["rev-parse", "HEAD"]);
    let index = repo.git(&["ls-files", "--stage"]);
    let error = commit_staged(&repo, "Try", &CommitOptions::default()).unwrap_err();
    assert!(matches!(error, GitError::CommitFailed(_)));
    assert!(
        error
            .to_string()
            .contains("lint failed: trailing spaces in a.txt"),
        "{error}"
    );
    assert_eq!(repo.git(&["rev-parse", "HEAD"]), head);
    assert_eq!(repo.git(&["ls-files", "--stage"]), index);
    assert_eq!(repo.read("a.txt"), b"a\nstaged line\nunstaged line\n");
}

#[test]
fn empty_messages_and_empty_commits_are_refused() {
    let repo = partly_staged();
    let error = commit_staged(&repo, "  \n\n", &CommitOptions::default()).unwrap_err();
    assert!(error.to_string().contains("message is empty"), "{error}");
    let strip = CommitOptions {
        strip_comments: true,
        ..CommitOptions::default()
    };
    assert!(commit_staged(&repo, "# only a comment\n", &strip).is_err());
    repo.git(&["reset", "-q"]);
    let error = commit_staged(&repo, "Nothing here", &CommitOptions::default()).unwrap_err();
    let words = error.to_string();
    assert!(
        words.contains("no changes added to commit") || words.contains("nothing to commit"),
        "git's own words: {words}"
    );
}

#[test]
fn a_hook_that_hangs_is_stopped_at_the_time_limit() {
    let repo = partly_staged();
    hook(&repo, ".git/hooks", "pre-commit", "sleep 30");
    let head = repo.git(&["rev-parse", "HEAD"]);
    let options = CommitOptions {
        timeout: std::time::Duration::from_millis(500),
        ..CommitOptions::default()
    };
    let error = commit_staged(&repo, "msg", &options).unwrap_err();
    assert!(error.to_string().contains("did not finish"), "{error}");
    assert_eq!(repo.git(&["rev-parse", "HEAD"]), head);
    assert!(
        !repo.path(".git/index.lock").exists(),
        "git was stopped cleanly and released its lock"
    );
}

/// Another git holds `index.lock` when the commit starts (a commit of its own, in its pre-commit
/// hook): git refuses before doing anything, and the commit is tried again once the lock is
/// gone, as VS Code's git does, instead of failing with "index.lock: File exists".
#[test]
fn a_commit_waits_for_another_gits_index_lock() {
    let repo = Repo::new();
    repo.write("a.txt", "a\n");
    repo.write("b.txt", "b\n");
    repo.commit_all("base");
    repo.write("a.txt", "a\nmore\n");
    repo.write("b.txt", "b\nmore\n");
    repo.git(&["add", "a.txt", "b.txt"]);
    let mut other = support::commit_holding_the_index_lock(&repo, "a.txt");
    let ours = commit_staged(&repo, "ours", &CommitOptions::default());
    assert!(other.wait().expect("wait").success());
    let ours = ours.expect("the commit, once the lock was gone");
    assert_eq!(ours.commit, repo.git(&["rev-parse", "HEAD"]).trim());
    assert_eq!(
        repo.git(&["log", "--format=%s", "-3"]),
        "ours\nthe other\nbase\n"
    );
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
}
