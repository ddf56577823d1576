//! The absorb document (`<git dir>/COMMIT_ABSORB`): the fix-ups absorb proposes, in the manner
//! of the commit plan's document, to be edited and saved (apply) or closed (cancel).
//!
//! Each `fixup <sha> <subject>` line starts the fix-up of that commit; each indented line under
//! it names one hunk by path and numbers, as in the plan document. Moving a hunk line moves the
//! hunk to another fix-up, deleting it leaves the hunk uncommitted. A comment
//! `# absorb <fingerprint> <head>` ties the document to the work and the HEAD it was made for.
//! Parsing turns each `fixup` line into the plan document's `commit` line (same line numbers)
//! and lets the plan's parser read the hunks, so that both documents read hunks one way.

use super::apply::{fixups_of, Fixup};
use super::AbsorbReport;
use crate::plan::{DocumentError, HunkKind, PlanError, PlanHunk};

/// The file name of the absorb document inside the git directory.
pub const DOCUMENT_NAME: &str = "COMMIT_ABSORB";

/// A parsed absorb document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedAbsorb {
    /// The fix-ups the document lists, in its order (a moved hunk line moves the hunk).
    pub fixups: Vec<Fixup>,
    /// The fingerprint and HEAD the document was made for, if it says.
    pub made_for: Option<(String, String)>,
}

fn short(id: &str) -> &str {
    &id[..id.len().min(7)]
}

/// Writes the fix-ups a report proposes as a document.
pub fn render(report: &AbsorbReport) -> String {
    let fixups = fixups_of(report);
    let hunks: usize = fixups.iter().map(|f| f.hunks.len()).sum();
    let mut out = format!(
        "# Absorb for {} at {}: {hunks} hunk{} into {} commit{}.\n#\n",
        report.root.display(),
        &report.head[..report.head.len().min(12)],
        if hunks == 1 { "" } else { "s" },
        fixups.len(),
        if fixups.len() == 1 { "" } else { "s" },
    );
    for line in [
        "Each `fixup <sha> <subject>` line makes one `fixup! <subject>` commit of the indented",
        "hunk lines under it. Move a hunk line to fold it into another commit, delete it to",
        "leave the hunk uncommitted. Save to apply; close without saving to cancel.",
    ] {
        out.push_str(&format!("# {line}\n"));
    }
    out.push_str(&format!(
        "# absorb {} {}\n",
        report.fingerprint, report.head
    ));
    for fixup in &fixups {
        let subject = report
            .candidate(&fixup.target)
            .map_or("", |(_, c)| c.subject.as_str());
        out.push_str(&format!(
            "\nfixup {} {}\n",
            short(&fixup.target),
            one_line(subject)
        ));
        for i in &fixup.hunks {
            if let Some(h) = report.hunks.iter().find(|h| h.index == *i) {
                out.push_str(&format!("  {}\n", label(h)));
            }
        }
    }
    let targets: Vec<&str> = fixups.iter().map(|f| f.target.as_str()).collect();
    let others: Vec<_> = report
        .candidates
        .iter()
        .filter(|c| !targets.contains(&c.id.as_str()))
        .collect();
    if !others.is_empty() {
        out.push_str("\n# Other commits of the branch (uncomment a line to fold hunks into it):\n");
        for c in others {
            out.push_str(&format!(
                "# fixup {} {}\n",
                short(&c.id),
                one_line(&c.subject)
            ));
        }
    }
    let left: Vec<_> = report.hunks.iter().filter(|h| h.target.is_none()).collect();
    if !left.is_empty() {
        out.push_str("\n# Left behind (a hunk line may be moved under a fixup line):\n");
        for h in left {
            out.push_str(&format!(
                "#   {}  ({})\n",
                label(h),
                one_line(h.reason.as_deref().unwrap_or(""))
            ));
        }
    }
    out
}

fn label(h: &super::AbsorbedHunk) -> String {
    let header = h.header.trim();
    if header.is_empty() {
        format!("{} {}", h.path, h.range)
    } else {
        format!("{} {} {}", h.path, h.range, one_line(header))
    }
}

fn one_line(text: &str) -> String {
    text.replace(['\n', '\r'], " ")
}

/// Parses a document against a report of the work as it is now. Every problem is reported with
/// its line, and any problem means nothing may be applied.
pub fn parse(text: &str, report: &AbsorbReport) -> Result<ParsedAbsorb, PlanError> {
    let mut problems: Vec<(usize, String)> = Vec::new();
    let mut made_for = None;
    let mut targets: Vec<String> = Vec::new();
    let mut as_plan = String::with_capacity(text.len());
    for (n, raw) in text.lines().enumerate() {
        let trimmed = raw.trim();
        if let Some(rest) = trimmed.strip_prefix("# absorb ") {
            let mut words = rest.split_whitespace();
            if let (Some(print), Some(head)) = (words.next(), words.next()) {
                made_for = Some((print.to_string(), head.to_string()));
            }
        }
        let fixup = (!raw.starts_with([' ', '\t']))
            .then(|| trimmed.strip_prefix("fixup"))
            .flatten()
            .filter(|rest| rest.is_empty() || rest.starts_with([' ', '\t']));
        match fixup {
            Some(rest) => {
                let sha = rest.split_whitespace().next().unwrap_or("");
                match resolve(sha, report) {
                    Ok(id) => targets.push(id),
                    Err(problem) => {
                        problems.push((n + 1, problem));
                        targets.push(String::new());
                    }
                }
                as_plan.push_str(&format!("commit {}\n", targets.len()));
            }
            None => {
                as_plan.push_str(raw);
                as_plan.push('\n');
            }
        }
    }
    let hunks: Vec<PlanHunk> = report.hunks.iter().map(plan_hunk).collect();
    let parsed = crate::plan::parse_document(&as_plan, &hunks);
    if let Err(e) = &parsed {
        problems.extend(e.problems.iter().cloned());
    }
    if !problems.is_empty() {
        problems.sort();
        return Err(DocumentError { problems }.into());
    }
    let parsed = parsed?;
    let mut fixups: Vec<Fixup> = Vec::new();
    for commit in parsed.commits {
        let k: usize = commit.title.parse().unwrap_or(0);
        let target = targets.get(k.wrapping_sub(1)).cloned().unwrap_or_default();
        let indices: Vec<usize> = commit
            .hunks
            .iter()
            .map(|i| report.hunks[*i].index)
            .collect();
        // Two blocks for one commit make one fix-up.
        match fixups.iter_mut().find(|f| f.target == target) {
            Some(f) => f.hunks.extend(indices),
            None => fixups.push(Fixup {
                target,
                hunks: indices,
            }),
        }
    }
    Ok(ParsedAbsorb { fixups, made_for })
}

