//! What the client can do (read at `initialize`) and what the server offers in return.

use tower_lsp_server::ls_types::*;

use super::commands;

/// What the client said it can do, read at `initialize`.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct ClientCaps {
    pub configuration_pull: bool,
    pub watched_files_registration: bool,
    pub code_lens_refresh: bool,
    pub show_document: bool,
    pub work_done_progress: bool,
    /// `window/showMessageRequest` with actions.
    pub message_actions: bool,
}

impl ClientCaps {
    pub(super) fn of(caps: &ClientCapabilities) -> ClientCaps {
        let workspace = caps.workspace.as_ref();
        let window = caps.window.as_ref();
        ClientCaps {
            configuration_pull: workspace.and_then(|w| w.configuration).unwrap_or(false),
            watched_files_registration: workspace
                .and_then(|w| w.did_change_watched_files.as_ref())
                .and_then(|d| d.dynamic_registration)
                .unwrap_or(false),
            code_lens_refresh: workspace
                .and_then(|w| w.code_lens.as_ref())
                .and_then(|c| c.refresh_support)
                .unwrap_or(false),
            show_document: window
                .and_then(|w| w.show_document.as_ref())
                .is_some_and(|s| s.support),
            work_done_progress: window.and_then(|w| w.work_done_progress).unwrap_or(false),
            message_actions: window.is_some_and(|w| w.show_message.is_some()),
        }
    }
}

/// What the server offers: full text sync with saves, code actions and lenses, its commands,
/// workspace folders.
pub(super) fn server_capabilities() -> ServerCapabilities {
    ServerCapabilities {
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
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![
                CodeActionKind::QUICKFIX,
                CodeActionKind::new("source.commitNudge"),
            ]),
            ..CodeActionOptions::default()
        })),
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
    }
}

/// The registration of `workspace/didChangeWatchedFiles` for every file.
pub(super) fn watch_everything() -> Registration {
    let options = DidChangeWatchedFilesRegistrationOptions {
        watchers: vec![FileSystemWatcher {
            glob_pattern: GlobPattern::String("**/*".to_string()),
            kind: None,
        }],
    };
    Registration {
        id: "commit-nudge-watch".to_string(),
        method: "workspace/didChangeWatchedFiles".to_string(),
        register_options: serde_json::to_value(options).ok(),
    }
}
