//! The panic boundary of requests: tower-lsp has none, so each request's work runs in its own
//! task, and a panic there becomes an error reply (and one message to the user), not a dead
//! server.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};

use tower_lsp_server::jsonrpc;

/// Runs requests' work behind the boundary; remembers whether a panic was reported already.
#[derive(Default)]
pub(super) struct Boundary {
    reported: AtomicBool,
}

impl Boundary {
    /// Runs `work` in its own task. On a panic, `report` is called with a sentence for the user
    /// (the first time only) and the request gets an internal error.
    pub(super) async fn run<T, R>(
        &self,
        name: &'static str,
        work: impl Future<Output = jsonrpc::Result<T>> + Send + 'static,
        report: impl FnOnce(String) -> R,
    ) -> jsonrpc::Result<T>
    where
        T: Send + 'static,
        R: Future<Output = ()>,
    {
        match tokio::spawn(work).await {
            Ok(result) => result,
            Err(error) if error.is_panic() => {
                tracing::error!("{name} panicked: {error}");
                if !self.reported.swap(true, Ordering::SeqCst) {
                    report(format!("commit-nudge hit a bug in {name} and skipped that request; it keeps running. Please report it (the log has details).")).await;
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[tokio::test]
    async fn a_panic_becomes_an_internal_error_reported_once_and_later_work_still_runs() {
        let boundary = Boundary::default();
        let reports = Arc::new(Mutex::new(Vec::new()));
        for _ in 0..2 {
            let seen = reports.clone();
            let result: jsonrpc::Result<()> = boundary
                .run(
                    "executeCommand",
                    async { panic!("a deliberate bug") },
                    |message| async move { seen.lock().unwrap().push(message) },
                )
                .await;
            let error = result.expect_err("a panic is an error reply");
            assert_eq!(error.code, jsonrpc::ErrorCode::InternalError);
            assert!(error.message.contains("internal error in executeCommand"));
        }
        let reports = reports.lock().unwrap().clone();
        assert_eq!(reports.len(), 1, "reported once: {reports:?}");
        assert!(reports[0].contains("keeps running"));
        let answer = boundary
            .run("codeLens", async { Ok(7) }, |_| async {})
            .await;
        assert_eq!(answer.expect("work after a panic runs"), 7);
    }
}
