//! Re-count scheduling: which changes make which count due, the debounce that gathers a burst
//! into one count, and what a finished count changes. Also which file-system writes the record
//! of the work takes (`written`): finished ones, of files the editor does not have open.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::effect::Scope;
use super::effect::{CountJob, Effect};
use super::jobs::CountResult;
use super::state::State;
use super::{DocId, Error, Output};

/// Above this many changed paths in one burst, a full count replaces the per-path one.
const MAX_PARTIAL_PATHS: usize = 256;

/// What waits to be counted in a repository.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) enum Due {
    #[default]
    Nothing,
    /// These working-tree paths changed (relative to the root).
    Paths(BTreeSet<String>),
    /// The index, HEAD or refs changed, and these working-tree paths.
    GitDir(BTreeSet<String>),
    /// Everything: the rules of the count (settings, ignore files) may have changed.
    Everything,
}

/// The count life cycle of a repository: what is due, whether the debounce timer runs, the count
/// running and its generation (results of older generations are dropped).
#[derive(Debug, Default)]
pub(super) struct Cycle {
    pub(super) due: Due,
    /// The debounce timer runs (a `Flush` will come).
    pub(super) timer: bool,
    /// A count runs.
    pub(super) counting: bool,
    /// The generation of the latest count started.
    pub(super) generation: u64,
    /// The generation of the latest count whose result arrived.
    pub(super) completed: u64,
    /// The running count is a first one, reported as a scan in progress.
    pub(super) scanning: bool,
}

impl Due {
    pub(super) fn any(&self) -> bool {
        *self != Due::Nothing
    }

    fn add_paths(&mut self, paths: BTreeSet<String>) {
        let many = |set: &BTreeSet<String>| set.len() > MAX_PARTIAL_PATHS;
        match self {
            Due::Nothing => *self = Due::Paths(paths),
            Due::Paths(due) | Due::GitDir(due) => due.extend(paths),
            Due::Everything => {}
        }
        // Many paths at once (a checkout, a build): one full count is cheaper and exact.
        if matches!(self, Due::Paths(due) | Due::GitDir(due) if many(due)) {
            *self = Due::Everything;
        }
    }

    fn add_git_dir(&mut self) {
        *self = match std::mem::replace(self, Due::Nothing) {
            Due::Nothing => Due::GitDir(BTreeSet::new()),
            Due::Paths(paths) | Due::GitDir(paths) => Due::GitDir(paths),
            Due::Everything => Due::Everything,
        };
    }
}

impl State {
    /// Files changed on disk, as the client's watcher tells: counted again, and, in a
    /// repository our own watcher does not watch, written to the record (our watcher tells
    /// when a write is finished, the client's does not).
    pub(super) fn files_changed(&mut self, paths: Vec<PathBuf>) {
        self.written(&paths, true);
        self.recount(paths);
    }

    /// What our own watcher saw: `changed` is counted again; `written` (files written and
    /// closed, or renamed into place) goes to the record.
    pub(super) fn watched(&mut self, changed: Vec<PathBuf>, written: Vec<PathBuf>) {
        self.written(&written, false);
        self.recount(changed);
    }

    /// Asks for a snapshot of the worktree files among `paths` that the editor does not have
    /// open (an open document is recorded at its save, from its text), read from disk once
    /// settled; with `unwatched_only`, only in repositories our own watcher does not watch.
    fn written(&mut self, paths: &[PathBuf], unwatched_only: bool) {
        let mut by_root: BTreeMap<PathBuf, BTreeSet<String>> = BTreeMap::new();
        for path in paths {
            for (root, repo) in &self.repos {
                let in_git_dir = [&repo.info.git_dir, &repo.info.common_dir]
                    .into_iter()
                    .any(|dir| path.starts_with(dir));
                if in_git_dir || !path.starts_with(root) || (unwatched_only && repo.watched) {
                    continue;
                }
                match crate::git::repo::relative_path(root, path) {
                    Some(rel) if !rel.is_empty() && !changes_rules(&rel) => {
                        by_root.entry(root.clone()).or_default().insert(rel);
                    }
                    _ => {}
                }
            }
        }
        for (root, rel_paths) in by_root {
            let files = rel_paths
                .into_iter()
                .filter(|rel| !self.is_open(&root, rel))
                .map(|rel_path| crate::record::Observed {
                    rel_path,
                    text: None,
                })
                .collect();
            self.record(&root, files);
        }
    }

