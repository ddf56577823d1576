//! Counting what a commit would hold, with git's own numbers.
//!
//! Three diffs give everything: HEAD→index (staged), index→working tree (unstaged, plus the
//! untracked files with their content), and HEAD→working tree limited to the paths the first two
//! named (total). Each is counted per file with the same line statistics `git diff --numstat`
//! prints: binary files are files with 0 lines, renames are found as git finds them.

use std::collections::HashSet;
use std::path::Path;
use std::time::UNIX_EPOCH;

use git2::{Delta, Diff, DiffOptions, Repository};
use globset::GlobSet;
use serde::Serialize;

use super::error::Result;
use super::partial::IndexStamp;
use super::repo::{open_containing, RepoInfo};

/// Files, added lines and removed lines: one row of `git diff --numstat`, summed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LineStat {
    pub files: u64,
    pub added: u64,
    pub removed: u64,
    /// How many of `files` are larger than the size limit and counted by size alone (0 lines);
    /// left out of the JSON when 0.
    #[serde(skip_serializing_if = "is_zero")]
    pub over_size_limit: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl LineStat {
    /// Sums the rows of a per-file list.
    pub fn of<'a>(files: impl IntoIterator<Item = &'a FileDelta>) -> LineStat {
        files
            .into_iter()
            .fold(LineStat::default(), |sum, file| LineStat {
                files: sum.files + 1,
                added: sum.added + file.added,
                removed: sum.removed + file.removed,
                over_size_limit: sum.over_size_limit,
            })
    }

    /// Sums the rows of a per-file list, noting those whose path is in `large_files`.
    pub fn of_with_limit<'a>(
        files: impl IntoIterator<Item = &'a FileDelta>,
        large_files: &[String],
    ) -> LineStat {
        let files: Vec<&FileDelta> = files.into_iter().collect();
        let mut stat = LineStat::of(files.iter().copied());
        stat.over_size_limit = files
            .iter()
            .filter(|file| large_files.contains(&file.path))
            .count() as u64;
        stat
    }

    /// Added plus removed lines: the size of the change.
    pub fn lines(&self) -> u64 {
        self.added + self.removed
    }

    pub fn is_empty(&self) -> bool {
        self.files == 0
    }
}

/// One file's row of a diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDelta {
    /// The path relative to the worktree root, `/`-separated (the new path of a rename).
    pub path: String,
    /// The old path when git sees a rename.
    pub old_path: Option<String>,
    pub added: u64,
    pub removed: u64,
    pub binary: bool,
    /// The 0-based line, in the new version, where the first hunk starts.
    pub first_line: Option<u32>,
}

/// Everything counted for one repository at one moment.
#[derive(Debug, Clone)]
pub struct RepoCounts {
    pub info: RepoInfo,
    /// The branch HEAD points at (also when unborn); `None` when detached.
    pub branch: Option<String>,
    /// The commit HEAD points at; `None` when the branch is unborn.
    pub head: Option<String>,
    /// When the HEAD commit was made (committer time), in Unix seconds.
    pub head_time_unix: Option<i64>,
    /// HEAD→index, as `git diff --cached --numstat`.
    pub staged: Vec<FileDelta>,
    /// Index→working tree, as `git diff --numstat`.
    pub unstaged: Vec<FileDelta>,
    /// Files git neither tracks nor ignores, each counted as all added.
    pub untracked: Vec<FileDelta>,
    /// HEAD→working tree, as `git diff --numstat HEAD` (untracked files not included).
    pub tracked_total: Vec<FileDelta>,
    /// The oldest modification time among changed files in the working tree, in Unix seconds.
    pub oldest_change_unix: Option<i64>,
    /// Changed or untracked paths larger than `CountOptions::max_file_bytes` on either side: each
    /// is counted as one file with 0 lines, its content never read.
    pub large_files: Vec<String>,
    /// The staged and unstaged rows that are plain modifications (same mode, neither added nor
    /// deleted): what HEAD→working tree can take from one side alone.
    pub plain_staged: HashSet<String>,
    pub plain_unstaged: HashSet<String>,
    /// What the index held when counted (with `CountOptions::stamp_index`), so that a later
    /// change to the index can be re-counted for the entries it touched alone.
    pub index_stamp: Option<std::sync::Arc<IndexStamp>>,
}

