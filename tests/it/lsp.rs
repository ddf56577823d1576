//! The language server, spoken to over stdio like an editor would: nudges appear, follow the
//! numbers and the settings, and the server survives bad input.

use crate::support;

use expect_test::expect;
use serde_json::{json, Value};
use support::lsp::{uri, Client};
use support::{snapshot, Repo};

/// The fields of a status that change from run to run: the ages of the work and of HEAD.
const AGES: &[&str] = &[
    "head",
    "last_commit_unix",
    "minutes_of_work",
    "minutes_since_commit",
    "work_started_unix",
];

fn codes(diagnostics: &[Value]) -> Vec<String> {
    diagnostics
        .iter()
        .map(|d| d["code"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// A repository with one committed file and `extra` lines added to it from line 11 on.
fn repo_with_added_lines(extra: usize) -> Repo {
    let repo = Repo::new();
    repo.write(
        "main.txt",
        (1..=20).map(|i| format!("line {i}\n")).collect::<String>(),
    );
    repo.write("other.txt", "unchanged\n");
    repo.commit_all("seed");
    let mut text: String = (1..=10).map(|i| format!("line {i}\n")).collect();
    text.extend((0..extra).map(|i| format!("new {i}\n")));
    text.extend((11..=20).map(|i| format!("line {i}\n")));
    repo.write("main.txt", text);
    repo
}

fn started(repo: &Repo, options: Value) -> Client {
    let mut client = Client::start();
    let response = client.initialize(&uri(&repo.root()), options);
    assert!(response.get("error").is_none(), "{response}");
    client
}

#[test]
fn initialize_advertises_the_commands_and_capabilities() {
    let repo = repo_with_added_lines(1);
    let mut client = Client::start();
    let response = client.initialize(&uri(&repo.root()), Value::Null);
    let caps = &response["result"]["capabilities"];
    let commands: Vec<&str> = caps["executeCommandProvider"]["commands"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for command in [
        "commit-nudge.stageHunk",
        "commit-nudge.unstageHunk",
        "commit-nudge.stageFile",
        "commit-nudge.commitStaged",
        "commit-nudge.snooze",
        "commit-nudge.refresh",
    ] {
        assert!(
            commands.contains(&command),
            "{command} missing from {commands:?}"
        );
    }
    assert!(caps["codeActionProvider"].is_object());
    assert!(caps["codeLensProvider"].is_object());
    assert_eq!(response["result"]["serverInfo"]["name"], "commit-nudge");
    assert!(client.shutdown().success());
}

#[test]
fn opening_a_file_over_the_limit_shows_the_nudge_at_its_first_hunk() {
    let repo = repo_with_added_lines(30);
    let mut client = started(&repo, json!({"thresholds": {"lines": 25}}));
    let main = uri(&repo.path("main.txt"));
    client.open(&main, &String::from_utf8(repo.read("main.txt")).unwrap());
    let diagnostics = client.wait_diagnostics(&main, "the lines nudge", |d| !d.is_empty());
    // The whole nudge: placed at the first hunk (line 10), information at the limit.
    expect![[r#"
        [
          {
            "code": "uncommitted-lines",
            "message": "30 lines uncommitted in 1 file (nudge at 25): commit what is ready",
            "range": {
              "end": {
                "character": 0,
                "line": 11
              },
              "start": {
                "character": 0,
                "line": 10
              }
            },
            "severity": 3,
            "source": "commit-nudge"
          }
        ]"#]]
    .assert_eq(&snapshot(&json!(diagnostics), &repo.root(), &[]));

    // The status notification carries git's numbers.
    let status = client.wait_for("a status", |m| m["method"] == "commitNudge/status");
    assert_eq!(
        status["params"]["total"],
        json!({"files": 1, "added": 30, "removed": 0})
    );
    assert_eq!(
        status["params"]["root"],
        repo.root().to_string_lossy().as_ref()
    );
    assert!(client.shutdown().success());
}

#[test]
fn a_clean_file_gets_the_nudge_on_its_first_line_only_when_no_open_file_has_changes() {
    let repo = repo_with_added_lines(30);
    let mut client = started(&repo, json!({"thresholds": {"lines": 25}}));
    let other = uri(&repo.path("other.txt"));
    client.open(&other, "unchanged\n");
    let diagnostics =
        client.wait_diagnostics(&other, "the nudge on the clean file", |d| !d.is_empty());
    assert_eq!(diagnostics[0]["range"]["start"]["line"], 0);
    // Once a changed file is open, the nudge moves there and leaves the clean file.
    let main = uri(&repo.path("main.txt"));
    client.open(&main, &String::from_utf8(repo.read("main.txt")).unwrap());
    client.wait_diagnostics(&other, "the clean file cleared", |d| d.is_empty());
    client.wait_diagnostics(&main, "the nudge on the changed file", |d| !d.is_empty());
}

#[test]
fn raising_the_limit_clears_the_nudge_and_bad_settings_get_a_message() {
    let repo = repo_with_added_lines(30);
    let mut client = started(&repo, json!({"thresholds": {"lines": 25}}));
    let main = uri(&repo.path("main.txt"));
    client.open(&main, &String::from_utf8(repo.read("main.txt")).unwrap());
    client.wait_diagnostics(&main, "the nudge", |d| !d.is_empty());

    client.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"commitNudge": {"thresholds": {"lines": 1000}}}}),
    );
    client.wait_diagnostics(&main, "the nudge cleared", |d| d.is_empty());

    client.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"commitNudge": {"thresholds": {"lines": "ten"}, "severity": 3}}}),
    );
    let message = client.wait_for("a settings message", |m| {
        m["method"] == "window/showMessage"
    });
    let text = message["params"]["message"].as_str().unwrap();
    assert!(
        text.contains("thresholds.lines should be a whole number"),
        "{text}"
    );
    assert!(text.contains("severity should be one of"), "{text}");
    // The wrong value fell back to the default (200): 30 lines do not nudge, and the server lives.
    let response = client.request(
        "workspace/executeCommand",
        json!({"command": "commit-nudge.refresh"}),
    );
    assert!(response.get("error").is_none());
    assert!(client.shutdown().success());
}

