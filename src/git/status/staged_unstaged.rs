//! The two sides of a count and how they are put together: HEAD→index (staged) and
//! index→working tree (unstaged and untracked), then HEAD→working tree from the two.
//!
//! This is the interface the full count (`count`) and the partial re-count (`partial`) share:
//! each diffs what it must, and `assemble` turns the sides into `RepoCounts` the same way.

use std::collections::{BTreeSet, HashSet};
use std::path::Path;

use git2::{Delta, Repository};

use crate::git::error::Result;
use crate::git::index_stamp::{IndexStamp, SKIP_WORKTREE};
use crate::git::model::{CountOptions, FileDelta, RepoCounts};
use crate::git::numstat::{
    base_options, first_change_line, large_files, modified_unix, path_string, plain_modifications,
    renames_enabled, row_of_buffers, rows, sized_options, NewSide, PathLimit,
};
use crate::git::repo::RepoInfo;

/// What the HEAD→index diff gives: rows, plainly modified paths, files over the limit.
pub(crate) struct StagedSide {
    pub(crate) rows: Vec<FileDelta>,
    pub(crate) plain: HashSet<String>,
    pub(crate) large: Vec<String>,
}

impl StagedSide {
    pub(crate) fn empty() -> StagedSide {
        StagedSide {
            rows: Vec::new(),
            plain: HashSet::new(),
            large: Vec::new(),
        }
    }
}

/// Diffs HEAD against the index: `git diff --cached`.
/// With `index`, that reading of the index is diffed; without, the repository's, read again
/// if git wrote it since.
pub(crate) fn staged_side(
    repo: &Repository,
    index: Option<&git2::Index>,
    head_tree: Option<&git2::Tree<'_>>,
    options: &CountOptions,
) -> Result<StagedSide> {
    staged_side_limited(repo, index, head_tree, options, |_| {})
}

/// `staged_side`, limited by `limit`.
pub(crate) fn staged_side_limited(
    repo: &Repository,
    index: Option<&git2::Index>,
    head_tree: Option<&git2::Tree<'_>>,
    options: &CountOptions,
    limit: impl FnOnce(&mut git2::DiffOptions),
) -> Result<StagedSide> {
    let mut diff_options = sized_options(options);
    limit(&mut diff_options);
    let diff = repo.diff_tree_to_index(head_tree, index, Some(&mut diff_options))?;
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
pub(crate) fn intent_to_add_paths(
    repo: &Repository,
    diff: &git2::Diff<'_>,
) -> Result<HashSet<String>> {
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
            .is_some_and(|entry| crate::git::hunks::is_intent_to_add(&entry))
        {
            paths.insert(path_string(path));
        }
    }
    Ok(paths)
}

/// Puts the staged and working-tree sides together into the counts: HEAD→working tree from the
/// two, conflicts and sparse entries as git shows them, the oldest change; keeps `stamp`.
/// `since` is, after a partial re-count with HEAD where it was, the previous counts and the
/// paths re-counted (see `oldest_change`).
#[allow(clippy::too_many_arguments)]
pub(crate) fn assemble(
    repo: &Repository,
    head: &HeadState<'_>,
    head_tree: Option<&git2::Tree<'_>>,
    staged: StagedSide,
    workdir: WorkdirSide,
    options: &CountOptions,
    stamp: Option<std::sync::Arc<IndexStamp>>,
    since: Option<(&RepoCounts, &BTreeSet<String>)>,
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
    // Every list of rows is kept sorted by path (`RepoCounts` promises it; lookups rely on it).
    let (mut staged, mut unstaged, mut untracked) = (staged, unstaged, untracked);
    expand_stray_git_dirs(repo, &root, &keep, &mut untracked)?;
    for rows in [&mut staged, &mut unstaged, &mut untracked] {
        rows.sort_by(|a, b| a.path.cmp(&b.path));
    }

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
    let index = repo.index()?;
    // The stamp, when kept, says whether the index has conflicts without another walk.
    if stamp.as_ref().is_none_or(|s| s.conflicts) {
        conflicted_rows(
            repo,
            &index,
            head_tree,
            &keep,
            &mut unstaged,
            &mut tracked_total,
        )?;
    }
    // The stamp, when kept, says whether any entry is sparse (it is never newer than the rows).
    if stamp.as_ref().is_none_or(|s| s.skip_worktree) {
        skip_worktree_rows(&index, &staged, &mut unstaged, &mut tracked_total);
    }
    tracked_total.sort_by(|a, b| a.path.cmp(&b.path));

    let mut large_files = large_staged;
    large_files.extend(large_unstaged);
    large_files.sort_unstable();
    large_files.dedup();

    let oldest = oldest_change(&root, &tracked_total, &untracked, since);

    Ok(RepoCounts {
        info,
        branch: head.branch.clone(),
        head: head.commit.as_ref().map(|c| c.id().to_string()),
        head_time_unix: head.commit.as_ref().map(|c| c.time().seconds()),
        staged,
        unstaged,
        untracked,
        tracked_total,
        oldest_change_unix: oldest.as_ref().map(|(time, _)| *time),
        oldest_change_path: oldest.map(|(_, path)| path),
        large_files,
        plain_staged,
        plain_unstaged,
        index_stamp: stamp,
    })
}

