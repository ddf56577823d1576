//! The commit plan in the engine: the plan open for each repository (its document written, not
//! yet saved or closed), applying it when its document is saved, and the background plan that
//! tells the "Split into N commits…" action its N.

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::effect::{Effect, PlanJob};
use super::state::State;
use super::{Error, Outcome, Output, Reply};
use crate::nudge::NudgeCode;
use crate::plan::{ApplyOutcome, Plan, PlanError};

/// Above this many changed files the work is planned only when the user asks: a plan reads every
/// changed file, and a background plan would run again at each change of the work.
pub(super) const BACKGROUND_PLAN_MAX_FILES: usize = 500;

/// A plan whose document the user has open.
pub(super) struct OpenPlan {
    /// `<git dir>/COMMIT_PLAN`, as written.
    document: PathBuf,
    plan: Arc<Plan>,
}

/// The engine's plans, by worktree root.
#[derive(Default)]
pub(super) struct Plans {
    open: HashMap<PathBuf, OpenPlan>,
    /// The key of the work last planned in the background, and how many commits it made.
    previews: HashMap<PathBuf, (String, usize)>,
    /// Roots with a background plan running.
    previewing: HashSet<PathBuf>,
}

impl State {
    /// `Command::OpenPlan`: plan on the blocking pool, then write the document.
    pub(super) fn open_plan(&mut self, root: PathBuf, reply: Reply) {
        let use_record = self.settings.record_work;
        self.run_in(root, reply, PlanJob::Open { use_record });
    }

    /// `Command::ApplyPlan`: apply the saved document of the plan open for `root`.
    pub(super) fn apply_plan(&mut self, root: PathBuf, reply: Reply) {
        let fingerprint = self
            .open_plan_at(&root)
            .map(|open| open.plan.fingerprint.clone());
        let job = PlanJob::Apply {
            document: None,
            fingerprint,
        };
        self.run_in(root, reply, job);
    }

    /// `Command::StagePlanned`: stage the hunks of one commit (1-based) of the open plan.
    pub(super) fn stage_planned(&mut self, root: PathBuf, commit: usize, reply: Reply) {
        let Some((root, plan)) = self
            .open_plan_root(&root)
            .map(|known| (known.clone(), self.plans.open[&known].plan.clone()))
        else {
            let refusal = PlanError::Refused(
                "no commit plan is open for this repository: open one with \"Split into commits…\" first"
                    .to_string(),
            );
            self.effect(Effect::reply(reply, Err(refusal.into())));
            return;
        };
        let total = plan.groups.len();
        if commit == 0 || commit > total {
            let refusal = PlanError::Refused(format!(
                "the plan has {total} commits; there is no commit {commit}"
            ));
            self.effect(Effect::reply(reply, Err(refusal.into())));
            return;
        }
        let job = PlanJob::StagePlanned {
            plan,
            commit: commit - 1,
        };
        self.start_job(Some(reply), root, job);
    }

    /// A plan was made and its document written: it is open until saved or closed.
    pub(super) fn plan_opened(
        &mut self,
        root: &Path,
        document: PathBuf,
        plan: Arc<Plan>,
    ) -> Outcome {
        let commits = plan.groups.len();
        self.plans.open.insert(
            root.to_path_buf(),
            OpenPlan {
                document: document.clone(),
                plan,
            },
        );
        self.emit(Output::CodeLensRefresh);
        Outcome::Plan { document, commits }
    }

    /// A plan was applied: it is no longer open.
    pub(super) fn plan_applied(&mut self, root: &Path) {
        if self.plans.open.remove(root).is_some() {
            self.emit(Output::CodeLensRefresh);
        }
    }

    /// A document was saved: if it is an open plan's document, the plan is applied (and stays
    /// open if that fails, so that a mistake in it can be corrected and saved again).
    pub(super) fn plan_saved(&mut self, path: &Path) {
        let Some(root) = self.plan_of_document(path) else {
            return;
        };
        let open = &self.plans.open[&root];
        let job = PlanJob::Apply {
            document: Some(open.document.clone()),
            fingerprint: Some(open.plan.fingerprint.clone()),
        };
        self.start_job(None, root, job);
    }

    /// A document was closed: closing an open plan's document cancels the plan.
    pub(super) fn plan_closed(&mut self, path: &Path) {
        if let Some(root) = self.plan_of_document(path) {
            self.plans.open.remove(&root);
            self.emit(Output::CodeLensRefresh);
        }
    }

    /// The open plan of the repository at `root`, for a document's lenses and actions.
    pub(super) fn open_plan_of(&self, root: &Path) -> Option<Arc<Plan>> {
        self.plans.open.get(root).map(|open| open.plan.clone())
    }

