//! Concurrent git: a thread runs the user's git commands (commit, checkout -b, add, reset, stash,
//! `git apply --cached` as `git add -p` does) while the server stages hunks and files through the
//! library and through the language server. Every index write goes through `index.lock` and is
//! refused cleanly when git holds it; at the end `git fsck` is clean, every line written is in
//! the working tree, the index or the history, and the counts converge to git's.

use crate::support;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use commit_nudge::git::{self, GitError};
use serde_json::json;
use support::lsp::{uri, Client};
use support::{status_json, Repo};

/// The files the user edits in the terminal, and those edited in the editor: each side writes
/// only its own, so that a line lost is lost by a tool, not by two writers racing in this test.
const USER_FILES: &[&str] = &["u0.txt", "u1.txt", "u2.txt"];
const EDITOR_FILES: &[&str] = &["e0.txt", "e1.txt", "e2.txt"];

/// Appends `line` to `rel` in the working tree.
fn append(root: &Path, rel: &str, line: &str) {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(root.join(rel))
        .expect("open to append");
    file.write_all(format!("{line}\n").as_bytes())
        .expect("append");
}

/// What the user does in a terminal, round after round, until told to stop.
fn user_at_the_terminal(repo_dir: &Path, stop: &AtomicBool) -> Vec<String> {
    let git = |args: &[&str]| {
        support::git_command(repo_dir, Path::new("/dev/null"))
            .args(args)
            .output()
            .expect("git runs")
    };
    let mut written = Vec::new();
    let mut round = 0usize;
    while !stop.load(Ordering::SeqCst) || round < 12 {
        let file = USER_FILES[round % USER_FILES.len()];
        let line = format!("user line {round}");
        append(repo_dir, file, &line);
        written.push(line);
        match round % 6 {
            0 => {
                git(&["add", file]);
                git(&["commit", "-q", "-m", &format!("user commit {round}")]);
            }
            1 => {
                git(&["checkout", "-q", "-b", &format!("branch-{round}")]);
            }
            2 => {
                git(&["add", "-A"]);
            }
            3 => {
                git(&["reset", "-q"]);
            }
            4 => {
                // The stash keeps what it takes (the check below reads the stash's reflog). It is
                // not popped: `git stash pop` re-checks out every path it believes clean, and a
                // file staged by anyone (another terminal as much as the editor) between its
                // steps can be overwritten by git itself; that race is git's, not the server's.
                let mut push = vec!["stash", "push", "-q", "--"];
                push.extend(USER_FILES);
                git(&push);
            }
            _ => {
                // `git add -p`: a patch of the working tree applied to the index only.
                let patch = git(&["diff", "--", file]).stdout;
                let mut apply = support::git_command(repo_dir, Path::new("/dev/null"))
                    .args(["apply", "--cached", "-"])
                    .stdin(std::process::Stdio::piped())
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null())
                    .spawn()
                    .expect("git apply runs");
                if let Some(mut stdin) = apply.stdin.take() {
                    use std::io::Write;
                    let _ = stdin.write_all(&patch);
                }
                let _ = apply.wait();
            }
        }
        round += 1;
    }
    written
}

/// Whether an action's failure is one of the clean refusals (and not a broken state).
fn clean_refusal(error: &GitError) -> bool {
    matches!(
        error,
        GitError::IndexLocked(_) | GitError::Stale(_) | GitError::Git(_) | GitError::Io { .. }
    )
}

/// Everything the repository holds: working tree, index, every object reachable from any ref
/// or reflog (the stash included).
fn everything(repo: &Repo) -> String {
    let mut all = String::new();
    for file in USER_FILES.iter().chain(EDITOR_FILES) {
        all.push_str(&String::from_utf8_lossy(
            &std::fs::read(repo.path(file)).unwrap_or_default(),
        ));
    }
    let objects = repo.git(&["rev-list", "--all", "--reflog", "--objects"]);
    let mut index_objects = repo.git(&["ls-files", "-s"]);
    index_objects = index_objects
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .map(|id| format!("{id}\n"))
        .collect();
    let ids: String = objects
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(|id| format!("{id}\n"))
        .chain(index_objects.lines().map(|l| format!("{l}\n")))
        .collect();
    let mut batch = repo
        .command()
        .args(["cat-file", "--batch"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("git cat-file runs");
    let mut stdin = batch.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        let _ = stdin.write_all(ids.as_bytes());
    });
    let output = batch.wait_with_output().expect("cat-file output");
    writer.join().expect("writer");
    all.push_str(&String::from_utf8_lossy(&output.stdout));
    all
}

