//! The cases where staging once wrote bytes the user never wrote, each through a real editor
//! session (the binary over stdio) and checked against `git add` of the same text in a copy of
//! the repository: symlinks, line-ending conversion, a workspace reached through a symlink, a lone
//! CR, intent-to-add entries, modes, deleted last lines; and the live state after a re-clone.

use crate::support;

use std::path::Path;

use serde_json::{json, Value};
use support::lsp::{titled, titles, uri, Client};
use support::{run_cli, section, status_json, Repo};

/// Runs an action's command and checks that the server accepted it.
fn run(client: &mut Client, action: &Value) {
    let response = client.run(action);
    assert!(response.get("error").is_none(), "refused: {response}");
}

fn change(client: &mut Client, file: &str, version: i32, text: &str) {
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": file, "version": version}, "contentChanges": [{"text": text}]}),
    );
}

/// The index entry of `rel` (mode and blob) after `git add` of `content` (or of the disk when
/// `None`) in a copy of the repository: what git itself would stage.
fn git_add_in_copy(repo: &Repo, rel: &str, content: Option<&[u8]>) -> (String, Vec<u8>) {
    let copy = crate::support::copy_of(repo);
    if let Some(content) = content {
        copy.write(rel, content);
    }
    copy.git(&["add", "--", rel]);
    (mode_of(&copy, rel), copy.index_blob(rel))
}

fn mode_of(repo: &Repo, rel: &str) -> String {
    repo.git(&["ls-files", "-s", "--", rel])
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string()
}

fn start(root: &Path) -> Client {
    let mut client = Client::start();
    client.initialize(&uri(root), json!({}));
    client
}

fn wait_total(client: &mut Client, what: &str, files: u64, added: u64, removed: u64) -> Value {
    client.wait_for(what, |m| {
        m["method"] == "commitNudge/status"
            && m["params"]["total"] == json!({"files": files, "added": added, "removed": removed})
    })
}

#[test]
fn a_symlink_is_a_link_and_edits_made_through_it_belong_to_its_target() {
    let repo = Repo::new();
    repo.write("target.txt", "one\ntwo\n");
    std::os::unix::fs::symlink("target.txt", repo.path("link")).expect("symlink");
    repo.commit_all("base");
    let index_before = repo.git(&["ls-files", "-s"]);
    let mut client = start(&repo.root());
    let link = uri(&repo.path("link"));
    // The editor shows the target's text under the link's name.
    client.open(&link, "one\ntwo\n");
    wait_total(&mut client, "the clean count", 0, 0, 0);
    let offered = client.actions_over(&link, (0, 0), (0, 0), json!([]));
    assert!(
        titled(&offered, "Stage").is_none(),
        "an unchanged link offers nothing: {:?}",
        titles(&offered)
    );

    // An unsaved edit through the link is the target's edit.
    change(&mut client, &link, 2, "one\nTWO\n");
    wait_total(&mut client, "the edit counted", 1, 1, 1);
    let offered = client.actions_over(&link, (1, 0), (1, 0), json!([]));
    let stage = titled(&offered, "Stage hunk").expect("a Stage hunk on the edit");
    assert_eq!(stage["command"]["arguments"][0]["path"], "target.txt");
    run(&mut client, stage);
    assert_eq!(repo.index_blob("target.txt"), b"one\nTWO\n");
    let offered = client.actions_over(&link, (0, 0), (0, 0), json!([]));
    if let Some(stage_file) = titled(&offered, "Stage file") {
        run(&mut client, stage_file);
    }
    // The link is still the link git would stage: mode 120000, its text the target's name.
    assert_eq!(mode_of(&repo, "link"), "120000");
    assert_eq!(repo.index_blob("link"), b"target.txt");
    let link_line = |listing: &str| {
        listing
            .lines()
            .find(|l| l.ends_with("\tlink"))
            .map(str::to_string)
    };
    assert_eq!(
        link_line(&repo.git(&["ls-files", "-s"])),
        link_line(&index_before)
    );
    assert_eq!(repo.git(&["status", "--porcelain"]), "MM target.txt\n");
}

