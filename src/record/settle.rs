//! Reading a file from disk only once it has settled, so that a snapshot taken on a watcher's
//! event never records a file caught half-written. A room of its own: it is about the file
//! system's timing, not about the record, and `super::observe` is its one caller.

use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

/// How long a file read from disk must have gone unchanged first: a writer that truncates a file
/// and writes it in parts (most editors saving in place, a shell redirection) is done by then.
/// The file system's time, not the user's: it says nothing of how anyone works.
const SETTLE: Duration = Duration::from_millis(100);

/// The longest a snapshot waits for a file to settle; a file still changing after that is left
/// out (the write that changes it raises another event, and so another snapshot).
const SETTLE_AT_MOST: Duration = Duration::from_secs(1);

/// What tells two states of a file on disk apart without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileStamp {
    len: u64,
    modified: Option<SystemTime>,
    #[cfg(unix)]
    ino: u64,
}

fn stamp_of(path: &Path) -> Option<FileStamp> {
    let meta = std::fs::metadata(path).ok()?;
    Some(FileStamp {
        len: meta.len(),
        modified: meta.modified().ok(),
        #[cfg(unix)]
        ino: std::os::unix::fs::MetadataExt::ino(&meta),
    })
}

/// The bytes of the file at `path` once it has settled: unchanged for `SETTLE` (by its
/// modification time), and the same size, time and inode before and after the read (else read
/// again). `None` when it is gone, cannot be read, or is still changing after `SETTLE_AT_MOST`.
pub(super) fn read_settled(path: &Path) -> Option<Vec<u8>> {
    let started = Instant::now();
    loop {
        let before = stamp_of(path)?;
        let age = before
            .modified
            .and_then(|m| SystemTime::now().duration_since(m).ok())
            .unwrap_or(Duration::ZERO);
        let waited = started.elapsed();
        if age < SETTLE && waited < SETTLE_AT_MOST {
            std::thread::sleep((SETTLE - age).min(SETTLE_AT_MOST - waited));
            continue;
        }
        let bytes = std::fs::read(path).ok()?;
        if stamp_of(path) == Some(before) && bytes.len() as u64 == before.len {
            return Some(bytes);
        }
        if started.elapsed() >= SETTLE_AT_MOST {
            return None;
        }
    }
}
