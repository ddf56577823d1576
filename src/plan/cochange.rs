//! The co-change signal: which files this repository's history commits together.
//!
//! The last few hundred non-merge commits reachable from HEAD are read as names-only tree diffs
//! (no file content is compared), and kept in a cache file under the git directory keyed by HEAD,
//! so that a second plan at the same HEAD reads one small file instead of walking history.
//! The walk is newest first by commit time, made here one commit at a time (libgit2's time sort
//! reads the whole history before it gives the first commit: 0.7 s of CPU in 80,000 commits),
//! and bounded by counts alone: the non-merge commits read, and the commits walked (merges
//! included). Counts, not a time budget, so that a plan is the same on a fast machine and a
//! loaded one; what it read is cached, so later plans at that HEAD read one small file.

use std::collections::{BinaryHeap, HashMap, HashSet};
use std::io::Write;
use std::path::PathBuf;

use git2::{DiffOptions, Repository};

use super::Result;

/// A commit that touched more files than this (a reformat, a vendored update) says little about
/// which files belong together and is skipped.
pub(crate) const MAX_FILES_PER_COMMIT: usize = 40;

/// The most commits walked (merges, which are not read, included) per commit read: a history of
/// merges alone stops the walk too.
pub(crate) const WALKED_PER_READ: usize = 3;

/// The files of each recent commit, and for each file the commits that touched it.
#[derive(Debug, Clone, Default)]
pub(crate) struct CoChange {
    by_file: HashMap<String, Vec<u32>>,
}

impl CoChange {
    /// Builds the index from each commit's list of files.
    pub(crate) fn from_commits(commits: &[Vec<String>]) -> CoChange {
        let mut by_file: HashMap<String, Vec<u32>> = HashMap::new();
        for (n, files) in commits.iter().enumerate() {
            let n = u32::try_from(n).unwrap_or(u32::MAX);
            for file in files {
                by_file.entry(file.clone()).or_default().push(n);
            }
        }
        CoChange { by_file }
    }

    /// How many recent commits touched `path`.
    #[cfg(test)]
    pub(crate) fn commits_touching(&self, path: &str) -> usize {
        self.by_file.get(path).map_or(0, Vec::len)
    }

    /// How strongly two files change together, from 0 to 1: the commits touching both over the
    /// commits touching the rarer one. Files changed together once only score 0, as one commit
    /// proves little.
    pub(crate) fn score(&self, a: &str, b: &str) -> f64 {
        let (Some(x), Some(y)) = (self.by_file.get(a), self.by_file.get(b)) else {
            return 0.0;
        };
        let (mut i, mut j, mut both) = (0, 0, 0usize);
        while i < x.len() && j < y.len() {
            match x[i].cmp(&y[j]) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    both += 1;
                    i += 1;
                    j += 1;
                }
            }
        }
        if both < 2 {
            return 0.0;
        }
        both as f64 / x.len().min(y.len()) as f64
    }
}

/// The co-change index of the last `max_commits` commits from HEAD, from the cache when it was
/// made at this HEAD.
pub(crate) fn cochange(repo: &Repository, max_commits: usize, use_cache: bool) -> Result<CoChange> {
    let Some(head) = super::read::head_of(repo)? else {
        return Ok(CoChange::default());
    };
    let head_id = head.id().to_string();
    let cache_path = repo.path().join("commit-nudge").join("cochange");
    if use_cache {
        if let Some(commits) = read_cache(&cache_path, &head_id, max_commits) {
            return Ok(CoChange::from_commits(&commits));
        }
    }
    let commits = commit_files(repo, head.id(), max_commits)?;
    if use_cache {
        // A cache that cannot be written only costs the next plan some time.
        let _ = write_cache(&cache_path, &head_id, max_commits, &commits);
    }
    Ok(CoChange::from_commits(&commits))
}

/// The paths each of the last `max_commits` non-merge commits touched, newest first, walking
/// at most `WALKED_PER_READ` times as many commits.
pub(crate) fn commit_files(
    repo: &Repository,
    head: git2::Oid,
    max_commits: usize,
) -> Result<Vec<Vec<String>>> {
    let mut commits = Vec::new();
    let walk = NewestFirst::new(repo, head)?.take(max_commits.saturating_mul(WALKED_PER_READ));
    for commit in walk {
        if commits.len() >= max_commits {
            break;
        }
        let commit = commit?;
        if commit.parent_count() > 1 {
            continue;
        }
        let tree = commit.tree()?;
        let parent_tree = match commit.parent(0) {
            Ok(parent) => Some(parent.tree()?),
            Err(_) => None,
        };
        let mut options = DiffOptions::new();
        options.skip_binary_check(true);
        let diff = repo.diff_tree_to_tree(parent_tree.as_ref(), Some(&tree), Some(&mut options))?;
        let files: Vec<String> = diff
            .deltas()
            .filter_map(|d| d.new_file().path().or(d.old_file().path()).map(path_text))
            .collect();
        if files.len() <= MAX_FILES_PER_COMMIT {
            commits.push(files);
        } else {
            commits.push(Vec::new());
        }
    }
    Ok(commits)
}

