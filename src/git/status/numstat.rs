//! From a libgit2 diff to per-file rows with git's numbers, and the diff plumbing every count
//! shares (options that run no program, plain modifications, large files, renames).

use std::collections::HashSet;
use std::path::Path;
use std::time::UNIX_EPOCH;

use git2::{Delta, Diff, DiffOptions, Repository};

use crate::git::error::Result;
use crate::git::model::{CountOptions, FileDelta};

/// The paths whose old or new side in these diffs is larger than `limit` bytes (none when 0).
pub(crate) fn large_files(diffs: &[&Diff<'_>], limit: u64) -> Vec<String> {
    if limit == 0 {
        return Vec::new();
    }
    let mut paths: Vec<String> = diffs
        .iter()
        .flat_map(|diff| diff.deltas())
        .filter(|delta| delta.old_file().size() > limit || delta.new_file().size() > limit)
        .filter_map(|delta| {
            let path = delta
                .new_file()
                .path()
                .or_else(|| delta.old_file().path())?;
            Some(path_string(path))
        })
        .collect();
    paths.sort_unstable();
    paths.dedup();
    paths
}

/// How a diff is limited to a set of paths: each group becomes one diff.
pub(crate) enum PathLimit<'p> {
    /// Plain paths sharing one directory, given to libgit2 as pathspecs: their common leading
    /// part lets it seek straight to them in the index, the tree and the working tree, so the
    /// diff costs in proportion to the paths, not to the repository.
    Seek(Vec<&'p str>),
    /// Any paths, as an exact list: libgit2 then looks at every index entry to find them.
    List(Vec<&'p str>),
}

/// Above this many directories among the paths, one diff over an exact list is cheaper than
/// one diff per directory (each copies libgit2's list of index entries).
const MAX_SEEK_GROUPS: usize = 8;

impl<'p> PathLimit<'p> {
    /// The diffs that cover exactly `paths`: one per directory when the paths are few and
    /// plain, else one over the exact list.
    pub(crate) fn groups(paths: impl IntoIterator<Item = &'p str>) -> Vec<PathLimit<'p>> {
        let paths: Vec<&str> = paths.into_iter().collect();
        if paths.is_empty() {
            return Vec::new();
        }
        let parent = |path: &'p str| path.rsplit_once('/').map_or("", |(dir, _)| dir);
        let mut by_dir: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
        for path in &paths {
            by_dir.entry(parent(path)).or_default().push(path);
        }
        if by_dir.len() > MAX_SEEK_GROUPS || !paths.iter().all(|p| is_plain_path(p)) {
            return vec![PathLimit::List(paths)];
        }
        by_dir.into_values().map(PathLimit::Seek).collect()
    }

    /// Limits `options` to this group's paths.
    pub(crate) fn apply(&self, options: &mut DiffOptions) {
        match self {
            PathLimit::Seek(paths) => {
                for path in paths {
                    options.pathspec(*path);
                }
            }
            PathLimit::List(paths) => {
                options.disable_pathspec_match(true);
                for path in paths {
                    options.pathspec(*path);
                }
            }
        }
    }
}

/// Whether a path means only itself as a pathspec: no wildcard, escape, negation, trailing
/// slash or surrounding space, nothing but letters, digits and common punctuation.
fn is_plain_path(path: &str) -> bool {
    !path.is_empty()
        && !path.ends_with('/')
        && !path.starts_with('/')
        && path.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'/' | b'.' | b'_' | b'-' | b'+' | b'@' | b',' | b'=' | b'%' | b'~'
                )
        })
}

/// `base_options` with the size limit of `options`: bigger files count by size alone.
pub(crate) fn sized_options(options: &CountOptions) -> DiffOptions {
    let mut diff_options = base_options();
    if options.max_file_bytes > 0 {
        diff_options.max_size(i64::try_from(options.max_file_bytes).unwrap_or(i64::MAX));
    }
    diff_options
}

/// Diff options shared by every count: git's defaults, and nothing that runs a program.
pub(crate) fn base_options() -> DiffOptions {
    let mut options = DiffOptions::new();
    // Submodules are counted as git counts them by default (a changed commit is one line each way).
    options.include_typechange(true).context_lines(3);
    options
}

/// The paths a diff shows as plainly modified: same mode, not added, deleted or renamed.
pub(crate) fn plain_modifications(diff: &Diff<'_>) -> HashSet<String> {
    diff.deltas()
        .filter(|d| d.status() == Delta::Modified && d.old_file().mode() == d.new_file().mode())
        .filter_map(|d| d.new_file().path().map(path_string))
        .collect()
}