#[test]
fn settings_are_pulled_with_workspace_configuration() {
    let repo = repo_with_added_lines(30);
    let mut client = Client::start();
    client.configuration = json!({"thresholds": {"lines": 20}, "severity": "warning"});
    client.initialize(&uri(&repo.root()), Value::Null);
    let main = uri(&repo.path("main.txt"));
    client.open(&main, &String::from_utf8(repo.read("main.txt")).unwrap());
    let diagnostics =
        client.wait_diagnostics(&main, "the nudge at the pulled limit", |d| !d.is_empty());
    assert_eq!(diagnostics[0]["severity"], 2, "warning, as configured");
}

#[test]
fn old_uncommitted_work_gets_the_age_nudge() {
    let repo = Repo::new();
    repo.write("a.txt", "one\n");
    let three_hours_ago = support_time_ago(3 * 3600);
    repo.git(&["add", "a.txt"]);
    let output = repo
        .command()
        .args(["commit", "-q", "-m", "old"])
        .env("GIT_AUTHOR_DATE", &three_hours_ago)
        .env("GIT_COMMITTER_DATE", &three_hours_ago)
        .output()
        .unwrap();
    assert!(output.status.success());
    repo.write("a.txt", "one\ntwo\n");
    // The change itself is two hours old.
    let two_hours_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(2 * 3600);
    std::fs::File::options()
        .write(true)
        .open(repo.path("a.txt"))
        .unwrap()
        .set_modified(two_hours_ago)
        .unwrap();

    let mut client = started(&repo, json!({"thresholds": {"minutes": 60}}));
    let a = uri(&repo.path("a.txt"));
    client.open(&a, "one\ntwo\n");
    let diagnostics = client.wait_diagnostics(&a, "the age nudge", |d| !d.is_empty());
    assert_eq!(codes(&diagnostics), vec!["uncommitted-age"]);
    assert_eq!(
        diagnostics[0]["severity"], 2,
        "two hours is twice the limit: one level up"
    );
    assert!(
        diagnostics[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("uncommitted work is 2 h"),
        "{}",
        diagnostics[0]["message"]
    );
}

fn support_time_ago(seconds: u64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    format!("@{} +0000", now - seconds)
}

#[test]
fn unsaved_edits_are_counted_and_dropped_on_close() {
    let repo = repo_with_added_lines(0);
    let mut client = started(&repo, json!({}));
    let main = uri(&repo.path("main.txt"));
    let text = String::from_utf8(repo.read("main.txt")).unwrap();
    client.open(&main, &text);
    client.wait_for("the clean status", |m| {
        m["method"] == "commitNudge/status" && m["params"]["total"]["files"] == 0
    });
    let edited = format!("{text}one more\nand another\n");
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": main, "version": 2}, "contentChanges": [{"text": edited}]}),
    );
    let status = client.wait_for("the unsaved lines", |m| {
        m["method"] == "commitNudge/status" && m["params"]["total"]["added"] == 2
    });
    // The whole status: the unsaved lines counted as unstaged, one unsaved file.
    expect![[r#"
        {
          "branch": "main",
          "head": "…",
          "last_commit_unix": "…",
          "minutes_of_work": "…",
          "minutes_since_commit": "…",
          "nudges": [],
          "root": "$ROOT",
          "snoozed_until_unix": null,
          "staged": {
            "added": 0,
            "files": 0,
            "removed": 0
          },
          "total": {
            "added": 2,
            "files": 1,
            "removed": 0
          },
          "unsaved_files": 1,
          "unstaged": {
            "added": 2,
            "files": 1,
            "removed": 0
          },
          "untracked": {
            "added": 0,
            "files": 0,
            "removed": 0
          },
          "work_started_unix": "…"
        }"#]]
    .assert_eq(&snapshot(&status["params"], &repo.root(), AGES));
    client.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": main}}),
    );
    client.wait_for("the disk's numbers again", |m| {
        m["method"] == "commitNudge/status" && m["params"]["total"]["files"] == 0
    });
}

#[test]
fn a_commit_in_a_terminal_clears_the_nudge_without_an_editor_event() {
    let repo = repo_with_added_lines(30);
    let mut client = started(&repo, json!({"thresholds": {"lines": 25}}));
    let main = uri(&repo.path("main.txt"));
    client.open(&main, &String::from_utf8(repo.read("main.txt")).unwrap());
    client.wait_diagnostics(&main, "the nudge", |d| !d.is_empty());
    repo.commit_all("done");
    client.wait_diagnostics(&main, "the nudge cleared by the commit", |d| d.is_empty());
}

#[test]
fn malformed_input_gets_an_error_and_the_server_keeps_serving() {
    let repo = repo_with_added_lines(1);
    let mut client = started(&repo, Value::Null);
    client.send_raw(b"Content-Length: 9\r\n\r\n{not json");
    client.send(&json!({"jsonrpc": "2.0", "id": 900, "method": "workspace/executeCommand", "params": {"command": "commit-nudge.stageHunk", "arguments": [42]}}));
    client.send(&json!({"jsonrpc": "2.0", "id": 901, "method": "workspace/executeCommand", "params": {"command": "commit-nudge.commitStaged", "arguments": [{"root": "https://example.com", "message": "x"}]}}));
    // Documents that are not files are ignored.
    client.open("untitled:Untitled-1", "scratch\n");
    client.send_raw(b"Content-Type: text/plain\r\n\r\n");
    client.send(&json!({"hello": "not json-rpc", "id": 77}));
    let response = client.request(
        "workspace/executeCommand",
        json!({"command": "commit-nudge.nope"}),
    );
    assert!(
        response["error"]["message"]
            .as_str()
            .unwrap()
            .contains("unknown command"),
        "{response}"
    );
    // Requests run concurrently: earlier replies may come after this one; ask again until they
    // have all arrived.
    for _ in 0..50 {
        let all_in = [json!(900), json!(901), json!(77)]
            .iter()
            .all(|id| client.stray.iter().any(|r| &r["id"] == id));
        if all_in {
            break;
        }
        client.request(
            "workspace/executeCommand",
            json!({"command": "commit-nudge.refresh"}),
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let code_of = |id: Value| {
        client
            .stray
            .iter()
            .find(|r| r["id"] == id)
            .map(|r| r["error"]["code"].clone())
    };
    assert_eq!(
        code_of(Value::Null),
        Some(json!(-32700)),
        "a parse error reply: {:?}",
        client.stray
    );
    assert_eq!(
        code_of(json!(900)),
        Some(json!(-32602)),
        "invalid params: {:?}",
        client.stray
    );
    assert_eq!(
        code_of(json!(77)),
        Some(json!(-32600)),
        "invalid request: {:?}",
        client.stray
    );
    assert!(client.is_running());
    assert!(client.shutdown().success());
}

#[test]
fn wrong_argument_shapes_get_clear_errors() {
    let repo = repo_with_added_lines(1);
    let mut client = started(&repo, Value::Null);
    for (command, arguments) in [
        ("commit-nudge.stageHunk", json!([42])),
        ("commit-nudge.stageHunk", json!([])),
        (
            "commit-nudge.stageFile",
            json!([{"root": uri(&repo.root())}]),
        ),
        (
            "commit-nudge.commitStaged",
            json!([{"root": "https://example.com", "message": "x"}]),
        ),
        ("commit-nudge.snooze", json!(["soon"])),
    ] {
        let response = client.request(
            "workspace/executeCommand",
            json!({"command": command, "arguments": arguments}),
        );
        let message = response["error"]["message"]
            .as_str()
            .unwrap_or_else(|| panic!("{command} {arguments} should fail: {response}"));
        assert!(!message.is_empty());
    }
    assert!(client.shutdown().success());
}

#[test]
fn several_workspace_folders_and_repositories_are_served_at_once() {
    let first = repo_with_added_lines(30);
    let second = repo_with_added_lines(3);
    let mut client = started(&first, json!({"thresholds": {"lines": 25}}));
    let root_of = |repo: &Repo| repo.root().to_string_lossy().into_owned();
    client.wait_for("the first repository", |m| {
        m["method"] == "commitNudge/status" && m["params"]["root"] == root_of(&first)
    });
    client.notify(
        "workspace/didChangeWorkspaceFolders",
        json!({"event": {"added": [{"uri": uri(&second.root()), "name": "second"}], "removed": []}}),
    );
    let status = client.wait_for("the second repository", |m| {
        m["method"] == "commitNudge/status" && m["params"]["root"] == root_of(&second)
    });
    assert_eq!(status["params"]["total"]["added"], 3);
    assert_eq!(
        status["params"]["nudges"],
        json!([]),
        "3 lines do not nudge"
    );
    // Each document gets its own repository's nudges.
    let in_first = uri(&first.path("main.txt"));
    let in_second = uri(&second.path("main.txt"));
    client.open(
        &in_second,
        &String::from_utf8(second.read("main.txt")).unwrap(),
    );
    client.open(
        &in_first,
        &String::from_utf8(first.read("main.txt")).unwrap(),
    );
    client.wait_diagnostics(&in_first, "the first repository's nudge", |d| !d.is_empty());
    // A refresh is answered once its counts are published: whatever the second document was
    // going to be shown has been sent by then.
    client.request(
        "workspace/executeCommand",
        json!({"command": "commit-nudge.refresh"}),
    );
    let nudged_second = client.seen.iter().any(|m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == in_second
            && m["params"]["diagnostics"] != json!([])
    });
    assert!(!nudged_second, "the second repository is under its limit");
    assert!(client.shutdown().success());
}

#[test]
fn the_first_scan_reports_progress_when_the_client_supports_it() {
    let repo = repo_with_added_lines(3);
    let mut client = Client::start();
    client.initialize_with(
        &uri(&repo.root()),
        json!({}),
        json!({"workDoneProgress": true}),
    );
    let create = client.wait_for("the progress token", |m| {
        m["method"] == "window/workDoneProgress/create"
    });
    let token = create["params"]["token"].clone();
    let begin = client.wait_for("the progress begins", |m| {
        m["method"] == "$/progress" && m["params"]["value"]["kind"] == "begin"
    });
    assert_eq!(begin["params"]["token"], token);
    client.wait_for("the progress ends", |m| {
        m["method"] == "$/progress" && m["params"]["value"]["kind"] == "end"
    });
    assert!(client.shutdown().success());
}

#[test]
fn a_repository_that_cannot_be_counted_is_reported_once_and_recovers() {
    let repo = repo_with_added_lines(3);
    let mut client = started(&repo, json!({}));
    client.wait_for("the first status", |m| m["method"] == "commitNudge/status");
    let head = repo.path(".git/HEAD");
    let good = std::fs::read(&head).unwrap();
    std::fs::write(&head, b"this is not a reference\n").unwrap();
    client.wait_for("the failure shown", |m| {
        m["method"] == "window/showMessage"
            && m["params"]["message"]
                .as_str()
                .unwrap_or_default()
                .contains("could not count")
    });
    // Each refresh is answered once its count is done and anything it had to say was sent.
    for _ in 0..3 {
        client.request(
            "workspace/executeCommand",
            json!({"command": "commit-nudge.refresh"}),
        );
    }
    let repeated = client
        .seen
        .iter()
        .filter(|m| m["method"] == "window/showMessage")
        .count();
    assert_eq!(repeated, 0, "shown again: {:?}", client.seen);
    // Once HEAD is good again, the numbers come back.
    std::fs::write(&head, good).unwrap();
    repo.write("main.txt", "fresh\n");
    client.wait_for("numbers again", |m| {
        m["method"] == "commitNudge/status"
            && m["params"]["unstaged"]["files"] == 1
            && m["params"]["total"]["added"] == 1
    });
    assert!(client.shutdown().success());
}
