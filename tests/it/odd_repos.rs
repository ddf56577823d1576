//! Odd repositories, each built by real `git`: every one gives git's own numbers or one clear
//! message, within a bounded time, and never a crash.

use crate::support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use commit_nudge::git::{self, CountOptions};
use serde_json::Value;
use support::{git_in, git_output_in, section, sum_numstat, GitNumbers, Repo};

/// Hang guard for one run of the binary.
const RUN_LIMIT: Duration = Duration::from_secs(120);

/// Runs `commit-nudge` with `args` in `dir`, killing it if it outlives the hang guard.
fn run_bounded(dir: &Path, args: &[&str], envs: &[(&str, &Path)]) -> Output {
    let mut command = Command::new(support::binary());
    command
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("COMMIT_NUDGE_PROMPT_DAEMON", "0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in envs {
        command.env(key, value);
    }
    let mut child = command.spawn().expect("binary runs");
    let started = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if started.elapsed() > RUN_LIMIT {
            let _ = child.kill();
            panic!("commit-nudge {args:?} in {} hung", dir.display());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child.wait_with_output().expect("output")
}

/// `status --json` in `dir`, which must succeed.
fn status(dir: &Path) -> Value {
    let output = run_bounded(dir, &["status", "--json"], &[]);
    assert!(
        output.status.success(),
        "status in {} failed: {}",
        dir.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("status prints JSON")
}

/// A run that refuses: a non-zero exit (not a signal), one clear line on stderr, nothing on stdout.
fn assert_clear_refusal(output: &Output, expected: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.code().is_some_and(|c| c != 0),
        "a refusal exits non-zero (and not by a signal): {:?}, {stderr}",
        output.status
    );
    assert!(
        stderr.contains(expected),
        "the message says {expected:?}: {stderr}"
    );
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "one line on stderr: {stderr}"
    );
    assert!(
        output.stdout.is_empty(),
        "nothing on stdout: {:?}",
        output.stdout
    );
}

