//! Absorb in the engine: the absorb document open for each repository (written, not yet saved
//! or closed), applying it when it is saved, and the background report that gives the absorb
//! actions and lenses their targets.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::effect::AbsorbJob;
use super::plans::BACKGROUND_PLAN_MAX_FILES;
use super::state::State;
use super::{Outcome, Output};
use crate::absorb::AbsorbReport;

/// An absorb document the user has open.
struct OpenAbsorb {
    /// `<git dir>/COMMIT_ABSORB`, as written.
    document: PathBuf,
    report: Arc<AbsorbReport>,
}

/// The engine's absorbs, by worktree root.
#[derive(Default)]
pub(super) struct Absorbs {
    open: HashMap<PathBuf, OpenAbsorb>,
    /// The key of the work last worked out in the background, and its report.
    previews: HashMap<PathBuf, (String, Option<Arc<AbsorbReport>>)>,
    /// Roots with a background report being worked out.
    previewing: HashSet<PathBuf>,
}

impl State {
    /// The absorb document was written: it is open until saved or closed.
    pub(super) fn absorb_opened(
        &mut self,
        root: &Path,
        document: PathBuf,
        report: Arc<AbsorbReport>,
    ) -> Outcome {
        let fixups = crate::absorb::apply::fixups_of(&report);
        let hunks = fixups.iter().map(|f| f.hunks.len()).sum();
        let outcome = Outcome::AbsorbDocument {
            document: document.clone(),
            hunks,
            commits: fixups.len(),
        };
        self.absorbs
            .open
            .insert(root.to_path_buf(), OpenAbsorb { document, report });
        outcome
    }

    /// Fix-ups were made: the document, if any, is no longer open.
    pub(super) fn absorb_applied(&mut self, root: &Path) {
        self.absorbs.open.remove(root);
        self.emit(Output::CodeLensRefresh);
    }

    /// A document was saved: if it is an open absorb document, its fix-ups are made (and it stays
    /// open if that fails, so that a mistake in it can be corrected and saved again).
    pub(super) fn absorb_saved(&mut self, path: &Path) {
        let Some(root) = self.absorb_of_document(path) else {
            return;
        };
        let open = &self.absorbs.open[&root];
        let job = AbsorbJob::Apply {
            document: open.document.clone(),
            made_for: (open.report.fingerprint.clone(), open.report.head.clone()),
        };
        self.start_job(None, root, job);
    }

    /// A document was closed: closing an open absorb document cancels it.
    pub(super) fn absorb_closed(&mut self, path: &Path) {
        if let Some(root) = self.absorb_of_document(path) {
            self.absorbs.open.remove(&root);
        }
    }

    /// The targets of the repository's work as it is now, when they are known.
    pub(super) fn absorb_of(&self, root: &Path) -> Option<Arc<AbsorbReport>> {
        let (key, report) = self.absorbs.previews.get(root)?;
        (Some(key) == self.work_key(root).as_ref())
            .then(|| report.clone())
            .flatten()
    }

    /// Works out the targets of the repository's work in the background, once per state of the
    /// work, when there is work of at most `BACKGROUND_PLAN_MAX_FILES` files.
    pub(super) fn preview_absorb(&mut self, root: &Path) {
        if !self.options.absorb_in_background || self.absorbs.previewing.contains(root) {
            return;
        }
        let Some(key) = self.work_key(root) else {
            return;
        };
        let files = self.changed_files(root);
        if files == 0 || files > BACKGROUND_PLAN_MAX_FILES {
            return;
        }
        if self
            .absorbs
            .previews
            .get(root)
            .is_some_and(|(k, _)| *k == key)
        {
            return;
        }
        self.absorbs.previewing.insert(root.to_path_buf());
        self.start_job(None, root.to_path_buf(), AbsorbJob::Preview { key });
    }

    /// The background report finished (`key` is `None` when the job failed).
    pub(super) fn absorb_previewed(
        &mut self,
        root: &Path,
        key: Option<String>,
        report: Option<Arc<AbsorbReport>>,
    ) {
        self.absorbs.previewing.remove(root);
        let Some(key) = key else {
            return;
        };
        let useful = report.as_ref().is_some_and(|r| r.absorbable().count() > 0);
        self.absorbs
            .previews
            .insert(root.to_path_buf(), (key.clone(), report));
        if useful {
            self.emit(Output::CodeLensRefresh);
        }
        // The work may have changed while the report was worked out.
        if self.work_key(root).as_ref() != Some(&key) {
            self.preview_absorb(root);
        }
    }

    /// The root whose open absorb document is `path` (the editor may name it through a link).
    fn absorb_of_document(&self, path: &Path) -> Option<PathBuf> {
        super::plans::root_of_document(
            self.absorbs
                .open
                .iter()
                .map(|(root, open)| (root, &open.document)),
            path,
        )
    }
}
