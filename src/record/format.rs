//! The record's file as text, apart from what goes into it and when (`super`): how a record is
//! rendered, how the file is read and parsed, what makes one unusable, and its bound, so that the
//! format is read and changed in one place.
//!
//! The file is `<git dir>/commit-nudge/record` (`super::path_in`), text, one item a line:
//!
//! ```text
//! commit-nudge record 1 <HEAD oid or "none">
//! s <unix ms>
//! + <fnv64 hex> <path>      a line added to <path> against HEAD, first seen at the snapshot above
//! - <fnv64 hex> <path>      a line of HEAD removed from <path>, first seen there
//! ```
//!
//! A torn last line (a write cut short) is dropped; it never grows past `MAX_BYTES` (the oldest
//! half of its snapshots go first).

use std::path::Path;

use super::{LineKey, Record, Side, Snapshot};

/// The largest record kept on disk.
pub(super) const MAX_BYTES: u64 = 1024 * 1024;

pub(super) const MAGIC: &str = "commit-nudge record 1";

/// Why a record on disk was not used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Unusable {
    Missing,
    OtherHead,
    Corrupt(String),
}

impl Record {
    /// Parses a record's text. A torn last line (no newline at the end) is dropped.
    pub(super) fn parse(text: &str) -> Result<Record, Unusable> {
        let complete = match text.rfind('\n') {
            Some(end) => &text[..end],
            None => return Err(Unusable::Corrupt("no complete header".into())),
        };
        let mut lines = complete.split('\n');
        let header = lines.next().unwrap_or_default();
        let head = header
            .strip_prefix(MAGIC)
            .and_then(|rest| rest.strip_prefix(' '))
            .ok_or_else(|| Unusable::Corrupt(format!("not a record header: {header:?}")))?;
        let head = match head {
            "none" => None,
            oid if oid.len() >= 40 && oid.bytes().all(|b| b.is_ascii_hexdigit()) => {
                Some(oid.to_string())
            }
            other => return Err(Unusable::Corrupt(format!("not a HEAD: {other:?}"))),
        };
        let mut record = Record {
            head,
            snapshots: Vec::new(),
        };
        for (n, line) in lines.enumerate() {
            let bad = || Unusable::Corrupt(format!("line {}: {line:?}", n + 2));
            if let Some(at) = line.strip_prefix("s ") {
                let at_ms = at.parse().map_err(|_| bad())?;
                record.snapshots.push(Snapshot {
                    at_ms,
                    lines: Vec::new(),
                });
                continue;
            }
            let side = match line.get(..2) {
                Some("+ ") => Side::Added,
                Some("- ") => Side::Removed,
                _ => return Err(bad()),
            };
            let (hash, path) = line[2..].split_once(' ').ok_or_else(bad)?;
            let hash = u64::from_str_radix(hash, 16).map_err(|_| bad())?;
            if path.is_empty() {
                return Err(bad());
            }
            let snapshot = record.snapshots.last_mut().ok_or_else(bad)?;
            snapshot.lines.push(LineKey {
                side,
                hash,
                path: path.to_string(),
            });
        }
        Ok(record)
    }

    /// The record's text.
    pub(super) fn render(&self) -> String {
        let mut out = header(self.head.as_deref());
        for snapshot in &self.snapshots {
            out.push_str(&render_snapshot(snapshot));
        }
        out
    }

    /// Drops the oldest half of the snapshots while the text is larger than `MAX_BYTES` (the
    /// newest one is always kept).
    pub(super) fn trim_to_bound(&mut self) {
        while self.render().len() as u64 > MAX_BYTES && self.snapshots.len() > 1 {
            let half = self.snapshots.len() / 2;
            self.snapshots.drain(..half);
        }
    }
}

fn header(head: Option<&str>) -> String {
    format!("{MAGIC} {}\n", head.unwrap_or("none"))
}

pub(super) fn render_snapshot(snapshot: &Snapshot) -> String {
    let mut out = format!("s {}\n", snapshot.at_ms);
    for line in &snapshot.lines {
        let sign = match line.side {
            Side::Added => '+',
            Side::Removed => '-',
        };
        out.push_str(&format!("{sign} {:016x} {}\n", line.hash, line.path));
    }
    out
}

/// Reads the record at `path` if it is one of `head`.
#[cfg(test)]
pub(super) fn load(path: &Path, head: Option<&str>) -> Result<Record, Unusable> {
    let (record, _) = read(path)?;
    if record.head.as_deref() != head {
        return Err(Unusable::OtherHead);
    }
    Ok(record)
}

/// The record at `path`, of whatever HEAD, and whether it ends on a whole line (a write cut
/// short leaves a torn line, which is dropped; the next write rewrites the file rather than
/// append to the torn line). A file larger than two `MAX_BYTES` is no record of ours.
pub(super) fn read(path: &Path) -> Result<(Record, bool), Unusable> {
    use std::io::Read;
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(Unusable::Missing),
        Err(e) => return Err(Unusable::Corrupt(e.to_string())),
    };
    let mut bytes = Vec::new();
    file.take(2 * MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Unusable::Corrupt(e.to_string()))?;
    if bytes.len() as u64 > 2 * MAX_BYTES {
        return Err(Unusable::Corrupt("larger than a record can be".into()));
    }
    let text = String::from_utf8(bytes).map_err(|_| Unusable::Corrupt("not UTF-8".into()))?;
    let record = Record::parse(&text)?;
    Ok((record, text.ends_with('\n')))
}
