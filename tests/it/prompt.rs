//! The prompt daemon: prompts answered from live counts are the prompts a cold count gives, right
//! after any change a shell makes; a dead, confused or idle daemon never costs a prompt.
//!
//! Each test gives its daemons a private runtime directory (`XDG_RUNTIME_DIR`), so it sees only
//! its own socket and lock file, and a short idle time, so none outlives the test by much.

use crate::support;

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use support::{binary, Repo, Rng};

/// A repository, a private runtime directory for its daemon, and a way to ask for prompts.
struct Shell {
    repo: Repo,
    runtime: tempfile::TempDir,
    idle_secs: u64,
}

impl Shell {
    fn new(idle_secs: u64) -> Shell {
        let repo = Repo::new();
        repo.write("README.md", "# project\n");
        repo.write("src/main.rs", "fn main() {}\n");
        repo.commit_all("start");
        Shell {
            repo,
            runtime: tempfile::tempdir().expect("temp dir"),
            idle_secs,
        }
    }

    fn run_prompt(&self, daemon: bool) -> Output {
        Command::new(binary())
            .arg("prompt")
            .current_dir(self.repo.root())
            .env("XDG_RUNTIME_DIR", self.runtime.path())
            .env("COMMIT_NUDGE_PROMPT_DAEMON", if daemon { "1" } else { "0" })
            .env(
                "COMMIT_NUDGE_PROMPT_DAEMON_IDLE_SECS",
                self.idle_secs.to_string(),
            )
            .env("RUST_LOG", "commit_nudge=debug")
            .output()
            .expect("binary runs")
    }

    /// The prompt line, and whether the daemon gave it.
    fn prompt(&self, daemon: bool) -> (String, bool) {
        let output = self.run_prompt(daemon);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "prompt failed: {stderr}");
        (
            String::from_utf8_lossy(&output.stdout)
                .trim_end()
                .to_string(),
            stderr.contains("answered by the prompt daemon"),
        )
    }

    /// Prompts until the daemon answers (it starts after the first prompt and counts once).
    fn until_the_daemon_answers(&self) {
        let started = Instant::now();
        while !self.prompt(true).1 {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the daemon never answered"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn daemon_dir(&self) -> PathBuf {
        self.runtime.path().join("commit-nudge")
    }

    /// The socket and the pid of the running daemon (from its lock file).
    fn daemon(&self) -> Option<(PathBuf, i32)> {
        let entries = std::fs::read_dir(self.daemon_dir()).ok()?;
        let socket = entries
            .flatten()
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|e| e == "sock"))?;
        let lock = std::fs::read_to_string(socket.with_extension("lock")).ok()?;
        let pid = lock.split_whitespace().next()?.parse().ok()?;
        Some((socket, pid))
    }
}

