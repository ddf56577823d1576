//! The index stamp: what each index entry held at a count, to tell later which entries a change
//! to the index touched, and which directories hold tracked files.

use std::collections::{BTreeSet, HashSet};
use std::path::Path;

use crate::git::index_file::{self, Entry, FileId, IndexFile, IndexFileError};

/// `GIT_INDEX_ENTRY_SKIP_WORKTREE`, in an index entry's extended flags (sparse checkouts).
pub(crate) const SKIP_WORKTREE: u16 = 1 << 14;

/// What each index entry holds that a count depends on (a hash of its path, and one of its blob
/// id, its mode and the flags that change how it is compared), to tell which entries a change to
/// the index touched; and a hash of each directory holding tracked files, to tell the file
/// watcher which ignored paths are tracked all the same; and where each entry sits in the index
/// file, to read one entry again without reading the others. 20 bytes an entry (28 once looked
/// up by path): this is the per-file state the live workspace keeps.
#[derive(Debug, Default)]
pub struct IndexStamp {
    /// In the index's order (by path), so that an unchanged index compares position by position.
    entries: Vec<(u64, u64)>,
    /// Positions in `entries` by path hash (an open-addressing table, `u32::MAX` for an empty
    /// slot), for lookups by path; built when first needed, in one pass.
    by_hash: std::sync::OnceLock<Vec<u32>>,
    /// Hashes of the directories with tracked files below them, sorted.
    dirs: Vec<u64>,
    /// Some entry is kept out of the working tree (a sparse checkout).
    pub skip_worktree: bool,
    /// Some entry is a conflict (a stage other than 0): a merge or rebase stopped.
    pub conflicts: bool,
    /// Some entry is only an intent to add (`git add -N`).
    pub intent_to_add: bool,
    /// Where each entry starts in the index file (empty when not known), and which file that
    /// was (its identity and version): an entry is read again there while the file is the same.
    offsets: Vec<u32>,
    file: Option<(FileId, u32)>,
}

/// What the stamp knows of a path's index entry.
pub(crate) enum Lookup {
    Entry(Entry),
    Untracked,
    /// The index file changed since the stamp was taken (or its places are not kept).
    Unknown,
}

/// A new stamp read from the index file, compared with an earlier one.
pub(crate) struct Restamp {
    pub stamp: std::sync::Arc<IndexStamp>,
    /// The paths whose entries are new or differ; `None` when some earlier entry is gone.
    pub changed: Option<BTreeSet<String>>,
    /// The entries (with their paths) that changed or were asked for.
    pub entries: Vec<(Entry, Vec<u8>)>,
}

/// What the stamp reads of one index entry.
pub(crate) struct StampEntry<'e> {
    pub path: &'e [u8],
    pub oid: &'e [u8],
    pub mode: u32,
    pub flags: u16,
    pub flags_extended: u16,
}

/// Builds a stamp entry by entry (in the index's order), comparing with an earlier stamp.
pub(crate) struct StampBuilder<'b> {
    before: Option<&'b IndexStamp>,
    stamp: IndexStamp,
    changed: BTreeSet<String>,
    still_there: usize,
    last_parent: Vec<u8>,
}

impl<'b> StampBuilder<'b> {
    pub(crate) fn new(capacity: usize, before: Option<&'b IndexStamp>) -> StampBuilder<'b> {
        StampBuilder {
            before,
            stamp: IndexStamp {
                entries: Vec::with_capacity(capacity),
                ..IndexStamp::default()
            },
            changed: BTreeSet::new(),
            still_there: 0,
            last_parent: Vec::new(),
        }
    }

    /// Adds an entry; says whether it is new or differs from the earlier stamp, and gives the
    /// hash of its path.
    pub(crate) fn push(&mut self, entry: StampEntry<'_>) -> (bool, u64) {
        let position = self.stamp.entries.len();
        let mut differs = false;
        let now = stamp(&entry);
        self.stamp.entries.push(now);
        self.stamp.skip_worktree |= entry.flags_extended & SKIP_WORKTREE != 0;
        self.stamp.conflicts |= entry.flags & STAGE_MASK != 0;
        self.stamp.intent_to_add |= entry.flags_extended & (1 << 13) != 0;
        if let Some(before) = self.before {
            // Usually the entry sits where it sat; after an addition or removal, look it up.
            let then = match before.entries.get(position) {
                Some(same) if same.0 == now.0 => Some(*same),
                _ => before.find(now.0),
            };
            self.still_there += usize::from(then.is_some());
            if then != Some(now) {
                differs = true;
                self.changed
                    .insert(String::from_utf8_lossy(entry.path).into_owned());
            }
        }
        // Entries come sorted by path: a directory is hashed when the parent changes.
        let parent = match entry.path.iter().rposition(|b| *b == b'/') {
            Some(end) => &entry.path[..end],
            None => &[][..],
        };
        if parent != self.last_parent.as_slice() {
            for (end, _) in parent.iter().enumerate().filter(|(_, b)| **b == b'/') {
                self.stamp.dirs.push(path_hash(&parent[..end]));
            }
            if !parent.is_empty() {
                self.stamp.dirs.push(path_hash(parent));
            }
            self.last_parent = parent.to_vec();
        }
        (differs, now.0)
    }

    /// The stamp, and the paths whose entries are new or differ from the earlier stamp; `None`
    /// for those when some entry of the earlier stamp is gone (its path is not kept there).
    pub(crate) fn finish(mut self) -> (IndexStamp, Option<BTreeSet<String>>) {
        self.stamp.dirs.sort_unstable();
        self.stamp.dirs.dedup();
        let all_there = self
            .before
            .is_none_or(|b| self.still_there == b.entries.len());
        (self.stamp, all_there.then_some(self.changed))
    }
}

impl IndexStamp {
    /// The stamp of a libgit2 index held in memory.
    pub(crate) fn of(index: &git2::Index) -> IndexStamp {
        Self::build(index, None).0
    }

