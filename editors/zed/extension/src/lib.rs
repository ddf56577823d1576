//! The Zed extension for commit-nudge: finds the `commit-nudge` binary and passes the user's
//! `lsp.commit-nudge` settings through as initialization options and workspace configuration.

use zed_extension_api::{self as zed, serde_json, settings::LspSettings, LanguageServerId, Result};

struct CommitNudgeExtension;

/// The default `commitNudge` settings of docs/architecture.md, sent when the user sets none.
fn default_settings() -> serde_json::Value {
    serde_json::json!({
        "commitNudge": {
            "thresholds": {"lines": 200, "files": 15, "minutes": 60},
            "countUntracked": true,
            "countUnsaved": true,
            "exclude": ["**/*.lock", "**/package-lock.json"],
            "severity": "information",
            "codeLens": true,
            "snoozeMinutes": 30
        }
    })
}

impl zed::Extension for CommitNudgeExtension {
    fn new() -> Self {
        CommitNudgeExtension
    }

    fn language_server_command(
        &mut self,
        language_server_id: &LanguageServerId,
        worktree: &zed::Worktree,
    ) -> Result<zed::Command> {
        let binary = LspSettings::for_worktree(language_server_id.as_ref(), worktree)
            .ok()
            .and_then(|settings| settings.binary);
        let configured_path = binary.as_ref().and_then(|binary| binary.path.clone());
        let command = match configured_path.or_else(|| worktree.which("commit-nudge")) {
            Some(path) => path,
            None => {
                return Err("commit-nudge is not on PATH: install it (cargo install commit-nudge) \
                            or set lsp.commit-nudge.binary.path in Zed's settings"
                    .to_string())
            }
        };
        let args = binary
            .and_then(|binary| binary.arguments)
            .unwrap_or_else(|| vec!["lsp".to_string()]);
        Ok(zed::Command { command, args, env: worktree.shell_env() })
    }

    fn language_server_initialization_options(
        &mut self,
        language_server_id: &LanguageServerId,
        worktree: &zed::Worktree,
    ) -> Result<Option<serde_json::Value>> {
        let settings = LspSettings::for_worktree(language_server_id.as_ref(), worktree)
            .ok()
            .and_then(|settings| settings.initialization_options.or(settings.settings));
        Ok(Some(settings.unwrap_or_else(default_settings)))
    }

    fn language_server_workspace_configuration(
        &mut self,
        language_server_id: &LanguageServerId,
        worktree: &zed::Worktree,
    ) -> Result<Option<serde_json::Value>> {
        let settings = LspSettings::for_worktree(language_server_id.as_ref(), worktree)
            .ok()
            .and_then(|settings| settings.settings);
        Ok(Some(settings.unwrap_or_else(default_settings)))
    }
}

zed::register_extension!(CommitNudgeExtension);
