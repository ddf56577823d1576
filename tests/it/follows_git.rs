//! Where the counts were found to differ from git's own numbers (issue 20's list, from the old
//! `tests/scan_vs_git.rs`): each case on its own. The scan (when it counts), `count_repo` and the
//! whole-tree reference must all give git's numbers, row by row.

use crate::scan_support::{assert_git_numbers, plain, Git};
use crate::support::Repo;

use commit_nudge::git::count::{count_repo, count_repo_by_diff};
use commit_nudge::git::open_worktree;
use commit_nudge::git::verify::Scanned;

/// Each way of counting `repo` gives git's numbers.
fn counts_follow_git(repo: &Repo, name: &str) {
    let opened = open_worktree(&repo.root()).expect("open");
    if let Ok(Scanned::Counted(counts)) = count_repo_by_scan(&opened, &plain()) {
        assert_git_numbers(
            repo,
            &counts,
            &plain(),
            &format!("{name}: scan"),
            Git::Lines,
        );
    }
    let public = count_repo(&opened, &plain()).expect("count_repo counts");
    assert_git_numbers(
        repo,
        &public,
        &plain(),
        &format!("{name}: count_repo"),
        Git::Lines,
    );
    let reference = count_repo_by_diff(&opened, &plain()).expect("the reference counts");
    assert_git_numbers(
        repo,
        &reference,
        &plain(),
        &format!("{name}: reference"),
        Git::Lines,
    );
}

/// git counts a file turned into a symlink as its lines removed and the link's target added
/// (`1 3 f`), unstaged, staged and in total; so does a symlink turned back into a file.
#[test]
fn a_file_replaced_by_a_symlink_counts_as_git_does() {
    let repo = Repo::new();
    repo.write("f", "1\n2\n3\n");
    repo.write("t", "x\n");
    std::os::unix::fs::symlink("t", repo.path("l")).expect("symlink");
    repo.commit_all("base");
    std::fs::remove_file(repo.path("f")).expect("rm");
    std::os::unix::fs::symlink("t", repo.path("f")).expect("symlink");
    assert_eq!(repo.numstat(&[]), (1, 1, 3), "git's own numbers");
    counts_follow_git(&repo, "a file replaced by a symlink");
    repo.git(&["add", "f"]);
    assert_eq!(
        repo.numstat(&["--cached"]),
        (1, 1, 3),
        "git's own staged numbers"
    );
    counts_follow_git(&repo, "a staged file replaced by a symlink");
    std::fs::remove_file(repo.path("l")).expect("rm");
    repo.write("l", "now\na\nfile\n");
    counts_follow_git(&repo, "a symlink replaced by a file");
}

/// The scan alone on `opened`, through the front door's `verify`.
fn count_repo_by_scan(
    opened: &git2::Repository,
    options: &commit_nudge::git::CountOptions,
) -> Result<Scanned, commit_nudge::git::GitError> {
    let root = opened.workdir().expect("a worktree");
    commit_nudge::git::verify::by_scan(&commit_nudge::git::open(root)?, options)
}