    /// The stamp of an index file we read ourselves.
    pub(crate) fn of_file(index: &IndexFile) -> IndexStamp {
        let mut builder = StampBuilder::new(index.entries.len(), None);
        for entry in &index.entries {
            builder.push(stamp_entry(entry, index.path(entry)));
        }
        let mut stamp = builder.finish().0;
        stamp.offsets = index.offsets.clone();
        stamp.file = Some((index.file, index.version));
        stamp
    }

    /// The stamp of the index file at `index_path`, read entry by entry and compared with
    /// `before` as it goes; keeps the entries that changed and those whose path hashes are in
    /// `wanted` (see `hash_of`).
    pub(crate) fn restamp(
        index_path: &Path,
        before: &IndexStamp,
        wanted: &PathHashes,
    ) -> Result<Restamp, IndexFileError> {
        let mut builder = StampBuilder::new(before.entries.len(), Some(before));
        let mut offsets = Vec::with_capacity(before.entries.len());
        let mut entries = Vec::new();
        let end = index_file::stream(index_path, |entry, path, offset| {
            let (differs, hash) = builder.push(stamp_entry(entry, path));
            if differs || wanted.contains(&hash) {
                entries.push((*entry, path.to_vec()));
            }
            if let Ok(offset) = u32::try_from(offset) {
                offsets.push(offset);
            }
            true
        })?;
        let (mut stamp, changed) = builder.finish();
        if offsets.len() == stamp.entries.len() {
            stamp.offsets = offsets;
            stamp.file = Some((end.file, end.version));
        }
        Ok(Restamp {
            stamp: std::sync::Arc::new(stamp),
            changed,
            entries,
        })
    }

    /// `restamp` when the index file is still the one this stamp read: nothing changed, and the
    /// entries of `paths` are read again where the stamp saw them. `None` when the file changed.
    pub(crate) fn unchanged(
        self: &std::sync::Arc<Self>,
        index_path: &Path,
        paths: &BTreeSet<&str>,
    ) -> Option<Restamp> {
        let (file, _) = self.file?;
        if FileId::at(index_path) != Some(file) {
            return None;
        }
        let mut entries = Vec::new();
        for path in paths {
            match self.lookup(index_path, path.as_bytes()) {
                Lookup::Entry(entry) => entries.push((entry, path.as_bytes().to_vec())),
                Lookup::Untracked => {}
                Lookup::Unknown => return None,
            }
        }
        Some(Restamp {
            stamp: self.clone(),
            changed: Some(BTreeSet::new()),
            entries,
        })
    }

    /// The index entry of `path` as this stamp saw it, read again from the index file at
    /// `index_path` at the place the stamp kept.
    pub(crate) fn lookup(&self, index_path: &Path, path: &[u8]) -> Lookup {
        let Some((file, version)) = self.file else {
            return Lookup::Unknown;
        };
        let Some(position) = self.position(path_hash(path)) else {
            return Lookup::Untracked;
        };
        let Some(&offset) = self.offsets.get(position) else {
            return Lookup::Unknown;
        };
        match index_file::entry_at(index_path, file, version, u64::from(offset), path) {
            Ok(Some(entry)) => Lookup::Entry(entry),
            _ => Lookup::Unknown,
        }
    }

    /// The stamp of `index` and, in the same pass, the paths whose entries are new or differ
    /// from `before`; `None` for those when some entry of `before` is gone from the index (its
    /// path is not kept there).
    pub fn compared(
        index: &git2::Index,
        before: &IndexStamp,
    ) -> (IndexStamp, Option<BTreeSet<String>>) {
        Self::build(index, Some(before))
    }

    fn build(
        index: &git2::Index,
        before: Option<&IndexStamp>,
    ) -> (IndexStamp, Option<BTreeSet<String>>) {
        let mut builder = StampBuilder::new(index.len(), before);
        for entry in index.iter() {
            builder.push(StampEntry {
                path: &entry.path,
                oid: entry.id.as_bytes(),
                mode: entry.mode,
                flags: entry.flags,
                flags_extended: entry.flags_extended,
            });
        }
        builder.finish()
    }