/// The oldest modification time among the changed and untracked files (`rows`, each sorted by
/// path), with its path. After a partial re-count (`since`: the previous counts, HEAD where it
/// was, and the paths re-counted) only the re-counted paths are looked at on disk, since every
/// other row and its file are as they were; when the previous oldest file was re-counted itself
/// or has no row any more, every row is looked at.
pub(crate) fn oldest_change(
    root: &Path,
    tracked_total: &[FileDelta],
    untracked: &[FileDelta],
    since: Option<(&RepoCounts, &BTreeSet<String>)>,
) -> Option<(i64, String)> {
    let has_row = |path: &str| {
        [tracked_total, untracked]
            .iter()
            .any(|rows| rows.binary_search_by(|r| r.path.as_str().cmp(path)).is_ok())
    };
    let known = since.and_then(|(previous, changed)| {
        let time = previous.oldest_change_unix?;
        let path = previous.oldest_change_path.as_ref()?;
        (!changed.contains(path) && has_row(path)).then(|| ((time, path.clone()), changed))
    });
    let on_disk =
        |row: &FileDelta| modified_unix(&root.join(&row.path)).map(|t| (t, row.path.clone()));
    let rows = tracked_total.iter().chain(untracked.iter());
    match known {
        Some((oldest, changed)) => rows
            .filter(|row| changed.contains(&row.path))
            .filter_map(on_disk)
            .chain([oldest])
            .min(),
        None => rows.filter_map(on_disk).min(),
    }
}

/// What the index→working tree diff gives: rows, plainly modified paths, files over the limit.
pub(crate) struct WorkdirSide {
    pub(crate) unstaged: Vec<FileDelta>,
    pub(crate) untracked: Vec<FileDelta>,
    pub(crate) plain: HashSet<String>,
    pub(crate) large: Vec<String>,
}

impl WorkdirSide {
    pub(crate) fn empty() -> WorkdirSide {
        WorkdirSide {
            unstaged: Vec::new(),
            untracked: Vec::new(),
            plain: HashSet::new(),
            large: Vec::new(),
        }
    }

    pub(crate) fn merge(&mut self, other: WorkdirSide) {
        self.unstaged.extend(other.unstaged);
        self.untracked.extend(other.untracked);
        self.plain.extend(other.plain);
        self.large.extend(other.large);
        self.unstaged.sort_by(|a, b| a.path.cmp(&b.path));
        self.untracked.sort_by(|a, b| a.path.cmp(&b.path));
    }
}

/// Diffs the index against the working tree (limited to the top-level entries `within`). With
/// `index`, that reading of the index is diffed; without, the repository's, read again if git
/// wrote it since.
pub(crate) fn workdir_side(
    repo: &Repository,
    index: Option<&git2::Index>,
    options: &CountOptions,
    within: Option<&Vec<std::ffi::OsString>>,
) -> Result<WorkdirSide> {
    if within.is_some_and(|entries| entries.is_empty()) {
        // An empty pathspec would mean everything: this half simply has nothing.
        return Ok(WorkdirSide::empty());
    }
    workdir_diff(repo, index, options, |diff_options| {
        if let Some(entries) = within {
            diff_options.disable_pathspec_match(true);
            for entry in entries {
                diff_options.pathspec(entry.as_os_str());
            }
        }
    })
}

/// The working-tree side of exactly `paths` (relative, `/`-separated), one diff per group of
/// them (see `PathLimit`): in proportion to the paths, not to the repository.
pub(crate) fn workdir_side_of(
    repo: &Repository,
    index: Option<&git2::Index>,
    options: &CountOptions,
    paths: &BTreeSet<String>,
) -> Result<WorkdirSide> {
    let mut side = WorkdirSide::empty();
    for limit in PathLimit::groups(paths.iter().map(String::as_str)) {
        side.merge(workdir_diff(repo, index, options, |o| limit.apply(o))?);
    }
    Ok(side)
}

