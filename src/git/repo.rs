//! Finding and opening the repository that holds a path, linked worktrees included.

use std::path::{Component, Path, PathBuf};

use git2::{Repository, RepositoryOpenFlags};

use crate::git::error::{GitError, Result};

/// What we know of a repository's location once it is found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoInfo {
    /// The working tree's root, without a trailing slash.
    pub root: PathBuf,
    /// The repository's git directory (for a linked worktree, its private one).
    pub git_dir: PathBuf,
    /// The directory holding objects, refs and the shared config (same as `git_dir` unless linked).
    pub common_dir: PathBuf,
}

/// Finds the repository containing `path`, searching upward as `git` does.
/// A repository libgit2 cannot open but the git CLI serves (SHA-256) is found by git itself.
pub fn discover(path: &Path) -> Result<RepoInfo> {
    match open_containing(path) {
        Ok(repo) => info_of(&repo, path),
        Err(error) if crate::git::door::needs_cli(&error) => crate::git::cli::discover(path),
        Err(error) => Err(error),
    }
}

/// Opens the repository whose working tree is `root` (as returned by `discover`).
pub(crate) fn open_worktree(root: &Path) -> Result<Repository> {
    crate::git::no_mmap_filter::ensure_registered();
    crate::git::refs::allow_reftable();
    let repo = Repository::open_ext(
        root,
        RepositoryOpenFlags::NO_SEARCH,
        std::iter::empty::<&str>(),
    )
    .map_err(|e| not_a_repo_or(e, root))?;
    if repo.is_bare() {
        return Err(GitError::Bare(root.to_path_buf()));
    }
    Ok(repo)
}

/// Opens the repository containing `path`, searching upward.
pub fn open_containing(path: &Path) -> Result<Repository> {
    crate::git::no_mmap_filter::ensure_registered();
    crate::git::refs::allow_reftable();
    // A path that does not exist yet (a new buffer) is looked up from its nearest existing parent.
    let mut start = path.to_path_buf();
    while !start.exists() {
        match start.parent() {
            Some(parent) => start = parent.to_path_buf(),
            None => return Err(GitError::NotARepository(path.to_path_buf())),
        }
    }
    let repo = Repository::open_ext(
        &start,
        RepositoryOpenFlags::empty(),
        std::iter::empty::<&str>(),
    )
    .map_err(|e| not_a_repo_or(e, path))?;
    if repo.is_bare() || repo.workdir().is_none() {
        return Err(GitError::Bare(repo.path().to_path_buf()));
    }
    Ok(repo)
}

fn info_of(repo: &Repository, asked: &Path) -> Result<RepoInfo> {
    let root = repo
        .workdir()
        .ok_or_else(|| GitError::Bare(asked.to_path_buf()))?;
    Ok(RepoInfo {
        root: strip_trailing_slash(root),
        git_dir: strip_trailing_slash(repo.path()),
        common_dir: strip_trailing_slash(repo.commondir()),
    })
}

fn strip_trailing_slash(path: &Path) -> PathBuf {
    path.components().collect()
}

fn not_a_repo_or(error: git2::Error, path: &Path) -> GitError {
    if error.code() == git2::ErrorCode::NotFound {
        GitError::NotARepository(path.to_path_buf())
    } else if error.code() == git2::ErrorCode::Owner {
        GitError::NotOwned(path.to_path_buf())
    } else {
        GitError::from(error)
    }
}

/// The path of `path` relative to the worktree `root`, `/`-separated as git writes it.
///
/// Returns `None` when the path is outside the worktree or inside its `.git` directory.
pub(crate) fn relative_path(root: &Path, path: &Path) -> Option<String> {
    // A URI may spell `..` (`file:///repo/../x`): resolve it before comparing, as the file
    // system would (symlinks aside, which the canonical comparison below covers).
    let path = &lexically_normal(path);
    let relative = match path.strip_prefix(root) {
        Ok(relative) => relative.to_path_buf(),
        // The editor may name the file through a symlinked directory: compare canonical forms.
        Err(_) => {
            let canonical_root = root.canonicalize().ok()?;
            let canonical_path = canonicalize_existing_prefix(path)?;
            canonical_path
                .strip_prefix(&canonical_root)
                .ok()?
                .to_path_buf()
        }
    };
    let parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.is_empty() || parts[0] == ".git" || parts.iter().any(|p| p.contains('\0')) {
        return None;
    }
    Some(parts.join("/"))
}

/// `path` with `.` components dropped and each `..` removing the component before it.
fn lexically_normal(path: &Path) -> PathBuf {
    let mut normal = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                normal.pop();
            }
            other => normal.push(other),
        }
    }
    normal
}

/// Checks that `rel_path` names a file inside a worktree as git writes it: relative, `/`-separated,
/// with no empty, `.` or `..` component, not inside `.git`, and without NUL bytes (which no file
/// name holds and which libgit2's path functions cannot take).
pub(crate) fn checked_rel_path(rel_path: &str) -> Result<&Path> {
    let refuse = |why: &str| {
        Err(GitError::Refused(format!(
            "{rel_path:?} is not a path inside the worktree ({why})"
        )))
    };
    if rel_path.is_empty() {
        return refuse("it is empty");
    }
    if rel_path.contains('\0') {
        return refuse("it holds a NUL byte");
    }
    if rel_path.starts_with('/') {
        return refuse("it is absolute");
    }
    for part in rel_path.split('/') {
        if part.is_empty() || part == "." || part == ".." {
            return refuse("it has an empty, `.` or `..` component");
        }
    }
    if rel_path
        .split('/')
        .next()
        .is_some_and(|first| first.eq_ignore_ascii_case(".git"))
    {
        return refuse("it is inside .git");
    }
    Ok(Path::new(rel_path))
}

/// `path` with every symlink resolved, as far as it exists (a new file keeps its name), so that
/// one file has one spelling however the editor reached it; `path` itself when nothing resolves.
pub(crate) fn canonical(path: &Path) -> PathBuf {
    canonicalize_existing_prefix(&lexically_normal(path)).unwrap_or_else(|| path.to_path_buf())
}

/// Canonicalizes the longest existing prefix of `path` and appends the rest.
fn canonicalize_existing_prefix(path: &Path) -> Option<PathBuf> {
    let mut existing = path.to_path_buf();
    let mut rest = Vec::new();
    while !existing.exists() {
        rest.push(existing.file_name()?.to_os_string());
        existing = existing.parent()?.to_path_buf();
    }
    let mut result = existing.canonicalize().ok()?;
    for part in rest.into_iter().rev() {
        result.push(part);
    }
    Some(result)
}

/// The stage-0 index entry of `rel_path`, read from the index file up to that entry: libgit2
/// would load every entry of the index (and keep them) to answer. An index our reader refuses
/// is asked of libgit2.
pub(crate) fn index_entry(repo: &Repository, rel_path: &str) -> Result<Option<git2::IndexEntry>> {
    use crate::git::index_file::{find_entry, to_git2};
    match find_entry(&repo.path().join("index"), rel_path.as_bytes()) {
        Ok(found) => Ok(found.map(|entry| to_git2(&entry, rel_path.as_bytes()))),
        Err(_) => {
            let index = crate::git::scratch::whole_index(repo)?;
            Ok(index.get_path(Path::new(rel_path), 0))
        }
    }
}
