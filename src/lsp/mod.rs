//! The language server: the only room that speaks LSP.
//!
//! `server.rs` implements the protocol with one-line delegations, `handlers.rs` holds the
//! request handlers (convert, ask the workspace engine, convert), `outbox.rs` sends what the engine
//! says, `from_proto.rs` and `to_proto.rs` hold every conversion, `commands.rs` names the
//! commands and parses their arguments, `capabilities.rs` says what each side can do,
//! `boundary.rs` keeps a panic in a handler from killing the server, and `actions.rs` builds
//! code actions and lenses from an owned document snapshot. Nothing here calls the git core.

mod absorb_actions;
mod actions;
mod boundary;
mod capabilities;
mod commands;
mod from_proto;
mod handlers;
mod outbox;
mod plan_actions;
mod server;
mod to_proto;
pub mod transport;

use tower_lsp_server::{LspService, Server};

pub(crate) use server::Backend;

/// Serves LSP on stdin/stdout until the client sends `exit` (or closes stdin). Returns whether
/// the client asked for `shutdown` first: the protocol wants exit code 0 then, 1 otherwise.
pub async fn serve_stdio() -> bool {
    serve(
        tokio::io::stdin(),
        tokio::io::stdout(),
        crate::workspace::Options::default(),
    )
    .await
}

/// Serves LSP on any byte streams, through the hardened framing of `transport`; returns whether
/// the client sent `shutdown` before it left.
pub async fn serve(
    input: impl tokio::io::AsyncRead + Unpin + Send + 'static,
    output: impl tokio::io::AsyncWrite + Unpin + Send + 'static,
    options: crate::workspace::Options,
) -> bool {
    let shutdown_seen = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (service, socket) = LspService::build(|client| Backend::new(client, options)).finish();
    let (server_input, filtered) = tokio::io::duplex(1 << 20);
    let (server_output, produced) = tokio::io::duplex(1 << 20);
    let (frames_tx, frames_rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(transport::filter_input(
        input,
        server_input,
        frames_tx.clone(),
        shutdown_seen.clone(),
    ));
    let collector = tokio::spawn(transport::collect_output(produced, frames_tx.clone()));
    let writer = tokio::spawn(transport::write_output(output, frames_rx));
    Server::new(filtered, server_output, socket)
        .serve(service)
        .await;
    // Everything the server wrote before it stopped reaches the client, then the writer ends.
    let _ = collector.await;
    let _ = frames_tx.send(Vec::new());
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), writer).await;
    shutdown_seen.load(std::sync::atomic::Ordering::SeqCst)
}
