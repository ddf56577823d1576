//! Test fixtures: repositories built by real `git` in temp dirs, and an LSP client that talks to
//! the real binary over stdio.

#![allow(dead_code)]

pub mod lsp;
mod repo;

#[allow(unused_imports)]
pub use repo::{git_command, git_in, git_output_in, sum_numstat, Repo};

use std::path::Path;
use std::process::Command;

pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_commit-nudge")
}

/// Runs `commit-nudge` with args in `dir`.
pub fn run_cli(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(binary())
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        // The prompt daemon has tests of its own (tests/it/prompt.rs); elsewhere prompts count cold.
        .env("COMMIT_NUDGE_PROMPT_DAEMON", "0")
        .output()
        .expect("binary runs")
}

/// `status --json` for the repository containing `dir`.
pub fn status_json(dir: &Path) -> serde_json::Value {
    let output = run_cli(dir, &["status", "--json"]);
    assert!(
        output.status.success(),
        "status failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("status prints JSON")
}

/// (files, added, removed) of one section of a status object.
pub fn section(status: &serde_json::Value, name: &str) -> (u64, u64, u64) {
    let s = &status[name];
    (
        s["files"].as_u64().expect("files"),
        s["added"].as_u64().expect("added"),
        s["removed"].as_u64().expect("removed"),
    )
}

/// A repository with `f.txt`, 30 lines committed, then three separated changes on disk (line 3
/// changed, a line added after line 15, line 27 removed); gives the edited text too.
pub fn three_hunks() -> (Repo, String) {
    let repo = Repo::new();
    let base: String = (1..=30).map(|i| format!("line {i}\n")).collect();
    repo.write("f.txt", &base);
    repo.commit_all("base");
    let edited = base
        .replace("line 3\n", "line 3 changed\n")
        .replace("line 15\n", "line 15\nline 15b\n")
        .replace("line 27\n", "");
    repo.write("f.txt", &edited);
    (repo, edited)
}

/// The id of git's empty tree: the base of a count on an unborn branch.
pub const EMPTY_TREE: &str = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

/// git's own numbers for a work tree, (files, added, removed) per section of a status object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GitNumbers {
    /// `git diff --cached --numstat <base>`.
    pub staged: (u64, u64, u64),
    /// `git diff --numstat`.
    pub unstaged: (u64, u64, u64),
    /// The untracked files, as the caller counts them with git.
    pub untracked: (u64, u64, u64),
    /// `git diff --numstat <base>` plus the untracked files.
    pub total: (u64, u64, u64),
}