/// A link re-pointed while open (`ln -sf other.txt link`): the document follows the link, its
/// count is git's, and "Stage file" stages the link as `git add link` would (`120000
/// other.txt`), never the old target.
#[test]
fn a_link_re_pointed_while_open_is_staged_as_git_add_stages_it() {
    let repo = Repo::new();
    repo.write("target.txt", "one\ntwo\n");
    repo.write("other.txt", "other\n");
    std::os::unix::fs::symlink("target.txt", repo.path("link")).expect("symlink");
    repo.commit_all("base");
    let mut client = start(&repo.root());
    let link = uri(&repo.path("link"));
    client.open(&link, "one\ntwo\n");
    wait_total(&mut client, "the clean count", 0, 0, 0);
    // `ln -sf other.txt link`; the editor reloads the buffer from the disk, as it does for a
    // file changed outside it.
    std::fs::remove_file(repo.path("link")).expect("rm");
    std::os::unix::fs::symlink("other.txt", repo.path("link")).expect("symlink");
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": link, "type": 2}]}),
    );
    change(&mut client, &link, 2, "other\n");
    assert_eq!(repo.numstat(&[]), (1, 1, 1), "git's own numbers");
    wait_total(&mut client, "the re-pointed link counted", 1, 1, 1);
    let (mode, blob) = git_add_in_copy(&repo, "link", None);
    assert_eq!(
        (mode.as_str(), blob.as_slice()),
        ("120000", &b"other.txt"[..])
    );
    let stage_file = client.action(&link, 0, "Stage file");
    run(&mut client, &stage_file);
    assert_eq!(mode_of(&repo, "link"), mode);
    assert_eq!(repo.index_blob("link"), blob);
    assert_eq!(
        repo.index_blob("other.txt"),
        b"other\n",
        "other.txt as it was"
    );
    assert_eq!(
        repo.index_blob("target.txt"),
        b"one\ntwo\n",
        "target.txt as it was"
    );
    assert_eq!(repo.git(&["status", "--porcelain"]), "M  link\n");
}

#[test]
fn the_git_core_never_stages_a_buffer_as_a_links_blob() {
    let repo = Repo::new();
    repo.write("target.txt", "one\n");
    std::os::unix::fs::symlink("target.txt", repo.path("link")).expect("symlink");
    repo.commit_all("base");
    let opened = commit_nudge::git::open(&repo.root()).expect("open");
    let hunks = opened
        .file_hunks("link", Some(b"one\nchanged\n"))
        .expect("hunks");
    assert!(hunks.link && hunks.unstaged.is_empty() && !hunks.unstaged_other);
    opened
        .stage_file("link", Some(b"one\nchanged\n"))
        .expect("stage");
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
    assert_eq!(
        (mode_of(&repo, "link"), repo.index_blob("link")),
        git_add_in_copy(&repo, "link", None)
    );
}

