//! Absorb: the commit each uncommitted hunk amends, among the current branch's own commits.
//!
//! Why a room of its own: after a few small commits a fix often belongs to one of them, and the
//! answer should be a `fixup!` commit for that one, not a new "fix typo" commit. This room decides
//! the target of each hunk; it is pure (`target`): hunks, candidate commits and, per old line, the
//! commit that last changed it go in; a target or a reason comes out. `blame` reads those lines
//! through the front door (`git::Repo`: libgit2, or git itself in a SHA-256 repository), so the
//! decisions are the same whichever backend reads.
//!
//! The rule (precision over recall: a wrong target is worse than none):
//! - a hunk whose removed lines all come from one candidate belongs to it;
//! - a pure addition belongs to a candidate when the lines on both sides of it come from that
//!   candidate (or one side is the edge of the file and the other comes from it);
//! - anything else is left behind, with its reason: lines of two candidates, lines from before the
//!   branch, a new file, a binary or mode change.

pub mod apply;
pub(crate) mod blame;
pub(crate) mod document;

use serde::Serialize;

/// What kind of change a hunk is, as far as finding its target is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AbsorbKind {
    /// Lines changed in a file that exists in HEAD.
    Text,
    /// A file HEAD lacks.
    Added,
    /// A binary, mode-only or type change: no lines to blame.
    Whole,
}

/// One hunk as `git diff -U0` numbers it on the old side (HEAD).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AbsorbHunk {
    pub path: String,
    pub old_start: u32,
    pub old_lines: u32,
    pub kind: AbsorbKind,
}

/// Who last changed each line of a file in HEAD: `origin[i]` is the index into the candidates of
/// the commit that last changed line `i + 1`, or `None` when it comes from before the branch.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct FileBlame {
    pub origin: Vec<Option<usize>>,
}

/// The decision for one hunk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub(crate) enum Decision {
    /// The index into the candidates of the commit this hunk amends.
    Target { commit: usize },
    /// Left behind, with a sentence saying why.
    Left { reason: String },
}

/// A candidate commit: its id and subject (newest first in the candidate list).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Candidate {
    /// The commit's full id.
    pub id: String,
    /// The first line of its message.
    pub subject: String,
}

fn short(c: &Candidate) -> &str {
    &c.id[..c.id.len().min(7)]
}

/// The target of one hunk, from the blame of its file in HEAD (`None` when HEAD lacks the file).
pub(crate) fn target(
    hunk: &AbsorbHunk,
    blame: Option<&FileBlame>,
    candidates: &[Candidate],
) -> Decision {
    let left = |reason: String| Decision::Left { reason };
    match hunk.kind {
        AbsorbKind::Added => return left("new file: no earlier commit".into()),
        AbsorbKind::Whole => return left("binary or mode change: no lines to blame".into()),
        AbsorbKind::Text => {}
    }
    let Some(blame) = blame else {
        return left("new file: no earlier commit".into());
    };
    let line = |n: u32| -> Option<Option<usize>> {
        // Some(origin) for a line of the file, None beyond its edges.
        if n == 0 {
            return None;
        }
        blame.origin.get(n as usize - 1).copied()
    };
    let origins: Vec<Option<usize>> = if hunk.old_lines > 0 {
        (hunk.old_start..hunk.old_start + hunk.old_lines)
            .map(|n| line(n).unwrap_or(None))
            .collect()
    } else {
        // A pure addition after old line `old_start`: its neighbours decide.
        let sides = [line(hunk.old_start), line(hunk.old_start + 1)];
        let inside: Vec<Option<usize>> = sides.iter().flatten().copied().collect();
        if inside.is_empty() {
            return left("addition to an empty file: no lines to blame".into());
        }
        inside
    };
    let mut seen: Vec<usize> = Vec::new();
    let mut before = false;
    for o in &origins {
        match o {
            Some(c) if !seen.contains(c) => seen.push(*c),
            Some(_) => {}
            None => before = true,
        }
    }
    let names = |seen: &[usize]| {
        seen.iter()
            .map(|&c| short(&candidates[c]).to_string())
            .collect::<Vec<_>>()
            .join(" and ")
    };
    match (seen.as_slice(), before) {
        ([c], false) => Decision::Target { commit: *c },
        ([], true) => left(if hunk.old_lines == 0 {
            "addition next to lines from before the branch".into()
        } else {
            "lines come from before the branch".into()
        }),
        (s, true) => left(format!(
            "touches lines from before the branch and of {}",
            names(s)
        )),
        (s, false) => left(format!(
            "{} lines of {} commits: {}",
            if hunk.old_lines == 0 {
                "added between"
            } else {
                "touches"
            },
            s.len(),
            names(s)
        )),
    }
}

