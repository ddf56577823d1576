//! Absorb through the language server, as an editor uses it: a lens names each fix's target,
//! "Fold into '<subject>' (N commits back)" folds one hunk, "Absorb N hunks into M commits…"
//! opens the absorb document, saving it makes the `fixup!` commits with the user's hooks and
//! nothing else moves; a stale document is refused with nothing applied.

use crate::support;

use serde_json::{json, Value};
use support::lsp::{every_titled, uri, Client};
use support::Repo;

/// A branch of three commits on `main`, two fixes (of the first and the second commit), a
/// pre-commit hook that counts its runs, and the server started with `a` open.
fn three_commits_and_two_fixes() -> (Repo, Client, String) {
    let repo = crate::absorb::three_commits();
    repo.write("a", "base1\nbase2\none\nTWO\n");
    repo.write("b", "x1\nX2\n");
    crate::absorb::executable(
        &repo,
        ".git/hooks/pre-commit",
        "#!/bin/sh\necho ran >> \"$(git rev-parse --git-dir)/hook-runs\"\n",
    );
    let mut client = Client::start();
    client.initialize(&uri(&repo.root()), json!({"thresholds": {"lines": 2}}));
    let file = uri(&repo.path("a"));
    client.open(&file, "base1\nbase2\none\nTWO\n");
    client.wait_for("the first status", |m| {
        m["method"] == "commitNudge/status" && m["params"]["total"]["files"] == 2
    });
    (repo, client, file)
}

/// The lenses once the background report has named a target (each refresh asks again).
fn fold_lenses(client: &mut Client, file: &str) -> Vec<String> {
    loop {
        let titles = client.lens_titles(file);
        if titles.iter().any(|t| t.starts_with("fold into")) {
            return titles;
        }
        client.wait_for("a code lens refresh", |m| {
            m["method"] == "workspace/codeLens/refresh"
        });
    }
}

