//! Live state of every repository in the editor's workspace, owned by one task.
//!
//! Events (documents opened, edited, saved, files changed on disk, settings) arrive in order on one
//! channel and are applied by `State::handle`, which never waits: git work runs on the blocking
//! pool and comes back as another event carrying a generation or document version, so stale
//! results are dropped. What the editor should show leaves as `Output`s, in order.

mod jobs;
mod watch;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use crate::config::Settings;
use crate::git::{RepoCounts, RepoInfo};
use crate::nudge::Nudge;
use crate::report::{self, BufferCounts, Effective, StatusReport};

pub use jobs::{BufferResult, CountResult, Scope};

/// The directories the server's own watcher watches in the worktree at `root` (for tests and
/// diagnostics): everything but `.git/objects`, logs, hooks, and ignored trees with no tracked
/// file; which trees hold tracked files is read from the index itself, or with `from_stamp` from
/// an index stamp, as after the first count.
pub fn watched_dirs(root: &Path, from_stamp: bool) -> Vec<PathBuf> {
    let repo = crate::git::open_worktree(root).ok();
    let stamp = from_stamp
        .then(|| repo.as_ref()?.index().ok())
        .flatten()
        .map(|index| Arc::new(crate::git::stamp::IndexStamp::of(&index)));
    let repo = repo.map(std::sync::Mutex::new);
    watch::watched_dirs_under(root, root, repo.as_ref(), stamp)
}

/// Above this many changed paths in one burst, a full count replaces the per-path one.
const MAX_PARTIAL_PATHS: usize = 256;

/// The client's name for an open document (its URI), opaque to this room.
pub type DocId = String;

/// How the workspace behaves; tests shorten the debounce and fix the clock.
#[derive(Clone)]
pub struct Options {
    /// How long to gather a burst of changes before re-counting (the bound on the delay).
    pub debounce: Duration,
    /// How often to re-evaluate the nudges with no event (ages grow with time alone).
    pub tick: Duration,
    /// Watch each repository with the server's own file watcher.
    pub watch_files: bool,
    /// The clock, in Unix seconds.
    pub now: fn() -> i64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            debounce: Duration::from_millis(60),
            tick: Duration::from_secs(30),
            watch_files: true,
            now: crate::unix_now,
        }
    }
}

/// Something that happened, fed to the workspace in order.
#[derive(Debug)]
pub enum Event {
    /// The editor's settings changed (already parsed; problems already reported).
    Configure(Settings),
    AddFolders(Vec<PathBuf>),
    RemoveFolders(Vec<PathBuf>),
    Opened {
        doc: DocId,
        path: PathBuf,
        version: i32,
        text: String,
    },
    Changed {
        doc: DocId,
        version: i32,
        text: String,
    },
    Saved {
        doc: DocId,
    },
    Closed {
        doc: DocId,
    },
    /// Files changed on disk (from the client's watcher or our own).
    FilesChanged(Vec<PathBuf>),
    /// Re-count every repository now.
    Refresh,
    /// Hide a repository's nudges until `until_unix`.
    Snooze {
        root: PathBuf,
        until_unix: i64,
    },
    /// A request wants an owned snapshot of one document's context.
    Query(Query),
    /// Internal: a count finished.
    Counted {
        root: PathBuf,
        generation: u64,
        result: Box<CountResult>,
    },
    /// Internal: a buffer diff finished.
    BufferCounted {
        doc: DocId,
        version: i32,
        result: BufferResult,
    },
    /// Internal: the line limit learned from the author's history at `head`.
    Learned {
        root: PathBuf,
        head: Option<String>,
        result: Result<crate::habit::LearnedLines, String>,
    },
    /// Internal: the debounce of a repository ran out.
    Flush(PathBuf),
    /// Internal: a barrier file appeared in a repository's git directory (see `Query::Fresh`):
    /// every change made on disk before it was written has been seen. Holds the file's name.
    Barrier(String),
    /// Internal: time passed.
    Tick,
}

