//! The plan follows the work as it was done: edits replayed through the binary over stdio (open,
//! change, save, hunk by hunk; a pause; the server restarted; more edits), then the plan opened
//! with `commit-nudge.openPlan` keeps the two pieces of work apart, where the plan without the
//! record makes them one commit. `plan --forget` deletes the record.

use crate::support;

use serde_json::json;
use support::lsp::{uri, Client};
use support::{run_cli, Repo};

/// The text of `f.txt` with the lines numbered in `edited` replaced.
pub(crate) fn text_with(edited: &[usize]) -> String {
    (1..=60)
        .map(|n| {
            if edited.contains(&n) {
                format!("edited {n}\n")
            } else {
                format!("line {n}\n")
            }
        })
        .collect()
}

/// Waits until the record holds `n` snapshots (each save's is taken off the keystroke path).
pub(crate) fn wait_for_snapshots(repo: &Repo, n: usize) {
    let path = repo.path(".git/commit-nudge/record");
    for _ in 0..3000 {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let count = text.lines().filter(|l| l.starts_with("s ")).count();
        assert!(count <= n, "{text}");
        if count == n {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("the record never reached {n} snapshots");
}

fn start(repo: &Repo) -> Client {
    let mut client = Client::start();
    client.initialize(&uri(&repo.root()), json!({}));
    client
}

/// Writes `text` to `rel` whole, by a rename, as most editors save: a watcher never reads half
/// a file.
pub(crate) fn write_whole(repo: &Repo, rel: &str, text: &str) {
    let staging = repo.path(".git/commit-nudge-test.saving");
    std::fs::write(&staging, text).expect("write");
    std::fs::rename(&staging, repo.path(rel)).expect("rename");
}

/// Saves `text` as `rel` from an editor over LSP: written on disk, then `didChange` (version
/// `version`, the whole text) and `didSave`.
pub(crate) fn save(client: &mut Client, repo: &Repo, rel: &str, version: i64, text: &str) {
    let file = uri(&repo.path(rel));
    write_whole(repo, rel, text);
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": file, "version": version}, "contentChanges": [{"text": text}]}),
    );
    client.notify(
        "textDocument/didSave",
        json!({"textDocument": {"uri": file}}),
    );
}

/// Pauses long against the gaps between the record's snapshots so far (measured on the record:
/// a loaded machine spaces them out), as a person does between two pieces of work.
pub(crate) fn pause_longer_than_the_saves(repo: &Repo) {
    let text = std::fs::read_to_string(repo.path(".git/commit-nudge/record")).unwrap();
    let times: Vec<u64> = text
        .lines()
        .filter_map(|l| l.strip_prefix("s ")?.parse().ok())
        .collect();
    let widest = times.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0);
    std::thread::sleep(std::time::Duration::from_millis(1500 + 10 * widest));
}

/// Asserts that each planned commit holds lines of one piece of work (`first`'s or not), and
/// that the first piece's commits come first: the plan follows the order of the work.
pub(crate) fn assert_pieces_apart_in_order(commits: &[Vec<u64>], first: &[usize], context: &str) {
    let piece = |start: &u64| first.contains(&(*start as usize));
    assert!(commits.len() >= 2, "{context}");
    for commit in commits {
        assert!(
            commit.iter().all(piece) || !commit.iter().any(piece),
            "{context}"
        );
    }
    let firsts: Vec<bool> = commits.iter().map(|c| c.iter().all(piece)).collect();
    assert!(firsts.windows(2).all(|w| w[0] || !w[1]), "{context}");
}

/// The planned commits, each as the new start lines of its hunks, from `plan --json`.
pub(crate) fn cli_plan(repo: &Repo, extra: &[&str]) -> Vec<Vec<u64>> {
    cli_plan_of(repo, extra, |h| h["new_start"].as_u64().unwrap())
}

