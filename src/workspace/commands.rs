//! Commands: the engine finds the repository, takes the buffer text it holds, runs the git work
//! on the repository it keeps open, counts again what the work changed, and answers.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::effect::{AbsorbJob, Effect, GitJob, Job, JobOutput, PlanJob};
use super::state::State;
use super::{Command, DocSnapshot, Error, Outcome, Output, Reply};

/// A command waiting for its git work.
pub(super) struct Running {
    root: PathBuf,
    /// Who asked (nobody, for a commit from a saved commit-message document).
    reply: Option<Reply>,
    /// For `Command::Hunks`: the document the hunks are for.
    doc: Option<Box<DocSnapshot>>,
    /// The job writes the index or HEAD: count again when it is done.
    writes: bool,
    /// A plan made in the background: its result is kept, its failure only logged.
    preview: bool,
    /// Absorb's targets worked out in the background: the same.
    absorb_preview: bool,
}

impl State {
    pub(super) fn command(&mut self, command: Command, reply: Reply) {
        self.follow_links();
        match command {
            Command::StageHunk { root, path, target } => {
                let text = self.open_text(&root, &path);
                self.run_in(root, reply, GitJob::StageHunk { path, text, target });
            }
            Command::UnstageHunk { root, path, target } => {
                self.run_in(root, reply, GitJob::UnstageHunk { path, target });
            }
            Command::StageFile { root, path } => {
                let text = self.open_text(&root, &path);
                let links = self.links_to(&root, &path);
                let job = GitJob::StageFile { path, text, links };
                self.run_in(root, reply, job);
            }
            Command::UnstageFile { root, path } => {
                self.run_in(root, reply, GitJob::UnstageFile { path });
            }
            Command::Commit { root, message } => {
                self.run_in(
                    root,
                    reply,
                    GitJob::Commit {
                        message,
                        strip_comments: false,
                    },
                );
            }
            Command::OpenCommitMessage { root } => {
                self.run_in(root, reply, GitJob::PrepareCommitMessage);
            }
            Command::Snooze { root, minutes } => self.snooze(root.as_deref(), minutes, reply),
            Command::Refresh => self.refresh(reply),
            Command::Hunks { doc } => match self.doc_snapshot(&doc) {
                Some(snapshot) => {
                    let job = GitJob::Hunks {
                        path: snapshot.rel_path.clone(),
                        text: snapshot.text.clone(),
                    };
                    let root = snapshot.root.clone();
                    let ticket = self.start_job(Some(reply), root, job);
                    if let Some(running) = self.running.get_mut(&ticket) {
                        running.doc = Some(Box::new(snapshot));
                    }
                }
                None => self.effect(Effect::Answer(reply, Ok(Outcome::Hunks(None)))),
            },
            Command::OpenPlan { root } => self.open_plan(root, reply),
            Command::ApplyPlan { root } => self.apply_plan(root, reply),
            Command::StagePlanned { root, commit } => self.stage_planned(root, commit, reply),
            Command::OpenAbsorb { root } => self.run_in(root, reply, AbsorbJob::Open),
            Command::AbsorbHunk { root, hunk, target } => {
                self.run_in(root, reply, AbsorbJob::Hunk { hunk, target })
            }
        }
    }

    /// Hides the nudges of the repository holding `root`, or of every repository without one.
    fn snooze(&mut self, root: Option<&Path>, minutes: Option<u64>, reply: Reply) {
        let roots = match root {
            Some(path) => self.tracked_root(path).into_iter().collect(),
            None => self.roots(),
        };
        if roots.is_empty() {
            self.effect(Effect::reply(reply, Err(Error::NoRepository)));
            return;
        }
        let now = self.now();
        let mut last_until = now;
        for root in roots {
            if let Some(repo) = self.repos.get_mut(&root) {
                let until = repo.settings.snooze_until(minutes, now);
                repo.snoozed_until = Some(until);
                last_until = last_until.max(until);
                self.publish(&root);
            }
        }
        let outcome = Outcome::Snoozed {
            until_unix: last_until,
        };
        self.effect(Effect::reply(reply, Ok(outcome)));
    }

    /// The text of the open document at `root`/`path`, if one is open.
    fn open_text(&self, root: &Path, path: &str) -> Option<Arc<String>> {
        let path = root.join(path);
        self.docs
            .values()
            .find(|d| d.path == path)
            .map(|d| d.text.clone())
    }

    /// Finds the repository a command names and runs its job there, or answers why not.
    pub(super) fn run_in(&mut self, root: PathBuf, reply: Reply, job: impl Into<Job>) {
        let root = match self.tracked_root_at(&root) {
            Some(known) => known,
            None => match crate::git::discover(&root) {
                // A repository the workspace does not track is worked on all the same.
                Ok(info) => self.tracked_root_at(&info.root).unwrap_or(info.root),
                Err(error) => {
                    self.effect(Effect::reply(reply, Err(Error::Root(error))));
                    return;
                }
            },
        };
        self.start_job(Some(reply), root, job);
    }

