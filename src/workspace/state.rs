//! The engine's state and `State::handle`, which applies one event and returns the effects it
//! calls for. Every piece of long-lived state of the workspace lives here.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::effect::Effect;
use super::effect::SharedRepo;
use super::publish::Cadence;
use super::recount::Cycle;
use super::waiting::{RefreshWaiter, Waiter};
use super::watch::SharedStamp;
use super::{DocId, Event, Options, Output, PlacedNudge};
use crate::config::Settings;
use crate::git::{RepoCounts, RepoInfo};
use crate::report::{BufferCounts, StatusReport};

/// One repository of the workspace.
pub(super) struct Repo {
    pub(super) info: RepoInfo,
    /// The settings in effect: the editor's, with the repository's own file.
    pub(super) settings: Settings,
    /// The latest count, once there is one.
    pub(super) counts: Option<Arc<RepoCounts>>,
    /// What waits to be counted, and the count running.
    pub(super) cycle: Cycle,
    /// The status last sent.
    pub(super) last_report: Option<StatusReport>,
    pub(super) snoozed_until: Option<i64>,
    /// The settings problems last shown, so that they are shown once.
    pub(super) reported_problems: Vec<String>,
    /// The last count error shown, so that it is not shown again and again.
    pub(super) last_error: Option<String>,
    /// The server's own watcher runs for this repository.
    pub(super) watched: bool,
    /// The repository kept open between jobs, so that its index is parsed again only when it
    /// changes on disk (libgit2 reloads it then).
    pub(super) git: SharedRepo,
    /// The line limit learned from history, and the HEAD it was learned at.
    pub(super) learned: Option<(Option<String>, crate::habit::LearnedLines)>,
    /// A history job is running.
    pub(super) learning: bool,
    /// Freshness queries not answered yet.
    pub(super) waiters: Vec<Waiter>,
    /// The index stamp of the latest count, shared with the watcher.
    pub(super) stamp: SharedStamp,
}

impl Repo {
    /// Whether a count is due, running or about to run, or the history is being read.
    pub(super) fn busy(&self) -> bool {
        self.cycle.due.any() || self.cycle.counting || self.learning
    }
}

/// One open document.
pub(super) struct Doc {
    /// The file, its symlinks resolved (what it counts as).
    pub(super) path: PathBuf,
    /// The path the editor named it by (a symlink, or through one, when it differs from `path`).
    pub(super) opened_as: PathBuf,
    pub(super) root: Option<PathBuf>,
    pub(super) rel_path: Option<String>,
    pub(super) version: i32,
    pub(super) text: Arc<String>,
    /// The buffer's counts while its text differs from the disk.
    pub(super) buffer: Option<BufferCounts>,
    /// The file's HEAD and index versions, kept until the index or HEAD changes.
    pub(super) base: Option<Arc<crate::git::buffer::BufferBase>>,
    /// Since when the text has differed from the disk.
    pub(super) unsaved_since: Option<i64>,
    /// When it was last opened or edited, in the order of events.
    pub(super) touched: u64,
    /// The nudges last sent for it.
    pub(super) published: Vec<PlacedNudge>,
    /// Buffer diffs started and finished (a refresh waits for those it started).
    pub(super) diffs_started: u64,
    pub(super) diffs_done: u64,
}

/// The workspace state. `handle` applies one event and returns without waiting.
pub(crate) struct State {
    pub(super) options: Options,
    pub(super) settings: Settings,
    pub(super) folders: Vec<PathBuf>,
    pub(super) repos: BTreeMap<PathBuf, Repo>,
    pub(super) docs: HashMap<DocId, Doc>,
    pub(super) touch_clock: u64,
    pub(super) warned_paths: Vec<PathBuf>,
    /// Commands waiting for their git work, by ticket.
    pub(super) running: HashMap<u64, super::commands::Running>,
    pub(super) next_ticket: u64,
    /// Commit-message documents written for the user: file → worktree root.
    pub(super) commit_documents: Vec<(PathBuf, PathBuf)>,
    /// Commit plans: open documents and background plans.
    pub(super) plans: super::plans::Plans,
    /// Absorb: open documents and background reports.
    pub(super) absorbs: super::absorbs::Absorbs,
    /// Refreshes waiting for the counts they started.
    pub(super) refreshes: Vec<RefreshWaiter>,
    /// When to offer the next step.
    pub(super) cadence: Cadence,
    /// The effects of the event being handled, in order.
    effects: Vec<Effect>,
}