/// Whether `git diff` would look for renames here (`diff.renames`, default on).
pub(crate) fn renames_enabled(repo: &Repository) -> bool {
    match repo.config().and_then(|c| c.get_string("diff.renames")) {
        Ok(value) => !matches!(
            value.to_ascii_lowercase().as_str(),
            "false" | "no" | "off" | "0"
        ),
        Err(_) => true,
    }
}

/// Where the new side of a diff lives: in the object database (the index), or on disk.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum NewSide {
    Odb,
    Workdir,
}

/// Counts the lines of each delta whose status passes `which` and whose path passes `keep`;
/// with `renames`, pairs deleted and added files as git does (see `renames`).
pub(crate) fn rows(
    repo: &Repository,
    diff: &Diff<'_>,
    which: impl Fn(Delta) -> bool,
    keep: &dyn Fn(&str) -> bool,
    new_side: NewSide,
    renames: bool,
) -> Result<Vec<FileDelta>> {
    let mut files = Vec::new();
    let mut deleted = Vec::new();
    let mut added = Vec::new();
    // `diff.renames=copies`: a modified file's old version may be the source of a new one.
    let copies = renames && copies_enabled(repo);
    let mut modified = Vec::new();
    for (index, delta) in diff.deltas().enumerate() {
        if !which(delta.status()) {
            continue;
        }
        let Some(path) = delta.new_file().path().or_else(|| delta.old_file().path()) else {
            continue;
        };
        let path = path_string(path);
        if !keep(&path) {
            continue;
        }
        let mut row = FileDelta {
            path,
            old_path: None,
            added: 0,
            removed: 0,
            binary: false,
            first_line: None,
        };
        let mut hunks = 0;
        if let Some(patch) = git2::Patch::from_diff(diff, index)? {
            let (_, n_added, n_removed) = patch.line_stats()?;
            row.added = n_added as u64;
            row.removed = n_removed as u64;
            row.binary = patch.delta().flags().is_binary();
            hunks = patch.num_hunks();
            row.first_line = first_change_line(&patch)?;
        } else {
            row.binary = true;
        }
        if delta.status() == Delta::Typechange {
            typechange_lines(repo, &delta, new_side, &mut row)?;
        }
        if is_dirty_submodule(&delta) {
            // A submodule at the commit recorded, with work inside: git counts `0 0` when a
            // tracked file inside is modified, and nothing when only untracked files are.
            if !submodule_has_changes(repo, &row.path) {
                continue;
            }
            (row.added, row.removed, row.first_line) = (0, 0, None);
        }
        // A merged HEAD→index→working tree diff can name a file whose two changes cancel out
        // (a mode staged and reverted on disk): git lists nothing for it.
        let (old, new) = (delta.old_file(), delta.new_file());
        if delta.status() == Delta::Modified
            && hunks == 0
            && old.mode() == new.mode()
            && !(row.binary && old.id() != new.id())
        {
            continue;
        }
        if renames {
            match delta.status() {
                Delta::Deleted => {
                    deleted.push(rename_side(repo, files.len(), &old, None, row.binary))
                }
                Delta::Added => {
                    let on_disk = (new_side == NewSide::Workdir).then(|| row.path.clone());
                    added.push(rename_side(repo, files.len(), &new, on_disk, row.binary));
                }
                Delta::Modified if copies => {
                    modified.push(rename_side(repo, files.len(), &old, None, row.binary))
                }
                _ => {}
            }
        }
        files.push(row);
    }
    let mut drop = vec![false; files.len()];
    let mut paired = HashSet::new();
    if renames && !deleted.is_empty() && !added.is_empty() {
        for (old_row, new_row) in crate::git::renames::pair(&deleted, &added) {
            files[new_row] = paired_row(&files, &deleted, &added, old_row, new_row)?;
            drop[old_row] = true;
            paired.insert(new_row);
        }
    }
    // Copies (`git diff -C`): the new files left, against the modified files' old versions;
    // the source stays as it is.
    let unpaired: Vec<crate::git::renames::Side> = added
        .into_iter()
        .filter(|side| !paired.contains(&side.row))
        .collect();
    if copies && !modified.is_empty() && !unpaired.is_empty() {
        for (old_row, new_row) in crate::git::renames::pair(&modified, &unpaired) {
            files[new_row] = paired_row(&files, &modified, &unpaired, old_row, new_row)?;
        }
    }
    let mut index = 0;
    files.retain(|_| {
        let keep = !drop[index];
        index += 1;
        keep
    });
    Ok(files)
}