/// What to count.
#[derive(Debug, Clone, Default)]
pub struct CountOptions {
    /// Count untracked files (reading their content); when false they are left out entirely.
    pub count_untracked: bool,
    /// Paths (relative, `/`-separated) matching this set are left out of every list.
    pub exclude: GlobSet,
    /// Files larger than this many bytes count as changed by size alone (1 file, 0 lines) and
    /// their content is not read; 0 means no limit of ours (libgit2's own, 512 MiB as git's
    /// `core.bigFileThreshold`, still applies).
    pub max_file_bytes: u64,
    /// From what size of the index file (bytes) the working-tree walk is split over two
    /// threads; `None` means `SPLIT_AT_INDEX_BYTES`. (Tests set 0 to exercise the split.)
    pub split_walk_at: Option<u64>,
    /// Keep an `IndexStamp` with the counts (the live workspace does; a one-off count need not).
    pub stamp_index: bool,
}

/// Counts the repository containing `path`.
pub fn count(path: &Path, options: &CountOptions) -> Result<RepoCounts> {
    let repo = open_containing(path)?;
    count_repo(&repo, options)
}

/// Counts an open repository.
pub fn count_repo(repo: &Repository, options: &CountOptions) -> Result<RepoCounts> {
    let root = repo.workdir().map(Path::to_path_buf).unwrap_or_default();
    // The stamp is taken before anything is counted: should git change the index meanwhile,
    // the stamp is older than the rows, never newer, and the next re-count redoes those entries.
    let stamp = if options.stamp_index {
        let mut index = repo.index()?;
        index.read(false)?;
        Some(std::sync::Arc::new(IndexStamp::of(&index)))
    } else {
        None
    };
    let head = head_state(repo)?;
    let head_tree = head.tree()?;

    // Index→working tree: `git diff`, and the untracked files with their content. In a large
    // repository the walk is split in two by top-level entry, one half per thread (git's own
    // `status` spreads its stat calls over threads too); the second thread starts at once, so
    // its repository and index load while this one diffs HEAD against the index.
    let index_bytes = std::fs::metadata(repo.path().join("index")).map_or(0, |m| m.len());
    let split = index_bytes >= options.split_walk_at.unwrap_or(SPLIT_AT_INDEX_BYTES);
    let (workdir_a, workdir_b, staged) = std::thread::scope(|scope| {
        let other = split.then(|| {
            let root = &root;
            scope.spawn(move || -> Result<WorkdirSide> {
                let repo_b = Repository::open(root)?;
                let names = top_level_names(&repo_b, root, 1)?;
                workdir_side(&repo_b, options, Some(&names))
            })
        });
        let staged = staged_side(repo, head_tree.as_ref(), options);
        let mine = if split {
            top_level_names(repo, &root, 0)
                .and_then(|names| workdir_side(repo, options, Some(&names)))
        } else {
            workdir_side(repo, options, None)
        };
        let theirs = other.map(|handle| {
            handle
                .join()
                .unwrap_or_else(|_| Err(git2::Error::from_str("a counting thread failed").into()))
        });
        (mine, theirs, staged)
    });
    let mut workdir = workdir_a?;
    if let Some(workdir_b) = workdir_b {
        workdir.merge(workdir_b?);
    }
    assemble(
        repo,
        &head,
        head_tree.as_ref(),
        staged?,
        workdir,
        options,
        stamp,
    )
}

/// What the HEAD→index diff gives: rows, plainly modified paths, files over the limit.
pub(crate) struct StagedSide {
    pub(crate) rows: Vec<FileDelta>,
    pub(crate) plain: HashSet<String>,
    pub(crate) large: Vec<String>,
}