#[test]
fn with_autocrlf_or_an_eol_attribute_a_one_line_edit_is_one_line_as_git_add_gives() {
    for (config, attributes) in [("true", None), ("false", Some("*.txt text eol=crlf\n"))] {
        let repo = Repo::new();
        repo.git(&["config", "core.autocrlf", config]);
        if let Some(attributes) = attributes {
            repo.write(".gitattributes", attributes);
        }
        repo.write("f.txt", "a\r\nb\r\nc\r\nd\r\n");
        repo.commit_all("base");
        let what = format!("autocrlf={config}, attributes={attributes:?}");
        assert_eq!(repo.git(&["status", "--porcelain"]), "", "{what}");
        let mut client = start(&repo.root());
        let file = uri(&repo.path("f.txt"));
        client.open(&file, "a\r\nb\r\nc\r\nd\r\n");
        wait_total(&mut client, "the clean count", 0, 0, 0);
        let buffer = "a\r\nB\r\nc\r\nd\r\n";
        change(&mut client, &file, 2, buffer);
        wait_total(&mut client, "one line changed, unsaved", 1, 1, 1);
        let offered = client.actions_over(&file, (1, 0), (1, 0), json!([]));
        let stage = titled(&offered, "Stage hunk (+1 −1)")
            .unwrap_or_else(|| panic!("{what}: {:?}", titles(&offered)));
        run(&mut client, stage);
        assert_eq!(
            repo.git(&["diff", "--cached", "--numstat"]),
            "1\t1\tf.txt\n",
            "{what}"
        );
        let expected = git_add_in_copy(&repo, "f.txt", Some(buffer.as_bytes()));
        assert_eq!(
            (mode_of(&repo, "f.txt"), repo.index_blob("f.txt")),
            expected,
            "{what}"
        );

        // Stage file from the buffer, after one more edit.
        let buffer = "a\r\nB\r\nc\r\nD\r\n";
        change(&mut client, &file, 3, buffer);
        wait_total(&mut client, "two lines changed, unsaved", 1, 2, 2);
        let offered = client.actions_over(&file, (3, 0), (3, 0), json!([]));
        run(
            &mut client,
            titled(&offered, "Stage file").expect("Stage file"),
        );
        let expected = git_add_in_copy(&repo, "f.txt", Some(buffer.as_bytes()));
        assert_eq!(
            (mode_of(&repo, "f.txt"), repo.index_blob("f.txt")),
            expected,
            "{what}"
        );
        assert_eq!(
            repo.read("f.txt"),
            b"a\r\nb\r\nc\r\nd\r\n",
            "the disk is never written"
        );
    }
}

#[test]
fn a_workspace_opened_through_a_symlinked_path_stages_the_buffer() {
    let repo = Repo::new();
    repo.write("f.txt", "one\ntwo\nthree\n");
    repo.commit_all("base");
    let links = tempfile::tempdir().expect("temp dir");
    let link_root = links.path().join("repo-link");
    std::os::unix::fs::symlink(repo.root(), &link_root).expect("symlink");
    let mut client = start(&link_root);
    let file = uri(&link_root.join("f.txt"));
    client.open(&file, "one\ntwo\nthree\n");
    wait_total(&mut client, "the clean count", 0, 0, 0);
    change(&mut client, &file, 2, "one\nTWO\nthree\nfour\n");
    wait_total(&mut client, "the unsaved edit", 1, 2, 1);
    let offered = client.actions_over(&file, (1, 0), (1, 0), json!([]));
    run(
        &mut client,
        titled(&offered, "Stage hunk").expect("Stage hunk"),
    );
    assert_eq!(repo.index_blob("f.txt"), b"one\nTWO\nthree\n");
    let offered = client.actions_over(&file, (3, 0), (3, 0), json!([]));
    run(
        &mut client,
        titled(&offered, "Stage file").expect("Stage file"),
    );
    assert_eq!(repo.index_blob("f.txt"), b"one\nTWO\nthree\nfour\n");
    assert_eq!(
        repo.read("f.txt"),
        b"one\ntwo\nthree\n",
        "the disk is never written"
    );
}

#[test]
fn a_lone_cr_is_a_line_for_the_editor_and_not_for_git() {
    let repo = Repo::new();
    repo.write("f.txt", "a\rb\nc\nD\nE\nF\n");
    repo.commit_all("base");
    let mut client = Client::start();
    client.initialize(&uri(&repo.root()), json!({"thresholds": {"lines": 1}}));
    let file = uri(&repo.path("f.txt"));
    client.open(&file, "a\rb\nc\nD\nE\nF\n");
    wait_total(&mut client, "the clean count", 0, 0, 0);
    change(&mut client, &file, 2, "a\rb\nc\nd\ne\nf\n");
    wait_total(&mut client, "three lines changed", 1, 3, 3);
    // Editor lines: a | b | c | D | E | F. Select d..e (editor lines 3 and 4).
    let offered = client.actions_over(&file, (3, 0), (5, 0), json!([]));
    let stage = titled(&offered, "Stage hunk: selected lines 4–5")
        .unwrap_or_else(|| panic!("{:?}", titles(&offered)));
    run(&mut client, stage);
    assert_eq!(repo.index_blob("f.txt"), b"a\rb\nc\nd\ne\nF\n");
    // The nudge sits where the editor shows the first change: git line 2 is editor line 3.
    let diagnostics = client.wait_diagnostics(&file, "a nudge", |d| !d.is_empty());
    assert_eq!(diagnostics[0]["range"]["start"]["line"], 3);
}

