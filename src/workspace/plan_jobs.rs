//! The commit planner's jobs: make a plan and write its document, count a plan's commits, apply a
//! saved plan document, stage one planned commit. Each opens its own repository and runs on the
//! blocking pool (planning may take a few hundred milliseconds: the counts must not wait on it).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::effect::{JobOutput, PlanJob};
use super::{Error, Event};
use crate::git::GitError;
use crate::plan::{self, document, PlanError, PlanOptions};

/// What the user reads when there is nothing to plan.
pub(super) const NOTHING_TO_PLAN: &str = "nothing to plan: the working tree is clean";

/// Runs one of the planner's jobs for the worktree at `root`, as the event that reports it.
pub(super) fn ran(ticket: u64, root: &Path, job: PlanJob) -> Event {
    Event::Ran {
        ticket,
        result: super::jobs::catch(|| run(root, job)),
    }
}

/// Runs one of the planner's jobs for the worktree at `root`.
fn run(root: &Path, job: PlanJob) -> Result<JobOutput, Error> {
    match job {
        PlanJob::Open { use_record } => open_plan(root, use_record),
        PlanJob::Preview { key, use_record } => {
            let plan = plan::plan_worktree(root, &options(use_record), None)?;
            Ok(JobOutput::Preview {
                key,
                commits: plan.groups.len(),
            })
        }
        PlanJob::Apply {
            document,
            fingerprint,
        } => apply_document(root, document, fingerprint),
        PlanJob::StagePlanned { plan, commit } => {
            let commits = planned_commits(&plan);
            plan::stage_commit(root, &commits, commit, Some(&plan.fingerprint))?;
            Ok(JobOutput::Done)
        }
    }
}

/// The planner's options; `use_record` is the `recordWork` setting.
fn options(use_record: bool) -> PlanOptions {
    PlanOptions {
        use_record,
        ..PlanOptions::default()
    }
}

/// Plans the work and writes the plan document into the git directory.
fn open_plan(root: &Path, use_record: bool) -> Result<JobOutput, Error> {
    let plan = plan::plan_worktree(root, &options(use_record), None)?;
    if plan.hunks.is_empty() {
        return Err(PlanError::Refused(NOTHING_TO_PLAN.to_string()).into());
    }
    let document = document_path(root)?;
    std::fs::write(&document, plan::render_document(&plan))
        .map_err(|e| GitError::io(format!("could not write {}", document.display()), e))?;
    Ok(JobOutput::Plan {
        document,
        plan: Arc::new(plan),
    })
}

/// Reads the saved plan document, checks it against the work as it is now, and applies it.
fn apply_document(
    root: &Path,
    document: Option<PathBuf>,
    fingerprint: Option<String>,
) -> Result<JobOutput, Error> {
    let document = match document {
        Some(path) => path,
        None => document_path(root)?,
    };
    let text = std::fs::read_to_string(&document).map_err(|e| {
        GitError::io(
            format!(
                "could not read the plan document {} (open a plan first)",
                document.display()
            ),
            e,
        )
    })?;
    let work = plan::read_by_git::work_of(&crate::git::open(root)?)?;
    let parsed = plan::parse_document(&text, &work.hunks).map_err(PlanError::from)?;
    let Some(fingerprint) = parsed.fingerprint.or(fingerprint) else {
        // Without the line that ties it to the work (nor a plan the server made), the document
        // could be for other hunks that happen to share numbers: refuse rather than guess.
        return Err(
            PlanError::Stale("the plan document lost its \"# plan\" line".to_string()).into(),
        );
    };
    if parsed.commits.is_empty() {
        return Err(PlanError::Refused(
            "the plan document has no commits: nothing was applied".to_string(),
        )
        .into());
    }
    let outcome = plan::apply_plan(
        root,
        &parsed.commits,
        Some(&fingerprint),
        &plan::ApplyOptions::default(),
    )?;
    Ok(JobOutput::Applied(outcome))
}

/// The commits of a plan as the document would list them.
pub(super) fn planned_commits(plan: &plan::Plan) -> Vec<document::PlannedCommit> {
    plan.groups
        .iter()
        .map(|g| document::PlannedCommit {
            title: g.title.clone(),
            hunks: g.hunks.clone(),
        })
        .collect()
}

/// `<git dir>/COMMIT_PLAN` of the worktree at `root`.
fn document_path(root: &Path) -> Result<PathBuf, Error> {
    Ok(crate::git::open(root)?
        .git_dir()
        .join(document::DOCUMENT_NAME))
}
