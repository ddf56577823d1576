//! A small LSP client for tests: it starts the real `commit-nudge lsp` and speaks JSON-RPC.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// How long a test waits for something the server should do promptly.
pub const WAIT: Duration = Duration::from_secs(20);

pub struct Client {
    child: Child,
    stdin: ChildStdin,
    incoming: Receiver<Value>,
    next_id: i64,
    /// Notifications and server requests seen so far, oldest first.
    pub seen: Vec<Value>,
    /// What `workspace/configuration` answers.
    pub configuration: Value,
    /// The action title `window/showMessageRequest` answers with (`None` dismisses it).
    pub message_action: Option<String>,
    /// Responses that answered no request of ours (such as parse errors, with id null).
    pub stray: Vec<Value>,
}

impl Client {
    pub fn start() -> Client {
        let mut command = Command::new(super::binary());
        command.arg("lsp");
        Client::start_command(command)
    }

    /// Starts the server by `command` (a wrapper that execs `commit-nudge lsp`, say).
    pub fn start_command(mut command: Command) -> Client {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .env("RUST_LOG", "commit_nudge=debug")
            .spawn()
            .expect("server starts");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, incoming) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_message(&mut reader) {
                if tx.send(message).is_err() {
                    break;
                }
            }
        });
        Client {
            child,
            stdin,
            incoming,
            next_id: 1,
            seen: Vec::new(),
            configuration: Value::Null,
            stray: Vec::new(),
            message_action: None,
        }
    }

    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.stdin.write_all(bytes).expect("write");
        self.stdin.flush().expect("flush");
    }

    pub fn send(&mut self, message: &Value) {
        let body = serde_json::to_vec(message).expect("json");
        let mut framed = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
        framed.extend(body);
        self.send_raw(&framed);
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request and waits for its response (the whole response object).
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        let deadline = Instant::now() + WAIT;
        loop {
            let message = self
                .next(deadline)
                .unwrap_or_else(|| panic!("no response to {method} within {WAIT:?}"));
            if message.get("method").is_none() {
                if message.get("id") == Some(&json!(id)) {
                    return message;
                }
                self.stray.push(message);
            }
        }
    }

    /// The next message, answering server requests and remembering notifications.
    fn next(&mut self, deadline: Instant) -> Option<Value> {
        let left = deadline.saturating_duration_since(Instant::now());
        let message = match self.incoming.recv_timeout(left) {
            Ok(message) => message,
            Err(RecvTimeoutError::Timeout) | Err(RecvTimeoutError::Disconnected) => return None,
        };
        if let (Some(id), Some(method)) = (
            message.get("id"),
            message.get("method").and_then(Value::as_str),
        ) {
            let result = match method {
                "workspace/configuration" => json!([self.configuration.clone()]),
                "window/showDocument" => json!({"success": true}),
                "window/showMessageRequest" => match &self.message_action {
                    Some(title) => json!({"title": title}),
                    None => Value::Null,
                },
                _ => Value::Null,
            };
            let reply = json!({"jsonrpc": "2.0", "id": id.clone(), "result": result});
            self.send(&reply);
        }
        if message.get("method").is_some() {
            self.seen.push(message.clone());
        }
        Some(message)
    }

    /// Waits until a notification (or server request) satisfying `matches` arrives; returns it.
    /// Messages seen earlier are searched first, then forgotten up to the match.
    /// Each message matches at most one wait: the match is forgotten, the rest kept.
    pub fn wait_for(&mut self, what: &str, matches: impl Fn(&Value) -> bool) -> Value {
        if let Some(index) = self.seen.iter().position(&matches) {
            return self.seen.remove(index);
        }
        let deadline = Instant::now() + WAIT;
        loop {
            let Some(message) = self.next(deadline) else {
                panic!("waited {WAIT:?} for {what}; saw: {:#?}", self.seen);
            };
            if message.get("method").is_some() && matches(&message) {
                self.seen.pop();
                return message;
            }
        }
    }

    /// The code actions over `from`..`to` (line, character) of `file`, with `diagnostics` as
    /// their context.
    pub fn actions_over(
        &mut self,
        file: &str,
        from: (u32, u32),
        to: (u32, u32),
        diagnostics: Value,
    ) -> Vec<Value> {
        let response = self.request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": file},
                   "range": {"start": {"line": from.0, "character": from.1},
                             "end": {"line": to.0, "character": to.1}},
                   "context": {"diagnostics": diagnostics}}),
        );
        response["result"].as_array().cloned().unwrap_or_default()
    }

    /// The code actions at the start of `line` of `file`.
    pub fn actions_at(&mut self, file: &str, line: u32, diagnostics: Value) -> Vec<Value> {
        self.actions_over(file, (line, 0), (line, 0), diagnostics)
    }

    /// The first code action at `line` of `file` whose title starts with `prefix`; panics with
    /// the actions offered when there is none.
    pub fn action(&mut self, file: &str, line: u32, prefix: &str) -> Value {
        let actions = self.actions_at(file, line, json!([]));
        titled(&actions, prefix)
            .cloned()
            .unwrap_or_else(|| panic!("no {prefix:?} at line {line} in {actions:#?}"))
    }

    /// The titles of the code lenses of `file`.
    pub fn lens_titles(&mut self, file: &str) -> Vec<String> {
        let response = self.request(
            "textDocument/codeLens",
            json!({"textDocument": {"uri": file}}),
        );
        response["result"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .filter_map(|l| l["command"]["title"].as_str().map(str::to_string))
            .collect()
    }

    /// Runs a code action's (or a lens's) command; gives the whole response.
    pub fn run(&mut self, action: &Value) -> Value {
        self.request("workspace/executeCommand", action["command"].clone())
    }

    /// `commit-nudge.refresh`: answered once everything the server had to send before it is
    /// sent, so what was not seen by then was not sent.
    pub fn refresh(&mut self) -> Value {
        self.request(
            "workspace/executeCommand",
            json!({"command": "commit-nudge.refresh"}),
        )
    }

    /// Whether a notification or server request `method` is among those seen.
    pub fn saw(&self, method: &str) -> bool {
        self.seen.iter().any(|m| m["method"] == method)
    }

    /// Forgets the notifications seen so far.
    pub fn forget(&mut self) {
        while let Ok(message) = self.incoming.try_recv() {
            let _ = message;
        }
        self.seen.clear();
    }

    /// Waits for the latest diagnostics published for `uri` to satisfy `matches`.
    pub fn wait_diagnostics(
        &mut self,
        uri: &str,
        what: &str,
        matches: impl Fn(&[Value]) -> bool,
    ) -> Vec<Value> {
        let uri = uri.to_string();
        let found = self.wait_for(what, |m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri
                && matches(
                    m["params"]["diagnostics"]
                        .as_array()
                        .map(Vec::as_slice)
                        .unwrap_or(&[]),
                )
        });
        found["params"]["diagnostics"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    pub fn initialize(&mut self, root_uri: &str, options: Value) -> Value {
        self.initialize_with(root_uri, options, json!({}))
    }

    /// Initializes with extra `window` capabilities merged in.
    pub fn initialize_with(&mut self, root_uri: &str, options: Value, window: Value) -> Value {
        let mut window_caps = json!({"showDocument": {"support": true}});
        if let (Some(into), Some(extra)) = (window_caps.as_object_mut(), window.as_object()) {
            into.extend(extra.clone());
        }
        let response = self.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": root_uri,
                "workspaceFolders": [{"uri": root_uri, "name": "test"}],
                "initializationOptions": options,
                "capabilities": {
                    "workspace": {"configuration": true, "codeLens": {"refreshSupport": true}},
                    "window": window_caps
                }
            }),
        );
        self.notify("initialized", json!({}));
        response
    }

    pub fn open(&mut self, uri: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "plaintext", "version": 1, "text": text}}),
        );
    }

    /// Sends `shutdown` and `exit`; returns the exit status.
    pub fn shutdown(mut self) -> std::process::ExitStatus {
        let response = self.request("shutdown", Value::Null);
        assert!(
            response.get("error").is_none(),
            "shutdown failed: {response}"
        );
        self.notify("exit", Value::Null);
        self.wait_exit()
    }

    /// Waits for the server to exit by itself; returns the exit status.
    pub fn wait_exit(mut self) -> std::process::ExitStatus {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(Instant::now() < deadline, "the server did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().expect("wait").is_none()
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(value) = line.strip_prefix("Content-Length: ") {
            length = value.parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

/// The file URI of a path.
/// The first action whose title starts with `prefix`.
pub fn titled<'a>(actions: &'a [Value], prefix: &str) -> Option<&'a Value> {
    every_titled(actions, prefix).into_iter().next()
}

/// Every action whose title starts with `prefix`, in order.
pub fn every_titled<'a>(actions: &'a [Value], prefix: &str) -> Vec<&'a Value> {
    actions
        .iter()
        .filter(|a| a["title"].as_str().is_some_and(|t| t.starts_with(prefix)))
        .collect()
}

/// The actions' titles, in order.
pub fn titles(actions: &[Value]) -> Vec<String> {
    actions
        .iter()
        .filter_map(|a| a["title"].as_str().map(str::to_string))
        .collect()
}

pub fn uri(path: &std::path::Path) -> String {
    format!("file://{}", path.display())
}
