//! The record of how the work was done, from the engine's side: asked for on saves and
//! file-system writes, never on a keystroke, and not at all with `recordWork` off.

use super::*;

/// Handles `event` and everything it leads to, as `settle` does; gives every effect other than
/// messages out, in order.
fn effects_of(engine: &mut Engine, event: Event) -> Vec<String> {
    let mut seen = Vec::new();
    let mut queue = vec![event];
    while let Some(event) = queue.pop() {
        for effect in engine.handle(event) {
            seen.push(match &effect {
                Effect::Record { files, .. } => {
                    let paths: Vec<String> = files
                        .iter()
                        .map(|f| match f.text {
                            Some(_) => format!("{} (saved text)", f.rel_path),
                            None => format!("{} (disk)", f.rel_path),
                        })
                        .collect();
                    format!("record {paths:?}")
                }
                Effect::Count(_) => "count".to_string(),
                Effect::DiffBuffer(_) => "diff buffer".to_string(),
                other => format!("{other:?}").chars().take(20).collect(),
            });
            queue.extend(run(effect));
        }
    }
    seen
}

fn records(effects: &[String]) -> Vec<&String> {
    effects.iter().filter(|e| e.starts_with("record")).collect()
}

fn record_text(repo: &Repo) -> String {
    std::fs::read_to_string(repo.root().join(".git/commit-nudge/record")).unwrap_or_default()
}

#[test]
fn a_save_is_recorded_and_a_keystroke_is_not() {
    let repo = Repo::with_lines(1);
    let root = repo.root();
    let mut engine = Engine::new();
    engine.settle(Event::AddFolders(vec![root.clone()]));
    let doc = engine.open(&repo, "a.txt", "a\n");
    for version in 2..6 {
        let effects = effects_of(
            &mut engine,
            Event::Changed {
                doc: doc.clone(),
                version,
                text: "a\nnew line\n".repeat(version as usize),
            },
        );
        assert!(records(&effects).is_empty(), "{effects:?}");
        assert!(effects.contains(&"diff buffer".to_string()), "{effects:?}");
    }
    assert_eq!(record_text(&repo), "", "nothing written while typing");
    repo.write("a.txt", "a\nnew line\n");
    let effects = effects_of(
        &mut engine,
        Event::Saved {
            doc: doc.clone(),
            path: root.join("a.txt"),
        },
    );
    assert_eq!(
        records(&effects),
        vec!["record [\"a.txt (saved text)\"]"],
        "{effects:?}"
    );
    let head = repo.git(&["rev-parse", "HEAD"]);
    let text = record_text(&repo);
    assert!(
        text.starts_with(&format!("commit-nudge record 1 {}", head.trim())),
        "{text}"
    );
    let hash = format!("{:016x}", crate::record::line_hash(b"new line"));
    assert!(text.contains(&format!("+ {hash} a.txt\n")), "{text}");
    // The record is in none of git's views.
    assert_eq!(repo.git(&["status", "--porcelain"]), " M a.txt\n");
    assert!(repo.git(&["ls-files"]).lines().all(|l| l == "a.txt"));
}

#[test]
fn a_file_written_on_disk_is_recorded_once_per_new_line() {
    let repo = Repo::with_lines(1);
    let root = repo.root();
    let mut engine = Engine::new();
    engine.settle(Event::AddFolders(vec![root.clone()]));
    repo.write("a.txt", "a\nfrom a terminal\n");
    let effects = effects_of(&mut engine, Event::FilesChanged(vec![root.join("a.txt")]));
    assert_eq!(
        records(&effects),
        vec!["record [\"a.txt (disk)\"]"],
        "{effects:?}"
    );
    let first = record_text(&repo);
    // The same text seen again adds nothing.
    effects_of(&mut engine, Event::FilesChanged(vec![root.join("a.txt")]));
    assert_eq!(record_text(&repo), first);
    // A change in the git directory (a commit, our own record) asks for no snapshot.
    let effects = effects_of(
        &mut engine,
        Event::FilesChanged(vec![root.join(".git/index")]),
    );
    assert!(records(&effects).is_empty(), "{effects:?}");
}

#[test]
fn our_watcher_records_finished_writes_of_files_the_editor_has_not_open() {
    let repo = Repo::with_lines(1);
    let root = repo.root();
    let mut engine = Engine::new();
    engine.settle(Event::AddFolders(vec![root.clone()]));
    let watched = |changed: &[&str], written: &[&str]| Event::Watched {
        changed: changed.iter().map(|p| root.join(p)).collect(),
        written: written.iter().map(|p| root.join(p)).collect(),
    };
    // A file being written (its truncation, each part) is counted, not recorded; once closed
    // it is.
    repo.write("b.txt", "b\n");
    let effects = effects_of(&mut engine, watched(&["b.txt"], &[]));
    assert!(records(&effects).is_empty(), "{effects:?}");
    assert!(effects.contains(&"count".to_string()), "{effects:?}");
    let effects = effects_of(&mut engine, watched(&[], &["b.txt"]));
    assert_eq!(records(&effects), vec!["record [\"b.txt (disk)\"]"]);
    // A document the editor has open is recorded at its save only, from its text: neither our
    // watcher nor the client's says anything of it to the record.
    let doc = engine.open(&repo, "a.txt", "a\n");
    repo.write("a.txt", "a\nwritten by the editor\n");
    let mut effects = effects_of(&mut engine, watched(&["a.txt"], &["a.txt"]));
    effects.extend(effects_of(
        &mut engine,
        Event::FilesChanged(vec![root.join("a.txt")]),
    ));
    assert!(records(&effects).is_empty(), "{effects:?}");
    effects_of(&mut engine, Event::Closed { doc });
    let effects = effects_of(&mut engine, watched(&[], &["a.txt"]));
    assert_eq!(records(&effects), vec!["record [\"a.txt (disk)\"]"]);
}

#[test]
fn with_record_work_off_nothing_is_recorded() {
    let repo = Repo::with_lines(1);
    let root = repo.root();
    let mut engine = Engine::new();
    engine.settle(Event::Configure(crate::config::Settings {
        record_work: false,
        ..Default::default()
    }));
    engine.settle(Event::AddFolders(vec![root.clone()]));
    let doc = engine.open(&repo, "a.txt", "a\n");
    repo.write("a.txt", "a\nb\n");
    let mut effects = effects_of(
        &mut engine,
        Event::Saved {
            doc,
            path: root.join("a.txt"),
        },
    );
    effects.extend(effects_of(
        &mut engine,
        Event::FilesChanged(vec![root.join("a.txt")]),
    ));
    assert!(records(&effects).is_empty(), "{effects:?}");
    assert_eq!(record_text(&repo), "");
}
