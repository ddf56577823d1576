//! Writing an index file of the kinds libgit2 cannot write: a sparse index (its directory
//! entries and `sdir` kept) and a split index (its `link` to the shared index kept), in the
//! version it was read in (2, 3 or 4), with its cache-tree.
//!
//! Only `git::stage` calls this, under `index.lock`; everything else of the index is read.

use std::path::Path;

use super::split::{read_file, shared_path, split_against};
use super::stream::Link;
use super::{CacheTree, Entry, IndexFile, Result, EXTENDED_FLAGS, FLAG_EXTENDED};

/// The bytes of a new index holding `entries` (sorted by path, then stage), of the same kind as
/// `like` (read from `index_path`): split over the same shared index, sparse, or neither.
pub(crate) fn encode_like(
    index_path: &Path,
    like: &IndexFile,
    entries: &[(Entry, Vec<u8>)],
    cache_tree: Option<&CacheTree>,
) -> Result<Vec<u8>> {
    let mut extensions: Vec<([u8; 4], Vec<u8>)> = Vec::new();
    if let Some(tree) = cache_tree {
        extensions.push((*b"TREE", tree.encode()));
    }
    let written: Vec<(Entry, Vec<u8>, bool)> = match &like.link {
        Some(link) => {
            let (base, _) = read_file(&shared_path(index_path, &link.shared))?;
            let (written, link) = split_against(&base, link.shared, entries);
            extensions.push((*b"link", encode_link(&link)));
            written
        }
        None => entries
            .iter()
            .map(|(entry, path)| (*entry, path.clone(), false))
            .collect(),
    };
    // The resolve-undo records stay as git left them (git drops them only when a command
    // starts anew, a checkout or a commit, never on `git add`); the untracked cache and the
    // fsmonitor token are left out, which git takes as "none" and rebuilds.
    if let Some(records) = &like.resolve_undo {
        extensions.push((*b"REUC", records.clone()));
    }
    if like.sparse {
        extensions.push((*b"sdir", Vec::new()));
    }
    Ok(encode(like.version, &written, &extensions))
}

fn encode_link(link: &Link) -> Vec<u8> {
    let mut data = link.shared.to_vec();
    super::ewah::write(&link.delete, &mut data);
    super::ewah::write(&link.replace, &mut data);
    data
}

/// An index file: the header, each entry (`true`: its path is not written, a split index's
/// replacement), the extensions, and the SHA-1 of all of it.
fn encode(
    version: u32,
    entries: &[(Entry, Vec<u8>, bool)],
    extensions: &[([u8; 4], Vec<u8>)],
) -> Vec<u8> {
    // Extended flags need version 3 at least, as git decides when it writes.
    let extended = entries
        .iter()
        .any(|(e, ..)| e.flags_extended & EXTENDED_FLAGS != 0);
    let version = if extended { version.max(3) } else { version };
    let mut out = Vec::with_capacity(64 + entries.len() * 80);
    out.extend_from_slice(b"DIRC");
    out.extend_from_slice(&version.to_be_bytes());
    out.extend_from_slice(&(entries.len() as u32).to_be_bytes());
    let mut previous: Vec<u8> = Vec::new();
    for (entry, path, stripped) in entries {
        let name: &[u8] = if *stripped { b"" } else { path };
        encode_entry(&mut out, version, entry, name, &mut previous);
    }
    for (signature, data) in extensions {
        out.extend_from_slice(signature);
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend_from_slice(data);
    }
    let hash = sha1_smol::Sha1::from(&out).digest().bytes();
    out.extend_from_slice(&hash);
    out
}

fn encode_entry(
    out: &mut Vec<u8>,
    version: u32,
    entry: &Entry,
    name: &[u8],
    previous: &mut Vec<u8>,
) {
    let start = out.len();
    for word in [
        entry.ctime.0,
        entry.ctime.1,
        entry.mtime.0,
        entry.mtime.1,
        entry.dev,
        entry.ino,
        entry.mode,
        entry.uid,
        entry.gid,
        entry.size,
    ] {
        out.extend_from_slice(&word.to_be_bytes());
    }
    out.extend_from_slice(&entry.oid);
    let extended = entry.flags_extended & EXTENDED_FLAGS;
    let mut flags = entry.flags & !0xFFF & !FLAG_EXTENDED;
    flags |= name.len().min(0xFFF) as u16;
    if extended != 0 {
        flags |= FLAG_EXTENDED;
    }
    out.extend_from_slice(&flags.to_be_bytes());
    if extended != 0 {
        out.extend_from_slice(&extended.to_be_bytes());
    }
    if version == 4 {
        // The path as the previous one's prefix it keeps (how many bytes to drop), then the rest.
        let common = name
            .iter()
            .zip(previous.iter())
            .take_while(|(a, b)| a == b)
            .count();
        out.extend_from_slice(&varint(previous.len() - common));
        out.extend_from_slice(&name[common..]);
        out.push(0);
        previous.truncate(common);
        previous.extend_from_slice(&name[common..]);
    } else {
        out.extend_from_slice(name);
        let written = out.len() - start;
        // 1 to 8 NULs, to a multiple of 8 bytes from the entry's start.
        let padded = (written + 8) & !7;
        out.resize(start + padded, 0);
    }
}

/// git's `encode_varint`: 7 bits a byte, the most significant first, each but the last with its
/// high bit set and one less than its value.
fn varint(mut value: usize) -> Vec<u8> {
    let mut bytes = vec![(value & 127) as u8];
    loop {
        value >>= 7;
        if value == 0 {
            break;
        }
        value -= 1;
        bytes.push(128 | (value & 127) as u8);
    }
    bytes.reverse();
    bytes
}
