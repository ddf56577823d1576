//! The prompt daemon: one background process per repository that answers prompts from live counts.
//!
//! It runs the workspace engine of the language server on one repository (`workspace::spawn`,
//! with its file watcher) and listens on a Unix socket in a private directory (`$XDG_RUNTIME_DIR/
//! commit-nudge`, else `$TMPDIR/commit-nudge-<uid>`, mode 0700 and ours, or no daemon at all).
//! The socket's name is a hash of the worktree root and of the running binary, so a rebuilt or
//! upgraded binary gets a daemon of its own. An exclusive `flock` on a lock file beside the socket
//! keeps it to one daemon per name. The daemon leaves after `COMMIT_NUDGE_PROMPT_DAEMON_IDLE_SECS`
//! (default 900) seconds without a question, or as soon as its socket or worktree goes away.
//!
//! The wire: the prompt sends one JSON line `{"root": "<worktree>"}` and reads one JSON line back,
//! `{"line": "<the prompt line>"}` or `{"unsure": "<why>"}` (then it counts by itself).

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot};

use crate::git::RepoInfo;
use crate::workspace::{self, Event, Fresh, Query, BARRIER_PREFIX};

/// How long a prompt waits for the daemon's answer before counting by itself: the bound on
/// what a stuck daemon can cost a prompt.
const ASK_TIMEOUT: Duration = Duration::from_millis(2500);
/// How long the daemon waits for its barrier and counts before saying it is unsure (a full
/// count of 100,000 files takes about half a second).
const ANSWER_TIMEOUT: Duration = Duration::from_secs(2);
/// The environment variable that sets the idle time after which the daemon leaves.
pub(crate) const IDLE_SWITCH: &str = "COMMIT_NUDGE_PROMPT_DAEMON_IDLE_SECS";
const DEFAULT_IDLE: Duration = Duration::from_secs(15 * 60);
/// The longest question a daemon reads: a root path in JSON.
const MAX_REQUEST_BYTES: u64 = 64 * 1024;

#[derive(Serialize, Deserialize)]
struct Request {
    root: PathBuf,
}

#[derive(Serialize, Deserialize, Default)]
struct Answer {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    line: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    unsure: Option<String>,
    /// The daemon lost its repository (deleted, or made anew) and is leaving: start another.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gone: Option<String>,
}

/// The repository a daemon serves, and how to tell that it is still the same one: a worktree
/// deleted and made again at the same path (a re-clone) has a new git directory.
struct Served {
    info: RepoInfo,
    git_dir_identity: Option<(u64, u64)>,
}

impl Served {
    fn new(info: RepoInfo) -> Served {
        Served {
            git_dir_identity: identity(&info.git_dir),
            info,
        }
    }

    /// Why this daemon can no longer answer for its worktree, if it cannot.
    fn lost(&self) -> Option<String> {
        if !self.info.root.is_dir() {
            return Some(format!("{} is gone", self.info.root.display()));
        }
        if identity(&self.info.git_dir) != self.git_dir_identity {
            return Some(format!(
                "the repository at {} was made anew",
                self.info.root.display()
            ));
        }
        None
    }
}

