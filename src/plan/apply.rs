//! Applying a plan: one `git commit` per planned commit, each staging exactly its hunks.
//!
//! The working tree is never written. Before commit k the index holds, for every file of the
//! work, HEAD's version (as it was when the plan was read) with the hunks of commits 1..=k
//! applied; `git commit` runs with the user's hooks, signing and identity. Afterwards (or when a
//! commit fails) every file's index entry goes back to what the user had staged, less what was
//! committed: hunks not yet committed are staged or unstaged exactly as before.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use git2::{IndexEntry, Repository};

use super::document::PlannedCommit;
use super::read::{head_of, Work};
use super::{HunkKind, PlanError, PlanHunk, Result};
use crate::git::commit::{commit_staged, CommitOptions, CommitOutcome};
use crate::git::GitError;

/// How to apply.
#[derive(Debug, Clone, Default)]
pub struct ApplyOptions {
    /// How each commit is made: the `git` to run, its time limit, whether comments are stripped.
    pub commit: CommitOptions,
}

/// What applying made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyOutcome {
    /// The commits made, in order.
    pub commits: Vec<CommitOutcome>,
    /// Hunks the plan left out, still uncommitted.
    pub left_out: usize,
}

/// Commits `commits` in order in the worktree at `root`. `fingerprint`, when given, must be that
/// of the work now (else the plan is stale and nothing is done). The hunk indices of `commits`
/// refer to the work as `read_by_git::work_of` reads it now.
pub fn apply_plan(
    root: &Path,
    commits: &[PlannedCommit],
    fingerprint: Option<&str>,
    options: &ApplyOptions,
) -> Result<ApplyOutcome> {
    let opened = crate::git::open(root)?;
    let repo = Store::of(&opened);
    let files = Files::read(&opened, &repo, fingerprint)?;
    check_commits(commits, files.hunks.len())?;
    let total = commits.len();
    let mut committed: HashSet<usize> = HashSet::new();
    let mut made = Vec::new();
    for (k, commit) in commits.iter().enumerate() {
        let mut next = committed.clone();
        next.extend(commit.hunks.iter().copied());
        files.write_index(&repo, &next, false)?;
        match commit_staged(root, &commit.title, &options.commit) {
            Ok(outcome) => {
                made.push(outcome);
                committed = next;
            }
            Err(error) => {
                files.write_index(&repo, &committed, true)?;
                let words = match error {
                    GitError::CommitFailed(words) => words,
                    other => other.to_string(),
                };
                return Err(PlanError::CommitFailed {
                    index: k + 1,
                    total,
                    done: k,
                    title: commit.title.clone(),
                    words,
                });
            }
        }
    }
    files.write_index(&repo, &committed, true)?;
    Ok(ApplyOutcome {
        commits: made,
        left_out: files.hunks.len() - committed.len(),
    })
}

/// Stages exactly the hunks of `commits[k]`: for every file of the work the index becomes HEAD's
/// version with those hunks, so that `git commit` would commit that planned commit alone.
pub fn stage_commit(
    root: &Path,
    commits: &[PlannedCommit],
    k: usize,
    fingerprint: Option<&str>,
) -> Result<()> {
    let opened = crate::git::open(root)?;
    let repo = Store::of(&opened);
    let files = Files::read(&opened, &repo, fingerprint)?;
    check_commits(commits, files.hunks.len())?;
    let commit = commits.get(k).ok_or_else(|| {
        PlanError::Refused(format!(
            "the plan has {} commits; there is no commit {}",
            commits.len(),
            k + 1
        ))
    })?;
    let chosen: HashSet<usize> = commit.hunks.iter().copied().collect();
    files.write_index(&repo, &chosen, false)
}

fn check_commits(commits: &[PlannedCommit], n_hunks: usize) -> Result<()> {
    let mut seen = HashSet::new();
    for commit in commits {
        if commit.title.trim().is_empty() {
            return Err(PlanError::Refused(
                "a planned commit has no title".to_string(),
            ));
        }
        for i in &commit.hunks {
            if *i >= n_hunks || !seen.insert(*i) {
                return Err(PlanError::Refused(
                    "the plan names a hunk twice or one that does not exist".to_string(),
                ));
            }
        }
    }
    Ok(())
}

