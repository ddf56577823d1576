//! Commands: refresh, staging with the buffer's text, the commit-message document.

use super::*;
use crate::workspace::effect::{Effect, GitJob};
use crate::workspace::jobs;
use crate::workspace::*;

#[test]
fn a_refresh_is_answered_once_the_counts_it_started_are_published() {
    let repo = Repo::with_lines(3);
    let root = repo.root();
    let mut engine = Engine::new();
    engine.settle(Event::AddFolders(vec![root.clone()]));
    let doc = engine.open(&repo, "a.txt", "a\na\na\n");
    engine.take();
    let (reply, mut answer) = Reply::new();
    let effects = engine.handle(Event::Command {
        command: Command::Refresh,
        reply,
    });
    assert!(answer.try_recv().is_err(), "not before the counts");
    // The buffer diff comes back first: still waiting for the count.
    let mut later = Vec::new();
    for effect in effects {
        match effect {
            Effect::DiffBuffer(job) => {
                engine.handle(jobs::diff_buffer(job));
            }
            other => later.push(other),
        }
    }
    assert!(answer.try_recv().is_err(), "the count is still due");
    for effect in later {
        if let Some(event) = run(effect) {
            engine.settle(event);
        }
    }
    assert!(matches!(answer.try_recv(), Ok(Ok(Outcome::Refreshed))));
    assert!(engine.state.docs.contains_key(&doc));
    // A broken repository answers too (its error shown once).
    std::fs::write(root.join(".git/HEAD"), "not a reference\n").expect("write HEAD");
    assert!(answer_is_refreshed(&mut engine));
    assert!(answer_is_refreshed(&mut engine));
    let warnings = engine
        .take()
        .into_iter()
        .filter(|o| matches!(o, Output::Warning(_)))
        .count();
    assert_eq!(warnings, 1, "the broken repository is reported once");
}

fn answer_is_refreshed(engine: &mut Engine) -> bool {
    matches!(
        answer(engine.command(Command::Refresh)),
        Ok(Outcome::Refreshed)
    )
}

#[test]
fn staging_a_hunk_uses_the_open_buffer_and_counts_again() {
    let repo = Repo::new();
    repo.write("a.txt", "1\n2\n3\n");
    repo.commit_all("seed");
    let root = repo.root();
    let mut engine = Engine::new();
    engine.settle(Event::AddFolders(vec![root.clone()]));
    // The buffer holds an unsaved line the disk does not.
    let doc = engine.open(&repo, "a.txt", "1\n2\n3\nunsaved\n");
    let (reply, _answer) = Reply::new();
    let hunks = engine.handle(Event::Command {
        command: Command::Hunks { doc: doc.clone() },
        reply,
    });
    let [Effect::Run {
        job: GitJob::Hunks { text, .. },
        ..
    }] = &hunks[..]
    else {
        panic!("{hunks:?}")
    };
    assert!(text.contains("unsaved"));
    let (reply, answer_rx) = Reply::new();
    engine.settle(Event::Command {
        command: Command::Hunks { doc: doc.clone() },
        reply,
    });
    let Ok(Outcome::Hunks(Some(found))) = answer(answer_rx) else {
        panic!("hunks")
    };
    let hunk = found.1.unstaged[0].clone();
    let target = HunkTarget {
        range: hunk.range,
        hash: hunk.hash(),
        selection: LineSelection::All,
    };
    let stage = Command::StageHunk {
        root: root.clone(),
        path: "a.txt".to_string(),
        target: target.clone(),
    };
    let (reply, _answer) = Reply::new();
    let effects = engine.handle(Event::Command {
        command: stage.clone(),
        reply,
    });
    let [Effect::Run {
        job: GitJob::StageHunk {
            text: Some(text), ..
        },
        ..
    }] = &effects[..]
    else {
        panic!("{effects:?}")
    };
    assert!(text.contains("unsaved"), "the buffer's text is staged");
    engine.take();
    assert!(matches!(
        answer(engine.command(stage.clone())),
        Ok(Outcome::Done)
    ));
    assert_eq!(
        repo.git(&["diff", "--cached", "--numstat"]),
        "1\t0\ta.txt\n"
    );
    let outputs = engine.take();
    assert_eq!(
        statuses(&outputs).last().expect("recounted").staged.added,
        1
    );
    // The same hunk again is stale now: refused, and the index is as it was.
    let refused = answer(engine.command(stage));
    assert!(
        matches!(&refused, Err(Error::Git(crate::git::GitError::Stale(_)))),
        "{refused:?}"
    );
    assert_eq!(
        repo.git(&["diff", "--cached", "--numstat"]),
        "1\t0\ta.txt\n"
    );
}

