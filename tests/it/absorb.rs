//! `commit-nudge absorb --dry-run`: targets decided from blame over the branch's own commits,
//! against repositories built by real git; the dry run changes nothing.

use crate::support;

use serde_json::Value;
use support::Repo;

fn three_commits() -> Repo {
    let repo = Repo::new();
    repo.write("a", "base1\nbase2\n");
    repo.commit_all("base");
    repo.git(&["checkout", "-q", "-b", "topic"]);
    repo.git(&["branch", "-q", "--set-upstream-to", "main"]);
    repo.write("a", "base1\nbase2\none\ntwo\n");
    repo.commit_all("a: one two");
    repo.write("b", "x1\nx2\n");
    repo.commit_all("b: add");
    repo.write("c", "c1\n");
    repo.commit_all("c: add");
    repo
}

fn report(repo: &Repo, args: &[&str]) -> Value {
    let mut all = vec!["absorb", "--dry-run", "--json"];
    all.extend_from_slice(args);
    let out = support::run_cli(&repo.root(), &all);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

fn rev(repo: &Repo, name: &str) -> String {
    repo.git(&["rev-parse", name]).trim().to_string()
}

#[test]
fn each_fix_targets_the_commit_whose_lines_it_changes_and_the_rest_says_why() {
    let repo = three_commits();
    repo.write("a", "BASE1\nbase2\none\nTWO\n");
    repo.write("b", "x1\nX2\n");
    repo.write("new", "n\n");
    let before = (
        repo.git(&["diff"]),
        repo.git(&["diff", "--cached"]),
        rev(&repo, "HEAD"),
    );
    let r = report(&repo, &[]);
    // Candidates: the three commits not on main, newest first.
    let ids: Vec<&str> = r["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        vec![
            rev(&repo, "HEAD"),
            rev(&repo, "HEAD~1"),
            rev(&repo, "HEAD~2")
        ]
    );
    let hunks = r["hunks"].as_array().unwrap();
    let of = |path: &str, range: &str| {
        hunks
            .iter()
            .find(|h| h["path"] == path && h["range"] == range)
            .unwrap_or_else(|| panic!("{path} {range} in {r}"))
    };
    assert_eq!(
        of("a", "@@ -1,1 +1,1 @@")["reason"],
        "lines come from before the branch"
    );
    assert_eq!(
        of("a", "@@ -4,1 +4,1 @@")["target"],
        rev(&repo, "HEAD~2").as_str()
    );
    assert_eq!(
        of("b", "@@ -2,1 +2,1 @@")["target"],
        rev(&repo, "HEAD~1").as_str()
    );
    assert_eq!(
        of("new", "@@ -0,0 +1,1 @@")["reason"],
        "new file: no earlier commit"
    );
    let after = (
        repo.git(&["diff"]),
        repo.git(&["diff", "--cached"]),
        rev(&repo, "HEAD"),
    );
    assert_eq!(before, after, "a dry run changes nothing");
}

#[test]
fn staged_hunks_alone_when_anything_is_staged_and_two_commits_are_named() {
    let repo = three_commits();
    repo.write("a", "base1\nbase2\none\nTWO\n");
    repo.git(&["add", "a"]);
    repo.write("b", "x1\nX2\n");
    let r = report(&repo, &[]);
    let hunks = r["hunks"].as_array().unwrap();
    assert_eq!(hunks.len(), 1, "{r}");
    assert_eq!(hunks[0]["path"], "a");
    // A change over lines of the base and of the branch has no target.
    repo.git(&["reset", "-q"]);
    repo.write("a", "base1\nBASE2\nONE\ntwo\n");
    let r = report(&repo, &[]);
    let h = r["hunks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["path"] == "a")
        .unwrap()
        .clone();
    assert!(h["target"].is_null());
    assert!(
        h["reason"]
            .as_str()
            .unwrap()
            .starts_with("touches lines from before the branch"),
        "{h}"
    );
}

#[test]
fn someone_elses_commits_are_not_candidates_unless_asked() {
    let repo = three_commits();
    repo.git(&["config", "user.email", "other@example.com"]);
    repo.write("b", "x1\nX2\n");
    let out = support::run_cli(&repo.root(), &["absorb", "--dry-run"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no commits of its own"));
    let r = report(&repo, &["--any-author"]);
    assert_eq!(r["hunks"][0]["target"], rev(&repo, "HEAD~1").as_str());
}

#[test]
fn a_detached_head_is_refused_in_one_line() {
    let repo = three_commits();
    repo.git(&["checkout", "-q", "--detach"]);
    repo.write("b", "x1\nX2\n");
    let out = support::run_cli(&repo.root(), &["absorb", "--dry-run"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("detached") && err.lines().count() == 1,
        "{err}"
    );
}