    /// Sorts changed paths by repository: a change to the index, HEAD or refs re-counts what
    /// they touch; a working-tree change re-counts only its paths; a change to what decides the
    /// rules (ignore files, attributes, git's config, settings) re-counts everything.
    fn recount(&mut self, paths: Vec<PathBuf>) {
        self.follow_links();
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
                repo.cycle.due.add_git_dir();
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

    /// Makes a full count of a repository due after the debounce; bursts gather into one count.
    pub(super) fn request_count(&mut self, root: &Path) {
        let Some(repo) = self.repos.get_mut(root) else {
            return;
        };
        repo.cycle.due = Due::Everything;
        self.schedule_flush(root);
    }

    /// Makes working-tree paths due for re-counting after the debounce.
    pub(super) fn request_paths(&mut self, root: &Path, paths: BTreeSet<String>) {
        let Some(repo) = self.repos.get_mut(root) else {
            return;
        };
        repo.cycle.due.add_paths(paths);
        self.schedule_flush(root);
    }

    /// Starts the debounce timer, unless one is running: the first event bounds the delay.
    pub(super) fn schedule_flush(&mut self, root: &Path) {
        let delay = self.options.debounce;
        let Some(repo) = self.repos.get_mut(root) else {
            return;
        };
        if !repo.cycle.timer {
            repo.cycle.timer = true;
            self.effect(Effect::FlushAfter {
                root: root.to_path_buf(),
                delay,
            });
        }
    }

    /// The debounce ran out: counts what is due, unless a count runs (it comes back here).
    pub(super) fn flush(&mut self, root: &Path) {
        let settings = self.settings.clone();
        let Some(repo) = self.repos.get_mut(root) else {
            return;
        };
        repo.cycle.timer = false;
        if repo.cycle.counting || !repo.cycle.due.any() {
            return;
        }
        let scope = match std::mem::take(&mut repo.cycle.due) {
            _ if repo.counts.is_none() => Scope::Full,
            Due::Everything | Due::Nothing => Scope::Full,
            Due::GitDir(paths) => Scope::GitDir(paths),
            Due::Paths(paths) => Scope::Paths(paths),
        };
        repo.cycle.counting = true;
        repo.cycle.generation += 1;
        let first = repo.counts.is_none();
        repo.cycle.scanning |= first;
        let job = CountJob {
            root: root.to_path_buf(),
            generation: repo.cycle.generation,
            settings,
            scope,
            previous: repo.counts.clone(),
            repo: repo.git.clone(),
        };
        self.effect(Effect::Count(job));
        if first {
            self.emit(Output::ScanStarted(root.to_path_buf()));
        }
    }

    /// A count finished: keeps its numbers (or shows its error once), counts again what came
    /// due meanwhile, and publishes.
    pub(super) fn counted(&mut self, root: PathBuf, generation: u64, result: CountResult) {
        let Some(repo) = self.repos.get_mut(&root) else {
            return;
        };
        if generation != repo.cycle.generation {
            return;
        }
        repo.cycle.counting = false;
        repo.cycle.completed = generation;
        let first = std::mem::take(&mut repo.cycle.scanning);
        let mut warnings = Vec::new();
        match result {
            Ok((counts, parsed)) => {
                // A commit ends a snooze.
                if repo.counts.as_ref().is_some_and(|c| c.head != counts.head) {
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
            Err(error) => {
                // A repository that stays broken is reported once, not at every event.
                let warning = format!("commit-nudge could not count {}: {error}", root.display());
                if repo.last_error.as_ref() != Some(&warning) {
                    repo.last_error = Some(warning.clone());
                    warnings.push(warning);
                }
            }
        }
        let again = repo.cycle.due.any();
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
        let effect = Effect::Learn {
            root: root.to_path_buf(),
            head: counts.head.clone(),
            fallback: repo.settings.lines,
        };
        self.effect(effect);
    }

    pub(super) fn learned(
        &mut self,
        root: PathBuf,
        head: Option<String>,
        result: Result<crate::habit::LearnedLines, Error>,
    ) {
        let Some(repo) = self.repos.get_mut(&root) else {
            return;
        };
        repo.learning = false;
        match result {
            Ok(learned) => repo.learned = Some((head, learned)),
            Err(error) => {
                tracing::warn!("could not read the history of {}: {error}", root.display())
            }
        }
        self.publish(&root);
        self.answer_fresh(&root);
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