impl GitNumbers {
    /// Asks `git` (git run in the work tree) for the numbers against HEAD, or against the empty
    /// tree on an unborn branch; `untracked` counts the untracked files given that base.
    pub fn of(
        git: impl Fn(&[&str]) -> std::process::Output,
        untracked: impl FnOnce(&str) -> (u64, u64, u64),
    ) -> GitNumbers {
        let unborn = git(&["rev-parse", "--verify", "-q", "HEAD"])
            .stdout
            .is_empty();
        let base = if unborn { EMPTY_TREE } else { "HEAD" };
        let numstat = |args: &[&str]| {
            let mut full = vec!["diff", "--numstat"];
            full.extend_from_slice(args);
            let output = git(&full);
            assert!(
                output.status.success(),
                "git {full:?}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            sum_numstat(&String::from_utf8_lossy(&output.stdout))
        };
        let untracked = untracked(base);
        let tracked_total = numstat(&[base]);
        GitNumbers {
            staged: numstat(&["--cached", base]),
            unstaged: numstat(&[]),
            untracked,
            total: (
                tracked_total.0 + untracked.0,
                tracked_total.1 + untracked.1,
                tracked_total.2 + untracked.2,
            ),
        }
    }

    /// Asserts every section of `status` (a `status --json` object) against these numbers;
    /// `context` says what the work was.
    pub fn assert_status(&self, status: &serde_json::Value, context: &str) {
        for (name, numbers, what) in [
            ("staged", self.staged, "git diff --cached --numstat"),
            ("unstaged", self.unstaged, "git diff --numstat"),
            (
                "untracked",
                self.untracked,
                "git's count of untracked files",
            ),
            ("total", self.total, "git diff --numstat HEAD + untracked"),
        ] {
            assert_eq!(
                section(status, name),
                numbers,
                "{context}: {name} vs {what}\n{status:#}"
            );
        }
    }
}

impl Repo {
    /// git's own numbers for this repository's work.
    pub fn git_numbers(&self) -> GitNumbers {
        GitNumbers::of(|args| self.git_output(args), |_| self.untracked_numstat())
    }
}

/// A small deterministic random generator (xorshift64), so a failing seed can be replayed.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Rows sorted by path, to compare two counts whatever their order.
pub fn sorted_rows(rows: &[commit_nudge::git::FileDelta]) -> Vec<commit_nudge::git::FileDelta> {
    let mut rows = rows.to_vec();
    rows.sort_by(|a, b| a.path.cmp(&b.path));
    rows
}

/// git's own zero-context hunks of the unstaged diff of `file`, each as a patch of one hunk.
pub fn git_hunk_patches(repo: &Repo, file: &str) -> Vec<(String, String)> {
    let diff = repo.git(&["diff", "-U0", "--no-color", "--", file]);
    let header_end = diff.find("\n@@").map(|i| i + 1).unwrap_or(diff.len());
    let header = &diff[..header_end];
    let mut hunks = Vec::new();
    for chunk in
        diff[header_end..]
            .split_inclusive('\n')
            .fold(Vec::<String>::new(), |mut acc, line| {
                if line.starts_with("@@") {
                    acc.push(String::new());
                }
                if let Some(last) = acc.last_mut() {
                    last.push_str(line);
                }
                acc
            })
    {
        let first = chunk.lines().next().unwrap_or_default().to_string();
        hunks.push((first.clone(), format!("{header}{}", alone(&first, &chunk))));
    }
    hunks
}

/// Rewrites a zero-context hunk's new start as if the hunks before it were not applied.
///
/// `git apply --unidiff-zero` places a hunk without context at its *new* start (which counts the
/// lines earlier hunks add or remove), so one hunk applied alone lands in the wrong place. This is
/// the header git would print for a diff holding only this hunk (gitsigns rewrites it the same way).
pub fn alone(first: &str, chunk: &str) -> String {
    let parse = |side: &str| -> (u32, u32) {
        let mut parts = side[1..].split(',');
        let start = parts.next().unwrap_or("0").parse().unwrap_or(0);
        let lines = parts.next().map_or(1, |n| n.parse().unwrap_or(1));
        (start, lines)
    };
    let mut fields = first.split(' ');
    let (_, old, new) = (
        fields.next(),
        fields.next().unwrap_or("-0"),
        fields.next().unwrap_or("+0"),
    );
    let ((old_start, old_lines), (_, new_lines)) = (parse(old), parse(new));
    let new_start = if old_lines == 0 {
        old_start + 1
    } else {
        old_start
    };
    let new_start = if new_lines == 0 {
        new_start.saturating_sub(1)
    } else {
        new_start
    };
    let rest = chunk.split_once('\n').map_or("", |(_, rest)| rest);
    format!("@@ {old} +{new_start},{new_lines} @@\n{rest}")
}

pub fn header_line(h: &commit_nudge::hunk_range::HunkRange) -> String {
    let side = |start: u32, lines: u32| {
        if lines == 1 {
            format!("{start}")
        } else {
            format!("{start},{lines}")
        }
    };
    format!(
        "@@ -{} +{} @@",
        side(h.old_start, h.old_lines),
        side(h.new_start, h.new_lines)
    )
}

/// Our hunks' headers beside git's (from `git_hunk_patches`), both as git prints them.
pub fn headers(
    ours: &[commit_nudge::git::Hunk],
    git_hunks: &[(String, String)],
) -> (Vec<String>, Vec<String>) {
    let ours = ours.iter().map(|h| header_line(&h.range)).collect();
    let git = git_hunks
        .iter()
        .map(|(first, _)| first.split(" @@").next().unwrap_or_default().to_string() + " @@")
        .collect();
    (ours, git)
}

/// A JSON answer as a snapshot shows it (`expect_test`): pretty-printed with sorted keys, the
/// repository's root spelled `$ROOT`, and each value under a key named in `varying` (a time, an
/// age) replaced by `"…"`, so that the snapshot holds the whole answer and nothing that changes
/// from run to run.
pub fn snapshot(value: &serde_json::Value, root: &Path, varying: &[&str]) -> String {
    fn redact(value: &serde_json::Value, varying: &[&str]) -> serde_json::Value {
        match value {
            serde_json::Value::Object(map) => serde_json::Value::Object(
                map.iter()
                    .map(|(key, value)| {
                        let value = if varying.contains(&key.as_str()) {
                            serde_json::Value::String("…".to_string())
                        } else {
                            redact(value, varying)
                        };
                        (key.clone(), value)
                    })
                    .collect(),
            ),
            serde_json::Value::Array(items) => {
                serde_json::Value::Array(items.iter().map(|v| redact(v, varying)).collect())
            }
            other => other.clone(),
        }
    }
    let text = serde_json::to_string_pretty(&redact(value, varying)).expect("JSON prints");
    let root = root.to_string_lossy();
    let root_uri = format!("file://{root}");
    text.replace(&root_uri, "$ROOT_URI")
        .replace(root.as_ref(), "$ROOT")
}

/// Another git holding `index.lock`: a `git commit -- <path>` of `repo`, started with a
/// pre-commit hook that sleeps 0.3 s (git holds the lock while its hook runs), returned once the
/// lock is seen. Wait for it (`Child::wait`) before looking at the result.
pub fn commit_holding_the_index_lock(repo: &Repo, path: &str) -> std::process::Child {
    let hook = repo.path(".git/hooks/pre-commit");
    std::fs::create_dir_all(hook.parent().unwrap()).unwrap();
    std::fs::write(&hook, "#!/bin/sh\nsleep 0.3\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let mut other = repo
        .command()
        .args(["commit", "-q", "-m", "the other", "--", path])
        .spawn()
        .expect("the other git");
    while !repo.path(".git/index.lock").exists() {
        if other.try_wait().expect("wait").is_some() {
            panic!("the other git finished before it was seen holding the lock");
        }
        std::thread::yield_now();
    }
    other
}

/// A copy of `repo` (working tree, index and git directory) in a temporary directory, for asking
/// git what it would write without touching the repository a server is watching. The server may
/// be writing its record under .git meanwhile (a temporary file renamed into place), which `cp`
/// can see listed and then not find: the copy is made again then.
pub fn copy_of(repo: &Repo) -> Repo {
    let dir = (0..5)
        .find_map(|_| {
            let copy = tempfile::tempdir().expect("temp dir");
            let status = Command::new("cp")
                .arg("-a")
                .arg(format!("{}/.", repo.root().display()))
                .arg(copy.path())
                .status()
                .expect("cp");
            status.success().then_some(copy)
        })
        .expect("a copy of the repository");
    Repo { dir }
}
