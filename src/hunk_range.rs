//! A hunk's numbers, `@@ -old_start,old_lines +new_start,new_lines @@` as git prints them.
//!
//! Why a module of its own: the git core (a file's hunks, staging), the planner and absorb (the
//! work's hunks, the plan and absorb documents) and the protocol (the `hunk` argument of
//! `stageHunk`, `unstageHunk` and `absorbHunk`, the hunks of `plan --json`) all carry these four
//! numbers. They share this one type, so the numbers are written, read and turned into lines in
//! one place, and no room has to import another to name a hunk. It depends on nothing but serde.
//!
//! Its serde form is part of the contract (docs/architecture.md): the object
//! `{"old_start", "old_lines", "new_start", "new_lines"}`, unknown keys refused.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The numbers of one hunk, 1-based as git prints them. A side with no lines (`old_lines` of an
/// addition, `new_lines` of a deletion) has as its start the line the change comes after (0 at
/// the top of the file). A hunk with no lines at all (a binary or mode change) is all zeros
/// (`HunkRange::default()`).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(
    deny_unknown_fields,
    expecting = "a hunk's numbers {\"old_start\", \"old_lines\", \"new_start\", \"new_lines\"}"
)]
pub struct HunkRange {
    /// The first old line (HEAD's or the index's side), 1-based.
    pub old_start: u32,
    /// How many old lines the hunk removes.
    pub old_lines: u32,
    /// The first new line (the index's or the working tree's side), 1-based.
    pub new_start: u32,
    /// How many new lines the hunk adds.
    pub new_lines: u32,
}

impl HunkRange {
    /// Reads `@@ -a,b +c,d @@` at the start of `text` (a count of 1 may be left out, as git
    /// does: `@@ -3 +3,2 @@`), and returns the numbers and what follows the closing `@@` (git's
    /// context, such as ` fn parse`, untrimmed). `None` when `text` does not start so.
    pub fn parse(text: &str) -> Option<(HunkRange, &str)> {
        let rest = text.strip_prefix("@@ -")?;
        let end = rest.find(" @@")?;
        let (old, new) = rest[..end].split_once(" +")?;
        let (old_start, old_lines) = side(old)?;
        let (new_start, new_lines) = side(new)?;
        let range = HunkRange {
            old_start,
            old_lines,
            new_start,
            new_lines,
        };
        Some((range, &rest[end + " @@".len()..]))
    }

    /// The old side as 0-based line boundaries `[start, end)`: the old lines the hunk replaces
    /// (an addition's is empty, at the line it comes after).
    pub fn old_span(&self) -> (u32, u32) {
        let start = if self.old_lines == 0 {
            self.old_start
        } else {
            self.old_start.saturating_sub(1)
        };
        (start, start + self.old_lines)
    }

    /// The 0-based first and last lines the hunk covers on its new side (a buffer's lines); a
    /// deletion covers the line after it.
    pub fn new_line_span(&self) -> (u32, u32) {
        let start = if self.new_lines == 0 {
            // A pure deletion: `new_start` is the line before the removed ones.
            self.new_start
        } else {
            self.new_start.saturating_sub(1)
        };
        (start, start + self.new_lines.max(1) - 1)
    }
}

/// `start,lines`, or `start` alone for one line.
fn side(text: &str) -> Option<(u32, u32)> {
    match text.split_once(',') {
        Some((start, lines)) => Some((start.trim().parse().ok()?, lines.trim().parse().ok()?)),
        None => Some((text.trim().parse().ok()?, 1)),
    }
}

impl fmt::Display for HunkRange {
    /// `@@ -10,3 +10,7 @@`, every count written (git leaves out a count of 1; both read alike).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "@@ -{},{} +{},{} @@",
            self.old_start, self.old_lines, self.new_start, self.new_lines
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(old_start: u32, old_lines: u32, new_start: u32, new_lines: u32) -> HunkRange {
        HunkRange {
            old_start,
            old_lines,
            new_start,
            new_lines,
        }
    }

    #[test]
    fn written_and_read_back() {
        let r = range(10, 3, 12, 0);
        assert_eq!(r.to_string(), "@@ -10,3 +12,0 @@");
        assert_eq!(HunkRange::parse(&r.to_string()), Some((r, "")));
        assert_eq!(
            HunkRange::parse("@@ -3 +3,2 @@ fn parse"),
            Some((range(3, 1, 3, 2), " fn parse"))
        );
    }

    #[test]
    fn what_is_not_a_range_is_refused() {
        for text in [
            "",
            "@@ -1,2 +3,4",
            "@@ -a,2 +3,4 @@",
            "@@ -1,2 3,4 @@",
            "-1,2 +3,4 @@",
            "@@ -1,-2 +3,4 @@",
        ] {
            assert_eq!(HunkRange::parse(text), None, "{text:?}");
        }
    }

    #[test]
    fn spans_of_each_shape() {
        // Two lines replaced by three.
        assert_eq!(range(4, 2, 4, 3).old_span(), (3, 5));
        assert_eq!(range(4, 2, 4, 3).new_line_span(), (3, 5));
        // An addition after old line 7: no old lines; new lines 8 and 9 (0-based 7 and 8).
        assert_eq!(range(7, 0, 8, 2).old_span(), (7, 7));
        assert_eq!(range(7, 0, 8, 2).new_line_span(), (7, 8));
        // A deletion of lines 5 and 6: the new side covers the line after the gap.
        assert_eq!(range(5, 2, 4, 0).old_span(), (4, 6));
        assert_eq!(range(5, 2, 4, 0).new_line_span(), (4, 4));
        // At the top of the file.
        assert_eq!(range(0, 0, 1, 1).old_span(), (0, 0));
        assert_eq!(range(1, 1, 0, 0).new_line_span(), (0, 0));
    }

    #[test]
    fn the_wire_form_is_four_named_numbers() {
        let r = range(3, 1, 3, 2);
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(
            json,
            r#"{"old_start":3,"old_lines":1,"new_start":3,"new_lines":2}"#
        );
        assert_eq!(serde_json::from_str::<HunkRange>(&json).unwrap(), r);
        let extra = r#"{"old_start":3,"old_lines":1,"new_start":3,"new_lines":2,"x":1}"#;
        assert!(serde_json::from_str::<HunkRange>(extra).is_err());
    }
}