/// The full id of the candidate a `fixup` line's sha names.
fn resolve(sha: &str, report: &AbsorbReport) -> Result<String, String> {
    if sha.len() < 4 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!(
            "expected `fixup <sha> <subject>`, found {:?}",
            format!("fixup {sha}").trim()
        ));
    }
    let matching: Vec<&str> = report
        .candidates
        .iter()
        .map(|c| c.id.as_str())
        .filter(|id| id.starts_with(&sha.to_ascii_lowercase()))
        .collect();
    match matching.as_slice() {
        [one] => Ok(one.to_string()),
        [] => Err(format!(
            "{sha} is not one of the branch's own commits (those absorb may fold into)"
        )),
        _ => Err(format!("{sha} names more than one commit; give more of it")),
    }
}

/// A report's hunk as the plan document's parser knows hunks (by their numbers alone).
fn plan_hunk(h: &super::AbsorbedHunk) -> PlanHunk {
    PlanHunk {
        path: h.key.path.clone(),
        range: h.key.range,
        header: h.header.clone(),
        kind: HunkKind::Text,
        removed: Vec::new(),
        added: Vec::new(),
        staged: h.staged,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::absorb::{AbsorbedHunk, Candidate};
    use crate::hunk_range::HunkRange;
    use crate::plan::HunkKey;

    fn hunk(index: usize, path: &str, old_start: u32, target: Option<&str>) -> AbsorbedHunk {
        AbsorbedHunk {
            path: path.into(),
            range: format!("@@ -{old_start},1 +{old_start},1 @@"),
            header: String::new(),
            staged: false,
            target: target.map(str::to_string),
            reason: target
                .is_none()
                .then(|| "lines come from before the branch".into()),
            index,
            key: HunkKey {
                path: path.into(),
                range: HunkRange {
                    old_start,
                    old_lines: 1,
                    new_start: old_start,
                    new_lines: 1,
                },
            },
        }
    }

    fn report() -> AbsorbReport {
        let a = "aaaa111122223333444455556666777788889999".to_string();
        let b = "bbbb111122223333444455556666777788889999".to_string();
        AbsorbReport {
            candidates: vec![
                Candidate {
                    id: a.clone(),
                    subject: "newest".into(),
                },
                Candidate {
                    id: b.clone(),
                    subject: "older".into(),
                },
            ],
            hunks: vec![
                hunk(0, "x", 1, Some(&a)),
                hunk(2, "y", 5, Some(&b)),
                hunk(3, "z", 9, None),
            ],
            root: "/r".into(),
            head: a,
            fingerprint: "f00d".into(),
            all_work: true,
        }
    }

    #[test]
    fn a_rendered_document_parses_back_to_the_proposed_fixups() {
        let r = report();
        let text = render(&r);
        assert!(
            text.contains("fixup bbbb111 older\n  y @@ -5,1 +5,1 @@\n"),
            "{text}"
        );
        let parsed = parse(&text, &r).unwrap();
        assert_eq!(parsed.fixups, fixups_of(&r));
        assert_eq!(parsed.fixups[0].target, r.candidates[1].id, "oldest first");
        assert_eq!(parsed.made_for, Some(("f00d".to_string(), r.head.clone())));
    }

    #[test]
    fn moving_and_deleting_hunk_lines_does_what_it_says() {
        let r = report();
        let text =
            "# absorb f00d x\nfixup aaaa111 newest\n  y @@ -5,1 +5,1 @@\n  z @@ -9,1 +9,1 @@\n";
        let parsed = parse(text, &r).unwrap();
        assert_eq!(
            parsed.fixups,
            vec![Fixup {
                target: r.candidates[0].id.clone(),
                hunks: vec![2, 3]
            }]
        );
    }

    #[test]
    fn an_unknown_commit_or_hunk_is_refused_with_its_line() {
        let r = report();
        let text =
            "fixup cccc111 nope\n  x @@ -1,1 +1,1 @@\nfixup aaaa111 newest\n  q @@ -1,1 +1,1 @@\n";
        let error = parse(text, &r).unwrap_err().to_string();
        assert!(
            error.contains("line 1: cccc111 is not one of the branch's own commits"),
            "{error}"
        );
        assert!(error.contains("line 4: no uncommitted hunk q"), "{error}");
    }
}
