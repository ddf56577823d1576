//! The outbox: sends what the engine says to the client, in order. A command's answer is handed
//! to its handler only here, after every output before it has gone out.

use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::task::Poll;

use tokio::sync::mpsc;
use tower_lsp_server::ls_types::{MessageType, NumberOrString, Uri};

use super::server::{Backend, StatusNotification, CLIENT_TIMEOUT};
use super::to_proto;
use crate::workspace::{Message, Output};

/// A first scan's progress report in the editor.
type ScanProgress = tower_lsp_server::OngoingProgress<
    tower_lsp_server::Unbounded,
    tower_lsp_server::NotCancellable,
>;

/// Sends the engine's messages to the client until the engine stops.
pub(super) async fn run(backend: Backend, mut messages: mpsc::UnboundedReceiver<Message>) {
    let client = backend.client.clone();
    // The progress of first scans, by root: protocol objects, so they live here.
    let mut scans: HashMap<PathBuf, ScanProgress> = HashMap::new();
    while let Some(message) = messages.recv().await {
        let Some(output) = message.deliver() else {
            continue;
        };
        match output {
            Output::Diagnostics { doc, items } => {
                let Ok(uri) = doc.parse::<Uri>() else {
                    continue;
                };
                let diagnostics = items.iter().map(to_proto::diagnostic).collect();
                client.publish_diagnostics(uri, diagnostics, None).await;
            }
            Output::Status(report) => {
                if let Some(params) = to_proto::status(&report) {
                    client.send_notification::<StatusNotification>(params).await;
                }
            }
            Output::Offer(report) => {
                // Polled once here, the question is on its way to the client before anything
                // sent after it; the user's answer is awaited in a task of its own, so that it
                // holds up nothing.
                let mut offer = Box::pin(backend.clone().offer_next_step(*report));
                let asked =
                    std::future::poll_fn(|cx| Poll::Ready(offer.as_mut().poll(cx).is_ready()))
                        .await;
                if !asked {
                    tokio::spawn(offer);
                }
            }
            Output::Warning(message) => client.show_message(MessageType::WARNING, message).await,
            Output::Failure(message) => client.show_message(MessageType::ERROR, message).await,
            Output::Info(message) => client.show_message(MessageType::INFO, message).await,
            Output::CodeLensRefresh => {
                if backend.caps().code_lens_refresh {
                    let client = client.clone();
                    // The answer does not matter and must not hold up the next output.
                    tokio::spawn(async move {
                        let _ =
                            tokio::time::timeout(CLIENT_TIMEOUT, client.code_lens_refresh()).await;
                    });
                }
            }
            Output::ScanStarted(root) => {
                if !backend.caps().work_done_progress {
                    continue;
                }
                let token = NumberOrString::String(format!("commit-nudge/scan/{}", root.display()));
                let created = client.create_work_done_progress(token.clone());
                if matches!(
                    tokio::time::timeout(CLIENT_TIMEOUT, created).await,
                    Ok(Ok(()))
                ) {
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
            Output::ScanFinished(root) => {
                if let Some(progress) = scans.remove(&root) {
                    progress.finish().await;
                }
            }
        }
    }
}
