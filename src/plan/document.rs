//! The plan document (`.git/COMMIT_PLAN`): a todo list in the manner of `git rebase -i`.
//!
//! `#` lines are comments. Each `commit <title>` line starts a commit; each indented line under it
//! names one hunk by path and numbers (`  src/config.rs @@ -10,3 +10,7 @@ fn parse`; the text
//! after the second `@@` is only a reminder). Moving a hunk line moves the hunk, deleting it
//! leaves the hunk uncommitted, editing a title or reordering commits does what it says. A
//! comment `# plan <fingerprint>` ties the document to the work it was made for.

use std::collections::HashMap;

use super::{HunkKey, Plan, PlanHunk};
use crate::hunk_range::HunkRange;

/// One commit of a parsed plan document: its title and its hunks (indices into the work's hunks).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedCommit {
    /// The commit's title, as the document has it (the commit message).
    pub title: String,
    /// Its hunks: indices into the work's hunks, in the document's order.
    pub hunks: Vec<usize>,
}

/// A parsed plan document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedDocument {
    /// The commits, in the order they are to be made.
    pub commits: Vec<PlannedCommit>,
    /// The fingerprint of the work the document was made for, if it says.
    pub fingerprint: Option<String>,
}

/// What is wrong with a plan document, line by line (1-based line numbers).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the plan document cannot be applied; nothing was applied:\n{}", render_problems(.problems))]
pub struct DocumentError {
    /// Each problem with the line it is on (1-based).
    pub problems: Vec<(usize, String)>,
}

