//! `commit-nudge absorb`: the commit each uncommitted hunk folds into; a dry run lists them, else
//! one `fixup!` commit per target is made (and with `--rewrite` squashed into it).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use commit_nudge::absorb::{self, apply::AbsorbOptions, AbsorbReport};

/// The flags of `absorb`.
pub struct AbsorbArgs {
    pub json: bool,
    pub dry_run: bool,
    pub any_author: bool,
    pub rewrite: bool,
}

/// Runs `absorb` for the repository containing `path`.
pub fn run(path: Option<PathBuf>, args: &AbsorbArgs) -> ExitCode {
    let path = path.unwrap_or_else(|| PathBuf::from("."));
    let path = std::path::absolute(&path).unwrap_or(path);
    let repo = match commit_nudge::git::discover(&path) {
        Ok(info) => commit_nudge::git::open(&info.root),
        Err(e) => {
            eprintln!("commit-nudge: {e}");
            return ExitCode::from(2);
        }
    };
    let repo = match repo {
        Ok(repo) => repo,
        Err(e) => {
            eprintln!("commit-nudge: {e}");
            return ExitCode::FAILURE;
        }
    };
    let report = match absorb::absorb_report(&repo, args.any_author) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("commit-nudge: {e}");
            return ExitCode::FAILURE;
        }
    };
    drop(repo);
    if !args.dry_run {
        return apply(&report, args.rewrite);
    }
    // Written with errors ignored, so that a closed pipe (`| head`) ends quietly.
    let mut out = std::io::stdout().lock();
    if args.json {
        let text = serde_json::to_string_pretty(&report).unwrap_or_default();
        let _ = writeln!(out, "{text}");
        return ExitCode::SUCCESS;
    }
    let _ = write!(out, "{}", human(&report));
    ExitCode::SUCCESS
}

/// Makes the fix-ups the report proposes.
fn apply(report: &AbsorbReport, rewrite: bool) -> ExitCode {
    let fixups = absorb::apply::fixups_of(report);
    let options = AbsorbOptions {
        rewrite,
        ..AbsorbOptions::default()
    };
    match absorb::apply::apply(report, &fixups, &options) {
        Ok(outcome) => {
            println!("{}", outcome.message());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("commit-nudge: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The dry run's text: each target with its hunks, then the hunks left behind with reasons.
fn human(report: &AbsorbReport) -> String {
    let mut out = String::new();
    for c in &report.candidates {
        let mine: Vec<_> = report
            .hunks
            .iter()
            .filter(|h| h.target.as_deref() == Some(&c.id))
            .collect();
        if mine.is_empty() {
            continue;
        }
        out.push_str(&format!(
            "fixup {} {}\n",
            &c.id[..7.min(c.id.len())],
            c.subject
        ));
        for h in mine {
            out.push_str(&format!("    {} {}\n", h.path, h.range));
        }
    }
    let left: Vec<_> = report.hunks.iter().filter(|h| h.target.is_none()).collect();
    if !left.is_empty() {
        out.push_str("left behind\n");
        for h in left {
            out.push_str(&format!(
                "    {} {}: {}\n",
                h.path,
                h.range,
                h.reason.as_deref().unwrap_or("")
            ));
        }
    }
    out
}
