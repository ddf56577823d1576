//! The nudge policy: a pure function from counted numbers, settings and the time to nudges.
//!
//! No clock and no I/O here: `now` and every input are arguments, so every boundary is testable.

use serde::{Deserialize, Serialize};

/// How loud a nudge is; the order is from quietest to loudest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The quietest: most editors show it only as a faint mark.
    Hint,
    /// A note.
    Information,
    /// A warning.
    Warning,
    /// The loudest.
    Error,
}

impl Severity {
    /// One level louder, stopping at `Error`.
    pub(crate) fn raised(self) -> Severity {
        match self {
            Severity::Hint => Severity::Information,
            Severity::Information => Severity::Warning,
            Severity::Warning | Severity::Error => Severity::Error,
        }
    }

    pub(crate) fn parse(name: &str) -> Option<Severity> {
        match name {
            "hint" => Some(Severity::Hint),
            "information" | "info" => Some(Severity::Information),
            "warning" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

/// Which limit a nudge is about: the public diagnostic codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum NudgeCode {
    /// Too many uncommitted lines (added + removed).
    #[serde(rename = "uncommitted-lines")]
    Lines,
    /// Too many uncommitted files.
    #[serde(rename = "uncommitted-files")]
    Files,
    /// Uncommitted work too old.
    #[serde(rename = "uncommitted-age")]
    Age,
}

impl NudgeCode {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            NudgeCode::Lines => "uncommitted-lines",
            NudgeCode::Files => "uncommitted-files",
            NudgeCode::Age => "uncommitted-age",
        }
    }
}

/// One reason to commit now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Nudge {
    /// Which limit it is about (the diagnostic's `code`).
    pub code: NudgeCode,
    /// How loud.
    pub severity: Severity,
    /// The sentence the user reads.
    pub message: String,
}

/// The limits and loudness the policy applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Limits {
    /// Nudge when added + removed lines reach this.
    pub lines: u64,
    /// Nudge when changed files reach this.
    pub files: u64,
    /// Nudge when uncommitted work is older than this many minutes.
    pub minutes: u64,
    /// The severity of a nudge at its limit; one level louder at twice the limit.
    pub severity: Severity,
    /// When the line limit was learned from history: the author's usual commit size here.
    pub lines_usual: Option<u64>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            lines: 200,
            files: 15,
            minutes: 60,
            severity: Severity::Information,
            lines_usual: None,
        }
    }
}

/// The numbers the policy looks at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Snapshot {
    /// Added plus removed lines that a commit of everything would hold.
    pub lines: u64,
    /// Files that a commit of everything would hold.
    pub files: u64,
    /// When the uncommitted work began, in Unix seconds: the later of the HEAD commit time and the
    /// oldest modification among the changed files. `None` when unknown.
    pub work_started_unix: Option<i64>,
}

/// Decides which nudges apply to `snapshot` at time `now_unix`.
pub(crate) fn evaluate(snapshot: &Snapshot, limits: &Limits, now_unix: i64) -> Vec<Nudge> {
    let mut nudges = Vec::new();
    if snapshot.files == 0 && snapshot.lines == 0 {
        return nudges;
    }
    let files_phrase = plural(snapshot.files, "file", "files");
    if limits.lines > 0 && snapshot.lines >= limits.lines {
        nudges.push(Nudge {
            code: NudgeCode::Lines,
            severity: loudness(snapshot.lines, limits.lines, limits.severity),
            message: match limits.lines_usual {
                Some(usual) => format!(
                    "this work is {} in {}; your commits here are usually under {} (nudge at {}): commit what is ready",
                    plural(snapshot.lines, "line", "lines"),
                    files_phrase,
                    plural(usual, "line", "lines"),
                    limits.lines
                ),
                None => format!(
                    "{} uncommitted in {} (nudge at {}): commit what is ready",
                    plural(snapshot.lines, "line", "lines"),
                    files_phrase,
                    limits.lines
                ),
            },
        });
    }
    if limits.files > 0 && snapshot.files >= limits.files {
        nudges.push(Nudge {
            code: NudgeCode::Files,
            severity: loudness(snapshot.files, limits.files, limits.severity),
            message: format!(
                "{} changed without a commit (nudge at {}): commit the files that belong together",
                files_phrase, limits.files
            ),
        });
    }
    if let Some(started) = snapshot.work_started_unix {
        let minutes = u64::try_from((now_unix - started).max(0) / 60).unwrap_or(0);
        if limits.minutes > 0 && minutes >= limits.minutes {
            nudges.push(Nudge {
                code: NudgeCode::Age,
                severity: loudness(minutes, limits.minutes, limits.severity),
                message: format!(
                    "uncommitted work is {} old (nudge at {}): commit what works so far",
                    duration_phrase(minutes),
                    duration_phrase(limits.minutes)
                ),
            });
        }
    }
    nudges
}

