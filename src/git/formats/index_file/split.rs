//! A split index (`core.splitIndex`, the `link` extension): `.git/index` holds only what changed
//! since a shared index, `sharedindex.<id>` beside it, which holds the rest.
//!
//! Reading merges the two as git's `merge_base_index` does: the shared entries in order, less
//! those the delete bitmap names, those the replace bitmap names taken from this index's first
//! entries (which are written without a path: the shared entry's path is theirs), then this
//! index's other entries added in path order (one of the same path and stage wins).
//!
//! Writing keeps the shared index and writes a new `.git/index` of what differs from it, as git
//! does between two re-splits (git writes a new shared index once more than
//! `splitIndex.maxPercentChange`, 20% by default, of the entries are not shared; that is left to
//! git's next write, which reads ours as its own).

use std::path::{Path, PathBuf};

use super::stream::{stream_file, Link, StreamEnd};
use super::{Entry, IndexFileError, Result};

/// Whether the index at `index_path` may be a split one: some shared index lies beside it (git
/// writes none otherwise), so that an ordinary index is streamed without being held.
pub(crate) fn may_be_split(index_path: &Path) -> bool {
    let Some(dir) = index_path.parent() else {
        return false;
    };
    std::fs::read_dir(dir).is_ok_and(|list| {
        list.flatten().any(|e| {
            e.file_name()
                .as_encoded_bytes()
                .starts_with(b"sharedindex.")
        })
    })
}

/// The shared index a split index at `index_path` links to.
pub(crate) fn shared_path(index_path: &Path, shared: &[u8; 20]) -> PathBuf {
    let hex: String = shared.iter().map(|b| format!("{b:02x}")).collect();
    index_path.with_file_name(format!("sharedindex.{hex}"))
}

/// One index file's entries with their paths, in file order.
pub(crate) type Owned = Vec<(Entry, Vec<u8>)>;

/// Reads a whole index file as it is (no merging).
pub(crate) fn read_file(path: &Path) -> Result<(Owned, StreamEnd)> {
    let mut entries = Vec::new();
    let end = stream_file(path, |entry, name, _| {
        entries.push((*entry, name.to_vec()));
        true
    })?;
    Ok((entries, end))
}

/// `stream` for an index that may be split. Whether it links to a shared index is said after
/// its entries, so the file is read once to learn it: an index that is not split (a shared index
/// from an earlier split may linger for two weeks) is then streamed as usual; a split one's own
/// entries (a split index is small) are kept, and the shared index streamed and merged with them.
pub(crate) fn stream_merged(
    index_path: &Path,
    mut visit: impl FnMut(&Entry, &[u8], u64) -> bool,
) -> Result<StreamEnd> {
    if stream_file(index_path, |_, _, _| true)?.link.is_none() {
        return stream_file(index_path, visit);
    }
    let mut own: Vec<(Entry, Vec<u8>, u64)> = Vec::new();
    let mut end = stream_file(index_path, |entry, name, offset| {
        own.push((*entry, name.to_vec(), offset));
        true
    })?;
    let Some(link) = end.link.clone() else {
        // Written anew between the two readings, and no longer split: read once more.
        return stream_file(index_path, visit);
    };
    let mut merge = Merge::new(&link, own.into_iter().map(|(e, p, _)| (e, p)).collect())?;
    let shared = stream_file(&shared_path(index_path, &link.shared), |entry, name, _| {
        merge.shared(entry, name, &mut visit)
    })?;
    if shared.link.is_some() {
        return Err(IndexFileError::Malformed(
            "a shared index that is split too",
        ));
    }
    if merge.stopped {
        return Ok(end);
    }
    merge.finish(&mut visit)?;
    end.sparse |= shared.sparse;
    Ok(end)
}

/// The merge of a shared index (streamed) with a split index's own entries.
struct Merge<'l> {
    link: &'l Link,
    /// This index's entries that replace shared ones, in the order of the replace bitmap.
    replacements: std::vec::IntoIter<(Entry, Vec<u8>)>,
    /// This index's added entries, in path order, and how many are handed out.
    added: Owned,
    next_added: usize,
    /// Where the next shared entry sits, and where the next delete or replace bit is.
    position: usize,
    next_delete: usize,
    next_replace: usize,
    stopped: bool,
}