/// The prompt line without its age (`· 3 min`, `· 1 h 5 min`, `· 2 days`), which may tick
/// between two prompts.
fn without_age(line: &str) -> String {
    line.trim_end()
        .split(" · ")
        .filter(|part| {
            let words: Vec<&str> = part.split(' ').collect();
            let is_age = words.len() % 2 == 0
                && words.chunks(2).all(|pair| {
                    pair[0].parse::<u64>().is_ok() && matches!(pair[1], "min" | "h" | "days")
                });
            !is_age
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

/// Sends `bytes` to the daemon (then closes the writing side) and reads its one-line answer.
fn exchange(socket: &Path, bytes: &[u8]) -> String {
    let mut stream = UnixStream::connect(socket).expect("connect");
    stream.write_all(bytes).expect("write");
    stream
        .shutdown(std::net::Shutdown::Write)
        .expect("shutdown");
    let mut answer = String::new();
    BufReader::new(stream)
        .read_line(&mut answer)
        .expect("an answer");
    answer
}

/// Asks the daemon on its socket, as `commit-nudge prompt` does; the line it gives.
fn ask(socket: &Path, root: &Path) -> String {
    let question = format!("{}\n", serde_json::json!({ "root": root }));
    let answer: serde_json::Value =
        serde_json::from_str(&exchange(socket, question.as_bytes())).expect("JSON");
    answer["line"]
        .as_str()
        .unwrap_or_else(|| panic!("no line: {answer}"))
        .to_string()
}

fn alive(pid: i32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| s.contains(") Z "))
}

fn wait_for(what: &str, done: impl Fn() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < Duration::from_secs(30), "{what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn right_after_each_change_a_shell_makes_the_daemon_answers_what_a_cold_count_answers() {
    let shell = Shell::new(60);
    shell.until_the_daemon_answers();
    let (socket, _) = shell.daemon().expect("a daemon runs");
    let repo = &shell.repo;
    let mut rng = Rng(0x5eed_d43a_0001);
    let mut made = 0;
    for round in 0..40 {
        // One thing a user might do in a terminal between two prompts.
        let what = match rng.below(9) {
            0 => {
                repo.write("src/main.rs", format!("fn main() {{}}\n// {round}\n"));
                "edit a tracked file"
            }
            1 => {
                made += 1;
                repo.write(&format!("notes/n{made}.txt"), "a\nb\nc\n".repeat(made));
                "write a new untracked file in a new directory"
            }
            2 => {
                repo.git(&["add", "-A"]);
                "stage everything"
            }
            3 => {
                if repo.git(&["status", "--porcelain"]).trim().is_empty() {
                    "nothing to commit"
                } else {
                    repo.git(&["add", "-A"]);
                    repo.git(&["commit", "-q", "-m", &format!("round {round}")]);
                    "commit"
                }
            }
            4 => {
                let _ = std::fs::remove_file(repo.path("README.md"));
                "delete a tracked file"
            }
            5 => {
                // Refused while a popped stash is in conflict; that state is worth a prompt too.
                let _ = repo.git_output(&["stash", "-u", "-q"]);
                "stash"
            }
            6 => {
                let _ = repo.git_output(&["stash", "pop", "-q"]);
                "pop the stash (perhaps into a conflict)"
            }
            7 => {
                repo.write(
                    "src/lib.rs",
                    (0..rng.below(300))
                        .map(|i| format!("// {i}\n"))
                        .collect::<String>(),
                );
                "write a long file"
            }
            _ => {
                repo.git(&["reset", "-q", "--hard"]);
                "reset --hard"
            }
        };
        // Asked straight on the socket, with no process start between the change and the
        // question, and then through the command.
        let direct = ask(&socket, &repo.root());
        let (warm, by_daemon) = shell.prompt(true);
        let (cold, _) = shell.prompt(false);
        assert!(
            by_daemon,
            "round {round} ({what}): the daemon did not answer"
        );
        assert_eq!(
            without_age(&direct),
            without_age(&cold),
            "round {round}, asked on the socket right after: {what}"
        );
        assert_eq!(
            without_age(&warm),
            without_age(&cold),
            "round {round}, after: {what}"
        );
    }
}

#[test]
fn a_killed_daemon_costs_no_prompt_and_is_replaced() {
    let shell = Shell::new(60);
    shell.repo.write("new.txt", "one\ntwo\n");
    let expected = shell.prompt(false).0;
    assert!(expected.contains("+2"), "{expected}");
    shell.until_the_daemon_answers();
    let (socket, pid) = shell.daemon().expect("a daemon runs");
    // SAFETY: kill(2) with a pid read from our own daemon's lock file.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGKILL) }, 0);
    wait_for("the killed daemon is gone", || !alive(pid));
    assert!(socket.exists(), "a killed daemon leaves its socket behind");

    // The stale socket is refused; the prompt counts by itself and a new daemon takes over.
    assert_eq!(shell.prompt(true).0, expected);
    shell.until_the_daemon_answers();
    let (_, new_pid) = shell.daemon().expect("a new daemon runs");
    assert_ne!(new_pid, pid);
    assert_eq!(shell.prompt(true), (expected, true));
}

#[test]
fn garbage_on_the_socket_gets_an_answer_and_the_daemon_goes_on() {
    let shell = Shell::new(60);
    shell.repo.write("new.txt", "one\n");
    shell.until_the_daemon_answers();
    let (socket, pid) = shell.daemon().expect("a daemon runs");
    for junk in [
        &b"not json\n"[..],
        b"{\"root\": \"/somewhere/else\"}\n",
        b"\xff\xfe\n",
        b"",
    ] {
        let answer = exchange(&socket, junk);
        assert!(answer.contains("unsure"), "{junk:?} got {answer}");
    }
    assert!(alive(pid));
    assert!(shell.prompt(true).1, "the daemon still answers");
}

#[test]
fn an_idle_daemon_leaves_and_takes_its_socket_with_it() {
    let shell = Shell::new(1);
    shell.repo.write("new.txt", "one\n");
    shell.until_the_daemon_answers();
    let (socket, pid) = shell.daemon().expect("a daemon runs");
    wait_for("the idle daemon leaves", || !alive(pid));
    assert!(!socket.exists(), "the socket went with the daemon");
}

#[test]
fn a_daemon_asked_to_stop_leaves_nothing_behind() {
    let shell = Shell::new(60);
    shell.repo.write("new.txt", "one\n");
    shell.until_the_daemon_answers();
    let (socket, pid) = shell.daemon().expect("a daemon runs");
    // SAFETY: kill(2) with a pid read from our own daemon's lock file.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    wait_for("the daemon leaves on SIGTERM", || !alive(pid));
    assert!(!socket.exists(), "the socket went with the daemon");
    assert!(!socket.with_extension("lock").exists(), "the lock file too");
}

#[test]
fn switched_off_no_daemon_starts() {
    let shell = Shell::new(60);
    shell.repo.write("new.txt", "one\n");
    // Switched off, a prompt neither asks a daemon nor decides to start one (it logs each of
    // those at debug level), so none can appear later.
    for _ in 0..3 {
        let output = shell.run_prompt(false);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "prompt failed: {stderr}");
        assert!(!stderr.contains("prompt daemon"), "{stderr}");
    }
    assert!(shell.daemon().is_none());
}

/// Replaces the shell's repository by a new one at the same path, as a re-clone does: the old
/// worktree is deleted (or, with `keep_old`, moved aside), and the new one has other history
/// and one change of two lines.
fn reclone(shell: &Shell, keep_old: Option<&Path>) -> String {
    let root = shell.repo.root();
    match keep_old {
        Some(aside) => std::fs::rename(&root, aside).expect("mv"),
        None => std::fs::remove_dir_all(&root).expect("rm -rf"),
    }
    std::fs::create_dir(&root).expect("mkdir");
    shell.repo.git(&["init", "-q", "-b", "main"]);
    shell.repo.git(&["config", "user.email", "dev@example.com"]);
    shell.repo.git(&["config", "user.name", "Dev"]);
    shell.repo.write("other.txt", "a\n");
    shell.repo.commit_all("another history");
    shell.repo.write("other.txt", "a\nb\nc\n");
    let expected = shell.prompt(false).0;
    assert!(expected.contains("+2"), "{expected}");
    expected
}

#[test]
fn after_a_reclone_no_prompt_waits_on_the_daemon_and_its_answers_are_the_new_repositorys() {
    let shell = Shell::new(60);
    shell.until_the_daemon_answers();
    let expected = reclone(&shell, None);
    // The daemon follows the new repository (its watcher re-arms), or says it is gone and a new
    // one takes over; either way the prompt never waits for a barrier that cannot come.
    let output = shell.run_prompt(true);
    let stderr = String::from_utf8_lossy(&output.stderr);
    // It may say at once that it is still counting the new repository (the prompt then counts
    // here), but never keep the prompt waiting until a timeout.
    for waited in ["in time", "timed out", "temporarily unavailable"] {
        assert!(!stderr.contains(waited), "{stderr}");
    }
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim_end(), expected);
    shell.until_the_daemon_answers();
    assert_eq!(shell.prompt(true), (expected, true));
}

