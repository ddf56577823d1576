//! The `LanguageServer` implementation: each handler converts in, hands off, converts out.
//!
//! Notification handlers send their event to the workspace task before any `.await`, so events
//! keep the order the client sent them in (tower-lsp #284). Requests run in their own task, so a
//! panic becomes an error reply (reported to the user once) instead of killing the server.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::{mpsc, oneshot};
use tower_lsp_server::jsonrpc::{self, Result};
use tower_lsp_server::ls_types::notification::Notification;
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer};

use super::commands::{self, CommitArgs, FileArgs, HunkArgs, SnoozeArgs};
use super::{actions, from_proto, to_proto};
use crate::config;
use crate::git::{self, GitError};
use crate::workspace::{self, DocSnapshot, Event, Output, Query, RepoSnapshot};

/// How long to wait for a client's answer to one of our requests.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(5);

/// The `commitNudge/status` notification.
pub enum StatusNotification {}

impl Notification for StatusNotification {
    type Params = Value;
    const METHOD: &'static str = "commitNudge/status";
}

/// What the client said it can do, read at `initialize`.
#[derive(Debug, Default, Clone, Copy)]
struct ClientCaps {
    configuration_pull: bool,
    watched_files_registration: bool,
    code_lens_refresh: bool,
    show_document: bool,
    work_done_progress: bool,
    /// `window/showMessageRequest` with actions.
    message_actions: bool,
}

/// How long after offering the next step the server stays quiet about it, per repository.
const ASK_COOL_DOWN_SECONDS: i64 = 60 * 60;

/// When to offer "Commit staged hunks… / Snooze / Settings": the first time a repository's nudge
/// turns into a warning, never again within the cool-down.
#[derive(Default)]
struct Cadence {
    /// Per root: whether it was warning at the last status, and when we last asked.
    roots: std::collections::HashMap<String, (bool, Option<i64>)>,
}

impl Cadence {
    fn should_ask(&mut self, report: &crate::report::StatusReport, now_unix: i64) -> bool {
        let warning = report
            .nudges
            .iter()
            .any(|n| n.severity >= crate::nudge::Severity::Warning);
        let (was_warning, last_asked) = self
            .roots
            .entry(report.root.clone())
            .or_insert((false, None));
        let crossed = warning && !*was_warning;
        *was_warning = warning;
        let cooled = last_asked.is_none_or(|t| now_unix - t >= ASK_COOL_DOWN_SECONDS);
        if crossed && cooled {
            *last_asked = Some(now_unix);
            true
        } else {
            false
        }
    }
}

/// State the handlers share; the workspace state itself lives in the workspace task.
#[derive(Default)]
struct Shared {
    caps: Mutex<ClientCaps>,
    /// Settings problems found at `initialize`, shown once the client is ready.
    pending_problems: Mutex<Vec<String>>,
    last_problems: Mutex<Vec<String>>,
    panic_reported: AtomicBool,
    /// The `askOnWarning` setting, read by the output pump.
    ask_on_warning: AtomicBool,
    /// Commit-message documents opened with `showDocument`: file → worktree root.
    commit_documents: Mutex<Vec<(PathBuf, PathBuf)>>,
}

#[derive(Clone)]
pub struct Backend {
    client: Client,
    events: mpsc::UnboundedSender<Event>,
    shared: Arc<Shared>,
}

impl Backend {
    /// Starts the workspace task and the task that sends its outputs to the client.
    pub fn new(client: Client, options: workspace::Options) -> Backend {
        let (out_tx, out_rx) = mpsc::unbounded_channel();
        let events = workspace::spawn(options, out_tx);
        let shared = Arc::new(Shared::default());
        shared.ask_on_warning.store(true, Ordering::Relaxed);
        let backend = Backend {
            client,
            events,
            shared,
        };
        tokio::spawn(pump_outputs(backend.clone(), out_rx));
        backend
    }

    fn send(&self, event: Event) {
        if self.events.send(event).is_err() {
            tracing::error!("the workspace task has stopped; events are dropped");
        }
    }

