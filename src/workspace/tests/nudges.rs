//! The offer of the next step, snoozes, and which documents carry nudges.

use std::sync::atomic::Ordering;

use super::*;
use crate::workspace::publish::ASK_COOL_DOWN_SECONDS;
use crate::workspace::*;

#[test]
fn crossing_into_warning_offers_once_within_the_cool_down() {
    let repo = Repo::with_lines(30);
    let mut engine = Engine::configured(10);
    engine.settle(Event::AddFolders(vec![repo.root()]));
    let outputs = engine.take();
    assert_eq!(offers(&outputs), 1, "{outputs:?}");
    let at = outputs
        .iter()
        .position(|o| matches!(o, Output::Offer(_)))
        .expect("offer");
    assert!(
        matches!(outputs[at - 2], Output::Status(_)),
        "after the status"
    );
    // More work while warning: a new status, no new offer.
    repo.write("a.txt", "a\n".repeat(40));
    engine.settle(Event::FilesChanged(vec![repo.root().join("a.txt")]));
    let outputs = engine.take();
    assert_eq!(statuses(&outputs)[0].total.added, 39);
    assert_eq!(offers(&outputs), 0);
    // Back under, over again within the cool-down: quiet; after it: asked again.
    repo.write("a.txt", "a\n");
    engine.settle(Event::FilesChanged(vec![repo.root().join("a.txt")]));
    repo.write("a.txt", "a\n".repeat(30));
    engine.settle(Event::FilesChanged(vec![repo.root().join("a.txt")]));
    assert_eq!(offers(&engine.take()), 0);
    engine.advance(ASK_COOL_DOWN_SECONDS);
    repo.write("a.txt", "a\n");
    engine.settle(Event::FilesChanged(vec![repo.root().join("a.txt")]));
    repo.write("a.txt", "a\n".repeat(30));
    engine.settle(Event::FilesChanged(vec![repo.root().join("a.txt")]));
    assert_eq!(offers(&engine.take()), 1);
}

#[test]
fn no_offer_when_asking_is_off() {
    let repo = Repo::with_lines(30);
    let mut engine = Engine::new();
    let settings = crate::config::Settings {
        lines: 10,
        ask_on_warning: false,
        ..Default::default()
    };
    engine.settle(Event::Configure(settings));
    engine.settle(Event::AddFolders(vec![repo.root()]));
    let doc = engine.open(&repo, "a.txt", &"a\n".repeat(30));
    let answer = answer(engine.command(Command::Refresh));
    assert!(matches!(answer, Ok(Outcome::Refreshed)));
    let outputs = engine.take();
    assert!(nudged(&outputs, &doc), "the warning is shown: {outputs:?}");
    assert_eq!(offers(&outputs), 0, "{outputs:?}");
}

#[test]
fn a_snooze_hides_the_nudges_until_it_ends_and_a_commit_ends_it() {
    let repo = Repo::with_lines(30);
    let root = repo.root();
    let mut engine = Engine::configured(10);
    engine.settle(Event::AddFolders(vec![root.clone()]));
    let doc = engine.open(&repo, "a.txt", &"a\n".repeat(30));
    assert!(nudged(&engine.take(), &doc));
    let now = engine.clock.load(Ordering::SeqCst);
    let snooze = Command::Snooze {
        root: Some(root.join("a.txt")),
        minutes: Some(5),
    };
    let Ok(Outcome::Snoozed { until_unix }) = answer(engine.command(snooze)) else {
        panic!("snoozed")
    };
    assert_eq!(until_unix, now + 5 * 60);
    let outputs = engine.take();
    assert_eq!(statuses(&outputs)[0].snoozed_until_unix, Some(until_unix));
    assert!(statuses(&outputs)[0].nudges.is_empty());
    assert!(outputs.contains(&Output::Diagnostics {
        doc: doc.clone(),
        items: Vec::new()
    }));
    // Time passes within the snooze: still quiet; past it, the nudge is back.
    engine.advance(4 * 60);
    engine.handle(Event::Tick);
    assert!(!nudged(&engine.take(), &doc));
    engine.advance(60);
    engine.handle(Event::Tick);
    assert!(nudged(&engine.take(), &doc));
    // A commit ends a snooze.
    answer(engine.command(Command::Snooze {
        root: None,
        minutes: None,
    }))
    .expect("snoozed");
    repo.commit_all("work");
    repo.write("a.txt", "b\n".repeat(30));
    engine.settle(Event::FilesChanged(vec![root.join(".git/HEAD")]));
    let outputs = engine.take();
    assert_eq!(
        statuses(&outputs)
            .last()
            .expect("status")
            .snoozed_until_unix,
        None
    );
}

#[test]
fn a_snooze_without_a_root_snoozes_every_repository() {
    let first = Repo::with_lines(30);
    let second = Repo::with_lines(30);
    let mut engine = Engine::configured(10);
    engine.settle(Event::AddFolders(vec![first.root(), second.root()]));
    engine.take();
    let snooze = Command::Snooze {
        root: None,
        minutes: None,
    };
    let now = engine.clock.load(Ordering::SeqCst);
    let Ok(Outcome::Snoozed { until_unix }) = answer(engine.command(snooze)) else {
        panic!("snoozed")
    };
    assert_eq!(until_unix, now + 30 * 60, "the default of the settings");
    let outputs = engine.take();
    let mut snoozed: Vec<&str> = statuses(&outputs)
        .iter()
        .filter(|r| r.snoozed_until_unix == Some(until_unix))
        .map(|r| r.root.as_str())
        .collect();
    snoozed.sort();
    let mut roots = [first.root(), second.root()];
    roots.sort();
    let roots: Vec<String> = roots.iter().map(|r| r.display().to_string()).collect();
    assert_eq!(snoozed, roots);
    // With no repository there is nothing to snooze, and the asker hears so.
    let mut empty = Engine::new();
    let snooze = Command::Snooze {
        root: None,
        minutes: None,
    };
    assert!(matches!(
        answer(empty.command(snooze)),
        Err(Error::NoRepository)
    ));
}

#[test]
fn a_document_in_a_repository_under_its_limit_gets_no_nudge() {
    let over = Repo::with_lines(30);
    let under = Repo::with_lines(3);
    let mut engine = Engine::configured(25);
    engine.settle(Event::AddFolders(vec![over.root(), under.root()]));
    let in_under = engine.open(&under, "a.txt", &"a\n".repeat(3));
    let in_over = engine.open(&over, "a.txt", &"a\n".repeat(30));
    answer(engine.command(Command::Refresh)).expect("refreshed");
    let outputs = engine.take();
    assert!(nudged(&outputs, &in_over));
    assert!(!nudged(&outputs, &in_under), "{outputs:?}");
}