/// Requests answered from the state.
#[derive(Debug)]
pub enum Query {
    /// The context of an open document, for code actions and lenses.
    Document {
        doc: DocId,
        reply: oneshot::Sender<Option<DocSnapshot>>,
    },
    /// The text of the open document at `path`, if one is open.
    Text {
        path: PathBuf,
        reply: oneshot::Sender<Option<Arc<String>>>,
    },
    /// The repository root and settings for a path or, with `None`, the only/first repository.
    Repository {
        path: Option<PathBuf>,
        reply: oneshot::Sender<Option<RepoSnapshot>>,
    },
    /// The status of the repository at `root` once it counts every change made before this
    /// query: the asker writes a file named `barrier` into the git directory right after sending
    /// it, and the answer waits until the watcher has delivered that file's creation (events of
    /// one watcher arrive in order) and the counts it made due are done.
    Fresh {
        root: PathBuf,
        barrier: String,
        reply: oneshot::Sender<Fresh>,
    },
}

/// The answer to `Query::Fresh`.
#[derive(Debug, Clone)]
pub enum Fresh {
    /// Up to date with everything on disk before the barrier.
    Ready(Box<StatusReport>),
    /// This workspace cannot vouch for its numbers (why, for the log): count afresh instead.
    Unsure(String),
}

/// The start of the name of the barrier files of `Query::Fresh`.
pub const BARRIER_PREFIX: &str = "commit-nudge-barrier.";

/// A `Query::Fresh` waiting for its barrier, then for the counts it made due.
struct Waiter {
    barrier: String,
    seen: bool,
    reply: oneshot::Sender<Fresh>,
}

/// An owned copy of what a request needs to know about one document.
#[derive(Debug, Clone)]
pub struct DocSnapshot {
    pub root: PathBuf,
    pub rel_path: String,
    pub text: Arc<String>,
    pub version: i32,
    pub settings: Settings,
    pub report: Option<StatusReport>,
    /// Whether the document's text differs from the file on disk (unsaved edits).
    pub dirty: bool,
    /// Whether the document holds uncommitted changes (against HEAD).
    pub file_changed: bool,
    /// The document's added and removed lines against HEAD.
    pub file_stat: (u64, u64),
}

/// An owned copy of what a request needs to know about one repository.
#[derive(Debug, Clone)]
pub struct RepoSnapshot {
    pub root: PathBuf,
    pub settings: Settings,
    pub report: Option<StatusReport>,
}

/// A nudge placed on a line of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacedNudge {
    pub line: u32,
    pub nudge: Nudge,
}

/// What the editor should show, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// The complete set of nudge diagnostics for a document (empty clears them).
    Diagnostics { doc: DocId, items: Vec<PlacedNudge> },
    /// A repository's status changed.
    Status(Box<StatusReport>),
    /// A problem the user should read once (bad settings, a repository that cannot be read).
    Warning(String),
    /// Code lenses may have changed.
    CodeLensRefresh,
    /// The first count of a repository began (for `$/progress`).
    ScanStarted(PathBuf),
    /// The first count of a repository ended.
    ScanFinished(PathBuf),
}

