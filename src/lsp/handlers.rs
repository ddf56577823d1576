//! The request handlers: read the request, send the engine a command, turn its answer into the
//! reply. What needs the client (showing a document, asking the user) is done here.

use std::future::Future;
use std::path::PathBuf;

use serde_json::{json, Value};
use tower_lsp_server::jsonrpc::{self, Result};
use tower_lsp_server::ls_types::*;

use super::commands::{self, CommitArgs};
use super::server::{Backend, CLIENT_TIMEOUT};
use super::{actions, from_proto, to_proto};
use crate::config;
use crate::report::StatusReport;
use crate::workspace::{self, Outcome};

impl Backend {
    /// Runs a request's work behind the panic boundary.
    pub(super) async fn guarded<T: Send + 'static>(
        &self,
        name: &'static str,
        work: impl Future<Output = Result<T>> + Send + 'static,
    ) -> Result<T> {
        let client = self.client.clone();
        let report = |message: String| async move {
            client.show_message(MessageType::ERROR, message).await;
        };
        self.front.boundary.run(name, work, report).await
    }

    /// `workspace/executeCommand`: one command, parsed once.
    pub(super) async fn execute(self, params: ExecuteCommandParams) -> Result<Option<Value>> {
        match commands::ClientCommand::parse(&params.command, &params.arguments)? {
            commands::ClientCommand::CommitStaged(CommitArgs {
                root,
                message: None,
            }) => {
                self.open_commit_message(from_proto::root_path(&root)?)
                    .await
            }
            commands::ClientCommand::OpenPlan(args) => {
                self.open_plan(from_proto::root_path(&args.root)?).await
            }
            commands::ClientCommand::OpenAbsorb(args) => {
                self.open_absorb(from_proto::root_path(&args.root)?).await
            }
            command => {
                let outcome = self.run(from_proto::command(command)?).await?;
                Ok(to_proto::outcome(outcome))
            }
        }
    }

    /// Runs a command; a failure of its git work is shown to the user and becomes the error.
    async fn run(&self, command: workspace::Command) -> Result<Outcome> {
        let error = match self.ask(command).await {
            Ok(outcome) => return Ok(outcome),
            Err(error) => error,
        };
        if to_proto::is_shown(&error) {
            let message = format!("commit-nudge: {error}");
            self.client.show_message(MessageType::ERROR, message).await;
        }
        Err(to_proto::error(&error))
    }

    /// Opens a commit-message document (as `git commit` opens COMMIT_EDITMSG); saving it with a
    /// message commits.
    async fn open_commit_message(&self, root: PathBuf) -> Result<Option<Value>> {
        if !self.caps().show_document {
            return Err(jsonrpc::Error::invalid_params(
                "commit-nudge.commitStaged needs a \"message\" from this editor (it cannot open documents with window/showDocument)",
            ));
        }
        let command = workspace::Command::OpenCommitMessage { root };
        let file = match self.ask(command).await {
            Ok(Outcome::CommitMessage { path }) => path,
            Ok(_) => return Err(jsonrpc::Error::internal_error()),
            Err(error) => return Err(jsonrpc::Error::invalid_params(error.to_string())),
        };
        let uri = to_proto::file_uri(&file).ok_or_else(jsonrpc::Error::internal_error)?;
        if self.show_document(uri, Some(Range::default())).await {
            Ok(Some(json!({ "document": file.to_string_lossy() })))
        } else {
            Err(jsonrpc::Error::invalid_params(
                "the editor did not open the commit-message document",
            ))
        }
    }

    /// Plans the uncommitted work and opens the plan document (as `git rebase -i` opens its todo
    /// list); saving it applies the plan, closing it unsaved cancels.
    async fn open_plan(&self, root: PathBuf) -> Result<Option<Value>> {
        if !self.caps().show_document {
            return Err(jsonrpc::Error::invalid_params(
                "commit-nudge.openPlan needs an editor that opens documents with window/showDocument; in a terminal, run `commit-nudge plan --edit`",
            ));
        }
        let (document, commits) = match self.run(workspace::Command::OpenPlan { root }).await? {
            Outcome::Plan { document, commits } => (document, commits),
            _ => return Err(jsonrpc::Error::internal_error()),
        };
        let uri = to_proto::file_uri(&document).ok_or_else(jsonrpc::Error::internal_error)?;
        if self.show_document(uri, Some(Range::default())).await {
            Ok(Some(
                json!({ "document": document.to_string_lossy(), "commits": commits }),
            ))
        } else {
            Err(jsonrpc::Error::invalid_params(
                "the editor did not open the commit plan document",
            ))
        }
    }

    /// Works out absorb's fix-ups and opens the absorb document; saving it makes them, closing
    /// it unsaved cancels.
    async fn open_absorb(&self, root: PathBuf) -> Result<Option<Value>> {
        if !self.caps().show_document {
            return Err(jsonrpc::Error::invalid_params(
                "commit-nudge.openAbsorb needs an editor that opens documents with window/showDocument; in a terminal, run `commit-nudge absorb`",
            ));
        }
        let outcome = self.run(workspace::Command::OpenAbsorb { root }).await?;
        let Outcome::AbsorbDocument { document, .. } = &outcome else {
            return Err(jsonrpc::Error::internal_error());
        };
        let uri = to_proto::file_uri(document).ok_or_else(jsonrpc::Error::internal_error)?;
        if self.show_document(uri, Some(Range::default())).await {
            Ok(to_proto::outcome(outcome))
        } else {
            Err(jsonrpc::Error::invalid_params(
                "the editor did not open the absorb document",
            ))
        }
    }

    /// Asks the client to show a document; whether it did.
    async fn show_document(&self, uri: Uri, selection: Option<Range>) -> bool {
        let params = ShowDocumentParams {
            uri,
            external: Some(false),
            take_focus: Some(true),
            selection,
        };
        let shown = tokio::time::timeout(CLIENT_TIMEOUT, self.client.show_document(params)).await;
        matches!(shown, Ok(Ok(true)))
    }

    /// `textDocument/codeAction`: the document's hunks from the engine, turned into actions.
    pub(super) async fn code_actions(
        self,
        params: CodeActionParams,
    ) -> Result<Option<CodeActionResponse>> {
        if from_proto::file_path(&params.text_document.uri).is_none() {
            return Ok(None);
        }
        let doc = from_proto::doc_id(&params.text_document.uri);
        let nudges: Vec<Diagnostic> = params
            .context
            .diagnostics
            .into_iter()
            .filter(|d| d.source.as_deref() == Some(to_proto::SOURCE))
            .collect();
        match self.ask(workspace::Command::Hunks { doc }).await {
            Ok(Outcome::Hunks(Some(found))) => {
                let (doc, hunks) = *found;
                let actions = actions::code_actions(&doc, &hunks, params.range, &nudges);
                Ok(Some(actions))
            }
            Ok(_) => Ok(None),
            Err(error) => Err(jsonrpc::Error::invalid_params(error.to_string())),
        }
    }

    /// `textDocument/codeLens`: from the document's snapshot.
    pub(super) async fn code_lenses(self, params: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
        let doc = self.doc_snapshot(&params.text_document.uri).await;
        Ok(doc.map(|doc| actions::code_lenses(&doc)))
    }

    /// Asks once, without holding anything up, what to do about a nudge that just became a
    /// warning (the engine decided to offer it).
    pub(super) async fn offer_next_step(self, report: StatusReport) {
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
                } else if let Err(error) = self.open_commit_message(root).await {
                    tracing::warn!(
                        "could not open the commit message document: {}",
                        error.message
                    );
                }
            }
            Some(title) if title == SNOOZE => {
                let snooze = workspace::Command::Snooze {
                    root: Some(root),
                    minutes: None,
                };
                if let Err(error) = self.ask(snooze).await {
                    tracing::warn!("could not snooze: {error}");
                }
            }
            Some(title) if title == SETTINGS => self.show_settings(&root).await,
            _ => {}
        }
    }

    /// Opens the repository's settings file, or says where the settings are.
    async fn show_settings(&self, root: &std::path::Path) {
        let file = root.join(config::REPO_FILE);
        let opened = match to_proto::file_uri(&file).filter(|_| file.exists()) {
            Some(uri) if self.caps().show_document => self.show_document(uri, None).await,
            _ => false,
        };
        if !opened {
            let message = format!(
                "commit-nudge: set thresholds.lines, thresholds.files, thresholds.minutes and severity in your editor's commitNudge settings, or for everyone in {}",
                file.display()
            );
            self.client.show_message(MessageType::INFO, message).await;
        }
    }
}
