//! The record of how the work was done, when things go wrong: a record that is corrupt, torn or
//! has wild times never stops a plan or changes what it holds; with `recordWork` off the server
//! plans without a record already on disk; a disk full while the record is written costs the
//! record alone (the server goes on, the work and the index are untouched, the plan applies
//! losslessly).

use crate::plan_record::{cli_plan, save, text_with, wait_for_snapshots};
use crate::support;

use serde_json::json;
use support::lsp::{uri, Client};
use support::{run_cli, Repo};

/// A repository whose `f.txt` has 60 committed lines.
fn seeded() -> Repo {
    let repo = Repo::new();
    repo.write("f.txt", text_with(&[]));
    repo.commit_all("seed");
    repo
}

/// The plan document the server writes for `commit-nudge.openPlan`: its commits, each as the
/// old start lines of its hunks.
fn open_plan(client: &mut Client, repo: &Repo) -> Vec<Vec<u64>> {
    let answer = client.request(
        "workspace/executeCommand",
        json!({"command": "commit-nudge.openPlan", "arguments": [{"root": uri(&repo.root())}]}),
    );
    let document = answer["result"]["document"]
        .as_str()
        .unwrap_or_else(|| panic!("a plan document: {answer}"));
    let mut commits: Vec<Vec<u64>> = Vec::new();
    for line in std::fs::read_to_string(document).unwrap().lines() {
        if line.starts_with("commit ") {
            commits.push(Vec::new());
        } else if let Some(at) = line.trim_start().strip_prefix("f.txt @@ -") {
            commits
                .last_mut()
                .unwrap()
                .push(at.split(',').next().unwrap().parse().unwrap());
        }
    }
    commits
}

#[test]
fn with_record_work_off_the_server_does_not_plan_from_a_record_on_disk() {
    let repo = seeded();
    // A record made earlier, with the setting on: two pieces of work, a pause between.
    let mut client = Client::start();
    client.initialize(&uri(&repo.root()), json!({}));
    client.open(&uri(&repo.path("f.txt")), &text_with(&[]));
    let mut edited = Vec::new();
    for (n, line) in [4, 16, 10, 22].into_iter().enumerate() {
        if n == 2 {
            crate::plan_record::pause_longer_than_the_saves(&repo);
        }
        edited.push(line);
        save(
            &mut client,
            &repo,
            "f.txt",
            n as i64 + 2,
            &text_with(&edited),
        );
        wait_for_snapshots(&repo, edited.len());
    }
    assert!(client.shutdown().success());
    let with_record = cli_plan(&repo, &[]);
    assert_eq!(
        with_record,
        vec![vec![4, 16], vec![10, 22]],
        "the record is usable"
    );
    // The setting off: the server's plan is the plan without the record.
    let mut client = Client::start();
    client.initialize(&uri(&repo.root()), json!({"recordWork": false}));
    assert_eq!(
        open_plan(&mut client, &repo),
        cli_plan(&repo, &["--no-record"])
    );
    assert_ne!(cli_plan(&repo, &["--no-record"]), with_record);
    assert!(client.shutdown().success());
}

/// The record's text for the current HEAD of `repo`, with `body` after the header.
fn record_of_head(repo: &Repo, body: &str) -> String {
    let head = repo.git(&["rev-parse", "HEAD"]);
    format!("commit-nudge record 1 {}\n{body}", head.trim())
}

