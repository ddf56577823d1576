//! The record of the work never takes a file half-written. A program that truncates a file and
//! writes it in two parts (a shell redirection, an editor saving in place) is seen by the
//! server's watcher between the parts, and counted there; the record waits for the write to be
//! finished. A document the editor has open is recorded from its saved text, not the disk.

use crate::support;

use serde_json::json;
use std::io::Write;
use support::lsp::{uri, Client};
use support::Repo;

/// `line 1` … `line 40`.
fn lines() -> Vec<String> {
    (1..=40).map(|n| format!("line {n}")).collect()
}

/// The record's line entries (`+`/`-`, the line's text when it is one of `known`, the path),
/// sorted; `?` for a hash of no known line.
fn recorded(repo: &Repo, known: &[String]) -> Vec<String> {
    let text = std::fs::read_to_string(repo.path(".git/commit-nudge/record")).unwrap_or_default();
    let name = |hash: &str| {
        known
            .iter()
            .find(|l| format!("{:016x}", commit_nudge::record::line_hash(l.as_bytes())) == hash)
            .cloned()
            .unwrap_or_else(|| "?".to_string())
    };
    let mut entries: Vec<String> = text
        .lines()
        .filter_map(|line| {
            let (sign, rest) = line.split_at_checked(2)?;
            let (hash, path) = rest.split_once(' ')?;
            matches!(sign, "+ " | "- ").then(|| format!("{sign}{} {path}", name(hash)))
        })
        .collect();
    entries.sort();
    entries
}

/// Waits for a status whose total is `added` / `removed` lines.
fn wait_total(client: &mut Client, added: u64, removed: u64) {
    client.wait_for(&format!("a total of +{added} -{removed}"), |m| {
        m["method"] == "commitNudge/status"
            && m["params"]["total"]["added"] == added
            && m["params"]["total"]["removed"] == removed
    });
}

/// Waits until the record holds an entry for the line `text` (its snapshot is taken off the
/// event loop).
fn wait_recorded(repo: &Repo, text: &str) {
    let hash = format!("{:016x}", commit_nudge::record::line_hash(text.as_bytes()));
    for _ in 0..3000 {
        let record =
            std::fs::read_to_string(repo.path(".git/commit-nudge/record")).unwrap_or_default();
        if record.contains(&hash) {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("the record never took {text:?}");
}

#[test]
fn a_file_written_in_two_parts_is_recorded_whole() {
    let repo = Repo::new();
    let base = lines();
    repo.write("f.txt", base.join("\n") + "\n");
    repo.commit_all("seed");
    let mut client = Client::start();
    client.initialize(&uri(&repo.root()), json!({}));
    wait_total(&mut client, 0, 0);
    // The final text: a line added after line 20, line 30 edited.
    let mut last = base.clone();
    last[29] = "edited 30".to_string();
    last.insert(20, "added line".to_string());
    let last = last.join("\n") + "\n";
    let cut = last.find("added line").unwrap() + "added".len();
    // The first part: truncated, the first twenty lines and half a line, the file left open.
    let mut file = std::fs::File::create(repo.path("f.txt")).unwrap();
    file.write_all(&last.as_bytes()[..cut]).unwrap();
    file.flush().unwrap();
    // The server has seen the half-written file: it counted it (lines 21 to 40 missing).
    wait_total(&mut client, 1, 20);
    // A writer slow between its parts, slower than a reader would wait for a file to settle:
    // only the end of the write says the file is whole.
    std::thread::sleep(std::time::Duration::from_millis(400));
    file.write_all(&last.as_bytes()[cut..]).unwrap();
    drop(file);
    wait_total(&mut client, 2, 1);
    wait_recorded(&repo, "edited 30");
    assert!(client.shutdown().success());
    let mut known = lines();
    known.extend(["added line", "added", "edited 30"].map(String::from));
    // Only what the finished file holds against HEAD: not the lines the first part lacked, nor
    // its half line.
    assert_eq!(
        recorded(&repo, &known),
        ["+ added line f.txt", "+ edited 30 f.txt", "- line 30 f.txt"]
    );
}

#[test]
fn an_open_document_is_recorded_from_its_saved_text() {
    let repo = Repo::new();
    let base = lines();
    repo.write("f.txt", base.join("\n") + "\n");
    repo.commit_all("seed");
    let mut client = Client::start();
    client.initialize(&uri(&repo.root()), json!({}));
    wait_total(&mut client, 0, 0);
    let file = uri(&repo.path("f.txt"));
    client.open(&file, &(base.join("\n") + "\n"));
    // A request after it is answered once the server has taken the document in.
    client.request(
        "textDocument/codeLens",
        json!({"textDocument": {"uri": file}}),
    );
    // The editor writes the file (whole, closed) before it says it saved: the watcher's event
    // about an open document is not recorded. (A file written next, not open, is: once it is
    // in the record, the event before it has been handled.)
    let mut disk = base.clone();
    disk[4] = "on disk".to_string();
    repo.write("f.txt", disk.join("\n") + "\n");
    repo.write("g.txt", "g line\n");
    wait_recorded(&repo, "g line");
    // Its save is, from the text the server holds.
    let mut saved = base.clone();
    saved[9] = "saved".to_string();
    let saved = saved.join("\n") + "\n";
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": file, "version": 2}, "contentChanges": [{"text": saved}]}),
    );
    client.notify(
        "textDocument/didSave",
        json!({"textDocument": {"uri": file}}),
    );
    wait_recorded(&repo, "saved");
    assert!(client.shutdown().success());
    let mut known = lines();
    known.extend(["on disk", "saved", "g line"].map(String::from));
    assert_eq!(
        recorded(&repo, &known),
        ["+ g line g.txt", "+ saved f.txt", "- line 10 f.txt"]
    );
}
