//! The kinds of object and ref storage git makes (issue 20): SHA-256 object names, reftable refs,
//! and both at once, each built by the real git in a temp dir. In each, `status` gives git's
//! numbers, the language server stages a hunk and a file as `git add` would (`git ls-files -s`),
//! unstages, and commits; the planner loses nothing where it serves the kind, and says in one line
//! where it does not.

use crate::support;

use serde_json::{json, Value};
use support::lsp::{uri, Client};
use support::{run_cli, Repo};

const SHA256: &[&str] = &["--object-format=sha256"];
const REFTABLE: &[&str] = &["--ref-format=reftable"];
const BOTH: &[&str] = &["--object-format=sha256", "--ref-format=reftable"];

/// A repository of `kind` with a committed history, then a file with three separated changes, a
/// staged file and an untracked one.
fn worked(kind: &[&str]) -> Repo {
    let repo = Repo::new_with(kind);
    let base: String = (1..=30).map(|i| format!("line {i}\n")).collect();
    repo.write("f.txt", &base);
    repo.write("dir/b.txt", "b\n");
    repo.commit_all("base");
    repo.write(
        "f.txt",
        base.replace("line 3\n", "line 3 changed\n")
            .replace("line 15\n", "line 15\nline 15b\n")
            .replace("line 27\n", ""),
    );
    repo.write("dir/b.txt", "b\nb2\n");
    repo.git(&["add", "dir/b.txt"]);
    repo.write("new.txt", "one\ntwo\n");
    repo
}

fn assert_status_is_gits(repo: &Repo) {
    let status = support::status_json(&repo.root());
    assert_eq!(
        support::section(&status, "unstaged"),
        repo.numstat(&[]),
        "{status}"
    );
    assert_eq!(
        support::section(&status, "staged"),
        repo.numstat(&["--cached"]),
        "{status}"
    );
    assert_eq!(
        support::section(&status, "untracked"),
        repo.untracked_numstat(),
        "{status}"
    );
    assert_eq!(
        status["head"].as_str(),
        Some(repo.git(&["rev-parse", "HEAD"]).trim()),
        "{status}"
    );
    assert_eq!(status["branch"], "main", "{status}");
}

#[test]
fn status_is_gits_in_sha256() {
    assert_status_is_gits(&worked(SHA256));
}

#[test]
fn status_is_gits_in_reftable() {
    assert_status_is_gits(&worked(REFTABLE));
}

#[test]
fn status_is_gits_in_sha256_with_reftable() {
    assert_status_is_gits(&worked(BOTH));
}

fn run_titled(client: &mut Client, file: &str, line: u32, title: &str) -> Value {
    let action = client.action(file, line, title);
    let response = client.run(&action);
    assert!(response.get("error").is_none(), "{response}");
    response
}

/// The `git ls-files -s` row git itself writes for `content` at `path`: `git add` in a copy of
/// the repository, so that the one the server watches is never written by the test meanwhile.
fn row_git_would_write(repo: &Repo, path: &str, content: &str) -> String {
    let copy = crate::support::copy_of(repo);
    copy.write(path, content);
    copy.git(&["add", "--", path]);
    copy.git(&["ls-files", "-s", "--", path])
}

/// Stage a hunk, unstage it, stage the file, commit: each write as git's own.
fn assert_lsp_writes_as_git(kind: &[&str]) {
    let repo = worked(kind);
    let mut client = Client::start();
    client.initialize(&uri(&repo.root()), json!({}));
    let file = uri(&repo.path("f.txt"));
    let text = String::from_utf8(repo.read("f.txt")).unwrap();
    client.open(&file, &text);
    client.wait_for("the first status", |m| {
        m["method"] == "commitNudge/status" && m["params"]["unstaged"]["files"] == 1
    });
    let before = repo.git(&["ls-files", "-s"]);

    // The middle hunk (line 15b, 0-based line 15) alone.
    run_titled(&mut client, &file, 15, "Stage hunk");
    let base: String = (1..=30).map(|i| format!("line {i}\n")).collect();
    let middle_only = base.replace("line 15\n", "line 15\nline 15b\n");
    assert_eq!(
        repo.git(&["ls-files", "-s", "--", "f.txt"]),
        row_git_would_write(&repo, "f.txt", &middle_only),
        "the hunk staged as git would stage that content"
    );
    assert_eq!(repo.read("f.txt"), text.as_bytes(), "the file is untouched");
    client.wait_for("the staged status", |m| {
        m["method"] == "commitNudge/status" && m["params"]["staged"]["files"] == 2
    });
    assert_eq!(repo.numstat(&["--cached"]), (2, 2, 0));

    run_titled(&mut client, &file, 15, "Unstage hunk");
    assert_eq!(repo.git(&["ls-files", "-s"]), before, "the index put back");

    run_titled(&mut client, &file, 2, "Stage file");
    assert_eq!(
        repo.git(&["ls-files", "-s", "--", "f.txt"]),
        row_git_would_write(&repo, "f.txt", &text),
        "the file staged as `git add` stages it"
    );
    client.wait_for("the staged file", |m| {
        m["method"] == "commitNudge/status" && m["params"]["unstaged"]["files"] == 0
    });

    let response = client.request(
        "workspace/executeCommand",
        json!({"command": "commit-nudge.commitStaged", "arguments": [{"root": uri(&repo.root()), "message": "Stage it all"}]}),
    );
    assert!(response.get("error").is_none(), "{response}");
    assert_eq!(
        response["result"]["commit"].as_str(),
        Some(repo.git(&["rev-parse", "HEAD"]).trim())
    );
    assert_eq!(repo.git(&["rev-list", "--count", "HEAD"]).trim(), "2");
    assert_eq!(repo.numstat(&["--cached"]), (0, 0, 0));
    client.wait_for("the status after the commit", |m| {
        m["method"] == "commitNudge/status" && m["params"]["staged"]["files"] == 0
    });
    assert!(client.shutdown().success());
}

