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
use crate::git::convert::{self, Addable, TextRule};
use crate::git::error::{GitError, Result};
use crate::git::history::{CommitSize, HistoryOptions};
use crate::git::hunks::{
    hunks_of_sides, offered, select_lines, staged_content, unstaged_content, FileHunks, Sides,
};
use crate::git::numstat::modified_unix;
use crate::git::patch::{
    lines_of, parse_patch, FilePatch, PatchChange, PatchHunk, WorkPatch, MAX_TEXT_BYTES,
};
use crate::git::refs::head_id_by_cli;
use crate::git::repo::{checked_rel_path, RepoInfo};
use crate::git::stage::HunkTarget;
use crate::git::{CountOptions, FileDelta, RepoCounts};
use crate::hunk_range::HunkRange;

/// How much of a file git reads to decide whether it is binary (`FIRST_FEW_BYTES` in xdiff).
const BINARY_PROBE: usize = 8000;

/// A repository served by the git CLI.
#[derive(Debug)]
pub(crate) struct CliRepo {
    pub(super) git: Git,
    pub(super) info: RepoInfo,
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

    /// The repository's working tree.
    pub(crate) fn root(&self) -> &Path {
        &self.info.root
    }

    /// HEAD's commit id, `None` while the branch is unborn.
    pub(crate) fn head_id(&self) -> Result<Option<String>> {
        Ok(head_id_by_cli(&self.git)?.1)
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
            self.untracked(options, &mut large_files, &[])?
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

    /// Re-counts the working-tree paths `paths` alone (`git diff --numstat -- <paths>`, against
    /// the index and HEAD, and their untracked files), patched into `previous`. `None` where
    /// that could differ from a full count: renames in the counts, a path gone from the disk (it
    /// could pair with another path), a path that is not a file (a new directory), too many.
    pub(crate) fn recount_paths(
        &self,
        previous: &RepoCounts,
        paths: &std::collections::BTreeSet<String>,
        options: &CountOptions,
    ) -> Result<Option<RepoCounts>> {
        let renamed = |rows: &[FileDelta]| rows.iter().any(|r| r.old_path.is_some());
        if paths.is_empty()
            || paths.len() > 100
            || renamed(&previous.staged)
            || renamed(&previous.unstaged)
            || renamed(&previous.tracked_total)
            || paths.iter().any(|p| !self.info.root.join(p).is_file())
        {
            return Ok(None);
        }
        let Some(head) = previous.head.as_deref() else {
            return Ok(None);
        };
        let only: Vec<&str> = paths.iter().map(String::as_str).collect();
        let keep = |row: &FileDelta| !options.exclude.is_match(&row.path);
        let diff = |base: Option<&str>| -> Result<Vec<FileDelta>> {
            let mut all = vec!["diff", "--numstat", "-z", "--no-ext-diff", "--no-textconv"];
            all.extend(base);
            all.push("--");
            all.extend_from_slice(&only);
            Ok(numstat_rows(&self.git.output(&all)?)
                .into_iter()
                .filter(keep)
                .collect())
        };
        let unstaged = diff(None)?;
        let total = diff(Some(head))?;
        if renamed(&unstaged) || renamed(&total) {
            return Ok(None);
        }
        let mut large_files: Vec<String> = previous
            .large_files
            .iter()
            .filter(|p| !paths.contains(*p))
            .cloned()
            .collect();
        let untracked = if options.count_untracked {
            self.untracked(options, &mut large_files, &only)?
                .into_iter()
                .filter(keep)
                .collect()
        } else {
            Vec::new()
        };
        let patched = |old: &[FileDelta], new: Vec<FileDelta>| {
            let mut rows: Vec<FileDelta> = old
                .iter()
                .filter(|r| !paths.contains(&r.path))
                .cloned()
                .collect();
            rows.extend(new);
            sorted(rows)
        };
        let mut counts = previous.clone();
        counts.unstaged = patched(&previous.unstaged, unstaged);
        counts.tracked_total = patched(&previous.tracked_total, total);
        counts.untracked = patched(&previous.untracked, untracked);
        large_files.sort_unstable();
        large_files.dedup();
        counts.large_files = large_files;
        let oldest = counts
            .unstaged
            .iter()
            .chain(&counts.untracked)
            .filter_map(|row| Some((modified_unix(&self.info.root.join(&row.path))?, &row.path)))
            .min()
            .map(|(time, path)| (time, path.clone()));
        counts.oldest_change_unix = oldest.as_ref().map(|(time, _)| *time);
        counts.oldest_change_path = oldest.map(|(_, path)| path);
        Ok(Some(counts))
    }

    /// The untracked files (`git ls-files --others --exclude-standard`), each counted as all
    /// added, as `git diff --no-index --numstat /dev/null <file>` counts it.
    fn untracked(
        &self,
        options: &CountOptions,
        large_files: &mut Vec<String>,
        only: &[&str],
    ) -> Result<Vec<FileDelta>> {
        let mut args = vec!["ls-files", "-z", "--others", "--exclude-standard"];
        if !only.is_empty() {
            args.push("--");
            args.extend_from_slice(only);
        }
        let out = self.git.output(&args)?;
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

    /// The HEAD and index versions of `rel_path`, for an unsaved buffer's diffs, with the
    /// conversion `git add` applies to it (from `git check-attr` and `core.autocrlf`), which the
    /// buffer goes through on each keystroke without asking git again.
    pub(crate) fn buffer_base(&self, rel_path: &str) -> Result<BufferBase> {
        let sides = self.sides(rel_path, None)?;
        let rule = self.text_rule(rel_path)?;
        let tracked = sides.index.is_some();
        let ignored = !tracked && self.is_ignored(rel_path);
        let link = std::fs::symlink_metadata(self.info.root.join(rel_path))
            .is_ok_and(|m| m.file_type().is_symlink());
        Ok(BufferBase {
            head: sides.head.map(|(content, _)| content),
            index: sides.index.map(|(content, _)| content),
            tracked,
            ignored,
            converts: rule.converts(),
            link,
            entries: Vec::new(),
            rule: Some(rule),
        })
    }

    /// How `git add` converts `rel_path`'s bytes: its `text`, `crlf`, `eol` and `ident`
    /// attributes as git reads them, and `core.autocrlf`.
    fn text_rule(&self, rel_path: &str) -> Result<TextRule> {
        let out = self.git.output(&[
            "check-attr",
            "-z",
            "text",
            "crlf",
            "eol",
            "ident",
            "--",
            rel_path,
        ])?;
        // `path NUL attribute NUL value NUL`, for each attribute asked.
        let fields: Vec<String> = out
            .split(|&b| b == 0)
            .map(|f| String::from_utf8_lossy(f).into_owned())
            .collect();
        let value = |name: &str| {
            fields
                .chunks(3)
                .find(|row| row.get(1).map(String::as_str) == Some(name))
                .and_then(|row| row.get(2).cloned())
                .unwrap_or_else(|| "unspecified".to_string())
        };
        let autocrlf = self
            .git
            .output_allowing(&["config", "core.autocrlf"], &[1])?;
        let autocrlf = String::from_utf8_lossy(&autocrlf).trim().to_string();
        Ok(TextRule::of(
            &value("text"),
            &value("crlf"),
            &value("eol"),
            &value("ident"),
            &autocrlf,
        ))
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
        self.refuse_outside_cone(rel_path)?;
        let sides = self.sides(rel_path, text)?;
        let (current, mode) = self.index_or_new(&sides);
        let hunks = hunks_of_sides(sides)?;
        let hunk = offered(&hunks.unstaged, &target.range, &target.hash, "the hunk")?;
        let content = staged_content(&current, &select_lines(hunk, target.selection))?;
        self.put(rel_path, &content, mode)
    }

    /// Unstages one staged hunk of `rel_path`.
    pub(crate) fn unstage_hunk(&self, rel_path: &str, target: &HunkTarget) -> Result<()> {
        self.refuse_outside_cone(rel_path)?;
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
        self.refuse_outside_cone(rel_path)?;
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
        self.refuse_outside_cone(rel_path)?;
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

    /// The author's email and their most recent non-merge commits reachable from HEAD, newest
    /// first, as `history::author_commits` reads them with libgit2: the author matched by email,
    /// whatever its case; each commit's size from `git log --numstat --no-renames`.
    pub(crate) fn author_commits(
        &self,
        options: &HistoryOptions,
    ) -> Result<(Option<String>, Vec<CommitSize>)> {
        let email = match &options.author_email {
            Some(email) => email.clone(),
            None => {
                let out = self.git.output_allowing(&["config", "user.email"], &[1])?;
                String::from_utf8_lossy(&out).trim().to_string()
            }
        };
        if email.is_empty() {
            return Ok((None, Vec::new()));
        }
        if head_id_by_cli(&self.git)?.1.is_none() {
            return Ok((Some(email), Vec::new()));
        }
        let walk = options.max_walk.to_string();
        // `%x01` opens each commit: id, author time, its zone (`%ai`'s last field), email.
        let out = self.git.output(&[
            "log",
            "--no-merges",
            "-n",
            &walk,
            "--format=%x01%H %at %ai%x02%ae",
            "--numstat",
            "--no-renames",
            "--no-ext-diff",
            "--no-textconv",
            "HEAD",
        ])?;
        let mut sizes = Vec::new();
        for commit in String::from_utf8_lossy(&out).split('\u{1}').skip(1) {
            let (meta, rest) = commit.split_once('\n').unwrap_or((commit, ""));
            let Some((when, author)) = meta.split_once('\u{2}') else {
                continue;
            };
            if !author.trim().eq_ignore_ascii_case(&email) {
                continue;
            }
            let fields: Vec<&str> = when.split(' ').collect();
            let (Some(id), Some(time)) = (fields.first(), fields.get(1)) else {
                continue;
            };
            let (mut lines, mut files) = (0, 0);
            for row in rest.lines().filter(|l| !l.is_empty()) {
                let mut parts = row.split('\t');
                let added = parts.next().and_then(|n| n.parse::<u64>().ok());
                let removed = parts.next().and_then(|n| n.parse::<u64>().ok());
                lines += added.unwrap_or(0) + removed.unwrap_or(0);
                files += 1;
            }
            sizes.push(CommitSize {
                id: id.to_string(),
                time_unix: time.parse().unwrap_or(0),
                offset_minutes: fields.last().map_or(0, |zone| zone_minutes(zone)),
                lines,
                files,
            });
            if sizes.len() >= options.max_commits {
                break;
            }
        }
        Ok((Some(email), sizes))
    }

    /// The work as the planner reads it (`patch::WorkPatch`), from git's own `-U0` patches; the
    /// untracked files read from disk as `git add` would take them (no filter runs).
    pub(crate) fn work_patch(&self) -> Result<WorkPatch> {
        let head = head_id_by_cli(&self.git)?.1;
        let base = match &head {
            Some(id) => id.clone(),
            None => self.empty_tree()?,
        };
        let patch = |args: &[&str]| -> Result<Vec<FilePatch>> {
            let mut all = vec![
                "-c",
                "core.quotePath=false",
                "diff",
                "-U0",
                "--no-renames",
                "--no-color",
                "--no-ext-diff",
                "--no-textconv",
                "--submodule=short",
            ];
            all.extend_from_slice(args);
            Ok(parse_patch(&self.git.output(&all)?))
        };
        let mut files = patch(&[&base])?;
        let staged = patch(&["--cached", &base])?;
        let names = self.git.output(&[
            "diff",
            "--name-only",
            "-z",
            "--no-ext-diff",
            "--no-textconv",
        ])?;
        let unstaged_paths = names
            .split(|&b| b == 0)
            .filter(|p| !p.is_empty())
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .collect();
        let out = self
            .git
            .output(&["ls-files", "-z", "--others", "--exclude-standard"])?;
        for path in out.split(|&b| b == 0).filter(|p| !p.is_empty()) {
            let path = String::from_utf8_lossy(path).into_owned();
            if path.ends_with('/') {
                continue; // a nested repository
            }
            let Some(added) =
                convert::as_added_in(&self.info.root, &path, None, None, true, |b| Ok(b.to_vec()))?
            else {
                continue;
            };
            let binary = added.content[..added.content.len().min(BINARY_PROBE)].contains(&0);
            let lines = lines_of(&added.content);
            let hunks = if binary || lines.is_empty() {
                Vec::new()
            } else {
                vec![PatchHunk {
                    range: HunkRange {
                        old_start: 0,
                        old_lines: 0,
                        new_start: 1,
                        new_lines: u32::try_from(lines.len()).unwrap_or(u32::MAX),
                    },
                    context: String::new(),
                    removed: Vec::new(),
                    added: lines,
                }]
            };
            files.push(FilePatch {
                path,
                change: if binary {
                    PatchChange::Whole
                } else {
                    PatchChange::Added
                },
                binary,
                hunks,
            });
        }
        let mut head_texts = std::collections::HashMap::new();
        if head.is_some() {
            let changed: Vec<&FilePatch> = files
                .iter()
                .filter(|f| matches!(f.change, PatchChange::Modified | PatchChange::Deleted))
                .collect();
            // HEAD's blob of every changed file, from one `ls-tree` per 500 paths (a process per
            // file cost more than the rest of the plan's reading).
            let mut ids = Vec::new();
            for chunk in changed.chunks(500) {
                let mut args = vec!["ls-tree", "-z", "HEAD", "--"];
                args.extend(chunk.iter().map(|f| f.path.as_str()));
                let out = self.git.output(&args)?;
                for row in out.split(|&b| b == 0).filter(|r| !r.is_empty()) {
                    let Some(tab) = row.iter().position(|&b| b == b'\t') else {
                        continue;
                    };
                    let meta = String::from_utf8_lossy(&row[..tab]);
                    let path = String::from_utf8_lossy(&row[tab + 1..]).into_owned();
                    if let Some(id) = meta.split(' ').nth(2) {
                        if chunk.iter().any(|f| f.path == path) {
                            ids.push((path, id.to_string()));
                        }
                    }
                }
            }
            let wanted: Vec<&str> = ids.iter().map(|(_, id)| id.as_str()).collect();
            let mut blobs = self.blobs(&wanted)?;
            for (path, id) in ids {
                if let Some(content) = blobs.remove(&id) {
                    if content.len() <= MAX_TEXT_BYTES {
                        head_texts.insert(path, content);
                    }
                }
            }
        }
        Ok(WorkPatch {
            head,
            files,
            staged,
            unstaged_paths,
            head_texts,
        })
    }

    /// What stops the planner: a merge, rebase, cherry-pick, revert, bisect or `git am` in
    /// progress (the files git leaves in the git directory), then the conflicted paths.
    pub(crate) fn busy(&self) -> Result<(Option<&'static str>, Vec<String>)> {
        let dir = &self.info.git_dir;
        let busy = [
            ("rebase-merge", "rebase"),
            ("rebase-apply/applying", "git am"),
            ("rebase-apply", "rebase"),
            ("MERGE_HEAD", "merge"),
            ("CHERRY_PICK_HEAD", "cherry-pick"),
            ("REVERT_HEAD", "revert"),
            ("BISECT_LOG", "bisect"),
        ]
        .into_iter()
        .find(|(file, _)| dir.join(file).exists())
        .map(|(_, what)| what);
        let out = self.git.output(&["ls-files", "-u", "-z"])?;
        let mut conflicted: Vec<String> = out
            .split(|&b| b == 0)
            .filter_map(|row| row.iter().position(|&b| b == b'\t').map(|t| &row[t + 1..]))
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .collect();
        conflicted.dedup();
        Ok((busy, conflicted))
    }

    /// The paths each of the newest non-merge commits from HEAD touched, newest first: at most
    /// `max_commits` of them, walking at most `max_walked` commits (merges included), as the
    /// planner's co-change reads them with libgit2. A commit of more than `max_files` paths
    /// counts as touching none.
    pub(crate) fn commit_paths(
        &self,
        max_commits: usize,
        max_walked: usize,
        max_files: usize,
    ) -> Result<Vec<Vec<String>>> {
        if head_id_by_cli(&self.git)?.1.is_none() {
            return Ok(Vec::new());
        }
        let walk = max_walked.to_string();
        let out = self.git.output(&[
            "-c",
            "core.quotePath=false",
            "log",
            "-n",
            &walk,
            "--format=%x01%P",
            "--name-only",
            "-z",
            "--no-renames",
            "HEAD",
        ])?;
        let mut commits = Vec::new();
        for commit in out.split(|&b| b == 1).skip(1) {
            if commits.len() >= max_commits {
                break;
            }
            let mut fields = commit.split(|&b| b == b'\n' || b == 0);
            let parents = fields.next().unwrap_or_default();
            if parents
                .split(|&b| b == b' ')
                .filter(|p| !p.is_empty())
                .count()
                > 1
            {
                continue;
            }
            let files: Vec<String> = fields
                .filter(|f| !f.is_empty())
                .map(|f| String::from_utf8_lossy(f).into_owned())
                .collect();
            commits.push(if files.len() <= max_files {
                files
            } else {
                Vec::new()
            });
        }
        Ok(commits)
    }

    /// HEAD's entry of `rel_path`: its blob id, mode and content.
    pub(crate) fn head_blob(&self, rel_path: &str) -> Result<Option<(String, u32, Vec<u8>)>> {
        checked_rel_path(rel_path)?;
        if head_id_by_cli(&self.git)?.1.is_none() {
            return Ok(None);
        }
        let Some((mode, id)) = self.entry(&["ls-tree", "-z", "HEAD", "--", rel_path], 2)? else {
            return Ok(None);
        };
        let mut blobs = self.blobs(&[&id])?;
        Ok(blobs.remove(&id).map(|content| (id, mode, content)))
    }

    /// The index's stage-0 entry of `rel_path`: its blob id and mode.
    pub(crate) fn index_row(&self, rel_path: &str) -> Result<Option<(String, u32)>> {
        checked_rel_path(rel_path)?;
        let row = self.entry(&["ls-files", "-s", "-z", "--", rel_path], 1)?;
        Ok(row.map(|(mode, id)| (id, mode)))
    }

    /// Writes `content` as a blob; its id.
    pub(crate) fn write_blob(&self, content: &[u8]) -> Result<String> {
        let id = self
            .git
            .output_with_input(&["hash-object", "-w", "--no-filters", "--stdin"], content)?;
        Ok(String::from_utf8_lossy(&id).trim().to_string())
    }

    /// What `git add` would store for the file `rel_path` on disk (a link's target, the bytes
    /// converted as the attributes say); `None` when it is gone.
    pub(crate) fn content_as_added(&self, rel_path: &str) -> Result<Option<Vec<u8>>> {
        Ok(self
            .sides(rel_path, None)?
            .worktree
            .map(|added| added.content))
    }

    /// Sets the index entries of these paths at once (`None`: removed), through `git
    /// update-index --index-info` (git takes the lock).
    pub(crate) fn set_index_rows(&self, rows: &[(String, Option<(u32, String)>)]) -> Result<()> {
        let zero = "0".repeat(self.empty_tree()?.len());
        let mut input = Vec::new();
        for (path, row) in rows {
            checked_rel_path(path)?;
            let line = match row {
                Some((mode, id)) => format!("{mode:o} {id}\t"),
                None => format!("0 {zero}\t"),
            };
            input.extend_from_slice(line.as_bytes());
            input.extend_from_slice(path.as_bytes());
            input.push(0);
        }
        self.git
            .output_with_input(&["update-index", "-z", "--index-info"], &input)
            .map(drop)
    }

    /// Refuses a path a sparse checkout leaves out, as `git add` does (see
    /// `writes::kinds::refuse_outside_cone`): a skip-worktree entry, or a path outside the cone.
    fn refuse_outside_cone(&self, rel_path: &str) -> Result<()> {
        let on = |key: &str| {
            self.git
                .output_allowing(&["config", "--type=bool", key], &[1])
                .is_ok_and(|out| out.trim_ascii() == b"true")
        };
        if !on("core.sparseCheckout") {
            return Ok(());
        }
        let tagged = self.git.output(&["ls-files", "-t", "-z", "--", rel_path])?;
        if tagged.starts_with(b"S ") {
            return Err(crate::git::writes::kinds::outside_cone(rel_path, rel_path));
        }
        crate::git::writes::kinds::refuse_outside_cone_patterns(
            &self.info.git_dir,
            on("core.sparseCheckoutCone"),
            rel_path,
        )
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
        let blobs = self.blobs(&ids)?;
        // HEAD and the index often hold the same blob: each side takes its own copy.
        let take = |entry: Option<(u32, String)>| {
            entry.and_then(|(mode, id)| Some((blobs.get(&id)?.clone(), mode)))
        };
        let index_mode = index.as_ref().map(|(mode, _)| *mode);
        let index = take(index);
        let head = take(head);
        let trusted = self
            .git
            .output_allowing(&["config", "--type=bool", "core.fileMode"], &[1])
            .map(|out| out.trim_ascii() != b"false")
            .unwrap_or(cfg!(unix));
        // The bytes as `git add` stores them: line endings and `ident` as the attributes say.
        let rule = self.text_rule(rel_path)?;
        let in_index = index.as_ref().map(|(content, _)| content.as_slice());
        let worktree = convert::as_added_in(
            &self.info.root,
            rel_path,
            text,
            index_mode,
            trusted,
            |raw| Ok(rule.apply(raw, in_index)),
        )?;
        Ok(Sides {
            index,
            intent_to_add: false,
            head,
            worktree,
        })
    }

    /// The mode and id of one `ls-files -s` or `ls-tree` row (the id is field `id_field`).
    pub(super) fn entry(&self, args: &[&str], id_field: usize) -> Result<Option<(u32, String)>> {
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

/// A zone as git prints it (`+0130`, `-0800`) in minutes east of UTC.
fn zone_minutes(zone: &str) -> i32 {
    let (sign, digits) = match zone.strip_prefix('-') {
        Some(digits) => (-1, digits),
        None => (1, zone.trim_start_matches('+')),
    };
    let hours: i32 = digits.get(..2).and_then(|h| h.parse().ok()).unwrap_or(0);
    let minutes: i32 = digits.get(2..4).and_then(|m| m.parse().ok()).unwrap_or(0);
    sign * (hours * 60 + minutes)
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

    #[test]
    fn zones_are_read_in_minutes_east() {
        assert_eq!(zone_minutes("+0000"), 0);
        assert_eq!(zone_minutes("+0130"), 90);
        assert_eq!(zone_minutes("-0800"), -480);
    }
}
