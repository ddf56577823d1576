//! When counts run, what they cover, and which results are dropped.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::workspace::effect::Effect;
use crate::workspace::effect::Scope;
use crate::workspace::jobs;
use crate::workspace::*;

#[test]
fn a_burst_of_changes_gathers_into_one_count_of_what_changed() {
    let repo = Repo::with_lines(3);
    let root = repo.root();
    let mut engine = Engine::new();
    let effects = engine.handle(Event::AddFolders(vec![root.clone()]));
    assert!(
        matches!(&effects[..], [Effect::FlushAfter { root: r, delay }] if *r == root && *delay == Duration::from_millis(60)),
        "{effects:?}"
    );
    // More events before the timer fires start no second timer.
    // (A file-system write also asks for a snapshot of the record: `tests::record`.)
    assert!(engine
        .handle(Event::FilesChanged(vec![root.join("a.txt")]))
        .iter()
        .all(|e| matches!(e, Effect::Record { .. })));
    let effects = engine.handle(Event::Flush(root.clone()));
    let [Effect::Count(job)] = &effects[..] else {
        panic!("{effects:?}")
    };
    assert_eq!((job.generation, &job.scope), (1, &Scope::Full));
    assert_eq!(engine.take(), vec![Output::ScanStarted(root.clone())]);
    // Changes while the count runs wait for it.
    assert!(engine
        .handle(Event::FilesChanged(vec![root.join("b.txt")]))
        .iter()
        .all(|e| matches!(e, Effect::FlushAfter { .. } | Effect::Record { .. })));
    assert!(engine.handle(Event::Flush(root.clone())).is_empty());
    let counted = jobs::count(effects.into_iter().next().map_or_else(
        || panic!("a count"),
        |e| match e {
            Effect::Count(job) => job,
            other => panic!("{other:?}"),
        },
    ));
    let effects = engine.handle(counted);
    assert!(
        matches!(&effects[..], [Effect::FlushAfter { .. }]),
        "the change during the count is counted next: {effects:?}"
    );
    let outputs = engine.take();
    assert_eq!(statuses(&outputs)[0].total.added, 2);
    assert_eq!(outputs.last(), Some(&Output::ScanFinished(root.clone())));
    let effects = engine.handle(Event::Flush(root.clone()));
    let [Effect::Count(job)] = &effects[..] else {
        panic!("{effects:?}")
    };
    assert_eq!(job.generation, 2);
    assert_eq!(job.scope, Scope::Paths(["b.txt".to_string()].into()));
}

#[test]
fn what_changed_decides_what_is_counted() {
    let repo = Repo::with_lines(3);
    let root = repo.root();
    let mut engine = Engine::new();
    engine.settle(Event::AddFolders(vec![root.clone()]));
    let scope_after = |engine: &mut Engine, paths: Vec<PathBuf>| {
        let effects = engine.handle(Event::FilesChanged(paths));
        let timers = effects
            .iter()
            .filter(|e| !matches!(e, Effect::Record { .. }));
        assert_eq!(timers.count(), 1, "{effects:?}");
        let effects = engine.handle(Event::Flush(root.clone()));
        let Some(Effect::Count(job)) = effects.into_iter().next() else {
            panic!("a count")
        };
        let scope = job.scope.clone();
        engine.settle(jobs::count(job));
        scope
    };
    let git_dir = root.join(".git");
    assert_eq!(
        scope_after(&mut engine, vec![git_dir.join("index"), root.join("a.txt")]),
        Scope::GitDir(["a.txt".to_string()].into())
    );
    assert_eq!(
        scope_after(&mut engine, vec![root.join(".gitignore")]),
        Scope::Full
    );
    assert_eq!(
        scope_after(&mut engine, vec![git_dir.join("info/exclude")]),
        Scope::Full
    );
    let many = (0..300).map(|i| root.join(format!("f{i}"))).collect();
    assert_eq!(scope_after(&mut engine, many), Scope::Full);
    // A path outside every repository changes nothing.
    assert!(engine
        .handle(Event::FilesChanged(vec![PathBuf::from("/elsewhere/x")]))
        .is_empty());
}

#[test]
fn stale_results_are_dropped() {
    let repo = Repo::with_lines(3);
    let root = repo.root();
    let mut engine = Engine::new();
    engine.settle(Event::AddFolders(vec![root.clone()]));
    let doc = engine.open(&repo, "a.txt", "a\na\na\n");
    engine.take();
    // A count of an older generation changes nothing.
    let old = jobs::count(CountJob {
        root: root.clone(),
        generation: 0,
        settings: Default::default(),
        scope: Scope::Full,
        previous: None,
        repo: Default::default(),
    });
    assert!(engine.handle(old).is_empty());
    // A buffer diff of an older version changes nothing either.
    engine.handle(Event::Changed {
        doc: doc.clone(),
        version: 3,
        text: "a\n".repeat(50),
    });
    let stale = jobs::diff_buffer(BufferJob {
        root: root.clone(),
        rel_path: "a.txt".to_string(),
        doc: doc.clone(),
        version: 2,
        text: Arc::new("a\n".repeat(9)),
        base: None,
        repo: Default::default(),
    });
    assert!(engine.handle(stale).is_empty());
    assert_eq!(engine.take(), Vec::new(), "nothing published");
}

#[test]
fn a_worktree_made_anew_is_watched_and_counted_afresh() {
    let repo = Repo::with_lines(3);
    let root = repo.root();
    let mut engine = Engine::new();
    engine.state.options.watch_files = true;
    let effects = engine.handle(Event::AddFolders(vec![root.clone()]));
    assert!(matches!(
        &effects[..],
        [Effect::Watch { .. }, Effect::FlushAfter { .. }]
    ));
    engine.settle(Event::Flush(root.clone()));
    let effects = engine.handle(Event::Rearm(root.clone()));
    assert!(
        matches!(&effects[..], [Effect::Unwatch(r), Effect::Watch { info, .. }, Effect::FlushAfter { .. }] if *r == root && info.root == root),
        "the old watcher goes before the new one starts: {effects:?}"
    );
    engine.take();
    let effects = engine.handle(Event::Flush(root.clone()));
    let [Effect::Count(job)] = &effects[..] else {
        panic!("{effects:?}")
    };
    assert_eq!(job.scope, Scope::Full);
    assert!(
        job.previous.is_none(),
        "nothing of the old counts is reused"
    );
    // The scan it reports begins and ends.
    let counted = effects.into_iter().find_map(|e| match e {
        Effect::Count(job) => Some(jobs::count(job)),
        _ => None,
    });
    engine.settle(counted.expect("a count"));
    let outputs = engine.take();
    assert_eq!(outputs.first(), Some(&Output::ScanStarted(root.clone())));
    assert_eq!(outputs.last(), Some(&Output::ScanFinished(root)));
}
