//! Hunk actions through the language server, as an editor uses them: code actions at the cursor,
//! code lenses, commands, and the commit-message document for editors without a prompt.

use crate::support;

use serde_json::{json, Value};
use support::lsp::{titled, uri, Client};
use support::Repo;

/// A file with three separated changes, open in the server.
fn three_hunks_open(options: Value) -> (Repo, Client, String, String) {
    let (repo, edited) = support::three_hunks();
    let mut client = Client::start();
    client.initialize(&uri(&repo.root()), options);
    let file = uri(&repo.path("f.txt"));
    client.open(&file, &edited);
    client.wait_for("the first status", |m| {
        m["method"] == "commitNudge/status" && m["params"]["total"]["files"] == 1
    });
    (repo, client, file, edited)
}

#[test]
fn stage_the_middle_hunk_at_the_cursor_then_commit_it() {
    let (repo, mut client, file, edited) = three_hunks_open(json!({}));
    // Line 15 (0-based) holds "line 15b", the middle hunk.
    let actions = client.actions_at(&file, 15, json!([]));
    let stage =
        titled(&actions, "Stage hunk").unwrap_or_else(|| panic!("no Stage hunk in {actions:#?}"));
    assert!(titled(&actions, "Stage file").is_some());
    assert!(
        titled(&actions, "Commit staged hunks").is_none(),
        "nothing staged yet"
    );
    let response = client.run(stage);
    assert!(response.get("error").is_none(), "{response}");
    let cached = repo.git(&["diff", "--cached", "-U0"]);
    assert!(
        cached.contains("+line 15b")
            && !cached.contains("line 3 changed")
            && !cached.contains("-line 27"),
        "{cached}"
    );
    assert_eq!(
        repo.read("f.txt"),
        edited.as_bytes(),
        "the file on disk is untouched"
    );
    client.wait_for("the staged status", |m| {
        m["method"] == "commitNudge/status" && m["params"]["staged"]["files"] == 1
    });

    // Now the same line offers to unstage it, and committing is offered, also as a lens.
    let actions = client.actions_at(&file, 15, json!([]));
    assert!(titled(&actions, "Unstage hunk").is_some(), "{actions:#?}");
    assert!(titled(&actions, "Commit staged hunks").is_some());
    let titles = client.lens_titles(&file);
    assert!(
        titles
            .iter()
            .any(|t| t.starts_with("this file +2 −2 · uncommitted +2 −2 in 1 file")),
        "{titles:?}"
    );
    assert!(
        titles.iter().any(|t| t.starts_with("Commit staged hunks")),
        "{titles:?}"
    );

    let response = client.request(
        "workspace/executeCommand",
        json!({"command": "commit-nudge.commitStaged", "arguments": [{"root": uri(&repo.root()), "message": "Add line 15b"}]}),
    );
    assert_eq!(
        response["result"]["commit"].as_str().unwrap(),
        repo.git(&["rev-parse", "HEAD"]).trim()
    );
    assert_eq!(
        repo.git(&["show", "--format=", "-U0", "HEAD"])
            .lines()
            .filter(|l| l.starts_with('+') && !l.starts_with("+++"))
            .collect::<Vec<_>>(),
        vec!["+line 15b"]
    );
    client.wait_for("the status after the commit", |m| {
        m["method"] == "commitNudge/status"
            && m["params"]["staged"]["files"] == 0
            && m["params"]["total"]["files"] == 1
    });
    assert!(client.shutdown().success());
}

#[test]
fn unstaging_puts_the_index_back() {
    let (repo, mut client, file, _) = three_hunks_open(json!({}));
    let before = repo.git(&["ls-files", "--stage"]);
    let stage = client.action(&file, 2, "Stage hunk");
    client.run(&stage);
    assert_ne!(repo.git(&["ls-files", "--stage"]), before);
    client.wait_for("staged", |m| {
        m["method"] == "commitNudge/status" && m["params"]["staged"]["files"] == 1
    });
    let unstage = client.action(&file, 2, "Unstage hunk");
    let response = client.run(&unstage);
    assert!(response.get("error").is_none(), "{response}");
    assert_eq!(repo.git(&["ls-files", "--stage"]), before);
}

