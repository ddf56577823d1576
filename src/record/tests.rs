//! The record's format: what parses, what is ignored, and a write that fails.

use super::format::{load, MAGIC};
use super::*;

// The one test harness's git (isolated from the developer's configuration).
use crate::test_repo as repo;
use repo::git_in as git;

fn key(side: Side, line: &str, path: &str) -> LineKey {
    LineKey {
        side,
        hash: line_hash(line.as_bytes()),
        path: path.to_string(),
    }
}

/// The file `name` of `root` as an editor saving it hands it over: its text already in hand (the
/// disk's settled read is the integration tests' part, `tests/it/record_race.rs`).
fn as_saved(root: &Path, name: &str) -> Vec<Observed> {
    let text = std::fs::read_to_string(root.join(name)).unwrap();
    vec![Observed {
        rel_path: name.to_string(),
        text: Some(Arc::new(text)),
    }]
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

#[test]
fn a_commit_drops_the_record_of_the_old_head_and_a_corrupt_one_is_written_anew() {
    let dir = git_repo();
    let root = dir.path().canonicalize().unwrap();
    std::fs::write(root.join("f.txt"), "one\n").unwrap();
    git(&root, &["add", "f.txt"]);
    git(&root, &["commit", "-q", "-m", "seed"]);
    std::fs::write(root.join("f.txt"), "one\ntwo\n").unwrap();
    assert_eq!(observe(&root, &as_saved(&root, "f.txt"), 10).unwrap(), 1);
    let old = load_worktree(&root).unwrap();
    assert_eq!(old.snapshots.len(), 1);
    // The commit takes all the work: nothing of the record is left to use, and the next
    // snapshot starts a record of the new HEAD.
    git(&root, &["commit", "-q", "-am", "two"]);
    assert_eq!(load_worktree(&root), None);
    std::fs::write(root.join("f.txt"), "one\ntwo\nthree\n").unwrap();
    assert_eq!(observe(&root, &as_saved(&root, "f.txt"), 20).unwrap(), 1);
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
    observe(&root, &as_saved(&root, "f.txt"), 30).unwrap();
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
        observe(&root, &as_saved(&root, "f.txt"), round).unwrap();
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
        observe(&root, &as_saved(&root, "f.txt"), at).unwrap();
    }
    // A model of the place in the file alone, under which the four are one commit.
    let options = crate::plan::PlanOptions {
        history_commits: 0,
        group: crate::plan::GroupOptions {
            weights: crate::plan::Weights::only("bias=-4,same_file=6"),
            ..Default::default()
        },
        ..Default::default()
    };
    let groups = |plan: crate::plan::Plan| -> Vec<Vec<u32>> {
        plan.groups
            .iter()
            .map(|g| {
                g.hunks
                    .iter()
                    .map(|i| plan.hunks[*i].range.new_start)
                    .collect()
            })
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
    let by_work = vec![vec![5, 25], vec![10, 30]];
    let with = crate::plan::plan_worktree(&root, &options, None).unwrap();
    assert_eq!(with.hunks.len(), 4);
    assert_eq!(groups(with), by_work);
}

/// A repository with `f.txt` and `g.txt` of ten lines each, committed.
fn two_file_repo() -> (tempfile::TempDir, PathBuf) {
    let dir = git_repo();
    let root = dir.path().canonicalize().unwrap();
    for name in ["f.txt", "g.txt"] {
        let text: String = (1..=10).map(|n| format!("{name} {n}\n")).collect();
        std::fs::write(root.join(name), text).unwrap();
    }
    git(&root, &["add", "."]);
    git(&root, &["commit", "-q", "-m", "seed"]);
    (dir, root)
}

/// Appends `line` to the file `name` of `root` and takes a snapshot of it at `at`.
fn add_line(root: &Path, name: &str, line: &str, at: i64) {
    let mut text = std::fs::read_to_string(root.join(name)).unwrap();
    text.push_str(line);
    text.push('\n');
    std::fs::write(root.join(name), text).unwrap();
    observe(root, &as_saved(root, name), at).unwrap();
}

#[test]
fn a_commit_drops_only_what_it_took_from_the_record() {
    let (_dir, root) = two_file_repo();
    add_line(&root, "f.txt", "first", 0);
    add_line(&root, "g.txt", "second", 10);
    add_line(&root, "g.txt", "third", 1000);
    // The user commits f.txt alone: its line leaves the record, g.txt's stay, with their times.
    git(&root, &["commit", "-q", "-m", "first", "f.txt"]);
    let head = git(&root, &["rev-parse", "HEAD"]).trim().to_string();
    let carried = load_worktree(&root).expect("what the commit left is still used");
    assert_eq!(carried.head.as_deref(), Some(head.as_str()));
    let lines = |record: &Record| -> Vec<(i64, u64)> {
        record
            .snapshots
            .iter()
            .flat_map(|s| s.lines.iter().map(move |l| (s.at_ms, l.hash)))
            .collect()
    };
    assert_eq!(
        lines(&carried),
        vec![(10, line_hash(b"second")), (1000, line_hash(b"third"))]
    );
    // The next snapshot writes it anew for the new HEAD, the carried lines first.
    add_line(&root, "f.txt", "fourth", 2000);
    let text = std::fs::read_to_string(path_in(&root.join(".git"))).unwrap();
    assert!(text.starts_with(&format!("{MAGIC} {head}\n")), "{text}");
    let written = load(&path_in(&root.join(".git")), Some(&head)).unwrap();
    assert_eq!(
        lines(&written),
        vec![
            (10, line_hash(b"second")),
            (1000, line_hash(b"third")),
            (2000, line_hash(b"fourth"))
        ]
    );
    // An amend takes more of it, the same way.
    git(
        &root,
        &["commit", "-q", "--amend", "-m", "first and second", "g.txt"],
    );
    assert_eq!(
        lines(&load_worktree(&root).unwrap()),
        vec![(2000, line_hash(b"fourth"))]
    );
}

#[test]
fn a_record_of_an_unrelated_head_is_ignored_and_written_anew() {
    let (_dir, root) = two_file_repo();
    add_line(&root, "f.txt", "mine", 0);
    let path = path_in(&root.join(".git"));
    let text = std::fs::read_to_string(&path).unwrap();
    let head = git(&root, &["rev-parse", "HEAD"]).trim().to_string();
    // A HEAD this repository does not have (a record copied from elsewhere), and the root of an
    // unrelated history: neither is followed.
    let foreign = text.replace(&head, &"e".repeat(40));
    std::fs::write(&path, &foreign).unwrap();
    assert_eq!(load_worktree(&root), None);
    git(&root, &["stash", "-q"]);
    git(&root, &["checkout", "-q", "--orphan", "other"]);
    git(&root, &["commit", "-q", "-m", "unrelated"]);
    let unrelated = git(&root, &["rev-parse", "HEAD"]).trim().to_string();
    git(&root, &["checkout", "-q", "main"]);
    git(&root, &["stash", "pop", "-q"]);
    std::fs::write(&path, text.replace(&head, &unrelated)).unwrap();
    assert_eq!(load_worktree(&root), None);
    // The next snapshot starts anew, for this HEAD.
    add_line(&root, "g.txt", "more", 10);
    let record = load_worktree(&root).unwrap();
    assert_eq!(record.head.as_deref(), Some(head.as_str()));
    assert_eq!(record.snapshots.len(), 1);
    assert_eq!(
        record.snapshots[0].lines,
        vec![key(Side::Added, "more", "g.txt")],
        "f.txt's line comes again at its next save"
    );
}

#[test]
fn a_torn_record_is_rewritten_not_appended_to() {
    let (_dir, root) = two_file_repo();
    add_line(&root, "f.txt", "one", 0);
    add_line(&root, "f.txt", "two", 10);
    // A write cut short (a crash, a full disk): the last line is half there.
    let path = path_in(&root.join(".git"));
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, &text[..text.len() - 7]).unwrap();
    let torn = load_worktree(&root).unwrap();
    assert_eq!(torn.snapshots.len(), 2);
    assert!(
        torn.snapshots[1].lines.is_empty(),
        "the torn line is dropped"
    );
    // The next snapshot rewrites the file whole: "two" comes again, with the new line.
    add_line(&root, "f.txt", "three", 20);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.ends_with('\n'));
    let record = load_worktree(&root).expect("still a record");
    let hashes: Vec<Vec<u64>> = record
        .snapshots
        .iter()
        .map(|s| s.lines.iter().map(|l| l.hash).collect())
        .collect();
    assert_eq!(
        hashes,
        vec![
            vec![line_hash(b"one")],
            vec![],
            vec![line_hash(b"two"), line_hash(b"three")]
        ]
    );
}

#[test]
fn a_file_too_large_to_be_a_record_is_not_read_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("record");
    let mut text = sample().render();
    let line = "s 1\n";
    while (text.len() as u64) <= 2 * MAX_BYTES {
        text.push_str(line);
    }
    std::fs::write(&path, &text).unwrap();
    assert!(matches!(
        load(&path, Some(&"a".repeat(40))),
        Err(Unusable::Corrupt(_))
    ));
}
