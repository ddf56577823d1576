//! Running the git CLI with nothing from the repository: the one hardened way `src/git` asks git
//! itself, for what libgit2 cannot read (reftable refs, SHA-256 objects).
//!
//! A repository's config can name programs git runs while it reads: an fsmonitor hook, an
//! external diff or textconv driver, clean/smudge/process filters, hooks (`post-index-change`).
//! Every call here switches each of those off on the command line (`-c` wins over every config
//! file), keeps git from writing the index while it reads (`GIT_OPTIONAL_LOCKS=0`), and takes the
//! repository from the worktree alone (no inherited `GIT_DIR`). The user's own config is read as
//! git reads it. `git commit` is not run from here: it keeps the user's hooks (`writes::commit`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::git::error::{GitError, Result};

/// The options every call starts with: no fsmonitor, no hooks, no external diff.
const HARDENED: [&str; 9] = [
    "--literal-pathspecs",
    "-c",
    "core.fsmonitor=false",
    "-c",
    "core.hooksPath=/dev/null",
    "-c",
    "diff.external=",
    "-c",
    "core.untrackedCache=false",
];

/// git run in one worktree, with each filter its config names neutralised.
#[derive(Debug, Clone)]
pub(crate) struct Git {
    root: PathBuf,
    /// `-c filter.<name>.<key>=` for every filter the config names (empty until `with_filters`).
    filters: Vec<String>,
}

impl Git {
    /// git in the worktree `root`, for questions that read no file content (refs, config).
    pub(crate) fn at(root: &Path) -> Git {
        Git {
            root: root.to_path_buf(),
            filters: Vec::new(),
        }
    }

    /// git in `root` for questions that read file content (status, diff, hash-object): every
    /// filter the config names is switched off and made optional.
    pub(crate) fn with_filters(root: &Path) -> Result<Git> {
        let mut git = Git::at(root);
        // `--name-only` prints keys alone (`filter.lfs.clean`); exit 1 means none.
        let names = git.output_allowing(
            &["config", "--name-only", "-z", "--get-regexp", r"^filter\."],
            &[1],
        )?;
        let mut drivers: Vec<String> = names
            .split(|&b| b == 0)
            .filter_map(|key| std::str::from_utf8(key).ok())
            .filter_map(|key| key.strip_prefix("filter.")?.rsplit_once('.'))
            .map(|(name, _)| name.to_string())
            .collect();
        drivers.sort();
        drivers.dedup();
        for name in drivers {
            for key in ["process=", "clean=", "smudge=", "required=false"] {
                git.filters.push("-c".to_string());
                git.filters.push(format!("filter.{name}.{key}"));
            }
        }
        Ok(git)
    }

    /// Runs `git <args>` and returns its stdout; any other exit than 0 is an error with git's
    /// own words.
    pub(crate) fn output(&self, args: &[&str]) -> Result<Vec<u8>> {
        self.output_allowing(args, &[])
    }

    /// `output`, where the exit codes in `also_ok` are answers, not failures (their stdout is
    /// returned, often empty).
    pub(crate) fn output_allowing(&self, args: &[&str], also_ok: &[i32]) -> Result<Vec<u8>> {
        self.run(args, None, also_ok)
    }

    /// Runs `git <args>` with `input` on stdin.
    pub(crate) fn output_with_input(&self, args: &[&str], input: &[u8]) -> Result<Vec<u8>> {
        self.run(args, Some(input), &[])
    }

    fn run(&self, args: &[&str], input: Option<&[u8]>, also_ok: &[i32]) -> Result<Vec<u8>> {
        let mut command = Command::new("git");
        command
            .args(HARDENED)
            .args(&self.filters)
            .args(args)
            .current_dir(&self.root)
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .env_remove("GIT_INDEX_FILE")
            .env_remove("GIT_EXTERNAL_DIFF")
            .env_remove("GIT_PAGER")
            .env("GIT_OPTIONAL_LOCKS", "0")
            .env("GIT_TERMINAL_PROMPT", "0")
            .stdin(if input.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command
            .spawn()
            .map_err(|e| GitError::io("could not run git", e))?;
        let writer = match (input, child.stdin.take()) {
            (Some(input), Some(mut stdin)) => {
                let input = input.to_vec();
                Some(std::thread::spawn(move || {
                    let _ = stdin.write_all(&input);
                }))
            }
            _ => None,
        };
        let output = child
            .wait_with_output()
            .map_err(|e| GitError::io("could not wait for git", e))?;
        if let Some(writer) = writer {
            let _ = writer.join();
        }
        let code = output.status.code().unwrap_or(-1);
        if output.status.success() || also_ok.contains(&code) {
            return Ok(output.stdout);
        }
        let words = String::from_utf8_lossy(&output.stderr);
        let first = words.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        Err(GitError::Refused(format!(
            "git {} failed: {}",
            args.first().copied().unwrap_or(""),
            if first.is_empty() {
                format!("exit {code}")
            } else {
                first.trim().to_string()
            }
        )))
    }
}