    fn caps(&self) -> ClientCaps {
        self.shared.caps.lock().map(|c| *c).unwrap_or_default()
    }

    /// Runs a request's work in its own task: a panic becomes an error reply, reported once.
    async fn guarded<T: Send + 'static>(
        &self,
        name: &'static str,
        work: impl Future<Output = Result<T>> + Send + 'static,
    ) -> Result<T> {
        match tokio::spawn(work).await {
            Ok(result) => result,
            Err(error) if error.is_panic() => {
                tracing::error!("{name} panicked: {error}");
                if !self.shared.panic_reported.swap(true, Ordering::SeqCst) {
                    self.client
                        .show_message(MessageType::ERROR, format!("commit-nudge hit a bug in {name} and skipped that request; it keeps running. Please report it (the log has details)."))
                        .await;
                }
                Err(jsonrpc::Error {
                    code: jsonrpc::ErrorCode::InternalError,
                    message: format!("commit-nudge: internal error in {name}").into(),
                    data: None,
                })
            }
            Err(_) => Err(jsonrpc::Error::request_cancelled()),
        }
    }

    /// Shows settings problems, once per distinct set.
    async fn report_problems(&self, problems: Vec<String>) {
        let changed = match self.shared.last_problems.lock() {
            Ok(mut last) if *last != problems => {
                last.clone_from(&problems);
                true
            }
            _ => false,
        };
        if changed && !problems.is_empty() {
            self.client
                .show_message(
                    MessageType::WARNING,
                    format!("commit-nudge settings: {}", problems.join("; ")),
                )
                .await;
        }
    }

    /// Applies editor settings (a `commitNudge` object or one holding it).
    async fn apply_settings(&self, value: &Value) {
        let parsed = config::parse_editor_settings(value);
        self.shared
            .ask_on_warning
            .store(parsed.settings.ask_on_warning, Ordering::Relaxed);
        self.send(Event::Configure(parsed.settings));
        self.report_problems(parsed.problems).await;
    }

    /// Pulls the `commitNudge` section with `workspace/configuration`, when the client has it.
    async fn pull_settings(&self) {
        if !self.caps().configuration_pull {
            return;
        }
        let item = ConfigurationItem {
            scope_uri: None,
            section: Some("commitNudge".to_string()),
        };
        match tokio::time::timeout(CLIENT_TIMEOUT, self.client.configuration(vec![item])).await {
            // A client without such a section answers null: keep what we have.
            Ok(Ok(values)) => match values.into_iter().next() {
                Some(Value::Null) | None => {}
                Some(Value::Object(map)) if map.is_empty() => {}
                Some(value) => self.apply_settings(&value).await,
            },
            Ok(Err(error)) => tracing::warn!("workspace/configuration failed: {error}"),
            Err(_) => {
                tracing::warn!("workspace/configuration got no answer within {CLIENT_TIMEOUT:?}")
            }
        }
    }

    async fn query<T>(&self, make: impl FnOnce(oneshot::Sender<T>) -> Query) -> Option<T> {
        let (reply, answer) = oneshot::channel();
        self.send(Event::Query(make(reply)));
        tokio::time::timeout(CLIENT_TIMEOUT, answer)
            .await
            .ok()?
            .ok()
    }

    async fn doc_snapshot(&self, uri: &Uri) -> Option<DocSnapshot> {
        from_proto::file_path(uri)?;
        let doc = from_proto::doc_id(uri);
        self.query(|reply| Query::Document { doc, reply })
            .await
            .flatten()
    }

    /// Reports an action's failure to the user and turns it into the request's error.
    async fn fail(&self, error: GitError) -> jsonrpc::Error {
        let message = error.to_string();
        self.client
            .show_message(MessageType::ERROR, format!("commit-nudge: {message}"))
            .await;
        jsonrpc::Error {
            code: jsonrpc::ErrorCode::ServerError(1),
            message: message.into(),
            // Clients need not show it again.
            data: Some(json!({ "shown": true })),
        }
    }

    async fn execute(&self, params: ExecuteCommandParams) -> Result<Option<Value>> {
        let command = params.command.as_str();
        let arguments = &params.arguments;
        match command {
            commands::REFRESH => {
                self.send(Event::Refresh);
                Ok(None)
            }
            commands::SNOOZE => {
                let args: SnoozeArgs = if arguments.is_empty() {
                    SnoozeArgs::default()
                } else {
                    commands::one_argument(command, arguments, commands::SNOOZE_EXAMPLE)?
                };
                let repo = self.repo_for(args.root.as_deref()).await?;
                let minutes = args
                    .minutes
                    .unwrap_or(repo.settings.snooze_minutes)
                    .clamp(1, 24 * 60);
                let until = crate::unix_now() + i64::try_from(minutes * 60).unwrap_or(0);
                self.send(Event::Snooze {
                    root: repo.root,
                    until_unix: until,
                });
                Ok(Some(json!({ "snoozedUntilUnix": until })))
            }
            commands::STAGE_HUNK | commands::UNSTAGE_HUNK => {
                let args: HunkArgs =
                    commands::one_argument(command, arguments, commands::HUNK_EXAMPLE)?;
                let root = self.root_of(&args.root).await?;
                let text = self.open_text(&root, &args.path).await;
                let target = args.target();
                let staging = command == commands::STAGE_HUNK;
                let path = args.path.clone();
                let result = blocking(move || {
                    let repo = git::open_worktree(&root)?;
                    if staging {
                        git::stage::stage_hunk(
                            &repo,
                            &path,
                            text.as_ref().map(|t| t.as_bytes()),
                            &target,
                        )
                    } else {
                        git::stage::unstage_hunk(&repo, &path, &target)
                    }
                })
                .await;
                self.after_index_change(result, &args.root).await
            }
            commands::STAGE_FILE | commands::UNSTAGE_FILE => {
                let args: FileArgs =
                    commands::one_argument(command, arguments, commands::FILE_EXAMPLE)?;
                let root = self.root_of(&args.root).await?;
                let text = self.open_text(&root, &args.path).await;
                let staging = command == commands::STAGE_FILE;
                let path = args.path.clone();
                let result = blocking(move || {
                    let repo = git::open_worktree(&root)?;
                    if staging {
                        git::stage::stage_file(&repo, &path, text.as_ref().map(|t| t.as_bytes()))
                    } else {
                        git::stage::unstage_file(&repo, &path)
                    }
                })
                .await;
                self.after_index_change(result, &args.root).await
            }
            commands::COMMIT_STAGED => {
                let args: CommitArgs =
                    commands::one_argument(command, arguments, commands::COMMIT_EXAMPLE)?;
                let root = self.root_of(&args.root).await?;
                match args.message {
                    Some(message) => self.commit(root, message, false).await,
                    None => self.open_commit_document(root).await,
                }
            }
            // A deliberate bug, reachable only in tests, proves the panic boundary holds.
            "commit-nudge.test.panic" if std::env::var_os("COMMIT_NUDGE_TEST_HOOKS").is_some() => {
                panic!("deliberate panic for the test of the panic boundary")
            }
            other => Err(jsonrpc::Error::invalid_params(format!(
                "unknown command {other:?}; commit-nudge runs {}",
                commands::COMMANDS.join(", ")
            ))),
        }
    }

    /// The worktree root named by a command's `root` URI, checked to be a repository.
    async fn root_of(&self, root_uri: &str) -> Result<PathBuf> {
        let uri: Uri = root_uri.parse().map_err(|_| {
            jsonrpc::Error::invalid_params(format!("root {root_uri:?} is not a URI"))
        })?;
        let path = from_proto::file_path(&uri).ok_or_else(|| {
            jsonrpc::Error::invalid_params(format!("root {root_uri:?} is not a file: URI"))
        })?;
        let info = blocking(move || git::discover(&path))
            .await
            .map_err(|e| jsonrpc::Error::invalid_params(e.to_string()))?;
        Ok(info.root)
    }

    async fn repo_for(&self, root_uri: Option<&str>) -> Result<RepoSnapshot> {
        let path = match root_uri {
            Some(uri) => Some(self.root_of(uri).await?),
            None => None,
        };
        self.query(|reply| Query::Repository { path, reply })
            .await
            .flatten()
            .ok_or_else(|| {
                jsonrpc::Error::invalid_params("no repository is open in this workspace")
            })
    }

    async fn open_text(&self, root: &Path, rel_path: &str) -> Option<Arc<String>> {
        let path = root.join(rel_path);
        self.query(|reply| Query::Text { path, reply })
            .await
            .flatten()
    }

    async fn after_index_change(
        &self,
        result: std::result::Result<(), GitError>,
        root_uri: &str,
    ) -> Result<Option<Value>> {
        if let Ok(root) = self.root_of(root_uri).await {
            self.send(Event::FilesChanged(vec![root]));
        }
        match result {
            Ok(()) => Ok(None),
            Err(error) => Err(self.fail(error).await),
        }
    }

    async fn commit(
        &self,
        root: PathBuf,
        message: String,
        strip_comments: bool,
    ) -> Result<Option<Value>> {
        let options = git::commit::CommitOptions {
            strip_comments,
            ..git::commit::CommitOptions::default()
        };
        let commit_root = root.clone();
        let result =
            blocking(move || git::commit::commit_staged(&commit_root, &message, &options)).await;
        self.send(Event::FilesChanged(vec![root]));
        match result {
            // The client that asked shows the result (the commit-message document path shows it
            // itself), so the user sees one message, not two.
            Ok(outcome) => Ok(Some(
                json!({ "commit": outcome.commit, "summary": outcome.summary }),
            )),
            Err(error) => Err(self.fail(error).await),
        }
    }

    /// Opens a commit-message document (as `git commit` opens COMMIT_EDITMSG); saving it non-empty
    /// commits.
    async fn open_commit_document(&self, root: PathBuf) -> Result<Option<Value>> {
        if !self.caps().show_document {
            return Err(jsonrpc::Error::invalid_params(
                "commit-nudge.commitStaged needs a \"message\" from this editor (it cannot open documents with window/showDocument)",
            ));
        }
        let prepare_root = root.clone();
        let file = blocking(move || prepare_commit_document(&prepare_root))
            .await
            .map_err(|e| jsonrpc::Error::invalid_params(e.to_string()))?;
        let uri = to_proto::file_uri(&file).ok_or_else(jsonrpc::Error::internal_error)?;
        if let Ok(mut documents) = self.shared.commit_documents.lock() {
            documents.retain(|(f, _)| f != &file);
            documents.push((file.clone(), root));
        }
        let params = ShowDocumentParams {
            uri,
            external: Some(false),
            take_focus: Some(true),
            selection: Some(Range::default()),
        };
        match tokio::time::timeout(CLIENT_TIMEOUT, self.client.show_document(params)).await {
            Ok(Ok(true)) => Ok(Some(json!({ "document": file.to_string_lossy() }))),
            _ => Err(jsonrpc::Error::invalid_params(
                "the editor did not open the commit-message document",
            )),
        }
    }

    /// Commits with a saved commit-message document's text, if `path` is one we opened.
    async fn commit_document_saved(&self, path: &Path) {
        let root = match self.shared.commit_documents.lock() {
            Ok(mut documents) => documents
                .iter()
                .position(|(f, _)| f == path)
                .map(|i| documents.remove(i).1),
            Err(_) => None,
        };
        let Some(root) = root else { return };
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if git::commit::message_is_empty(&text, true) {
            self.client
                .show_message(
                    MessageType::WARNING,
                    "commit-nudge: the commit message is empty; nothing was committed",
                )
                .await;
            return;
        }
        if let Ok(Some(result)) = self.commit(root, text, true).await {
            let summary = result["summary"].as_str().unwrap_or_default().to_string();
            self.client
                .show_message(
                    MessageType::INFO,
                    format!("commit-nudge: committed {summary}"),
                )
                .await;
        }
    }
}