    /// How many commits a plan of the repository's work as it is now makes, when known.
    pub(super) fn split_into(&self, root: &Path) -> Option<usize> {
        let (key, commits) = self.plans.previews.get(root)?;
        (Some(key) == self.work_key(root).as_ref()).then_some(*commits)
    }

    /// When a repository's nudge is about its lines or files, plans its work in the background
    /// (once per state of the work) so that the quick fix can say how many commits it makes;
    /// not for work larger than `BACKGROUND_PLAN_MAX_FILES` (then the fix says "Split into
    /// commits…" and plans when chosen).
    pub(super) fn preview_plan(&mut self, root: &Path, nudges: &[crate::nudge::Nudge]) {
        let about_size = nudges
            .iter()
            .any(|n| matches!(n.code, NudgeCode::Lines | NudgeCode::Files));
        if !about_size || !self.options.plan_in_background || self.plans.previewing.contains(root) {
            return;
        }
        let Some(key) = self.work_key(root) else {
            return;
        };
        if self.changed_files(root) > BACKGROUND_PLAN_MAX_FILES {
            return;
        }
        if self
            .plans
            .previews
            .get(root)
            .is_some_and(|(k, _)| *k == key)
        {
            return;
        }
        self.plans.previewing.insert(root.to_path_buf());
        self.start_job(
            None,
            root.to_path_buf(),
            PlanJob::Preview {
                key,
                use_record: self.settings.record_work,
            },
        );
    }

    /// The background plan finished (`commits` is `None` when it failed).
    pub(super) fn previewed(&mut self, root: &Path, key: Option<String>, commits: usize) {
        self.plans.previewing.remove(root);
        if let Some(key) = key {
            self.plans
                .previews
                .insert(root.to_path_buf(), (key, commits));
        }
    }

    /// What the user reads after a plan was applied from its saved document.
    pub(super) fn applied_message(outcome: &ApplyOutcome) -> String {
        let n = outcome.commits.len();
        let mut message = format!(
            "commit-nudge: made {n} commit{}",
            if n == 1 { "" } else { "s" }
        );
        for (k, commit) in outcome.commits.iter().enumerate() {
            message.push_str(&format!("\n{}. {}", k + 1, commit.summary));
        }
        if outcome.left_out > 0 {
            message.push_str(&format!(
                "\n{} hunk{} left uncommitted, as the plan said",
                outcome.left_out,
                if outcome.left_out == 1 { "" } else { "s" }
            ));
        }
        message
    }

    /// How many files the latest count found changed (staged, unstaged or untracked rows).
    pub(super) fn changed_files(&self, root: &Path) -> usize {
        self.repos
            .get(root)
            .and_then(|repo| repo.counts.as_ref())
            .map_or(0, |c| c.staged.len() + c.unstaged.len() + c.untracked.len())
    }

    /// A key for the work on disk as the latest count saw it (HEAD and every changed file's
    /// numbers): a plan made for one key holds while the key does.
    pub(super) fn work_key(&self, root: &Path) -> Option<String> {
        let counts = self.repos.get(root)?.counts.as_ref()?;
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        counts.head.hash(&mut hasher);
        for rows in [&counts.staged, &counts.unstaged, &counts.untracked] {
            format!("{rows:?}").hash(&mut hasher);
        }
        Some(format!("{:016x}", hasher.finish()))
    }

    /// The root whose open plan's document is `path` (the editor may name it through a link).
    fn plan_of_document(&self, path: &Path) -> Option<PathBuf> {
        root_of_document(
            self.plans
                .open
                .iter()
                .map(|(root, open)| (root, &open.document)),
            path,
        )
    }

    /// The root of the open plan for a command's `root` (spelled as given or resolved).
    fn open_plan_root(&self, root: &Path) -> Option<PathBuf> {
        if self.plans.open.contains_key(root) {
            return Some(root.to_path_buf());
        }
        let resolved = crate::git::repo::canonical(root);
        self.plans.open.contains_key(&resolved).then_some(resolved)
    }

    fn open_plan_at(&self, root: &Path) -> Option<&OpenPlan> {
        self.open_plan_root(root)
            .and_then(|known| self.plans.open.get(&known))
    }
}

/// The root whose document (of `open`: root and document) is `path`; the editor may name it
/// through a link.
pub(super) fn root_of_document<'a>(
    mut open: impl Iterator<Item = (&'a PathBuf, &'a PathBuf)>,
    path: &Path,
) -> Option<PathBuf> {
    let mut canonical = None;
    open.find(|(_, document)| {
        *document == path
            || crate::git::repo::canonical(document)
                == *canonical.get_or_insert_with(|| crate::git::repo::canonical(path))
    })
    .map(|(root, _)| root.clone())
}

/// Why a plan job failed, for the log when nobody asked (a background plan).
pub(super) fn log_preview_failure(root: &Path, error: &Error) {
    tracing::debug!("no background plan for {}: {error}", root.display());
}
