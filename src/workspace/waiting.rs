//! Answers that wait for the counts to catch up: the prompt daemon's freshness queries (until a
//! barrier file has been seen and what it made due is counted) and refreshes (until the counts
//! they started are published); and the queries answered at once.

use std::path::{Path, PathBuf};

use tokio::sync::oneshot;

use super::effect::Effect;
use super::state::State;
use super::{DocId, Fresh, Outcome, Query, Reply};

/// A `Query::Fresh` waiting for its barrier, then for the counts it made due.
#[derive(Debug)]
pub(super) struct Waiter {
    barrier: String,
    seen: bool,
    reply: oneshot::Sender<Fresh>,
}

/// A refresh waiting until every repository has counted (from the generation it started) and
/// every document has been diffed again.
#[derive(Debug)]
pub(super) struct RefreshWaiter {
    pub(super) reply: Reply,
    pub(super) repos: Vec<(PathBuf, u64)>,
    pub(super) docs: Vec<(DocId, u64)>,
}

impl State {
    pub(super) fn answer(&mut self, query: Query) {
        match query {
            Query::Fresh {
                root,
                barrier,
                reply,
            } => self.await_barrier(root, barrier, reply),
            Query::Document { doc, reply } => {
                let _ = reply.send(self.doc_snapshot(&doc));
            }
        }
    }

    /// Starts a refresh: everything is counted again; the answer comes once that is published.
    pub(super) fn refresh(&mut self, reply: Reply) {
        for root in self.roots() {
            self.request_count(&root);
        }
        self.recount_buffers();
        let repos = self
            .repos
            .iter()
            .map(|(root, repo)| (root.clone(), repo.cycle.generation + 1))
            .collect();
        let docs = self
            .docs
            .iter()
            .map(|(id, doc)| (id.clone(), doc.diffs_started))
            .collect();
        self.refreshes.push(RefreshWaiter { reply, repos, docs });
    }

    /// Answers the refreshes whose counts are all in (a repository or document gone since is
    /// not waited for). Called after every event, once its outputs are out.
    pub(super) fn answer_refreshes(&mut self) {
        let done = |state: &State, waiter: &RefreshWaiter| {
            let repos_done = waiter.repos.iter().all(|(root, generation)| {
                state
                    .repos
                    .get(root)
                    .is_none_or(|r| r.cycle.completed >= *generation && !r.learning)
            });
            let docs_done = waiter
                .docs
                .iter()
                .all(|(doc, started)| state.docs.get(doc).is_none_or(|d| d.diffs_done >= *started));
            repos_done && docs_done
        };
        let (ready, waiting): (Vec<RefreshWaiter>, Vec<RefreshWaiter>) =
            std::mem::take(&mut self.refreshes)
                .into_iter()
                .partition(|w| done(self, w));
        self.refreshes = waiting;
        for waiter in ready {
            self.effect(Effect::reply(waiter.reply, Ok(Outcome::Refreshed)));
        }
    }

    /// A barrier file appeared: the freshness queries waiting for it may be answered.
    pub(super) fn barrier(&mut self, name: &str) {
        let mut seen_in = Vec::new();
        for (root, repo) in &mut self.repos {
            for waiter in repo.waiters.iter_mut().filter(|w| w.barrier == name) {
                waiter.seen = true;
                seen_in.push(root.clone());
            }
        }
        for root in seen_in {
            self.answer_fresh(&root);
        }
    }

    /// Answers the freshness queries of a repository whose barrier has been seen: at once when
    /// nothing is left to count, else after counting now (no debounce: someone is waiting).
    pub(super) fn answer_fresh(&mut self, root: &Path) {
        let Some(repo) = self.repos.get_mut(root) else {
            return;
        };
        if !repo.waiters.iter().any(|w| w.seen) {
            return;
        }
        let pending = repo.cycle.due.any();
        if pending && !repo.cycle.counting {
            self.flush(root);
            return;
        }
        if repo.busy() {
            return;
        }
        let last_error = repo.last_error.clone();
        let answer = match (last_error, self.effective(root)) {
            (Some(error), _) => Fresh::Unsure(error),
            (None, Some((_, report))) => Fresh::Ready(Box::new(report)),
            (None, None) => Fresh::Unsure("not counted yet".to_string()),
        };
        let Some(repo) = self.repos.get_mut(root) else {
            return;
        };
        let (seen, waiting): (Vec<Waiter>, Vec<Waiter>) = std::mem::take(&mut repo.waiters)
            .into_iter()
            .partition(|w| w.seen);
        repo.waiters = waiting;
        for waiter in seen {
            let _ = waiter.reply.send(answer.clone());
        }
    }

    /// Registers a freshness query, or says at once why this workspace cannot answer it.
    fn await_barrier(&mut self, root: PathBuf, barrier: String, reply: oneshot::Sender<Fresh>) {
        let unsure = |why: &str| Fresh::Unsure(why.to_string());
        let Some(repo) = self.repos.get_mut(&root) else {
            let _ = reply.send(unsure("this repository is not in the workspace"));
            return;
        };
        if !repo.watched {
            let _ = reply.send(unsure("this repository is not watched"));
            return;
        }
        if repo.counts.is_none() {
            let _ = reply.send(unsure("the first count is still running"));
            return;
        }
        // Askers that gave up (their barrier never came) are forgotten here.
        repo.waiters.retain(|w| !w.reply.is_closed());
        repo.waiters.push(Waiter {
            barrier,
            seen: false,
            reply,
        });
    }
}
