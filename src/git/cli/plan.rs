//! What the planner reads and writes where libgit2 cannot open the repository (SHA-256 object
//! names), through the hardened git (`run`): the work from git's own `-U0` patches (in every
//! repository, so that the plan's hunks are exactly `git diff`'s), what stops a plan (an
//! operation in progress, conflicts), the co-change history from `git log`, and the blobs and
//! index rows an applied plan writes (`git hash-object`, `git update-index --index-info`).

use crate::git::cli::CliRepo;
use crate::git::convert;
use crate::git::error::Result;
use crate::git::patch::{
    lines_of, parse_patch, FilePatch, PatchChange, PatchHunk, WorkPatch, MAX_TEXT_BYTES,
};
use crate::git::refs::head_id_by_cli;
use crate::git::repo::checked_rel_path;
use crate::hunk_range::HunkRange;

use super::backend::BINARY_PROBE;

impl CliRepo {
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
}
