//! Committing the index with the user's own `git commit`, hooks and signing included.
//!
//! libgit2 runs no hooks and signs nothing, so a commit made with it would skip the user's
//! pre-commit checks and signatures. This runs `git commit -F -` in the worktree: the message on
//! stdin, no terminal, a time limit. When git refuses, its own words come back as the error.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::git::error::{GitError, Result};

/// How to run the commit.
#[derive(Debug, Clone)]
pub struct CommitOptions {
    /// Stop git (and its hooks) after this long.
    pub timeout: Duration,
    /// Strip `#` comment lines from the message (for messages written in a commit-message file).
    pub strip_comments: bool,
    /// The `git` program to run.
    pub git: String,
}

impl Default for CommitOptions {
    fn default() -> Self {
        CommitOptions {
            timeout: Duration::from_secs(120),
            strip_comments: false,
            git: "git".to_string(),
        }
    }
}

/// What a successful commit made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitOutcome {
    /// The new commit's id.
    pub commit: String,
    /// git's first line of output, such as `[main 1a2b3c4] Fix the parser`.
    pub summary: String,
}

/// Whether a message says anything once comments (if stripped) and blank space are gone.
pub(crate) fn message_is_empty(message: &str, strip_comments: bool) -> bool {
    message
        .lines()
        .filter(|line| !(strip_comments && line.starts_with('#')))
        .all(|line| line.trim().is_empty())
}

/// Commits what is staged in the worktree at `root` with `message`; the new HEAD is read from a
/// repository opened for it (`Repo::commit_staged` reads it through the repository it has open).
pub(crate) fn commit_staged(
    root: &Path,
    message: &str,
    options: &CommitOptions,
) -> Result<CommitOutcome> {
    let summary = run_commit(root, message, options)?;
    // The new HEAD: through libgit2 where it opens the repository, else (SHA-256) through git.
    let commit = match crate::git::open_worktree(root) {
        Ok(repo) => crate::git::refs::head(&repo)?
            .commit
            .map(|id| id.to_string()),
        Err(_) => crate::git::refs::head_id_by_cli(&crate::git::cli::Git::at(root))?.1,
    }
    .unwrap_or_default();
    Ok(CommitOutcome { commit, summary })
}

/// Runs `git commit` in the worktree at `root` with `message`; git's first line of output.
///
/// When another git process holds `index.lock` at that moment, git refuses before it has done
/// anything (no hook has run, nothing is written); the commit is then tried again after 50, 200,
/// 450 and 800 ms, as VS Code's git does, before the refusal is given.
pub(crate) fn run_commit(root: &Path, message: &str, options: &CommitOptions) -> Result<String> {
    if message_is_empty(message, options.strip_comments) {
        return Err(GitError::Refused(
            "the commit message is empty; nothing was committed".to_string(),
        ));
    }
    let mut attempt: u64 = 1;
    loop {
        match run_commit_once(root, message, options) {
            Err(GitError::CommitFailed(words)) if index_was_locked(&words) && attempt < 5 => {
                std::thread::sleep(Duration::from_millis(attempt * attempt * 50));
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// Whether git refused because another process held the index's lock (git's words: "Unable to
/// create '…/index.lock': File exists.").
fn index_was_locked(words: &str) -> bool {
    words.starts_with("fatal: Unable to create") && words.contains("index.lock': File exists")
}

/// One `git commit`.
fn run_commit_once(root: &Path, message: &str, options: &CommitOptions) -> Result<String> {
    let cleanup = if options.strip_comments {
        "--cleanup=strip"
    } else {
        "--cleanup=default"
    };
    let mut command = Command::new(&options.git);
    command.args(["commit", cleanup, "-F", "-"]);
    // Its own process group, so that a hook that hangs can be stopped with git.
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = command
        .current_dir(root)
        // The worktree decides the repository; variables inherited from elsewhere must not.
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| GitError::io(format!("could not run {}", options.git), e))?;

    if let Some(mut stdin) = child.stdin.take() {
        // A hook that exits early closes the pipe: its output, not this error, is the story.
        let _ = stdin.write_all(message.as_bytes());
    }
    let stdout = read_in_background(child.stdout.take());
    let stderr = read_in_background(child.stderr.take());

    let deadline = Instant::now() + options.timeout;
    let status = loop {
        match child
            .try_wait()
            .map_err(|e| GitError::io("could not wait for git commit", e))?
        {
            Some(status) => break status,
            None if Instant::now() >= deadline => {
                stop(&mut child);
                return Err(GitError::CommitFailed(format!(
                    "git commit did not finish within {} s (a hook or signing may be waiting for input); it was stopped",
                    options.timeout.as_secs()
                )));
            }
            None => std::thread::sleep(Duration::from_millis(10)),
        }
    };
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    if !status.success() {
        let words = [stderr.trim(), stdout.trim()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("\n");
        return Err(GitError::CommitFailed(if words.is_empty() {
            format!("git commit exited with {status}")
        } else {
            words
        }));
    }
    Ok(stdout.lines().next().unwrap_or_default().trim().to_string())
}

fn read_in_background<R: Read + Send + 'static>(
    pipe: Option<R>,
) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut text);
        }
        String::from_utf8_lossy(&text).into_owned()
    })
}

/// Stops git and its hooks: SIGTERM first, so git removes its `index.lock` as it exits, then
/// SIGKILL if it is still there after two seconds.
fn stop(child: &mut std::process::Child) {
    #[cfg(unix)]
    {
        let group = i32::try_from(child.id()).unwrap_or(0);
        if group > 0 {
            // SAFETY: kill(2) with a negative pid signals the process group we created above.
            unsafe {
                libc::kill(-group, libc::SIGTERM);
            }
            let deadline = Instant::now() + Duration::from_secs(2);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    unsafe {
                        libc::kill(-group, libc::SIGKILL);
                    }
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            unsafe {
                libc::kill(-group, libc::SIGKILL);
            }
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}
