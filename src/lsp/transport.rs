//! Framing between the editor and the protocol library, hardened against bad input.
//!
//! tower-lsp-server stops reading for good after one frame it cannot decode (its framed reader
//! ends the stream on the first error), so one malformed message would silently end the
//! session. This layer reads frames itself: well-formed JSON-RPC messages pass through unchanged;
//! anything else gets a JSON-RPC error reply (parse error or invalid request) and the next frame
//! is served. Oversized frames are refused without being held in memory.

use serde_json::{json, Value};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use tower_lsp_server::jsonrpc::{Request, Response};

/// The largest message accepted; larger ones are skipped with an error reply.
pub const MAX_FRAME: usize = 64 * 1024 * 1024;

/// The longest header block accepted; bytes with no header end within this are skipped.
pub(crate) const MAX_HEADER: usize = 8 * 1024;

const CONTENT_LENGTH: &[u8] = b"Content-Length";

/// One step of reading frames from a buffer.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    /// A complete message body.
    Body(Vec<u8>),
    /// Bytes that were not a frame (bad or missing headers, or too large), now skipped.
    Garbage(String),
}

/// Incremental frame reader over a byte buffer.
///
/// It holds at most one header block (`MAX_HEADER`) and one body (`MAX_FRAME`) at a time.
#[derive(Default)]
pub struct FrameReader {
    buffer: Vec<u8>,
    /// Bytes of an oversized body still to skip.
    skipping: usize,
}

