//! Every repository git makes (issue 20): SHA-256 objects, reftable refs, a sparse index and a
//! split index, each built by the real git in a temp dir.
//!
//! SHA-256 and reftable are served (git's numbers; tests/it/object_kinds.rs covers the writes and
//! the planner). Where commit-nudge cannot serve a kind yet, `status` says so in one line that
//! names the kind and the reason, never the library's error text. Each test
//! also records git's own numbers for the work, so that the day the kind is served the assertion
//! to add is the count (see docs/architecture.md, "Every repository git makes").

use crate::support;

use support::{run_cli, Repo};

/// A repository with one committed file, then modified (3 lines added, 1 removed) and one file
/// staged, built after `init_args` and `setup`.
fn worked_repo(init_args: &[&str], setup: impl Fn(&Repo)) -> Repo {
    let dir = tempfile::Builder::new()
        .prefix("cn-kind")
        .tempdir()
        .expect("temp dir");
    let repo = Repo { dir };
    let mut args = vec!["init", "-q", "-b", "main"];
    args.extend_from_slice(init_args);
    repo.git(&args);
    repo.git(&["config", "user.email", "dev@example.com"]);
    repo.git(&["config", "user.name", "Dev"]);
    repo.git(&["config", "commit.gpgsign", "false"]);
    repo.git(&["config", "core.autocrlf", "false"]);
    repo.write("a.txt", "one\ntwo\nthree\n");
    repo.write("dir/b.txt", "b\n");
    repo.write("other/c.txt", "c\n");
    repo.commit_all("first");
    setup(&repo);
    repo.write("a.txt", "one\nTWO\nthree\nfour\nfive\n");
    repo.write("dir/b.txt", "b\nb2\n");
    repo.git(&["add", "dir/b.txt"]);
    repo
}

/// `commit-nudge status` in `repo` succeeds with git's numbers.
fn assert_served(repo: &Repo) {
    let output = run_cli(&repo.root(), &["status"]);
    assert!(
        output.status.success(),
        "served: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let status = support::status_json(&repo.root());
    assert_eq!(support::section(&status, "unstaged"), (1, 3, 1), "{status}");
    assert_eq!(support::section(&status, "staged"), (1, 1, 0), "{status}");
    assert_eq!(
        support::section(&status, "untracked"),
        repo.untracked_numstat(),
        "{status}"
    );
    assert_eq!(
        repo.numstat(&[]),
        (1, 3, 1),
        "git's own numbers for the work"
    );
    assert_eq!(
        repo.numstat(&["--cached"]),
        (1, 1, 0),
        "git's own staged numbers"
    );
}

#[test]
fn sha256_objects() {
    let repo = worked_repo(&["--object-format=sha256"], |_| {});
    assert_eq!(
        repo.git(&["rev-parse", "--show-object-format"]).trim(),
        "sha256"
    );
    assert_served(&repo);
}

#[test]
fn reftable_refs() {
    let repo = worked_repo(&["--ref-format=reftable"], |_| {});
    assert_eq!(
        repo.git(&["rev-parse", "--show-ref-format"]).trim(),
        "reftable"
    );
    assert_served(&repo);
}

#[test]
fn sparse_index() {
    let repo = worked_repo(&[], |repo| {
        repo.git(&["config", "index.sparse", "true"]);
        repo.git(&["sparse-checkout", "set", "--cone", "dir"]);
    });
    // The index holds a sparse directory entry for `other/` (git's "sdir" extension).
    let entries = repo.git(&["ls-files", "-s", "--sparse"]);
    assert!(
        entries.contains("040000"),
        "a sparse directory entry: {entries}"
    );
    assert_served(&repo);
}

#[test]
fn split_index() {
    let repo = worked_repo(&[], |repo| {
        repo.git(&["config", "core.splitIndex", "true"]);
        repo.git(&["update-index", "--split-index"]);
    });
    let shared = std::fs::read_dir(repo.root().join(".git"))
        .expect("git dir")
        .filter_map(|e| e.ok())
        .any(|e| e.file_name().to_string_lossy().starts_with("sharedindex."));
    assert!(shared, "git wrote a shared index");
    assert_served(&repo);
}
