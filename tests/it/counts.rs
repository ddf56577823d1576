//! Every count `commit-nudge status` prints equals git's own numbers for the same repository.

use crate::support;

use support::{run_cli, section, sorted_rows, status_json, Repo, Rng};

/// Asserts staged, unstaged, untracked and total against `git diff --numstat` and friends.
fn assert_matches_git(repo: &Repo, from: &std::path::Path) {
    repo.git_numbers()
        .assert_status(&status_json(from), &format!("status in {}", from.display()));
}

fn seeded() -> Repo {
    let repo = Repo::new();
    repo.write("README.md", "# demo\n\nsome text\n");
    repo.write(
        "src/lib.rs",
        (1..=40).map(|i| format!("line {i}\n")).collect::<String>(),
    );
    repo.write("src/deep/mod.rs", "pub fn a() {}\npub fn b() {}\n");
    repo.write("data.bin", [0u8, 1, 2, 3, 0, 255]);
    repo.write("gone.txt", "bye\nbye\n");
    repo.write("script.sh", "echo hi\n");
    repo.write(".gitignore", "*.log\nbuild/\n");
    repo.commit_all("seed");
    repo
}

/// `n` lines `line <i>`, every seventh one `changed <i>` instead.
fn every_seventh_changed(n: usize) -> String {
    (1..=n)
        .map(|i| {
            if i % 7 == 0 {
                format!("changed {i}\n")
            } else {
                format!("line {i}\n")
            }
        })
        .collect()
}

#[test]
fn every_kind_of_change_counts_as_git_counts_it() {
    let repo = seeded();
    // Edited, then partly staged and edited again.
    repo.write("src/lib.rs", every_seventh_changed(40));
    repo.git(&["add", "src/lib.rs"]);
    repo.write("src/lib.rs", every_seventh_changed(45));
    // Deleted, binary changed, mode changed, a line without its newline.
    std::fs::remove_file(repo.path("gone.txt")).unwrap();
    repo.write("data.bin", [0u8, 9, 9, 9]);
    repo.git(&["update-index", "--chmod=+x", "script.sh"]);
    repo.write("README.md", "# demo\n\nsome text\nno newline at end");
    // Untracked: a text file in a new directory, a binary, and ignored files that must not count.
    repo.write("notes/todo.txt", "a\nb\nc\n");
    repo.write("notes/blob.bin", [0u8, 0, 1]);
    repo.write("debug.log", "ignored\n");
    repo.write("build/out.txt", "ignored\n");
    // A staged new file, and an exact rename.
    repo.write("src/new.rs", "fn new() {}\n");
    repo.git(&["add", "src/new.rs"]);
    repo.git(&["mv", "src/deep/mod.rs", "src/deep/renamed.rs"]);
    assert_matches_git(&repo, &repo.root());
}

#[test]
fn counts_are_the_same_from_a_subdirectory() {
    let repo = seeded();
    repo.write("src/deep/mod.rs", "pub fn a() {}\n");
    repo.write("src/extra.rs", "x\ny\n");
    assert_matches_git(&repo, &repo.path("src/deep"));
}

#[test]
fn unborn_head_counts_against_the_empty_tree() {
    let repo = Repo::new();
    repo.write("a.txt", "1\n2\n3\n");
    repo.git(&["add", "a.txt"]);
    repo.write("a.txt", "1\n2\n3\n4\n");
    repo.write("b.txt", "untracked\n");
    assert_matches_git(&repo, &repo.root());
    let status = status_json(&repo.root());
    assert_eq!(status["head"], serde_json::Value::Null);
    assert_eq!(status["branch"], "main");
}

#[test]
fn detached_head_works() {
    let repo = seeded();
    repo.write("README.md", "changed\n");
    repo.commit_all("second");
    repo.git(&["checkout", "-q", "--detach", "HEAD~1"]);
    repo.write("src/lib.rs", "short now\n");
    assert_matches_git(&repo, &repo.root());
    let status = status_json(&repo.root());
    assert_eq!(status["branch"], serde_json::Value::Null);
    assert_eq!(status["head"].as_str().map(str::len), Some(40));
}