#[test]
fn lsp_stages_unstages_and_commits_as_git_in_sha256() {
    assert_lsp_writes_as_git(SHA256);
}

#[test]
fn lsp_stages_unstages_and_commits_as_git_in_reftable() {
    assert_lsp_writes_as_git(REFTABLE);
}

#[test]
fn lsp_stages_unstages_and_commits_as_git_in_sha256_with_reftable() {
    assert_lsp_writes_as_git(BOTH);
}

#[test]
fn plan_applies_losslessly_in_reftable() {
    plan_applies_losslessly_in(REFTABLE);
}

/// In SHA-256 the index is written by git itself (`git update-index --index-info`).
#[test]
fn plan_applies_losslessly_in_sha256() {
    plan_applies_losslessly_in(SHA256);
}

/// `plan --apply` makes the planned commits, which hold exactly the work, nothing left over.
fn plan_applies_losslessly_in(kind: &[&str]) {
    let repo = worked(kind);
    let before = repo.git(&["diff", "HEAD", "--", "f.txt", "dir"]);
    let plan = run_cli(&repo.root(), &["plan", "--json"]);
    assert!(
        plan.status.success(),
        "{}",
        String::from_utf8_lossy(&plan.stderr)
    );
    let plan: Value = serde_json::from_slice(&plan.stdout).expect("plan --json prints JSON");
    let planned = plan["commits"].as_array().expect("commits").len();
    assert!(planned >= 1, "{plan}");
    let head = repo.git(&["rev-parse", "HEAD"]).trim().to_string();
    let applied = run_cli(&repo.root(), &["plan", "--apply"]);
    assert!(
        applied.status.success(),
        "{}",
        String::from_utf8_lossy(&applied.stderr)
    );
    let made = repo.git(&["rev-list", "--count", &format!("{head}..HEAD")]);
    assert_eq!(made.trim(), planned.to_string());
    assert_eq!(
        repo.git(&["status", "--porcelain", "--untracked-files=all"]),
        "",
        "every hunk committed"
    );
    // The commits together hold exactly the work (the untracked file now tracked).
    let committed = repo.git(&["diff", &head, "HEAD", "--", "f.txt", "dir"]);
    assert_eq!(committed, before);
}

/// `plan --json` in `repo`, parsed.
fn plan_json(repo: &Repo) -> Value {
    let plan = run_cli(&repo.root(), &["plan", "--json"]);
    assert!(
        plan.status.success(),
        "{}",
        String::from_utf8_lossy(&plan.stderr)
    );
    serde_json::from_slice(&plan.stdout).expect("plan --json prints JSON")
}

