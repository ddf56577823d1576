//! The record's format: what parses, what is ignored, and a write that fails.

use super::*;

fn key(side: Side, line: &str, path: &str) -> LineKey {
    LineKey {
        side,
        hash: line_hash(line.as_bytes()),
        path: path.to_string(),
    }
}

fn sample() -> Record {
    Record {
        head: Some("a".repeat(40)),
        snapshots: vec![
            Snapshot {
                at_ms: 1000,
                lines: vec![
                    key(Side::Added, "fn one() {}", "src/a b.rs"),
                    key(Side::Removed, "old", "README"),
                ],
            },
            Snapshot {
                at_ms: 5000,
                lines: vec![key(Side::Added, "two", "src/a b.rs")],
            },
        ],
    }
}

#[test]
fn a_record_round_trips() {
    let record = sample();
    assert_eq!(Record::parse(&record.render()), Ok(record));
}

#[test]
fn a_torn_last_line_is_dropped_and_the_rest_kept() {
    let text = sample().render();
    let torn = &text[..text.len() - 10];
    let parsed = Record::parse(torn).unwrap();
    assert_eq!(parsed.snapshots.len(), 2);
    assert!(parsed.snapshots[1].lines.is_empty());
    assert_eq!(parsed.snapshots[0], sample().snapshots[0]);
}

#[test]
fn corrupt_records_are_refused_with_the_line() {
    let good = sample().render();
    let cases = [
        String::new(),
        "garbage\n".to_string(),
        "commit-nudge record 1 nothex\n".to_string(),
        format!("{good}x 12 a\n"),
        format!("{good}+ zz a\n"),
        format!("{good}+ 0123\n"),
        format!("{good}s soon\n"),
        good.replacen("s 1000\n", "", 1),
        "commit-nudge record 2 none\n".to_string(),
    ];
    for case in cases {
        assert!(
            matches!(Record::parse(&case), Err(Unusable::Corrupt(_))),
            "{case:?}"
        );
    }
}

#[test]
fn a_record_of_another_head_or_none_is_not_loaded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("record");
    assert_eq!(load(&path, None), Err(Unusable::Missing));
    std::fs::write(&path, sample().render()).unwrap();
    assert_eq!(load(&path, Some(&"b".repeat(40))), Err(Unusable::OtherHead));
    assert_eq!(load(&path, None), Err(Unusable::OtherHead));
    assert_eq!(load(&path, Some(&"a".repeat(40))), Ok(sample()));
    std::fs::write(&path, [0xff, 0xfe, b'\n']).unwrap();
    assert!(matches!(load(&path, None), Err(Unusable::Corrupt(_))));
}

#[test]
fn changed_lines_count_lines_as_multisets() {
    let (added, removed) = changed_lines(b"a\nb\nb\nc\n", b"b\nc\nd\nb\nb\n");
    assert_eq!(added, vec![line_hash(b"b"), line_hash(b"d")]);
    assert_eq!(removed, vec![line_hash(b"a")]);
    // Line ends do not matter, nor a missing last one.
    assert_eq!(changed_lines(b"x\r\n", b"x"), (vec![], vec![]));
}

#[test]
fn a_write_that_fails_leaves_no_partial_file() {
    let dir = tempfile::tempdir().unwrap();
    // The record's directory is a file: nothing can be written, and the error says where.
    let blocker = dir.path().join("commit-nudge");
    std::fs::write(&blocker, "in the way").unwrap();
    let path = path_in(dir.path());
    assert!(write_anew(&path, "x").is_err());
    assert_eq!(std::fs::read_to_string(&blocker).unwrap(), "in the way");
}