#[test]
fn renames_with_edits_follow_gits_similarity_rule() {
    let repo = Repo::new();
    repo.write(
        "half.txt",
        (1..=100).map(|i| format!("{i}\n")).collect::<String>(),
    );
    repo.write(
        "most.txt",
        (1..=100)
            .map(|i| format!("row number {i}\n"))
            .collect::<String>(),
    );
    repo.commit_all("seed");
    // Half the lines kept: git sees a delete and an add. Most kept: git sees a rename.
    repo.git(&["mv", "half.txt", "half2.txt"]);
    repo.write(
        "half2.txt",
        (1..=50).map(|i| format!("{i}\n")).collect::<String>(),
    );
    repo.git(&["mv", "most.txt", "most2.txt"]);
    repo.write(
        "most2.txt",
        (1..=95)
            .map(|i| format!("row number {i}\n"))
            .collect::<String>(),
    );
    repo.git(&["add", "-A"]);
    assert_matches_git(&repo, &repo.root());
}

#[test]
fn the_repository_file_excludes_paths_from_every_count() {
    let repo = seeded();
    repo.write(".commit-nudge.toml", "exclude = [\"generated/**\"]\n");
    repo.commit_all("config");
    repo.write("generated/big.txt", "x\n".repeat(500));
    repo.write("src/lib.rs", "one line\n");
    let status = status_json(&repo.root());
    assert_eq!(section(&status, "untracked"), (0, 0, 0));
    assert_eq!(section(&status, "total"), repo.numstat(&["HEAD"]));
}

#[test]
fn outside_a_repository_status_exits_2_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let output = run_cli(dir.path(), &["status"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("not inside a git repository"), "{stderr}");
    assert_eq!(run_cli(dir.path(), &["prompt"]).status.code(), Some(2));
}

#[test]
fn the_prompt_is_empty_on_a_clean_tree_and_short_otherwise() {
    let repo = seeded();
    let clean = run_cli(&repo.root(), &["prompt"]);
    assert!(clean.status.success());
    assert_eq!(String::from_utf8_lossy(&clean.stdout), "");
    repo.write("README.md", "new\ntext\n");
    let dirty = run_cli(&repo.root(), &["prompt"]);
    let line = String::from_utf8_lossy(&dirty.stdout)
        .trim_end()
        .to_string();
    assert!(line.starts_with("✎ +2 −3 · 1 file · "), "{line}");
    let human = run_cli(&repo.root(), &["status"]);
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(
        text.contains("unstaged") && text.contains("+2") && !text.contains('\x1b'),
        "{text}"
    );
}

#[test]
fn the_prompt_shows_the_age_of_the_work_and_status_both_ages_in_words() {
    let repo = Repo::new();
    repo.write("notes.txt", "one\n");
    repo.git(&["add", "-A"]);
    // A HEAD made 100 days ago, as in a repository picked up again after a long pause.
    let long_ago = commit_nudge::unix_now() - 100 * 24 * 3600 - 600;
    let date = format!("@{long_ago} +0000");
    let output = repo
        .command()
        .args(["commit", "-q", "-m", "old"])
        .env("GIT_AUTHOR_DATE", &date)
        .env("GIT_COMMITTER_DATE", &date)
        .output()
        .expect("git runs");
    assert!(output.status.success(), "{output:?}");
    repo.write("notes.txt", "one\ntwo\n");

    let status = status_json(&repo.root());
    assert!(status["minutes_since_commit"].as_u64().unwrap() >= 100 * 24 * 60);
    let work = status["minutes_of_work"].as_u64().expect("minutes_of_work");
    assert!(
        work < 24 * 60,
        "the work is today's, not 100 days old: {status:#}"
    );

    let prompt = String::from_utf8_lossy(&run_cli(&repo.root(), &["prompt"]).stdout).into_owned();
    let age = prompt.trim_end().rsplit(" · ").next().unwrap_or_default();
    assert_eq!(
        age,
        commit_nudge::nudge::duration_phrase(work),
        "the prompt shows the work's age: {prompt}"
    );
    assert!(!prompt.contains("days"), "{prompt}");

    let human = String::from_utf8_lossy(&run_cli(&repo.root(), &["status"]).stdout).into_owned();
    let first = human.lines().next().unwrap_or_default();
    assert!(
        first.contains("last commit 100 days ago")
            && first.contains(&format!(
                "uncommitted work {} old",
                commit_nudge::nudge::duration_phrase(work)
            )),
        "{human}"
    );
}

#[test]
fn version_is_printed() {
    let output = run_cli(std::path::Path::new("."), &["--version"]);
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("commit-nudge "));
}

