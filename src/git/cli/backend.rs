//! A repository libgit2 cannot open at all (SHA-256 object names: libgit2 1.9 reads 20-byte ids
//! only, unless built with its experimental, ABI-breaking `unstable-sha256`), served through the
//! hardened git CLI (`run`). Numbers are git's own (`git diff --numstat`), a file's hunks are
//! computed from the blobs git hands out (`git cat-file`) by the same code as libgit2's path
//! (`hunks::hunks_of_sides`), and the index is written by git (`git update-index --index-info`),
//! never by us. Slower than the scan (one process per question), so only used where libgit2
//! cannot open the repository.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::git::buffer::BufferBase;
use crate::git::cli::Git;
use crate::git::convert::{self, Addable};
use crate::git::error::{GitError, Result};
use crate::git::hunks::{
    hunks_of_sides, offered, select_lines, staged_content, unstaged_content, FileHunks, Sides,
};
use crate::git::refs::head_id_by_cli;
use crate::git::repo::{checked_rel_path, RepoInfo};
use crate::git::rows::modified_unix;
use crate::git::stage::HunkTarget;
use crate::git::{CountOptions, FileDelta, RepoCounts};

/// How much of a file git reads to decide whether it is binary (`FIRST_FEW_BYTES` in xdiff).
const BINARY_PROBE: usize = 8000;

/// A repository served by the git CLI.
#[derive(Debug)]
pub(crate) struct CliRepo {
    git: Git,
    info: RepoInfo,
}

/// Where the repository holding `path` is, asked of git (`None` when git finds none).
pub(crate) fn discover(path: &Path) -> Result<RepoInfo> {
    let mut start = path.to_path_buf();
    while !start.is_dir() {
        match start.parent() {
            Some(parent) => start = parent.to_path_buf(),
            None => return Err(GitError::NotARepository(path.to_path_buf())),
        }
    }
    let out = Git::at(&start)
        .output(&[
            "rev-parse",
            "--path-format=absolute",
            "--show-toplevel",
            "--git-dir",
            "--git-common-dir",
        ])
        .map_err(|_| GitError::NotARepository(path.to_path_buf()))?;
    let text = String::from_utf8_lossy(&out);
    let mut lines = text.lines().map(|l| PathBuf::from(l.trim()));
    match (lines.next(), lines.next(), lines.next()) {
        (Some(root), Some(git_dir), Some(common_dir)) if !root.as_os_str().is_empty() => {
            Ok(RepoInfo {
                root,
                git_dir,
                common_dir,
            })
        }
        _ => Err(GitError::Bare(path.to_path_buf())),
    }
}

impl CliRepo {
    /// The repository whose worktree is `root`.
    pub(crate) fn open(root: &Path) -> Result<CliRepo> {
        let info = discover(root)?;
        Ok(CliRepo {
            git: Git::with_filters(&info.root)?,
            info,
        })
    }

    /// The repository's git directory.
    pub(crate) fn git_dir(&self) -> &Path {
        &self.info.git_dir
    }

    /// Everything a commit would hold, with git's numbers.
    pub(crate) fn count(&self, options: &CountOptions) -> Result<RepoCounts> {
        let (branch, head) = head_id_by_cli(&self.git)?;
        let head_time_unix = match &head {
            Some(id) => {
                String::from_utf8_lossy(&self.git.output(&["log", "-1", "--format=%ct", id])?)
                    .trim()
                    .parse()
                    .ok()
            }
            None => None,
        };
        let base = match &head {
            Some(id) => id.clone(),
            None => self.empty_tree()?,
        };
        let keep = |row: &FileDelta| !options.exclude.is_match(&row.path);
        let diff = |args: &[&str]| -> Result<Vec<FileDelta>> {
            let mut all = vec!["diff", "--numstat", "-z", "--no-ext-diff", "--no-textconv"];
            all.extend_from_slice(args);
            let rows = numstat_rows(&self.git.output(&all)?);
            Ok(rows.into_iter().filter(keep).collect())
        };
        let staged = diff(&["--cached"])?;
        let unstaged = diff(&[])?;
        let tracked_total = diff(&[&base])?;
        let mut large_files = Vec::new();
        let untracked = if options.count_untracked {
            self.untracked(options, &mut large_files)?
                .into_iter()
                .filter(keep)
                .collect()
        } else {
            Vec::new()
        };
        let oldest = unstaged
            .iter()
            .chain(&untracked)
            .filter_map(|row| Some((modified_unix(&self.info.root.join(&row.path))?, &row.path)))
            .min()
            .map(|(time, path)| (time, path.clone()));
        Ok(RepoCounts {
            info: self.info.clone(),
            branch,
            head,
            head_time_unix,
            staged: sorted(staged),
            unstaged: sorted(unstaged),
            untracked: sorted(untracked),
            tracked_total: sorted(tracked_total),
            oldest_change_unix: oldest.as_ref().map(|(time, _)| *time),
            oldest_change_path: oldest.map(|(_, path)| path),
            large_files,
            plain_staged: Default::default(),
            plain_unstaged: Default::default(),
            index_stamp: None,
        })
    }

