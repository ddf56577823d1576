//! The commit plan through the language server, as an editor uses it: the "Split into…" quick
//! fix opens the plan document, the lenses name each hunk's planned commit, the user moves a hunk
//! line and saves, and the commits are made with the user's hooks, nothing lost.

use crate::support;

use serde_json::{json, Value};
use support::lsp::{every_titled, uri, Client};
use support::Repo;

const LIB: &str = "fn alpha() -> u32 {\n    1\n}\n\n// spacer\n// spacer\n// spacer\n// spacer\n\nfn beta() -> u32 {\n    2\n}\n";

/// Three separate changes in two files, a pre-commit hook that counts its runs, and the server
/// started on it with `src/lib.rs` open and a line limit that nudges.
fn tangled_open() -> (Repo, Client, String, String) {
    let repo = Repo::new();
    repo.write("src/lib.rs", LIB);
    repo.write("docs/guide.md", "# Guide\n\nIntro.\n");
    repo.commit_all("seed");
    let lib = LIB
        .replace("    1\n", "    10\n")
        .replace("    2\n", "    20\n");
    repo.write("src/lib.rs", &lib);
    repo.write(
        "docs/guide.md",
        "# Guide\n\nIntro.\n\nMore words about cooking.\n",
    );
    let hook = repo.path(".git/hooks/pre-commit");
    std::fs::write(
        &hook,
        "#!/bin/sh\necho ran >> \"$(git rev-parse --git-dir)/hook-runs\"\n",
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let mut client = Client::start();
    client.initialize(&uri(&repo.root()), json!({"thresholds": {"lines": 2}}));
    let file = uri(&repo.path("src/lib.rs"));
    client.open(&file, &lib);
    client.wait_for("the first status", |m| {
        m["method"] == "commitNudge/status" && m["params"]["total"]["files"] == 2
    });
    (repo, client, file, lib)
}

#[test]
fn split_edit_save_makes_the_commits_with_hooks_and_loses_nothing() {
    let (repo, mut client, file, lib) = tangled_open();
    let diagnostics = client.wait_diagnostics(&file, "the size nudge", |d| !d.is_empty());
    let actions = client.actions_at(&file, 1, Value::Array(diagnostics));
    let split = every_titled(&actions, "Split into")
        .first()
        .copied()
        .cloned()
        .unwrap_or_else(|| panic!("no Split into in {actions:#?}"));
    assert_eq!(split["kind"], "quickfix");
    assert_eq!(split["command"]["command"], "commit-nudge.openPlan");

    let response = client.request("workspace/executeCommand", split["command"].clone());
    assert!(response.get("error").is_none(), "{response}");
    let commits = response["result"]["commits"].as_u64().unwrap() as usize;
    assert!(commits >= 2, "{response}");
    let show = client.wait_for("showDocument", |m| m["method"] == "window/showDocument");
    let doc_uri = show["params"]["uri"].as_str().unwrap().to_string();
    assert!(doc_uri.ends_with("COMMIT_PLAN"), "{doc_uri}");
    let doc_path = repo.path(".git/COMMIT_PLAN");
    let text = std::fs::read_to_string(&doc_path).unwrap();
    client.open(&doc_uri, &text);

    // While the plan is open: a lens per planned hunk, a "Stage planned commit" per commit.
    let lenses = client.lens_titles(&file);
    let planned: Vec<&String> = lenses.iter().filter(|t| t.starts_with("commit ")).collect();
    assert_eq!(planned.len(), 2, "alpha and beta: {lenses:?}");
    assert!(planned[0].contains(&format!("/{commits}: ")), "{lenses:?}");
    let actions = client.actions_at(&file, 1, json!([]));
    assert_eq!(
        every_titled(&actions, "Stage planned commit").len(),
        commits,
        "{actions:#?}"
    );

    // The user moves the docs hunk under the last commit, renames that commit, and saves.
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with("  docs/guide.md @@"))
        .unwrap();
    let moved = lines.remove(at);
    lines.push(moved);
    let last_commit = lines
        .iter()
        .rposition(|l| l.starts_with("commit "))
        .unwrap();
    lines[last_commit] = "commit Tune beta and tell the guide".to_string();
    let edited = lines.join("\n") + "\n";
    std::fs::write(&doc_path, &edited).unwrap();
    client.notify(
        "textDocument/didSave",
        json!({"textDocument": {"uri": doc_uri}}),
    );
    let done = client.wait_for("the commits made", |m| {
        m["method"] == "window/showMessage"
            && m["params"]["message"]
                .as_str()
                .unwrap_or_default()
                .starts_with("commit-nudge: made")
    });

    // The docs hunk's own commit emptied and was dropped: one commit fewer, in git log.
    let made = commits - 1;
    let log = repo.git(&["log", "--format=%s"]);
    assert_eq!(log.lines().count(), made + 1, "{log}\n{edited}\n{done}");
    assert_eq!(log.lines().next(), Some("Tune beta and tell the guide"));
    let last = repo.git(&["show", "--name-only", "--format=", "HEAD"]);
    assert!(last.contains("docs/guide.md"), "{last}");
    let runs = std::fs::read_to_string(repo.path(".git/hook-runs")).unwrap();
    assert_eq!(runs.lines().count(), made, "the hook ran for each commit");
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
    assert_eq!(repo.read("src/lib.rs"), lib.as_bytes());
    assert_eq!(
        repo.read("docs/guide.md"),
        b"# Guide\n\nIntro.\n\nMore words about cooking.\n"
    );
    // The plan is done: its lenses are gone.
    let lenses = client.lens_titles(&file);
    assert!(
        !lenses.iter().any(|t| t.starts_with("commit ")),
        "{lenses:?}"
    );
}

#[test]
fn a_bad_plan_document_says_which_line_and_applies_nothing() {
    let (repo, mut client, _file, _) = tangled_open();
    let root = uri(&repo.root());
    let response = client.request(
        "workspace/executeCommand",
        json!({"command": "commit-nudge.openPlan", "arguments": [{"root": root}]}),
    );
    assert!(response.get("error").is_none(), "{response}");
    let doc_path = repo.path(".git/COMMIT_PLAN");
    let text = std::fs::read_to_string(&doc_path).unwrap();
    // A hunk named twice: refused with its line, nothing committed.
    let hunk = text
        .lines()
        .find(|l| l.starts_with("  src/lib.rs @@"))
        .unwrap()
        .to_string();
    std::fs::write(&doc_path, format!("{text}{hunk}\n")).unwrap();
    let index = repo.git(&["ls-files", "--stage"]);
    let response = client.request(
        "workspace/executeCommand",
        json!({"command": "commit-nudge.applyPlan", "arguments": [{"root": root}]}),
    );
    let message = response["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("already named on line") && message.contains("nothing was applied"),
        "{response}"
    );
    assert_eq!(repo.git(&["rev-list", "--count", "HEAD"]), "1\n");
    assert_eq!(repo.git(&["ls-files", "--stage"]), index);
    // Stage planned commit 1 by hand: exactly its hunks are staged.
    let response = client.request(
        "workspace/executeCommand",
        json!({"command": "commit-nudge.stagePlanned", "arguments": [{"root": root, "commit": 1}]}),
    );
    assert!(response.get("error").is_none(), "{response}");
    assert!(!repo.git(&["diff", "--cached", "--name-only"]).is_empty());
    assert_eq!(repo.git(&["rev-list", "--count", "HEAD"]), "1\n");
}