/// The device and inode of a directory, which a re-created one does not share.
fn identity(path: &Path) -> Option<(u64, u64)> {
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

/// Why a prompt got no line from a daemon.
#[derive(Debug)]
pub(crate) enum AskError {
    /// No daemon listens for this repository (start one).
    NoDaemon,
    /// A daemon listens but did not give a line (count by yourself).
    Failed(String),
}

/// Where the daemon of one repository listens, and the lock that keeps it unique.
pub(crate) struct Endpoint {
    pub socket: PathBuf,
    pub lock: PathBuf,
}

impl Endpoint {
    /// The endpoint of the daemon for the worktree at `root`; `None` when no private directory
    /// can be had (then there is no daemon, and prompts count by themselves).
    pub(crate) fn for_root(root: &Path) -> Option<Endpoint> {
        let dir = private_dir()?;
        // `DefaultHasher::new` hashes alike in every run of one binary, and the binary is part
        // of the key: the prompt and its daemon always agree.
        use std::hash::Hasher;
        let mut key = std::collections::hash_map::DefaultHasher::new();
        key.write(root.as_os_str().as_encoded_bytes());
        key.write(b"\0");
        key.write(env!("CARGO_PKG_VERSION").as_bytes());
        if let Some(binary) = std::env::current_exe()
            .ok()
            .and_then(|exe| std::fs::metadata(exe).ok())
        {
            key.write(&binary.mtime().to_le_bytes());
            key.write(&binary.mtime_nsec().to_le_bytes());
            key.write(&binary.size().to_le_bytes());
        }
        let name = format!("{:016x}", key.finish());
        let socket = dir.join(format!("{name}.sock"));
        // A Unix socket's path must fit in `sun_path` (108 bytes on Linux, 104 elsewhere).
        if socket.as_os_str().len() > 100 {
            return None;
        }
        Some(Endpoint {
            socket,
            lock: dir.join(format!("{name}.lock")),
        })
    }
}

/// A directory only this user can enter, for the sockets: created if missing, refused if it is
/// a symlink, someone else's, or open to others.
fn private_dir() -> Option<PathBuf> {
    // SAFETY: geteuid has no preconditions and cannot fail.
    let uid = unsafe { libc::geteuid() };
    let dir = match std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from) {
        Some(runtime) if runtime.is_absolute() && runtime.is_dir() => runtime.join("commit-nudge"),
        _ => std::env::temp_dir().join(format!("commit-nudge-{uid}")),
    };
    let _ = std::fs::DirBuilder::new().mode(0o700).create(&dir);
    let meta = std::fs::symlink_metadata(&dir).ok()?;
    let private = meta.is_dir() && meta.uid() == uid && meta.mode() & 0o077 == 0;
    private.then_some(dir)
}

/// Asks the daemon of the worktree at `root` for the prompt line.
pub(crate) fn ask(root: &Path) -> Result<String, AskError> {
    let endpoint = Endpoint::for_root(root)
        .ok_or_else(|| AskError::Failed("no private directory for its socket".to_string()))?;
    let mut stream = UnixStream::connect(&endpoint.socket).map_err(|error| match error.kind() {
        std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused => AskError::NoDaemon,
        _ => AskError::Failed(error.to_string()),
    })?;
    let failed = |error: std::io::Error| AskError::Failed(error.to_string());
    stream.set_read_timeout(Some(ASK_TIMEOUT)).map_err(failed)?;
    stream
        .set_write_timeout(Some(ASK_TIMEOUT))
        .map_err(failed)?;
    let request = Request {
        root: root.to_path_buf(),
    };
    let mut text = serde_json::to_string(&request).map_err(|e| AskError::Failed(e.to_string()))?;
    text.push('\n');
    stream.write_all(text.as_bytes()).map_err(failed)?;
    let mut reply = String::new();
    BufReader::new(stream.take(MAX_REQUEST_BYTES))
        .read_line(&mut reply)
        .map_err(failed)?;
    let answer: Answer = serde_json::from_str(&reply)
        .map_err(|e| AskError::Failed(format!("an answer that is not JSON ({e})")))?;
    match (answer.line, answer.unsure, answer.gone) {
        (Some(line), _, _) => Ok(line),
        (None, _, Some(why)) => {
            tracing::debug!("the prompt daemon is leaving: {why}");
            Err(AskError::NoDaemon)
        }
        (None, Some(why), None) => Err(AskError::Failed(why)),
        (None, None, None) => Err(AskError::Failed("an empty answer".to_string())),
    }
}

/// Starts the daemon of the worktree at `root` in the background, detached from the shell (its
/// own process group, so Ctrl-C at the prompt does not reach it). Failing to start is not an
/// error: the prompt counts by itself.
pub(crate) fn start(root: &Path) {
    use std::os::unix::process::CommandExt;
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let spawned = std::process::Command::new(exe)
        .arg("prompt-daemon")
        .arg(root)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .process_group(0)
        .spawn();
    if let Err(error) = spawned {
        tracing::debug!("could not start the prompt daemon: {error}");
    }
}

