//! The commit plan in the engine: open a plan, edit its document, save to apply; close to
//! cancel; a stale plan refused; one planned commit staged; the background plan's N.

use super::*;

/// A repository with three changes: a paragraph of docs/guide.md, and `alpha` and `beta` of
/// src/lib.rs, each apart from the others; a pre-commit hook counts the commits it sees.
fn tangled() -> Repo {
    let repo = Repo::new();
    let lib = "fn alpha() -> u32 {\n    1\n}\n\n// spacer\n// spacer\n// spacer\n// spacer\n\nfn beta() -> u32 {\n    2\n}\n";
    repo.write("src/lib.rs", lib);
    repo.write("docs/guide.md", "# Guide\n\nIntro.\n");
    repo.commit_all("seed");
    repo.write(
        "src/lib.rs",
        lib.replace("    1\n", "    10\n")
            .replace("    2\n", "    20\n"),
    );
    repo.write(
        "docs/guide.md",
        "# Guide\n\nIntro.\n\nMore words about cooking.\n",
    );
    let hook = repo.dir.path().join(".git/hooks/pre-commit");
    std::fs::write(
        &hook,
        "#!/bin/sh\necho ran >> \"$(git rev-parse --git-dir)/hook-runs\"\n",
    )
    .expect("hook");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    repo
}

/// Opens a plan; gives its document's path and text.
fn open_plan(engine: &mut Engine, root: &std::path::Path) -> (PathBuf, String, usize) {
    let opened = answer(engine.command(Command::OpenPlan {
        root: root.to_path_buf(),
    }));
    let Ok(Outcome::Plan { document, commits }) = opened else {
        panic!("{opened:?}")
    };
    let text = std::fs::read_to_string(&document).expect("the plan document");
    (document, text, commits)
}

/// The document with the hunk line naming `path` moved under the last `commit` line.
fn move_to_last_commit(text: &str, path: &str) -> String {
    let mut lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.trim_start().starts_with(path) && l.starts_with(' '))
        .expect("the hunk line");
    let moved = lines.remove(at);
    lines.push(moved);
    lines.join("\n") + "\n"
}

#[test]
fn an_edited_plan_document_is_applied_when_saved() {
    let repo = tangled();
    let root = repo.root();
    let before: Vec<Vec<u8>> = ["src/lib.rs", "docs/guide.md"]
        .iter()
        .map(|p| std::fs::read(root.join(p)).expect("read"))
        .collect();
    let mut engine = Engine::new();
    engine.settle(Event::AddFolders(vec![root.clone()]));
    let doc = engine.open(&repo, "src/lib.rs", &String::from_utf8_lossy(&before[0]));
    let (document, text, commits) = open_plan(&mut engine, &root);
    assert!(commits >= 2, "{text}");
    assert!(text.contains("docs/guide.md @@"), "{text}");
    // While the plan is open, the document's snapshot carries it (for lenses and actions).
    let snapshot = engine.state.doc_snapshot(&doc).expect("snapshot");
    assert_eq!(
        snapshot.plan.as_ref().map(|p| p.groups.len()),
        Some(commits)
    );

    // The user moves the docs hunk into the last commit and saves.
    let edited = move_to_last_commit(&text, "docs/guide.md");
    std::fs::write(&document, &edited).expect("save");
    engine.take();
    engine.settle(Event::Saved {
        doc: "file:///COMMIT_PLAN".to_string(),
        path: document.clone(),
    });
    let outputs = engine.take();
    assert!(
        outputs
            .iter()
            .any(|o| matches!(o, Output::Info(m) if m.starts_with("commit-nudge: made"))),
        "{outputs:?}"
    );
    let made = commits - 1;
    assert_eq!(
        repo.git(&["rev-list", "--count", "HEAD"]).trim(),
        (made + 1).to_string(),
        "{edited}"
    );
    // The last commit holds the moved hunk; the hooks ran once per commit.
    let last = repo.git(&["show", "--name-only", "--format=", "HEAD"]);
    assert!(last.contains("docs/guide.md"), "{last}");
    let runs = std::fs::read_to_string(root.join(".git/hook-runs")).expect("hook ran");
    assert_eq!(runs.lines().count(), made);
    // Nothing left, nothing lost.
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
    for (p, bytes) in ["src/lib.rs", "docs/guide.md"].iter().zip(&before) {
        assert_eq!(&std::fs::read(root.join(p)).expect("read"), bytes);
    }
    // The plan is done: no longer open.
    let snapshot = engine.state.doc_snapshot(&doc).expect("snapshot");
    assert!(snapshot.plan.is_none());
}