impl Backend {
    /// Asks once, without blocking anything, what to do about a nudge that just became a warning.
    async fn offer_next_step(self, report: crate::report::StatusReport) {
        const COMMIT: &str = "Commit staged hunks…";
        const SNOOZE: &str = "Snooze";
        const SETTINGS: &str = "Settings";
        let message = report
            .nudges
            .first()
            .map(|n| n.message.clone())
            .unwrap_or_default();
        let actions = [COMMIT, SNOOZE, SETTINGS].map(|title| MessageActionItem {
            title: title.to_string(),
            properties: Default::default(),
        });
        let answer = self
            .client
            .show_message_request(
                MessageType::WARNING,
                format!("commit-nudge: {message}"),
                Some(actions.to_vec()),
            )
            .await;
        let root = PathBuf::from(&report.root);
        match answer.ok().flatten().map(|a| a.title) {
            Some(title) if title == COMMIT => {
                if report.staged.files == 0 {
                    self.client
                        .show_message(MessageType::INFO, "commit-nudge: nothing is staged yet: stage hunks with the \"Stage hunk\" code action, then commit")
                        .await;
                } else if let Err(error) = self.open_commit_document(root).await {
                    tracing::warn!(
                        "could not open the commit message document: {}",
                        error.message
                    );
                }
            }
            Some(title) if title == SNOOZE => {
                let minutes = self
                    .query(|reply| Query::Repository {
                        path: Some(root.clone()),
                        reply,
                    })
                    .await
                    .flatten()
                    .map_or(30, |r| r.settings.snooze_minutes);
                let until = crate::unix_now() + i64::try_from(minutes * 60).unwrap_or(0);
                self.send(Event::Snooze {
                    root,
                    until_unix: until,
                });
            }
            Some(title) if title == SETTINGS => {
                let file = root.join(config::REPO_FILE);
                let opened = match to_proto::file_uri(&file).filter(|_| file.exists()) {
                    Some(uri) if self.caps().show_document => {
                        let params = ShowDocumentParams {
                            uri,
                            external: Some(false),
                            take_focus: Some(true),
                            selection: None,
                        };
                        matches!(
                            tokio::time::timeout(CLIENT_TIMEOUT, self.client.show_document(params))
                                .await,
                            Ok(Ok(true))
                        )
                    }
                    _ => false,
                };
                if !opened {
                    self.client
                        .show_message(
                            MessageType::INFO,
                            format!(
                                "commit-nudge: set thresholds.lines, thresholds.files, thresholds.minutes and severity in your editor's commitNudge settings, or for everyone in {}",
                                file.display()
                            ),
                        )
                        .await;
                }
            }
            _ => {}
        }
    }
}