/// Runs the daemon of the worktree at `root` until it is idle or its socket or worktree goes.
/// Returns quietly when another daemon already serves this worktree.
pub fn run(root: &Path) -> anyhow::Result<()> {
    use anyhow::Context;
    let info = crate::git::discover(root)?;
    anyhow::ensure!(
        info.root == root,
        "{} is not the root of a worktree (that is {})",
        root.display(),
        info.root.display()
    );
    let endpoint =
        Endpoint::for_root(root).context("no private directory for the daemon's socket")?;
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&endpoint.lock)
        .with_context(|| format!("cannot open {}", endpoint.lock.display()))?;
    if !lock_exclusively(&lock) {
        tracing::debug!("another daemon serves {}", root.display());
        return Ok(());
    }
    // The lock file names the daemon holding it, for anyone who wonders what this process is.
    let _ = lock.set_len(0);
    let _ = writeln!(&lock, "{} {}", std::process::id(), root.display());
    // With the lock held, a socket file left here is a dead daemon's.
    let _ = std::fs::remove_file(&endpoint.socket);
    let listener = std::os::unix::net::UnixListener::bind(&endpoint.socket)
        .with_context(|| format!("cannot listen on {}", endpoint.socket.display()))?;
    listener.set_nonblocking(true)?;
    let socket_inode = std::fs::metadata(&endpoint.socket)?.ino();
    let idle = std::env::var(IDLE_SWITCH)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map_or(DEFAULT_IDLE, Duration::from_secs);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    runtime.block_on(serve(listener, Arc::new(Served::new(info)), idle, || {
        std::fs::metadata(&endpoint.socket).is_ok_and(|m| m.ino() == socket_inode)
    }))?;
    // Leave no socket or lock file behind, unless they are already another daemon's. (Should a
    // new daemon have opened the lock file just before it goes, two may run for a moment: the
    // second binds the socket anew, and the first sees that its socket is gone and leaves.)
    if std::fs::metadata(&endpoint.socket).is_ok_and(|m| m.ino() == socket_inode) {
        let _ = std::fs::remove_file(&endpoint.socket);
        let _ = std::fs::remove_file(&endpoint.lock);
    }
    drop(lock);
    Ok(())
}

/// An exclusive, non-blocking `flock`, held until the file is closed.
fn lock_exclusively(file: &std::fs::File) -> bool {
    use std::os::fd::AsRawFd;
    // SAFETY: the descriptor is open for as long as `file` lives; flock only reads it.
    unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) == 0 }
}

async fn serve(
    listener: std::os::unix::net::UnixListener,
    served: Arc<Served>,
    idle: Duration,
    socket_is_ours: impl Fn() -> bool,
) -> anyhow::Result<()> {
    let info = &served.info;
    // An answer that finds the repository lost asks the daemon to leave.
    let leave = Arc::new(tokio::sync::Notify::new());
    let listener = tokio::net::UnixListener::from_std(listener)?;
    let (out_tx, mut out_rx) = mpsc::unbounded_channel();
    let options = workspace::Options {
        plan_in_background: false,
        absorb_in_background: false,
        ..workspace::Options::default()
    };
    let tx = workspace::spawn(options, out_tx);
    if !super::switched_on(super::RECORD_SWITCH) {
        let settings = crate::config::Settings {
            record_work: false,
            ..crate::config::Settings::default()
        };
        let _ = tx.send(Event::Configure(settings));
    }
    let _ = tx.send(Event::AddFolders(vec![info.root.clone()]));
    // Nobody reads diagnostics here; problems go to the log.
    tokio::spawn(async move {
        while let Some(output) = out_rx.recv().await {
            if let Some(workspace::Output::Warning(message)) = output.deliver() {
                tracing::warn!("{message}");
            }
        }
    });
    let barriers = Arc::new(AtomicU64::new(0));
    // Asked to stop (logout, `kill`), it leaves as when idle, taking its socket with it.
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
    let mut interrupt = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
    let check_every = idle
        .min(Duration::from_secs(30))
        .max(Duration::from_millis(200));
    let mut last_question = Instant::now();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    last_question = Instant::now();
                    tokio::spawn(answer(
                        stream,
                        tx.clone(),
                        served.clone(),
                        barriers.clone(),
                        leave.clone(),
                    ));
                }
                Err(error) => {
                    // Out of file descriptors, say: wait a little rather than spin.
                    tracing::warn!("cannot accept a prompt: {error}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            _ = leave.notified() => return Ok(()),
            _ = terminate.recv() => return Ok(()),
            _ = hangup.recv() => return Ok(()),
            _ = interrupt.recv() => return Ok(()),
            _ = tokio::time::sleep(check_every) => {
                if last_question.elapsed() >= idle || !socket_is_ours() || served.lost().is_some() {
                    return Ok(());
                }
            }
        }
    }
}

