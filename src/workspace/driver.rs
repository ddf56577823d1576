//! The driver: the task that owns the engine's `State`, feeds it events in order and runs the
//! effects it returns (git work on the blocking pool, timers, watchers, messages out).

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;

use tokio::sync::mpsc;

use super::effect::Effect;
use super::{absorb_jobs, jobs, plan_jobs, watch, Event, Message, Options, State};

/// Starts the task that owns the workspace state; returns the channel that feeds it. What the
/// front end should show, and the answers to commands, leave in order on `out`.
pub(crate) fn spawn(
    options: Options,
    out: mpsc::UnboundedSender<Message>,
) -> mpsc::UnboundedSender<Event> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut state = State::new(options.clone());
    let mut driver = Driver {
        tx: tx.clone(),
        out,
        watchers: HashMap::new(),
    };
    tokio::spawn(async move {
        while let Some(event) = rx.recv().await {
            // Events an effect gives back at once are handled before the next one from outside.
            let mut queue = VecDeque::from([event]);
            while let Some(event) = queue.pop_front() {
                // A bug in one event's handling is logged and the workspace keeps serving.
                let handled =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| state.handle(event)));
                let Ok(effects) = handled else {
                    tracing::error!(
                        "a workspace event panicked; the state is kept and the server goes on"
                    );
                    continue;
                };
                for effect in effects {
                    queue.extend(driver.run(effect));
                }
            }
        }
    });
    let ticker = tx.clone();
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(options.tick);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        interval.tick().await;
        loop {
            interval.tick().await;
            if ticker.send(Event::Tick).is_err() {
                break;
            }
        }
    });
    tx
}

/// What running effects needs: the way back in, the way out, and the live watchers.
struct Driver {
    tx: mpsc::UnboundedSender<Event>,
    out: mpsc::UnboundedSender<Message>,
    watchers: HashMap<PathBuf, watch::RepoWatcher>,
}

impl Driver {
    /// Runs one effect; returns an event to handle at once, if it gives one.
    fn run(&mut self, effect: Effect) -> Option<Event> {
        match effect {
            Effect::Count(job) => self.blocking(move || jobs::count(job)),
            Effect::DiffBuffer(job) => self.blocking(move || jobs::diff_buffer(job)),
            Effect::Learn {
                root,
                head,
                fallback,
            } => self.blocking(move || jobs::learn(root, head, fallback)),
            Effect::Run {
                ticket,
                root,
                repo,
                job,
            } => self.blocking(move || jobs::run(ticket, root, repo, job)),
            Effect::Plan { ticket, root, job } => {
                self.blocking(move || plan_jobs::ran(ticket, &root, job))
            }
            Effect::Absorb { ticket, root, job } => {
                self.blocking(move || absorb_jobs::ran(ticket, &root, job))
            }
            Effect::Record { root, files } => {
                let pending = crate::record::Pending::new();
                tokio::task::spawn_blocking(move || {
                    let _pending = pending;
                    let now = crate::record::now_ms();
                    if let Err(error) = crate::record::observe(&root, &files, now) {
                        tracing::warn!("the record of the work was not kept: {error}");
                    }
                });
            }
            Effect::FlushAfter { root, delay } => {
                let tx = self.tx.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(delay).await;
                    let _ = tx.send(Event::Flush(root));
                });
            }
            Effect::Watch { info, stamp } => {
                match watch::RepoWatcher::start(&info, self.tx.clone(), stamp) {
                    Ok(watcher) => {
                        self.watchers.insert(info.root, watcher);
                    }
                    Err(error) => {
                        tracing::warn!(
                            "cannot watch {}: {error}; relying on editor events",
                            info.root.display()
                        );
                        return Some(Event::Unwatched(info.root));
                    }
                }
            }
            Effect::Unwatch(root) => {
                self.watchers.remove(&root);
            }
            Effect::Answer(reply, result) => reply.send(result),
            Effect::Send(message) => {
                // The receiver only goes away when the server is shutting down.
                let _ = self.out.send(message);
            }
        }
        None
    }

    /// Runs git work on the blocking pool and sends the event it ends with.
    fn blocking(&self, work: impl FnOnce() -> Event + Send + 'static) {
        let tx = self.tx.clone();
        tokio::task::spawn_blocking(move || {
            let _ = tx.send(work());
        });
    }
}