impl FrameReader {
    /// Takes the next bytes read from the client; whole frames are then taken out in order.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.skipping > 0 {
            let skip = self.skipping.min(bytes.len());
            self.skipping -= skip;
            self.buffer.extend_from_slice(&bytes[skip..]);
        } else {
            self.buffer.extend_from_slice(bytes);
        }
    }

    /// The next complete frame, if the buffer holds one.
    pub fn next_frame(&mut self) -> Option<Frame> {
        if self.skipping > 0 {
            return None;
        }
        let Some(header_end) = find(&self.buffer, b"\r\n\r\n") else {
            return self.skip_endless_header();
        };
        let headers = String::from_utf8_lossy(&self.buffer[..header_end]).into_owned();
        let length = headers.lines().find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.trim()
                .eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        });
        let body_start = header_end + 4;
        let Some(length) = length else {
            // Skip to the next plausible header, but never past the end of this header block:
            // a good frame may follow it, and its first bytes may not have arrived yet.
            let skip = find(&self.buffer[1..], CONTENT_LENGTH)
                .map_or(body_start, |i| (i + 1).min(body_start));
            self.buffer.drain(..skip);
            return Some(Frame::Garbage(
                "a message without a valid Content-Length header".to_string(),
            ));
        };
        if length > MAX_FRAME {
            let available = self.buffer.len() - body_start;
            self.skipping = length.saturating_sub(available);
            self.buffer.drain(..(body_start + length.min(available)));
            return Some(Frame::Garbage(format!(
                "a message of {length} bytes (the limit is {MAX_FRAME})"
            )));
        }
        if self.buffer.len() < body_start + length {
            return None;
        }
        let body: Vec<u8> = self
            .buffer
            .drain(..body_start + length)
            .skip(body_start)
            .collect();
        // A body that declared more bytes than it had swallows the start of the next message.
        // When such a body is not JSON and holds a header, read on from that header: what came
        // before it is reported as garbage, and the message it swallowed is served.
        if serde_json::from_slice::<serde::de::IgnoredAny>(&body).is_err() {
            if let Some(at) = find_header_start(&body) {
                self.buffer.splice(0..0, body[at..].iter().copied());
                return Some(Frame::Garbage(format!(
                    "a message whose {length}-byte body held only {at} bytes before the next header"
                )));
            }
        }
        Some(Frame::Body(body))
    }

    /// Skips bytes that never end a header block; keeps a possible header start at the end.
    fn skip_endless_header(&mut self) -> Option<Frame> {
        if self.buffer.len() <= MAX_HEADER {
            return None;
        }
        let skip = match find(&self.buffer[1..], CONTENT_LENGTH) {
            Some(i) => i + 1,
            // The last bytes may be the first part of a header that is still arriving.
            None => self.buffer.len() - (CONTENT_LENGTH.len() - 1),
        };
        self.buffer.drain(..skip);
        Some(Frame::Garbage(format!("{skip} bytes without a header end")))
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Where a `Content-Length:` header that ends a header block starts in `bytes`, if anywhere.
fn find_header_start(bytes: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = find(&bytes[from..], CONTENT_LENGTH) {
        let at = from + i;
        let rest = &bytes[at + CONTENT_LENGTH.len()..];
        if rest.first() == Some(&b':') && find(rest, b"\r\n\r\n").is_some() {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// Frames a message body with its header.
pub fn frame(body: &[u8]) -> Vec<u8> {
    let mut framed = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    framed.extend_from_slice(body);
    framed
}

/// Checks one body: `Ok` when the protocol library can take it, else the error reply to send.
pub(crate) fn check(body: &[u8]) -> Result<(), Value> {
    if serde_json::from_slice::<Request>(body).is_ok()
        || serde_json::from_slice::<Response>(body).is_ok()
    {
        return Ok(());
    }
    match serde_json::from_slice::<Value>(body) {
        Err(error) => Err(error_reply(
            Value::Null,
            -32700,
            &format!("Parse error: {error}"),
        )),
        Ok(value) => {
            let id = value
                .get("id")
                .filter(|id| id.is_string() || id.is_number())
                .cloned()
                .unwrap_or(Value::Null);
            Err(error_reply(
                id,
                -32600,
                "Invalid request: not a JSON-RPC 2.0 request, notification or response",
            ))
        }
    }
}

fn error_reply(id: Value, code: i64, message: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}})
}

/// Whether a well-formed message body is the `shutdown` request.
fn is_shutdown_request(body: &[u8]) -> bool {
    // Most messages do not name it at all: parse only those that might be it.
    body.windows(10).any(|w| w == b"\"shutdown\"")
        && serde_json::from_slice::<Request>(body).is_ok_and(|r| r.method() == "shutdown")
}

/// Reads frames from `input`, passes good ones to `to_server`, and answers bad ones on `replies`.
/// `shutdown_seen` is set once the client has sent the `shutdown` request (the exit code
/// depends on it).
pub(crate) async fn filter_input(
    mut input: impl AsyncRead + Unpin,
    mut to_server: impl AsyncWrite + Unpin,
    replies: mpsc::UnboundedSender<Vec<u8>>,
    shutdown_seen: std::sync::Arc<std::sync::atomic::AtomicBool>,
) {
    let mut reader = FrameReader::default();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let n = match input.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        reader.push(&chunk[..n]);
        while let Some(item) = reader.next_frame() {
            match item {
                Frame::Body(body) => match check(&body) {
                    Ok(()) => {
                        if is_shutdown_request(&body) {
                            shutdown_seen.store(true, std::sync::atomic::Ordering::SeqCst);
                        }
                        if to_server.write_all(&frame(&body)).await.is_err() {
                            return;
                        }
                    }
                    Err(reply) => {
                        tracing::warn!(
                            "skipped a malformed message: {}",
                            reply["error"]["message"]
                        );
                        let _ = replies.send(frame(reply.to_string().as_bytes()));
                    }
                },
                Frame::Garbage(what) => {
                    tracing::warn!("skipped {what}");
                    let reply =
                        error_reply(Value::Null, -32700, &format!("Parse error: skipped {what}"));
                    let _ = replies.send(frame(reply.to_string().as_bytes()));
                }
            }
        }
    }
    // End of input: the server sees end of stream and stops.
    let _ = to_server.shutdown().await;
}