#[test]
fn an_action_on_a_hunk_that_changed_is_refused_and_nothing_is_staged() {
    let (repo, mut client, file, edited) = three_hunks_open(json!({}));
    let stage = client.action(&file, 15, "Stage hunk");
    let changed = edited.replace("line 15b", "line 15 B");
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": file, "version": 2}, "contentChanges": [{"text": changed}]}),
    );
    let before = repo.git(&["ls-files", "--stage"]);
    let response = client.run(&stage);
    let message = response["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        message.contains("changed since the action was offered"),
        "{response}"
    );
    assert_eq!(repo.git(&["ls-files", "--stage"]), before);
    let shown = client.wait_for("the refusal shown", |m| m["method"] == "window/showMessage");
    assert!(shown["params"]["message"]
        .as_str()
        .unwrap()
        .contains("nothing was changed"));
}

#[test]
fn a_failing_hook_is_shown_in_gits_words_and_nothing_changes() {
    let (repo, mut client, file, _) = three_hunks_open(json!({}));
    let stage = client.action(&file, 15, "Stage hunk");
    client.run(&stage);
    let hook = repo.path(".git/hooks/pre-commit");
    std::fs::write(
        &hook,
        "#!/bin/sh\necho 'refusing: tests fail' >&2\nexit 1\n",
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let head = repo.git(&["rev-parse", "HEAD"]);
    let index = repo.git(&["ls-files", "--stage"]);
    let response = client.request(
        "workspace/executeCommand",
        json!({"command": "commit-nudge.commitStaged", "arguments": [{"root": uri(&repo.root()), "message": "try"}]}),
    );
    assert!(
        response["error"]["message"]
            .as_str()
            .unwrap()
            .contains("refusing: tests fail"),
        "{response}"
    );
    let shown = client.wait_for("the hook's words shown", |m| {
        m["method"] == "window/showMessage" && m["params"]["type"] == 1
    });
    assert!(shown["params"]["message"]
        .as_str()
        .unwrap()
        .contains("refusing: tests fail"));
    assert_eq!(repo.git(&["rev-parse", "HEAD"]), head);
    assert_eq!(repo.git(&["ls-files", "--stage"]), index);
}

#[test]
fn without_a_message_a_commit_document_opens_and_saving_it_commits() {
    let (repo, mut client, file, _) = three_hunks_open(json!({}));
    let stage = client.action(&file, 15, "Stage hunk");
    client.run(&stage);
    let response = client.request(
        "workspace/executeCommand",
        json!({"command": "commit-nudge.commitStaged", "arguments": [{"root": uri(&repo.root())}]}),
    );
    assert!(response.get("error").is_none(), "{response}");
    let show = client.wait_for("showDocument", |m| m["method"] == "window/showDocument");
    let doc_uri = show["params"]["uri"].as_str().unwrap().to_string();
    assert!(doc_uri.ends_with("COMMIT_EDITMSG"), "{doc_uri}");
    let doc_path = repo.path(".git/COMMIT_EDITMSG");
    let template = std::fs::read_to_string(&doc_path).unwrap();
    assert!(
        template.contains("#   f.txt  +1 −0"),
        "the staged summary as comments: {template}"
    );
    // The user writes a message above the comments and saves.
    std::fs::write(&doc_path, format!("Add 15b from the document\n{template}")).unwrap();
    client.notify(
        "textDocument/didSave",
        json!({"textDocument": {"uri": doc_uri}}),
    );
    client.wait_for("the commit made", |m| {
        m["method"] == "window/showMessage"
            && m["params"]["message"]
                .as_str()
                .unwrap_or_default()
                .contains("committed")
    });
    assert_eq!(
        repo.git(&["log", "-1", "--format=%B"]).trim(),
        "Add 15b from the document"
    );
}

#[test]
fn the_nudge_offers_quick_fixes_and_snooze_quiets_it() {
    let (repo, mut client, file, _) = three_hunks_open(json!({"thresholds": {"lines": 2}}));
    let diagnostics = client.wait_diagnostics(&file, "the nudge", |d| !d.is_empty());
    let actions = client.actions_at(&file, 2, Value::Array(diagnostics.clone()));
    let snooze = titled(&actions, "Snooze commit nudges for 30 minutes")
        .cloned()
        .unwrap_or_else(|| panic!("{actions:#?}"));
    assert_eq!(snooze["kind"], "quickfix");
    assert_eq!(titled(&actions, "Stage hunk").unwrap()["kind"], "quickfix");
    client.run(&snooze);
    client.wait_diagnostics(&file, "the nudge snoozed", |d| d.is_empty());
    let status = client.wait_for("the snoozed status", |m| {
        m["method"] == "commitNudge/status" && !m["params"]["snoozed_until_unix"].is_null()
    });
    assert_eq!(
        status["params"]["total"]["files"], 1,
        "the numbers keep updating while snoozed"
    );
    // A commit ends the snooze.
    repo.write("other.txt", "1\n2\n3\n");
    repo.git(&["add", "other.txt"]);
    repo.git(&["commit", "-q", "-m", "commit ends the snooze"]);
    client.wait_diagnostics(&file, "the nudge back after a commit", |d| !d.is_empty());
}

/// One file with 29 added lines: with a limit of 10, a warning (more than twice the limit).
fn twenty_nine_lines_over_ten() -> Repo {
    let repo = Repo::new();
    repo.write("a.txt", "a\n");
    repo.commit_all("base");
    repo.write("a.txt", "a\n".repeat(30));
    repo
}

#[test]
fn crossing_into_warning_asks_once_and_snooze_answers_it() {
    let repo = twenty_nine_lines_over_ten();
    let mut client = Client::start();
    client.message_action = Some("Snooze".to_string());
    client.initialize_with(
        &uri(&repo.root()),
        json!({"thresholds": {"lines": 10}}),
        json!({"showMessage": {"messageActionItem": {"additionalPropertiesSupport": false}}}),
    );
    let file = uri(&repo.path("a.txt"));
    client.open(&file, &"a\n".repeat(30));
    let ask = client.wait_for("the offer", |m| m["method"] == "window/showMessageRequest");
    let titles: Vec<&str> = ask["params"]["actions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["title"].as_str())
        .collect();
    assert_eq!(titles, vec!["Commit staged hunks…", "Snooze", "Settings"]);
    // The answer snoozes the nudge.
    client.wait_for("the snooze", |m| {
        m["method"] == "commitNudge/status" && !m["params"]["snoozed_until_unix"].is_null()
    });
    client.wait_diagnostics(&file, "the nudge hidden", |d| d.is_empty());
    // More work while snoozed: no offer (the engine tests cover a warning that goes on).
    repo.write("a.txt", "a\n".repeat(40));
    client.wait_for("the new numbers", |m| {
        m["method"] == "commitNudge/status" && m["params"]["total"]["added"] == 39
    });
    // A refresh is answered after everything the server had to send before it, an offer too.
    client.refresh();
    assert!(!client.saw("window/showMessageRequest"), "asked twice");
}

#[test]
fn clients_without_message_actions_are_never_asked() {
    let repo = twenty_nine_lines_over_ten();
    let mut client = Client::start();
    client.initialize(&uri(&repo.root()), json!({"thresholds": {"lines": 10}}));
    let file = uri(&repo.path("a.txt"));
    client.open(&file, &"a\n".repeat(30));
    let diagnostics = client.wait_diagnostics(&file, "the warning", |d| !d.is_empty());
    assert_eq!(diagnostics[0]["severity"], 2);
    client.refresh();
    assert!(!client.saw("window/showMessageRequest"));
}

#[test]
fn ask_on_warning_false_turns_the_offer_off() {
    let repo = twenty_nine_lines_over_ten();
    let mut client = Client::start();
    client.initialize_with(
        &uri(&repo.root()),
        json!({"thresholds": {"lines": 10}, "askOnWarning": false}),
        json!({"showMessage": {"messageActionItem": {"additionalPropertiesSupport": false}}}),
    );
    let file = uri(&repo.path("a.txt"));
    client.open(&file, &"a\n".repeat(30));
    client.wait_diagnostics(&file, "the warning", |d| !d.is_empty());
    client.refresh();
    assert!(!client.saw("window/showMessageRequest"));
}

#[test]
fn a_commit_with_a_message_is_reported_by_the_client_alone() {
    let (repo, mut client, file, _) = three_hunks_open(json!({}));
    let stage = client.action(&file, 15, "Stage hunk");
    client.run(&stage);
    let response = client.request(
        "workspace/executeCommand",
        json!({"command": "commit-nudge.commitStaged", "arguments": [{"root": uri(&repo.root()), "message": "One message"}]}),
    );
    assert!(response["result"]["summary"]
        .as_str()
        .unwrap()
        .contains("One message"));
    client.refresh();
    let shown: Vec<_> = client
        .seen
        .iter()
        .filter(|m| m["method"] == "window/showMessage")
        .collect();
    assert!(
        shown.is_empty(),
        "the server showed the result too: {shown:?}"
    );
}