/// Diffs HEAD against the index: `git diff --cached`.
pub(crate) fn staged_side(
    repo: &Repository,
    head_tree: Option<&git2::Tree<'_>>,
    options: &CountOptions,
) -> Result<StagedSide> {
    let diff = repo.diff_tree_to_index(head_tree, None, Some(&mut sized_options(options)))?;
    let intent_to_add = intent_to_add_paths(repo, &diff)?;
    let keep = |path: &str| !options.exclude.is_match(path) && !intent_to_add.contains(path);
    Ok(StagedSide {
        rows: rows(
            repo,
            &diff,
            |_| true,
            &keep,
            NewSide::Odb,
            renames_enabled(repo),
        )?,
        plain: plain_modifications(&diff),
        large: large_files(&[&diff], options.max_file_bytes),
    })
}

/// The paths a HEAD→index diff adds only because `git add -N` marked them: `git diff --cached`
/// shows nothing for them (their change is unstaged). Only added empty blobs are looked up.
pub(crate) fn intent_to_add_paths(repo: &Repository, diff: &Diff<'_>) -> Result<HashSet<String>> {
    let mut paths = HashSet::new();
    let empty_blob = git2::Oid::hash_object(git2::ObjectType::Blob, &[])?;
    let mut index = None;
    for delta in diff.deltas() {
        if delta.status() != Delta::Added || delta.new_file().id() != empty_blob {
            continue;
        }
        let Some(path) = delta.new_file().path() else {
            continue;
        };
        let index = match &mut index {
            Some(index) => index,
            None => index.insert(repo.index()?),
        };
        if index
            .get_path(path, 0)
            .is_some_and(|entry| super::hunks::is_intent_to_add(&entry))
        {
            paths.insert(path_string(path));
        }
    }
    Ok(paths)
}

/// Puts the staged and working-tree sides together into the counts: HEAD→working tree from the
/// two, conflicts and sparse entries as git shows them, the oldest change; keeps `stamp`.
pub(crate) fn assemble(
    repo: &Repository,
    head: &HeadState<'_>,
    head_tree: Option<&git2::Tree<'_>>,
    staged: StagedSide,
    workdir: WorkdirSide,
    options: &CountOptions,
    stamp: Option<std::sync::Arc<IndexStamp>>,
) -> Result<RepoCounts> {
    let root = repo.workdir().map(Path::to_path_buf).unwrap_or_default();
    let info = RepoInfo {
        root: root.components().collect(),
        git_dir: repo.path().components().collect(),
        common_dir: repo.commondir().components().collect(),
    };
    let keep = |path: &str| !options.exclude.is_match(path);
    let StagedSide {
        rows: staged,
        plain: plain_staged,
        large: large_staged,
    } = staged;
    let WorkdirSide {
        unstaged,
        untracked,
        plain: plain_unstaged,
        large: large_unstaged,
    } = workdir;

    // HEAD→working tree (`git diff HEAD`). A path changed on one side only (in the index or in
    // the working tree) has the same row as that side. Only paths changed on both sides, or
    // added, deleted, renamed or with a new mode (which may pair into renames, or cancel out),
    // need a diff of their own: usually none, which saves a third walk of the whole tree.
    let staged_paths: HashSet<&str> = staged.iter().map(|r| r.path.as_str()).collect();
    let unstaged_paths: HashSet<&str> = unstaged.iter().map(|r| r.path.as_str()).collect();
    let mut tracked_total: Vec<FileDelta> = Vec::new();
    let mut needs_diff: Vec<&str> = Vec::new();
    let sides = [
        (&staged, &plain_staged, &unstaged_paths),
        (&unstaged, &plain_unstaged, &staged_paths),
    ];
    for (rows_here, plain_here, other_side) in sides {
        for row in rows_here.iter() {
            if row.old_path.is_none()
                && plain_here.contains(row.path.as_str())
                && !other_side.contains(row.path.as_str())
            {
                tracked_total.push(row.clone());
            } else {
                needs_diff.push(&row.path);
                needs_diff.extend(row.old_path.as_deref());
            }
        }
    }
    needs_diff.sort_unstable();
    needs_diff.dedup();
    if !needs_diff.is_empty() {
        let mut total_options = sized_options(options);
        total_options.disable_pathspec_match(true);
        for path in &needs_diff {
            total_options.pathspec(*path);
        }
        let total_diff =
            repo.diff_tree_to_workdir_with_index(head_tree, Some(&mut total_options))?;
        tracked_total.extend(rows(
            repo,
            &total_diff,
            |_| true,
            &keep,
            NewSide::Workdir,
            renames_enabled(repo),
        )?);
    }
    let mut unstaged = unstaged;
    let index = repo.index()?;
    conflicted_rows(repo, &index, head_tree, &keep, &mut tracked_total)?;
    // The stamp, when kept, says whether any entry is sparse (it is never newer than the rows).
    if stamp.as_ref().is_none_or(|s| s.skip_worktree) {
        skip_worktree_rows(&index, &staged, &mut unstaged, &mut tracked_total);
    }
    tracked_total.sort_by(|a, b| a.path.cmp(&b.path));

    let mut large_files = large_staged;
    large_files.extend(large_unstaged);
    large_files.sort_unstable();
    large_files.dedup();

    let oldest_change_unix = tracked_total
        .iter()
        .chain(untracked.iter())
        .filter_map(|file| modified_unix(&root.join(&file.path)))
        .min();

    Ok(RepoCounts {
        info,
        branch: head.branch.clone(),
        head: head.commit.as_ref().map(|c| c.id().to_string()),
        head_time_unix: head.commit.as_ref().map(|c| c.time().seconds()),
        staged,
        unstaged,
        untracked,
        tracked_total,
        oldest_change_unix,
        large_files,
        plain_staged,
        plain_unstaged,
        index_stamp: stamp,
    })
}