/// Re-frames the server's output so that whole frames (and our error replies) never interleave.
pub(crate) async fn collect_output(
    mut from_server: impl AsyncRead + Unpin,
    frames: mpsc::UnboundedSender<Vec<u8>>,
) {
    let mut reader = FrameReader::default();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let n = match from_server.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        reader.push(&chunk[..n]);
        while let Some(item) = reader.next_frame() {
            if let Frame::Body(body) = item {
                if frames.send(frame(&body)).is_err() {
                    return;
                }
            }
        }
    }
}

/// Writes whole frames to the real output, in order, until an empty frame (the end marker).
pub(crate) async fn write_output(
    mut output: impl AsyncWrite + Unpin,
    mut frames: mpsc::UnboundedReceiver<Vec<u8>>,
) {
    while let Some(bytes) = frames.recv().await {
        if bytes.is_empty() {
            break;
        }
        if output.write_all(&bytes).await.is_err() || output.flush().await.is_err() {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_read_across_chunks_and_garbage_is_skipped() {
        let mut reader = FrameReader::default();
        let good = frame(br#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#);
        reader.push(b"garbage\r\n\r\n");
        reader.push(&good[..10]);
        assert!(matches!(reader.next_frame(), Some(Frame::Garbage(_))));
        assert_eq!(reader.next_frame(), None);
        reader.push(&good[10..]);
        assert!(matches!(reader.next_frame(), Some(Frame::Body(_))));
        assert_eq!(reader.next_frame(), None);
    }

    #[test]
    fn oversized_frames_are_skipped_without_being_buffered() {
        let mut reader = FrameReader::default();
        reader.push(format!("Content-Length: {}\r\n\r\nabc", MAX_FRAME + 10).as_bytes());
        assert!(matches!(reader.next_frame(), Some(Frame::Garbage(_))));
        reader.push(&vec![b'x'; MAX_FRAME + 7]);
        reader.push(&frame(b"{}"));
        assert_eq!(reader.next_frame(), Some(Frame::Body(b"{}".to_vec())));
    }

    #[test]
    fn a_body_shorter_than_declared_gives_back_the_message_it_swallowed() {
        let mut reader = FrameReader::default();
        let good = frame(br#"{"jsonrpc":"2.0","id":1,"method":"shutdown"}"#);
        reader.push(b"Content-Length: 60\r\n\r\n{\"trunc");
        reader.push(&good);
        reader.push(&[b' '; 60]);
        assert!(matches!(reader.next_frame(), Some(Frame::Garbage(_))));
        let Some(Frame::Body(body)) = reader.next_frame() else {
            panic!("the swallowed message is served");
        };
        assert_eq!(frame(&body), good);
    }

    #[test]
    fn bytes_that_never_end_a_header_are_not_hoarded() {
        let mut reader = FrameReader::default();
        for _ in 0..100 {
            reader.push(&[b'z'; 1000]);
            while reader.next_frame().is_some() {}
        }
        assert!(reader.buffer.len() <= MAX_HEADER + 1000);
        reader.push(b"\r\n\r\n");
        reader.push(&frame(b"{}"));
        let mut frames = Vec::new();
        while let Some(frame) = reader.next_frame() {
            frames.push(frame);
        }
        assert_eq!(frames.last(), Some(&Frame::Body(b"{}".to_vec())));
    }

    #[test]
    fn bodies_are_checked_like_the_protocol_library_would() {
        assert!(check(br#"{"jsonrpc":"2.0","id":1,"method":"shutdown"}"#).is_ok());
        assert!(check(br#"{"jsonrpc":"2.0","id":1,"result":null}"#).is_ok());
        assert_eq!(check(b"{not json").unwrap_err()["error"]["code"], -32700);
        let invalid = check(br#"{"id":7,"hello":1}"#).unwrap_err();
        assert_eq!(invalid["error"]["code"], -32600);
        assert_eq!(invalid["id"], 7);
        assert_eq!(check(b"[1,2]").unwrap_err()["error"]["code"], -32600);
    }
}