#[test]
fn a_corrupt_torn_or_wild_record_never_stops_a_plan_or_loses_a_hunk() {
    let repo = seeded();
    let edited = [4, 16, 40];
    repo.write("f.txt", text_with(&edited));
    let without = cli_plan(&repo, &["--no-record"]);
    let every_hunk = |plan: &[Vec<u64>]| {
        let mut all: Vec<u64> = plan.iter().flatten().copied().collect();
        all.sort_unstable();
        all
    };
    let key = |n: usize| {
        let hash = commit_nudge::record::line_hash(format!("edited {n}").as_bytes());
        format!("+ {hash:016x} f.txt\n")
    };
    let wild = format!(
        "s {}\n{}s 0\n{}s {}\n{}",
        i64::MIN,
        key(4),
        key(16),
        i64::MAX,
        key(40)
    );
    let torn = record_of_head(&repo, &format!("s 10\n{}s 99999\n{}", key(4), key(16)));
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("not UTF-8", vec![0xff, 0xfe, 0x00, b'\n']),
        ("garbage", b"commit-nudge record 1 zz\ns x\n".to_vec()),
        ("wild times", record_of_head(&repo, &wild).into_bytes()),
        ("torn", torn.as_bytes()[..torn.len() - 9].to_vec()),
        (
            "a bad line",
            record_of_head(&repo, "s 1\n+ nothex f.txt\n").into_bytes(),
        ),
    ];
    let record = repo.path(".git/commit-nudge/record");
    std::fs::create_dir_all(record.parent().unwrap()).unwrap();
    for (what, bytes) in cases {
        std::fs::write(&record, &bytes).unwrap();
        let plan = cli_plan(&repo, &[]);
        assert_eq!(every_hunk(&plan), every_hunk(&without), "{what}: {plan:?}");
    }
    // A directory where the record should be: no plan stops either.
    std::fs::remove_file(&record).unwrap();
    std::fs::create_dir(&record).unwrap();
    assert_eq!(cli_plan(&repo, &[]), without);
    assert_eq!(repo.read("f.txt"), text_with(&edited).into_bytes());
}

/// The size limit the server below runs under (`ulimit -f 1`: one block of 1024 bytes in bash).
const FILE_SIZE_LIMIT: u64 = 1024;

#[test]
fn a_disk_full_while_writing_the_record_costs_only_the_record() {
    let repo = seeded();
    // The server can write no file past 1 KiB (as on a full disk, a write is cut short) and
    // ignores SIGXFSZ, so the write fails with an error, as ENOSPC would.
    let mut command = std::process::Command::new("bash");
    command
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 1; exec \"$0\" lsp")
        .arg(support::binary());
    let mut client = Client::start_command(command);
    client.initialize(&uri(&repo.root()), json!({}));
    client.open(&uri(&repo.path("f.txt")), &text_with(&[]));
    // A small first save (the record is made), then saves of 40 new lines each, which the record
    // cannot hold.
    let mut text = text_with(&[4]);
    save(&mut client, &repo, "f.txt", 2, &text);
    wait_for_snapshots(&repo, 1);
    let record = repo.path(".git/commit-nudge/record");
    for round in 0..4 {
        for n in 0..40 {
            text.push_str(&format!("round {round} added line {n}\n"));
        }
        save(&mut client, &repo, "f.txt", round + 3, &text);
    }
    // The record's append is cut at the limit.
    for _ in 0..3000 {
        if std::fs::metadata(&record).map(|m| m.len()).unwrap_or(0) == FILE_SIZE_LIMIT {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(std::fs::metadata(&record).unwrap().len(), FILE_SIZE_LIMIT);
    // The server goes on and answers; the work and the index are as the user left them.
    assert!(client.is_running());
    let hover = client.request(
        "textDocument/codeLens",
        json!({"textDocument": {"uri": uri(&repo.path("f.txt"))}}),
    );
    assert!(hover.get("error").is_none(), "{hover}");
    assert_eq!(repo.read("f.txt"), text.clone().into_bytes());
    assert_eq!(repo.git(&["diff", "--cached", "--name-only"]), "");
    assert!(client.shutdown().success());
    // With room again, the next save rewrites the torn record whole (appended to, its torn line
    // would make it unreadable): what was recorded before the disk filled is kept.
    let mut client = Client::start();
    client.initialize(&uri(&repo.root()), json!({}));
    client.open(&uri(&repo.path("f.txt")), &text);
    text.push_str("after the disk had room again\n");
    save(&mut client, &repo, "f.txt", 2, &text);
    for _ in 0..3000 {
        if std::fs::metadata(&record).map(|m| m.len()).unwrap_or(0) != FILE_SIZE_LIMIT {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(client.shutdown().success());
    let root = repo.root();
    let kept = commit_nudge::record::load_worktree(&root).expect("a readable record");
    let first = commit_nudge::record::line_hash(b"edited 4");
    assert!(
        kept.snapshots[0].lines.iter().any(|l| l.hash == first),
        "{kept:?}"
    );
    // And the plan applies losslessly.
    let out = run_cli(&root, &["plan", "--apply", root.to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
    assert_eq!(
        repo.git(&["show", "HEAD:f.txt"]).into_bytes(),
        text.into_bytes()
    );
}
