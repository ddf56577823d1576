//! The server's command ids and their typed arguments (the contract in docs/architecture.md),
//! parsed once into a `ClientCommand` (what the client asked, before it becomes the engine's
//! `workspace::Command`).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tower_lsp_server::jsonrpc;

use crate::hunk_range::HunkRange;

pub(super) const STAGE_HUNK: &str = "commit-nudge.stageHunk";
pub(super) const UNSTAGE_HUNK: &str = "commit-nudge.unstageHunk";
pub(super) const STAGE_FILE: &str = "commit-nudge.stageFile";
pub(super) const UNSTAGE_FILE: &str = "commit-nudge.unstageFile";
pub(super) const COMMIT_STAGED: &str = "commit-nudge.commitStaged";
pub(super) const SNOOZE: &str = "commit-nudge.snooze";
pub(super) const REFRESH: &str = "commit-nudge.refresh";
pub(super) const OPEN_PLAN: &str = "commit-nudge.openPlan";
pub(super) const APPLY_PLAN: &str = "commit-nudge.applyPlan";
pub(super) const STAGE_PLANNED: &str = "commit-nudge.stagePlanned";
pub(super) const OPEN_ABSORB: &str = "commit-nudge.openAbsorb";
pub(super) const ABSORB_HUNK: &str = "commit-nudge.absorbHunk";

/// Every command the server executes, advertised in `executeCommandProvider`.
pub(crate) const COMMANDS: &[&str] = &[
    STAGE_HUNK,
    UNSTAGE_HUNK,
    STAGE_FILE,
    UNSTAGE_FILE,
    COMMIT_STAGED,
    SNOOZE,
    REFRESH,
    OPEN_PLAN,
    APPLY_PLAN,
    STAGE_PLANNED,
    OPEN_ABSORB,
    ABSORB_HUNK,
];

/// Arguments of `stageHunk` and `unstageHunk`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct HunkArgs {
    /// The worktree root as a file URI.
    pub root: String,
    /// The path relative to the root, `/`-separated.
    pub path: String,
    /// The hunk's numbers, in their wire form (`HunkRange`'s serde form is the contract's).
    pub hunk: HunkRange,
    pub hash: String,
    /// The 0-based first and last buffer lines of a selection, to stage only those.
    #[serde(default)]
    pub lines: Option<[u32; 2]>,
}

/// Arguments of `stageFile` and `unstageFile`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct FileArgs {
    pub root: String,
    pub path: String,
}

/// Arguments of `commitStaged`; without a message the server opens a commit-message document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct CommitArgs {
    pub root: String,
    #[serde(default)]
    pub message: Option<String>,
}

/// Arguments of `snooze`; without a root, every repository is snoozed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub(super) struct SnoozeArgs {
    #[serde(default)]
    pub root: Option<String>,
    #[serde(default)]
    pub minutes: Option<u64>,
}

/// Arguments of `openPlan` and `applyPlan`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct RootArgs {
    pub root: String,
}

/// Arguments of `stagePlanned`: the worktree and the planned commit, 1-based as in "commit 2/3".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct StagePlannedArgs {
    pub root: String,
    pub commit: usize,
}

/// Arguments of `absorbHunk`: the hunk (git's numbers, HEAD to the working tree) and the commit
/// it folds into.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AbsorbHunkArgs {
    pub root: String,
    pub path: String,
    pub hunk: HunkRange,
    pub target: String,
}

/// A command of `workspace/executeCommand`, with its arguments read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum ClientCommand {
    StageHunk(HunkArgs),
    UnstageHunk(HunkArgs),
    StageFile(FileArgs),
    UnstageFile(FileArgs),
    CommitStaged(CommitArgs),
    Snooze(SnoozeArgs),
    Refresh,
    OpenPlan(RootArgs),
    ApplyPlan(RootArgs),
    StagePlanned(StagePlannedArgs),
    OpenAbsorb(RootArgs),
    AbsorbHunk(AbsorbHunkArgs),
}