    /// The entry whose path has this hash.
    fn find(&self, hash: u64) -> Option<(u64, u64)> {
        self.position(hash).map(|at| self.entries[at])
    }

    /// Where the entry whose path has this hash sits.
    fn position(&self, hash: u64) -> Option<usize> {
        let table = self.by_hash.get_or_init(|| {
            // At most half full, so that a probe ends after a slot or two.
            let slots = (self.entries.len() * 2).next_power_of_two().max(2);
            let mut table = vec![u32::MAX; slots];
            for (position, (hash, _)) in self.entries.iter().enumerate() {
                let Ok(position) = u32::try_from(position) else {
                    break;
                };
                let mut slot = (*hash as usize) & (slots - 1);
                while table[slot] != u32::MAX {
                    slot = (slot + 1) & (slots - 1);
                }
                table[slot] = position;
            }
            table
        });
        let mut slot = (hash as usize) & (table.len() - 1);
        loop {
            match table[slot] {
                u32::MAX => return None,
                at if self.entries[at as usize].0 == hash => return Some(at as usize),
                _ => slot = (slot + 1) & (table.len() - 1),
            }
        }
    }

    /// Whether `path` (relative, `/`-separated) is tracked.
    pub fn tracks(&self, path: &[u8]) -> bool {
        self.find(path_hash(path)).is_some()
    }

    /// Whether `path` (relative, `/`-separated) lies below a sparse directory entry: a sparse
    /// index keeps one entry for a whole directory outside the cone, its path ending in `/`
    /// (no other entry's does).
    pub(crate) fn below_sparse_dir(&self, path: &[u8]) -> bool {
        path.iter()
            .enumerate()
            .filter(|(_, b)| **b == b'/')
            .any(|(end, _)| self.tracks(&path[..=end]))
    }

    /// Whether tracked files lie below the directory `path` (relative, `/`-separated).
    pub fn tracks_below(&self, path: &[u8]) -> bool {
        self.dirs.binary_search(&path_hash(path)).is_ok()
    }
}

/// The stage of an entry, in its flags (0 unless conflicted).
const STAGE_MASK: u16 = 0x3000;

/// Assume-valid and the stage (in `flags`), intent-to-add and skip-worktree (extended flags).
const STAMPED_FLAGS: u16 = 0x8000 | 0x3000;
const STAMPED_EXTENDED_FLAGS: u16 = (1 << 13) | SKIP_WORKTREE;

fn stamp_entry<'e>(entry: &'e Entry, path: &'e [u8]) -> StampEntry<'e> {
    StampEntry {
        path,
        oid: &entry.oid,
        mode: entry.mode,
        flags: entry.flags,
        flags_extended: entry.flags_extended,
    }
}

/// The hash the stamp keeps of a path, to name the paths `IndexStamp::restamp` should keep.
pub(crate) fn hash_of(path: &[u8]) -> u64 {
    path_hash(path)
}

/// A hash of a path's bytes, the same in every process run, taken eight bytes at a time (a
/// stamp hashes every path of the index each time git writes it: a million at a time).
fn path_hash(path: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut hash = (path.len() as u64).wrapping_mul(K);
    let mut words = path.chunks_exact(8);
    let mut mix = |word: u64| hash = (hash ^ word).wrapping_mul(K).rotate_left(31);
    for word in &mut words {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(word);
        mix(u64::from_le_bytes(bytes));
    }
    let rest = words.remainder();
    if !rest.is_empty() {
        let mut bytes = [0u8; 8];
        bytes[..rest.len()].copy_from_slice(rest);
        mix(u64::from_le_bytes(bytes));
    }
    // MurmurHash3's finaliser: every input bit reaches every output bit.
    let mut k = hash;
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    k ^ (k >> 33)
}

/// A set of path hashes (already uniform: the set hashes them no further).
pub(crate) type PathHashes = HashSet<u64, std::hash::BuildHasherDefault<Passthrough>>;

/// A hasher that keeps the `u64` it is given.
#[derive(Default)]
pub(crate) struct Passthrough(u64);

impl std::hash::Hasher for Passthrough {
    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0 << 8) | u64::from(*byte);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// An entry's path hash, and its blob id, mode and stamped flags folded into 64 bits (the id is
/// already a uniform hash: two of its words, rotated apart, and the rest mixed in by a
/// multiplication, tell any two entries apart but with a chance of 2^-64).
fn stamp(entry: &StampEntry<'_>) -> (u64, u64) {
    let id = entry.oid;
    let word = |at: usize| {
        let mut bytes = [0u8; 8];
        if let Some(slice) = id.get(at..at + 8) {
            bytes.copy_from_slice(slice);
        }
        u64::from_le_bytes(bytes)
    };
    let rest = (u64::from(entry.mode) << 32)
        | (u64::from(entry.flags & STAMPED_FLAGS) << 16)
        | u64::from(entry.flags_extended & STAMPED_EXTENDED_FLAGS);
    let content = word(0) ^ word(8).rotate_left(29) ^ rest.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (path_hash(entry.path), content)
}