#[test]
fn a_daemon_whose_repository_was_replaced_says_so_at_once_and_is_replaced() {
    let shell = Shell::new(60);
    shell.until_the_daemon_answers();
    let (_, pid) = shell.daemon().expect("a daemon runs");
    let aside = tempfile::tempdir().expect("temp dir");
    let expected = reclone(&shell, Some(&aside.path().join("old")));

    let output = shell.run_prompt(true);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("the prompt daemon is leaving"),
        "the daemon said it is gone: {stderr}"
    );
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim_end(), expected);
    wait_for("the old daemon leaves", || !alive(pid));

    // A new daemon serves the new repository.
    shell.until_the_daemon_answers();
    let (_, new_pid) = shell.daemon().expect("a new daemon runs");
    assert_ne!(new_pid, pid);
    assert_eq!(shell.prompt(true), (expected, true));
}

#[test]
fn work_saved_in_a_terminal_with_only_the_daemon_running_is_recorded_and_planned_from() {
    use crate::plan_record::{
        assert_pieces_apart_in_order, cli_plan, pause_longer_than_the_saves, text_with,
        wait_for_snapshots, write_whole,
    };
    let shell = Shell::new(60);
    shell.repo.write("f.txt", text_with(&[]));
    shell.repo.commit_all("seed");
    shell.until_the_daemon_answers();
    let (_, pid) = shell.daemon().expect("a daemon runs");
    // No editor, no language server: the files are written on disk, one edit at a time, the
    // daemon's watcher seeing each; then a pause, then a second piece of work.
    let first = [4, 16, 28, 40];
    let second = [10, 22, 34, 52];
    let mut edited: Vec<usize> = Vec::new();
    let mut work = |lines: &[usize]| {
        for line in lines {
            edited.push(*line);
            write_whole(&shell.repo, "f.txt", &text_with(&edited));
            wait_for_snapshots(&shell.repo, edited.len());
        }
    };
    work(&first);
    pause_longer_than_the_saves(&shell.repo);
    work(&second);
    // `commit-nudge plan` reads the daemon's record: the two pieces apart, in order; without
    // the record the nearby edits of one file are one commit.
    let plan = cli_plan(&shell.repo, &[]);
    assert_pieces_apart_in_order(&plan, &first, &format!("{plan:?}"));
    assert_eq!(cli_plan(&shell.repo, &["--no-record"]).len(), 1);
    // SAFETY: kill(2) with a pid read from our own daemon's lock file.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    wait_for("the daemon leaves on SIGTERM", || !alive(pid));
}
