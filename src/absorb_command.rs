//! `commit-nudge absorb`: the commit each uncommitted hunk would fold into (dry run for now).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Runs `absorb --dry-run` for the repository containing `path`.
pub fn run(path: Option<PathBuf>, json: bool, dry_run: bool, any_author: bool) -> ExitCode {
    let path = path.unwrap_or_else(|| PathBuf::from("."));
    let path = std::path::absolute(&path).unwrap_or(path);
    let repo = match commit_nudge::git::repo::open_containing(&path) {
        Ok(repo) => repo,
        Err(e) => {
            eprintln!("commit-nudge: {e}");
            return ExitCode::from(2);
        }
    };
    if !dry_run {
        eprintln!("commit-nudge: absorb applies nothing yet: run it with --dry-run");
        return ExitCode::FAILURE;
    }
    let report = match commit_nudge::absorb::absorb_report(&repo, any_author) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("commit-nudge: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Written with errors ignored, so that a closed pipe (`| head`) ends quietly.
    let mut out = std::io::stdout().lock();
    if json {
        let text = serde_json::to_string_pretty(&report).unwrap_or_default();
        let _ = writeln!(out, "{text}");
        return ExitCode::SUCCESS;
    }
    for c in &report.candidates {
        let mine: Vec<_> = report
            .hunks
            .iter()
            .filter(|h| h.target.as_deref() == Some(&c.id))
            .collect();
        if mine.is_empty() {
            continue;
        }
        let _ = writeln!(out, "fixup {} {}", &c.id[..7.min(c.id.len())], c.subject);
        for h in mine {
            let _ = writeln!(out, "    {} {}", h.path, h.range);
        }
    }
    let left: Vec<_> = report.hunks.iter().filter(|h| h.target.is_none()).collect();
    if !left.is_empty() {
        let _ = writeln!(out, "left behind");
        for h in left {
            println!(
                "    {} {}: {}",
                h.path,
                h.range,
                h.reason.as_deref().unwrap_or("")
            );
        }
    }
    ExitCode::SUCCESS
}
