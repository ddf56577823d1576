//! What absorb reads and writes where libgit2 cannot open the repository (SHA-256 object
//! names), through the hardened git (`run`): the same answers as `git::blame` gives from
//! libgit2, so that absorb decides alike in both (absorb's `target` is shared).
//!
//! - the branch's commits: `git log --first-parent` from HEAD, ended before the first commit the
//!   upstream has (`git rev-list HEAD --not <upstream>` lists the ones it lacks);
//! - who last changed each line of a file in HEAD: `git blame --porcelain <boundary>..HEAD`, with
//!   no textconv and no `blame.ignoreRevsFile` (libgit2 reads neither);
//! - the index entries to put back (`git ls-files -s`, `git update-index --index-info`) and the
//!   refs a rewrite moves (`git update-ref` with the old value checked).
//!
//! Nothing here runs a program of the repository's: the runner switches hooks, fsmonitor, filters
//! and diff drivers off, and `--no-show-signature` keeps `git log` from starting gpg.

use std::collections::HashSet;

use crate::git::blame::{BranchCommit, SavedIndex};
use crate::git::cli::CliRepo;
use crate::git::error::Result;
use crate::git::refs::head_id_by_cli;
use crate::git::repo::checked_rel_path;

impl CliRepo {
    /// HEAD's branch (without `refs/heads/`; `None` when detached) and commit (`None` when
    /// unborn).
    pub(crate) fn head_ids(&self) -> Result<(Option<String>, Option<String>)> {
        head_id_by_cli(&self.git)
    }

    /// `user.email` as git reads it, if set.
    pub(crate) fn user_email(&self) -> Result<Option<String>> {
        let out = self.git.output_allowing(&["config", "user.email"], &[1])?;
        let email = String::from_utf8_lossy(&out).trim().to_string();
        Ok((!email.is_empty()).then_some(email))
    }

    /// The branch's commits from HEAD along first parents, newest first, as
    /// `git::blame::branch_commits` reads them with libgit2.
    pub(crate) fn branch_commits(&self, limit: usize) -> Result<Vec<BranchCommit>> {
        if head_id_by_cli(&self.git)?.1.is_none() {
            return Ok(Vec::new());
        }
        let up = self.git.output_allowing(
            &["rev-parse", "-q", "--verify", "HEAD@{upstream}^{commit}"],
            &[1, 128],
        )?;
        let up = String::from_utf8_lossy(&up).trim().to_string();
        // With an upstream: the commits it lacks (all of them, through every parent); the walk
        // along first parents ends at the first commit not among them.
        let own: Option<HashSet<String>> = if up.is_empty() {
            None
        } else {
            let out = self.git.output(&["rev-list", "HEAD", "--not", &up])?;
            Some(
                String::from_utf8_lossy(&out)
                    .lines()
                    .map(str::to_string)
                    .collect(),
            )
        };
        let walk = own.as_ref().map_or(limit, |own| own.len() + 1).to_string();
        let out = self.git.output(&[
            "log",
            "--first-parent",
            "--no-show-signature",
            "-n",
            &walk,
            "--format=%x01%H%x02%P%x02%ae%x02%s",
            "HEAD",
        ])?;
        let mut commits = Vec::new();
        for record in String::from_utf8_lossy(&out).split('\u{1}').skip(1) {
            let mut fields = record.trim_end_matches('\n').splitn(4, '\u{2}');
            let (Some(id), Some(parents), Some(email), subject) =
                (fields.next(), fields.next(), fields.next(), fields.next())
            else {
                continue;
            };
            if parents.split(' ').filter(|p| !p.is_empty()).count() > 1 {
                break;
            }
            if own.as_ref().is_some_and(|own| !own.contains(id)) {
                break;
            }
            commits.push(BranchCommit {
                id: id.to_string(),
                subject: subject.unwrap_or("").to_string(),
                author_email: email.to_string(),
            });
        }
        Ok(commits)
    }