/// The base severity at the limit, one louder from twice the limit.
fn loudness(value: u64, limit: u64, base: Severity) -> Severity {
    if value >= limit.saturating_mul(2) {
        base.raised()
    } else {
        base
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A duration as every output of commit-nudge writes it (status, prompt, nudges): "45 min",
/// "2 h", "2 h 5 min" below two days, then whole days: "2 days", "100 days".
pub fn duration_phrase(minutes: u64) -> String {
    const DAY: u64 = 24 * 60;
    if minutes >= 2 * DAY {
        return format!("{} days", minutes / DAY);
    }
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn snapshot(lines: u64, files: u64, minutes_old: Option<i64>) -> Snapshot {
        Snapshot {
            lines,
            files,
            work_started_unix: minutes_old.map(|m| NOW - m * 60),
        }
    }

    /// (lines, files, minutes old) → the expected (code, severity) list, with default limits.
    #[test]
    fn every_boundary_with_default_limits() {
        use NudgeCode::*;
        use Severity::*;
        type Row = ((u64, u64, Option<i64>), &'static [(NudgeCode, Severity)]);
        let table: &[Row] = &[
            ((0, 0, Some(1000)), &[]),
            ((199, 1, None), &[]),
            ((200, 1, None), &[(Lines, Information)]),
            ((399, 1, None), &[(Lines, Information)]),
            ((400, 1, None), &[(Lines, Warning)]),
            ((1, 14, None), &[]),
            ((1, 15, None), &[(Files, Information)]),
            ((1, 29, None), &[(Files, Information)]),
            ((1, 30, None), &[(Files, Warning)]),
            ((1, 1, Some(59)), &[]),
            ((1, 1, Some(60)), &[(Age, Information)]),
            ((1, 1, Some(119)), &[(Age, Information)]),
            ((1, 1, Some(120)), &[(Age, Warning)]),
            // Work dated in the future (clock skew) is not old.
            ((1, 1, Some(-30)), &[]),
            (
                (500, 40, Some(200)),
                &[(Lines, Warning), (Files, Warning), (Age, Warning)],
            ),
            // A deletion-only change of one binary file still has a file and ages.
            ((0, 1, Some(61)), &[(Age, Information)]),
        ];
        for ((lines, files, minutes), expected) in table {
            let got: Vec<(NudgeCode, Severity)> =
                evaluate(&snapshot(*lines, *files, *minutes), &Limits::default(), NOW)
                    .into_iter()
                    .map(|n| (n.code, n.severity))
                    .collect();
            assert_eq!(
                &got, expected,
                "lines={lines} files={files} minutes={minutes:?}"
            );
        }
    }

    #[test]
    fn severity_base_is_configurable_and_caps_at_error() {
        let limits = Limits {
            severity: Severity::Warning,
            ..Limits::default()
        };
        let at_limit = evaluate(&snapshot(200, 1, None), &limits, NOW);
        assert_eq!(at_limit[0].severity, Severity::Warning);
        let twice = evaluate(&snapshot(400, 1, None), &limits, NOW);
        assert_eq!(twice[0].severity, Severity::Error);
        let error_base = Limits {
            severity: Severity::Error,
            ..Limits::default()
        };
        assert_eq!(
            evaluate(&snapshot(900, 1, None), &error_base, NOW)[0].severity,
            Severity::Error
        );
        let hint_base = Limits {
            severity: Severity::Hint,
            ..Limits::default()
        };
        assert_eq!(
            evaluate(&snapshot(400, 1, None), &hint_base, NOW)[0].severity,
            Severity::Information
        );
    }

    #[test]
    fn a_zero_limit_turns_that_nudge_off() {
        let limits = Limits {
            lines: 0,
            files: 0,
            minutes: 0,
            ..Limits::default()
        };
        assert!(evaluate(&snapshot(10_000, 100, Some(10_000)), &limits, NOW).is_empty());
    }

    #[test]
    fn durations_read_the_same_everywhere() {
        let table = [
            (0, "0 min"),
            (45, "45 min"),
            (60, "1 h"),
            (125, "2 h 5 min"),
            (47 * 60 + 59, "47 h 59 min"),
            (48 * 60, "2 days"),
            (100 * 24 * 60 + 17, "100 days"),
        ];
        for (minutes, phrase) in table {
            assert_eq!(duration_phrase(minutes), phrase, "{minutes} minutes");
        }
    }

    #[test]
    fn messages_name_the_numbers_and_the_next_step() {
        let nudges = evaluate(&snapshot(312, 7, Some(75)), &Limits::default(), NOW);
        assert_eq!(
            nudges[0].message,
            "312 lines uncommitted in 7 files (nudge at 200): commit what is ready"
        );
        assert_eq!(
            nudges[1].message,
            "uncommitted work is 1 h 15 min old (nudge at 1 h): commit what works so far"
        );
        let learned = Limits {
            lines: 80,
            lines_usual: Some(80),
            ..Limits::default()
        };
        assert_eq!(
            evaluate(&snapshot(312, 7, None), &learned, NOW)[0].message,
            "this work is 312 lines in 7 files; your commits here are usually under 80 lines (nudge at 80): commit what is ready"
        );
        let one = evaluate(&snapshot(1, 15, None), &Limits::default(), NOW);
        assert_eq!(
            one[0].message,
            "15 files changed without a commit (nudge at 15): commit the files that belong together"
        );
    }
}