impl ClientCommand {
    /// Reads a command from its name and arguments, or says clearly what was expected.
    pub(super) fn parse(name: &str, arguments: &[Value]) -> jsonrpc::Result<ClientCommand> {
        Ok(match name {
            STAGE_HUNK => ClientCommand::StageHunk(one_argument(name, arguments, HUNK_EXAMPLE)?),
            UNSTAGE_HUNK => {
                ClientCommand::UnstageHunk(one_argument(name, arguments, HUNK_EXAMPLE)?)
            }
            STAGE_FILE => ClientCommand::StageFile(one_argument(name, arguments, FILE_EXAMPLE)?),
            UNSTAGE_FILE => {
                ClientCommand::UnstageFile(one_argument(name, arguments, FILE_EXAMPLE)?)
            }
            COMMIT_STAGED => {
                ClientCommand::CommitStaged(one_argument(name, arguments, COMMIT_EXAMPLE)?)
            }
            SNOOZE if arguments.is_empty() => ClientCommand::Snooze(SnoozeArgs::default()),
            SNOOZE => ClientCommand::Snooze(one_argument(name, arguments, SNOOZE_EXAMPLE)?),
            REFRESH => ClientCommand::Refresh,
            OPEN_PLAN => ClientCommand::OpenPlan(one_argument(name, arguments, ROOT_EXAMPLE)?),
            APPLY_PLAN => ClientCommand::ApplyPlan(one_argument(name, arguments, ROOT_EXAMPLE)?),
            STAGE_PLANNED => {
                ClientCommand::StagePlanned(one_argument(name, arguments, STAGE_PLANNED_EXAMPLE)?)
            }
            OPEN_ABSORB => ClientCommand::OpenAbsorb(one_argument(name, arguments, ROOT_EXAMPLE)?),
            ABSORB_HUNK => {
                ClientCommand::AbsorbHunk(one_argument(name, arguments, ABSORB_EXAMPLE)?)
            }
            other => {
                return Err(jsonrpc::Error::invalid_params(format!(
                    "unknown command {other:?}; commit-nudge runs {}",
                    COMMANDS.join(", ")
                )))
            }
        })
    }
}

/// Reads a command's single argument object, or says clearly what was expected.
fn one_argument<T: DeserializeOwned>(
    command: &str,
    arguments: &[Value],
    example: &str,
) -> jsonrpc::Result<T> {
    let [argument] = arguments else {
        return Err(jsonrpc::Error::invalid_params(format!(
            "{command} takes one argument object like {example}, got {} arguments",
            arguments.len()
        )));
    };
    serde_json::from_value(argument.clone()).map_err(|error| {
        jsonrpc::Error::invalid_params(format!(
            "{command}: {error}; expected an object like {example}"
        ))
    })
}

const HUNK_EXAMPLE: &str = r#"{"root": "file:///repo", "path": "src/a.rs", "hunk": {"old_start": 3, "old_lines": 1, "new_start": 3, "new_lines": 2}, "hash": "…"}"#;
const FILE_EXAMPLE: &str = r#"{"root": "file:///repo", "path": "src/a.rs"}"#;
const COMMIT_EXAMPLE: &str = r#"{"root": "file:///repo", "message": "Fix the parser"}"#;
const SNOOZE_EXAMPLE: &str = r#"{"root": "file:///repo", "minutes": 30}"#;
const ROOT_EXAMPLE: &str = r#"{"root": "file:///repo"}"#;
const ABSORB_EXAMPLE: &str = r#"{"root": "file:///repo", "path": "src/a.rs", "hunk": {"old_start": 3, "old_lines": 1, "new_start": 3, "new_lines": 1}, "target": "<sha>"}"#;
const STAGE_PLANNED_EXAMPLE: &str = r#"{"root": "file:///repo", "commit": 2}"#;