/// Writes `<git dir>/COMMIT_EDITMSG` with the staged summary as comments; returns its path.
fn prepare_commit_document(root: &Path) -> std::result::Result<PathBuf, GitError> {
    let repo = git::open_worktree(root)?;
    let counts = git::count::count_repo(&repo, &git::CountOptions::default())?;
    let mut text = String::from(
        "\n# Write the commit message above, then save this file to commit the staged hunks.\n",
    );
    text.push_str("# Lines starting with '#' are ignored; an empty message commits nothing.\n#\n");
    let staged = git::LineStat::of(&counts.staged);
    text.push_str(&format!(
        "# Staged: {} files, +{} −{}\n",
        staged.files, staged.added, staged.removed
    ));
    for file in &counts.staged {
        text.push_str(&format!(
            "#   {}  +{} −{}\n",
            file.path, file.added, file.removed
        ));
    }
    let path = repo.path().join("COMMIT_EDITMSG");
    std::fs::write(&path, text)
        .map_err(|e| GitError::io(format!("could not write {}", path.display()), e))?;
    Ok(path)
}

/// Runs git work on the blocking pool.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> std::result::Result<T, GitError> + Send + 'static,
) -> std::result::Result<T, GitError> {
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result,
        Err(_) => Err(GitError::Refused(
            "internal error (a bug in commit-nudge; the server keeps running)".to_string(),
        )),
    }
}