/// Reads one question, waits for the workspace to be fresh, writes one answer.
async fn answer(
    stream: tokio::net::UnixStream,
    tx: mpsc::UnboundedSender<Event>,
    served: Arc<Served>,
    barriers: Arc<AtomicU64>,
    leave: Arc<tokio::sync::Notify>,
) {
    let info = &served.info;
    let (read, mut write) = stream.into_split();
    let mut reader =
        tokio::io::BufReader::new(tokio::io::AsyncReadExt::take(read, MAX_REQUEST_BYTES));
    let mut text = String::new();
    let read = tokio::time::timeout(ANSWER_TIMEOUT, reader.read_line(&mut text)).await;
    let answer = match (read, serde_json::from_str::<Request>(&text)) {
        (Ok(Ok(_)), Ok(request)) if request.root == info.root => match served.lost() {
            // Never wait for a barrier in a git directory this daemon does not watch.
            Some(why) => {
                leave.notify_one();
                Answer {
                    gone: Some(why),
                    ..Answer::default()
                }
            }
            None => {
                let n = barriers.fetch_add(1, Ordering::Relaxed);
                fresh_line(
                    &tx,
                    info,
                    format!("{BARRIER_PREFIX}{}.{n}", std::process::id()),
                )
                .await
            }
        },
        (Ok(Ok(_)), Ok(_)) => unsure("this daemon serves another worktree"),
        (Ok(Ok(_)), Err(error)) => unsure(&format!("a question that is not JSON ({error})")),
        (Ok(Err(error)), _) => unsure(&error.to_string()),
        (Err(_), _) => unsure("no question in time"),
    };
    if let Ok(mut reply) = serde_json::to_string(&answer) {
        reply.push('\n');
        let _ = write.write_all(reply.as_bytes()).await;
    }
}

/// Registers a freshness query, writes its barrier into the git directory, and waits.
async fn fresh_line(tx: &mpsc::UnboundedSender<Event>, info: &RepoInfo, barrier: String) -> Answer {
    let (reply, answer) = oneshot::channel();
    let query = Query::Fresh {
        root: info.root.clone(),
        barrier: barrier.clone(),
        reply,
    };
    if tx.send(Event::Query(query)).is_err() {
        return unsure("the workspace has stopped");
    }
    // The query is queued before the barrier exists, so the workspace knows it when the
    // watcher reports the barrier. The file goes at once: only its creation is awaited.
    let path = info.git_dir.join(&barrier);
    if let Err(error) = std::fs::File::create(&path) {
        return unsure(&format!("cannot write {}: {error}", path.display()));
    }
    let _ = std::fs::remove_file(&path);
    match tokio::time::timeout(ANSWER_TIMEOUT, answer).await {
        Ok(Ok(Fresh::Ready(report))) => Answer {
            line: Some(crate::report::prompt_line(&report)),
            ..Answer::default()
        },
        Ok(Ok(Fresh::Unsure(why))) => unsure(&why),
        Ok(Err(_)) => unsure("the workspace dropped the question"),
        Err(_) => unsure("the counts were not fresh in time"),
    }
}

fn unsure(why: &str) -> Answer {
    Answer {
        unsure: Some(why.to_string()),
        ..Answer::default()
    }
}