impl State {
    pub(crate) fn new(options: Options) -> State {
        State {
            options,
            settings: Settings::default(),
            folders: Vec::new(),
            repos: BTreeMap::new(),
            docs: HashMap::new(),
            touch_clock: 0,
            warned_paths: Vec::new(),
            running: HashMap::new(),
            next_ticket: 0,
            commit_documents: Vec::new(),
            plans: Default::default(),
            absorbs: Default::default(),
            refreshes: Vec::new(),
            cadence: Cadence::default(),
            effects: Vec::new(),
        }
    }

    /// Applies one event; returns the effects it calls for, in order.
    pub(crate) fn handle(&mut self, event: Event) -> Vec<Effect> {
        match event {
            Event::Configure(settings) => {
                self.settings = settings;
                for root in self.roots() {
                    self.request_count(&root);
                }
                self.recount_buffers();
                self.emit(Output::CodeLensRefresh);
            }
            Event::AddFolders(folders) => {
                for folder in folders {
                    if !self.folders.contains(&folder) {
                        self.folders.push(folder.clone());
                    }
                    self.ensure_repo_for(&folder, true);
                }
            }
            Event::RemoveFolders(folders) => {
                self.folders.retain(|f| !folders.contains(f));
                self.drop_unused_repos();
            }
            Event::Opened {
                doc,
                path,
                version,
                text,
            } => self.opened(doc, path, version, text),
            Event::Changed { doc, version, text } => self.changed(doc, version, text),
            Event::Saved { doc, path } => self.saved(&doc, &path),
            Event::Closed { doc } => self.closed(doc),
            Event::FilesChanged(paths) => self.files_changed(paths),
            Event::Watched { changed, written } => self.watched(changed, written),
            Event::Rearm(root) => self.rearm(&root),
            Event::Command { command, reply } => self.command(command, reply),
            Event::Query(query) => self.answer(query),
            Event::Counted {
                root,
                generation,
                result,
            } => self.counted(root, generation, *result),
            Event::BufferCounted {
                doc,
                version,
                result,
            } => self.buffer_counted(doc, version, result),
            Event::Learned { root, head, result } => self.learned(root, head, result),
            Event::Ran { ticket, result } => self.ran(ticket, result),
            Event::Flush(root) => self.flush(&root),
            Event::Unwatched(root) => {
                if let Some(repo) = self.repos.get_mut(&root) {
                    repo.watched = false;
                }
            }
            Event::Barrier(name) => self.barrier(&name),
            Event::Tick => {
                for root in self.roots() {
                    self.publish(&root);
                }
            }
        }
        self.answer_refreshes();
        std::mem::take(&mut self.effects)
    }

    pub(super) fn effect(&mut self, effect: Effect) {
        self.effects.push(effect);
    }

    pub(super) fn emit(&mut self, output: Output) {
        self.effects.push(Effect::output(output));
    }

    pub(super) fn now(&self) -> i64 {
        (self.options.now)()
    }

    pub(super) fn roots(&self) -> Vec<PathBuf> {
        self.repos.keys().cloned().collect()
    }

    fn warn_once(&mut self, key: PathBuf, message: String) {
        if !self.warned_paths.contains(&key) {
            self.warned_paths.push(key);
            self.emit(Output::Warning(message));
        }
    }

    /// The root of the deepest known repository holding `path`.
    pub(super) fn known_root(&self, path: &Path) -> Option<PathBuf> {
        self.repos
            .keys()
            .filter(|root| path.starts_with(root))
            .max_by_key(|root| root.as_os_str().len())
            .cloned()
    }

    /// The root of the tracked repository holding `path`, spelled as given or through its
    /// symlinks resolved (the workspace keeps resolved paths).
    pub(super) fn tracked_root(&self, path: &Path) -> Option<PathBuf> {
        self.known_root(path)
            .or_else(|| self.known_root(&crate::git::repo::canonical(path)))
    }