/// Where applying reads blobs and writes the index: libgit2, or git itself where libgit2 cannot
/// read the repository (SHA-256 object names, through the front door's `ByGit`).
enum Store<'r> {
    Lib(&'r Repository),
    Git(crate::git::ByGit<'r>),
}

impl<'r> Store<'r> {
    fn of(opened: &'r crate::git::Repo) -> Store<'r> {
        match (opened.libgit2(), opened.by_git()) {
            (Some(repo), _) => Store::Lib(repo),
            (None, Some(git)) => Store::Git(git),
            (None, None) => unreachable!("a repository is read by libgit2 or by git"),
        }
    }

    /// Writes `content` as a blob; its id.
    fn blob(&self, content: &[u8]) -> Result<String> {
        Ok(match self {
            Store::Lib(repo) => repo.blob(content)?.to_string(),
            Store::Git(git) => git.write_blob(content)?,
        })
    }

    /// The blob `git add` would store for the file on disk (through the built-in filters).
    fn file_content(&self, root: &Path, path: &str) -> Result<Vec<u8>> {
        Ok(match self {
            Store::Lib(repo) => {
                let id = repo.blob_path(&root.join(path))?;
                repo.find_blob(id)?.content().to_vec()
            }
            Store::Git(git) => git.content_as_added(path)?.unwrap_or_default(),
        })
    }
}

/// The index entry the user had for a path: its id and mode (and libgit2's whole entry, to put
/// back as it was).
struct Original {
    id: String,
    mode: u32,
    entry: Option<IndexEntry>,
}

/// What applying needs of each file of the work: its HEAD entry, its index entry and its hunks.
struct Files {
    root: std::path::PathBuf,
    hunks: Vec<PlanHunk>,
    /// For each path: HEAD's blob id, mode and content.
    head: HashMap<String, Option<(String, u32, Vec<u8>)>>,
    /// For each path: the index entry the user had (stage 0), if any.
    index: HashMap<String, Option<Original>>,
    /// The hunks the user had staged.
    staged: HashSet<usize>,
    /// Each path's hunk indices, in order.
    by_path: Vec<(String, Vec<usize>)>,
}

impl Files {
    fn read(
        opened: &crate::git::Repo,
        repo: &Store<'_>,
        fingerprint: Option<&str>,
    ) -> Result<Files> {
        let work: Work = super::read_by_git::work_of(opened)?;
        if let Some(expected) = fingerprint {
            if super::fingerprint(&work.hunks) != expected {
                return Err(PlanError::Stale(
                    "the uncommitted work changed since the plan was made".to_string(),
                ));
            }
        }
        let (head_tree, index) = match repo {
            Store::Lib(repo) => (
                head_of(repo)?.map(|c| c.tree()).transpose()?,
                Some(crate::git::scratch::whole_index(repo)?),
            ),
            Store::Git(_) => (None, None),
        };
        let mut by_path: Vec<(String, Vec<usize>)> = Vec::new();
        for (i, hunk) in work.hunks.iter().enumerate() {
            match by_path.last_mut() {
                Some((path, list)) if *path == hunk.path => list.push(i),
                _ => by_path.push((hunk.path.clone(), vec![i])),
            }
        }
        let mut head = HashMap::new();
        let mut entries = HashMap::new();
        for (path, list) in &by_path {
            if work.hunks[list[0]].kind == HunkKind::Whole {
                let on_disk = work.root.join(path);
                if on_disk.is_dir() && !on_disk.is_symlink() {
                    return Err(PlanError::Refused(format!(
                        "{path} is a submodule; commit its change by hand, then plan the rest"
                    )));
                }
            }
            let (in_head, in_index) = match repo {
                Store::Lib(lib) => {
                    let in_head = match &head_tree {
                        Some(tree) => match tree.get_path(Path::new(path)) {
                            Ok(entry) => {
                                let blob = lib.find_blob(entry.id())?;
                                Some((
                                    entry.id().to_string(),
                                    u32::try_from(entry.filemode()).unwrap_or(0o100644),
                                    blob.content().to_vec(),
                                ))
                            }
                            Err(_) => None,
                        },
                        None => None,
                    };
                    let in_index = index
                        .as_ref()
                        .and_then(|index| index.get_path(Path::new(path), 0))
                        .map(|entry| Original {
                            id: entry.id.to_string(),
                            mode: entry.mode,
                            entry: Some(entry),
                        });
                    (in_head, in_index)
                }
                Store::Git(git) => (
                    git.head_blob(path)?,
                    git.index_row(path)?.map(|(id, mode)| Original {
                        id,
                        mode,
                        entry: None,
                    }),
                ),
            };
            head.insert(path.clone(), in_head);
            entries.insert(path.clone(), in_index);
        }
        let staged: HashSet<usize> = (0..work.hunks.len())
            .filter(|i| work.hunks[*i].staged)
            .collect();
        let files = Files {
            root: work.root.clone(),
            hunks: work.hunks,
            head,
            index: entries,
            staged,
            by_path,
        };
        files.check_index_is_expressible(repo)?;
        Ok(files)
    }

    /// Refuses when a file's index entry is neither HEAD's version nor HEAD's with some of the
    /// working tree's hunks (staged, then edited over): putting it back after the commits could
    /// not be done exactly.
    fn check_index_is_expressible(&self, repo: &Store<'_>) -> Result<()> {
        for (path, list) in &self.by_path {
            let staged: HashSet<usize> = list
                .iter()
                .filter(|i| self.staged.contains(i))
                .copied()
                .collect();
            let expected = self.state(repo, path, list, &staged)?;
            let actual = self.index.get(path).and_then(Option::as_ref);
            let same = match (&expected, &actual) {
                (State::Absent, None) => true,
                (State::Blob { id, mode, .. }, Some(entry)) => {
                    *id == entry.id && *mode == entry.mode
                }
                _ => false,
            };
            if !same {
                return Err(PlanError::Refused(format!(
                    "{path} is staged in a version that is neither HEAD's nor HEAD's with some of the working tree's hunks (it was edited after staging); stage or unstage it whole, then plan again"
                )));
            }
        }
        Ok(())
    }

    /// The index entry of `path` when the hunks `chosen` (of its `list`) are applied to HEAD's.
    fn state(
        &self,
        repo: &Store<'_>,
        path: &str,
        list: &[usize],
        chosen: &HashSet<usize>,
    ) -> Result<State> {
        let selected: Vec<&PlanHunk> = list
            .iter()
            .filter(|i| chosen.contains(i))
            .map(|i| &self.hunks[*i])
            .collect();
        let head = self.head.get(path).cloned().flatten();
        if selected.is_empty() {
            return Ok(match head {
                Some((id, mode, _)) => State::Blob { id, mode, size: 0 },
                None => State::Absent,
            });
        }
        let whole = selected.iter().any(|h| h.kind != HunkKind::Text);
        let on_disk = self.root.join(path);
        let mode = mode_on_disk(&on_disk);
        if whole {
            if on_disk.symlink_metadata().is_err() {
                return Ok(State::Absent);
            }
            let content = if mode == 0o120000 {
                std::fs::read_link(&on_disk)
                    .map_err(|e| GitError::io(format!("could not read the link {path}"), e))?
                    .to_string_lossy()
                    .into_owned()
                    .into_bytes()
            } else {
                // The blob git would store: read through the repository's own (built-in) filters.
                repo.file_content(&self.root, path)?
            };
            let id = repo.blob(&content)?;
            return Ok(State::Blob {
                id,
                mode,
                size: content.len(),
            });
        }
        let base = head.as_ref().map(|(_, _, c)| c.as_slice()).unwrap_or(&[]);
        let content = splice_all(base, &selected).ok_or_else(|| {
            PlanError::Stale(format!("the hunks of {path} no longer fit HEAD's version"))
        })?;
        let id = repo.blob(&content)?;
        let mode = head.map_or(mode, |(_, head_mode, _)| {
            if mode == 0o100644 || mode == 0o100755 {
                mode
            } else {
                head_mode
            }
        });
        Ok(State::Blob {
            id,
            mode,
            size: content.len(),
        })
    }

    /// Writes every file's entry: HEAD's version with the hunks `chosen`, plus (when `restore`)
    /// the hunks the user had staged; an entry equal to the user's is put back as it was.
    fn write_index(&self, repo: &Store<'_>, chosen: &HashSet<usize>, restore: bool) -> Result<()> {
        let mut states = Vec::with_capacity(self.by_path.len());
        for (path, list) in &self.by_path {
            let mut set: HashSet<usize> = list
                .iter()
                .filter(|i| chosen.contains(i))
                .copied()
                .collect();
            if restore {
                set.extend(list.iter().filter(|i| self.staged.contains(i)));
            }
            states.push((path.clone(), self.state(repo, path, list, &set)?));
        }
        let repo = match repo {
            Store::Lib(repo) => repo,
            // git writes the entries (with no stat data: git reads those files again).
            Store::Git(git) => {
                let rows: Vec<(String, Option<(u32, String)>)> = states
                    .into_iter()
                    .map(|(path, state)| match state {
                        State::Absent => (path, None),
                        State::Blob { id, mode, .. } => (path, Some((mode, id))),
                    })
                    .collect();
                git.set_index_rows(&rows)?;
                return Ok(());
            }
        };
        crate::git::stage::with_index(repo, |index| {
            for (path, state) in &states {
                let original = self.index.get(path).and_then(Option::as_ref);
                match state {
                    State::Absent => {
                        if index.get_path(Path::new(path), 0).is_some() {
                            index.remove_path(Path::new(path))?;
                        }
                    }
                    State::Blob { id, mode, .. }
                        if original.is_some_and(|e| e.id == *id && e.mode == *mode) =>
                    {
                        if let Some(entry) = original.and_then(|o| o.entry.as_ref()) {
                            index.add(&crate::git::stage::smudged(entry))?;
                        }
                    }
                    State::Blob { id, mode, size } => {
                        let mut entry = crate::git::stage::blank_entry(path, *mode);
                        entry.id = git2::Oid::from_str(id)?;
                        entry.file_size = u32::try_from(*size).unwrap_or(u32::MAX);
                        index.add(&entry)?;
                    }
                }
            }
            Ok(())
        })?;
        Ok(())
    }
}

/// A file's index entry to be: absent, or a blob with a mode.
#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Absent,
    Blob { id: String, mode: u32, size: usize },
}

/// The git mode of a file on disk: link, executable or plain.
fn mode_on_disk(path: &Path) -> u32 {
    let Ok(meta) = path.symlink_metadata() else {
        return 0o100644;
    };
    if meta.file_type().is_symlink() {
        return 0o120000;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o111 != 0 {
            return 0o100755;
        }
    }
    0o100644
}

/// `base` with each hunk's removed lines replaced by its added lines. The hunks are those of one
/// diff from `base`, so they never overlap; `None` when a hunk's removed lines are not where it
/// says.
pub(crate) fn splice_all(base: &[u8], hunks: &[&PlanHunk]) -> Option<Vec<u8>> {
    let lines: Vec<&[u8]> = base.split_inclusive(|b| *b == b'\n').collect();
    let mut sorted: Vec<&&PlanHunk> = hunks.iter().collect();
    sorted.sort_by_key(|h| h.range.old_start);
    let mut out = Vec::with_capacity(base.len());
    let mut next = 0usize;
    for hunk in sorted {
        let at = if hunk.range.old_lines == 0 {
            hunk.range.old_start as usize
        } else {
            (hunk.range.old_start as usize).checked_sub(1)?
        };
        if at < next || at + hunk.range.old_lines as usize > lines.len() {
            return None;
        }
        for line in &lines[next..at] {
            out.extend_from_slice(line);
        }
        let old = &lines[at..at + hunk.range.old_lines as usize];
        if old.len() != hunk.removed.len()
            || old
                .iter()
                .zip(&hunk.removed)
                .any(|(a, b)| *a != b.as_slice())
        {
            return None;
        }
        for line in &hunk.added {
            out.extend_from_slice(line);
        }
        next = at + hunk.range.old_lines as usize;
    }
    for line in &lines[next..] {
        out.extend_from_slice(line);
    }
    Some(out)
}