/// One hunk of the work with its decision.
#[derive(Debug, Clone, Serialize)]
pub struct AbsorbedHunk {
    /// The path, `/`-separated, relative to the worktree.
    pub path: String,
    /// Its numbers as git prints them, `@@ -a,b +c,d @@` (the `range` of `absorb --json`).
    pub range: String,
    /// git's hunk-header context (the enclosing function), may be empty.
    pub header: String,
    /// Whether the hunk is staged.
    pub staged: bool,
    /// The target commit's id, when there is one.
    pub target: Option<String>,
    /// Why the hunk has no target.
    pub reason: Option<String>,
    /// The hunk's index in the work as `plan::work_of` reads it (what applying names).
    #[serde(skip)]
    pub(crate) index: usize,
    /// The hunk's numbers, as a document names it.
    #[serde(skip)]
    pub(crate) key: crate::plan::HunkKey,
}

/// The answer for a repository's work: candidates (newest first) and each hunk's decision.
#[derive(Debug, Clone, Serialize)]
pub struct AbsorbReport {
    /// The commits a hunk may amend, newest first.
    pub candidates: Vec<Candidate>,
    /// Each hunk considered (the staged ones when anything is staged, else all) with its
    /// decision.
    pub hunks: Vec<AbsorbedHunk>,
    /// The worktree's root.
    #[serde(skip)]
    pub(crate) root: std::path::PathBuf,
    /// HEAD's commit id when the report was made.
    #[serde(skip)]
    pub(crate) head: String,
    /// The fingerprint of the whole work (`plan::fingerprint`): applying refuses other work.
    #[serde(skip)]
    pub(crate) fingerprint: String,
    /// Whether the report covers every hunk of the work (nothing staged, or everything).
    #[serde(skip)]
    pub(crate) all_work: bool,
}

impl AbsorbReport {
    /// The hunks that have a target.
    pub(crate) fn absorbable(&self) -> impl Iterator<Item = &AbsorbedHunk> {
        self.hunks.iter().filter(|h| h.target.is_some())
    }

    /// Whether every hunk of the work would absorb (and there is some).
    pub(crate) fn absorbs_everything(&self) -> bool {
        self.all_work && !self.hunks.is_empty() && self.hunks.iter().all(|h| h.target.is_some())
    }

    /// "the last commit", "1 commit back", "2 commits back": where the candidate at `place` is.
    pub(crate) fn how_far(place: usize) -> String {
        match place {
            0 => "the last commit".to_string(),
            1 => "1 commit back".to_string(),
            n => format!("{n} commits back"),
        }
    }

    /// The candidate a commit id names, with its place (0: HEAD, 1: HEAD's parent, …).
    pub(crate) fn candidate(&self, id: &str) -> Option<(usize, &Candidate)> {
        self.candidates.iter().enumerate().find(|(_, c)| c.id == id)
    }
}

