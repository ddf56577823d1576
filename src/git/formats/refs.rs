//! HEAD and the refs, read where they are stored: through libgit2 for the files backend, through
//! the git CLI for reftable (`extensions.refStorage=reftable`), which libgit2 1.9 cannot read.
//!
//! libgit2 is told to accept the reftable extension (`allow_reftable`), because in such a
//! repository only the refs are different: objects, the index and the config are ordinary, so the
//! scan, the diffs and the writes keep their fast paths. But libgit2 then sees the files backend's
//! stub (`HEAD` is `ref: refs/heads/.invalid`), so nothing in `src/git` may ask libgit2 for HEAD
//! or a ref directly: every such question goes through `head` and `upstream` here.

use std::path::Path;

use git2::{Oid, Repository};

use crate::git::cli::Git;
use crate::git::error::Result;

/// HEAD as a branch name and a commit id, either of which may be missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Head {
    /// The branch HEAD points at, without `refs/heads/` (also when unborn); `None` when detached.
    pub branch: Option<String>,
    /// The commit HEAD points at; `None` on an unborn branch.
    pub commit: Option<Oid>,
}

/// Lets libgit2 open repositories whose refs are in reftable (once per process).
pub(crate) fn allow_reftable() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: called once, before any repository is opened by this process's libgit2 users
        // that read the extension list concurrently (set during the first open).
        if let Err(error) = unsafe { git2::opts::set_extensions(&["refstorage"]) } {
            tracing::warn!("libgit2 would not accept the reftable extension: {error}");
        }
    });
}

/// Whether the repository keeps its refs in reftable (a `reftable/` directory holds them).
pub(crate) fn is_reftable(repo: &Repository) -> bool {
    is_reftable_dir(repo.commondir())
}

/// Whether the git directory `common_dir` keeps its refs in reftable.
pub(crate) fn is_reftable_dir(common_dir: &Path) -> bool {
    common_dir.join("reftable").join("tables.list").is_file()
}

/// Reads HEAD: a branch with a commit, an unborn branch, or a detached commit.
pub(crate) fn head(repo: &Repository) -> Result<Head> {
    if is_reftable(repo) {
        return reftable_head(repo);
    }
    let head_ref = repo.find_reference("HEAD")?;
    let branch = head_ref
        .symbolic_target_bytes()
        .map(|target| short_branch(&String::from_utf8_lossy(target)));
    let commit = match repo.head() {
        Ok(head) => Some(head.peel_to_commit()?.id()),
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
    Ok(Head { branch, commit })
}

/// HEAD in a reftable repository, asked of git once per state of the tables: every ref update
/// replaces `tables.list` by rename (a new file), so its identity says whether HEAD may have moved.
/// One count reads HEAD from several places; this keeps it to one pair of processes.
fn reftable_head(repo: &Repository) -> Result<Head> {
    type Seen = (std::path::PathBuf, Vec<Option<FileStamp>>, Head);
    static LAST: std::sync::Mutex<Option<Seen>> = std::sync::Mutex::new(None);
    let key = repo.path().to_path_buf();
    // A linked worktree keeps its own HEAD in its own tables.
    let stamps = vec![stamp(repo.commondir()), stamp(repo.path())];
    let mut last = LAST.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((dir, seen, head)) = last.as_ref() {
        if *dir == key && *seen == stamps {
            return Ok(head.clone());
        }
    }
    let head = head_by_cli(&Git::at(worktree_of(repo)))?;
    *last = Some((key, stamps, head.clone()));
    Ok(head)
}

/// What tells one `tables.list` from the next: its inode (a rename makes a new one), size and time.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FileStamp {
    inode: u64,
    len: u64,
    modified: Option<std::time::SystemTime>,
}

fn stamp(git_dir: &Path) -> Option<FileStamp> {
    let meta = std::fs::metadata(git_dir.join("reftable").join("tables.list")).ok()?;
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(&meta);
    #[cfg(not(unix))]
    let inode = 0;
    Some(FileStamp {
        inode,
        len: meta.len(),
        modified: meta.modified().ok(),
    })
}

/// HEAD's commit, or `None` on an unborn branch.
pub(crate) fn head_commit(repo: &Repository) -> Result<Option<git2::Commit<'_>>> {
    match head(repo)?.commit {
        Some(id) => Ok(Some(repo.find_commit(id)?)),
        None => Ok(None),
    }
}

/// HEAD's tree, or `None` on an unborn branch.
pub(crate) fn head_tree(repo: &Repository) -> Result<Option<git2::Tree<'_>>> {
    Ok(head_commit(repo)?.map(|c| c.tree()).transpose()?)
}

/// The commit the current branch's upstream points at, if it has one.
pub(crate) fn upstream(repo: &Repository) -> Option<Oid> {
    if is_reftable(repo) {
        let git = Git::at(worktree_of(repo));
        let out = git
            .output_allowing(
                &["rev-parse", "-q", "--verify", "HEAD@{upstream}^{commit}"],
                &[1, 128],
            )
            .ok()?;
        return Oid::from_str(String::from_utf8_lossy(&out).trim()).ok();
    }
    let head = repo.head().ok()?;
    let name = head.shorthand().ok()?;
    let branch = repo.find_branch(name, git2::BranchType::Local).ok()?;
    branch.upstream().ok()?.get().target()
}

/// HEAD through the git CLI: `symbolic-ref` for the branch, `rev-parse` for the commit.
pub(crate) fn head_by_cli(git: &Git) -> Result<Head> {
    let (branch, commit) = head_id_by_cli(git)?;
    Ok(Head {
        branch,
        commit: commit.map(|id| Oid::from_str(&id)).transpose()?,
    })
}

/// HEAD's branch and commit id as git spells them (any hash width), for a repository libgit2
/// cannot open at all; either may be missing (detached, unborn).
pub(crate) fn head_id_by_cli(git: &Git) -> Result<(Option<String>, Option<String>)> {
    let branch = git.output_allowing(&["symbolic-ref", "-q", "HEAD"], &[1])?;
    let branch = String::from_utf8_lossy(&branch).trim().to_string();
    let commit = git.output_allowing(&["rev-parse", "-q", "--verify", "HEAD^{commit}"], &[1])?;
    let commit = String::from_utf8_lossy(&commit).trim().to_string();
    Ok((
        (!branch.is_empty()).then(|| short_branch(&branch)),
        (!commit.is_empty()).then_some(commit),
    ))
}

fn short_branch(target: &str) -> String {
    target
        .strip_prefix("refs/heads/")
        .unwrap_or(target)
        .to_string()
}

fn worktree_of(repo: &Repository) -> &Path {
    repo.workdir().unwrap_or(repo.path())
}
