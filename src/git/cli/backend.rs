//! A repository libgit2 cannot open at all (SHA-256 object names: libgit2 1.9 reads 20-byte ids
//! only, unless built with its experimental, ABI-breaking `unstable-sha256`), served through the
//! hardened git CLI (`run`): opening it, a file's hunks and a buffer's base, and the index writes
//! of the hunk actions. A file's hunks are computed from the blobs git hands out (`git cat-file`)
//! by the same code as libgit2's path (`hunks::hunks_of_sides`), and the index is written by git
//! (`git update-index --index-info`), never by us. Its counts are in `count`, the planner's reads
//! and writes in `plan`, absorb's in `absorb`. Slower than the scan (one process per question),
//! so only used where libgit2 cannot open the repository (and for the planner's reading).

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
use crate::git::refs::head_id_by_cli;
use crate::git::repo::{checked_rel_path, RepoInfo};
use crate::git::stage::HunkTarget;

/// How much of a file git reads to decide whether it is binary (`FIRST_FEW_BYTES` in xdiff).
pub(super) const BINARY_PROBE: usize = 8000;

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

    /// The id of the empty tree in this repository's hash.
    pub(super) fn empty_tree(&self) -> Result<String> {
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

    /// The tracked path that `rel_path` names under `core.ignorecase=true` when it differs from
    /// it only in case (`A/B.TXT` for a tracked `a/b.txt`): git takes the two for one file, and
    /// `git add A/B.TXT` leaves the index as it is. `None` when the setting is off or no other
    /// name matches.
    pub(crate) fn case_alias(&self, rel_path: &str) -> Result<Option<String>> {
        checked_rel_path(rel_path)?;
        let on = self
            .git
            .output_allowing(&["config", "--type=bool", "core.ignorecase"], &[1])
            .is_ok_and(|out| out.trim_ascii() == b"true");
        if !on {
            return Ok(None);
        }
        // The whole index: this git runs with literal pathspecs, which git will not combine
        // with `icase` magic. Only under this setting, which is rare where case is told apart.
        let listed = self.git.output(&["ls-files", "-z"])?;
        Ok(listed
            .split(|b| *b == 0)
            .map(|name| String::from_utf8_lossy(name).into_owned())
            .find(|name| name != rel_path && name.eq_ignore_ascii_case(rel_path)))
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
    pub(super) fn sides(&self, rel_path: &str, text: Option<&[u8]>) -> Result<Sides> {
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
    pub(super) fn blobs(&self, ids: &[&str]) -> Result<BTreeMap<String, Vec<u8>>> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_are_read_in_minutes_east() {
        assert_eq!(zone_minutes("+0000"), 0);
        assert_eq!(zone_minutes("+0130"), 90);
        assert_eq!(zone_minutes("-0800"), -480);
    }
}