/// The `--numstat` row of `path` from `old` to `new` (two versions in memory).
pub(crate) fn row_of_buffers(path: &str, old: &[u8], new: &[u8]) -> Result<FileDelta> {
    let mut options = base_options();
    let patch = git2::Patch::from_buffers(
        old,
        Some(Path::new(path)),
        new,
        Some(Path::new(path)),
        Some(&mut options),
    )?;
    let (_, n_added, n_removed) = patch.line_stats()?;
    Ok(FileDelta {
        path: path.to_string(),
        old_path: None,
        added: n_added as u64,
        removed: n_removed as u64,
        binary: patch.delta().flags().is_binary(),
        first_line: first_change_line(&patch)?,
    })
}

/// The row of `files[new_row]` renamed or copied from `files[old_row]`, the lines counted from
/// one side's content to the other's.
fn paired_row(
    files: &[FileDelta],
    old_sides: &[crate::git::renames::Side],
    new_sides: &[crate::git::renames::Side],
    old_row: usize,
    new_row: usize,
) -> Result<FileDelta> {
    let content = |sides: &[crate::git::renames::Side], row: usize| {
        sides
            .iter()
            .find(|s| s.row == row)
            .map(|s| s.content.clone())
            .unwrap_or_default()
    };
    let (old_content, new_content) = (content(old_sides, old_row), content(new_sides, new_row));
    let old_path = files[old_row].path.clone();
    let new_path = files[new_row].path.clone();
    let mut options = base_options();
    let patch = git2::Patch::from_buffers(
        &old_content,
        Some(Path::new(&old_path)),
        &new_content,
        Some(Path::new(&new_path)),
        Some(&mut options),
    )?;
    let (_, n_added, n_removed) = patch.line_stats()?;
    Ok(FileDelta {
        path: new_path,
        old_path: Some(old_path),
        added: n_added as u64,
        removed: n_removed as u64,
        binary: patch.delta().flags().is_binary(),
        first_line: first_change_line(&patch)?,
    })
}

/// Whether `diff.renames` asks for copies too (`copies`, `copy`).
pub(crate) fn copies_enabled(repo: &Repository) -> bool {
    repo.config()
        .and_then(|c| c.get_string("diff.renames"))
        .is_ok_and(|value| matches!(value.to_ascii_lowercase().as_str(), "copies" | "copy"))
}

/// A working-tree side of a submodule at the commit the other side records (libgit2 counts its
/// `-dirty` mark as a changed line).
fn is_dirty_submodule(delta: &git2::DiffDelta<'_>) -> bool {
    let (old, new) = (delta.old_file(), delta.new_file());
    old.mode() == git2::FileMode::Commit
        && new.mode() == git2::FileMode::Commit
        && old.id() == new.id()
}

/// Whether the submodule at `path` has changes to its tracked files (in its index or working
/// tree), untracked files aside.
fn submodule_has_changes(repo: &Repository, path: &str) -> bool {
    use git2::SubmoduleStatus as S;
    repo.submodule_status(path, git2::SubmoduleIgnore::Untracked)
        .map(|status| status.intersects(S::WD_INDEX_MODIFIED | S::WD_WD_MODIFIED))
        .unwrap_or(true)
}

/// A file replaced by a symlink (or the other way): git counts the old content's lines removed
/// and the new content's added (a link's content is its target), where libgit2's patch of the
/// type change has none.
fn typechange_lines(
    repo: &Repository,
    delta: &git2::DiffDelta<'_>,
    new_side: NewSide,
    row: &mut FileDelta,
) -> Result<()> {
    use git2::FileMode::{Blob, BlobExecutable, Link};
    let (old, new) = (delta.old_file(), delta.new_file());
    let plain = |mode| matches!(mode, Blob | BlobExecutable | Link);
    if !plain(old.mode()) || !plain(new.mode()) {
        return Ok(());
    }
    let old_content = repo.find_blob(old.id())?.content().to_vec();
    let new_content = match new_side {
        NewSide::Odb => repo.find_blob(new.id())?.content().to_vec(),
        // The file as `git add` would take it (a link's target); gone meanwhile, nothing.
        NewSide::Workdir => crate::git::convert::as_git_would_add(repo, &row.path, None, None)?
            .map(|addable| addable.content)
            .unwrap_or_default(),
    };
    let mut options = base_options();
    let patch = git2::Patch::from_buffers(
        &old_content,
        Some(Path::new(&row.path)),
        &new_content,
        Some(Path::new(&row.path)),
        Some(&mut options),
    )?;
    let (_, n_added, n_removed) = patch.line_stats()?;
    row.added = n_added as u64;
    row.removed = n_removed as u64;
    row.binary = patch.delta().flags().is_binary();
    row.first_line = first_change_line(&patch)?;
    Ok(())
}

