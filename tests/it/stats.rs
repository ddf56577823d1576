//! `commit-nudge stats` reads the current author's history, built here by real git with known
//! sizes: other authors and merges are left out.

use crate::support;

use support::{run_cli, Repo};

fn commit_lines(repo: &Repo, file: &str, lines: usize, author: Option<&str>, date: &str) {
    let existing = std::fs::read_to_string(repo.path(file)).unwrap_or_default();
    let added: String = (0..lines).map(|i| format!("{file} {date} {i}\n")).collect();
    repo.write(file, format!("{existing}{added}"));
    repo.git(&["add", file]);
    let mut args = vec![
        "commit".to_string(),
        "-q".into(),
        "-m".into(),
        format!("{lines} lines"),
        format!("--date={date}"),
    ];
    if let Some(author) = author {
        args.push(format!("--author={author}"));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    repo.git(&args);
}

#[test]
fn stats_show_the_authors_sizes_and_frequency() {
    stats_in(&[]);
}

/// In a repository of SHA-256 object names (which git itself reads for commit-nudge), the same.
#[test]
fn stats_show_the_authors_sizes_and_frequency_in_sha256() {
    stats_in(&["--object-format=sha256"]);
}

fn stats_in(init_args: &[&str]) {
    let repo = Repo::new_with(init_args);
    let sizes = [5, 12, 8, 80, 300, 20, 9, 15, 40, 25, 7];
    for (i, lines) in sizes.iter().enumerate() {
        // Two commits a day.
        let date = format!("2026-03-{:02}T1{}:00:00+00:00", 1 + i / 2, i % 2);
        commit_lines(&repo, "mine.txt", *lines, None, &date);
    }
    commit_lines(
        &repo,
        "theirs.txt",
        999,
        Some("Other <other@example.com>"),
        "2026-03-20T10:00:00+00:00",
    );
    repo.git(&["checkout", "-q", "-b", "side", "HEAD~1"]);
    commit_lines(&repo, "side.txt", 3, None, "2026-03-21T10:00:00+00:00");
    repo.git(&["checkout", "-q", "main"]);
    repo.git(&["merge", "-q", "--no-ff", "-m", "merge side", "side"]);

    let output = run_cli(&repo.root(), &["stats", "--json"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let habit: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(habit["author"], "dev@example.com");
    // Eleven commits of mine plus the side branch's one; the other author and the merge are out.
    assert_eq!(habit["commits"], 12);
    let mut mine: Vec<u64> = sizes.iter().map(|s| *s as u64).collect();
    mine.push(3);
    mine.sort_unstable();
    assert_eq!(habit["median_lines"], mine[5]);
    assert_eq!(habit["p75_lines"], mine[8]);
    assert_eq!(habit["auto_lines_limit"], mine[8].max(30));
    assert_eq!(habit["active_days"], 7);
    let text = String::from_utf8_lossy(&run_cli(&repo.root(), &["stats"]).stdout).into_owned();
    assert!(
        text.contains("the last 12 non-merge commits")
            && text.contains("commits per active day (7 days)"),
        "{text}"
    );
}

#[test]
fn stats_outside_a_repository_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(run_cli(dir.path(), &["stats"]).status.code(), Some(2));
}

/// A history of twelve commits of 8 to 19 lines by the current author.
fn small_commits() -> Repo {
    let repo = Repo::new();
    for i in 0..12 {
        commit_lines(
            &repo,
            "mine.txt",
            8 + i,
            None,
            &format!("2026-04-{:02}T10:00:00+00:00", 1 + i),
        );
    }
    repo
}

#[test]
fn an_auto_limit_fires_near_the_authors_usual_size_and_says_so() {
    let repo = small_commits();
    repo.write(".commit-nudge.toml", "[thresholds]\nlines = \"auto\"\n");
    repo.git(&["add", ".commit-nudge.toml"]);
    repo.git(&["commit", "-q", "-m", "settings"]);
    let text: String = (0..40).map(|i| format!("work {i}\n")).collect();
    repo.write("work.txt", text);
    let status = support::status_json(&repo.root());
    let nudges = status["nudges"].as_array().unwrap();
    let lines = nudges
        .iter()
        .find(|n| n["code"] == "uncommitted-lines")
        .unwrap_or_else(|| panic!("{status:#}"));
    // Sizes 8..=19 and the settings commit (3 lines): the 75th percentile is 16, clamped to 30.
    assert_eq!(
        lines["message"],
        "this work is 40 lines in 1 file; your commits here are usually under 16 lines (nudge at 30): commit what is ready"
    );
}

#[test]
fn the_server_learns_the_limit_in_the_background() {
    use serde_json::json;
    use support::lsp::{uri, Client};
    let repo = small_commits();
    let text: String = (0..40).map(|i| format!("work {i}\n")).collect();
    repo.write("work.txt", &text);
    let mut client = Client::start();
    client.initialize(&uri(&repo.root()), json!({"thresholds": {"lines": "auto"}}));
    let file = uri(&repo.path("work.txt"));
    client.open(&file, &text);
    let diagnostics = client.wait_diagnostics(&file, "the learned nudge", |d| {
        d.iter().any(|n| {
            n["message"]
                .as_str()
                .is_some_and(|m| m.contains("usually under"))
        })
    });
    assert!(
        diagnostics[0]["message"]
            .as_str()
            .unwrap()
            .contains("nudge at 30"),
        "{diagnostics:?}"
    );
}
