//! Re-counting only the paths that changed, patched into the previous full count.
//!
//! A save or a write by another program touches a handful of files; re-counting them alone keeps
//! the work in proportion to the change, not to the repository. Whenever the shortcut could give
//! a different answer from a full count (HEAD moved, a directory appeared or vanished, a file was
//! added or deleted, which may pair with another into a rename), it declines and the caller
//! counts everything.
//!
//! A change in the git directory (a `git add`, a commit, a reset) is re-counted in proportion too:
//! the index entries that changed are found by comparing the index with the `IndexStamp` kept
//! from the previous count; the working-tree side is re-read for those alone, and HEAD→index for
//! those, plus (when HEAD moved) the paths where the old and new HEAD differ and those staged
//! before. Whenever an addition or deletion might pair into a rename, HEAD→index is diffed whole.
//! In a sparse index the same holds inside the cone: the sparse directory entries outside it are
//! entries like any other to the stamp (an unchanged one is not looked at again), and a re-count
//! that would have to diff below one, or an entry git keeps out of the working tree, declines.

use std::collections::BTreeSet;

use git2::{Delta, Repository};

use crate::git::error::Result;
use crate::git::index_file::{to_git2, IndexFile};
use crate::git::index_stamp::{hash_of, IndexStamp, Lookup, PathHashes, SKIP_WORKTREE};
use crate::git::model::{CountOptions, RepoCounts};
use crate::git::numstat::{
    large_files, plain_modifications, renames_enabled, rows, sized_options, NewSide, PathLimit,
};
use crate::git::scratch::scratch;
use crate::git::staged_unstaged::{
    assemble, head_state, oldest_change, workdir_side_of, StagedSide, WorkdirSide,
};