    /// The commit `git blame --porcelain` names for each line of `rel_path` in HEAD, following
    /// history no further back than `boundary`; `None` when HEAD lacks the file.
    pub(crate) fn blame_head(
        &self,
        rel_path: &str,
        boundary: Option<&str>,
    ) -> Result<Option<Vec<String>>> {
        checked_rel_path(rel_path)?;
        if head_id_by_cli(&self.git)?.1.is_none() {
            return Ok(None);
        }
        match self.entry(&["ls-tree", "-z", "HEAD", "--", rel_path], 2)? {
            Some((mode, _)) if mode != 0o040000 && mode != 0o160000 => {}
            _ => return Ok(None),
        }
        let range = match boundary {
            Some(boundary) => format!("{boundary}..HEAD"),
            None => "HEAD".to_string(),
        };
        let out = self.git.output(&[
            "-c",
            "blame.ignoreRevsFile=",
            "blame",
            "--porcelain",
            "--no-textconv",
            &range,
            "--",
            rel_path,
        ])?;
        Ok(Some(porcelain_lines(&out)))
    }

    /// The first remote-tracking branch (its short name) whose tip has `commit`.
    pub(crate) fn remote_having(&self, commit: &str) -> Result<Option<String>> {
        let out = self.git.output(&[
            "for-each-ref",
            "--contains",
            commit,
            "--format=%(refname:short)%00%(symref)",
            "refs/remotes/",
        ])?;
        Ok(String::from_utf8_lossy(&out)
            .lines()
            .filter_map(|line| line.split_once('\0'))
            .find(|(_, symref)| symref.is_empty())
            .map(|(name, _)| name.to_string()))
    }

    /// The stage-0 index entries of `paths` (each once), as `git ls-files -s` lists them.
    pub(crate) fn save_index(&self, paths: &[&str]) -> Result<SavedIndex> {
        let mut rows: Vec<(String, Option<(u32, String)>)> = Vec::new();
        for path in paths {
            if rows.iter().any(|(p, _)| p == path) {
                continue;
            }
            let row = self.index_row(path)?.map(|(id, mode)| (mode, id));
            rows.push((path.to_string(), row));
        }
        Ok(SavedIndex::Cli(rows))
    }

    /// A commit's tree id and first parent.
    pub(crate) fn commit_tree_and_parent(&self, commit: &str) -> Result<(String, Option<String>)> {
        let out = self.git.output(&[
            "log",
            "-1",
            "--no-show-signature",
            "--format=%T%x02%P",
            commit,
            "--",
        ])?;
        let text = String::from_utf8_lossy(&out);
        let (tree, parents) = text.trim().split_once('\u{2}').unwrap_or((text.trim(), ""));
        Ok((
            tree.to_string(),
            parents
                .split(' ')
                .find(|p| !p.is_empty())
                .map(str::to_string),
        ))
    }

    /// Points the ref `name` at `id` (`git update-ref`); with `expected`, only if it points
    /// there now.
    pub(crate) fn set_ref(
        &self,
        name: &str,
        id: &str,
        expected: Option<&str>,
        message: &str,
    ) -> Result<()> {
        let mut args = vec!["update-ref", "-m", message, name, id];
        args.extend(expected);
        self.git.output(&args).map(drop)
    }
}

/// Per final line, the commit of `git blame --porcelain`'s output: each line of the file has a
/// header `<commit> <original line> <final line>[ <lines in group>]`; the other headers
/// (`author …`, `filename …`) and the tab-led content lines are skipped.
fn porcelain_lines(out: &[u8]) -> Vec<String> {
    let mut origin: Vec<String> = Vec::new();
    for line in out.split(|&b| b == b'\n') {
        if line.first() == Some(&b'\t') {
            continue;
        }
        let text = String::from_utf8_lossy(line);
        let fields: Vec<&str> = text.split(' ').collect();
        let (Some(id), Some(Ok(at))) = (fields.first(), fields.get(2).map(|n| n.parse::<usize>()))
        else {
            continue;
        };
        let is_commit = id.len() >= 40 && id.bytes().all(|b| b.is_ascii_hexdigit());
        if !is_commit || at == 0 || !(3..=4).contains(&fields.len()) {
            continue;
        }
        if origin.len() < at {
            origin.resize(at, String::new());
        }
        origin[at - 1] = id.to_string();
    }
    origin
}

#[cfg(test)]
mod tests {
    use super::porcelain_lines;

    #[test]
    fn porcelain_names_each_final_line_and_skips_the_rest() {
        let a = "a".repeat(64);
        let b = "b".repeat(40);
        let out = format!(
            "{a} 1 1 2\nauthor Dev\nfilename f\n\tone\n{a} 2 2\n\t{b} 9 9\n{b} 1 3 1\nboundary\nsummary x y z\n\tthree\n"
        );
        assert_eq!(porcelain_lines(out.as_bytes()), vec![a.clone(), a, b]);
    }
}