    /// The tracked repository whose root is `path` (spelled as given or resolved).
    fn tracked_root_at(&self, path: &Path) -> Option<PathBuf> {
        let resolved = crate::git::repo::canonical(path);
        self.tracked_root(path)
            .filter(|known| known == path || *known == resolved)
    }

    /// Starts a job on the repository at `root`: a git job on the repository the counts keep
    /// open (when the workspace tracks it), a planner's job on one of its own.
    pub(super) fn start_job(
        &mut self,
        reply: Option<Reply>,
        root: PathBuf,
        job: impl Into<Job>,
    ) -> u64 {
        let job = job.into();
        let ticket = self.ticket();
        self.running.insert(
            ticket,
            Running {
                root: root.clone(),
                reply,
                doc: None,
                writes: job.writes(),
                preview: matches!(job, Job::Plan(PlanJob::Preview { .. })),
                absorb_preview: matches!(job, Job::Absorb(AbsorbJob::Preview { .. })),
            },
        );
        let effect = match job {
            Job::Git(job) => {
                let repo = self
                    .repos
                    .get(&root)
                    .map(|r| r.git.clone())
                    .unwrap_or_default();
                Effect::Run {
                    ticket,
                    root,
                    repo,
                    job,
                }
            }
            Job::Plan(job) => Effect::Plan { ticket, root, job },
            Job::Absorb(job) => Effect::Absorb { ticket, root, job },
        };
        self.effect(effect);
        ticket
    }

    /// A command's git work finished: counts again what it changed, then answers.
    pub(super) fn ran(&mut self, ticket: u64, result: Result<JobOutput, Error>) {
        let Some(running) = self.running.remove(&ticket) else {
            return;
        };
        if running.preview {
            match result {
                Ok(JobOutput::Preview { key, commits }) => {
                    self.previewed(&running.root, Some(key), commits)
                }
                Ok(_) => self.previewed(&running.root, None, 0),
                Err(error) => {
                    super::plans::log_preview_failure(&running.root, &error);
                    self.previewed(&running.root, None, 0);
                }
            }
            return;
        }
        if running.absorb_preview {
            match result {
                Ok(JobOutput::AbsorbPreview { key, report }) => {
                    self.absorb_previewed(&running.root, Some(key), report)
                }
                Ok(_) => self.absorb_previewed(&running.root, None, None),
                Err(error) => {
                    super::plans::log_preview_failure(&running.root, &error);
                    self.absorb_previewed(&running.root, None, None);
                }
            }
            return;
        }
        // The hunks of a document are a read: answered at once, not behind outputs.
        let read = running.doc.is_some();
        if running.writes {
            // Even a refused write may have raced another git: count the repository again.
            self.files_changed(vec![running.root.clone()]);
        }
        let outcome = match result {
            Ok(JobOutput::Done) => Ok(Outcome::Done),
            Ok(JobOutput::Committed(commit)) => Ok(Outcome::Committed(commit)),
            Ok(JobOutput::EmptyMessage) => {
                self.emit(Output::Warning(
                    "commit-nudge: the commit message is empty; nothing was committed".to_string(),
                ));
                return;
            }
            Ok(JobOutput::CommitMessage(path)) => {
                self.commit_documents.retain(|(f, _)| f != &path);
                self.commit_documents
                    .push((path.clone(), running.root.clone()));
                Ok(Outcome::CommitMessage { path })
            }
            Ok(JobOutput::Hunks(hunks)) => match running.doc {
                Some(doc) => Ok(Outcome::Hunks(Some(Box::new((*doc, hunks))))),
                None => Ok(Outcome::Hunks(None)),
            },
            Ok(JobOutput::Plan { document, plan }) => {
                Ok(self.plan_opened(&running.root, document, plan))
            }
            Ok(JobOutput::Applied(outcome)) => {
                self.plan_applied(&running.root);
                Ok(Outcome::Applied(outcome))
            }
            Ok(JobOutput::AbsorbDocument { document, report }) => {
                Ok(self.absorb_opened(&running.root, document, report))
            }
            Ok(JobOutput::Absorbed(outcome)) => {
                self.absorb_applied(&running.root);
                Ok(Outcome::Absorbed(outcome))
            }
            // Only background work gives a preview, and it was handled above.
            Ok(JobOutput::Preview { .. } | JobOutput::AbsorbPreview { .. }) => Ok(Outcome::Done),
            Err(error) => Err(error),
        };
        match running.reply {
            Some(reply) if read => self.effect(Effect::Answer(reply, outcome)),
            Some(reply) => self.effect(Effect::reply(reply, outcome)),
            // A commit from the saved commit-message document: the user reads the result here.
            None => match outcome {
                Ok(Outcome::Committed(commit)) => self.emit(Output::Info(format!(
                    "commit-nudge: committed {}",
                    commit.summary
                ))),
                Ok(Outcome::Applied(outcome)) => {
                    self.emit(Output::Info(State::applied_message(&outcome)))
                }
                Ok(Outcome::Absorbed(outcome)) => {
                    self.emit(Output::Info(format!("commit-nudge: {}", outcome.message())))
                }
                Ok(_) => {}
                Err(error) => self.emit(Output::Failure(format!("commit-nudge: {error}"))),
            },
        }
    }
}