    /// The untracked files (`git ls-files --others --exclude-standard`), each counted as all
    /// added, as `git diff --no-index --numstat /dev/null <file>` counts it.
    fn untracked(
        &self,
        options: &CountOptions,
        large_files: &mut Vec<String>,
    ) -> Result<Vec<FileDelta>> {
        let out = self
            .git
            .output(&["ls-files", "-z", "--others", "--exclude-standard"])?;
        let mut rows = Vec::new();
        for path in out.split(|&b| b == 0).filter(|p| !p.is_empty()) {
            let path = String::from_utf8_lossy(path).into_owned();
            // A nested repository is listed as a directory: git counts it as nothing.
            if path.ends_with('/') {
                continue;
            }
            let full = self.info.root.join(&path);
            let Ok(meta) = std::fs::symlink_metadata(&full) else {
                continue;
            };
            let content = if meta.file_type().is_symlink() {
                convert::as_added_in(&self.info.root, &path, None, None, true, |b| Ok(b.to_vec()))?
                    .map(|added| added.content)
                    .unwrap_or_default()
            } else if options.max_file_bytes > 0 && meta.len() > options.max_file_bytes {
                large_files.push(path.clone());
                rows.push(new_row(path, 0, false));
                continue;
            } else {
                match std::fs::read(&full) {
                    Ok(content) => content,
                    Err(_) => continue,
                }
            };
            let binary = content[..content.len().min(BINARY_PROBE)].contains(&0);
            let lines = if binary { 0 } else { line_count(&content) };
            rows.push(new_row(path, lines, binary));
        }
        Ok(rows)
    }

    /// The id of the empty tree in this repository's hash.
    fn empty_tree(&self) -> Result<String> {
        let out = self
            .git
            .output_with_input(&["hash-object", "-t", "tree", "--stdin"], b"")?;
        Ok(String::from_utf8_lossy(&out).trim().to_string())
    }

    /// The hunks of `rel_path` given its current text (the buffer, or the disk when `None`).
    pub(crate) fn file_hunks(&self, rel_path: &str, text: Option<&[u8]>) -> Result<FileHunks> {
        hunks_of_sides(self.sides(rel_path, text)?)
    }

    /// The HEAD and index versions of `rel_path`, for an unsaved buffer's diffs. The buffer is
    /// compared as it is: line-ending and `ident` conversions are not applied in this backend.
    pub(crate) fn buffer_base(&self, rel_path: &str) -> Result<BufferBase> {
        let sides = self.sides(rel_path, None)?;
        let tracked = sides.index.is_some();
        let ignored = !tracked && self.is_ignored(rel_path);
        let link = std::fs::symlink_metadata(self.info.root.join(rel_path))
            .is_ok_and(|m| m.file_type().is_symlink());
        Ok(BufferBase {
            head: sides.head.map(|(content, _)| content),
            index: sides.index.map(|(content, _)| content),
            tracked,
            ignored,
            converts: false,
            link,
            entries: Vec::new(),
        })
    }

    /// Whether git ignores `rel_path` (`check-ignore -q` exits 0 when it does, 1 when not).
    fn is_ignored(&self, rel_path: &str) -> bool {
        self.git
            .output(&["check-ignore", "-q", "--", rel_path])
            .is_ok()
    }

    /// Stages one unstaged hunk of `rel_path` (or the selected lines of it).
    pub(crate) fn stage_hunk(
        &self,
        rel_path: &str,
        text: Option<&[u8]>,
        target: &HunkTarget,
    ) -> Result<()> {
        let sides = self.sides(rel_path, text)?;
        let (current, mode) = self.index_or_new(&sides);
        let hunks = hunks_of_sides(sides)?;
        let hunk = offered(&hunks.unstaged, &target.range, &target.hash, "the hunk")?;
        let content = staged_content(&current, &select_lines(hunk, target.selection))?;
        self.put(rel_path, &content, mode)
    }

    /// Unstages one staged hunk of `rel_path`.
    pub(crate) fn unstage_hunk(&self, rel_path: &str, target: &HunkTarget) -> Result<()> {
        let sides = self.sides(rel_path, None)?;
        let (current, mode) = self.index_or_new(&sides);
        let hunks = hunks_of_sides(sides)?;
        let hunk = offered(
            &hunks.staged,
            &target.range,
            &target.hash,
            "the staged hunk",
        )?;
        let content = unstaged_content(&current, hunk)?;
        self.put(rel_path, &content, mode)
    }

