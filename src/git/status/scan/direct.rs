//! Rows of plainly modified files counted directly: the index's blob against the file's bytes,
//! diffed as libgit2's diff of the two would diff them, without libgit2 listing each directory
//! again to find the file or looking up attributes for it.
//!
//! Only where nothing could make those numbers differ from libgit2's working-tree diff: no
//! attributes anywhere (no `.gitattributes` in the index or among the untracked names, none in
//! the git directory, the user's or the system's files), no `core.autocrlf` or `core.eol`, a
//! regular file on both sides with the same executable bit, not excluded, within the size limit.
//! Every other candidate is left to libgit2.

use std::collections::HashSet;
use std::path::Path;

use git2::Repository;

use crate::git::error::Result;
use crate::git::index_file::{IndexFile, FLAG_ASSUME_VALID};
use crate::git::model::{CountOptions, FileDelta};
use crate::git::numstat::{first_change_line, sized_options};

/// Whether no attribute and no line-ending setting can change how this repository's files are
/// read or diffed.
pub(super) fn attributes_free(repo: &Repository, index: &IndexFile, untracked: &[Vec<u8>]) -> bool {
    let is_attributes =
        |path: &[u8]| path == b".gitattributes" || path.ends_with(b"/.gitattributes");
    if untracked.iter().any(|p| is_attributes(p))
        || index.entries.iter().any(|e| is_attributes(index.path(e)))
    {
        return false;
    }
    let Ok(config) = repo.config().and_then(|mut c| c.snapshot()) else {
        return false;
    };
    let set = |key: &str| config.get_entry(key).is_ok();
    if set("core.autocrlf") || set("core.eol") || set("core.attributesFile") {
        return false;
    }
    let home_file = match std::env::var_os("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
        Some(dir) => Path::new(&dir).join("git/attributes"),
        None => match std::env::var_os("HOME") {
            Some(home) => Path::new(&home).join(".config/git/attributes"),
            None => return false,
        },
    };
    // A linked worktree's git directory and the shared one may each hold `info/attributes`.
    let files = [
        repo.path().join("info/attributes"),
        repo.commondir().join("info/attributes"),
        home_file,
        Path::new("/etc/gitattributes").to_path_buf(),
    ];
    !files.iter().any(|f| f.exists())
}

/// What the direct count found: rows, their paths as plain modifications, and the candidates
/// (positions in the index) left to libgit2.
pub(super) struct Direct {
    pub rows: Vec<FileDelta>,
    pub plain: HashSet<String>,
    pub rest: Vec<usize>,
}

/// Counts the candidates (positions in `index`) it can, on `repo` (for the blobs).
pub(super) fn direct_rows(
    repo: &Repository,
    root: &Path,
    index: &IndexFile,
    candidates: &[usize],
    options: &CountOptions,
    file_mode: bool,
) -> Result<Direct> {
    use std::os::unix::fs::PermissionsExt;
    let mut direct = Direct {
        rows: Vec::new(),
        plain: HashSet::new(),
        rest: Vec::new(),
    };
    let limit = options.max_file_bytes;
    for &at in candidates {
        let entry = &index.entries[at];
        let Ok(path) = std::str::from_utf8(index.path(entry)) else {
            direct.rest.push(at);
            continue;
        };
        let executable = entry.mode == 0o100755;
        // A file git was told to trust (assume-unchanged) is judged by libgit2, as before.
        let regular =
            matches!(entry.mode, 0o100644 | 0o100755) && entry.flags & FLAG_ASSUME_VALID == 0;
        let meta = std::fs::symlink_metadata(root.join(path));
        let same_kind = meta.as_ref().is_ok_and(|m| {
            m.file_type().is_file()
                && (!file_mode || (m.permissions().mode() & 0o111 != 0) == executable)
                && (limit == 0 || m.len() <= limit)
                && m.len() <= u64::from(u32::MAX)
        });
        if !regular || !same_kind || options.exclude.is_match(path) {
            direct.rest.push(at);
            continue;
        }
        let Ok(bytes) = std::fs::read(root.join(path)) else {
            direct.rest.push(at);
            continue;
        };
        let old_id = git2::Oid::from_bytes(&entry.oid)?;
        if bytes.len() as u64 == u64::from(entry.size) || entry.size == 0 {
            // Perhaps unchanged (the stat data differed, or was too recent to trust).
            if git2::Oid::hash_object(git2::ObjectType::Blob, &bytes)? == old_id {
                continue;
            }
        }
        let blob = repo.find_blob(old_id)?;
        if limit > 0 && blob.size() as u64 > limit {
            direct.rest.push(at);
            continue;
        }
        let mut diff_options = sized_options(options);
        let patch = git2::Patch::from_buffers(
            blob.content(),
            Some(Path::new(path)),
            &bytes,
            Some(Path::new(path)),
            Some(&mut diff_options),
        )?;
        let (_, added, removed) = patch.line_stats()?;
        let binary = patch.delta().flags().is_binary();
        // The contents differ (their ids do): as in `rows`, a text file with no hunk has no row.
        if patch.num_hunks() == 0 && !binary {
            continue;
        }
        direct.rows.push(FileDelta {
            path: path.to_string(),
            old_path: None,
            added: added as u64,
            removed: removed as u64,
            binary,
            first_line: first_change_line(&patch)?,
        });
        direct.plain.insert(path.to_string());
    }
    Ok(direct)
}
