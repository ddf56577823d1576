//! The engine in memory: real repositories in temp dirs, a fake clock, git work run in place, and
//! the exact list of effects each event calls for (no task, no timer, no sleep).
//!
//! `scheduling` covers when counts run and what they cover, `nudges` the cadence, offers and
//! snoozes, `commands` what the user asks.

mod commands;
mod nudges;
mod plans;
mod record;
mod scheduling;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;

use crate::test_repo as repo;

use super::effect::Effect;
use super::jobs;
use super::*;
use repo::Repo;

/// The engine with a fake clock; runs effects in place and records what it sent.
struct Engine {
    state: State,
    clock: Arc<AtomicI64>,
    outputs: Vec<Output>,
}

impl Engine {
    fn new() -> Engine {
        let clock = Arc::new(AtomicI64::new(crate::unix_now()));
        let read = clock.clone();
        let options = Options {
            debounce: Duration::from_millis(60),
            tick: Duration::from_secs(30),
            watch_files: false,
            now: Arc::new(move || read.load(Ordering::SeqCst)),
            plan_in_background: true,
            absorb_in_background: false,
        };
        Engine {
            state: State::new(options),
            clock,
            outputs: Vec::new(),
        }
    }

    /// Settings with a line limit of `lines` (a warning at twice that), asking on warnings.
    fn configured(lines: u64) -> Engine {
        let mut engine = Engine::new();
        let settings = crate::config::Settings {
            lines,
            ..Default::default()
        };
        engine.settle(Event::Configure(settings));
        engine
    }

    fn advance(&self, seconds: i64) {
        self.clock.fetch_add(seconds, Ordering::SeqCst);
    }

    /// Handles one event; sent messages are delivered and their outputs recorded.
    fn handle(&mut self, event: Event) -> Vec<Effect> {
        let effects = self.state.handle(event);
        effects
            .into_iter()
            .filter_map(|e| self.deliver(e))
            .collect()
    }

    fn deliver(&mut self, effect: Effect) -> Option<Effect> {
        match effect {
            Effect::Send(message) => {
                self.outputs.extend(message.deliver());
                None
            }
            Effect::Answer(reply, result) => {
                reply.send(result);
                None
            }
            other => Some(other),
        }
    }

    /// Handles an event and everything it leads to: timers fire at once, git work runs in place.
    fn settle(&mut self, event: Event) {
        let mut queue = vec![event];
        while let Some(event) = queue.pop() {
            for effect in self.handle(event) {
                queue.extend(run(effect));
            }
        }
    }

    /// The outputs recorded since the last call.
    fn take(&mut self) -> Vec<Output> {
        std::mem::take(&mut self.outputs)
    }

    fn open(&mut self, repo: &Repo, rel: &str, text: &str) -> DocId {
        let path = repo.root().join(rel);
        let doc = format!("file://{}", path.display());
        self.settle(Event::Opened {
            doc: doc.clone(),
            path,
            version: 1,
            text: text.to_string(),
        });
        doc
    }

    fn command(&mut self, command: Command) -> oneshot::Receiver<Result<Outcome, Error>> {
        let (reply, answer) = Reply::new();
        self.settle(Event::Command { command, reply });
        answer
    }
}

/// Runs one effect as the driver would, in place; gives the event it ends with, if any.
fn run(effect: Effect) -> Option<Event> {
    match effect {
        Effect::Count(job) => Some(jobs::count(job)),
        Effect::DiffBuffer(job) => Some(jobs::diff_buffer(job)),
        Effect::Learn {
            root,
            head,
            fallback,
        } => Some(jobs::learn(root, head, fallback)),
        Effect::Run {
            ticket,
            root,
            repo,
            job,
        } => Some(jobs::run(ticket, root, repo, job)),
        Effect::Plan { ticket, root, job } => Some(super::plan_jobs::ran(ticket, &root, job)),
        Effect::Absorb { ticket, root, job } => Some(super::absorb_jobs::ran(ticket, &root, job)),
        Effect::FlushAfter { root, .. } => Some(Event::Flush(root)),
        Effect::Record { root, files } => {
            crate::record::observe(&root, &files, crate::record::now_ms()).expect("recorded");
            None
        }
        Effect::Watch { .. } | Effect::Unwatch(_) | Effect::Send(_) | Effect::Answer(..) => None,
    }
}

fn statuses(outputs: &[Output]) -> Vec<&StatusReport> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::Status(report) => Some(&**report),
            _ => None,
        })
        .collect()
}

fn offers(outputs: &[Output]) -> usize {
    outputs
        .iter()
        .filter(|o| matches!(o, Output::Offer(_)))
        .count()
}

fn nudged(outputs: &[Output], doc: &DocId) -> bool {
    outputs.iter().any(
        |o| matches!(o, Output::Diagnostics { doc: d, items } if d == doc && !items.is_empty()),
    )
}

fn answer(mut rx: oneshot::Receiver<Result<Outcome, Error>>) -> Result<Outcome, Error> {
    rx.try_recv().expect("answered by now")
}