/// In SHA-256 (read through git itself) the plan is the one its SHA-1 twin gets (libgit2): the
/// same commits, titles and hunks with git's -U0 numbers, every hunk of `git diff HEAD` once.
#[test]
fn plan_in_sha256_is_its_sha1_twins() {
    let twin = worked(&[]);
    let repo = worked(SHA256);
    // A history for co-change: two files committed together, twice.
    for (n, r) in [&twin, &repo].into_iter().enumerate() {
        for round in 0..2 {
            r.write("x.txt", format!("x {round}\n"));
            r.write("y.txt", format!("y {round}\n"));
            r.git(&["add", "x.txt", "y.txt"]);
            r.git(&["commit", "-q", "-m", &format!("x and y {round} ({n})")]);
        }
        r.write("x.txt", "x changed\n");
        r.write("y.txt", "y changed\n");
    }
    let ours = plan_json(&repo);
    let theirs = plan_json(&twin);
    assert_eq!(ours["commits"], theirs["commits"], "{ours:#}");
    let hunks: usize = ours["commits"]
        .as_array()
        .expect("commits")
        .iter()
        .map(|c| c["hunks"].as_array().map_or(0, Vec::len))
        .sum();
    let git_hunks = repo
        .git(&["diff", "-U0", "--no-renames", "HEAD"])
        .lines()
        .filter(|l| l.starts_with("@@"))
        .count()
        + 1; // new.txt, untracked
    assert_eq!(hunks, git_hunks, "{ours:#}");
    assert_eq!(
        ours["head"].as_str(),
        Some(repo.git(&["rev-parse", "HEAD"]).trim())
    );
}

/// Under `core.autocrlf=true` in SHA-256, an unsaved buffer with CRLF endings counts as git
/// counts the same text once saved (its endings converted as `git add` converts them), and
/// "Stage file" stages it as `git add` does.
#[test]
fn an_unsaved_crlf_buffer_counts_and_stages_as_git_in_sha256() {
    let repo = Repo::new_with(SHA256);
    repo.git(&["config", "core.autocrlf", "true"]);
    repo.write("f.txt", "one\r\ntwo\r\n");
    repo.commit_all("base");
    let mut client = Client::start();
    client.initialize(&uri(&repo.root()), json!({}));
    let file = uri(&repo.path("f.txt"));
    client.open(&file, "one\r\ntwo\r\n");
    let text = "one\r\ntwo\r\nthree\r\n";
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": file, "version": 2}, "contentChanges": [{"text": text}]}),
    );
    // What git counts once the buffer is saved: one line added.
    let saved = Repo::new_with(SHA256);
    saved.git(&["config", "core.autocrlf", "true"]);
    saved.write("f.txt", "one\r\ntwo\r\n");
    saved.commit_all("base");
    saved.write("f.txt", text);
    assert_eq!(saved.numstat(&[]), (1, 1, 0), "git's own numbers");
    client.wait_for("the unsaved count", |m| {
        m["method"] == "commitNudge/status"
            && m["params"]["total"] == json!({"files": 1, "added": 1, "removed": 0})
    });
    run_titled(&mut client, &file, 2, "Stage file");
    assert_eq!(
        repo.git(&["ls-files", "-s", "--", "f.txt"]),
        row_git_would_write(&repo, "f.txt", text),
        "the buffer staged as `git add` stages that text"
    );
    assert!(client.shutdown().success());
}

/// In SHA-256 a working-tree write re-counts its paths alone (through git, `-- <paths>`), and
/// the result is the full count's; a deletion (which could pair into a rename) counts whole.
#[test]
fn a_recount_of_written_paths_in_sha256_equals_the_full_count() {
    use commit_nudge::git::{self, Changed, CountOptions};
    let repo = worked(SHA256);
    let options = CountOptions {
        count_untracked: true,
        ..CountOptions::default()
    };
    let opened = git::open(&repo.root()).expect("open");
    let mut previous = opened.count(&options).expect("count");
    type Step = (&'static str, fn(&Repo));
    let steps: [Step; 3] = [
        ("an edit", |r| r.write("f.txt", "changed\n")),
        ("a new file", |r| r.write("dir/more.txt", "a\nb\nc\n")),
        ("an untracked file edited", |r| r.write("new.txt", "one\n")),
    ];
    for (what, step) in steps {
        step(&repo);
        let paths = ["f.txt", "dir/more.txt", "new.txt"]
            .into_iter()
            .filter(|p| repo.path(p).exists())
            .map(str::to_string)
            .collect();
        let recounted = opened
            .recount(&previous, Changed::Paths(&paths), &options)
            .expect("recount")
            .unwrap_or_else(|| panic!("{what}: re-counted by its paths"));
        let full = opened.count(&options).expect("count");
        for (side, ours, theirs) in [
            ("staged", &recounted.staged, &full.staged),
            ("unstaged", &recounted.unstaged, &full.unstaged),
            ("untracked", &recounted.untracked, &full.untracked),
            ("total", &recounted.tracked_total, &full.tracked_total),
        ] {
            assert_eq!(ours, theirs, "{what}: {side}");
        }
        previous = recounted;
    }
    std::fs::remove_file(repo.path("f.txt")).expect("rm");
    let paths = ["f.txt".to_string()].into_iter().collect();
    let declined = opened
        .recount(&previous, Changed::Paths(&paths), &options)
        .expect("recount");
    assert!(declined.is_none(), "a deletion is counted whole");
}
