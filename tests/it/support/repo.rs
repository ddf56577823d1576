//! The one test repository: built and inspected by the real `git` in a temp dir, with nothing
//! of the developer's own git configuration (`HOME`, `GIT_CONFIG_NOSYSTEM`, `GIT_CONFIG_GLOBAL`).
//! Shared by the integration tests (`tests/it/support`) and the library's unit tests (the
//! engine's, the record's and the index reader's, through `crate::test_repo`, which includes this
//! file by path): one harness, one isolation.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// A repository in a temp dir, built and inspected with the real `git`.
pub struct Repo {
    pub dir: tempfile::TempDir,
}

impl Repo {
    /// A new repository on branch `main` with an identity and no commits.
    pub fn new() -> Repo {
        Repo::new_with(&[])
    }

    /// `new`, with more arguments for `git init` (`--object-format=sha256`, `--ref-format=reftable`).
    pub fn new_with(init_args: &[&str]) -> Repo {
        let dir = tempfile::Builder::new()
            .prefix("cn-test")
            .tempdir()
            .expect("temp dir");
        let repo = Repo { dir };
        let mut init = vec!["init", "-q", "-b", "main"];
        init.extend_from_slice(init_args);
        repo.git(&init);
        repo.git(&["config", "user.email", "dev@example.com"]);
        repo.git(&["config", "user.name", "Dev"]);
        repo.git(&["config", "commit.gpgsign", "false"]);
        repo.git(&["config", "core.autocrlf", "false"]);
        repo
    }

    pub fn root(&self) -> PathBuf {
        self.dir.path().canonicalize().expect("canonical root")
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root().join(rel)
    }

    /// Runs git in the repository, panicking with its output when it fails.
    pub fn git(&self, args: &[&str]) -> String {
        let output = self.git_output(args);
        assert!(
            output.status.success(),
            "git {:?} failed: {}{}",
            args,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    pub fn git_output(&self, args: &[&str]) -> std::process::Output {
        self.command().args(args).output().expect("git runs")
    }

    /// `git` to run in the repository with the fixtures' isolation, for a test that adds an
    /// environment (a date) or a standard input of its own.
    pub fn command(&self) -> Command {
        git_command(
            self.dir.path(),
            &self.dir.path().join(".git/test-global-config"),
        )
    }

    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) {
        let path = self.path(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(path, content).expect("write");
    }

    pub fn read(&self, rel: &str) -> Vec<u8> {
        std::fs::read(self.path(rel)).expect("read")
    }

    pub fn commit_all(&self, message: &str) {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", message]);
    }

    /// `git submodule add` of the repository `upstream` at `at` (file URLs allowed).
    pub fn add_submodule(&self, upstream: &Repo, at: &str) {
        let url = upstream.root();
        let url = url.to_str().expect("utf-8");
        self.git(&[
            "-c",
            "protocol.file.allow=always",
            "submodule",
            "add",
            "-q",
            url,
            at,
        ]);
    }

    /// Two branches that change `path` differently, `side` merged into `main`: the merge stops
    /// with a conflict on `path` (its index holds stages 1 to 3).
    pub fn conflict(&self, path: &str) {
        self.git(&["checkout", "-q", "-b", "side"]);
        self.write(path, "side\n");
        self.commit_all("side");
        self.git(&["checkout", "-q", "main"]);
        self.write(path, "main\n");
        self.commit_all("main");
        let merge = self.git_output(&["merge", "-q", "side"]);
        assert!(!merge.status.success(), "the merge of {path} conflicts");
    }

    /// A repository with `a.txt` committed as one line, and `lines` lines in it on disk.
    pub fn with_lines(lines: usize) -> Repo {
        let repo = Repo::new();
        repo.write("a.txt", "a\n");
        repo.commit_all("seed");
        repo.write("a.txt", "a\n".repeat(lines));
        repo
    }

    /// `git diff --numstat` with these args, summed into (files, added, removed).
    pub fn numstat(&self, args: &[&str]) -> (u64, u64, u64) {
        let mut full = vec!["diff", "--numstat"];
        full.extend_from_slice(args);
        sum_numstat(&self.git(&full))
    }

    /// The untracked files' (files, lines) as git counts them (`git diff --no-index /dev/null f`).
    pub fn untracked_numstat(&self) -> (u64, u64, u64) {
        let listing = self.git(&["ls-files", "--others", "--exclude-standard", "-z"]);
        let mut sum = (0, 0, 0);
        for file in listing.split('\0').filter(|f| !f.is_empty()) {
            let output = self.git_output(&["diff", "--no-index", "--numstat", "/dev/null", file]);
            let (_, added, removed) = sum_numstat(&String::from_utf8_lossy(&output.stdout));
            sum = (sum.0 + 1, sum.1 + added, sum.2 + removed);
        }
        sum
    }

    /// The bytes of the index entry for `rel` (`git show :rel`).
    pub fn index_blob(&self, rel: &str) -> Vec<u8> {
        self.git_output(&["show", &format!(":{rel}")]).stdout
    }

    pub fn index_bytes(&self) -> Vec<u8> {
        std::fs::read(self.root().join(".git/index")).expect("index")
    }
}

/// Sums `--numstat` output; binary rows (`-\t-`) count as files with 0 lines.
pub fn sum_numstat(text: &str) -> (u64, u64, u64) {
    text.lines()
        .filter(|l| !l.is_empty())
        .fold((0, 0, 0), |(f, a, r), line| {
            let mut parts = line.split('\t');
            let added = parts
                .next()
                .and_then(|p| p.parse::<u64>().ok())
                .unwrap_or(0);
            let removed = parts
                .next()
                .and_then(|p| p.parse::<u64>().ok())
                .unwrap_or(0);
            (f + 1, a + added, r + removed)
        })
}

/// `git` to run in `dir` with nothing of the developer's configuration: no system file, the
/// global file `global` (a file of the test's own, or `/dev/null`), `HOME` at `dir`, and no
/// `GIT_DIR` or `GIT_INDEX_FILE` from the environment the tests run in.
pub fn git_command(dir: &Path, global: &Path) -> Command {
    let mut command = Command::new("git");
    command
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", global)
        .env("HOME", dir)
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE");
    command
}

/// Runs git in `dir`, a directory that is not a `Repo` (a submodule, a nested repository, a
/// clone), with the same isolation and the fixtures' identity.
pub fn git_output_in(dir: &Path, args: &[&str]) -> std::process::Output {
    git_command(dir, Path::new("/dev/null"))
        .args(args)
        .env("GIT_AUTHOR_NAME", "Dev")
        .env("GIT_AUTHOR_EMAIL", "dev@example.com")
        .env("GIT_COMMITTER_NAME", "Dev")
        .env("GIT_COMMITTER_EMAIL", "dev@example.com")
        .output()
        .expect("git runs")
}

/// `git_output_in`, panicking with git's words when it fails; gives its standard output.
pub fn git_in(dir: &Path, args: &[&str]) -> String {
    let output = git_output_in(dir, args);
    assert!(
        output.status.success(),
        "git {args:?} in {} failed: {}",
        dir.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}