fn render_problems(problems: &[(usize, String)]) -> String {
    problems
        .iter()
        .map(|(line, message)| format!("line {line}: {message}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The file name of the plan document inside the git directory.
pub const DOCUMENT_NAME: &str = "COMMIT_PLAN";

/// Writes a plan as a document.
pub fn render_document(plan: &Plan) -> String {
    let mut out = String::new();
    let head = plan
        .head
        .as_deref()
        .map(|h| &h[..h.len().min(12)])
        .unwrap_or("(no commit yet)");
    out.push_str(&format!(
        "# Commit plan for {} at {head}: {} commits.\n",
        plan.root.display(),
        plan.groups.len()
    ));
    if let Some(note) = &plan.coarse_note {
        out.push_str(&format!("# Note: {note}.\n"));
    }
    out.push_str("#\n");
    out.push_str(
        "# Each `commit <title>` line starts a commit, in order; the indented lines under it\n",
    );
    out.push_str(
        "# are its hunks. Move a hunk line to move the hunk, delete it to leave the hunk\n",
    );
    out.push_str(
        "# uncommitted, edit a title, reorder commits. Save to apply; close without saving\n",
    );
    out.push_str("# to cancel. Lines starting with # are ignored.\n");
    out.push_str(&format!("# plan {}\n", plan.fingerprint));
    for group in &plan.groups {
        out.push('\n');
        out.push_str(&format!("commit {}\n", one_line(&group.title)));
        if !group.why.is_empty() {
            out.push_str(&format!("# why: {}\n", one_line(&group.why)));
        }
        for i in &group.hunks {
            if let Some(hunk) = plan.hunks.get(*i) {
                out.push_str(&format!("  {}\n", one_line(&hunk.label())));
            }
        }
    }
    out
}

fn one_line(text: &str) -> String {
    text.replace(['\n', '\r'], " ")
}

/// Parses a document against the work's current hunks. Every problem is reported with its line,
/// and any problem means nothing may be applied.
pub fn parse_document(text: &str, hunks: &[PlanHunk]) -> Result<ParsedDocument, DocumentError> {
    let by_key: HashMap<HunkKey, usize> = hunks
        .iter()
        .enumerate()
        .map(|(i, h)| (h.key(), i))
        .collect();
    let mut problems: Vec<(usize, String)> = Vec::new();
    let mut commits: Vec<PlannedCommit> = Vec::new();
    let mut seen: HashMap<usize, usize> = HashMap::new();
    let mut fingerprint = None;
    for (n, raw) in text.lines().enumerate() {
        let line_no = n + 1;
        let line = raw.trim_end_matches('\r');
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        if let Some(comment) = trimmed.strip_prefix('#') {
            if let Some(print) = comment.trim().strip_prefix("plan ") {
                fingerprint = Some(print.trim().to_string());
            }
            continue;
        }
        let indented = line.starts_with([' ', '\t']);
        if !indented {
            let Some(title) = trimmed
                .strip_prefix("commit")
                .filter(|rest| rest.is_empty() || rest.starts_with([' ', '\t']))
            else {
                problems.push((
                    line_no,
                    format!(
                        "expected `commit <title>` or an indented hunk line, found {trimmed:?}"
                    ),
                ));
                continue;
            };
            let title = title.trim();
            if title.is_empty() {
                problems.push((line_no, "a commit needs a title after `commit`".to_string()));
            }
            commits.push(PlannedCommit {
                title: title.to_string(),
                hunks: Vec::new(),
            });
            continue;
        }
        let Some(key) = parse_hunk_line(trimmed) else {
            problems.push((
                line_no,
                format!("cannot read {trimmed:?} as `<path> @@ -start,lines +start,lines @@`"),
            ));
            continue;
        };
        let Some(index) = by_key.get(&key).copied() else {
            problems.push((
                line_no,
                format!(
                    "no uncommitted hunk {} {} (the work may have changed since the plan was made)",
                    key.path, key.range
                ),
            ));
            continue;
        };
        if commits.is_empty() {
            problems.push((
                line_no,
                "a hunk line before any `commit <title>` line".to_string(),
            ));
            continue;
        }
        if let Some(first) = seen.get(&index) {
            problems.push((
                line_no,
                format!("this hunk is already named on line {first}"),
            ));
            continue;
        }
        seen.insert(index, line_no);
        if let Some(commit) = commits.last_mut() {
            commit.hunks.push(index);
        }
    }
    if !problems.is_empty() {
        return Err(DocumentError { problems });
    }
    commits.retain(|c| !c.hunks.is_empty());
    Ok(ParsedDocument {
        commits,
        fingerprint,
    })
}

/// Reads `path @@ -a,b +c,d @@ context` (a count of 1 may be left out, as git does).
fn parse_hunk_line(line: &str) -> Option<HunkKey> {
    let at = line.find(" @@ -")?;
    let path = line[..at].trim();
    if path.is_empty() {
        return None;
    }
    let (range, _context) = HunkRange::parse(&line[at + 1..])?;
    Some(HunkKey {
        path: path.to_string(),
        range,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Group, HunkKind};
    use expect_test::expect;

    fn hunk(path: &str, old_start: u32, new_start: u32) -> PlanHunk {
        PlanHunk {
            path: path.to_string(),
            range: HunkRange {
                old_start,
                old_lines: 1,
                new_start,
                new_lines: 2,
            },
            header: "fn parse".to_string(),
            kind: HunkKind::Text,
            removed: vec![b"a\n".to_vec()],
            added: vec![b"b\n".to_vec(), b"c\n".to_vec()],
            staged: false,
        }
    }

    fn plan() -> Plan {
        let hunks = vec![
            hunk("src/a.rs", 3, 3),
            hunk("src/a.rs", 20, 21),
            hunk("b c.md", 1, 1),
        ];
        Plan {
            root: "/repo".into(),
            head: Some("0123456789abcdef".to_string()),
            fingerprint: crate::plan::fingerprint(&hunks),
            hunks,
            groups: vec![
                Group {
                    title: "a: update parse".to_string(),
                    why: "same function".to_string(),
                    hunks: vec![0, 1],
                },
                Group {
                    title: "docs".to_string(),
                    why: String::new(),
                    hunks: vec![2],
                },
            ],
            coarse_note: None,
        }
    }

    #[test]
    fn a_rendered_plan_parses_back_to_itself() {
        let plan = plan();
        let text = render_document(&plan);
        expect![[r#"
            # Commit plan for /repo at 0123456789ab: 2 commits.
            #
            # Each `commit <title>` line starts a commit, in order; the indented lines under it
            # are its hunks. Move a hunk line to move the hunk, delete it to leave the hunk
            # uncommitted, edit a title, reorder commits. Save to apply; close without saving
            # to cancel. Lines starting with # are ignored.
            # plan e86d0e4b95343829

            commit a: update parse
            # why: same function
              src/a.rs @@ -3,1 +3,2 @@ fn parse
              src/a.rs @@ -20,1 +21,2 @@ fn parse

            commit docs
              b c.md @@ -1,1 +1,2 @@ fn parse
        "#]]
        .assert_eq(&text);
        let parsed = parse_document(&text, &plan.hunks).unwrap();
        assert_eq!(
            parsed.fingerprint.as_deref(),
            Some(plan.fingerprint.as_str())
        );
        assert_eq!(
            parsed.commits,
            vec![
                PlannedCommit {
                    title: "a: update parse".to_string(),
                    hunks: vec![0, 1]
                },
                PlannedCommit {
                    title: "docs".to_string(),
                    hunks: vec![2]
                },
            ]
        );
    }

    #[test]
    fn moved_and_deleted_hunk_lines_move_and_drop_hunks() {
        let plan = plan();
        let text = "commit first\n  src/a.rs @@ -20,1 +21,2 @@\ncommit second\n  b c.md @@ -1 +1,2 @@ whatever\n\ncommit empty\n";
        let parsed = parse_document(text, &plan.hunks).unwrap();
        assert_eq!(
            parsed.commits,
            vec![
                PlannedCommit {
                    title: "first".to_string(),
                    hunks: vec![1]
                },
                PlannedCommit {
                    title: "second".to_string(),
                    hunks: vec![2]
                },
            ]
        );
        assert_eq!(parsed.fingerprint, None);
    }

    #[test]
    fn every_bad_line_is_named() {
        let plan = plan();
        let text = "  src/a.rs @@ -3,1 +3,2 @@\ncommit one\n  src/a.rs @@ -3,1 +3,2 @@\n  src/a.rs @@ -3,1 +3,2 @@\n  src/nope.rs @@ -1,1 +1,1 @@\npick two\n  src/a.rs @@ -x +1 @@\ncommit\n";
        let error = parse_document(text, &plan.hunks).unwrap_err();
        let lines: Vec<usize> = error.problems.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, vec![1, 4, 5, 6, 7, 8], "{error}");
        expect![[r#"
            the plan document cannot be applied; nothing was applied:
            line 1: a hunk line before any `commit <title>` line
            line 4: this hunk is already named on line 3
            line 5: no uncommitted hunk src/nope.rs @@ -1,1 +1,1 @@ (the work may have changed since the plan was made)
            line 6: expected `commit <title>` or an indented hunk line, found "pick two"
            line 7: cannot read "src/a.rs @@ -x +1 @@" as `<path> @@ -start,lines +start,lines @@`
            line 8: a commit needs a title after `commit`"#]].assert_eq(&error.to_string());
    }
}