/// Re-counts `paths` (relative to the worktree root) on top of `previous`; `Ok(None)` when only a
/// full count can be exact.
pub fn recount_paths(
    repo: &Repository,
    previous: &RepoCounts,
    paths: &BTreeSet<String>,
    options: &CountOptions,
) -> Result<Option<RepoCounts>> {
    if paths.iter().any(|p| !limits_exactly(p)) {
        return Ok(None);
    }
    let head = head_state(repo)?;
    if head.commit.as_ref().map(|c| c.id().to_string()) != previous.head {
        return Ok(None);
    }
    let root = previous.info.root.clone();
    for path in paths {
        if root.join(path).is_dir() {
            return Ok(None);
        }
        let prefix = format!("{path}/");
        let touches_rename = |rows: &[crate::git::FileDelta]| {
            rows.iter().any(|r| {
                r.old_path.is_some() && (r.path == *path || r.old_path.as_deref() == Some(path))
            })
        };
        if touches_rename(&previous.staged)
            || touches_rename(&previous.tracked_total)
            || previous
                .untracked
                .iter()
                .any(|r| r.path.starts_with(&prefix))
            || previous
                .tracked_total
                .iter()
                .any(|r| r.path.starts_with(&prefix))
        {
            return Ok(None);
        }
    }
    // Conflicts and sparse checkouts need the full count's special handling. The stamp of the
    // previous count says whether the index had conflicts without a walk over every entry (the
    // index has not changed since, or this would be a re-count after a git change).
    let entries = match &previous.index_stamp {
        Some(stamp) if stamp.conflicts || stamp.intent_to_add => return Ok(None),
        Some(stamp) => entries_of(repo, stamp, paths)?,
        // Without a stamp (a caller that keeps none), the index file is read whole.
        None => match IndexFile::read(&repo.path().join("index")) {
            Ok(index) if !index.conflicts && !index.intent_to_add => Some(
                paths
                    .iter()
                    .filter_map(|p| index.find(p.as_bytes()).map(|e| to_git2(e, p.as_bytes())))
                    .collect(),
            ),
            _ => None,
        },
    };
    let Some(entries) = entries else {
        return Ok(None);
    };
    if entries
        .iter()
        .any(|e| e.flags_extended & SKIP_WORKTREE != 0)
    {
        return Ok(None);
    }
    // The diffs run on a handle whose index holds these paths' entries alone.
    let scratch = scratch(&root, entries)?;
    let repo = &scratch.repo;
    let keep = |path: &str| !options.exclude.is_match(path);
    let workdir = workdir_side_of(repo, Some(&scratch.index), options, paths)?;

    let head = head_state(repo)?;
    let head_tree = head.tree()?;
    let mut total_diffs = Vec::new();
    for limit in PathLimit::groups(paths.iter().map(String::as_str)) {
        let mut total_options = sized_options(options);
        limit.apply(&mut total_options);
        total_diffs.push(
            repo.diff_tree_to_workdir_with_index(head_tree.as_ref(), Some(&mut total_options))?,
        );
    }
    // An added or deleted file may pair with another into a rename: only a full count knows.
    if total_diffs
        .iter()
        .flat_map(|d| d.deltas())
        .any(|d| matches!(d.status(), Delta::Added | Delta::Deleted))
    {
        return Ok(None);
    }
    let mut tracked_total = Vec::new();
    for total_diff in &total_diffs {
        tracked_total.extend(rows(
            repo,
            total_diff,
            |_| true,
            &keep,
            NewSide::Workdir,
            false,
        )?);
    }

    // A file over the size limit, before or now, is rare: leave it to a full count.
    let mut large = workdir.large;
    let total_refs: Vec<&git2::Diff<'_>> = total_diffs.iter().collect();
    large.extend(large_files(&total_refs, options.max_file_bytes));
    if !large.is_empty() || previous.large_files.iter().any(|p| paths.contains(p)) {
        return Ok(None);
    }
    let mut counts = previous.clone();
    let replace = |old: &mut Vec<crate::git::FileDelta>, new: Vec<crate::git::FileDelta>| {
        old.retain(|r| !paths.contains(&r.path));
        old.extend(new);
        old.sort_by(|a, b| a.path.cmp(&b.path));
    };
    replace(&mut counts.unstaged, workdir.unstaged);
    replace(&mut counts.untracked, workdir.untracked);
    replace(&mut counts.tracked_total, tracked_total);
    counts.plain_unstaged.retain(|p| !paths.contains(p));
    counts.plain_unstaged.extend(workdir.plain);
    let oldest = oldest_change(
        &root,
        &counts.tracked_total,
        &counts.untracked,
        Some((previous, paths)),
    );
    counts.oldest_change_unix = oldest.as_ref().map(|(time, _)| *time);
    counts.oldest_change_path = oldest.map(|(_, path)| path);
    Ok(Some(counts))
}

/// Above this many paths to diff again (changed index entries, paths changed between two HEADs,
/// rows staged before a commit), a full count is counted instead. Each path costs a lookup in
/// HEAD's trees and a diff of its file; a full count of a large repository costs a stat of every
/// file: this bound keeps a re-count well below that.
const MAX_CHANGED_ENTRIES: usize = 20_000;