#[test]
fn random_mixes_of_staged_unstaged_renamed_and_untracked_changes_match_git() {
    for seed in 1..=40u64 {
        let mut rng = Rng(seed.wrapping_mul(0xD1B5_4A32_D192_ED03));
        let repo = Repo::new();
        for i in 0..10 {
            repo.write(
                &format!("d{}/f{i}.txt", i % 3),
                (0..30)
                    .map(|j| format!("file {i} line {j}\n"))
                    .collect::<String>(),
            );
        }
        repo.commit_all("seed");
        for step in 0..1 + rng.below(8) {
            let i = rng.below(10);
            let file = format!("d{}/f{i}.txt", i % 3);
            let exists = repo.path(&file).exists();
            match rng.below(8) {
                0 | 1 if exists => {
                    let text = String::from_utf8(repo.read(&file)).unwrap();
                    let mut lines: Vec<&str> = text.lines().collect();
                    let at = rng.below(lines.len() as u64) as usize;
                    let added = format!("edit {seed} {step}");
                    lines.insert(at, &added);
                    if rng.below(2) == 0 && lines.len() > 3 {
                        lines.remove((at + 2) % lines.len());
                    }
                    repo.write(&file, lines.join("\n") + "\n");
                }
                2 if exists => {
                    repo.git(&["add", &file]);
                }
                3 if exists => {
                    std::fs::remove_file(repo.path(&file)).unwrap();
                }
                4 if exists
                    && repo
                        .git_output(&["ls-files", "--error-unmatch", &file])
                        .status
                        .success() =>
                {
                    let to = format!("moved/f{i}-{step}.txt");
                    std::fs::create_dir_all(repo.path("moved")).unwrap();
                    repo.git(&["mv", &file, &to]);
                }
                5 => repo.write(
                    &format!("new/n{step}.txt"),
                    "fresh\n".repeat(1 + rng.below(5) as usize),
                ),
                6 => {
                    repo.write(&format!("staged-new{step}.txt"), "x\ny\n");
                    repo.git(&["add", &format!("staged-new{step}.txt")]);
                }
                _ if exists => {
                    repo.git(&["rm", "-q", "--cached", &file]);
                }
                _ => {}
            }
        }
        let context = format!("seed {seed}: {}", repo.git(&["status", "--short"]));
        repo.git_numbers()
            .assert_status(&status_json(&repo.root()), &context);
    }
}

#[test]
fn the_working_tree_walk_split_over_two_threads_counts_the_same() {
    use commit_nudge::git::{self, CountOptions};
    for seed in 1..=10u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9FB2_1C65_1E98_DF25));
        let repo = Repo::new();
        for i in 0..24 {
            repo.write(
                &format!("top{}/f{i}.txt", i % 6),
                (0..10).map(|j| format!("{i} {j}\n")).collect::<String>(),
            );
        }
        repo.write("root-file.txt", "r\n");
        repo.commit_all("seed");
        for step in 0..4 {
            match rng.below(5) {
                // A whole top-level directory gone from the disk: known only to the index.
                0 => {
                    let _ = std::fs::remove_dir_all(repo.path(&format!("top{}", rng.below(6))));
                }
                1 => repo.write(&format!("newtop{step}/x.txt"), "new\nfile\n"),
                2 => repo.write(
                    &format!("top{}/f{}.txt", rng.below(6), rng.below(24)),
                    "rewritten\n",
                ),
                3 => repo.write(&format!("loose{step}.txt"), "loose\n"),
                _ => std::fs::remove_file(repo.path("root-file.txt")).unwrap_or(()),
            }
        }
        let opened = git::open(&repo.root()).unwrap();
        let whole = opened
            .count(&CountOptions {
                count_untracked: true,
                ..CountOptions::default()
            })
            .unwrap();
        let split = opened
            .count(&CountOptions {
                count_untracked: true,
                split_walk_at: Some(0),
                ..CountOptions::default()
            })
            .unwrap();
        let context = format!("seed {seed}: {}", repo.git(&["status", "--short"]));
        assert_eq!(
            sorted_rows(&split.unstaged),
            sorted_rows(&whole.unstaged),
            "{context}"
        );
        assert_eq!(
            sorted_rows(&split.untracked),
            sorted_rows(&whole.untracked),
            "{context}"
        );
        assert_eq!(
            sorted_rows(&split.tracked_total),
            sorted_rows(&whole.tracked_total),
            "{context}"
        );
        assert_eq!(
            whole.unstaged.len() as u64,
            repo.numstat(&[]).0,
            "{context}"
        );
        assert_eq!(
            whole.untracked.len() as u64,
            repo.untracked_numstat().0,
            "{context}"
        );
    }
}
