//! Counting where libgit2 cannot open the repository (SHA-256 object names), through the
//! hardened git (`run`): the numbers are git's own (`git diff --numstat` staged, unstaged and
//! against HEAD; the untracked files listed by `git ls-files --others` and counted as `git add`
//! would take them), and a write re-counts its paths alone (`-- <paths>`).

use crate::git::cli::CliRepo;
use crate::git::convert;
use crate::git::error::Result;
use crate::git::numstat::modified_unix;
use crate::git::refs::head_id_by_cli;
use crate::git::{CountOptions, FileDelta, RepoCounts};

use super::backend::BINARY_PROBE;

impl CliRepo {
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