/// git's count of the untracked files: staged into a throw-away copy of the index, then diffed
/// (this also counts symlinks as git stores them: the link's target as a one-line blob).
///
/// A nested repository (git lists it as `dir/` and would record a gitlink) counts as one file
/// with no lines: its content is counted in its own repository.
#[cfg(unix)]
fn untracked_by_git(dir: &Path, base: &str) -> (u64, u64, u64) {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let listing = git_output_in(dir, &["ls-files", "--others", "--exclude-standard", "-z"]).stdout;
    let all: Vec<&[u8]> = listing
        .split(|b| *b == 0)
        .filter(|p| !p.is_empty())
        .collect();
    let nested = all.iter().filter(|p| p.ends_with(b"/")).count() as u64;
    let paths: Vec<&OsStr> = all
        .iter()
        .filter(|p| !p.ends_with(b"/"))
        .map(|p| OsStr::from_bytes(p))
        .collect();
    if paths.is_empty() {
        return (nested, 0, 0);
    }
    let git_dir = PathBuf::from(git_in(dir, &["rev-parse", "--absolute-git-dir"]).trim());
    let scratch = tempfile::tempdir().expect("temp dir");
    let index = scratch.path().join("index");
    if git_dir.join("index").exists() {
        std::fs::copy(git_dir.join("index"), &index).expect("copy the index");
    }
    let with_index = |args: &[&OsStr]| {
        let output = support::git_command(dir, Path::new("/dev/null"))
            .args(args)
            .env("GIT_INDEX_FILE", &index)
            .output()
            .expect("git runs");
        assert!(
            output.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let mut add: Vec<&OsStr> = ["add", "-f", "--"].iter().map(OsStr::new).collect();
    add.extend(&paths);
    with_index(&add);
    let mut diff: Vec<&OsStr> = ["diff", "--cached", "--numstat", "--no-renames"]
        .iter()
        .map(OsStr::new)
        .collect();
    diff.push(OsStr::new(base));
    diff.push(OsStr::new("--"));
    diff.extend(&paths);
    let (files, added, removed) = sum_numstat(&with_index(&diff));
    (files + nested, added, removed)
}

/// Asserts the status of `dir` against git's own numbers there.
fn assert_git_numbers(dir: &Path) -> Value {
    let status = status(dir);
    GitNumbers::of(
        |args| git_output_in(dir, args),
        |base| untracked_by_git(dir, base),
    )
    .assert_status(&status, &dir.display().to_string());
    status
}

fn lines(n: usize, word: &str) -> String {
    (0..n).map(|i| format!("{word} {i}\n")).collect()
}

fn seeded() -> Repo {
    let repo = Repo::new();
    repo.write("a.txt", lines(20, "a"));
    repo.write("dir/b.txt", lines(5, "b"));
    repo.commit_all("seed");
    repo
}

#[test]
fn an_empty_repository_counts_nothing() {
    let repo = Repo::new();
    let status = assert_git_numbers(&repo.root());
    assert_eq!(status["head"], Value::Null);
    assert_eq!(status["branch"], "main");
    assert_eq!(section(&status, "total"), (0, 0, 0));
    let prompt = run_bounded(&repo.root(), &["prompt"], &[]);
    assert!(prompt.status.success() && prompt.stdout.is_empty());
}

#[test]
fn an_unborn_head_counts_the_index_and_untracked_files() {
    let repo = Repo::new();
    repo.write("staged.txt", lines(7, "s"));
    repo.git(&["add", "staged.txt"]);
    repo.write("staged.txt", lines(9, "s"));
    repo.write("loose.txt", lines(3, "l"));
    let status = assert_git_numbers(&repo.root());
    assert_eq!(status["head"], Value::Null);
}

#[test]
fn a_bare_repository_is_refused_clearly() {
    let dir = tempfile::tempdir().expect("temp dir");
    git_in(dir.path(), &["init", "-q", "--bare", "r.git"]);
    let bare = dir.path().join("r.git");
    assert_clear_refusal(&run_bounded(&bare, &["status"], &[]), "bare repository");
    assert_clear_refusal(
        &run_bounded(&bare.join("refs"), &["status", "--json"], &[]),
        "bare repository",
    );
    assert_clear_refusal(&run_bounded(&bare, &["prompt"], &[]), "bare repository");
    let error = git::open(&bare).expect_err("bare");
    assert!(matches!(error, git::GitError::Bare(_)), "{error}");
}

#[test]
fn a_detached_head_counts_as_git_does() {
    let repo = seeded();
    repo.write("a.txt", lines(22, "a"));
    repo.commit_all("second");
    repo.git(&["checkout", "-q", "--detach", "HEAD~1"]);
    repo.write("a.txt", lines(10, "a"));
    repo.write("new.txt", "x\n");
    let status = assert_git_numbers(&repo.root());
    assert_eq!(status["branch"], Value::Null);
    assert!(status["head"].is_string());
}

#[test]
fn a_linked_worktree_is_counted_on_its_own() {
    let repo = seeded();
    let linked = repo.dir.path().join("linked");
    repo.git(&[
        "worktree",
        "add",
        "-q",
        "-b",
        "feature",
        linked.to_str().expect("utf-8"),
    ]);
    std::fs::write(linked.join("a.txt"), lines(30, "w")).expect("write");
    std::fs::write(linked.join("only-here.txt"), "w\n").expect("write");
    git_in(&linked, &["add", "only-here.txt"]);
    let status = assert_git_numbers(&linked);
    assert_eq!(status["branch"], "feature");
    assert_eq!(
        PathBuf::from(status["root"].as_str().expect("root")),
        linked.canonicalize().expect("canonical")
    );
    // The main worktree sees the linked one as an untracked directory, as git does.
    assert_git_numbers(&repo.root());
}

#[test]
fn a_submodule_with_changes_counts_as_git_does() {
    let upstream = seeded();
    let repo = seeded();
    repo.add_submodule(&upstream, "sub");
    repo.commit_all("add the submodule");
    let sub = repo.path("sub");
    // A new commit in the submodule, and uncommitted work inside it.
    std::fs::write(sub.join("a.txt"), lines(3, "sub")).expect("write");
    git_in(&sub, &["commit", "-q", "-am", "inside"]);
    std::fs::write(sub.join("dir/b.txt"), "dirty\n").expect("write");
    assert_git_numbers(&repo.root());
    // The submodule is a repository of its own, counted on its own.
    assert_git_numbers(&sub);
}

#[test]
fn nested_repositories_are_counted_separately() {
    let outer = seeded();
    outer.write("a.txt", lines(25, "a"));
    let inner_dir = outer.path("vendor/inner");
    std::fs::create_dir_all(&inner_dir).expect("mkdir");
    git_in(&inner_dir, &["init", "-q", "-b", "main"]);
    std::fs::write(inner_dir.join("x.txt"), lines(4, "x")).expect("write");
    git_in(&inner_dir, &["add", "x.txt"]);
    git_in(&inner_dir, &["commit", "-q", "-m", "inner"]);
    std::fs::write(inner_dir.join("x.txt"), lines(6, "x")).expect("write");
    assert_git_numbers(&outer.root());
    let inner = assert_git_numbers(&inner_dir);
    assert_eq!(
        PathBuf::from(inner["root"].as_str().expect("root")),
        inner_dir.canonicalize().expect("canonical")
    );
    assert_eq!(section(&inner, "total"), (1, 2, 0));
}

#[test]
fn a_sparse_checkout_counts_only_real_changes() {
    let repo = seeded();
    repo.write("other/c.txt", lines(8, "c"));
    repo.commit_all("more");
    repo.git(&["sparse-checkout", "set", "dir"]);
    assert!(
        !repo.path("other/c.txt").exists(),
        "sparse checkout left other/ out"
    );
    repo.write("dir/b.txt", lines(7, "b"));
    assert_git_numbers(&repo.root());
}

#[test]
fn crlf_files_and_autocrlf_count_as_git_does() {
    let repo = Repo::new();
    repo.write("dos.txt", "one\r\ntwo\r\nthree\r\n");
    repo.write("unix.txt", "one\ntwo\n");
    repo.commit_all("seed");
    repo.write("dos.txt", "one\r\n2\r\nthree\r\nfour\r\n");
    repo.write("unix.txt", "one\r\ntwo\r\n");
    assert_git_numbers(&repo.root());
    repo.git(&["config", "core.autocrlf", "true"]);
    repo.write("fresh.txt", "a\r\nb\r\n");
    assert_git_numbers(&repo.root());
}

#[cfg(unix)]
#[test]
fn invalid_utf8_in_contents_and_names_counts_as_git_does() {
    use std::os::unix::ffi::OsStrExt;
    let repo = seeded();
    repo.write("latin1.txt", b"caf\xe9\nna\xefve\n");
    let odd_name = std::ffi::OsStr::from_bytes(b"bad-\xff-name.txt");
    std::fs::write(repo.root().join(odd_name), "one\ntwo\n").expect("write");
    repo.commit_all("odd");
    repo.write("latin1.txt", b"caf\xe9\n\xff\xfe\n");
    std::fs::write(repo.root().join(odd_name), "one\n").expect("write");
    std::fs::write(
        repo.root()
            .join(std::ffi::OsStr::from_bytes(b"new-\xc3\x28.txt")),
        "x\ny\n",
    )
    .expect("write");
    assert_git_numbers(&repo.root());
}

#[test]
fn binary_files_count_as_files_with_no_lines() {
    let repo = seeded();
    repo.write("blob.bin", [0u8, 1, 2, 3, 0, 9]);
    repo.commit_all("binary");
    repo.write("blob.bin", [0u8, 7, 7, 0]);
    repo.write("new.bin", [0u8; 64]);
    let status = assert_git_numbers(&repo.root());
    assert_eq!(section(&status, "total"), (2, 0, 0));
}

#[test]
fn a_file_over_the_size_limit_counts_by_size_alone() {
    let repo = seeded();
    // 100 MiB of text, generated here: 100 Ki lines of 1 KiB.
    let line = format!("{}\n", "z".repeat(1023));
    let mut big = String::with_capacity(100 << 20);
    for _ in 0..(100 << 10) {
        big.push_str(&line);
    }
    repo.write("big.txt", &big);
    drop(big);
    let status = status(&repo.root());
    assert_eq!(section(&status, "untracked"), (1, 0, 0), "{status:#}");
    assert_eq!(status["untracked"]["over_size_limit"], 1, "{status:#}");
    assert_eq!(status["total"]["over_size_limit"], 1, "{status:#}");
    assert!(status["staged"].get("over_size_limit").is_none());
    let human = run_bounded(&repo.root(), &["status"], &[]);
    assert!(
        String::from_utf8_lossy(&human.stdout).contains("counted by size alone"),
        "{}",
        String::from_utf8_lossy(&human.stdout)
    );

    // Without the limit the lines are git's own.
    let unlimited = CountOptions {
        count_untracked: true,
        max_file_bytes: 0,
        ..CountOptions::default()
    };
    let counts = git::open(&repo.root())
        .and_then(|opened| opened.count(&unlimited))
        .expect("count");
    let stat = git::LineStat::of(&counts.untracked);
    assert_eq!((stat.files, stat.added, stat.removed), (1, 100 << 10, 0));
    assert!(counts.large_files.is_empty());

    // Tracked and changed beyond the limit: one file, no lines, on each side it differs.
    repo.git(&["add", "big.txt"]);
    repo.write("big.txt", "small now\n");
    let limited = CountOptions {
        count_untracked: true,
        max_file_bytes: 1 << 20,
        ..CountOptions::default()
    };
    let counts = git::open(&repo.root())
        .and_then(|opened| opened.count(&limited))
        .expect("count");
    assert_eq!(counts.large_files, vec!["big.txt".to_string()]);
    let staged = git::LineStat::of_with_limit(&counts.staged, &counts.large_files);
    assert_eq!(
        (staged.files, staged.added, staged.over_size_limit),
        (1, 0, 1)
    );
    let unstaged = git::LineStat::of_with_limit(&counts.unstaged, &counts.large_files);
    assert_eq!((unstaged.files, unstaged.lines()), (1, 0));
}

#[cfg(unix)]
#[test]
fn symlink_loops_and_links_out_of_the_tree_are_links_not_followed() {
    use std::os::unix::fs::symlink;
    let repo = seeded();
    let outside = tempfile::tempdir().expect("temp dir");
    std::fs::write(outside.path().join("secret.txt"), lines(50, "s")).expect("write");
    symlink("loop-b", repo.path("loop-a")).expect("symlink");
    symlink("loop-a", repo.path("loop-b")).expect("symlink");
    symlink("self", repo.path("self")).expect("symlink");
    symlink(outside.path().join("secret.txt"), repo.path("out-file")).expect("symlink");
    symlink(outside.path(), repo.path("out-dir")).expect("symlink");
    symlink("../../..", repo.path("dir/up")).expect("symlink");
    let status = assert_git_numbers(&repo.root());
    assert_eq!(section(&status, "untracked").0, 6, "{status:#}");
    repo.commit_all("links");
    std::fs::remove_file(repo.path("loop-a")).expect("rm");
    symlink("elsewhere", repo.path("loop-a")).expect("symlink");
    assert_git_numbers(&repo.root());
}

#[test]
fn a_merge_in_progress_with_conflicts_gives_numbers_or_a_clear_message() {
    let repo = seeded();
    repo.git(&["checkout", "-q", "-b", "side"]);
    repo.write("a.txt", lines(20, "side"));
    repo.commit_all("side");
    repo.git(&["checkout", "-q", "main"]);
    repo.write("a.txt", lines(20, "main"));
    repo.write("dir/b.txt", lines(6, "b"));
    repo.commit_all("main");
    let merge = repo.git_output(&["merge", "side"]);
    assert!(!merge.status.success(), "the merge conflicts");
    assert!(repo.path(".git/MERGE_HEAD").exists());
    let status = status(&repo.root());
    // The conflicted file holds conflict markers; what a commit of everything would hold
    // (HEAD→working tree) is git's number.
    let total = sum_numstat(&repo.git(&["diff", "--numstat", "HEAD"]));
    assert_eq!(section(&status, "total"), total, "{status:#}");
}

#[test]
fn a_rebase_in_progress_counts_as_git_does() {
    let repo = seeded();
    repo.git(&["checkout", "-q", "-b", "topic"]);
    repo.write("a.txt", lines(20, "topic"));
    repo.commit_all("topic");
    repo.git(&["checkout", "-q", "main"]);
    repo.write("a.txt", lines(20, "main"));
    repo.commit_all("main");
    repo.git(&["checkout", "-q", "topic"]);
    let rebase = repo.git_output(&["rebase", "main"]);
    assert!(!rebase.status.success(), "the rebase stops on a conflict");
    assert!(repo.path(".git/rebase-merge").exists() || repo.path(".git/rebase-apply").exists());
    let status = status(&repo.root());
    let total = sum_numstat(&repo.git(&["diff", "--numstat", "HEAD"]));
    assert_eq!(section(&status, "total"), total, "{status:#}");
    // Resolved and staged, the counts are git's in every section.
    repo.write("a.txt", lines(20, "resolved"));
    repo.git(&["add", "a.txt"]);
    assert_git_numbers(&repo.root());
}

#[test]
fn a_held_index_lock_leaves_counting_working_and_the_lock_alone() {
    let repo = seeded();
    repo.write("a.txt", lines(24, "a"));
    repo.write("new.txt", "n\n");
    let lock = repo.path(".git/index.lock");
    std::fs::write(&lock, b"held by another git").expect("lock");
    let index_before = repo.index_bytes();
    assert_git_numbers(&repo.root());
    assert_eq!(
        std::fs::read(&lock).expect("lock stays"),
        b"held by another git"
    );
    assert_eq!(repo.index_bytes(), index_before, "the index is untouched");
    // Writing is refused with a message naming the lock.
    let opened = git::open(&repo.root()).expect("open");
    let error = opened.stage_file("a.txt", None).expect_err("locked");
    assert!(matches!(error, git::GitError::IndexLocked(_)), "{error}");
    assert!(error.to_string().contains("index.lock"), "{error}");
    assert_eq!(repo.index_bytes(), index_before);
}

#[cfg(unix)]
#[test]
fn a_repository_owned_by_another_user_gives_a_clear_message_or_git_numbers() {
    // As root the test can hand the repository to `nobody`; as anyone else it cannot chown.
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("not root: cannot give a repository to another user here");
        return;
    }
    let repo = seeded();
    repo.write("a.txt", lines(21, "a"));
    let chown = Command::new("chown")
        .args(["-R", "nobody:nogroup"])
        .arg(repo.root())
        .status()
        .expect("chown runs");
    assert!(chown.success());
    // git itself refuses a repository owned by someone else (`safe.directory`).
    let git_says = repo.git_output(&["status"]);
    let home = tempfile::tempdir().expect("temp dir");
    let output = run_bounded(
        &repo.root(),
        &["status", "--json"],
        &[("HOME", home.path())],
    );
    if git_says.status.success() {
        assert!(output.status.success());
    } else {
        assert_clear_refusal(&output, "safe.directory");
    }
    // Trusted with `safe.directory`, it counts as git does.
    std::fs::write(
        home.path().join(".gitconfig"),
        format!("[safe]\n\tdirectory = {}\n", repo.root().display()),
    )
    .expect("write");
    let output = run_bounded(
        &repo.root(),
        &["status", "--json"],
        &[("HOME", home.path())],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let status: Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(section(&status, "total"), (1, 1, 0));
}

#[cfg(unix)]
#[test]
fn unreadable_files_give_git_numbers_or_a_clear_message() {
    use std::os::unix::fs::PermissionsExt;
    let repo = seeded();
    repo.write("a.txt", lines(30, "a"));
    repo.write("locked-new.txt", "secret\n");
    for rel in ["a.txt", "locked-new.txt"] {
        std::fs::set_permissions(repo.path(rel), std::fs::Permissions::from_mode(0o000))
            .expect("chmod");
    }
    // Root reads them anyway, and so does git; another user gets git's own refusal or numbers.
    let output = run_bounded(&repo.root(), &["status", "--json"], &[]);
    if output.status.success() {
        assert_git_numbers(&repo.root());
    } else {
        assert_clear_refusal(&output, "ermission");
    }
    for rel in ["a.txt", "locked-new.txt"] {
        std::fs::set_permissions(repo.path(rel), std::fs::Permissions::from_mode(0o644))
            .expect("chmod");
    }
}

#[test]
fn files_deleted_while_being_read_never_crash_a_count() {
    let repo = seeded();
    let root = repo.root();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let churn = {
        let (root, stop) = (root.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut round = 0u64;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                for i in 0..20 {
                    let path = root.join(format!("churn/f{i}.txt"));
                    let _ = std::fs::create_dir_all(root.join("churn"));
                    let _ = std::fs::write(&path, lines(200 + i, "c"));
                }
                let _ = std::fs::write(root.join("a.txt"), lines(20 + (round % 7) as usize, "a"));
                let _ = std::fs::remove_dir_all(root.join("churn"));
                let _ = std::fs::remove_file(root.join("dir/b.txt"));
                round += 1;
            }
        })
    };
    for _ in 0..30 {
        let output = run_bounded(&root, &["status", "--json"], &[]);
        if output.status.success() {
            let status: Value = serde_json::from_slice(&output.stdout).expect("json");
            assert!(status["total"]["files"].is_u64());
        } else {
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(
                output.status.code().is_some(),
                "killed by a signal: {stderr}"
            );
            assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
        }
        let counted = git::open(&root).and_then(|opened| opened.count(&CountOptions::default()));
        if let Err(error) = counted {
            assert!(!error.to_string().is_empty());
        }
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    churn.join().expect("churn thread");
    // Once quiet, git's numbers.
    assert_git_numbers(&root);
}

/// An editor that saves by truncating and writing, racing a count: libgit2 would map the file
/// and die of SIGBUS on the pages past its new end; the count reads instead (src/git/diffs/no_mmap_filter.rs).
#[test]
fn a_file_truncated_while_it_is_counted_never_kills_the_process() {
    let repo = Repo::new();
    let big: String = (0..200_000)
        .map(|i| format!("original line {i}\n"))
        .collect();
    repo.write("big.txt", &big);
    repo.commit_all("seed");
    let changed: String = (0..200_000)
        .map(|i| format!("changed line {i}\n"))
        .collect();
    repo.write("big.txt", &changed);
    let root = repo.root();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (path, stop, changed) = (root.join("big.txt"), stop.clone(), changed.clone());
        std::thread::spawn(move || {
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let _ = std::fs::write(&path, b"short\n");
                let _ = std::fs::write(&path, &changed);
            }
        })
    };
    let opened = git::open(&root).expect("open");
    for _ in 0..60 {
        // Numbers or a clear error ("file changed before we could read it"), never a signal.
        if let Err(error) = opened.count(&CountOptions::default()) {
            assert!(!error.to_string().is_empty());
        }
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    writer.join().expect("writer");
}