/// A repository made by real git in a temp dir, isolated from the user's configuration.
fn git_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q", "-b", "main"]);
    dir
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .args(["-c", "user.name=T", "-c", "user.email=t@example.com"])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("HOME", dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn a_commit_drops_the_record_of_the_old_head_and_a_corrupt_one_is_written_anew() {
    let dir = git_repo();
    let root = dir.path().canonicalize().unwrap();
    std::fs::write(root.join("f.txt"), "one\n").unwrap();
    git(&root, &["add", "f.txt"]);
    git(&root, &["commit", "-q", "-m", "seed"]);
    std::fs::write(root.join("f.txt"), "one\ntwo\n").unwrap();
    assert_eq!(observe(&root, &["f.txt".into()], 10).unwrap(), 1);
    let old = load_worktree(&root).unwrap();
    assert_eq!(old.snapshots.len(), 1);
    // The commit takes the work: the record of the old HEAD is no longer used, and the next
    // snapshot starts a record of the new one.
    git(&root, &["commit", "-q", "-am", "two"]);
    assert_eq!(load_worktree(&root), None);
    std::fs::write(root.join("f.txt"), "one\ntwo\nthree\n").unwrap();
    assert_eq!(observe(&root, &["f.txt".into()], 20).unwrap(), 1);
    let new = load_worktree(&root).unwrap();
    assert_eq!(
        new.head.as_deref(),
        Some(git(&root, &["rev-parse", "HEAD"]).trim())
    );
    assert_eq!(new.snapshots.len(), 1);
    // Garbage in the file: ignored, then written anew at the next snapshot.
    let path = path_in(&root.join(".git"));
    std::fs::write(&path, "garbage\n").unwrap();
    assert_eq!(load_worktree(&root), None);
    std::fs::write(root.join("f.txt"), "one\ntwo\nthree\nfour\n").unwrap();
    observe(&root, &["f.txt".into()], 30).unwrap();
    assert_eq!(load_worktree(&root).unwrap().snapshots[0].lines.len(), 2);
    // Never in git's views.
    assert_eq!(
        git(&root, &["status", "--porcelain", "--ignored"]),
        " M f.txt\n"
    );
    assert!(!git(&root, &["log", "--all", "--stat"]).contains("record"));
    // `forget` deletes it, once.
    assert!(forget(&root).unwrap());
    assert!(!forget(&root).unwrap());
}

#[test]
fn the_record_stays_under_its_bound() {
    let dir = git_repo();
    let root = dir.path().canonicalize().unwrap();
    std::fs::write(root.join("f.txt"), "seed\n").unwrap();
    git(&root, &["add", "f.txt"]);
    git(&root, &["commit", "-q", "-m", "seed"]);
    let mut text = String::from("seed\n");
    for round in 0..60 {
        for n in 0..800 {
            text.push_str(&format!("round {round} line {n}\n"));
        }
        std::fs::write(root.join("f.txt"), &text).unwrap();
        observe(&root, &["f.txt".into()], round).unwrap();
    }
    let size = std::fs::metadata(path_in(&root.join(".git")))
        .unwrap()
        .len();
    assert!(size <= MAX_BYTES, "{size}");
    let record = load_worktree(&root).unwrap();
    // The newest snapshots are the ones kept.
    assert_eq!(record.snapshots.last().unwrap().at_ms, 59);
    assert!(record.snapshots.len() < 60);
}

#[test]
fn a_plan_from_the_record_beats_the_plan_without_it() {
    let dir = git_repo();
    let root = dir.path().canonicalize().unwrap();
    let base: String = (1..=40).map(|n| format!("line {n}\n")).collect();
    std::fs::write(root.join("f.txt"), &base).unwrap();
    git(&root, &["add", "f.txt"]);
    git(&root, &["commit", "-q", "-m", "seed"]);
    // Four nearby edits of one file: two of a first piece of work, then, after a pause, two of a
    // second, each saved as it was made.
    let edits = [
        (5, "first a"),
        (25, "first b"),
        (10, "second a"),
        (30, "second b"),
    ];
    let times = [0, 3, 100, 104];
    let mut text = base.clone();
    for ((line, word), at) in edits.iter().zip(times) {
        text = text.replace(&format!("line {line}\n"), &format!("{word}\n"));
        std::fs::write(root.join("f.txt"), &text).unwrap();
        observe(&root, &["f.txt".into()], at).unwrap();
    }
    let options = crate::plan::PlanOptions {
        history_commits: 0,
        ..Default::default()
    };
    let groups = |plan: crate::plan::Plan| -> Vec<Vec<u32>> {
        plan.groups
            .iter()
            .map(|g| g.hunks.iter().map(|i| plan.hunks[*i].new_start).collect())
            .collect()
    };
    let without = crate::plan::plan_worktree(
        &root,
        &crate::plan::PlanOptions {
            use_record: false,
            ..options.clone()
        },
        None,
    )
    .unwrap();
    assert_eq!(
        groups(without).len(),
        1,
        "nearby edits of one file are one commit"
    );
    let with = crate::plan::plan_worktree(&root, &options, None).unwrap();
    assert_eq!(with.hunks.len(), 4);
    assert_eq!(groups(with), vec![vec![5, 25], vec![10, 30]]);
}