/// What the index→working tree diff gives: rows, plainly modified paths, files over the limit.
pub(crate) struct WorkdirSide {
    pub(crate) unstaged: Vec<FileDelta>,
    pub(crate) untracked: Vec<FileDelta>,
    pub(crate) plain: HashSet<String>,
    pub(crate) large: Vec<String>,
}

impl WorkdirSide {
    pub(crate) fn merge(&mut self, other: WorkdirSide) {
        self.unstaged.extend(other.unstaged);
        self.untracked.extend(other.untracked);
        self.plain.extend(other.plain);
        self.large.extend(other.large);
        self.unstaged.sort_by(|a, b| a.path.cmp(&b.path));
        self.untracked.sort_by(|a, b| a.path.cmp(&b.path));
    }
}

/// Diffs the index against the working tree (limited to the top-level entries `within`).
pub(crate) fn workdir_side(
    repo: &Repository,
    options: &CountOptions,
    within: Option<&Vec<std::ffi::OsString>>,
) -> Result<WorkdirSide> {
    if within.is_some_and(|entries| entries.is_empty()) {
        // An empty pathspec would mean everything: this half simply has nothing.
        return Ok(WorkdirSide {
            unstaged: Vec::new(),
            untracked: Vec::new(),
            plain: HashSet::new(),
            large: Vec::new(),
        });
    }
    let keep = |path: &str| !options.exclude.is_match(path);
    let mut diff_options = sized_options(options);
    diff_options
        .include_untracked(options.count_untracked)
        .recurse_untracked_dirs(options.count_untracked)
        .show_untracked_content(options.count_untracked);
    if let Some(entries) = within {
        diff_options.disable_pathspec_match(true);
        for entry in entries {
            diff_options.pathspec(entry.as_os_str());
        }
    }
    let diff = repo.diff_index_to_workdir(None, Some(&mut diff_options))?;
    Ok(WorkdirSide {
        unstaged: rows(
            repo,
            &diff,
            |status| status != Delta::Untracked,
            &keep,
            NewSide::Workdir,
            false,
        )?,
        untracked: rows(
            repo,
            &diff,
            |status| status == Delta::Untracked,
            &keep,
            NewSide::Workdir,
            false,
        )?,
        plain: plain_modifications(&diff),
        large: large_files(&[&diff], options.max_file_bytes),
    })
}

