//! The language server: the only room that speaks LSP.
//!
//! `server.rs` implements the protocol with one-line delegations, `from_proto.rs` and
//! `to_proto.rs` convert at the edge, `commands.rs` names the commands and their arguments, and
//! `actions.rs` builds code actions and lenses from an owned document snapshot.

mod actions;
mod commands;
mod from_proto;
mod server;
mod to_proto;

use tower_lsp_server::{LspService, Server};

pub use commands::COMMANDS;
pub use server::Backend;

/// Serves LSP on stdin/stdout until the client sends `exit`.
pub async fn serve_stdio() {
    let (service, socket) =
        LspService::build(|client| Backend::new(client, crate::workspace::Options::default()))
            .finish();
    Server::new(tokio::io::stdin(), tokio::io::stdout(), socket)
        .serve(service)
        .await;
}