#[test]
fn a_command_names_a_repository_or_is_refused() {
    let mut engine = Engine::new();
    let nowhere = tempfile::tempdir().expect("temp dir");
    let refused = answer(engine.command(Command::StageFile {
        root: nowhere.path().to_path_buf(),
        path: "a.txt".to_string(),
    }));
    assert!(matches!(refused, Err(Error::Root(_))), "{refused:?}");
    // An unknown document has no hunks.
    let none = answer(engine.command(Command::Hunks {
        doc: "file:///nowhere".to_string(),
    }));
    assert!(matches!(none, Ok(Outcome::Hunks(None))));
}

#[test]
fn the_commit_message_document_commits_when_saved_with_a_message() {
    let repo = Repo::new();
    repo.write("a.txt", "1\n");
    repo.commit_all("seed");
    repo.write("a.txt", "1\n2\n");
    repo.git(&["add", "a.txt"]);
    let root = repo.root();
    let mut engine = Engine::new();
    engine.settle(Event::AddFolders(vec![root.clone()]));
    let opened = answer(engine.command(Command::OpenCommitMessage { root: root.clone() }));
    let Ok(Outcome::CommitMessage { path }) = opened else {
        panic!("{opened:?}")
    };
    let text = std::fs::read_to_string(&path).expect("document");
    assert!(text.contains("#   a.txt  +1 −0"), "{text}");
    // Saved empty: nothing is committed, and the user reads why.
    engine.take();
    let doc = "file:///COMMIT_EDITMSG".to_string();
    engine.settle(Event::Saved {
        doc: doc.clone(),
        path: path.clone(),
    });
    assert!(matches!(&engine.take()[..], [Output::Warning(w)] if w.contains("empty")));
    assert_eq!(repo.git(&["rev-list", "--count", "HEAD"]), "1\n");
    // Opened again and saved with a message: committed.
    answer(engine.command(Command::OpenCommitMessage { root: root.clone() })).expect("opened");
    std::fs::write(&path, format!("Add a line\n{text}")).expect("write message");
    engine.settle(Event::Saved { doc, path });
    let outputs = engine.take();
    assert!(
        outputs
            .iter()
            .any(|o| matches!(o, Output::Info(m) if m.contains("Add a line"))),
        "{outputs:?}"
    );
    assert_eq!(repo.git(&["log", "-1", "--format=%s"]), "Add a line\n");
    assert_eq!(
        statuses(&outputs).last().expect("recounted").staged.files,
        0
    );
}

#[cfg(unix)]
#[test]
fn a_command_through_a_symlinked_root_works_on_the_tracked_repository() {
    let repo = Repo::with_lines(3);
    let root = repo.root();
    let links = tempfile::tempdir().expect("temp dir");
    let link = links.path().join("link");
    std::os::unix::fs::symlink(&root, &link).expect("symlink");
    let mut engine = Engine::new();
    engine.settle(Event::AddFolders(vec![root.clone()]));
    let (reply, _answer) = Reply::new();
    let stage = Command::StageFile {
        root: link.clone(),
        path: "a.txt".to_string(),
    };
    let effects = engine.handle(Event::Command {
        command: stage,
        reply,
    });
    let [Effect::Run {
        root: worked_on, ..
    }] = &effects[..]
    else {
        panic!("{effects:?}")
    };
    assert_eq!(*worked_on, root);
    let snooze = Command::Snooze {
        root: Some(link),
        minutes: None,
    };
    assert!(matches!(
        answer(engine.command(snooze)),
        Ok(Outcome::Snoozed { .. })
    ));
}
