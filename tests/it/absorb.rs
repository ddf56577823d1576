//! `commit-nudge absorb --dry-run`: targets decided from blame over the branch's own commits,
//! against repositories built by real git; the dry run changes nothing.

use crate::support;

use serde_json::Value;
use support::Repo;

/// A branch `topic` of three commits (a: one two, b: add, c: add) on `main`, its upstream.
pub(crate) fn three_commits() -> Repo {
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

// Applying.

fn absorb(repo: &Repo, args: &[&str]) -> std::process::Output {
    let mut all = vec!["absorb"];
    all.extend_from_slice(args);
    support::run_cli(&repo.root(), &all)
}

fn log(repo: &Repo) -> Vec<String> {
    repo.git(&["log", "--format=%s", "main..HEAD"])
        .lines()
        .map(str::to_string)
        .collect()
}

fn show(repo: &Repo, rev_path: &str) -> String {
    repo.git(&["show", rev_path])
}

#[test]
fn apply_makes_one_fixup_per_target_and_leaves_the_rest_exactly_as_it_was() {
    let repo = three_commits();
    repo.write("a", "base1\nBASE2\none\nTWO\n");
    repo.write("b", "x1\nX2\n");
    repo.write("c", "C1\n");
    let tip = rev(&repo, "HEAD");
    let out = absorb(&repo, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.starts_with("made 3 fix-up commits"), "{said}");
    assert_eq!(
        log(&repo),
        vec![
            "fixup! c: add",
            "fixup! b: add",
            "fixup! a: one two",
            "c: add",
            "b: add",
            "a: one two"
        ]
    );
    // Nothing else moved: the old tip is HEAD~3.
    assert_eq!(rev(&repo, "HEAD~3"), tip);
    // Lossless: each fix-up holds its target's lines, the base's line stays uncommitted.
    assert_eq!(show(&repo, "HEAD:c"), "C1\n");
    assert_eq!(show(&repo, "HEAD:b"), "x1\nX2\n");
    assert_eq!(show(&repo, "HEAD:a"), "base1\nbase2\none\nTWO\n");
    assert_eq!(
        repo.git(&["diff", "HEAD~2", "HEAD~1", "--stat"]).trim(),
        "b | 2 +-\n 1 file changed, 1 insertion(+), 1 deletion(-)"
    );
    assert_eq!(repo.git(&["diff", "--cached"]), "");
    assert_eq!(
        repo.git(&["diff", "-U0"])
            .lines()
            .filter(|l| l.starts_with(['+', '-']) && !l.starts_with("+++") && !l.starts_with("---"))
            .collect::<Vec<_>>(),
        vec!["-base2", "+BASE2"]
    );
}

#[test]
fn staged_work_not_absorbed_stays_staged_and_unstaged_stays_unstaged() {
    let repo = three_commits();
    // Staged: a fix of b (absorbs) and a new file (stays staged); unstaged: a fix of a's
    // branch line and a change of the base's line (both stay unstaged: only staged hunks absorb).
    repo.write("b", "x1\nX2\n");
    repo.write("new", "n\n");
    repo.git(&["add", "b", "new"]);
    repo.write("a", "BASE1\nbase2\none\nTWO\n");
    let unstaged_before = repo.git(&["diff"]);
    let out = absorb(&repo, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(log(&repo)[0], "fixup! b: add");
    assert_eq!(log(&repo).len(), 4);
    assert_eq!(repo.git(&["diff"]), unstaged_before);
    assert_eq!(repo.git(&["diff", "--cached", "--name-status"]), "A\tnew\n");
    assert_eq!(repo.git(&["show", ":new"]), "n\n");
}

pub(crate) fn executable(repo: &Repo, rel: &str, text: &str) {
    let path = repo.path(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

#[test]
fn a_hook_that_rejects_a_fixup_stops_there_and_keeps_the_earlier_ones() {
    let repo = three_commits();
    repo.write("a", "BASE1\nbase2\none\nTWO\n");
    repo.write("b", "x1\nX2\n");
    // Fix-ups go oldest target first: a's is made, then the hook refuses b's.
    executable(
        &repo,
        ".git/hooks/commit-msg",
        "#!/bin/sh\nif grep -q 'fixup! b: add' \"$1\"; then echo 'no fix-ups of b today' >&2; exit 1; fi\n",
    );
    let b_before = repo.git(&["diff", "--", "b"]);
    let out = absorb(&repo, &[]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no fix-ups of b today"), "{err}");
    assert!(err.contains("1 made before it"), "{err}");
    assert_eq!(log(&repo)[0], "fixup! a: one two");
    assert_eq!(log(&repo).len(), 4);
    // The rest of the work is exactly as it was.
    assert_eq!(repo.git(&["diff", "--", "b"]), b_before);
    assert_eq!(repo.git(&["diff", "--cached"]), "");
    assert_eq!(String::from_utf8(repo.read("b")).unwrap(), "x1\nX2\n");
    assert!(repo.git(&["diff", "--", "a"]).contains("+BASE1"));
}

#[test]
fn rewrite_squashes_the_fixups_into_their_targets_and_names_the_undo() {
    let repo = three_commits();
    repo.write("a", "BASE1\nbase2\none\nTWO\n");
    repo.write("b", "x1\nX2\n");
    repo.write("new", "n\n");
    let tip = rev(&repo, "HEAD");
    let unstaged_a = "BASE1\nbase2\none\nTWO\n";
    let out = absorb(&repo, &["--rewrite"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("git reset --soft refs/commit-nudge/absorb-undo"),
        "{said}"
    );
    assert_eq!(log(&repo), vec!["c: add", "b: add", "a: one two"]);
    // The targets are mended; the base's line and the new file are still uncommitted.
    assert_eq!(show(&repo, "HEAD~2:a"), "base1\nbase2\none\nTWO\n");
    assert_eq!(show(&repo, "HEAD~1:b"), "x1\nX2\n");
    assert_eq!(show(&repo, "HEAD:c"), "c1\n");
    assert_eq!(rev(&repo, "refs/commit-nudge/absorb-undo"), tip);
    assert_eq!(String::from_utf8(repo.read("a")).unwrap(), unstaged_a);
    assert_eq!(repo.git(&["status", "--porcelain"]), " M a\n?? new\n");
    assert_eq!(repo.git(&["worktree", "list"]).lines().count(), 1);
}

#[test]
fn a_rebase_that_stops_is_aborted_and_everything_is_as_it_was() {
    let repo = three_commits();
    // A commit after a's that adds a line right below a's last one: squashing a fix of that
    // line into a conflicts.
    repo.write("a", "base1\nbase2\none\ntwo\nthree\n");
    repo.commit_all("a: three");
    repo.write("a", "base1\nbase2\none\nTWO\nthree\n");
    repo.write("b", "x1\nX2\n");
    // Only staged hunks absorb; c's change stays unstaged.
    repo.git(&["add", "a", "b"]);
    repo.write("c", "c1\nc2\n");
    let before = (
        rev(&repo, "HEAD"),
        repo.git(&["diff"]),
        repo.git(&["diff", "--cached"]),
        repo.git(&["ls-files", "-s"]),
    );
    let out = absorb(&repo, &["--rewrite"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("stopped") && err.contains("aborted"), "{err}");
    let after = (
        rev(&repo, "HEAD"),
        repo.git(&["diff"]),
        repo.git(&["diff", "--cached"]),
        repo.git(&["ls-files", "-s"]),
    );
    assert_eq!(before, after);
    assert_eq!(repo.git(&["worktree", "list"]).lines().count(), 1);
    assert!(!repo.path(".git/rebase-merge").exists());
}

#[test]
fn rewrite_is_refused_when_a_remote_branch_has_the_commits() {
    let repo = three_commits();
    repo.git(&["update-ref", "refs/remotes/origin/topic", "HEAD~1"]);
    repo.write("a", "base1\nbase2\none\nTWO\n");
    let before = (rev(&repo, "HEAD"), repo.git(&["diff"]));
    let out = absorb(&repo, &["--rewrite"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("origin/topic already has"), "{err}");
    assert_eq!(before, (rev(&repo, "HEAD"), repo.git(&["diff"])));
}

#[test]
fn a_bisect_or_a_conflicted_index_is_refused_in_one_line() {
    let repo = three_commits();
    repo.write("b", "x1\nX2\n");
    repo.git(&["bisect", "start"]);
    let out = absorb(&repo, &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("bisect") && err.lines().count() == 1,
        "{err}"
    );
    repo.git(&["bisect", "reset"]);
    // A conflicted index: a stash that does not apply cleanly.
    repo.git(&["stash", "-q"]);
    repo.write("b", "x1\nY2\n");
    repo.commit_all("b: y");
    let _ = repo.git_output(&["stash", "pop", "-q"]);
    let out = absorb(&repo, &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("conflicts") && err.lines().count() == 1,
        "{err}"
    );
    let out = absorb(&repo, &["--dry-run"]);
    assert!(!out.status.success());
}

#[test]
fn nothing_to_absorb_is_said_and_nothing_is_made() {
    let repo = three_commits();
    repo.write("a", "BASE1\nbase2\none\ntwo\n");
    let out = absorb(&repo, &[]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing to absorb"));
    assert_eq!(log(&repo).len(), 3);
}

// Every kind of repository: SHA-256 object names (served by git itself) absorb as SHA-1 does.
//
// Each test builds twins, one repository of each kind with the same commits and the same work,
// and compares what absorb says and does in both, with object names replaced by the subjects of
// the commits they name (the only thing that may differ).

pub(crate) const SHA256: &[&str] = &["--object-format=sha256"];

/// `three_commits` in a repository made with `kind`, plus `d`, whose first line comes from
/// `a: one two` and whose second from `b: add` (a fix of both has no single target).
pub(crate) fn twin(kind: &[&str]) -> Repo {
    let repo = Repo::new_with(kind);
    repo.write("a", "base1\nbase2\n");
    repo.commit_all("base");
    repo.git(&["checkout", "-q", "-b", "topic"]);
    repo.git(&["branch", "-q", "--set-upstream-to", "main"]);
    repo.write("a", "base1\nbase2\none\ntwo\n");
    repo.write("d", "d1\n");
    repo.commit_all("a: one two");
    repo.write("b", "x1\nx2\n");
    repo.write("d", "d1\nd2\n");
    repo.commit_all("b: add");
    repo.write("c", "c1\n");
    repo.commit_all("c: add");
    repo
}

/// The work every twin test starts from: a fix of the base's line (left), of a's line, of b's,
/// an addition at the end of c (c's), a change over a's and b's lines of d (left), a new file.
fn twin_work(repo: &Repo) {
    repo.write("a", "BASE1\nbase2\none\nTWO\n");
    repo.write("b", "x1\nX2\n");
    repo.write("c", "c1\nc2\n");
    repo.write("d", "D1\nD2\n");
    repo.write("new", "n\n");
}

/// The dry run's report with every object name replaced by `<subject>`.
fn named_report(repo: &Repo) -> Value {
    let r = report(repo, &[]);
    let mut text = r.to_string();
    for c in r["candidates"].as_array().expect("candidates") {
        let id = c["id"].as_str().expect("id");
        let name = format!("<{}>", c["subject"].as_str().expect("subject"));
        text = text.replace(id, &name).replace(&id[..7], &name);
    }
    serde_json::from_str(&text).expect("json")
}

/// What a repository holds, without object names: each branch commit's subject and patch, the
/// staged and unstaged patches, the index's modes and paths, the status, the files on disk.
fn state(repo: &Repo) -> Vec<String> {
    let no_ids = |text: String| -> String {
        text.lines()
            .filter(|l| !l.starts_with("index ") && !l.starts_with("commit "))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let mut out = vec![repo.git(&["log", "--format=%s", "main..HEAD"])];
    out.push(no_ids(repo.git(&[
        "log",
        "-p",
        "--format=commit %H%n%s",
        "main..HEAD",
    ])));
    out.push(no_ids(repo.git(&["diff"])));
    out.push(no_ids(repo.git(&["diff", "--cached"])));
    out.push(
        repo.git(&["ls-files", "-s"])
            .lines()
            .map(|l| {
                let (meta, path) = l.split_once('\t').expect("a tab");
                let mode = meta.split(' ').next().expect("a mode");
                format!("{mode} {path}")
            })
            .collect::<Vec<_>>()
            .join("\n"),
    );
    out.push(repo.git(&["status", "--porcelain"]));
    for file in ["a", "b", "c", "d", "new"] {
        let text = std::fs::read(repo.path(file)).unwrap_or_default();
        out.push(String::from_utf8_lossy(&text).into_owned());
    }
    out
}

/// `@@ -a,b +c,d @@` as absorb prints it, from git's `@@ -a +c @@` (a count of 1 left out).
fn full_range(header: &str) -> String {
    let inner = header
        .trim_start_matches("@@ ")
        .split(" @@")
        .next()
        .unwrap();
    let side = |s: &str| match s.split_once(',') {
        Some(_) => s.to_string(),
        None => format!("{s},1"),
    };
    let (old, new) = inner.split_once(' ').unwrap();
    format!("@@ {} {} @@", side(old), side(new))
}

/// The hunks `git diff -U0 HEAD` shows, as (path, range), and the untracked files.
fn uncommitted_hunks(repo: &Repo) -> Vec<(String, String)> {
    let mut hunks = Vec::new();
    let mut path = String::new();
    for line in repo.git(&["diff", "-U0", "HEAD"]).lines() {
        if let Some(p) = line.strip_prefix("+++ b/") {
            path = p.to_string();
        } else if line.starts_with("@@ ") {
            hunks.push((path.clone(), full_range(line)));
        }
    }
    for file in repo
        .git(&["ls-files", "--others", "--exclude-standard"])
        .lines()
    {
        let lines = String::from_utf8_lossy(&repo.read(file)).lines().count();
        hunks.push((file.to_string(), format!("@@ -0,0 +1,{lines} @@")));
    }
    hunks.sort();
    hunks
}

#[test]
fn sha256_dry_run_names_the_same_targets_and_reasons_as_its_sha1_twin() {
    let (sha1, sha256) = (twin(&[]), twin(SHA256));
    assert_eq!(
        sha256.git(&["rev-parse", "--show-object-format"]).trim(),
        "sha256"
    );
    for repo in [&sha1, &sha256] {
        twin_work(repo);
    }
    let before = state(&sha256);
    let (ours, theirs) = (named_report(&sha256), named_report(&sha1));
    assert_eq!(ours, theirs);
    // And what they say is right (so that equal is not equally wrong).
    let said: Vec<(String, String, String)> = ours["hunks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            let what = h["target"].as_str().or(h["reason"].as_str()).unwrap();
            (
                h["path"].as_str().unwrap().to_string(),
                h["range"].as_str().unwrap().to_string(),
                what.to_string(),
            )
        })
        .collect();
    let expected = [
        ("a", "@@ -1,1 +1,1 @@", "lines come from before the branch"),
        ("a", "@@ -4,1 +4,1 @@", "<a: one two>"),
        ("b", "@@ -2,1 +2,1 @@", "<b: add>"),
        ("c", "@@ -1,0 +2,1 @@", "<c: add>"),
        (
            "d",
            "@@ -1,2 +1,2 @@",
            "touches lines of 2 commits: <a: one two> and <b: add>",
        ),
        ("new", "@@ -0,0 +1,1 @@", "new file: no earlier commit"),
    ]
    .map(|(p, r, w)| (p.to_string(), r.to_string(), w.to_string()));
    assert_eq!(said, expected, "{ours:#}");
    assert_eq!(
        ours["candidates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["subject"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["c: add", "b: add", "a: one two"]
    );
    // The candidates' ids are SHA-256's own, newest first.
    let r = report(&sha256, &[]);
    assert_eq!(r["candidates"][2]["id"], rev(&sha256, "HEAD~2").as_str());
    assert_eq!(rev(&sha256, "HEAD").len(), 64);
    assert_eq!(state(&sha256), before, "a dry run changes nothing");
    // The text of the dry run is the same too, short names aside.
    let text = |repo: &Repo| {
        let out = support::run_cli(&repo.root(), &["absorb", "--dry-run"]);
        assert!(out.status.success());
        let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
        for c in report(repo, &[])["candidates"].as_array().unwrap() {
            let id = c["id"].as_str().unwrap();
            text = text.replace(&id[..7], &format!("<{}>", c["subject"].as_str().unwrap()));
        }
        text.lines()
            .map(|l| match l.strip_prefix("fixup ") {
                Some(rest) => format!("fixup {}", rest.split_once(' ').unwrap().1),
                None => l.to_string(),
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(text(&sha256), text(&sha1));
}

#[test]
fn sha256_apply_makes_the_same_fixups_and_leaves_exactly_the_rest_as_its_sha1_twin() {
    let (sha1, sha256) = (twin(&[]), twin(SHA256));
    for repo in [&sha1, &sha256] {
        twin_work(repo);
        // Hooks run as in a terminal, in both.
        executable(
            repo,
            ".git/hooks/pre-commit",
            "#!/bin/sh\necho ran >> \"$(git rev-parse --git-dir)/hook-runs\"\n",
        );
    }
    let left: Vec<(String, String)> = {
        let r = report(&sha256, &[]);
        let mut left: Vec<_> = r["hunks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|h| h["target"].is_null())
            .map(|h| {
                (
                    h["path"].as_str().unwrap().to_string(),
                    h["range"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        left.sort();
        left
    };
    let files_before = state(&sha256)[6..].to_vec();
    let tip = rev(&sha256, "HEAD");
    let made: Vec<String> = [&sha1, &sha256]
        .map(|repo| {
            let out = absorb(repo, &[]);
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .next()
                .unwrap()
                .to_string()
        })
        .to_vec();
    assert_eq!(made, ["made 3 fix-up commits"; 2]);
    assert_eq!(state(&sha256), state(&sha1));
    assert_eq!(
        log(&sha256),
        [
            "fixup! c: add",
            "fixup! b: add",
            "fixup! a: one two",
            "c: add",
            "b: add",
            "a: one two"
        ]
    );
    assert_eq!(rev(&sha256, "HEAD~3"), tip, "nothing else moved");
    // Each fix-up holds its target's lines alone.
    assert_eq!(
        sha256.git(&["diff", "HEAD~1", "HEAD", "--stat"]).trim(),
        "c | 1 +\n 1 file changed, 1 insertion(+)"
    );
    assert_eq!(show(&sha256, "HEAD:a"), "base1\nbase2\none\nTWO\n");
    // What is left uncommitted is exactly what absorb left behind, and unstaged, as it was.
    assert_eq!(uncommitted_hunks(&sha256), left);
    assert_eq!(sha256.git(&["diff", "--cached"]), "");
    assert_eq!(
        state(&sha256)[6..],
        files_before[..],
        "the files are untouched"
    );
    let runs = std::fs::read_to_string(sha256.path(".git/hook-runs")).unwrap();
    assert_eq!(runs.lines().count(), 3, "the hook ran for each fix-up");
}

#[test]
fn sha256_staged_work_not_absorbed_stays_staged_as_in_its_sha1_twin() {
    let (sha1, sha256) = (twin(&[]), twin(SHA256));
    for repo in [&sha1, &sha256] {
        twin_work(repo);
        // Staged: b's fix (absorbs), d's change over two commits and the new file (both stay
        // staged); the rest stays unstaged.
        repo.git(&["add", "b", "d", "new"]);
    }
    let unstaged_before = sha256.git(&["diff"]);
    for repo in [&sha1, &sha256] {
        let out = absorb(repo, &[]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(state(&sha256), state(&sha1));
    assert_eq!(log(&sha256)[0], "fixup! b: add");
    assert_eq!(log(&sha256).len(), 4);
    assert_eq!(sha256.git(&["diff"]), unstaged_before);
    assert_eq!(
        sha256.git(&["diff", "--cached", "--name-status"]),
        "M\td\nA\tnew\n"
    );
    assert_eq!(sha256.index_blob("d"), b"D1\nD2\n");
}

#[test]
fn sha256_rewrite_squashes_the_fixups_as_in_its_sha1_twin() {
    let (sha1, sha256) = (twin(&[]), twin(SHA256));
    for repo in [&sha1, &sha256] {
        twin_work(repo);
    }
    let tip = rev(&sha256, "HEAD");
    for repo in [&sha1, &sha256] {
        let out = absorb(repo, &["--rewrite"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(
            said.contains("git reset --soft refs/commit-nudge/absorb-undo"),
            "{said}"
        );
    }
    assert_eq!(state(&sha256), state(&sha1));
    assert_eq!(log(&sha256), ["c: add", "b: add", "a: one two"]);
    assert_eq!(show(&sha256, "HEAD~2:a"), "base1\nbase2\none\nTWO\n");
    assert_eq!(show(&sha256, "HEAD~1:b"), "x1\nX2\n");
    assert_eq!(show(&sha256, "HEAD:c"), "c1\nc2\n");
    assert_eq!(rev(&sha256, "refs/commit-nudge/absorb-undo"), tip);
    assert_eq!(
        sha256.git(&["status", "--porcelain"]),
        " M a\n M d\n?? new\n"
    );
    assert_eq!(sha256.git(&["worktree", "list"]).lines().count(), 1);
}

#[test]
fn sha256_a_rebase_that_stops_puts_everything_back_in_one_line_as_in_sha1() {
    for kind in [&[][..], SHA256] {
        let repo = twin(kind);
        // A commit after a's that adds a line right below a's last one: squashing a fix of that
        // line into a conflicts.
        repo.write("a", "base1\nbase2\none\ntwo\nthree\n");
        repo.commit_all("a: three");
        repo.write("a", "base1\nbase2\none\nTWO\nthree\n");
        repo.write("b", "x1\nX2\n");
        repo.git(&["add", "a", "b"]);
        repo.write("c", "c1\nc2\n");
        let before = (
            rev(&repo, "HEAD"),
            repo.git(&["diff"]),
            repo.git(&["diff", "--cached"]),
            repo.git(&["ls-files", "-s"]),
        );
        let out = absorb(&repo, &["--rewrite"]);
        assert!(!out.status.success(), "{kind:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{kind:?}: {err}");
        assert!(
            err.contains("stopped (CONFLICT") && err.contains("aborted"),
            "{kind:?}: {err}"
        );
        let after = (
            rev(&repo, "HEAD"),
            repo.git(&["diff"]),
            repo.git(&["diff", "--cached"]),
            repo.git(&["ls-files", "-s"]),
        );
        assert_eq!(before, after, "{kind:?}");
        assert_eq!(repo.git(&["worktree", "list"]).lines().count(), 1);
        assert!(!repo.path(".git/rebase-merge").exists());
    }
}

#[test]
fn sha256_rewrite_is_refused_when_a_remote_branch_has_the_commits() {
    let repo = twin(SHA256);
    repo.git(&["update-ref", "refs/remotes/origin/topic", "HEAD~1"]);
    repo.git(&[
        "symbolic-ref",
        "refs/remotes/origin/HEAD",
        "refs/remotes/origin/topic",
    ]);
    repo.write("a", "base1\nbase2\none\nTWO\n");
    let before = state(&repo);
    let out = absorb(&repo, &["--rewrite"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("origin/topic already has"), "{err}");
    assert_eq!(before, state(&repo));
}

#[test]
fn sha256_a_hook_that_rejects_a_fixup_keeps_the_earlier_ones_and_the_rest_of_the_work() {
    let repo = twin(SHA256);
    twin_work(&repo);
    executable(
        &repo,
        ".git/hooks/commit-msg",
        "#!/bin/sh\nif grep -q 'fixup! b: add' \"$1\"; then echo 'no fix-ups of b today' >&2; exit 1; fi\n",
    );
    let b_before = repo.git(&["diff", "--", "b"]);
    let out = absorb(&repo, &[]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no fix-ups of b today"), "{err}");
    assert_eq!(log(&repo)[0], "fixup! a: one two");
    assert_eq!(repo.git(&["diff", "--", "b"]), b_before);
    assert_eq!(repo.git(&["diff", "--cached"]), "");
    assert_eq!(String::from_utf8(repo.read("c")).unwrap(), "c1\nc2\n");
}

#[test]
fn sha256_someone_elses_commits_and_a_detached_head_are_as_in_sha1() {
    let repo = twin(SHA256);
    repo.write("b", "x1\nX2\n");
    repo.git(&["config", "user.email", "other@example.com"]);
    let out = support::run_cli(&repo.root(), &["absorb", "--dry-run"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no commits of its own"));
    let r = report(&repo, &["--any-author"]);
    assert_eq!(r["hunks"][0]["target"], rev(&repo, "HEAD~1").as_str());
    repo.git(&["checkout", "-q", "--detach"]);
    let out = support::run_cli(&repo.root(), &["absorb", "--dry-run"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("detached") && err.lines().count() == 1,
        "{err}"
    );
}

/// SHA-256 objects with reftable refs: git itself serves objects and refs alike, and absorb
/// (the dry run, the fix-ups, the rewrite) does what it does in the SHA-1 twin.
#[test]
fn sha256_with_reftable_absorbs_and_rewrites_as_its_sha1_twin() {
    let (sha1, both) = (
        twin(&[]),
        twin(&["--object-format=sha256", "--ref-format=reftable"]),
    );
    for repo in [&sha1, &both] {
        twin_work(repo);
    }
    assert_eq!(named_report(&both), named_report(&sha1));
    for repo in [&sha1, &both] {
        let out = absorb(repo, &["--rewrite"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(state(&both), state(&sha1));
    assert_eq!(log(&both), ["c: add", "b: add", "a: one two"]);
    assert_eq!(show(&both, "HEAD~1:b"), "x1\nX2\n");
}

/// A script that leaves `<marks>/<name>` when it runs (as a filter, passing its input on).
#[cfg(unix)]
fn trap(marks: &std::path::Path, name: &str) -> String {
    let path = marks.with_extension(name);
    std::fs::write(
        &path,
        format!("#!/bin/sh\ntouch '{}/{name}'\ncat\n", marks.display()),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path.to_string_lossy().into_owned()
}

/// The dry run in SHA-256 reads through git itself and runs nothing the repository names: no
/// fsmonitor, textconv, filter, hook or signature program (real git, asked the same, runs them).
#[cfg(unix)]
#[test]
fn sha256_dry_run_runs_nothing_of_the_repositorys() {
    let repo = twin(SHA256);
    twin_work(&repo);
    let marks_dir = tempfile::tempdir().unwrap();
    let marks = marks_dir.path().join("marks");
    std::fs::create_dir(&marks).unwrap();
    for (key, name) in [
        ("core.fsmonitor", "fsmonitor"),
        ("diff.trap.textconv", "textconv"),
        ("filter.trap.clean", "clean"),
        ("filter.trap.smudge", "smudge"),
        ("gpg.program", "gpg"),
    ] {
        repo.git(&["config", key, &trap(&marks, name)]);
    }
    repo.git(&["config", "log.showSignature", "true"]);
    repo.write(".git/info/attributes", "* diff=trap filter=trap\n");
    for hook in ["post-index-change", "reference-transaction", "pre-commit"] {
        executable(
            &repo,
            &format!(".git/hooks/{hook}"),
            &format!("#!/bin/sh\ntouch '{}/{hook}'\n", marks.display()),
        );
    }
    let r = report(&repo, &[]);
    assert_eq!(r["hunks"].as_array().unwrap().len(), 6, "{r}");
    let left: Vec<_> = std::fs::read_dir(&marks).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
    // The trap works: git's own blame with textconv and a diff of the work run the programs.
    repo.git(&["blame", "--textconv", "HEAD", "--", "a"]);
    repo.git(&["diff", "HEAD"]);
    let left: Vec<_> = std::fs::read_dir(&marks).unwrap().collect();
    assert!(!left.is_empty(), "real git left marks");
}

/// A file renamed on the branch: git's blame (SHA-256) follows the rename as libgit2's does
/// (SHA-1), so a fix of a line the file had before its rename folds into the commit that wrote
/// it, in both.
#[test]
fn sha256_blame_follows_a_rename_as_its_sha1_twin() {
    let repos = [&[][..], SHA256].map(|kind| {
        let repo = Repo::new_with(kind);
        repo.write("base", "base\n");
        repo.commit_all("base");
        repo.git(&["checkout", "-q", "-b", "topic"]);
        repo.git(&["branch", "-q", "--set-upstream-to", "main"]);
        repo.write("old", "l1\nl2\nl3\nl4\nl5\n");
        repo.commit_all("add old");
        repo.git(&["mv", "old", "new"]);
        repo.git(&["commit", "-q", "-m", "rename"]);
        repo.write("new", "l1\nL2\nl3\nl4\nl5\n");
        repo
    });
    let [sha1, sha256] = &repos;
    let ours = named_report(sha256);
    assert_eq!(ours, named_report(sha1));
    assert_eq!(ours["hunks"][0]["target"], "<add old>", "{ours:#}");
}
