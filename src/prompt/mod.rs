//! The shell prompt: one short line, fast enough to print at every prompt.
//!
//! A cold count of a large repository costs more than `git status`, because the line needs line
//! counts, not only which files changed. So, like powerlevel10k's gitstatusd or git's own
//! fsmonitor daemon, the first prompt in a repository starts a small background process
//! (`commit-nudge prompt-daemon`, see `daemon.rs`) that keeps the repository's counts live with
//! the language server's workspace engine: a file watcher, and re-counting only what changed.
//! Later prompts ask it over a private Unix socket. Its answer is exact: it answers only once its
//! watcher has delivered a barrier file written after the question arrived, so every change the
//! shell made before the prompt is counted. When the daemon is missing, slow or unsure, the
//! prompt counts by itself, exactly as `commit-nudge status` does.
//! `COMMIT_NUDGE_PROMPT_DAEMON=0` turns the daemon off.
//!
//! The daemon also keeps the record of how the work was done (`crate::record`), from the files
//! its watcher sees written, as the language server does from saves: work done in a terminal or
//! an editor without the server gets the same record. `COMMIT_NUDGE_RECORD=0` in the shell that
//! starts it turns that off (the editor's `recordWork` setting cannot reach a daemon).

#[cfg(unix)]
pub mod daemon;

use std::path::Path;

use crate::config::Settings;
use crate::git::GitError;
use crate::report;

/// The environment variable that turns the prompt daemon off (`0`, `false`, `off` or `no`).
pub(crate) const DAEMON_SWITCH: &str = "COMMIT_NUDGE_PROMPT_DAEMON";
/// The environment variable that stops the prompt daemon keeping the record of the work.
pub(crate) const RECORD_SWITCH: &str = "COMMIT_NUDGE_RECORD";

/// The prompt line for the repository containing `path` (empty when there is nothing to say),
/// and any problems with the repository's settings file to show on stderr.
pub fn prompt_line(path: &Path, now_unix: i64) -> Result<(String, Vec<String>), GitError> {
    let info = crate::git::discover(path)?;
    #[cfg(unix)]
    let mut start_daemon = false;
    #[cfg(unix)]
    if daemon_enabled() {
        match daemon::ask(&info.root) {
            Ok(line) => {
                tracing::debug!("answered by the prompt daemon");
                return Ok((line, Vec::new()));
            }
            Err(daemon::AskError::NoDaemon) => {
                tracing::debug!("no prompt daemon yet: counting here, then starting one");
                start_daemon = true;
            }
            Err(daemon::AskError::Failed(why)) => {
                tracing::debug!("the prompt daemon did not answer ({why}): counting here");
            }
        }
    }
    let (report, problems) = report::status_of(&info.root, &Settings::default(), now_unix)?;
    // Started after this count, so that its first count does not slow this one down.
    #[cfg(unix)]
    if start_daemon {
        daemon::start(&info.root);
    }
    Ok((report::prompt_line(&report), problems))
}

/// Whether the environment allows the prompt daemon (it does unless switched off).
#[cfg(unix)]
fn daemon_enabled() -> bool {
    switched_on(DAEMON_SWITCH)
}

/// Whether the environment variable `name` leaves its behaviour on (it does unless `0`,
/// `false`, `off` or `no`).
#[cfg(unix)]
fn switched_on(name: &str) -> bool {
    match std::env::var(name) {
        Ok(value) => !matches!(
            value.trim().to_ascii_lowercase().as_str(),
            "0" | "false" | "off" | "no"
        ),
        Err(_) => true,
    }
}