/// From this size of the index file (about 4,000 entries) two threads walk the working tree
/// faster than one.
const SPLIT_AT_INDEX_BYTES: u64 = 400_000;

/// The top-level entries of the worktree (on disk or in the index) that fall to thread `half`
/// (0 or 1). A name's half is a hash of its bytes, so both threads agree on every name without
/// sharing a list, even a name only one of them sees.
fn top_level_names(repo: &Repository, root: &Path, half: u64) -> Result<Vec<std::ffi::OsString>> {
    let index = repo.index()?;
    let mut names: std::collections::BTreeSet<std::ffi::OsString> =
        std::collections::BTreeSet::new();
    for entry in index.iter() {
        let first = entry.path.split(|b| *b == b'/').next().unwrap_or_default();
        names.insert(os_string(first));
    }
    if let Ok(dir) = std::fs::read_dir(root) {
        for entry in dir.flatten() {
            names.insert(entry.file_name());
        }
    }
    names.remove(std::ffi::OsStr::new(".git"));
    let parity = |name: &std::ffi::OsStr| {
        name.as_encoded_bytes()
            .iter()
            .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
                (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
            })
            & 1
    };
    Ok(names
        .into_iter()
        .filter(|name| parity(name) == half)
        .collect())
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

/// Replaces the rows of paths with conflicts in the index (a merge, rebase or cherry-pick that
/// stopped) by what `git diff HEAD` counts: HEAD's version against the file on disk, conflict
/// markers and all. libgit2 gives no patch for a conflicted path.
fn conflicted_rows(
    repo: &Repository,
    index: &git2::Index,
    head_tree: Option<&git2::Tree<'_>>,
    keep: &dyn Fn(&str) -> bool,
    tracked_total: &mut Vec<FileDelta>,
) -> Result<()> {
    if !index.has_conflicts() {
        return Ok(());
    }
    let root = repo.workdir().map(Path::to_path_buf).unwrap_or_default();
    for conflict in index.conflicts()? {
        let conflict = conflict?;
        let Some(entry) = conflict.our.or(conflict.their).or(conflict.ancestor) else {
            continue;
        };
        let path = String::from_utf8_lossy(&entry.path).into_owned();
        if !keep(&path) {
            continue;
        }
        tracked_total.retain(|row| row.path != path);
        let head_blob = head_tree
            .and_then(|tree| tree.get_path(Path::new(&path)).ok())
            .and_then(|entry| repo.find_blob(entry.id()).ok());
        let old = head_blob.as_ref().map_or(&[][..], |blob| blob.content());
        let on_disk = std::fs::read(root.join(&path));
        if head_blob.is_none() && on_disk.is_err() {
            continue;
        }
        let new = on_disk.unwrap_or_default();
        let mut options = base_options();
        let patch = git2::Patch::from_buffers(
            old,
            Some(Path::new(&path)),
            &new,
            Some(Path::new(&path)),
            Some(&mut options),
        )?;
        if head_blob.is_some() && old == new.as_slice() {
            continue;
        }
        let (_, n_added, n_removed) = patch.line_stats()?;
        tracked_total.push(FileDelta {
            path,
            old_path: None,
            added: n_added as u64,
            removed: n_removed as u64,
            binary: patch.delta().flags().is_binary(),
            first_line: first_change_line(&patch)?,
        });
    }
    Ok(())
}

