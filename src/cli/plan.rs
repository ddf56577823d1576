//! `commit-nudge plan`: print the commit plan, edit it as a document, apply it.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use commit_nudge::plan::{self, PlanError, PlanOptions, PlannedCommit, DOCUMENT_NAME};

/// The switches of `plan`.
pub struct PlanArgs {
    pub json: bool,
    pub apply: bool,
    pub edit: bool,
    /// Delete the record of how the work was done instead of planning.
    pub forget: bool,
    /// Plan without the record.
    pub no_record: bool,
    pub weights: Option<String>,
    /// Print the pair features instead of a plan (hidden; for the benchmark's fit).
    pub features: bool,
}

/// Runs `plan` for the repository containing `path`.
pub fn run(path: Option<PathBuf>, args: &PlanArgs) -> ExitCode {
    match run_inner(path, args) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("commit-nudge: {error:#}");
            let outside = error.downcast_ref::<PlanError>().is_some_and(|e| {
                matches!(
                    e,
                    PlanError::Git(commit_nudge::git::GitError::NotARepository(_))
                )
            });
            if outside {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

fn run_inner(path: Option<PathBuf>, args: &PlanArgs) -> anyhow::Result<ExitCode> {
    let path = path.unwrap_or_else(|| PathBuf::from("."));
    let path = std::path::absolute(&path).unwrap_or(path);
    let info = commit_nudge::git::discover(&path).map_err(PlanError::from)?;
    let root: PathBuf = info.root.components().collect();
    let git_dir = info.git_dir;
    if args.forget {
        let record = commit_nudge::record::path_in(&git_dir);
        let gone = commit_nudge::record::forget(&root)
            .with_context(|| format!("could not delete {}", record.display()))?;
        if gone {
            println!("deleted the record of the work: {}", record.display());
        } else {
            println!("no record of the work to delete ({})", record.display());
        }
        return Ok(ExitCode::SUCCESS);
    }
    let mut options = PlanOptions {
        use_record: !args.no_record,
        ..PlanOptions::default()
    };
    if let Some(weights) = &args.weights {
        let mut rest = Vec::new();
        for pair in weights.split(',') {
            match pair.split_once('=') {
                Some(("history", value)) => options.history_commits = value.parse()?,
                _ => rest.push(pair),
            }
        }
        options
            .group
            .parse_over(&rest.join(","))
            .map_err(|e| anyhow::anyhow!("--weights: {e}"))?;
    }
    if args.features {
        println!("{}", plan::features_worktree(&root, &options)?);
        return Ok(ExitCode::SUCCESS);
    }
    let plan = plan::plan_worktree(&root, &options, None)?;
    if plan.hunks.is_empty() {
        println!("nothing to plan: the working tree is clean");
        return Ok(ExitCode::SUCCESS);
    }
    if args.edit {
        return edit_and_apply(&plan, &git_dir);
    }
    if args.apply {
        let commits: Vec<PlannedCommit> = plan
            .groups
            .iter()
            .map(|g| PlannedCommit {
                title: g.title.clone(),
                hunks: g.hunks.clone(),
            })
            .collect();
        return apply(&plan.root, &commits, Some(&plan.fingerprint));
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&plan.to_json()).context("could not write JSON")?
        );
    } else {
        print!("{}", plan.human());
    }
    Ok(ExitCode::SUCCESS)
}

fn apply(
    root: &Path,
    commits: &[PlannedCommit],
    fingerprint: Option<&str>,
) -> anyhow::Result<ExitCode> {
    if commits.is_empty() {
        println!("the plan has no commits: nothing was applied");
        return Ok(ExitCode::SUCCESS);
    }
    let outcome = plan::apply_plan(root, commits, fingerprint, &plan::ApplyOptions::default())?;
    for made in &outcome.commits {
        println!("{}", made.summary);
    }
    if outcome.left_out > 0 {
        println!(
            "{} hunk{} left uncommitted, as the plan said",
            outcome.left_out,
            if outcome.left_out == 1 { "" } else { "s" }
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes `.git/COMMIT_PLAN`, opens it in the user's editor, and applies it if it was saved.
fn edit_and_apply(plan: &plan::Plan, git_dir: &Path) -> anyhow::Result<ExitCode> {
    let document_path = git_dir.join(DOCUMENT_NAME);
    std::fs::write(&document_path, plan::render_document(plan))
        .with_context(|| format!("could not write {}", document_path.display()))?;
    let written = std::fs::metadata(&document_path)
        .and_then(|m| m.modified())
        .ok();
    let editor = editor(&plan.root);
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$@\""))
        .arg(&editor)
        .arg(&document_path)
        .current_dir(&plan.root)
        .status()
        .with_context(|| format!("could not run the editor {editor:?}"))?;
    if !status.success() {
        println!("the editor exited with {status}: nothing was applied");
        return Ok(ExitCode::FAILURE);
    }
    let saved = std::fs::metadata(&document_path)
        .and_then(|m| m.modified())
        .ok();
    if saved == written {
        println!("the plan was not saved: nothing was applied");
        return Ok(ExitCode::SUCCESS);
    }
    let text = std::fs::read_to_string(&document_path)
        .with_context(|| format!("could not read {}", document_path.display()))?;
    let parsed = plan::parse_document(&text, &plan.hunks).map_err(PlanError::from)?;
    let fingerprint = parsed
        .fingerprint
        .unwrap_or_else(|| plan.fingerprint.clone());
    let code = apply(&plan.root, &parsed.commits, Some(&fingerprint))?;
    let _ = std::fs::remove_file(&document_path);
    Ok(code)
}

/// The editor git would use: `$GIT_EDITOR`, `core.editor`, `$VISUAL`, `$EDITOR`, then `vi`.
fn editor(root: &Path) -> String {
    let from_env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    from_env("GIT_EDITOR")
        .or_else(|| {
            git2::Repository::open(root)
                .ok()
                .and_then(|r| r.config().ok())
                .and_then(|c| c.get_string("core.editor").ok())
                .filter(|v| !v.trim().is_empty())
        })
        .or_else(|| from_env("VISUAL"))
        .or_else(|| from_env("EDITOR"))
        .unwrap_or_else(|| "vi".to_string())
}