/// Re-counts after a change to the index, HEAD or refs, plus the working-tree `paths` changed
/// meanwhile, on top of `previous`; `Ok(None)` when only a full count can be exact (no stamp,
/// entries removed, conflicts, a sparse directory or skip-worktree entry among those to diff
/// again, or a path below a sparse directory, large files, many changes). In a sparse checkout
/// the usual `git add` or `git commit` inside the cone is re-counted like any other (issue 20:
/// declining every sparse index made each of them a full count, 0.7–1.4× `git status`).
///
/// The index file is read entry by entry against the previous stamp, keeping only the entries
/// that changed and those the re-count needs; libgit2 never loads the whole index.
pub fn recount_after_git_change(
    repo: &Repository,
    previous: &RepoCounts,
    paths: &BTreeSet<String>,
    options: &CountOptions,
) -> Result<Option<RepoCounts>> {
    let Some(stamp) = &previous.index_stamp else {
        return Ok(None);
    };
    if paths.iter().any(|p| !limits_exactly(p)) || !previous.large_files.is_empty() {
        return Ok(None);
    }
    // When HEAD moved, the paths where the old and new HEAD differ.
    let head = head_state(repo)?;
    let head_now = head.commit.as_ref().map(|c| c.id().to_string());
    let mut from_head = BTreeSet::new();
    if head_now != previous.head {
        let old_tree = match &previous.head {
            Some(id) => {
                let Ok(commit) = git2::Oid::from_str(id).and_then(|oid| repo.find_commit(oid))
                else {
                    return Ok(None);
                };
                Some(commit.tree()?)
            }
            None => None,
        };
        if !tree_changes(
            repo,
            old_tree.as_ref(),
            head.tree()?.as_ref(),
            "",
            &mut from_head,
        )? {
            return Ok(None);
        }
    }
    // The entries the re-count needs besides those that changed: the paths above, and those of
    // the rows HEAD→working tree is diffed again for (see `assemble`): rows on both sides, and
    // rows that are not plain modifications (with a rename's old path).
    let mut needed: BTreeSet<&str> = from_head.iter().chain(paths).map(String::as_str).collect();
    let unstaged: std::collections::HashSet<&str> =
        previous.unstaged.iter().map(|r| r.path.as_str()).collect();
    let sides = [
        (&previous.staged, &previous.plain_staged),
        (&previous.unstaged, &previous.plain_unstaged),
    ];
    for (rows, plain) in sides {
        for row in rows.iter() {
            let both = std::ptr::eq(rows, &previous.staged) && unstaged.contains(row.path.as_str());
            if both || row.old_path.is_some() || !plain.contains(&row.path) {
                needed.insert(&row.path);
                needed.extend(row.old_path.as_deref());
            }
        }
    }
    let index_path = repo.path().join("index");
    let started = std::time::Instant::now();
    // The index file is read again only when git wrote it since the stamp was taken.
    let restamp = match stamp.unchanged(&index_path, &needed) {
        Some(restamp) => restamp,
        None => {
            let wanted: PathHashes = needed.iter().map(|p| hash_of(p.as_bytes())).collect();
            let Ok(restamp) = IndexStamp::restamp(&index_path, stamp, &wanted) else {
                return Ok(None);
            };
            restamp
        }
    };
    let stamp_now = &restamp.stamp;
    if stamp_now.conflicts || stamp_now.intent_to_add {
        return Ok(None);
    }
    let Some(mut changed) = restamp.changed else {
        return Ok(None);
    };
    changed.extend(paths.iter().cloned());
    if stamp_now.skip_worktree
        && !clear_of_sparse_entries(stamp_now, &restamp.entries, &needed, &changed)
    {
        return Ok(None);
    }
    let root = previous.info.root.clone();
    if changed.len() > MAX_CHANGED_ENTRIES || changed.iter().any(|p| root.join(p).is_dir()) {
        return Ok(None);
    }
    tracing::debug!(
        "re-count after a git change: index read in {:?}, {} entries changed",
        started.elapsed(),
        changed.len()
    );
    // A staged row of a path that neither HEAD nor the index changed is what it was; a rename's
    // row is diffed again whole when either of its paths is.
    let mut candidates = from_head;
    candidates.extend(changed.iter().cloned());
    for row in &previous.staged {
        if let Some(old) = &row.old_path {
            if candidates.contains(&row.path) || candidates.contains(old) {
                candidates.insert(row.path.clone());
                candidates.insert(old.clone());
            }
        }
    }
    if candidates.len() > MAX_CHANGED_ENTRIES {
        return Ok(None);
    }

    // The diffs run on a handle whose index holds the kept entries alone.
    let scratch = scratch(
        &root,
        restamp
            .entries
            .iter()
            .map(|(entry, path)| to_git2(entry, path)),
    )?;
    let repo = &scratch.repo;
    let head = head_state(repo)?;
    let head_tree = head.tree()?;
    let Some(staged) = staged_since(
        repo,
        &scratch.index,
        previous,
        head_tree.as_ref(),
        &candidates,
        options,
    )?
    else {
        return Ok(None);
    };
    // The working-tree side of every other path is what it was: neither its index entry nor
    // its file changed.
    let mut workdir = WorkdirSide {
        unstaged: previous.unstaged.clone(),
        untracked: previous.untracked.clone(),
        plain: previous.plain_unstaged.clone(),
        large: Vec::new(),
    };
    if !changed.is_empty() {
        let fresh = workdir_side_of(repo, Some(&scratch.index), options, &changed)?;
        if !fresh.large.is_empty() {
            return Ok(None);
        }
        workdir.unstaged.retain(|r| !changed.contains(&r.path));
        workdir.untracked.retain(|r| !changed.contains(&r.path));
        workdir.plain.retain(|p| !changed.contains(p));
        workdir.merge(fresh);
    }
    // With HEAD where it was, only the changed paths' rows can differ from the previous count's.
    let since = (head_now == previous.head).then_some((previous, &changed));
    let counts = assemble(
        repo,
        &head,
        head_tree.as_ref(),
        staged,
        workdir,
        options,
        Some(restamp.stamp.clone()),
        since,
    )?;
    if !counts.large_files.is_empty() {
        return Ok(None);
    }
    tracing::debug!(
        "re-count after a git change: done in {:?}",
        started.elapsed()
    );
    Ok(Some(counts))
}