/// Binary files larger than this are not read to look for renames.
const RENAME_READ_LIMIT: u64 = 1024 * 1024;

/// One side of a possible rename, with its content read from the object database or the disk.
///
/// A large binary file (libgit2 flags files over the size limit as binary without reading them)
/// is not read either: it can pair only with an identical file, compared by object id.
fn rename_side(
    repo: &Repository,
    row: usize,
    file: &git2::DiffFile<'_>,
    on_disk: Option<String>,
    binary: bool,
) -> crate::git::renames::Side {
    let (id, mode) = (file.id(), file.mode());
    if binary && file.size() > RENAME_READ_LIMIT {
        let mut content = b"\0too large to read: ".to_vec();
        if id.is_zero() {
            content.extend_from_slice(format!("row {row}").as_bytes());
        } else {
            content.extend_from_slice(id.as_bytes());
        }
        return crate::git::renames::Side {
            row,
            content,
            regular: false,
            binary,
        };
    }
    let content = match on_disk {
        // The file as `git add` would store it: line endings converted (`core.autocrlf`), a
        // link's target, as git compares a working-tree file with a blob.
        Some(path) => crate::git::convert::as_git_would_add(repo, &path, None, None)
            .ok()
            .flatten()
            .map(|added| added.content)
            .unwrap_or_default(),
        None => repo
            .find_blob(id)
            .map(|b| b.content().to_vec())
            .unwrap_or_default(),
    };
    crate::git::renames::Side {
        row,
        content,
        regular: matches!(mode, git2::FileMode::Blob | git2::FileMode::BlobExecutable),
        binary,
    }
}

/// The 0-based line, in the new version, of a patch's first added or removed line (a removal
/// sits on the line that follows it).
pub(crate) fn first_change_line(patch: &git2::Patch<'_>) -> Result<Option<u32>> {
    if patch.num_hunks() == 0 {
        return Ok(None);
    }
    let (hunk, n_lines) = patch.hunk(0)?;
    // The 1-based number of the next line on the new side.
    let mut next_new = hunk.new_start();
    for index in 0..n_lines {
        let line = patch.line_in_hunk(0, index)?;
        match line.origin() {
            ' ' => next_new = line.new_lineno().unwrap_or(next_new) + 1,
            '+' => {
                return Ok(Some(
                    line.new_lineno().unwrap_or(next_new).saturating_sub(1),
                ))
            }
            '-' => return Ok(Some(next_new.saturating_sub(1))),
            _ => {}
        }
    }
    Ok(Some(first_line_of(hunk.new_start(), hunk.new_lines())))
}

/// The 0-based line a hunk starting at `new_start` (1-based, as in `@@ -a,b +c,d @@`) points at.
pub(crate) fn first_line_of(new_start: u32, new_lines: u32) -> u32 {
    if new_lines == 0 {
        // A pure deletion: `new_start` is the line before the removed ones.
        new_start
    } else {
        new_start.saturating_sub(1)
    }
}

/// A git path as a `/`-separated string (lossy for names that are not UTF-8).
pub(crate) fn path_string(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

pub(crate) fn modified_unix(path: &Path) -> Option<i64> {
    let modified = std::fs::symlink_metadata(path).ok()?.modified().ok()?;
    let seconds = modified.duration_since(UNIX_EPOCH).ok()?.as_secs();
    i64::try_from(seconds).ok()
}

/// A file name from git's bytes.
#[cfg(unix)]
pub(crate) fn os_string(bytes: &[u8]) -> std::ffi::OsString {
    use std::os::unix::ffi::OsStrExt;
    std::ffi::OsStr::from_bytes(bytes).to_os_string()
}

/// A file name from git's bytes (UTF-8 on systems whose names are not bytes).
#[cfg(not(unix))]
pub(crate) fn os_string(bytes: &[u8]) -> std::ffi::OsString {
    String::from_utf8_lossy(bytes).into_owned().into()
}