/// A first scan's progress report in the editor.
type ScanProgress = tower_lsp_server::OngoingProgress<
    tower_lsp_server::Unbounded,
    tower_lsp_server::NotCancellable,
>;

/// Sends the workspace's outputs to the client, in order.
async fn pump_outputs(backend: Backend, mut outputs: mpsc::UnboundedReceiver<Output>) {
    let client = backend.client.clone();
    let shared = backend.shared.clone();
    let mut scans: std::collections::HashMap<PathBuf, ScanProgress> =
        std::collections::HashMap::new();
    let mut cadence = Cadence::default();
    while let Some(output) = outputs.recv().await {
        let caps = shared.caps.lock().map(|c| *c).unwrap_or_default();
        match output {
            Output::Diagnostics { doc, items } => {
                let Ok(uri) = doc.parse::<Uri>() else {
                    continue;
                };
                let diagnostics = items.iter().map(to_proto::diagnostic).collect();
                client.publish_diagnostics(uri, diagnostics, None).await;
            }
            Output::Status(report) => {
                let ask = caps.message_actions && shared.ask_on_warning.load(Ordering::Relaxed);
                if ask && cadence.should_ask(&report, crate::unix_now()) {
                    tokio::spawn(backend.clone().offer_next_step((*report).clone()));
                }
                match serde_json::to_value(&report) {
                    Ok(params) => client.send_notification::<StatusNotification>(params).await,
                    Err(error) => tracing::error!("could not encode the status: {error}"),
                }
            }
            Output::Warning(message) => client.show_message(MessageType::WARNING, message).await,
            Output::CodeLensRefresh => {
                if caps.code_lens_refresh {
                    let client = client.clone();
                    // The answer does not matter and must not hold up the next output.
                    tokio::spawn(async move {
                        let _ =
                            tokio::time::timeout(CLIENT_TIMEOUT, client.code_lens_refresh()).await;
                    });
                }
            }
            Output::ScanStarted(root) => {
                if caps.work_done_progress {
                    let token =
                        NumberOrString::String(format!("commit-nudge/scan/{}", root.display()));
                    let created = tokio::time::timeout(
                        CLIENT_TIMEOUT,
                        client.create_work_done_progress(token.clone()),
                    )
                    .await;
                    if matches!(created, Ok(Ok(()))) {
                        let progress = client
                            .progress(token, "commit-nudge")
                            .with_message(format!(
                                "counting uncommitted changes in {}",
                                root.display()
                            ))
                            .begin()
                            .await;
                        scans.insert(root, progress);
                    }
                }
            }
            Output::ScanFinished(root) => {
                if let Some(progress) = scans.remove(&root) {
                    progress.finish().await;
                }
            }
        }
    }
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let caps = &params.capabilities;
        let workspace_caps = caps.workspace.as_ref();
        if let Ok(mut shared_caps) = self.shared.caps.lock() {
            *shared_caps = ClientCaps {
                configuration_pull: workspace_caps
                    .and_then(|w| w.configuration)
                    .unwrap_or(false),
                watched_files_registration: workspace_caps
                    .and_then(|w| w.did_change_watched_files.as_ref())
                    .and_then(|d| d.dynamic_registration)
                    .unwrap_or(false),
                code_lens_refresh: workspace_caps
                    .and_then(|w| w.code_lens.as_ref())
                    .and_then(|c| c.refresh_support)
                    .unwrap_or(false),
                show_document: caps
                    .window
                    .as_ref()
                    .and_then(|w| w.show_document.as_ref())
                    .is_some_and(|s| s.support),
                work_done_progress: caps
                    .window
                    .as_ref()
                    .and_then(|w| w.work_done_progress)
                    .unwrap_or(false),
                message_actions: caps
                    .window
                    .as_ref()
                    .is_some_and(|w| w.show_message.is_some()),
            };
        }
        let parsed = config::parse_editor_settings(
            params
                .initialization_options
                .as_ref()
                .unwrap_or(&Value::Null),
        );
        if let Ok(mut pending) = self.shared.pending_problems.lock() {
            *pending = parsed.problems;
        }
        self.shared
            .ask_on_warning
            .store(parsed.settings.ask_on_warning, Ordering::Relaxed);
        self.send(Event::Configure(parsed.settings));
        #[allow(deprecated)]
        let folders: Vec<PathBuf> = match (&params.workspace_folders, &params.root_uri) {
            (Some(folders), _) => folders
                .iter()
                .filter_map(|f| from_proto::file_path(&f.uri))
                .collect(),
            (None, Some(root)) => from_proto::file_path(root).into_iter().collect(),
            (None, None) => Vec::new(),
        };
        self.send(Event::AddFolders(folders));
        Ok(InitializeResult {
            capabilities: ServerCapabilities {
                text_document_sync: Some(TextDocumentSyncCapability::Options(
                    TextDocumentSyncOptions {
                        open_close: Some(true),
                        change: Some(TextDocumentSyncKind::FULL),
                        save: Some(TextDocumentSyncSaveOptions::SaveOptions(SaveOptions {
                            include_text: Some(false),
                        })),
                        ..TextDocumentSyncOptions::default()
                    },
                )),
                code_action_provider: Some(CodeActionProviderCapability::Options(
                    CodeActionOptions {
                        code_action_kinds: Some(vec![
                            CodeActionKind::QUICKFIX,
                            CodeActionKind::new("source.commitNudge"),
                        ]),
                        ..CodeActionOptions::default()
                    },
                )),
                code_lens_provider: Some(CodeLensOptions {
                    resolve_provider: Some(false),
                }),
                execute_command_provider: Some(ExecuteCommandOptions {
                    commands: commands::COMMANDS.iter().map(|c| c.to_string()).collect(),
                    ..ExecuteCommandOptions::default()
                }),
                workspace: Some(WorkspaceServerCapabilities {
                    workspace_folders: Some(WorkspaceFoldersServerCapabilities {
                        supported: Some(true),
                        change_notifications: Some(OneOf::Left(true)),
                    }),
                    file_operations: None,
                }),
                ..ServerCapabilities::default()
            },
            server_info: Some(ServerInfo {
                name: "commit-nudge".to_string(),
                version: Some(env!("CARGO_PKG_VERSION").to_string()),
            }),
            ..InitializeResult::default()
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        let problems = self
            .shared
            .pending_problems
            .lock()
            .map(|mut p| std::mem::take(&mut *p))
            .unwrap_or_default();
        self.report_problems(problems).await;
        if self.caps().watched_files_registration {
            let options = DidChangeWatchedFilesRegistrationOptions {
                watchers: vec![FileSystemWatcher {
                    glob_pattern: GlobPattern::String("**/*".to_string()),
                    kind: None,
                }],
            };
            let registration = Registration {
                id: "commit-nudge-watch".to_string(),
                method: "workspace/didChangeWatchedFiles".to_string(),
                register_options: serde_json::to_value(options).ok(),
            };
            if let Err(error) = tokio::time::timeout(
                CLIENT_TIMEOUT,
                self.client.register_capability(vec![registration]),
            )
            .await
            {
                tracing::warn!("client did not answer the watcher registration: {error}");
            }
        }
        self.pull_settings().await;
    }

    async fn shutdown(&self) -> Result<()> {
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let document = params.text_document;
        let Some(path) = from_proto::file_path(&document.uri) else {
            return;
        };
        self.send(Event::Opened {
            doc: from_proto::doc_id(&document.uri),
            path,
            version: document.version,
            text: document.text,
        });
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        if from_proto::file_path(&params.text_document.uri).is_none() {
            return;
        }
        // Full sync: the last change holds the whole text.
        let Some(change) = params.content_changes.into_iter().last() else {
            return;
        };
        self.send(Event::Changed {
            doc: from_proto::doc_id(&params.text_document.uri),
            version: params.text_document.version,
            text: change.text,
        });
    }

    async fn did_save(&self, params: DidSaveTextDocumentParams) {
        let Some(path) = from_proto::file_path(&params.text_document.uri) else {
            return;
        };
        self.send(Event::Saved {
            doc: from_proto::doc_id(&params.text_document.uri),
        });
        self.commit_document_saved(&path).await;
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        self.send(Event::Closed {
            doc: from_proto::doc_id(&params.text_document.uri),
        });
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        match &params.settings {
            Value::Object(map) if map.contains_key("commitNudge") => {
                self.apply_settings(&params.settings).await
            }
            _ => self.pull_settings().await,
        }
    }

    async fn did_change_workspace_folders(&self, params: DidChangeWorkspaceFoldersParams) {
        let removed = params
            .event
            .removed
            .iter()
            .filter_map(|f| from_proto::file_path(&f.uri))
            .collect();
        let added = params
            .event
            .added
            .iter()
            .filter_map(|f| from_proto::file_path(&f.uri))
            .collect();
        self.send(Event::RemoveFolders(removed));
        self.send(Event::AddFolders(added));
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        let paths = params
            .changes
            .iter()
            .filter_map(|c| from_proto::file_path(&c.uri))
            .collect();
        self.send(Event::FilesChanged(paths));
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        let Some(doc) = self.doc_snapshot(&params.text_document.uri).await else {
            return Ok(None);
        };
        let nudges: Vec<Diagnostic> = params
            .context
            .diagnostics
            .into_iter()
            .filter(|d| d.source.as_deref() == Some(to_proto::SOURCE))
            .collect();
        let range = params.range;
        self.guarded("codeAction", async move {
            let (root, rel_path, text) = (doc.root.clone(), doc.rel_path.clone(), doc.text.clone());
            let hunks = blocking(move || {
                let repo = git::open_worktree(&root)?;
                git::hunks::file_hunks(&repo, &rel_path, Some(text.as_bytes()))
            })
            .await
            .map_err(|e| jsonrpc::Error::invalid_params(e.to_string()))?;
            Ok(Some(actions::code_actions(&doc, &hunks, range, &nudges)))
        })
        .await
    }

    async fn code_lens(&self, params: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
        let Some(doc) = self.doc_snapshot(&params.text_document.uri).await else {
            return Ok(None);
        };
        self.guarded(
            "codeLens",
            async move { Ok(Some(actions::code_lenses(&doc))) },
        )
        .await
    }

    async fn execute_command(&self, params: ExecuteCommandParams) -> Result<Option<Value>> {
        let this = self.clone();
        self.guarded("executeCommand", async move { this.execute(params).await })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nudge::{Nudge, NudgeCode, Severity};

    fn report(severity: Option<Severity>) -> crate::report::StatusReport {
        crate::report::StatusReport {
            root: "/r".to_string(),
            branch: None,
            head: None,
            staged: Default::default(),
            unstaged: Default::default(),
            untracked: Default::default(),
            total: Default::default(),
            last_commit_unix: None,
            minutes_since_commit: None,
            work_started_unix: None,
            minutes_of_work: None,
            nudges: severity
                .map(|severity| Nudge {
                    code: NudgeCode::Lines,
                    severity,
                    message: String::new(),
                })
                .into_iter()
                .collect(),
            unsaved_files: 0,
            snoozed_until_unix: None,
        }
    }

    #[test]
    fn the_offer_comes_on_crossing_into_warning_and_not_again_within_the_cool_down() {
        let mut cadence = Cadence::default();
        let t = 1_000_000;
        assert!(!cadence.should_ask(&report(Some(Severity::Information)), t));
        assert!(cadence.should_ask(&report(Some(Severity::Warning)), t));
        assert!(
            !cadence.should_ask(&report(Some(Severity::Warning)), t + 10),
            "still warning: no new crossing"
        );
        assert!(!cadence.should_ask(&report(None), t + 20));
        assert!(
            !cadence.should_ask(&report(Some(Severity::Error)), t + 30),
            "crossed again within the cool-down"
        );
        assert!(!cadence.should_ask(&report(None), t + ASK_COOL_DOWN_SECONDS));
        assert!(cadence.should_ask(
            &report(Some(Severity::Warning)),
            t + ASK_COOL_DOWN_SECONDS + 1
        ));
    }
}