#[test]
fn closing_the_plan_unsaved_cancels_it_and_a_stale_plan_is_refused() {
    let repo = tangled();
    let root = repo.root();
    let mut engine = Engine::new();
    engine.settle(Event::AddFolders(vec![root.clone()]));
    let (document, text, _) = open_plan(&mut engine, &root);
    // Opened in the editor, then closed without saving: cancelled, nothing committed.
    let plan_doc = "file:///COMMIT_PLAN".to_string();
    engine.settle(Event::Opened {
        doc: plan_doc.clone(),
        path: document.clone(),
        version: 1,
        text: text.clone(),
    });
    engine.settle(Event::Closed { doc: plan_doc });
    let refused = answer(engine.command(Command::StagePlanned {
        root: root.clone(),
        commit: 1,
    }));
    assert!(
        matches!(&refused, Err(Error::Plan(e)) if e.to_string().contains("no commit plan is open")),
        "{refused:?}"
    );
    assert_eq!(repo.git(&["rev-list", "--count", "HEAD"]), "1\n");

    // A plan whose work changed before it was saved is refused whole.
    let (document, text, _) = open_plan(&mut engine, &root);
    repo.write("docs/guide.md", "# Guide\n\nIntro.\n\nOther words.\n");
    let index = repo.git(&["ls-files", "--stage"]);
    engine.take();
    engine.settle(Event::Saved {
        doc: "file:///COMMIT_PLAN".to_string(),
        path: document.clone(),
    });
    let outputs = engine.take();
    assert!(
        outputs
            .iter()
            .any(|o| matches!(o, Output::Failure(m) if m.contains("nothing was applied"))),
        "{outputs:?}\n{text}"
    );
    assert_eq!(repo.git(&["rev-list", "--count", "HEAD"]), "1\n");
    assert_eq!(repo.git(&["ls-files", "--stage"]), index);
}

#[test]
fn stage_planned_stages_exactly_one_planned_commit() {
    let repo = tangled();
    let root = repo.root();
    let mut engine = Engine::new();
    engine.settle(Event::AddFolders(vec![root.clone()]));
    let (_, text, commits) = open_plan(&mut engine, &root);
    let out_of_range = answer(engine.command(Command::StagePlanned {
        root: root.clone(),
        commit: commits + 1,
    }));
    assert!(
        matches!(out_of_range, Err(Error::Plan(_))),
        "{out_of_range:?}"
    );
    answer(engine.command(Command::StagePlanned {
        root: root.clone(),
        commit: 1,
    }))
    .expect("staged");
    // The staged files are exactly those of commit 1 in the document.
    let first: Vec<&str> = text
        .split("\ncommit ")
        .nth(1)
        .expect("commit 1")
        .lines()
        .filter(|l| l.starts_with("  "))
        .map(|l| l.trim().split(" @@").next().expect("path"))
        .collect();
    let mut staged: Vec<String> = repo
        .git(&["diff", "--cached", "--name-only"])
        .lines()
        .map(str::to_string)
        .collect();
    staged.sort();
    let mut want: Vec<String> = first.iter().map(|s| s.to_string()).collect();
    want.sort();
    want.dedup();
    assert_eq!(staged, want, "{text}");
    // The working tree is untouched.
    assert!(repo.git(&["diff", "--name-only"]).lines().count() >= 1);
}

/// An engine with a line limit of 1 on `repo` and `src/lib.rs` open: asserts the nudge shows and
/// gives the engine and the "Split into N" of that document.
fn nudged(repo: &Repo) -> (Engine, Option<usize>) {
    let root = repo.root();
    let mut engine = Engine::configured(1);
    engine.settle(Event::AddFolders(vec![root.clone()]));
    let doc = engine.open(
        repo,
        "src/lib.rs",
        &std::fs::read_to_string(root.join("src/lib.rs")).expect("read"),
    );
    let snapshot = engine.state.doc_snapshot(&doc).expect("snapshot");
    assert!(!snapshot.report.expect("report").nudges.is_empty());
    (engine, snapshot.split_into)
}

#[test]
fn a_size_nudge_plans_in_the_background_for_the_split_action() {
    let repo = tangled();
    let (_, split_into) = nudged(&repo);
    let n = split_into.expect("planned in the background");
    assert!(n >= 2, "{n}");
    // Without a size nudge, nothing is planned in the background.
    let quiet = tangled();
    let mut engine = Engine::configured(1000);
    engine.settle(Event::AddFolders(vec![quiet.root()]));
    let doc = engine.open(&quiet, "src/lib.rs", "x");
    assert_eq!(
        engine
            .state
            .doc_snapshot(&doc)
            .expect("snapshot")
            .split_into,
        None
    );
}

#[test]
fn work_over_the_background_bound_is_planned_only_when_asked() {
    let repo = tangled();
    let root = repo.root();
    for i in 0..=super::super::plans::BACKGROUND_PLAN_MAX_FILES {
        std::fs::write(root.join(format!("new{i}.txt")), "new\n").expect("write");
    }
    let (mut engine, split_into) = nudged(&repo);
    assert_eq!(split_into, None, "no plan in the background");
    // Asked for, the plan is made all the same.
    let (_, text, commits) = open_plan(&mut engine, &root);
    assert!(commits >= 1, "{text}");
}
