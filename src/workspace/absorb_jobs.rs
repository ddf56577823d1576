//! Absorb's jobs: work out the targets (for the actions and lenses), write the absorb document,
//! apply a saved one, fold one hunk. Each opens its own repository and runs on the blocking pool,
//! as the planner's jobs do (blame may take a while: the counts must not wait on it).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::effect::{AbsorbJob, JobOutput};
use super::{Error, Event};
use crate::absorb::apply::{self, AbsorbOptions, Fixup};
use crate::absorb::{self, document, AbsorbReport};
use crate::git::GitError;
use crate::plan::{HunkKey, PlanError};

/// Runs absorb's job for the worktree at `root`, as the event that reports it.
pub(super) fn ran(ticket: u64, root: &Path, job: AbsorbJob) -> Event {
    Event::Ran {
        ticket,
        result: super::jobs::catch(|| run(root, job)),
    }
}

/// Runs one of absorb's jobs for the worktree at `root`.
pub(super) fn run(root: &Path, job: AbsorbJob) -> Result<JobOutput, Error> {
    match job {
        AbsorbJob::Preview { key } => Ok(JobOutput::AbsorbPreview {
            key,
            // A repository absorb refuses (detached, a rebase) simply has no targets.
            report: report_of(root).ok().map(Arc::new),
        }),
        AbsorbJob::Open => open(root),
        AbsorbJob::Apply { document, made_for } => apply_document(root, &document, made_for),
        AbsorbJob::Hunk { hunk, target } => absorb_hunk(root, &hunk, target),
    }
}

fn report_of(root: &Path) -> Result<AbsorbReport, PlanError> {
    absorb::absorb_report(&crate::git::open(root)?, false)
}

/// Works out the fix-ups and writes the absorb document into the git directory.
fn open(root: &Path) -> Result<JobOutput, Error> {
    let report = report_of(root)?;
    if report.absorbable().next().is_none() {
        return Err(PlanError::Refused(nothing_absorbs(&report)).into());
    }
    let path = crate::git::open(root)?
        .git_dir()
        .join(document::DOCUMENT_NAME);
    std::fs::write(&path, document::render(&report))
        .map_err(|e| GitError::io(format!("could not write {}", path.display()), e))?;
    Ok(JobOutput::AbsorbDocument {
        document: path,
        report: Arc::new(report),
    })
}

/// Why nothing absorbs, in a line: the first hunk's reason.
fn nothing_absorbs(report: &AbsorbReport) -> String {
    match report.hunks.first().and_then(|h| h.reason.as_ref()) {
        Some(reason) => format!(
            "nothing to absorb: no hunk has a target ({}: {reason})",
            report.hunks[0].path
        ),
        None => "nothing to absorb: the working tree is clean".to_string(),
    }
}

/// Reads the saved document, checks it is of the work and HEAD it was written for, and applies.
fn apply_document(
    root: &Path,
    document: &PathBuf,
    made_for: (String, String),
) -> Result<JobOutput, Error> {
    let text = std::fs::read_to_string(document).map_err(|e| {
        GitError::io(
            format!("could not read the absorb document {}", document.display()),
            e,
        )
    })?;
    let report = report_of(root)?;
    let parsed = document::parse(&text, &report)?;
    let (fingerprint, head) = parsed.made_for.unwrap_or(made_for);
    if fingerprint != report.fingerprint || head != report.head {
        return Err(PlanError::Stale(
            "the uncommitted work or HEAD changed since the absorb document was written"
                .to_string(),
        )
        .into());
    }
    let outcome = apply::apply(&report, &parsed.fixups, &AbsorbOptions::default())?;
    Ok(JobOutput::Absorbed(outcome))
}

/// Folds the one hunk `key` into `target`, if that is still its target.
fn absorb_hunk(root: &Path, key: &HunkKey, target: String) -> Result<JobOutput, Error> {
    let report = report_of(root)?;
    let Some(hunk) = report.hunks.iter().find(|h| h.key == *key) else {
        return Err(PlanError::Stale(format!(
            "{} has no uncommitted hunk {} any more",
            key.path, key.range
        ))
        .into());
    };
    if hunk.target.as_deref() != Some(target.as_str()) {
        return Err(PlanError::Stale(format!(
            "the hunk no longer folds into {}",
            &target[..target.len().min(7)]
        ))
        .into());
    }
    let fixup = Fixup {
        target,
        hunks: vec![hunk.index],
    };
    let outcome = apply::apply(&report, &[fixup], &AbsorbOptions::default())?;
    Ok(JobOutput::Absorbed(outcome))
}