    /// Stages the whole file as `git add` would (its removal when it is gone).
    pub(crate) fn stage_file(&self, rel_path: &str, text: Option<&[u8]>) -> Result<()> {
        let sides = self.sides(rel_path, text)?;
        match sides.worktree {
            Some(Addable { content, mode }) => self.put(rel_path, &content, mode),
            None if sides.index.is_some() => self.remove(rel_path),
            None => Ok(()),
        }
    }

    /// Unstages the whole file: the index entry goes back to HEAD's (or away).
    pub(crate) fn unstage_file(&self, rel_path: &str) -> Result<()> {
        checked_rel_path(rel_path)?;
        let line = self.git.output(&["ls-tree", "-z", "HEAD", "--", rel_path]);
        match line {
            // `ls-tree`'s `mode type id<TAB>path` is one of the forms `--index-info` reads.
            Ok(line) if !line.is_empty() => self
                .git
                .output_with_input(&["update-index", "-z", "--index-info"], &line)
                .map(drop),
            _ => self.remove(rel_path),
        }
    }

    /// The sizes (added plus removed lines) of the author's recent non-merge commits, newest first.
    pub(crate) fn author_sizes(&self) -> Result<Vec<u64>> {
        let email = self.git.output_allowing(&["config", "user.email"], &[1])?;
        let email = String::from_utf8_lossy(&email).trim().to_string();
        if email.is_empty() || head_id_by_cli(&self.git)?.1.is_none() {
            return Ok(Vec::new());
        }
        let author = format!("--author=<{email}>");
        let out = self.git.output(&[
            "log",
            "--no-merges",
            "--fixed-strings",
            &author,
            "-n",
            "300",
            "--format=%x01",
            "--numstat",
            "--no-renames",
            "--no-ext-diff",
            "--no-textconv",
            "HEAD",
        ])?;
        let mut sizes = Vec::new();
        for commit in String::from_utf8_lossy(&out).split('\u{1}').skip(1) {
            let lines = commit
                .lines()
                .filter_map(|line| {
                    let mut parts = line.split('\t');
                    let added = parts.next()?.parse::<u64>().ok()?;
                    let removed = parts.next()?.parse::<u64>().ok()?;
                    Some(added + removed)
                })
                .sum();
            sizes.push(lines);
        }
        Ok(sizes)
    }

    /// The index, HEAD and working-tree versions of `rel_path`.
    fn sides(&self, rel_path: &str, text: Option<&[u8]>) -> Result<Sides> {
        checked_rel_path(rel_path)?;
        let index = self.entry(&["ls-files", "-s", "-z", "--", rel_path], 1)?;
        let head = match head_id_by_cli(&self.git)?.1 {
            Some(_) => self.entry(&["ls-tree", "-z", "HEAD", "--", rel_path], 2)?,
            None => None,
        };
        let ids: Vec<&str> = index
            .iter()
            .chain(&head)
            .map(|(_, id)| id.as_str())
            .collect();
        let mut blobs = self.blobs(&ids)?;
        let mut take = |entry: Option<(u32, String)>| {
            entry.and_then(|(mode, id)| Some((blobs.remove(&id)?, mode)))
        };
        let index_mode = index.as_ref().map(|(mode, _)| *mode);
        let index = take(index);
        let head = take(head);
        let trusted = self
            .git
            .output_allowing(&["config", "--type=bool", "core.fileMode"], &[1])
            .map(|out| out.trim_ascii() != b"false")
            .unwrap_or(cfg!(unix));
        let worktree = convert::as_added_in(
            &self.info.root,
            rel_path,
            text,
            index_mode,
            trusted,
            |raw| Ok(raw.to_vec()),
        )?;
        Ok(Sides {
            index,
            intent_to_add: false,
            head,
            worktree,
        })
    }

    /// The mode and id of one `ls-files -s` or `ls-tree` row (the id is field `id_field`).
    fn entry(&self, args: &[&str], id_field: usize) -> Result<Option<(u32, String)>> {
        let out = self.git.output(args)?;
        let row = out.split(|&b| b == 0).next().unwrap_or_default();
        let Some(tab) = row.iter().position(|&b| b == b'\t') else {
            return Ok(None);
        };
        let meta = String::from_utf8_lossy(&row[..tab]);
        let fields: Vec<&str> = meta.split(' ').collect();
        let mode = fields
            .first()
            .and_then(|m| u32::from_str_radix(m, 8).ok())
            .unwrap_or(0);
        Ok(fields.get(id_field).map(|id| (mode, id.to_string())))
    }