/// The commits reachable from a head, newest committer time first (ties: the larger id first),
/// each once: a walk that reads only as far as it is taken.
struct NewestFirst<'r> {
    repo: &'r Repository,
    queue: BinaryHeap<(i64, git2::Oid)>,
    queued: HashSet<git2::Oid>,
}

impl<'r> NewestFirst<'r> {
    fn new(repo: &'r Repository, head: git2::Oid) -> Result<NewestFirst<'r>> {
        let time = repo.find_commit(head)?.time().seconds();
        Ok(NewestFirst {
            repo,
            queue: BinaryHeap::from([(time, head)]),
            queued: HashSet::from([head]),
        })
    }
}

impl<'r> Iterator for NewestFirst<'r> {
    type Item = Result<git2::Commit<'r>>;

    fn next(&mut self) -> Option<Self::Item> {
        let (_, oid) = self.queue.pop()?;
        let commit = match self.repo.find_commit(oid) {
            Ok(commit) => commit,
            Err(error) => return Some(Err(error.into())),
        };
        for parent in commit.parents() {
            if self.queued.insert(parent.id()) {
                self.queue.push((parent.time().seconds(), parent.id()));
            }
        }
        Some(Ok(commit))
    }
}

fn path_text(path: &std::path::Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

/// The cache's first line names HEAD and the depth; each further line is one commit's files,
/// separated by tabs.
fn read_cache(path: &PathBuf, head: &str, max_commits: usize) -> Option<Vec<Vec<String>>> {
    let text = std::fs::read_to_string(path).ok()?;
    let mut lines = text.lines();
    if lines.next()? != format!("{head} {max_commits}") {
        return None;
    }
    Some(
        lines
            .map(|line| {
                line.split('\t')
                    .filter(|p| !p.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .collect(),
    )
}

fn write_cache(
    path: &PathBuf,
    head: &str,
    max_commits: usize,
    commits: &[Vec<String>],
) -> std::io::Result<()> {
    let Some(dir) = path.parent() else {
        return Ok(());
    };
    std::fs::create_dir_all(dir)?;
    let scratch = dir.join(format!("cochange.{}", std::process::id()));
    let mut file = std::fs::File::create(&scratch)?;
    writeln!(file, "{head} {max_commits}")?;
    for files in commits {
        // A path holding a tab or newline cannot be written on one line; it is left out.
        let safe: Vec<&str> = files
            .iter()
            .map(String::as_str)
            .filter(|p| !p.contains(['\t', '\n']))
            .collect();
        writeln!(file, "{}", safe.join("\t"))?;
    }
    file.sync_all().ok();
    std::fs::rename(&scratch, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commits(lists: &[&[&str]]) -> Vec<Vec<String>> {
        lists
            .iter()
            .map(|l| l.iter().map(|s| s.to_string()).collect())
            .collect()
    }

    #[test]
    fn files_committed_together_twice_or_more_score() {
        let index = CoChange::from_commits(&commits(&[
            &["a.rs", "b.rs"],
            &["a.rs", "b.rs", "c.rs"],
            &["a.rs"],
            &["c.rs", "d.rs"],
        ]));
        assert_eq!(index.score("a.rs", "b.rs"), 1.0);
        assert_eq!(index.score("a.rs", "c.rs"), 0.0, "together once only");
        assert_eq!(index.score("a.rs", "zzz"), 0.0);
        assert_eq!(index.commits_touching("a.rs"), 3);
    }

    /// A repository of `count` one-file commits, made with libgit2 in a temporary directory.
    fn history(count: usize) -> (tempfile::TempDir, Repository, git2::Oid) {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let signature = git2::Signature::now("T", "t@example.com").unwrap();
        let mut parent: Option<git2::Oid> = None;
        for n in 0..count {
            let blob = repo.blob(format!("{n}\n").as_bytes()).unwrap();
            let mut builder = repo.treebuilder(None).unwrap();
            builder.insert(format!("f{n}.txt"), blob, 0o100644).unwrap();
            let tree = repo.find_tree(builder.write().unwrap()).unwrap();
            let parents: Vec<git2::Commit> = parent
                .iter()
                .map(|p| repo.find_commit(*p).unwrap())
                .collect();
            let parents: Vec<&git2::Commit> = parents.iter().collect();
            let id = repo
                .commit(None, &signature, &signature, "c", &tree, &parents)
                .unwrap();
            parent = Some(id);
        }
        (dir, repo, parent.unwrap())
    }

    #[test]
    fn the_history_read_stops_at_the_commit_bound() {
        let (_dir, repo, head) = history(5);
        assert_eq!(commit_files(&repo, head, 100).unwrap().len(), 5);
        let three = commit_files(&repo, head, 3).unwrap();
        assert_eq!(three.len(), 3);
        assert!(three[0].contains(&"f4.txt".to_string()), "newest first");
        assert!(commit_files(&repo, head, 0).unwrap().is_empty());
    }
}