/// Whether a re-count in a sparse checkout (some entry has skip-worktree) stays clear of what
/// only the full count handles: no entry kept for the re-count (changed, or asked for) is
/// skip-worktree or a sparse directory, and no path to diff again lies below a sparse directory
/// entry (the scan expands such a directory into its tree's files when it differs from HEAD's;
/// here the scratch index would hold none of them, and libgit2 would see them deleted). A `git
/// add` or `git commit` inside the cone passes; a `git reset --soft` across directories outside
/// it, or a sparse directory git wrote anew, does not, and is counted whole.
fn clear_of_sparse_entries(
    stamp: &IndexStamp,
    entries: &[(crate::git::index_file::Entry, Vec<u8>)],
    needed: &BTreeSet<&str>,
    changed: &BTreeSet<String>,
) -> bool {
    let sparse_entry = |(entry, _): &(crate::git::index_file::Entry, Vec<u8>)| {
        entry.flags_extended & SKIP_WORKTREE != 0 || entry.is_sparse_dir()
    };
    !entries.iter().any(sparse_entry)
        && !needed
            .iter()
            .copied()
            .chain(changed.iter().map(String::as_str))
            .any(|path| stamp.below_sparse_dir(path.as_bytes()))
}

/// The index entries of `paths` (untracked ones have none): read again where the stamp saw
/// them, else from the index file (`scratch::entries_of`).
fn entries_of(
    repo: &Repository,
    stamp: &IndexStamp,
    paths: &BTreeSet<String>,
) -> Result<Option<Vec<git2::IndexEntry>>> {
    let index_path = repo.path().join("index");
    let mut entries = Vec::new();
    let mut unknown = false;
    for path in paths {
        match stamp.lookup(&index_path, path.as_bytes()) {
            Lookup::Entry(entry) => entries.push(to_git2(&entry, path.as_bytes())),
            Lookup::Untracked => {}
            Lookup::Unknown => unknown = true,
        }
    }
    if !unknown {
        return Ok(Some(entries));
    }
    let wanted: BTreeSet<&[u8]> = paths.iter().map(|p| p.as_bytes()).collect();
    let found = crate::git::scratch::entries_of(repo, &wanted)?;
    Ok(Some(
        found
            .iter()
            .map(|(entry, path)| to_git2(entry, path))
            .collect(),
    ))
}