    /// Finds (or starts tracking) the repository containing `path`; returns its root.
    pub(super) fn ensure_repo_for(&mut self, path: &Path, from_folder: bool) -> Option<PathBuf> {
        if let Some(known) = self.known_root(path) {
            // A nested repository deeper than the known one is discovered below; without a
            // `.git` between them there is none, and nothing is read.
            if !nested_git_between(&known, path) {
                return Some(known);
            }
        }
        let info = match crate::git::discover(path) {
            Ok(info) => info,
            Err(crate::git::GitError::NotARepository(_)) => {
                if from_folder {
                    tracing::info!(
                        "workspace folder {} is not in a git repository",
                        path.display()
                    );
                }
                return None;
            }
            Err(error) => {
                self.warn_once(
                    path.to_path_buf(),
                    format!(
                        "commit-nudge cannot read the repository at {}: {error}",
                        path.display()
                    ),
                );
                return None;
            }
        };
        let root = info.root.clone();
        if !self.repos.contains_key(&root) {
            let stamp = SharedStamp::default();
            if self.options.watch_files {
                self.effect(Effect::Watch {
                    info: info.clone(),
                    stamp: stamp.clone(),
                });
            }
            self.repos.insert(
                root.clone(),
                Repo {
                    info,
                    settings: self.settings.clone(),
                    counts: None,
                    cycle: Cycle::default(),
                    last_report: None,
                    snoozed_until: None,
                    reported_problems: Vec::new(),
                    last_error: None,
                    watched: self.options.watch_files,
                    git: SharedRepo::default(),
                    learned: None,
                    learning: false,
                    waiters: Vec::new(),
                    stamp,
                },
            );
            self.request_count(&root);
        }
        Some(root)
    }

    /// Follows a worktree made anew at the same root: new watches, the repository opened
    /// afresh, and a full count (nothing of the old repository's counts is reused).
    fn rearm(&mut self, root: &Path) {
        let info = match crate::git::discover(root) {
            Ok(info) if info.root == root => Some(info),
            _ => None,
        };
        let watch_files = self.options.watch_files;
        let Some(repo) = self.repos.get_mut(root) else {
            return;
        };
        tracing::info!(
            "{} was made anew: watching and counting it again",
            root.display()
        );
        if let Some(info) = info {
            repo.info = info;
        }
        repo.git = SharedRepo::default();
        repo.stamp = SharedStamp::default();
        repo.counts = None;
        repo.learned = None;
        let (info, stamp, watched) = (repo.info.clone(), repo.stamp.clone(), repo.watched);
        repo.watched = watch_files;
        // The old watcher goes first, so that the new one's watches are not shared with it.
        if watched {
            self.effect(Effect::Unwatch(root.to_path_buf()));
        }
        if watch_files {
            self.effect(Effect::Watch { info, stamp });
        }
        for doc in self.docs.values_mut() {
            if doc.root.as_deref() == Some(root) {
                doc.base = None;
            }
        }
        self.request_count(root);
        self.recount_buffers();
    }

    /// Forgets the repositories no folder and no open document is in (their watchers stop).
    pub(super) fn drop_unused_repos(&mut self) {
        for root in self.roots() {
            let has_folder = self
                .folders
                .iter()
                .any(|f| f.starts_with(&root) || root.starts_with(f));
            let has_doc = self.docs.values().any(|d| d.root.as_ref() == Some(&root));
            if !has_folder && !has_doc {
                if let Some(repo) = self.repos.remove(&root) {
                    if repo.watched {
                        self.effect(Effect::Unwatch(root));
                    }
                }
            }
        }
    }

    /// A new ticket for a command's git work.
    pub(super) fn ticket(&mut self) -> u64 {
        self.next_ticket += 1;
        self.next_ticket
    }
}

/// Whether a `.git` lies in a directory from `path` (or its parent, for a file) up to, not
/// including, `root`: a nested repository that must be discovered.
fn nested_git_between(root: &Path, path: &Path) -> bool {
    path.ancestors()
        .take_while(|dir| *dir != root && dir.starts_with(root))
        .any(|dir| dir.join(".git").symlink_metadata().is_ok())
}
