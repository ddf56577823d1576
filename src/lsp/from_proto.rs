//! Converting protocol values into the core's plain types.

use std::path::PathBuf;

use tower_lsp_server::jsonrpc;
use tower_lsp_server::ls_types::Uri;

use super::commands::{self, HunkArgs};
use crate::workspace::{self, HunkTarget, LineSelection};

/// The local path of a `file:` URI; any other scheme gives `None` (such documents are ignored).
pub(super) fn file_path(uri: &Uri) -> Option<PathBuf> {
    if !uri.scheme().as_str().eq_ignore_ascii_case("file") {
        return None;
    }
    uri.to_file_path().map(|p| p.into_owned())
}

/// The document identifier the workspace uses: the URI exactly as the client sent it.
pub(super) fn doc_id(uri: &Uri) -> String {
    uri.as_str().to_string()
}

/// The path named by a command's `root` (a file URI), or a message saying what is wrong.
pub(super) fn root_path(root_uri: &str) -> jsonrpc::Result<PathBuf> {
    let uri: Uri = root_uri
        .parse()
        .map_err(|_| jsonrpc::Error::invalid_params(format!("root {root_uri:?} is not a URI")))?;
    file_path(&uri).ok_or_else(|| {
        jsonrpc::Error::invalid_params(format!("root {root_uri:?} is not a file: URI"))
    })
}

/// The hunk a hunk command names: its numbers, hash, and the lines chosen.
pub(super) fn hunk_target(args: &HunkArgs) -> HunkTarget {
    HunkTarget {
        range: args.hunk,
        hash: args.hash.clone(),
        selection: match args.lines {
            Some([first, last]) => LineSelection::Lines {
                first: first.min(last),
                last: first.max(last),
            },
            None => LineSelection::All,
        },
    }
}

/// The engine's command for a command of `workspace/executeCommand`.
pub(super) fn command(command: commands::ClientCommand) -> jsonrpc::Result<workspace::Command> {
    use commands::ClientCommand as Lsp;
    use workspace::Command as Engine;
    Ok(match command {
        Lsp::StageHunk(args) => Engine::StageHunk {
            root: root_path(&args.root)?,
            target: hunk_target(&args),
            path: args.path,
        },
        Lsp::UnstageHunk(args) => Engine::UnstageHunk {
            root: root_path(&args.root)?,
            target: hunk_target(&args),
            path: args.path,
        },
        Lsp::StageFile(args) => Engine::StageFile {
            root: root_path(&args.root)?,
            path: args.path,
        },
        Lsp::UnstageFile(args) => Engine::UnstageFile {
            root: root_path(&args.root)?,
            path: args.path,
        },
        Lsp::CommitStaged(args) => match args.message {
            Some(message) => Engine::Commit {
                root: root_path(&args.root)?,
                message,
            },
            None => Engine::OpenCommitMessage {
                root: root_path(&args.root)?,
            },
        },
        Lsp::Snooze(args) => Engine::Snooze {
            root: args.root.as_deref().map(root_path).transpose()?,
            minutes: args.minutes,
        },
        Lsp::Refresh => Engine::Refresh,
        Lsp::OpenPlan(args) => Engine::OpenPlan {
            root: root_path(&args.root)?,
        },
        Lsp::ApplyPlan(args) => Engine::ApplyPlan {
            root: root_path(&args.root)?,
        },
        Lsp::StagePlanned(args) => Engine::StagePlanned {
            root: root_path(&args.root)?,
            commit: args.commit,
        },
        // Opened by the handler (it shows the document); as a plain command it writes it.
        Lsp::OpenAbsorb(args) => Engine::OpenAbsorb {
            root: root_path(&args.root)?,
        },
        Lsp::AbsorbHunk(args) => Engine::AbsorbHunk {
            root: root_path(&args.root)?,
            hunk: crate::plan::HunkKey {
                path: args.path,
                range: args.hunk,
            },
            target: args.target,
        },
    })
}