/// Starts the task that owns the workspace state; returns the channel that feeds it.
pub fn spawn(options: Options, out: mpsc::UnboundedSender<Output>) -> mpsc::UnboundedSender<Event> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut state = State::new(options.clone(), out, tx.clone());
    tokio::spawn(async move {
        while let Some(event) = rx.recv().await {
            // A bug in one event's handling is logged and the workspace keeps serving.
            let outcome =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| state.handle(event)));
            if outcome.is_err() {
                tracing::error!(
                    "a workspace event panicked; the state is kept and the server goes on"
                );
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

struct Repo {
    info: RepoInfo,
    settings: Settings,
    counts: Option<Arc<RepoCounts>>,
    generation: u64,
    in_flight: bool,
    /// A full count is due.
    dirty: bool,
    /// The index, HEAD or refs changed (when no full count is due).
    git_changed: bool,
    /// Working-tree paths to re-count (when no full count is due).
    dirty_paths: BTreeSet<String>,
    flush_scheduled: bool,
    last_report: Option<StatusReport>,
    snoozed_until: Option<i64>,
    reported_problems: Vec<String>,
    watcher: Option<watch::RepoWatcher>,
    /// The repository kept open between counts, so that its index is parsed again only when it
    /// changes on disk (libgit2 reloads it then).
    git: jobs::SharedRepo,
    /// The line limit learned from history, and the HEAD it was learned at.
    learned: Option<(Option<String>, crate::habit::LearnedLines)>,
    /// A history job is running.
    learning: bool,
    /// The last count error shown, so that it is not shown again and again.
    last_error: Option<String>,
    /// Freshness queries not answered yet.
    waiters: Vec<Waiter>,
    /// The index stamp of the latest count, shared with the watcher.
    stamp: watch::SharedStamp,
}

impl Repo {
    /// Whether anything waits to be counted.
    fn has_pending(&self) -> bool {
        self.dirty || self.git_changed || !self.dirty_paths.is_empty()
    }
}

struct Doc {
    path: PathBuf,
    root: Option<PathBuf>,
    rel_path: Option<String>,
    version: i32,
    text: Arc<String>,
    buffer: Option<BufferCounts>,
    /// The file's HEAD and index versions, kept until the index or HEAD changes.
    base: Option<Arc<crate::git::buffer::BufferBase>>,
    dirty_since: Option<i64>,
    touched: u64,
    published: Vec<PlacedNudge>,
}

/// The workspace state. Every method runs on the owning task and returns without waiting.
struct State {
    options: Options,
    settings: Settings,
    folders: Vec<PathBuf>,
    repos: BTreeMap<PathBuf, Repo>,
    docs: HashMap<DocId, Doc>,
    out: mpsc::UnboundedSender<Output>,
    tx: mpsc::UnboundedSender<Event>,
    touch_clock: u64,
    warned_paths: Vec<PathBuf>,
}

impl State {
    fn new(
        options: Options,
        out: mpsc::UnboundedSender<Output>,
        tx: mpsc::UnboundedSender<Event>,
    ) -> State {
        State {
            options,
            settings: Settings::default(),
            folders: Vec::new(),
            repos: BTreeMap::new(),
            docs: HashMap::new(),
            out,
            tx,
            touch_clock: 0,
            warned_paths: Vec::new(),
        }
    }

    fn handle(&mut self, event: Event) {
        match event {
            Event::Configure(settings) => {
                self.settings = settings;
                let roots: Vec<PathBuf> = self.repos.keys().cloned().collect();
                for root in roots {
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
            } => {
                let root = self.ensure_repo_for(&path, false);
                let rel_path = root
                    .as_ref()
                    .and_then(|r| crate::git::repo::relative_path(r, &path));
                self.touch_clock += 1;
                let text = Arc::new(text);
                self.docs.insert(
                    doc.clone(),
                    Doc {
                        path,
                        root: root.clone(),
                        rel_path,
                        version,
                        text,
                        buffer: None,
                        base: None,
                        dirty_since: None,
                        touched: self.touch_clock,
                        published: Vec::new(),
                    },
                );
                self.count_buffer(&doc);
                if let Some(root) = root {
                    self.publish(&root);
                }
            }
            Event::Changed { doc, version, text } => {
                self.touch_clock += 1;
                let touched = self.touch_clock;
                if let Some(entry) = self.docs.get_mut(&doc) {
                    entry.version = version;
                    entry.text = Arc::new(text);
                    entry.touched = touched;
                    self.count_buffer(&doc);
                }
            }
            Event::Saved { doc } => {
                if let Some(entry) = self.docs.get_mut(&doc) {
                    entry.buffer = None;
                    entry.dirty_since = None;
                    if let (Some(root), Some(rel_path)) =
                        (entry.root.clone(), entry.rel_path.clone())
                    {
                        self.request_paths(&root, [rel_path].into());
                    }
                }
            }
            Event::Closed { doc } => {
                if let Some(entry) = self.docs.remove(&doc) {
                    if !entry.published.is_empty() {
                        self.emit(Output::Diagnostics {
                            doc,
                            items: Vec::new(),
                        });
                    }
                    if let Some(root) = entry.root {
                        self.publish(&root);
                    }
                    self.drop_unused_repos();
                }
            }
            Event::FilesChanged(paths) => self.files_changed(paths),
            Event::Refresh => {
                let roots: Vec<PathBuf> = self.repos.keys().cloned().collect();
                for root in roots {
                    self.request_count(&root);
                }
                self.recount_buffers();
            }
            Event::Snooze { root, until_unix } => {
                if let Some(repo) = self.repos.get_mut(&root) {
                    repo.snoozed_until = Some(until_unix);
                    self.publish(&root);
                }
            }
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
            Event::Flush(root) => self.flush(&root),
            Event::Barrier(name) => {
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
            Event::Learned { root, head, result } => {
                if let Some(repo) = self.repos.get_mut(&root) {
                    repo.learning = false;
                    match result {
                        Ok(learned) => repo.learned = Some((head, learned)),
                        Err(message) => tracing::warn!(
                            "could not read the history of {}: {message}",
                            root.display()
                        ),
                    }
                    self.publish(&root);
                    self.answer_fresh(&root);
                }
            }
            Event::Tick => {
                let roots: Vec<PathBuf> = self.repos.keys().cloned().collect();
                for root in roots {
                    self.publish(&root);
                }
            }
        }
    }

    fn emit(&self, output: Output) {
        // The receiver only goes away when the server is shutting down.
        let _ = self.out.send(output);
    }

    fn warn_once(&mut self, key: PathBuf, message: String) {
        if !self.warned_paths.contains(&key) {
            self.warned_paths.push(key);
            self.emit(Output::Warning(message));
        }
    }

    /// Finds (or starts tracking) the repository containing `path`; returns its root.
    fn ensure_repo_for(&mut self, path: &Path, from_folder: bool) -> Option<PathBuf> {
        if let Some(root) = self
            .repos
            .keys()
            .filter(|root| path.starts_with(root))
            .max_by_key(|root| root.as_os_str().len())
        {
            // A nested repository deeper than the known one is discovered below.
            let known = root.clone();
            match crate::git::discover(path) {
                Ok(info) if info.root != known => {}
                _ => return Some(known),
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
            let stamp = watch::SharedStamp::default();
            let watcher = if self.options.watch_files {
                match watch::RepoWatcher::start(&info, self.tx.clone(), stamp.clone()) {
                    Ok(watcher) => Some(watcher),
                    Err(error) => {
                        tracing::warn!(
                            "cannot watch {}: {error}; relying on editor events",
                            root.display()
                        );
                        None
                    }
                }
            } else {
                None
            };
            self.repos.insert(
                root.clone(),
                Repo {
                    info,
                    settings: self.settings.clone(),
                    counts: None,
                    generation: 0,
                    in_flight: false,
                    dirty: false,
                    git_changed: false,
                    dirty_paths: BTreeSet::new(),
                    flush_scheduled: false,
                    last_report: None,
                    snoozed_until: None,
                    reported_problems: Vec::new(),
                    watcher,
                    git: jobs::SharedRepo::default(),
                    learned: None,
                    learning: false,
                    last_error: None,
                    waiters: Vec::new(),
                    stamp,
                },
            );
            self.request_count(&root);
        }
        Some(root)
    }

    fn drop_unused_repos(&mut self) {
        let used: Vec<PathBuf> = self.repos.keys().cloned().collect();
        for root in used {
            let has_folder = self
                .folders
                .iter()
                .any(|f| f.starts_with(&root) || root.starts_with(f));
            let has_doc = self.docs.values().any(|d| d.root.as_ref() == Some(&root));
            if !has_folder && !has_doc {
                self.repos.remove(&root);
            }
        }
    }

    /// Sorts changed paths by repository: a change to the index, HEAD or refs re-counts what
    /// they touch; a working-tree change re-counts only its paths; a change to what decides the
    /// rules (ignore files, attributes, git's config, settings) re-counts everything.
    fn files_changed(&mut self, paths: Vec<PathBuf>) {
        let mut full: Vec<PathBuf> = Vec::new();
        let mut git: Vec<PathBuf> = Vec::new();
        let mut partial: BTreeMap<PathBuf, BTreeSet<String>> = BTreeMap::new();
        for path in &paths {
            for (root, repo) in &self.repos {
                let in_git_dir = [&repo.info.git_dir, &repo.info.common_dir]
                    .into_iter()
                    .find_map(|dir| path.strip_prefix(dir).ok());
                if in_git_dir.is_none() && path != root && !path.starts_with(root) {
                    continue;
                }
                match in_git_dir {
                    Some(inside) if !changes_git_rules(inside) => git.push(root.clone()),
                    Some(_) => full.push(root.clone()),
                    None => match crate::git::repo::relative_path(root, path) {
                        Some(rel) if !changes_rules(&rel) => {
                            partial.entry(root.clone()).or_default().insert(rel);
                        }
                        _ => full.push(root.clone()),
                    },
                }
            }
        }
        full.sort();
        full.dedup();
        git.sort();
        git.dedup();
        // A full count covers what a git-directory change would re-count.
        git.retain(|root| !full.contains(root));
        for root in &full {
            self.request_count(root);
        }
        for root in &git {
            if let Some(repo) = self.repos.get_mut(root) {
                repo.git_changed = true;
            }
            self.schedule_flush(root);
        }
        for root in full.iter().chain(&git) {
            // HEAD or the index may have moved under open buffers: re-read their bases.
            let docs: Vec<DocId> = self
                .docs
                .iter_mut()
                .filter(|(_, d)| d.root.as_ref() == Some(root))
                .map(|(id, d)| {
                    d.base = None;
                    id.clone()
                })
                .collect();
            for doc in docs {
                if self.docs.get(&doc).is_some_and(|d| d.buffer.is_some()) {
                    self.count_buffer(&doc);
                }
            }
        }
        for (root, rels) in partial {
            self.request_paths(&root, rels);
        }
    }

    fn recount_buffers(&mut self) {
        let docs: Vec<DocId> = self.docs.keys().cloned().collect();
        for doc in docs {
            self.count_buffer(&doc);
        }
    }

    /// Marks a repository for a full count after the debounce; bursts gather into one count.
    fn request_count(&mut self, root: &Path) {
        let Some(repo) = self.repos.get_mut(root) else {
            return;
        };
        repo.dirty = true;
        repo.dirty_paths.clear();
        self.schedule_flush(root);
    }

    /// Marks working-tree paths for re-counting after the debounce.
    fn request_paths(&mut self, root: &Path, paths: BTreeSet<String>) {
        let Some(repo) = self.repos.get_mut(root) else {
            return;
        };
        if !repo.dirty {
            repo.dirty_paths.extend(paths);
            // Many paths at once (a checkout, a build): one full count is cheaper and exact.
            if repo.dirty_paths.len() > MAX_PARTIAL_PATHS {
                repo.dirty = true;
                repo.dirty_paths.clear();
            }
        }
        self.schedule_flush(root);
    }

    /// Starts the debounce timer, unless one is running: the first event bounds the delay.
    fn schedule_flush(&mut self, root: &Path) {
        let Some(repo) = self.repos.get_mut(root) else {
            return;
        };
        if !repo.flush_scheduled {
            repo.flush_scheduled = true;
            let tx = self.tx.clone();
            let root = root.to_path_buf();
            let delay = self.options.debounce;
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                let _ = tx.send(Event::Flush(root));
            });
        }
    }

    fn flush(&mut self, root: &Path) {
        let base = self.settings.clone();
        let Some(repo) = self.repos.get_mut(root) else {
            return;
        };
        repo.flush_scheduled = false;
        if repo.in_flight || !repo.has_pending() {
            return;
        }
        let scope = if repo.dirty || repo.counts.is_none() {
            Scope::Full
        } else if repo.git_changed {
            Scope::GitDir(std::mem::take(&mut repo.dirty_paths))
        } else {
            Scope::Paths(std::mem::take(&mut repo.dirty_paths))
        };
        repo.dirty = false;
        repo.git_changed = false;
        repo.dirty_paths.clear();
        repo.in_flight = true;
        repo.generation += 1;
        let first = repo.counts.is_none();
        jobs::spawn_count(
            root.to_path_buf(),
            repo.generation,
            base,
            scope,
            repo.counts.clone(),
            repo.git.clone(),
            self.tx.clone(),
        );
        if first {
            self.emit(Output::ScanStarted(root.to_path_buf()));
        }
    }

    fn counted(&mut self, root: PathBuf, generation: u64, result: CountResult) {
        let Some(repo) = self.repos.get_mut(&root) else {
            return;
        };
        if generation != repo.generation {
            return;
        }
        repo.in_flight = false;
        let mut warnings = Vec::new();
        match result {
            Ok((counts, parsed)) => {
                // A commit ends a snooze.
                if repo.counts.as_ref().map(|c| &c.head) != Some(&counts.head)
                    && repo.counts.is_some()
                {
                    repo.snoozed_until = None;
                }
                repo.settings = parsed.settings;
                if parsed.problems != repo.reported_problems {
                    warnings.extend(parsed.problems.iter().cloned());
                    repo.reported_problems = parsed.problems;
                }
                *repo.stamp.lock().unwrap_or_else(|p| p.into_inner()) = counts.index_stamp.clone();
                repo.counts = Some(Arc::new(counts));
                repo.last_error = None;
            }
            Err(message) => {
                // A repository that stays broken is reported once, not at every event.
                let warning = format!("commit-nudge could not count {}: {message}", root.display());
                if repo.last_error.as_ref() != Some(&warning) {
                    repo.last_error = Some(warning.clone());
                    warnings.push(warning);
                }
            }
        }
        let again = repo.has_pending();
        let first = repo.last_report.is_none();
        for warning in warnings {
            self.emit(Output::Warning(warning));
        }
        if again {
            self.schedule_flush(&root);
        }
        self.learn(&root);
        self.publish(&root);
        if first {
            self.emit(Output::ScanFinished(root.clone()));
        }
        self.answer_fresh(&root);
    }

    /// Answers the freshness queries of a repository whose barrier has been seen: at once when
    /// nothing is left to count, else after counting now (no debounce: someone is waiting).
    fn answer_fresh(&mut self, root: &Path) {
        let Some(repo) = self.repos.get_mut(root) else {
            return;
        };
        if !repo.waiters.iter().any(|w| w.seen) {
            return;
        }
        let pending = repo.has_pending();
        if pending && !repo.in_flight {
            self.flush(root);
            return;
        }
        if pending || repo.in_flight || repo.learning {
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
        if repo.watcher.is_none() {
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

    /// Learns the line limit from history when the settings ask for it and HEAD moved since.
    fn learn(&mut self, root: &Path) {
        let Some(repo) = self.repos.get_mut(root) else {
            return;
        };
        let Some(counts) = &repo.counts else {
            return;
        };
        let learned_at = repo.learned.as_ref().map(|(head, _)| head);
        if !repo.settings.lines_auto || repo.learning || learned_at == Some(&counts.head) {
            return;
        }
        repo.learning = true;
        jobs::spawn_learn(
            root.to_path_buf(),
            counts.head.clone(),
            repo.settings.lines,
            self.tx.clone(),
        );
    }

    fn count_buffer(&mut self, doc: &DocId) {
        let Some(entry) = self.docs.get(doc) else {
            return;
        };
        let (Some(root), Some(rel_path)) = (entry.root.clone(), entry.rel_path.clone()) else {
            return;
        };
        let settings = self
            .repos
            .get(&root)
            .map(|r| r.settings.clone())
            .unwrap_or_else(|| self.settings.clone());
        if !settings.count_unsaved {
            return;
        }
        let shared = self
            .repos
            .get(&root)
            .map(|r| r.git.clone())
            .unwrap_or_default();
        jobs::spawn_buffer_diff(
            root,
            rel_path,
            doc.clone(),
            entry.version,
            entry.text.clone(),
            entry.base.clone(),
            shared,
            self.tx.clone(),
        );
    }

    fn buffer_counted(&mut self, doc: DocId, version: i32, result: BufferResult) {
        let now = (self.options.now)();
        let Some(entry) = self.docs.get_mut(&doc) else {
            return;
        };
        if entry.version != version {
            return;
        }
        match result {
            Ok((base, diff)) => {
                entry.base = Some(base);
                if diff.differs_from_disk {
                    let since = *entry.dirty_since.get_or_insert(now);
                    entry.buffer = Some(BufferCounts {
                        path: entry.rel_path.clone().unwrap_or_default(),
                        tracked: diff.tracked,
                        ignored: diff.ignored,
                        vs_head: diff.vs_head,
                        vs_index: diff.vs_index,
                        differs_from_disk: true,
                        since_unix: since,
                    });
                } else {
                    entry.buffer = None;
                    entry.dirty_since = None;
                }
            }
            Err(message) => tracing::warn!(
                "could not diff the buffer of {}: {message}",
                entry.path.display()
            ),
        }
        if let Some(root) = entry.root.clone() {
            self.publish(&root);
        }
    }

    /// The merged per-file view and the status of a repository, if it has been counted.
    fn effective(&self, root: &Path) -> Option<(Effective, StatusReport)> {
        let repo = self.repos.get(root)?;
        let counts = repo.counts.as_ref()?;
        let buffers: Vec<BufferCounts> = self
            .docs
            .values()
            .filter(|d| d.root.as_deref() == Some(root))
            .filter_map(|d| d.buffer.clone())
            .collect();
        let effective = Effective::new(counts, &buffers, &repo.settings);
        let report = report::build(
            counts,
            &effective,
            &repo.settings,
            repo.learned.as_ref().map(|(_, learned)| learned),
            repo.snoozed_until,
            (self.options.now)(),
        );
        Some((effective, report))
    }

    /// Sends the status and the diagnostics of a repository, where they changed.
    fn publish(&mut self, root: &Path) {
        let Some((effective, report)) = self.effective(root) else {
            return;
        };
        let Some(repo) = self.repos.get_mut(root) else {
            return;
        };
        if repo.last_report.as_ref() != Some(&report) {
            repo.last_report = Some(report.clone());
            self.emit(Output::Status(Box::new(report.clone())));
            self.emit(Output::CodeLensRefresh);
        }
        // Nudges go on each open document with changes, at its first change; when none has
        // changes, on the most recently opened or edited document, at its first line.
        let in_repo: Vec<DocId> = self
            .docs
            .iter()
            .filter(|(_, d)| d.root.as_deref() == Some(root))
            .map(|(id, _)| id.clone())
            .collect();
        let with_changes: Vec<&DocId> = in_repo
            .iter()
            .filter(|id| {
                self.docs[*id]
                    .rel_path
                    .as_deref()
                    .is_some_and(|p| effective.has_changes(p))
            })
            .collect();
        let fallback = if with_changes.is_empty() {
            in_repo
                .iter()
                .max_by_key(|id| self.docs[*id].touched)
                .cloned()
        } else {
            None
        };
        let mut outputs = Vec::new();
        for id in &in_repo {
            let doc = &self.docs[id];
            let line = if with_changes.contains(&id) {
                doc.rel_path
                    .as_deref()
                    .and_then(|p| effective.first_change_line(p))
            } else if fallback.as_ref() == Some(id) {
                Some(0)
            } else {
                None
            };
            let items: Vec<PlacedNudge> = match line {
                Some(line) => report
                    .nudges
                    .iter()
                    .map(|nudge| PlacedNudge {
                        line: line.min(last_line(&doc.text)),
                        nudge: nudge.clone(),
                    })
                    .collect(),
                None => Vec::new(),
            };
            if items != doc.published {
                outputs.push((id.clone(), items));
            }
        }
        for (id, items) in outputs {
            if let Some(doc) = self.docs.get_mut(&id) {
                doc.published = items.clone();
            }
            self.emit(Output::Diagnostics { doc: id, items });
        }
    }

    fn answer(&mut self, query: Query) {
        match query {
            Query::Fresh {
                root,
                barrier,
                reply,
            } => self.await_barrier(root, barrier, reply),
            Query::Document { doc, reply } => {
                let snapshot = self.docs.get(&doc).and_then(|d| {
                    let root = d.root.clone()?;
                    let repo = self.repos.get(&root)?;
                    let rel_path = d.rel_path.clone()?;
                    let row = self.effective(&root).and_then(|(effective, _)| {
                        effective
                            .tracked_total
                            .get(&rel_path)
                            .or_else(|| effective.untracked.get(&rel_path))
                            .cloned()
                    });
                    Some(DocSnapshot {
                        file_changed: row.is_some(),
                        file_stat: row.map_or((0, 0), |r| (r.added, r.removed)),
                        rel_path,
                        text: d.text.clone(),
                        version: d.version,
                        settings: repo.settings.clone(),
                        report: repo.last_report.clone(),
                        dirty: d.buffer.is_some(),
                        root,
                    })
                });
                let _ = reply.send(snapshot);
            }
            Query::Text { path, reply } => {
                let text = self
                    .docs
                    .values()
                    .find(|d| d.path == path)
                    .map(|d| d.text.clone());
                let _ = reply.send(text);
            }
            Query::Repository { path, reply } => {
                let repo = match &path {
                    Some(path) => self
                        .repos
                        .iter()
                        .filter(|(root, _)| path.starts_with(root))
                        .max_by_key(|(root, _)| root.as_os_str().len())
                        .map(|(_, repo)| repo),
                    None => self.repos.values().next(),
                };
                let _ = reply.send(repo.map(|repo| RepoSnapshot {
                    root: repo.info.root.clone(),
                    settings: repo.settings.clone(),
                    report: repo.last_report.clone(),
                }));
            }
        }
    }
}

/// Whether a working-tree file decides what is counted (ignore rules, attributes, settings).
fn changes_rules(rel_path: &str) -> bool {
    let name = rel_path.rsplit('/').next().unwrap_or(rel_path);
    matches!(name, ".gitignore" | ".gitattributes" | ".gitmodules")
        || rel_path == crate::config::REPO_FILE
}

/// Whether a file in the git directory (path relative to it) decides what is counted beyond the
/// index, HEAD and refs: git's config, `info/` (exclude, attributes, sparse-checkout), and the
/// git directories of submodules.
fn changes_git_rules(inside: &Path) -> bool {
    let first = inside.components().next().map(|c| c.as_os_str());
    first.is_some_and(|first| first == "config" || first == "info" || first == "modules")
}

/// The 0-based index of the last line of `text`.
fn last_line(text: &str) -> u32 {
    let newlines = text.bytes().filter(|b| *b == b'\n').count();
    let lines = if text.ends_with('\n') {
        newlines.saturating_sub(1)
    } else {
        newlines
    };
    u32::try_from(lines).unwrap_or(u32::MAX)
}