/// Decides the target of each uncommitted hunk of `repo` (the staged ones when anything is
/// staged, else all), among the user's own commits of the current branch (everyone's when
/// `any_author`). The work is read as the planner reads it (git's own `-U0` patches, so that the
/// hunks are `git diff`'s and those `apply` commits), the commits and blame through the front
/// door, in every kind of repository it serves.
pub fn absorb_report(
    repo: &crate::git::Repo,
    any_author: bool,
) -> Result<AbsorbReport, crate::plan::PlanError> {
    if repo.head_ids()?.0.is_none() {
        return Err(crate::plan::PlanError::Refused(
            "HEAD is detached: no branch to absorb into".into(),
        ));
    }
    let work = crate::plan::work_of(repo)?;
    let email = if any_author { None } else { repo.user_email()? };
    let candidates = blame::candidates(repo, email.as_deref())?;
    if candidates.is_empty() {
        return Err(crate::plan::PlanError::Refused(
            "the branch has no commits of its own to absorb into".into(),
        ));
    }
    let boundary = blame::boundary(repo, &candidates)?;
    let any_staged = work.hunks.iter().any(|h| h.staged);
    let mut blames: std::collections::HashMap<String, Option<FileBlame>> = Default::default();
    let mut hunks = Vec::new();
    for (index, h) in work
        .hunks
        .iter()
        .enumerate()
        .filter(|(_, h)| !any_staged || h.staged)
    {
        let kind = match h.kind {
            crate::plan::HunkKind::Text | crate::plan::HunkKind::Deleted => AbsorbKind::Text,
            crate::plan::HunkKind::Added => AbsorbKind::Added,
            crate::plan::HunkKind::Whole => AbsorbKind::Whole,
        };
        if kind == AbsorbKind::Text && !blames.contains_key(&h.path) {
            let b = blame::blame_file(repo, &h.path, &candidates, boundary.as_deref())?;
            blames.insert(h.path.clone(), b);
        }
        let hunk = AbsorbHunk {
            path: h.path.clone(),
            old_start: h.range.old_start,
            old_lines: h.range.old_lines,
            kind,
        };
        let decision = target(
            &hunk,
            blames.get(&h.path).and_then(|b| b.as_ref()),
            &candidates,
        );
        let (target, reason) = match decision {
            Decision::Target { commit } => (Some(candidates[commit].id.clone()), None),
            Decision::Left { reason } => (None, Some(reason)),
        };
        hunks.push(AbsorbedHunk {
            path: h.path.clone(),
            range: h.range.to_string(),
            header: h.header.clone(),
            staged: h.staged,
            target,
            reason,
            index,
            key: h.key(),
        });
    }
    Ok(AbsorbReport {
        candidates,
        hunks,
        root: work.root,
        head: work.head.unwrap_or_default(),
        fingerprint: crate::plan::fingerprint(&work.hunks),
        all_work: work.hunks.iter().all(|h| h.staged == any_staged),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cands() -> Vec<Candidate> {
        vec![
            Candidate {
                id: "a1b2c3d4e5".into(),
                subject: "config: add auto".into(),
            },
            Candidate {
                id: "c3d4e5f6a7".into(),
                subject: "parser: trim".into(),
            },
        ]
    }

    fn hunk(old_start: u32, old_lines: u32) -> AbsorbHunk {
        AbsorbHunk {
            path: "f".into(),
            old_start,
            old_lines,
            kind: AbsorbKind::Text,
        }
    }

    fn blame(o: &[Option<usize>]) -> FileBlame {
        FileBlame { origin: o.to_vec() }
    }

    fn reason(d: Decision) -> String {
        match d {
            Decision::Left { reason } => reason,
            d => panic!("expected a reason, got {d:?}"),
        }
    }

    #[test]
    fn a_change_inside_one_commits_lines_belongs_to_it() {
        let b = blame(&[None, Some(1), Some(1), None]);
        assert_eq!(
            target(&hunk(2, 2), Some(&b), &cands()),
            Decision::Target { commit: 1 }
        );
    }

    #[test]
    fn a_change_over_two_commits_names_both() {
        let b = blame(&[Some(0), Some(1)]);
        assert_eq!(
            reason(target(&hunk(1, 2), Some(&b), &cands())),
            "touches lines of 2 commits: a1b2c3d and c3d4e5f"
        );
    }

    #[test]
    fn lines_from_before_the_branch_are_left() {
        let b = blame(&[None, Some(0)]);
        assert_eq!(
            reason(target(&hunk(1, 1), Some(&b), &cands())),
            "lines come from before the branch"
        );
        assert!(reason(target(&hunk(1, 2), Some(&b), &cands()))
            .starts_with("touches lines from before"));
    }

    #[test]
    fn a_pure_addition_between_lines_of_one_commit_belongs_to_it() {
        let b = blame(&[None, Some(0), Some(0), None]);
        assert_eq!(
            target(&hunk(2, 0), Some(&b), &cands()),
            Decision::Target { commit: 0 }
        );
        // At the edge between a commit's line and an older one: blame cannot decide.
        assert!(reason(target(&hunk(3, 0), Some(&b), &cands())).contains("before the branch"));
        // At the end of the file, after a line of commit 0.
        let b = blame(&[None, Some(0)]);
        assert_eq!(
            target(&hunk(2, 0), Some(&b), &cands()),
            Decision::Target { commit: 0 }
        );
        // At the start of the file, before a line of commit 1.
        let b = blame(&[Some(1), None]);
        assert_eq!(
            target(&hunk(0, 0), Some(&b), &cands()),
            Decision::Target { commit: 1 }
        );
    }

    #[test]
    fn new_files_and_binaries_have_no_target() {
        let mut h = hunk(0, 0);
        h.kind = AbsorbKind::Added;
        assert_eq!(
            reason(target(&h, None, &cands())),
            "new file: no earlier commit"
        );
        h.kind = AbsorbKind::Whole;
        assert!(reason(target(&h, None, &cands())).starts_with("binary"));
        assert!(
            reason(target(&hunk(0, 0), Some(&FileBlame::default()), &cands())).contains("empty")
        );
    }
}