    /// The contents of the blobs `ids`, in one `git cat-file --batch`.
    fn blobs(&self, ids: &[&str]) -> Result<BTreeMap<String, Vec<u8>>> {
        let mut blobs = BTreeMap::new();
        if ids.is_empty() {
            return Ok(blobs);
        }
        let input: String = ids.iter().map(|id| format!("{id}\n")).collect();
        let out = self
            .git
            .output_with_input(&["cat-file", "--batch"], input.as_bytes())?;
        let mut rest = out.as_slice();
        while let Some(end) = rest.iter().position(|&b| b == b'\n') {
            let header = String::from_utf8_lossy(&rest[..end]).into_owned();
            rest = &rest[end + 1..];
            let fields: Vec<&str> = header.split(' ').collect();
            let [id, _kind, size] = fields.as_slice() else {
                continue; // `<id> missing`
            };
            let size: usize = size.parse().unwrap_or(0);
            let content = rest.get(..size).unwrap_or(rest).to_vec();
            rest = rest.get(size + 1..).unwrap_or_default();
            blobs.insert(id.to_string(), content);
        }
        Ok(blobs)
    }

    /// The index's content and mode of a path, or nothing and the mode `git add` would give it.
    fn index_or_new(&self, sides: &Sides) -> (Vec<u8>, u32) {
        match (&sides.index, &sides.worktree) {
            (Some((content, mode)), _) => (content.clone(), *mode),
            (None, Some(added)) => (Vec::new(), added.mode),
            (None, None) => (Vec::new(), 0o100644),
        }
    }

    /// Writes `content` as a blob and puts it in the index as `rel_path` with `mode`, through git.
    fn put(&self, rel_path: &str, content: &[u8], mode: u32) -> Result<()> {
        let id = self
            .git
            .output_with_input(&["hash-object", "-w", "--no-filters", "--stdin"], content)?;
        let id = String::from_utf8_lossy(&id).trim().to_string();
        let mut line = format!("{mode:o} {id}\t").into_bytes();
        line.extend_from_slice(rel_path.as_bytes());
        line.push(0);
        self.git
            .output_with_input(&["update-index", "-z", "--index-info"], &line)?;
        Ok(())
    }

    fn remove(&self, rel_path: &str) -> Result<()> {
        self.git
            .output(&["update-index", "--force-remove", "--", rel_path])?;
        Ok(())
    }
}

/// The rows of `git diff --numstat -z`: `added<TAB>removed<TAB>path<NUL>`, or for a rename
/// `added<TAB>removed<TAB><NUL>old<NUL>new<NUL>`; a binary file's numbers are `-`.
fn numstat_rows(out: &[u8]) -> Vec<FileDelta> {
    let mut fields = out.split(|&b| b == 0);
    let mut rows = Vec::new();
    while let Some(record) = fields.next() {
        if record.is_empty() {
            continue;
        }
        let text = String::from_utf8_lossy(record);
        let mut parts = text.splitn(3, '\t');
        let (Some(added), Some(removed), Some(path)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let binary = added == "-";
        let (path, old_path) = if path.is_empty() {
            let old = fields
                .next()
                .map(|p| String::from_utf8_lossy(p).into_owned());
            let new = fields
                .next()
                .map(|p| String::from_utf8_lossy(p).into_owned());
            (new.unwrap_or_default(), old)
        } else {
            (path.to_string(), None)
        };
        rows.push(FileDelta {
            path,
            old_path,
            added: added.parse().unwrap_or(0),
            removed: removed.parse().unwrap_or(0),
            binary,
            first_line: None,
        });
    }
    rows
}

fn new_row(path: String, lines: u64, binary: bool) -> FileDelta {
    FileDelta {
        path,
        old_path: None,
        added: lines,
        removed: 0,
        binary,
        first_line: (lines > 0).then_some(0),
    }
}

/// Lines as git counts them: each newline ends one, and a last line without one still counts.
fn line_count(content: &[u8]) -> u64 {
    let newlines = content.iter().filter(|&&b| b == b'\n').count() as u64;
    newlines + u64::from(content.last().is_some_and(|&b| b != b'\n'))
}

fn sorted(mut rows: Vec<FileDelta>) -> Vec<FileDelta> {
    rows.sort_by(|a, b| a.path.as_bytes().cmp(b.path.as_bytes()));
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numstat_rows_read_plain_binary_and_renamed_rows() {
        let out = b"3\t1\ta.txt\0-\t-\timg.png\x002\t0\t\0old.txt\0new.txt\0";
        let rows = numstat_rows(out);
        assert_eq!(rows.len(), 3);
        assert_eq!(
            (rows[0].path.as_str(), rows[0].added, rows[0].removed),
            ("a.txt", 3, 1)
        );
        assert!(rows[1].binary);
        assert_eq!(rows[2].path, "new.txt");
        assert_eq!(rows[2].old_path.as_deref(), Some("old.txt"));
    }

    #[test]
    fn lines_are_counted_as_git_counts_them() {
        assert_eq!(line_count(b""), 0);
        assert_eq!(line_count(b"a\nb\n"), 2);
        assert_eq!(line_count(b"a\nb"), 2);
    }
}
