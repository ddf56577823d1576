//! The commit plan, end to end: tangled work built with real git in temp dirs, planned, edited
//! and applied through the real binary, with git itself as the reference. Nothing is lost: every
//! hunk is in exactly one commit, a refused commit leaves the rest as it was, a bad document
//! applies nothing.

use crate::support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use commit_nudge::plan::{self, document::PlannedCommit, PlanError, PlanOptions};
use support::Repo;

/// Runs `commit-nudge` in `repo` with git isolated from the machine's configuration.
pub(crate) fn cli(repo: &Repo, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(support::binary());
    command
        .args(args)
        .current_dir(repo.root())
        .env("HOME", repo.root())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE")
        .env_remove("GIT_EDITOR")
        .env_remove("VISUAL")
        .env_remove("EDITOR");
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn hook(repo: &Repo, name: &str, body: &str) {
    let path = repo.path(&format!(".git/hooks/{name}"));
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

fn numbered(prefix: &str, n: usize) -> String {
    (1..=n).map(|i| format!("{prefix} line {i}\n")).collect()
}

/// A repository with a history, then tangled work: a new function defined in one file and used in
/// another, an unrelated fix far down a third file, a staged README change, an untracked file, a
/// deleted file, a binary change, a mode change and a last line without its newline.
fn tangled() -> Repo {
    let repo = Repo::new();
    repo.write("src/config.rs", numbered("config", 40));
    repo.write("src/main.rs", numbered("main", 40));
    repo.write("lib/render.rs", numbered("render", 120));
    repo.write("README.md", numbered("readme", 10));
    repo.write("old.txt", numbered("old", 3));
    repo.write("logo.png", b"\x89PNG\r\n\x1a\n\0\0\0one");
    repo.write("run.sh", "echo run\n");
    repo.write("tail.txt", "no newline at the end");
    repo.commit_all("base");

    let mut config = numbered("config", 40);
    config.push_str("fn parse_threshold_auto(text: &str) -> u32 {\n    text.len() as u32\n}\n");
    repo.write("src/config.rs", config);
    let main = numbered("main", 40).replace(
        "main line 20\n",
        "main line 20\nlet limit = parse_threshold_auto(\"auto\");\n",
    );
    repo.write("src/main.rs", main);
    let render = numbered("render", 120).replace("render line 100\n", "render line one hundred\n");
    repo.write("lib/render.rs", render);
    repo.write(
        "README.md",
        numbered("readme", 10).replace("readme line 2\n", "readme line two\n"),
    );
    repo.git(&["add", "README.md"]);
    repo.write("notes/new.md", "# Notes\n\nA new file.\n");
    std::fs::remove_file(repo.path("old.txt")).unwrap();
    repo.write("logo.png", b"\x89PNG\r\n\x1a\n\0\0\0two");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(repo.path("run.sh"), std::fs::Permissions::from_mode(0o755))
            .unwrap();
    }
    repo.write("tail.txt", "no newline at the end, still");
    repo
}

pub(crate) type HunkId = (String, u64, u64, u64, u64);

/// The hunks of `git diff -U0 --no-renames HEAD` as git prints them, one per binary or mode-only
/// change, and one per untracked file.
pub(crate) fn git_hunks(repo: &Repo) -> Vec<HunkId> {
    let diff = repo.git(&["diff", "-U0", "--no-renames", "--no-ext-diff", "HEAD"]);
    let mut hunks = Vec::new();
    let mut path = String::new();
    let mut file_hunks = 0;
    let flush = |path: &str, file_hunks: usize, hunks: &mut Vec<HunkId>| {
        if !path.is_empty() && file_hunks == 0 {
            hunks.push((path.to_string(), 0, 0, 0, 0));
        }
    };
    for line in diff.lines() {
        if let Some(rest) = line.strip_prefix("diff --git a/") {
            flush(&path, file_hunks, &mut hunks);
            path = rest.split(" b/").next().unwrap().to_string();
            file_hunks = 0;
        } else if let Some(rest) = line.strip_prefix("@@ -") {
            let numbers = rest.split(" @@").next().unwrap();
            let (old, new) = numbers.split_once(" +").unwrap();
            let range = |s: &str| -> (u64, u64) {
                match s.split_once(',') {
                    Some((a, b)) => (a.parse().unwrap(), b.parse().unwrap()),
                    None => (s.parse().unwrap(), 1),
                }
            };
            let (os, ol) = range(old);
            let (ns, nl) = range(new);
            hunks.push((path.clone(), os, ol, ns, nl));
            file_hunks += 1;
        }
    }
    flush(&path, file_hunks, &mut hunks);
    for untracked in repo
        .git(&["ls-files", "--others", "--exclude-standard"])
        .lines()
    {
        let lines = String::from_utf8_lossy(&repo.read(untracked))
            .lines()
            .count() as u64;
        hunks.push((untracked.to_string(), 0, 0, 1, lines));
    }
    hunks.sort();
    hunks
}

pub(crate) fn plan_json(repo: &Repo) -> serde_json::Value {
    let output = cli(repo, &["plan", "--json"], &[]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("plan --json prints JSON")
}

pub(crate) fn json_hunks(commit: &serde_json::Value) -> Vec<HunkId> {
    commit["hunks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["path"].as_str().unwrap().to_string(),
                h["old_start"].as_u64().unwrap(),
                h["old_lines"].as_u64().unwrap(),
                h["new_start"].as_u64().unwrap(),
                h["new_lines"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// Every file of the working tree (outside `.git`) with its bytes and executable bit.
pub(crate) fn snapshot(root: &Path) -> BTreeMap<String, (Vec<u8>, bool)> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, (Vec<u8>, bool)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            if entry.file_name() == ".git" {
                continue;
            }
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                #[cfg(unix)]
                let exec = {
                    use std::os::unix::fs::PermissionsExt;
                    entry.metadata().unwrap().permissions().mode() & 0o111 != 0
                };
                #[cfg(not(unix))]
                let exec = false;
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.insert(rel, (std::fs::read(&path).unwrap(), exec));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

#[test]
fn every_hunk_of_git_diff_is_in_exactly_one_commit() {
    let repo = tangled();
    let plan = plan_json(&repo);
    let commits = plan["commits"].as_array().unwrap();
    let mut planned: Vec<HunkId> = commits.iter().flat_map(json_hunks).collect();
    planned.sort();
    assert_eq!(planned, git_hunks(&repo), "{plan:#}");
    assert_eq!(
        plan["root"].as_str().unwrap(),
        repo.root().display().to_string()
    );
    assert_eq!(
        plan["head"].as_str().unwrap(),
        repo.git(&["rev-parse", "HEAD"]).trim()
    );
    for commit in commits {
        assert!(!commit["title"].as_str().unwrap().is_empty(), "{commit:#}");
    }
}

#[test]
fn staged_work_is_the_first_commit_and_a_definition_goes_with_its_use() {
    let repo = tangled();
    let plan = plan_json(&repo);
    let commits = plan["commits"].as_array().unwrap();
    let first = json_hunks(&commits[0]);
    assert_eq!(
        first,
        vec![("README.md".to_string(), 2, 1, 2, 1)],
        "the staged hunk alone comes first: {plan:#}"
    );
    let group_of = |path: &str| {
        commits
            .iter()
            .position(|c| json_hunks(c).iter().any(|h| h.0 == path))
            .unwrap()
    };
    assert_eq!(
        group_of("src/config.rs"),
        group_of("src/main.rs"),
        "the new function and its call: {plan:#}"
    );
    assert_ne!(
        group_of("src/config.rs"),
        group_of("lib/render.rs"),
        "an unrelated change far away: {plan:#}"
    );
    assert!(
        commits[group_of("src/config.rs")]["title"]
            .as_str()
            .unwrap()
            .contains("parse_threshold_auto"),
        "{plan:#}"
    );
}

#[test]
fn apply_makes_one_commit_per_group_each_exactly_its_hunks_and_loses_nothing() {
    let repo = tangled();
    hook(
        &repo,
        "pre-commit",
        "echo x >> \"$(git rev-parse --git-dir)/pre-commit-runs\"",
    );
    let before = snapshot(&repo.root());
    let plan = plan_json(&repo);
    let commits = plan["commits"].as_array().unwrap().clone();
    let head_before = repo.git(&["rev-parse", "HEAD"]).trim().to_string();

    let output = cli(&repo, &["plan", "--apply"], &[]);
    assert!(output.status.success(), "{}", text(&output.stderr));

    assert_eq!(
        snapshot(&repo.root()),
        before,
        "the working tree is untouched"
    );
    assert_eq!(
        repo.git(&["status", "--porcelain", "--untracked-files=all"]),
        "",
        "a clean tree"
    );
    let made: Vec<String> = repo
        .git(&["rev-list", "--reverse", &format!("{head_before}..HEAD")])
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(made.len(), commits.len());
    let runs = std::fs::read_to_string(repo.path(".git/pre-commit-runs")).unwrap();
    assert_eq!(
        runs.lines().count(),
        commits.len(),
        "the hook ran per commit"
    );
    for (commit, sha) in commits.iter().zip(&made) {
        let subject = repo.git(&["log", "-1", "--format=%s", sha]);
        assert_eq!(subject.trim(), commit["title"].as_str().unwrap());
        // The commit's diff holds exactly its group's lines, file by file.
        let numstat = repo.git(&[
            "diff",
            "--numstat",
            "--no-renames",
            &format!("{sha}~1"),
            sha,
        ]);
        let mut got: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        for line in numstat.lines() {
            let mut parts = line.splitn(3, '\t');
            let added = parts.next().unwrap().parse().unwrap_or(0);
            let removed = parts.next().unwrap().parse().unwrap_or(0);
            got.insert(parts.next().unwrap().to_string(), (added, removed));
        }
        let mut want: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        for (path, _, old_lines, _, new_lines) in json_hunks(commit) {
            let entry = want.entry(path).or_default();
            entry.0 += new_lines;
            entry.1 += old_lines;
        }
        assert_eq!(got, want, "commit {subject}");
    }
}

#[test]
fn a_hook_refusing_commit_two_leaves_it_and_the_rest_exactly_as_they_were() {
    let repo = tangled();
    // The first commit passes, every later one is refused.
    hook(
        &repo,
        "pre-commit",
        "f=\"$(git rev-parse --git-dir)/seen\"; if [ -e \"$f\" ]; then echo 'lint: no thanks' >&2; exit 1; fi; touch \"$f\"",
    );
    let before = snapshot(&repo.root());
    let head_before = repo.git(&["rev-parse", "HEAD"]).trim().to_string();
    let plan = plan_json(&repo);
    let total = plan["commits"].as_array().unwrap().len();
    assert!(total >= 3, "{plan:#}");

    let output = cli(&repo, &["plan", "--apply"], &[]);
    assert!(!output.status.success());
    let message = text(&output.stderr);
    assert!(
        message.contains(&format!("commit 2 of {total}")),
        "{message}"
    );
    assert!(
        message.contains("lint: no thanks"),
        "git's words: {message}"
    );

    assert_eq!(
        snapshot(&repo.root()),
        before,
        "the working tree is untouched"
    );
    assert_eq!(
        repo.git(&["rev-list", "--count", &format!("{head_before}..HEAD")])
            .trim(),
        "1"
    );
    // Commit 1 was the staged README change; nothing else is staged, everything else is as it
    // was before, relative to the new HEAD.
    assert_eq!(repo.git(&["diff", "--cached", "--name-only"]), "");
    let mut remaining: Vec<HunkId> = plan["commits"].as_array().unwrap()[1..]
        .iter()
        .flat_map(json_hunks)
        .collect();
    remaining.sort();
    assert_eq!(git_hunks(&repo), remaining);
}

#[test]
fn a_refused_commit_keeps_the_users_staged_hunks_staged() {
    let repo = tangled();
    let root = repo.root();
    let work = commit_nudge::plan::plan_worktree(&root, &PlanOptions::default(), None).unwrap();
    let readme = work
        .hunks
        .iter()
        .position(|h| h.path == "README.md")
        .unwrap();
    let render = work
        .hunks
        .iter()
        .position(|h| h.path == "lib/render.rs")
        .unwrap();
    assert!(work.hunks[readme].staged);
    // The staged README hunk is planned second, and the hook refuses that commit.
    hook(
        &repo,
        "pre-commit",
        "f=\"$(git rev-parse --git-dir)/seen\"; if [ -e \"$f\" ]; then exit 1; fi; touch \"$f\"",
    );
    let commits = vec![
        PlannedCommit {
            title: "render: spell out one hundred".to_string(),
            hunks: vec![render],
        },
        PlannedCommit {
            title: "README: spell out two".to_string(),
            hunks: vec![readme],
        },
    ];
    let error = plan::apply_plan(
        &root,
        &commits,
        Some(&work.fingerprint),
        &Default::default(),
    )
    .unwrap_err();
    assert!(
        matches!(error, PlanError::CommitFailed { index: 2, .. }),
        "{error}"
    );
    assert_eq!(
        repo.git(&["diff", "--cached", "--name-only"]),
        "README.md\n",
        "still staged"
    );
    assert_eq!(
        repo.git(&["log", "-1", "--format=%s"]).trim(),
        "render: spell out one hundred"
    );
}

#[test]
fn edit_applies_the_saved_document_with_a_hunk_moved() {
    let repo = tangled();
    // The editor moves the render.rs hunk line under the first `commit` line.
    let scripts = tempfile::tempdir().unwrap();
    let script = scripts.path().join("move.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\nline=$(grep '^  lib/render.rs ' \"$1\")\ngrep -v '^  lib/render.rs ' \"$1\" | awk -v moved=\"$line\" '{print} /^commit / && !done {print moved; done=1}' > \"$1.new\"\nmv \"$1.new\" \"$1\"\n",
    )
    .unwrap();
    let editor = format!("sh {}", script.display());
    let before = snapshot(&repo.root());
    let head_before = repo.git(&["rev-parse", "HEAD"]).trim().to_string();
    let output = cli(&repo, &["plan", "--edit"], &[("GIT_EDITOR", &editor)]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(
        repo.git(&["status", "--porcelain", "--untracked-files=all"]),
        ""
    );
    assert_eq!(snapshot(&repo.root()), before);
    let first = repo
        .git(&["rev-list", "--reverse", &format!("{head_before}..HEAD")])
        .lines()
        .next()
        .unwrap()
        .to_string();
    // The first planned commit (the staged README change) now holds lib/render.rs too.
    let files = repo.git(&["show", "--name-only", "--format=", &first]);
    assert_eq!(files, "README.md\nlib/render.rs\n");
    assert!(!repo.path(".git/COMMIT_PLAN").exists());
}

#[test]
fn a_bad_document_applies_nothing_and_names_its_lines() {
    let repo = tangled();
    let editor = "sh -c 'printf \"commit one\\n  lib/render.rs @@ -100,1 +100,1 @@\\n  lib/render.rs @@ -100,1 +100,1 @@\\n  nope.rs @@ -1,1 +1,1 @@\\nsquash this\\n\" > \"$1\"' editor";
    let index_before = repo.index_bytes();
    let head_before = repo.git(&["rev-parse", "HEAD"]);
    let output = cli(&repo, &["plan", "--edit"], &[("GIT_EDITOR", editor)]);
    assert!(!output.status.success());
    let message = text(&output.stderr);
    assert!(
        message.contains("line 3: this hunk is already named on line 2"),
        "{message}"
    );
    assert!(
        message.contains("line 4: no uncommitted hunk nope.rs"),
        "{message}"
    );
    assert!(
        message.contains("line 5: expected `commit <title>`"),
        "{message}"
    );
    assert!(message.contains("nothing was applied"), "{message}");
    assert_eq!(repo.git(&["rev-parse", "HEAD"]), head_before);
    assert_eq!(repo.index_bytes(), index_before);
}

#[test]
fn closing_the_editor_without_saving_cancels() {
    let repo = tangled();
    let head_before = repo.git(&["rev-parse", "HEAD"]);
    let output = cli(&repo, &["plan", "--edit"], &[("GIT_EDITOR", "true")]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout).contains("not saved"),
        "{}",
        text(&output.stdout)
    );
    assert_eq!(repo.git(&["rev-parse", "HEAD"]), head_before);
}

#[test]
fn a_stale_plan_is_refused() {
    let repo = tangled();
    let root = repo.root();
    let work = plan::plan_worktree(&root, &PlanOptions::default(), None).unwrap();
    repo.write("lib/render.rs", "changed meanwhile\n");
    let commits: Vec<PlannedCommit> = work
        .groups
        .iter()
        .map(|g| PlannedCommit {
            title: g.title.clone(),
            hunks: g.hunks.clone(),
        })
        .collect();
    let head_before = repo.git(&["rev-parse", "HEAD"]);
    let error = plan::apply_plan(
        &root,
        &commits,
        Some(&work.fingerprint),
        &Default::default(),
    )
    .unwrap_err();
    assert!(matches!(error, PlanError::Stale(_)), "{error}");
    assert_eq!(repo.git(&["rev-parse", "HEAD"]), head_before);
}

#[test]
fn nothing_uncommitted_is_nothing_to_plan() {
    let repo = Repo::new();
    repo.write("a.txt", "a\n");
    repo.commit_all("base");
    let output = cli(&repo, &["plan"], &[]);
    assert!(output.status.success());
    assert_eq!(
        text(&output.stdout).trim(),
        "nothing to plan: the working tree is clean"
    );
    let output = cli(&repo, &["plan", "--apply"], &[]);
    assert!(output.status.success());
}

#[test]
fn outside_a_repository_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(support::binary())
        .args(["plan"])
        .current_dir(dir.path())
        .env("GIT_CEILING_DIRECTORIES", dir.path().parent().unwrap())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
}

/// Two branches changing one line differently, merged: a conflict.
fn conflicted() -> Repo {
    let repo = Repo::new();
    repo.write("a.txt", "base\n");
    repo.commit_all("base");
    repo.conflict("a.txt");
    repo
}

#[test]
fn a_merge_in_progress_is_refused_in_one_line() {
    let repo = conflicted();
    let output = cli(&repo, &["plan"], &[]);
    assert!(!output.status.success());
    let message = text(&output.stderr);
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(message.contains("a merge is in progress"), "{message}");
}

#[test]
fn a_conflicted_index_is_refused_in_one_line() {
    let repo = conflicted();
    std::fs::remove_file(repo.path(".git/MERGE_HEAD")).unwrap();
    let output = cli(&repo, &["plan", "--apply"], &[]);
    assert!(!output.status.success());
    let message = text(&output.stderr);
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(
        message.contains("the index has conflicts (a.txt)"),
        "{message}"
    );
}

#[test]
fn very_large_work_gets_a_coarser_plan_by_directory_and_says_so() {
    let repo = Repo::new();
    for dir in ["alpha", "beta", "gamma"] {
        for n in 0..4 {
            repo.write(&format!("{dir}/f{n}.txt"), numbered(dir, 30));
        }
    }
    repo.commit_all("base");
    for dir in ["alpha", "beta", "gamma"] {
        for n in 0..4 {
            let changed = numbered(dir, 30)
                .replace("line 5\n", "line five\n")
                .replace("line 25\n", "line twenty-five\n");
            repo.write(&format!("{dir}/f{n}.txt"), changed);
        }
    }
    let mut options = PlanOptions::default();
    options.group.max_hunks = 10;
    let plan = plan::plan_worktree(&repo.root(), &options, None).unwrap();
    assert_eq!(plan.hunks.len(), 24);
    let note = plan.coarse_note.clone().unwrap();
    assert!(note.contains("groups by directory"), "{note}");
    let dirs: Vec<Vec<String>> = plan
        .groups
        .iter()
        .map(|g| {
            let mut d: Vec<String> = g
                .hunks
                .iter()
                .map(|i| plan.hunks[*i].path.split('/').next().unwrap().to_string())
                .collect();
            d.dedup();
            d
        })
        .collect();
    assert_eq!(dirs, vec![vec!["alpha"], vec!["beta"], vec!["gamma"]]);
    let document = plan::render_document(&plan);
    assert!(document.contains("# Note: "), "{document}");
}

#[test]
fn features_lists_every_hunk_of_git_diff_and_every_pair_of_them() {
    // `plan --features` is what bench/fit.py fits the pair model on: its hunks must be git's,
    // and it must describe each pair once, with one number per named feature.
    let repo = tangled();
    let output = cli(&repo, &["plan", "--features"], &[]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let dump: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let mut hunks: Vec<HunkId> = dump["hunks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h[0].as_str().unwrap().to_string(),
                h[1].as_u64().unwrap(),
                h[2].as_u64().unwrap(),
                h[3].as_u64().unwrap(),
                h[4].as_u64().unwrap(),
            )
        })
        .collect();
    let n = hunks.len();
    hunks.sort();
    assert_eq!(hunks, git_hunks(&repo));
    let features = dump["features"].as_array().unwrap().len();
    assert!(features > 0);
    let pairs = dump["pairs"].as_array().unwrap();
    assert_eq!(pairs.len(), n * (n - 1) / 2);
    for (k, pair) in pairs.iter().enumerate() {
        let row = pair.as_array().unwrap();
        assert_eq!(row.len(), 2 + features, "pair {k}");
        assert!(
            row[0].as_f64().unwrap() < row[1].as_f64().unwrap(),
            "pair {k}"
        );
    }
    assert_eq!(dump["units"].as_array().unwrap().len(), n);
}