/// The planned commits from `plan --json`, each as `of` of its hunks.
fn cli_plan_of<T>(
    repo: &Repo,
    extra: &[&str],
    of: impl Fn(&serde_json::Value) -> T,
) -> Vec<Vec<T>> {
    let root = repo.root();
    let mut args = vec!["plan", "--json"];
    args.extend(extra);
    args.push(root.to_str().unwrap());
    let out = run_cli(&root, &args);
    assert!(out.status.success(), "{out:?}");
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    plan["commits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["hunks"].as_array().unwrap().iter().map(&of).collect())
        .collect()
}

#[test]
fn a_plan_follows_a_replayed_history_across_a_restart() {
    let repo = Repo::new();
    repo.write("f.txt", text_with(&[]));
    repo.commit_all("seed");
    let file = uri(&repo.path("f.txt"));
    // The first piece of work: four edits, each saved as it is made.
    let first = [4, 16, 28, 40];
    let second = [10, 22, 34, 52];
    let mut client = start(&repo);
    client.open(&file, &text_with(&[]));
    let mut edited: Vec<usize> = Vec::new();
    let mut version = 1;
    let mut replay = |client: &mut Client, lines: &[usize]| {
        for line in lines {
            edited.push(*line);
            let text = text_with(&edited);
            version += 1;
            save(client, &repo, "f.txt", version, &text);
            // Each save's snapshot is taken before the next edit (an editor's saves are apart).
            wait_for_snapshots(&repo, edited.len());
        }
    };
    replay(&mut client, &first);
    // A pause, and the editor restarted.
    pause_longer_than_the_saves(&repo);
    assert!(client.shutdown().success());
    let mut client = start(&repo);
    client.open(&file, &text_with(&first));
    replay(&mut client, &second);
    let record = repo.path(".git/commit-nudge/record");
    let text = std::fs::read_to_string(&record).expect("the record is kept");
    assert_eq!(
        text.lines().filter(|l| l.starts_with("s ")).count(),
        8,
        "{text}"
    );

    let answer = client.request(
        "workspace/executeCommand",
        json!({"command": "commit-nudge.openPlan", "arguments": [{"root": uri(&repo.root())}]}),
    );
    let document = answer["result"]["document"]
        .as_str()
        .expect("a plan document");
    let plan = std::fs::read_to_string(document).unwrap();
    // Each planned commit holds hunks of one piece of work only (a piece may be split, never
    // joined with the other), in the order of the work.
    let mut commits: Vec<Vec<u64>> = Vec::new();
    for line in plan.lines() {
        if line.starts_with("commit ") {
            commits.push(Vec::new());
        } else if let Some(at) = line.trim_start().strip_prefix("f.txt @@ -") {
            let start: u64 = at.split(',').next().unwrap().parse().unwrap();
            commits.last_mut().unwrap().push(start);
        }
    }
    assert_pieces_apart_in_order(&commits, &first, &plan);
    assert_eq!(commits.iter().map(Vec::len).sum::<usize>(), 8, "{plan}");
    // The command line plans the same way with the record, and as one commit without it.
    assert!(cli_plan(&repo, &[]).len() >= 2);
    assert_eq!(cli_plan(&repo, &["--no-record"]).len(), 1);
    // The record is in none of git's views.
    assert_eq!(
        repo.git(&["status", "--porcelain", "--ignored"]),
        " M f.txt\n"
    );
    // `plan --forget` deletes it.
    let root = repo.root();
    let out = run_cli(&root, &["plan", "--forget", root.to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("deleted the record"));
    assert!(!record.exists());
    assert_eq!(cli_plan(&repo, &[]).len(), 1);
    assert!(client.shutdown().success());
}

#[test]
fn the_plan_lists_the_pieces_of_work_in_the_order_they_were_done() {
    let repo = Repo::new();
    repo.write("a.txt", text_with(&[]));
    repo.write("b.txt", text_with(&[]));
    repo.commit_all("seed");
    // b.txt is edited and saved first, then, after a pause, a.txt: git lists a.txt first.
    let mut client = start(&repo);
    let mut saves = 0;
    for (n, rel) in ["b.txt", "b.txt", "a.txt", "a.txt"].into_iter().enumerate() {
        if n == 2 {
            pause_longer_than_the_saves(&repo);
        }
        if n % 2 == 0 {
            client.open(&uri(&repo.path(rel)), &text_with(&[]));
        }
        let edited: Vec<usize> = if n % 2 == 0 { vec![5] } else { vec![5, 45] };
        save(
            &mut client,
            &repo,
            rel,
            2 + n as i64 % 2,
            &text_with(&edited),
        );
        saves += 1;
        wait_for_snapshots(&repo, saves);
    }
    assert!(client.shutdown().success());
    let paths = |extra: &[&str]| -> Vec<Vec<String>> {
        let mut commits = cli_plan_of(&repo, extra, |h| h["path"].as_str().unwrap().to_string());
        commits.iter_mut().for_each(Vec::dedup);
        commits
    };
    assert_eq!(paths(&[]), vec![vec!["b.txt"], vec!["a.txt"]]);
    // Without the record, the plan starts where git's diff starts.
    assert_eq!(paths(&["--no-record"])[0][0], "a.txt");
}

#[test]
fn a_save_right_before_the_editor_leaves_is_in_the_record() {
    let repo = Repo::new();
    let big: String = (1..=20_000).map(|n| format!("line {n}\n")).collect();
    repo.write("big.txt", &big);
    repo.commit_all("seed");
    let mut client = start(&repo);
    client.open(&uri(&repo.path("big.txt")), &big);
    // Every line new: the snapshot takes a while, and the editor leaves at once.
    let edited: String = (1..=20_000).map(|n| format!("edited {n}\n")).collect();
    save(&mut client, &repo, "big.txt", 2, &edited);
    assert!(client.shutdown().success());
    let record = commit_nudge::record::load_worktree(&repo.root()).expect("the save's snapshot");
    assert_eq!(record.snapshots.len(), 1);
    assert_eq!(record.snapshots[0].lines.len(), 40_000);
}