/// One index→working tree diff, limited by `limit`.
pub(crate) fn workdir_diff(
    repo: &Repository,
    index: Option<&git2::Index>,
    options: &CountOptions,
    limit: impl FnOnce(&mut git2::DiffOptions),
) -> Result<WorkdirSide> {
    let keep = |path: &str| !options.exclude.is_match(path);
    let mut diff_options = sized_options(options);
    diff_options
        .include_untracked(options.count_untracked)
        .recurse_untracked_dirs(options.count_untracked)
        .show_untracked_content(options.count_untracked);
    limit(&mut diff_options);
    let diff = repo.diff_index_to_workdir(index, Some(&mut diff_options))?;
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

/// Replaces the rows of paths with conflicts in the index (a merge, rebase or cherry-pick that
/// stopped) by what `git diff HEAD` counts: HEAD's version against the file on disk, conflict
/// markers and all. libgit2 gives no patch for a conflicted path.
fn conflicted_rows(
    repo: &Repository,
    index: &git2::Index,
    head_tree: Option<&git2::Tree<'_>>,
    keep: &dyn Fn(&str) -> bool,
    unstaged: &mut [FileDelta],
    tracked_total: &mut Vec<FileDelta>,
) -> Result<()> {
    if !index.has_conflicts() {
        return Ok(());
    }
    let root = repo.workdir().map(Path::to_path_buf).unwrap_or_default();
    for conflict in index.conflicts()? {
        let conflict = conflict?;
        let ours = conflict.our.as_ref().map(|e| e.id);
        let Some(entry) = conflict.our.or(conflict.their).or(conflict.ancestor) else {
            continue;
        };
        let path = String::from_utf8_lossy(&entry.path).into_owned();
        if !keep(&path) {
            continue;
        }
        tracked_total.retain(|row| row.path != path);
        // Index→working tree: git diffs the working tree against "ours" (stage 2).
        if let (Some(ours), Ok(on_disk)) = (ours, std::fs::read(root.join(&path))) {
            if let Some(row) = unstaged.iter_mut().find(|row| row.path == path) {
                let blob = repo.find_blob(ours)?;
                *row = row_of_buffers(&path, blob.content(), &on_disk)?;
            }
        }
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

/// libgit2 takes any directory holding a `.git` for a nested repository (one untracked row,
/// `d/`); git only one whose `.git` is a repository, and lists the files of the others (never a
/// `.git` itself). Those rows are replaced by their files, each counted as all added.
fn expand_stray_git_dirs(
    repo: &Repository,
    root: &Path,
    keep: &dyn Fn(&str) -> bool,
    untracked: &mut Vec<FileDelta>,
) -> Result<()> {
    let is_repository = |dir: &Path| Repository::open(dir).is_ok();
    let stray: Vec<String> = untracked
        .iter()
        .filter(|row| row.path.ends_with('/') && !is_repository(&root.join(&row.path)))
        .map(|row| row.path.clone())
        .collect();
    if stray.is_empty() {
        return Ok(());
    }
    untracked.retain(|row| !stray.contains(&row.path));
    let mut pending: Vec<String> = stray;
    while let Some(dir) = pending.pop() {
        let Ok(read) = std::fs::read_dir(root.join(&dir)) else {
            continue;
        };
        for entry in read.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = format!("{dir}{name}");
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if name == ".git" || !keep(&path) || repo.is_path_ignored(&path).unwrap_or(false) {
                continue;
            }
            if kind.is_dir() {
                let dir_path = format!("{path}/");
                if is_repository(&root.join(&dir_path)) {
                    untracked.push(row_of_buffers(&dir_path, b"", b"")?);
                } else {
                    pending.push(dir_path);
                }
                continue;
            }
            if let Some(added) = crate::git::convert::as_git_would_add(repo, &path, None, None)? {
                untracked.push(row_of_buffers(&path, b"", &added.content)?);
            }
        }
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

/// Reads HEAD: a branch with a commit, an unborn branch, or a detached commit (wherever the refs
/// are stored: `refs::head`).
pub(crate) fn head_state(repo: &Repository) -> Result<HeadState<'_>> {
    let head = crate::git::refs::head(repo)?;
    let commit = head.commit.map(|id| repo.find_commit(id)).transpose()?;
    Ok(HeadState {
        branch: head.branch,
        commit,
    })
}