#[test]
fn an_intent_to_add_file_is_unstaged_work_as_git_diff_shows_it() {
    let repo = Repo::new();
    repo.write("a.txt", "a\n");
    repo.commit_all("base");
    repo.write("new.txt", "x\ny\n");
    repo.git(&["add", "-N", "new.txt"]);
    let status = status_json(&repo.root());
    assert_eq!(section(&status, "staged"), repo.numstat(&["--cached"]));
    assert_eq!(section(&status, "staged"), (0, 0, 0));
    assert_eq!(section(&status, "unstaged"), repo.numstat(&[]));
    assert_eq!(section(&status, "total"), repo.numstat(&["HEAD"]));
}

#[test]
fn a_mode_change_can_be_staged_and_stage_file_records_the_mode_git_add_would() {
    use std::os::unix::fs::PermissionsExt;
    let repo = Repo::new();
    repo.write("run.sh", "echo one\n");
    repo.write("tool.sh", "echo two\n");
    repo.commit_all("base");
    let executable = |rel: &str| {
        std::fs::set_permissions(repo.path(rel), std::fs::Permissions::from_mode(0o755))
            .expect("chmod")
    };
    executable("run.sh");
    executable("tool.sh");
    repo.write("tool.sh", "echo two\necho three\n");
    let mut client = start(&repo.root());

    // A mode-only change: Stage file says so and stages it.
    let run_sh = uri(&repo.path("run.sh"));
    client.open(&run_sh, "echo one\n");
    let offered = client.actions_over(&run_sh, (0, 0), (0, 0), json!([]));
    let stage = titled(&offered, "Stage file run.sh (mode 100644 → 100755)")
        .unwrap_or_else(|| panic!("{:?}", titles(&offered)));
    run(&mut client, stage);
    assert_eq!(mode_of(&repo, "run.sh"), "100755");
    assert_eq!(
        (mode_of(&repo, "run.sh"), repo.index_blob("run.sh")),
        git_add_in_copy(&repo, "run.sh", None)
    );

    // Content and mode: Stage file of an unsaved buffer takes both.
    let tool = uri(&repo.path("tool.sh"));
    let buffer = "echo two\necho three\necho four\n";
    client.open(&tool, buffer);
    let offered = client.actions_over(&tool, (0, 0), (0, 0), json!([]));
    run(
        &mut client,
        titled(&offered, "Stage file").expect("Stage file"),
    );
    assert_eq!(
        (mode_of(&repo, "tool.sh"), repo.index_blob("tool.sh")),
        git_add_in_copy(&repo, "tool.sh", Some(buffer.as_bytes()))
    );
    assert_eq!(mode_of(&repo, "tool.sh"), "100755");
}

#[test]
fn a_deletion_of_the_last_lines_is_offered_on_the_last_line_that_remains() {
    let repo = Repo::new();
    repo.write("f.txt", "a\nb\nc\nd\n");
    repo.commit_all("base");
    repo.write("f.txt", "a\nb\n");
    let mut client = start(&repo.root());
    let file = uri(&repo.path("f.txt"));
    client.open(&file, "a\nb\n");
    wait_total(&mut client, "two lines removed", 1, 0, 2);
    let offered = client.actions_over(&file, (1, 0), (1, 0), json!([]));
    let stage = titled(&offered, "Stage hunk (+0 −2)")
        .unwrap_or_else(|| panic!("on the last line: {:?}", titles(&offered)));
    run(&mut client, stage);
    assert_eq!(repo.index_blob("f.txt"), b"a\nb\n");
}

