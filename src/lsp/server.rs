//! The `LanguageServer` implementation: each method converts in, hands off to the workspace
//! engine, converts out.
//!
//! Notification handlers send their event to the engine before any `.await`, so events keep the
//! order the client sent them in (tower-lsp #284). Requests run behind the panic boundary, so a
//! panic becomes an error reply (reported to the user once) instead of killing the server.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::{mpsc, oneshot};
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::notification::Notification;
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer};

use super::boundary::Boundary;
use super::capabilities::{self, ClientCaps};
use super::{from_proto, outbox};
use crate::config::{self, Settings};
use crate::workspace::{self, DocSnapshot, Error, Event, Outcome, Query, Reply};

/// How long to wait for a client's answer to one of our requests.
pub(super) const CLIENT_TIMEOUT: Duration = Duration::from_secs(5);

/// The `commitNudge/status` notification.
pub(super) enum StatusNotification {}

impl Notification for StatusNotification {
    type Params = Value;
    const METHOD: &'static str = "commitNudge/status";
}

/// What the front end itself keeps: the client's capabilities, the settings problems shown, the
/// panic boundary. Everything else lives in the workspace engine.
#[derive(Default)]
pub(super) struct Front {
    caps: OnceLock<ClientCaps>,
    problems: Mutex<Problems>,
    pub(super) boundary: Boundary,
}

/// Settings problems: found at `initialize` and shown once the client is ready; the last set
/// shown, so that the same set is not shown again.
#[derive(Default)]
struct Problems {
    pending: Vec<String>,
    last: Vec<String>,
}

#[derive(Clone)]
pub(crate) struct Backend {
    pub(super) client: Client,
    events: mpsc::UnboundedSender<Event>,
    pub(super) front: Arc<Front>,
}

impl Backend {
    /// Starts the workspace engine and the task that sends what it says to the client.
    pub(crate) fn new(client: Client, options: workspace::Options) -> Backend {
        let (out_tx, out_rx) = mpsc::unbounded_channel();
        let backend = Backend {
            client,
            events: workspace::spawn(options, out_tx),
            front: Arc::default(),
        };
        tokio::spawn(outbox::run(backend.clone(), out_rx));
        backend
    }

    pub(super) fn send(&self, event: Event) {
        if self.events.send(event).is_err() {
            tracing::error!("the workspace task has stopped; events are dropped");
        }
    }

    pub(super) fn caps(&self) -> ClientCaps {
        self.front.caps.get().copied().unwrap_or_default()
    }

    /// Sends a command to the engine and waits for its answer.
    pub(super) async fn ask(
        &self,
        command: workspace::Command,
    ) -> std::result::Result<Outcome, Error> {
        let (reply, answer) = Reply::new();
        self.send(Event::Command { command, reply });
        // The engine drops a reply only when handling the command panicked.
        answer.await.unwrap_or(Err(Error::Internal))
    }

    async fn query<T>(&self, make: impl FnOnce(oneshot::Sender<T>) -> Query) -> Option<T> {
        let (reply, answer) = oneshot::channel();
        self.send(Event::Query(make(reply)));
        tokio::time::timeout(CLIENT_TIMEOUT, answer)
            .await
            .ok()?
            .ok()
    }

    pub(super) async fn doc_snapshot(&self, uri: &Uri) -> Option<DocSnapshot> {
        from_proto::file_path(uri)?;
        let doc = from_proto::doc_id(uri);
        self.query(|reply| Query::Document { doc, reply })
            .await
            .flatten()
    }

    /// Sends editor settings to the engine; a client that cannot ask is never offered anything.
    fn configure(&self, mut settings: Settings) {
        settings.ask_on_warning &= self.caps().message_actions;
        self.send(Event::Configure(settings));
    }

    /// Shows settings problems, once per distinct set.
    async fn report_problems(&self, problems: Vec<String>) {
        let changed = match self.front.problems.lock() {
            Ok(mut shown) if shown.last != problems => {
                shown.last.clone_from(&problems);
                true
            }
            _ => false,
        };
        if changed && !problems.is_empty() {
            let message = format!("commit-nudge settings: {}", problems.join("; "));
            self.client
                .show_message(MessageType::WARNING, message)
                .await;
        }
    }

    /// Applies editor settings (a `commitNudge` object or one holding it).
    async fn apply_settings(&self, value: &Value) {
        let parsed = config::parse_editor_settings(value);
        self.configure(parsed.settings);
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
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let _ = self.front.caps.set(ClientCaps::of(&params.capabilities));
        let options = params.initialization_options.as_ref();
        let parsed = config::parse_editor_settings(options.unwrap_or(&Value::Null));
        if let Ok(mut problems) = self.front.problems.lock() {
            problems.pending = parsed.problems;
        }
        self.configure(parsed.settings);
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
            capabilities: capabilities::server_capabilities(),
            server_info: Some(ServerInfo {
                name: "commit-nudge".to_string(),
                version: Some(env!("CARGO_PKG_VERSION").to_string()),
            }),
            ..InitializeResult::default()
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        let problems = self
            .front
            .problems
            .lock()
            .map(|mut p| std::mem::take(&mut p.pending))
            .unwrap_or_default();
        self.report_problems(problems).await;
        if self.caps().watched_files_registration {
            let registration = capabilities::watch_everything();
            let registered = self.client.register_capability(vec![registration]);
            if let Err(error) = tokio::time::timeout(CLIENT_TIMEOUT, registered).await {
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
        let doc = from_proto::doc_id(&params.text_document.uri);
        self.send(Event::Saved { doc, path });
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
        let paths = |folders: &[WorkspaceFolder]| {
            folders
                .iter()
                .filter_map(|f| from_proto::file_path(&f.uri))
                .collect()
        };
        self.send(Event::RemoveFolders(paths(&params.event.removed)));
        self.send(Event::AddFolders(paths(&params.event.added)));
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
        self.guarded("codeAction", self.clone().code_actions(params))
            .await
    }

    async fn code_lens(&self, params: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
        self.guarded("codeLens", self.clone().code_lenses(params))
            .await
    }

    async fn execute_command(&self, params: ExecuteCommandParams) -> Result<Option<Value>> {
        self.guarded("executeCommand", self.clone().execute(params))
            .await
    }
}