/// Leaves out of the working-tree rows the paths a sparse checkout keeps out of the working tree
/// (`skip-worktree` in the index): git treats them as equal to the index, libgit2 as deleted.
fn skip_worktree_rows(
    index: &git2::Index,
    staged: &[FileDelta],
    unstaged: &mut Vec<FileDelta>,
    tracked_total: &mut Vec<FileDelta>,
) {
    let skipped: HashSet<String> = index
        .iter()
        .filter(|entry| entry.flags_extended & SKIP_WORKTREE != 0)
        .map(|entry| String::from_utf8_lossy(&entry.path).into_owned())
        .collect();
    if skipped.is_empty() {
        return;
    }
    unstaged.retain(|row| !skipped.contains(&row.path));
    tracked_total.retain(|row| !skipped.contains(&row.path));
    // For a skipped path, HEAD→working tree is HEAD→index.
    tracked_total.extend(
        staged
            .iter()
            .filter(|row| skipped.contains(&row.path))
            .cloned(),
    );
}

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

/// `GIT_INDEX_ENTRY_SKIP_WORKTREE`, in an index entry's extended flags (sparse checkouts).
pub(crate) const SKIP_WORKTREE: u16 = 1 << 14;

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
                _ => {}
            }
        }
        files.push(row);
    }
    if renames && !deleted.is_empty() && !added.is_empty() {
        let pairs = super::renames::pair(&deleted, &added);
        let contents = |sides: &[super::renames::Side], row: usize| {
            sides
                .iter()
                .find(|s| s.row == row)
                .map(|s| s.content.clone())
                .unwrap_or_default()
        };
        let mut drop = vec![false; files.len()];
        for (old_row, new_row) in pairs {
            let (old_content, new_content) =
                (contents(&deleted, old_row), contents(&added, new_row));
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
            let first_line = first_change_line(&patch)?;
            files[new_row] = FileDelta {
                path: new_path,
                old_path: Some(old_path),
                added: n_added as u64,
                removed: n_removed as u64,
                binary: patch.delta().flags().is_binary(),
                first_line,
            };
            drop[old_row] = true;
        }
        let mut index = 0;
        files.retain(|_| {
            let keep = !drop[index];
            index += 1;
            keep
        });
    }
    Ok(files)
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
) -> super::renames::Side {
    let (id, mode) = (file.id(), file.mode());
    if binary && file.size() > RENAME_READ_LIMIT {
        let mut content = b"\0too large to read: ".to_vec();
        if id.is_zero() {
            content.extend_from_slice(format!("row {row}").as_bytes());
        } else {
            content.extend_from_slice(id.as_bytes());
        }
        return super::renames::Side {
            row,
            content,
            regular: false,
            binary,
        };
    }
    let content = match on_disk {
        Some(path) => {
            let root = repo.workdir().map(Path::to_path_buf).unwrap_or_default();
            std::fs::read(root.join(path)).unwrap_or_default()
        }
        None => repo
            .find_blob(id)
            .map(|b| b.content().to_vec())
            .unwrap_or_default(),
    };
    super::renames::Side {
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

/// HEAD as a branch name and a commit, either of which may be missing.
pub(crate) struct HeadState<'r> {
    pub branch: Option<String>,
    pub commit: Option<git2::Commit<'r>>,
}

impl<'r> HeadState<'r> {
    /// HEAD's tree; `None` on an unborn branch.
    pub fn tree(&self) -> Result<Option<git2::Tree<'r>>> {
        Ok(self.commit.as_ref().map(|c| c.tree()).transpose()?)
    }
}

/// Reads HEAD: a branch with a commit, an unborn branch, or a detached commit.
pub(crate) fn head_state(repo: &Repository) -> Result<HeadState<'_>> {
    let head_ref = repo.find_reference("HEAD")?;
    let branch = head_ref
        .symbolic_target_bytes()
        .map(|target| String::from_utf8_lossy(target).into_owned())
        .map(|target| {
            target
                .strip_prefix("refs/heads/")
                .unwrap_or(&target)
                .to_string()
        });
    let commit = match repo.head() {
        Ok(head) => Some(head.peel_to_commit()?),
        Err(e)
            if matches!(
                e.code(),
                git2::ErrorCode::UnbornBranch | git2::ErrorCode::NotFound
            ) =>
        {
            None
        }
        Err(e) => return Err(e.into()),
    };
    Ok(HeadState { branch, commit })
}