#[test]
fn a_repository_deleted_and_made_again_is_followed_live() {
    let repo = Repo::new();
    repo.write("f.txt", "one\n");
    repo.commit_all("base");
    repo.write("f.txt", "one\ntwo\n");
    let root = repo.root();
    let mut client = start(&root);
    wait_total(&mut client, "the first count", 1, 1, 0);

    // A re-clone: the worktree goes and a new repository takes its path.
    std::fs::remove_dir_all(&root).expect("rm -rf");
    std::fs::create_dir(&root).expect("mkdir");
    repo.git(&["init", "-q", "-b", "main"]);
    repo.git(&["config", "user.email", "dev@example.com"]);
    repo.git(&["config", "user.name", "Dev"]);
    repo.write("g.txt", "a\nb\nc\n");
    repo.commit_all("another history");
    repo.write("g.txt", "a\nb\nc\nd\ne\nf\n");
    // The same total may show first while g.txt is still untracked (when a count falls between
    // the write and the commit), so the new repository's count is the one with its head.
    let head = repo.git(&["rev-parse", "HEAD"]);
    client.wait_for("the new repository's count, at its head", |m| {
        m["method"] == "commitNudge/status"
            && m["params"]["head"] == head.trim()
            && m["params"]["total"] == json!({"files": 1, "added": 3, "removed": 0})
    });
    // The next edit is not missed either.
    repo.write("g.txt", "a\n");
    wait_total(&mut client, "the next edit", 1, 0, 2);
}

#[test]
fn exit_without_shutdown_exits_1_and_with_it_0() {
    let repo = Repo::new();
    let mut client = start(&repo.root());
    client.notify("exit", Value::Null);
    let status = client.wait_exit();
    assert_eq!(status.code(), Some(1));
    let client = start(&repo.root());
    assert_eq!(client.shutdown().code(), Some(0));
}

#[test]
fn a_path_that_does_not_exist_is_named_as_missing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("no/such/place");
    for command in ["status", "prompt", "stats"] {
        let output = run_cli(dir.path(), &[command, missing.to_str().expect("utf-8")]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{command}: {stderr}");
        assert!(stderr.contains("does not exist"), "{command}: {stderr}");
        assert!(
            !stderr.contains("not inside a git repository"),
            "{command}: {stderr}"
        );
    }
}

#[test]
fn a_racily_clean_entry_stays_visible_to_git_after_a_stage() {
    let repo = Repo::new();
    // Only the modification time and size tell git whether a file changed.
    repo.git(&["config", "core.trustctime", "false"]);
    repo.write("f.txt", "aaaa\n");
    repo.write("g.txt", "one\n");
    repo.commit_all("base");
    // One past second for the file and the index alike: the entry's time is not older than the
    // index, which makes it racily clean, as git calls it.
    let touch = |path: &Path| {
        let status = std::process::Command::new("touch")
            .args(["-m", "-d", "@1700000000"])
            .arg(path)
            .status()
            .expect("touch");
        assert!(status.success());
    };
    touch(&repo.path("f.txt"));
    repo.git(&["add", "f.txt"]);
    // New content of the same size at the same time: only a look at the content tells.
    repo.write("f.txt", "bbbb\n");
    touch(&repo.path("f.txt"));
    touch(&repo.root().join(".git/index"));
    // git sees it (without rewriting the index, which would settle the question for it).
    assert_eq!(
        repo.git(&["--no-optional-locks", "status", "--porcelain"]),
        " M f.txt\n"
    );

    repo.write("g.txt", "one\ntwo\n");
    commit_nudge::git::open(&repo.root())
        .expect("open")
        .stage_file("g.txt", None)
        .expect("stage");
    assert_eq!(
        repo.git(&["status", "--porcelain"]),
        " M f.txt\nM  g.txt\n",
        "the rewritten index still lets git see the change to f.txt"
    );
}