fn seeded() -> Repo {
    let repo = Repo::new();
    for file in USER_FILES.iter().chain(EDITOR_FILES) {
        repo.write(
            file,
            (1..=30)
                .map(|i| format!("{file} base {i}\n"))
                .collect::<String>(),
        );
    }
    repo.commit_all("seed");
    repo
}

fn assert_fsck_clean(repo: &Repo) {
    let fsck = repo.git_output(&["fsck", "--full", "--no-dangling"]);
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&fsck.stdout),
        String::from_utf8_lossy(&fsck.stderr)
    );
    assert!(fsck.status.success(), "git fsck: {report}");
    for word in ["error", "missing", "broken", "corrupt"] {
        assert!(!report.contains(word), "git fsck: {report}");
    }
}

fn assert_converged(repo: &Repo) {
    assert!(!repo.path(".git/index.lock").exists(), "no lock is left");
    let state = repo.git(&["status", "--porcelain=v2"]);
    repo.git_numbers()
        .assert_status(&status_json(&repo.root()), &state);
    let leftovers: Vec<String> = std::fs::read_dir(repo.path(".git"))
        .expect("git dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("index.commit-nudge"))
        .collect();
    assert!(leftovers.is_empty(), "scratch files left: {leftovers:?}");
}

#[test]
fn staging_through_the_library_while_git_runs_loses_nothing() {
    let repo = seeded();
    let root = repo.root();
    let stop = Arc::new(AtomicBool::new(false));
    let user = {
        let (root, stop) = (root.clone(), stop.clone());
        std::thread::spawn(move || user_at_the_terminal(&root, &stop))
    };
    let mut written = Vec::new();
    let (mut done, mut refused) = (0, 0);
    for round in 0..60 {
        let file = EDITOR_FILES[round % EDITOR_FILES.len()];
        let line = format!("server line {round}");
        append(&root, file, &line);
        written.push(line);
        let opened = git::open(&root).expect("open");
        let result = if round % 2 == 0 {
            opened.stage_file(file, None)
        } else {
            match opened.file_hunks(file, None) {
                Ok(hunks) => match hunks.unstaged.last() {
                    Some(hunk) => opened.stage_hunk(
                        file,
                        None,
                        &git::HunkTarget {
                            range: hunk.range,
                            hash: hunk.hash(),
                            selection: git::LineSelection::All,
                        },
                    ),
                    None => Ok(()),
                },
                Err(error) => Err(error),
            }
        };
        match result {
            Ok(()) => done += 1,
            Err(error) => {
                assert!(clean_refusal(&error), "round {round}: {error:?}");
                refused += 1;
            }
        }
    }
    stop.store(true, Ordering::SeqCst);
    written.extend(user.join().expect("the user's thread"));
    println!("{done} index writes, {refused} clean refusals");
    assert!(done > 0, "some writes got through");

    assert_fsck_clean(&repo);
    let everything = everything(&repo);
    for line in &written {
        assert!(everything.contains(line.as_str()), "{line:?} was lost");
    }
    assert_converged(&repo);
}

#[test]
fn staging_through_the_server_while_git_runs_loses_nothing() {
    let repo = seeded();
    let root = repo.root();
    let mut client = Client::start();
    let response = client.initialize(&uri(&root), serde_json::Value::Null);
    assert!(response.get("error").is_none(), "{response}");
    let stop = Arc::new(AtomicBool::new(false));
    let user = {
        let (root, stop) = (root.clone(), stop.clone());
        std::thread::spawn(move || user_at_the_terminal(&root, &stop))
    };
    let mut written = Vec::new();
    for round in 0..30 {
        let file = EDITOR_FILES[round % EDITOR_FILES.len()];
        let line = format!("lsp line {round}");
        append(&root, file, &line);
        written.push(line);
        let response = client.request(
            "workspace/executeCommand",
            json!({"command": "commit-nudge.stageFile",
                "arguments": [{"root": uri(&root), "path": file}]}),
        );
        if let Some(error) = response.get("error") {
            // A refusal is shown to the user and marked so.
            assert_eq!(error["data"]["shown"], true, "{response}");
        }
    }
    stop.store(true, Ordering::SeqCst);
    written.extend(user.join().expect("the user's thread"));
    client.shutdown();

    assert_fsck_clean(&repo);
    let everything = everything(&repo);
    for line in &written {
        assert!(everything.contains(line.as_str()), "{line:?} was lost");
    }
    assert_converged(&repo);
}