fn subjects(repo: &Repo) -> Vec<String> {
    repo.git(&["log", "--format=%s", "main..HEAD"])
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn lens_and_fold_into_name_the_target_and_fold_one_hunk() {
    let (repo, mut client, file) = three_commits_and_two_fixes();
    let lenses = fold_lenses(&mut client, &file);
    assert!(
        lenses.contains(&"fold into 'a: one two' (2 commits back)".to_string()),
        "{lenses:?}"
    );
    // On the fixed line (0-based 3): the fold, then the absorb of all, before any commit.
    let actions = client.actions_at(&file, 3, json!([]));
    let fold = every_titled(&actions, "Fold into");
    assert_eq!(fold.len(), 1, "{actions:#?}");
    assert_eq!(fold[0]["title"], "Fold into 'a: one two' (2 commits back)");
    assert_eq!(
        every_titled(&actions, "Absorb 2 hunks into 2 commits…").len(),
        1,
        "{actions:#?}"
    );
    // Not on a line the fix does not touch.
    assert!(every_titled(&client.actions_at(&file, 0, json!([])), "Fold into").is_empty());
    let tip = repo.git(&["rev-parse", "HEAD"]);
    let response = client.request("workspace/executeCommand", fold[0]["command"].clone());
    assert!(response.get("error").is_none(), "{response}");
    assert_eq!(response["result"]["fixups"].as_array().unwrap().len(), 1);
    assert_eq!(subjects(&repo)[0], "fixup! a: one two");
    assert_eq!(repo.git(&["rev-parse", "HEAD~1"]), tip);
    assert_eq!(repo.git(&["show", "HEAD:a"]), "base1\nbase2\none\nTWO\n");
    // b's fix is still uncommitted, unstaged, as it was.
    assert_eq!(repo.git(&["status", "--porcelain"]), " M b\n");
}

#[test]
fn absorb_document_saved_makes_the_fixups_with_hooks_and_nothing_else_moves() {
    let (repo, mut client, file) = three_commits_and_two_fixes();
    fold_lenses(&mut client, &file);
    let diagnostics = client.wait_diagnostics(&file, "the size nudge", |d| !d.is_empty());
    let actions = client.actions_at(&file, 3, Value::Array(diagnostics));
    // All the work absorbs: the absorb is the preferred fix of the nudge.
    let absorb = every_titled(&actions, "Absorb 2 hunks into 2 commits…");
    assert_eq!(absorb.len(), 1, "{actions:#?}");
    assert_eq!(absorb[0]["kind"], "quickfix");
    assert_eq!(absorb[0]["isPreferred"], true);
    let first_commit = actions
        .iter()
        .position(|a| a["title"].as_str().unwrap_or("").starts_with("Commit"));
    let at = actions
        .iter()
        .position(|a| a["title"] == absorb[0]["title"])
        .unwrap();
    assert!(first_commit.is_none_or(|c| at < c), "{actions:#?}");

    let tip = repo.git(&["rev-parse", "HEAD"]);
    let response = client.request("workspace/executeCommand", absorb[0]["command"].clone());
    assert!(response.get("error").is_none(), "{response}");
    assert_eq!(response["result"]["hunks"], 2);
    assert_eq!(response["result"]["commits"], 2);
    let show = client.wait_for("showDocument", |m| m["method"] == "window/showDocument");
    let doc_uri = show["params"]["uri"].as_str().unwrap().to_string();
    assert!(doc_uri.ends_with("COMMIT_ABSORB"), "{doc_uri}");
    let doc_path = repo.path(".git/COMMIT_ABSORB");
    let text = std::fs::read_to_string(&doc_path).unwrap();
    assert!(text.contains("\nfixup "), "{text}");
    assert!(
        text.contains(" a: one two\n  a @@ -4,1 +4,1 @@ one\n"),
        "{text}"
    );
    client.open(&doc_uri, &text);
    client.notify(
        "textDocument/didSave",
        json!({"textDocument": {"uri": doc_uri}}),
    );
    let done = client.wait_for("the fix-ups made", |m| {
        m["method"] == "window/showMessage"
            && m["params"]["message"]
                .as_str()
                .unwrap_or_default()
                .contains("fix-up commit")
    });
    assert!(
        done["params"]["message"]
            .as_str()
            .unwrap()
            .contains("made 2 fix-up commits"),
        "{done}"
    );
    assert_eq!(
        subjects(&repo),
        vec![
            "fixup! b: add",
            "fixup! a: one two",
            "c: add",
            "b: add",
            "a: one two"
        ]
    );
    assert_eq!(
        repo.git(&["rev-parse", "HEAD~2"]),
        tip,
        "nothing else moved"
    );
    let runs = std::fs::read_to_string(repo.path(".git/hook-runs")).unwrap();
    assert_eq!(runs.lines().count(), 2, "the hook ran for each fix-up");
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
}

#[test]
fn a_stale_absorb_document_is_refused_and_nothing_is_applied() {
    let (repo, mut client, _file) = three_commits_and_two_fixes();
    let root = uri(&repo.root());
    let response = client.request(
        "workspace/executeCommand",
        json!({"command": "commit-nudge.openAbsorb", "arguments": [{"root": root}]}),
    );
    assert!(response.get("error").is_none(), "{response}");
    let show = client.wait_for("showDocument", |m| m["method"] == "window/showDocument");
    let doc_uri = show["params"]["uri"].as_str().unwrap().to_string();
    let text = std::fs::read_to_string(repo.path(".git/COMMIT_ABSORB")).unwrap();
    client.open(&doc_uri, &text);
    // The work changes after the document was written.
    repo.write("c", "c1\nc2\n");
    let before = (repo.git(&["rev-parse", "HEAD"]), repo.git(&["diff"]));
    client.notify(
        "textDocument/didSave",
        json!({"textDocument": {"uri": doc_uri}}),
    );
    let refused = client.wait_for("the refusal", |m| {
        m["method"] == "window/showMessage"
            && m["params"]["message"]
                .as_str()
                .unwrap_or_default()
                .contains("stale")
    });
    assert!(
        refused["params"]["message"]
            .as_str()
            .unwrap()
            .contains("nothing was applied"),
        "{refused}"
    );
    assert_eq!(
        before,
        (repo.git(&["rev-parse", "HEAD"]), repo.git(&["diff"]))
    );
}

/// In a repository of SHA-256 object names (served by git itself), the editor's absorb works as
/// in SHA-1: the lens names the target, "Fold into" makes the one fix-up with the user's hook,
/// and the rest of the work stays as it was.
#[test]
fn in_sha256_the_lens_and_fold_into_work_as_in_sha1() {
    let repo = crate::absorb::twin(crate::absorb::SHA256);
    repo.write("a", "base1\nbase2\none\nTWO\n");
    repo.write("b", "x1\nX2\n");
    crate::absorb::executable(
        &repo,
        ".git/hooks/pre-commit",
        "#!/bin/sh\necho ran >> \"$(git rev-parse --git-dir)/hook-runs\"\n",
    );
    let mut client = Client::start();
    client.initialize(&uri(&repo.root()), json!({"thresholds": {"lines": 2}}));
    let file = uri(&repo.path("a"));
    client.open(&file, "base1\nbase2\none\nTWO\n");
    client.wait_for("the first status", |m| {
        m["method"] == "commitNudge/status" && m["params"]["total"]["files"] == 2
    });
    let lenses = fold_lenses(&mut client, &file);
    assert!(
        lenses.contains(&"fold into 'a: one two' (2 commits back)".to_string()),
        "{lenses:?}"
    );
    let actions = client.actions_at(&file, 3, json!([]));
    let fold = every_titled(&actions, "Fold into");
    assert_eq!(fold.len(), 1, "{actions:#?}");
    let tip = repo.git(&["rev-parse", "HEAD"]);
    let response = client.request("workspace/executeCommand", fold[0]["command"].clone());
    assert!(response.get("error").is_none(), "{response}");
    assert_eq!(response["result"]["fixups"].as_array().unwrap().len(), 1);
    assert_eq!(subjects(&repo)[0], "fixup! a: one two");
    assert_eq!(repo.git(&["rev-parse", "HEAD~1"]), tip);
    assert_eq!(repo.git(&["show", "HEAD:a"]), "base1\nbase2\none\nTWO\n");
    let runs = std::fs::read_to_string(repo.path(".git/hook-runs")).unwrap();
    assert_eq!(runs.lines().count(), 1, "the hook ran for the fix-up");
    assert_eq!(repo.git(&["status", "--porcelain"]), " M b\n");
}
