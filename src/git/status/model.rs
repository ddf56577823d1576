//! The numbers a count produces (per-file rows, their sums, the counts of a repository) and the
//! options it takes.

use std::collections::HashSet;

use globset::GlobSet;
use serde::Serialize;

use crate::git::index_stamp::IndexStamp;
use crate::git::repo::RepoInfo;

/// Files, added lines and removed lines: one row of `git diff --numstat`, summed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LineStat {
    /// How many files.
    pub files: u64,
    /// Lines added.
    pub added: u64,
    /// Lines removed.
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
        if large_files.is_empty() {
            return LineStat::of(files);
        }
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

    /// Whether nothing is counted.
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
    /// Lines added, as `git diff --numstat` counts them.
    pub added: u64,
    /// Lines removed.
    pub removed: u64,
    /// Whether git takes the file for binary (0 lines each way).
    pub binary: bool,
    /// The 0-based line, in the new version, where the first hunk starts.
    pub first_line: Option<u32>,
}

/// Everything counted for one repository at one moment. Each list of rows is sorted by path
/// (byte order), so that a path's row is found by binary search.
#[derive(Debug, Clone)]
pub struct RepoCounts {
    /// Where the repository is.
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
    /// The file that time is of, so that a re-count looks on disk only at what it re-counts.
    pub oldest_change_path: Option<String>,
    /// Changed or untracked paths larger than `CountOptions::max_file_bytes` on either side: each
    /// is counted as one file with 0 lines, its content never read.
    pub large_files: Vec<String>,
    /// The staged and unstaged rows that are plain modifications (same mode, neither added nor
    /// deleted): what HEAD→working tree can take from one side alone.
    pub plain_staged: HashSet<String>,
    /// See `plain_staged`.
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
    /// From how many index entries the working-tree walk is split over two threads; `None`
    /// means `SPLIT_AT_ENTRIES`. (Tests set 0 to exercise the split.)
    pub split_walk_at: Option<usize>,
    /// Keep an `IndexStamp` with the counts (the live workspace does; a one-off count need not).
    pub stamp_index: bool,
}
