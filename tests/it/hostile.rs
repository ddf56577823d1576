//! Nothing runs while reading: a repository whose config, attributes and hooks would leave a
//! mark if anything ran is counted, diffed and staged (CLI, library and language server), and no
//! mark appears. Real git, run afterwards in the same repository, leaves marks: the trap works.

use crate::support;

use std::path::{Path, PathBuf};

use commit_nudge::git::{self, CountOptions};
use serde_json::{json, Value};
use support::lsp::{uri, Client};
use support::{run_cli, Repo};

/// A script that leaves `<marks>/<name>` when it runs (and, as a filter, passes its input on).
#[cfg(unix)]
fn trap(dir: &Path, marks: &Path, name: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\ntouch '{}/{name}'\ncat\nexit 0\n",
            marks.display()
        ),
    )
    .expect("write the script");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

fn marks_left(marks: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(marks)
        .expect("marks dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

const HOOKS: &[&str] = &[
    "pre-commit",
    "post-commit",
    "post-checkout",
    "post-index-change",
    "reference-transaction",
    "pre-auto-gc",
    "post-rewrite",
    "fsmonitor-watchman",
];

/// A committed repository with changes, then armed: every program git could run is a trap.
#[cfg(unix)]
fn hostile(kind: &[&str]) -> (Repo, tempfile::TempDir, tempfile::TempDir) {
    let repo = Repo::new_with(kind);
    repo.write("a.txt", "one\ntwo\nthree\n");
    repo.write("b.txt", "b\n");
    repo.commit_all("seed");
    let marks = tempfile::tempdir().expect("marks");
    let scripts = tempfile::tempdir().expect("scripts");
    let script = |name: &str| {
        trap(scripts.path(), marks.path(), name)
            .to_string_lossy()
            .into_owned()
    };
    for (key, name) in [
        ("core.fsmonitor", "fsmonitor"),
        ("filter.x.clean", "clean"),
        ("filter.x.smudge", "smudge"),
        ("filter.x.process", "process"),
        ("diff.x.textconv", "textconv"),
        ("diff.x.command", "diff-command"),
        ("core.pager", "pager"),
        ("core.editor", "editor"),
        ("core.sshCommand", "ssh"),
    ] {
        repo.git(&["config", key, &script(name)]);
    }
    repo.git(&["config", "filter.x.required", "true"]);
    let hooks_path = tempfile::tempdir_in(scripts.path()).expect("hooks dir");
    for hook in HOOKS {
        trap(&repo.path(".git/hooks"), marks.path(), hook);
        trap(
            hooks_path.path(),
            marks.path(),
            &format!("hooks-path-{hook}"),
        );
        std::fs::rename(
            hooks_path.path().join(format!("hooks-path-{hook}")),
            hooks_path.path().join(hook),
        )
        .expect("rename");
    }
    repo.git(&[
        "config",
        "core.hooksPath",
        hooks_path.path().to_str().expect("utf-8"),
    ]);
    repo.write(".gitattributes", "* filter=x diff=x\n");
    repo.write("a.txt", "one\n2\nthree\nfour\n");
    repo.write("new.txt", "fresh\n");
    std::mem::forget(hooks_path);
    (repo, marks, scripts)
}

#[cfg(unix)]
#[test]
fn reading_a_hostile_repository_runs_nothing() {
    runs_nothing(&[]);
}

/// The same in a repository of SHA-256 object names with reftable refs, which the git CLI serves.
#[cfg(unix)]
#[test]
fn reading_a_hostile_sha256_reftable_repository_runs_nothing() {
    runs_nothing(&["--object-format=sha256", "--ref-format=reftable"]);
}

#[cfg(unix)]
fn runs_nothing(kind: &[&str]) {
    let (repo, marks, _scripts) = hostile(kind);
    let root = repo.root();

    // The command line.
    for args in [&["status", "--json"][..], &["status"], &["prompt"]] {
        let output = run_cli(&root, args);
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    assert_eq!(
        marks_left(marks.path()),
        Vec::<String>::new(),
        "after the CLI"
    );

    // The library's front door: counts, hunks, and staging a hunk and a file (index writes
    // included).
    let opened = git::open(&root).expect("open");
    let counts = opened
        .count(&CountOptions {
            count_untracked: true,
            ..CountOptions::default()
        })
        .expect("count");
    assert!(!counts.unstaged.is_empty());
    let hunks = opened
        .file_hunks("a.txt", Some(&repo.read("a.txt")))
        .expect("hunks");
    let hunk = hunks.unstaged.first().expect("a hunk").clone();
    let target = git::HunkTarget {
        range: hunk.range,
        hash: hunk.hash(),
        selection: git::LineSelection::All,
    };
    opened
        .stage_hunk("a.txt", None, &target)
        .expect("stage hunk");
    opened.stage_file("new.txt", None).expect("stage file");
    opened.unstage_file("new.txt").expect("unstage file");
    assert_eq!(
        marks_left(marks.path()),
        Vec::<String>::new(),
        "after the library"
    );

    // The language server: open, code actions, code lens, stage hunk and stage file.
    let mut client = Client::start();
    let response = client.initialize(&uri(&root), Value::Null);
    assert!(response.get("error").is_none(), "{response}");
    let doc = uri(&root.join("a.txt"));
    client.open(&doc, "one\n2\nthree\nfour\nfive\n");
    client.wait_for("a status", |m| m["method"] == "commitNudge/status");
    let actions = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": doc},
            "range": {"start": {"line": 4, "character": 0}, "end": {"line": 4, "character": 0}},
            "context": {"diagnostics": []}}),
    );
    let actions = actions["result"].as_array().cloned().unwrap_or_default();
    let stage_hunk = actions
        .iter()
        .find(|a| {
            a["title"]
                .as_str()
                .is_some_and(|t| t.starts_with("Stage hunk"))
        })
        .unwrap_or_else(|| panic!("a Stage hunk action: {actions:#?}"));
    let command = &stage_hunk["command"];
    let staged = client.request(
        "workspace/executeCommand",
        json!({"command": command["command"], "arguments": command["arguments"]}),
    );
    assert!(staged.get("error").is_none(), "{staged}");
    let lenses = client.request(
        "textDocument/codeLens",
        json!({"textDocument": {"uri": doc}}),
    );
    assert!(lenses.get("error").is_none(), "{lenses}");
    let file = client.request(
        "workspace/executeCommand",
        json!({"command": "commit-nudge.stageFile",
            "arguments": [{"root": uri(&root), "path": "new.txt"}]}),
    );
    assert!(file.get("error").is_none(), "{file}");
    client.request(
        "workspace/executeCommand",
        json!({"command": "commit-nudge.refresh", "arguments": []}),
    );
    client.shutdown();
    assert_eq!(
        marks_left(marks.path()),
        Vec::<String>::new(),
        "after the server"
    );

    // The trap works: git itself runs the fsmonitor and the filter here (the filter process, which
    // speaks no protocol, then stops git before any diff driver runs).
    let _ = repo.git_output(&["status"]);
    let _ = repo.git_output(&["diff"]);
    let _ = repo.git_output(&["add", "b.txt"]);
    let left = marks_left(marks.path());
    assert!(
        left.iter().any(|m| m == "fsmonitor")
            && left.iter().any(|m| m == "process" || m == "clean"),
        "git runs the traps: {left:?}"
    );
}