/// HEAD→index after a change to the index or HEAD, diffing only the `candidates` that can have
/// changed since `previous` (index entries that changed; when HEAD moved, also what differs
/// between the two HEADs and what was staged before), on `index` (a small one holding their
/// entries), and keeping its other rows; `None` when that could be inexact (an addition or
/// deletion, which may pair into a rename).
fn staged_since(
    repo: &Repository,
    index: &git2::Index,
    previous: &RepoCounts,
    head_tree: Option<&git2::Tree<'_>>,
    candidates: &BTreeSet<String>,
    options: &CountOptions,
) -> Result<Option<StagedSide>> {
    let touched = |row: &crate::git::FileDelta| {
        candidates.contains(&row.path)
            || row
                .old_path
                .as_ref()
                .is_some_and(|o| candidates.contains(o))
    };
    let mut staged_rows: Vec<crate::git::FileDelta> = previous
        .staged
        .iter()
        .filter(|r| !touched(r))
        .cloned()
        .collect();
    let mut plain = previous.plain_staged.clone();
    plain.retain(|p| !candidates.contains(p));
    let keep = |path: &str| !options.exclude.is_match(path);
    let renames = renames_enabled(repo);
    for limit in PathLimit::groups(candidates.iter().map(String::as_str)) {
        let mut diff_options = sized_options(options);
        limit.apply(&mut diff_options);
        // The tree is read only along these paths: libgit2 skips subtrees off the list.
        let diff = repo.diff_tree_to_index(head_tree, Some(index), Some(&mut diff_options))?;
        if diff.deltas().any(|d| d.status() != Delta::Modified)
            || !large_files(&[&diff], options.max_file_bytes).is_empty()
        {
            return Ok(None);
        }
        staged_rows.extend(rows(repo, &diff, |_| true, &keep, NewSide::Odb, renames)?);
        plain.extend(plain_modifications(&diff));
    }
    staged_rows.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Some(StagedSide {
        rows: staged_rows,
        plain,
        large: Vec::new(),
    }))
}

/// Adds to `out` the paths of files that differ between two trees (either may be missing: the
/// empty tree), reading only subtrees whose ids differ. Returns false when a name is not UTF-8
/// or there are more than `MAX_CHANGED_ENTRIES` (the caller then diffs everything).
fn tree_changes(
    repo: &Repository,
    old: Option<&git2::Tree<'_>>,
    new: Option<&git2::Tree<'_>>,
    prefix: &str,
    out: &mut BTreeSet<String>,
) -> Result<bool> {
    use std::collections::BTreeMap;
    // An entry's id, kind and mode (a mode alone may change between two commits).
    type Side = (git2::Oid, Option<git2::ObjectType>, i32);
    let entries = |tree: Option<&git2::Tree<'_>>| -> BTreeMap<Vec<u8>, Side> {
        tree.map(|t| {
            t.iter()
                .map(|e| (e.name_bytes().to_vec(), (e.id(), e.kind(), e.filemode())))
                .collect()
        })
        .unwrap_or_default()
    };
    let (old_entries, new_entries) = (entries(old), entries(new));
    let names: BTreeSet<&Vec<u8>> = old_entries.keys().chain(new_entries.keys()).collect();
    for name in names {
        let (before, after) = (old_entries.get(name), new_entries.get(name));
        if before == after {
            continue;
        }
        let Ok(name) = std::str::from_utf8(name) else {
            return Ok(false);
        };
        let path = format!("{prefix}{name}");
        let subtree = |side: Option<&Side>| -> Result<Option<git2::Tree<'_>>> {
            match side {
                Some((id, Some(git2::ObjectType::Tree), _)) => Ok(Some(repo.find_tree(*id)?)),
                _ => Ok(None),
            }
        };
        let (old_sub, new_sub) = (subtree(before)?, subtree(after)?);
        if old_sub.is_some() || new_sub.is_some() {
            let inner = format!("{path}/");
            if !tree_changes(repo, old_sub.as_ref(), new_sub.as_ref(), &inner, out)? {
                return Ok(false);
            }
        }
        // A file (or submodule) on either side is a changed path; a directory was walked above.
        let is_file = |side: Option<&Side>| {
            side.is_some_and(|(_, kind, _)| *kind != Some(git2::ObjectType::Tree))
        };
        if is_file(before) || is_file(after) {
            out.insert(path);
        }
        if out.len() > MAX_CHANGED_ENTRIES {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Whether libgit2 can limit a diff to `path` exactly. It reads a backslash in a path list as an
/// escape even when told the paths are not patterns, so such a path would be missed (and its
/// old row kept beside the new one): a full count is exact instead.
fn limits_exactly(path: &str) -> bool {
    !path.contains('\\')
}