impl<'l> Merge<'l> {
    fn new(link: &'l Link, mut own: Owned) -> Result<Merge<'l>> {
        let replaced = link.replace.len();
        if own.len() < replaced || own[..replaced].iter().any(|(_, p)| !p.is_empty()) {
            return Err(IndexFileError::Malformed(
                "the replaced entries of a split index",
            ));
        }
        let added = own.split_off(replaced);
        if added.iter().any(|(_, p)| p.is_empty()) {
            return Err(IndexFileError::Malformed("an entry without a path"));
        }
        Ok(Merge {
            link,
            replacements: own.into_iter(),
            added,
            next_added: 0,
            position: 0,
            next_delete: 0,
            next_replace: 0,
            stopped: false,
        })
    }

    /// One entry of the shared index; false once `visit` said to stop.
    fn shared(
        &mut self,
        entry: &Entry,
        name: &[u8],
        visit: &mut impl FnMut(&Entry, &[u8], u64) -> bool,
    ) -> bool {
        let at = self.position;
        self.position += 1;
        if self.link.delete.get(self.next_delete) == Some(&at) {
            self.next_delete += 1;
            return true;
        }
        let mut entry = *entry;
        if self.link.replace.get(self.next_replace) == Some(&at) {
            self.next_replace += 1;
            if let Some((replacement, _)) = self.replacements.next() {
                entry = replacement;
            }
        }
        // The added entries that sort before this one, and one of the same path and stage,
        // which takes its place.
        let key = (name, entry.stage());
        while let Some((added, path)) = self.added.get(self.next_added) {
            let theirs = (path.as_slice(), added.stage());
            if theirs > key {
                break;
            }
            self.next_added += 1;
            if !visit(added, path, u64::MAX) {
                self.stopped = true;
                return false;
            }
            if theirs == key {
                return true;
            }
        }
        if !visit(&entry, name, u64::MAX) {
            self.stopped = true;
            return false;
        }
        true
    }

    /// The added entries after the last shared one.
    fn finish(&mut self, visit: &mut impl FnMut(&Entry, &[u8], u64) -> bool) -> Result<()> {
        if self.next_replace != self.link.replace.len()
            || self.next_delete != self.link.delete.len()
        {
            return Err(IndexFileError::Malformed(
                "a split index's bitmaps name entries its shared index lacks",
            ));
        }
        for (entry, path) in &self.added[self.next_added..] {
            if !visit(entry, path, u64::MAX) {
                break;
            }
        }
        Ok(())
    }
}

/// The entries and `link` of a split index that holds `entries` (sorted, the whole index) over
/// the shared index `base`: each shared entry kept, replaced (when any of its data differs) or
/// deleted; the entries the shared index lacks added. Returns the entries to write (replaced
/// ones first, whose paths are not written) and the link.
pub(crate) fn split_against(
    base: &[(Entry, Vec<u8>)],
    shared: [u8; 20],
    entries: &[(Entry, Vec<u8>)],
) -> (Vec<(Entry, Vec<u8>, bool)>, Link) {
    let mut link = Link {
        shared,
        ..Link::default()
    };
    let mut replaced = Vec::new();
    let mut added = Vec::new();
    let key = |(entry, path): &(Entry, Vec<u8>)| (path.clone(), entry.stage());
    let (mut b, mut e) = (0, 0);
    while b < base.len() || e < entries.len() {
        let order = match (base.get(b), entries.get(e)) {
            (Some(old), Some(new)) => key(old).cmp(&key(new)),
            (Some(_), None) => std::cmp::Ordering::Less,
            _ => std::cmp::Ordering::Greater,
        };
        match order {
            std::cmp::Ordering::Less => {
                link.delete.push(b);
                b += 1;
            }
            std::cmp::Ordering::Greater => {
                added.push((entries[e].0, entries[e].1.clone(), false));
                e += 1;
            }
            std::cmp::Ordering::Equal => {
                if !same_data(&base[b].0, &entries[e].0) {
                    link.replace.push(b);
                    replaced.push((entries[e].0, entries[e].1.clone(), true));
                }
                b += 1;
                e += 1;
            }
        }
    }
    replaced.extend(added);
    (replaced, link)
}

/// Whether two entries of the same path hold the same data (stat data, id, mode, flags).
fn same_data(a: &Entry, b: &Entry) -> bool {
    let strip = |e: &Entry| Entry {
        path_at: 0,
        path_len: 0,
        flags: e.flags & !0xFFF & !super::FLAG_EXTENDED,
        flags_extended: e.flags_extended & super::EXTENDED_FLAGS,
        ..*e
    };
    strip(a) == strip(b)
}
