//! The commit habit in numbers: percentiles, the limit learned from history, and the summary
//! `commit-nudge stats` prints. Pure functions of the commit sizes; no clock, no I/O.

use serde::Serialize;

use crate::git::history::CommitSize;

/// Fewer of the author's commits than this and history says too little: the fixed limit holds.
pub(crate) const MIN_HISTORY: usize = 10;
/// The learned line limit never goes below or above these.
pub(crate) const AUTO_MIN_LINES: u64 = 30;
pub(crate) const AUTO_MAX_LINES: u64 = 800;

/// The `p`-th percentile (0–100) of `values` by the nearest-rank method; `None` when empty.
pub(crate) fn percentile(values: &[u64], p: u32) -> Option<u64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let rank = (u64::from(p.min(100)) * sorted.len() as u64)
        .div_ceil(100)
        .max(1);
    sorted.get(rank as usize - 1).copied()
}

/// Where a line limit came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum LimitSource {
    /// The 75th percentile of the author's recent commits here.
    History { usual: u64, commits: usize },
    /// "auto" was asked for, but the history is too short.
    TooLittleHistory { commits: usize },
}

/// The line limit learned from commit sizes: the 75th percentile, clamped to sane bounds, or
/// `fallback` when there are fewer than `MIN_HISTORY` commits.
pub(crate) fn auto_lines_limit(sizes: &[u64], fallback: u64) -> (u64, LimitSource) {
    if sizes.len() < MIN_HISTORY {
        return (
            fallback,
            LimitSource::TooLittleHistory {
                commits: sizes.len(),
            },
        );
    }
    let usual = percentile(sizes, 75).unwrap_or(fallback);
    (
        usual.clamp(AUTO_MIN_LINES, AUTO_MAX_LINES),
        LimitSource::History {
            usual,
            commits: sizes.len(),
        },
    )
}

/// A line limit learned from history, and where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LearnedLines {
    pub limit: u64,
    pub source: LimitSource,
}

impl LearnedLines {
    /// Learns from the author's commit sizes, with `fallback` for a young history.
    pub(crate) fn from_sizes(sizes: &[u64], fallback: u64) -> LearnedLines {
        let (limit, source) = auto_lines_limit(sizes, fallback);
        LearnedLines { limit, source }
    }

    /// Puts the learned limit into `limits`, with the usual size for the message.
    pub(crate) fn apply(&self, limits: &mut crate::nudge::Limits) {
        limits.lines = self.limit;
        limits.lines_usual = match self.source {
            LimitSource::History { usual, .. } => Some(usual),
            _ => None,
        };
    }
}

/// One bar of the size histogram.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bucket {
    /// The smallest size (lines added + removed) in the bucket.
    pub min_lines: u64,
    /// `None` for the open-ended last bucket.
    pub max_lines: Option<u64>,
    /// How many commits fall in it.
    pub commits: usize,
}

/// The summary `commit-nudge stats` prints.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Habit {
    /// The author's email (`user.email`), when git knows it.
    pub author: Option<String>,
    /// How many of the author's commits were read.
    pub commits: usize,
    /// The median commit size in lines (added + removed); `None` without commits.
    pub median_lines: Option<u64>,
    /// The 75th percentile of the sizes.
    pub p75_lines: Option<u64>,
    /// The days with at least one of those commits.
    pub active_days: usize,
    /// Commits per active day.
    pub commits_per_active_day: Option<f64>,
    /// The sizes in buckets, smallest first.
    pub histogram: Vec<Bucket>,
    /// What `thresholds.lines = "auto"` would give here.
    pub auto_lines_limit: u64,
}

const BUCKETS: [(u64, Option<u64>); 6] = [
    (0, Some(10)),
    (11, Some(50)),
    (51, Some(100)),
    (101, Some(200)),
    (201, Some(500)),
    (501, None),
];

/// Summarises the author's commits.
pub fn summarise(author: Option<String>, commits: &[CommitSize], fallback_lines: u64) -> Habit {
    let sizes: Vec<u64> = commits.iter().map(|c| c.lines).collect();
    let mut days: Vec<i64> = commits
        .iter()
        .map(|c| (c.time_unix + i64::from(c.offset_minutes) * 60).div_euclid(86_400))
        .collect();
    days.sort_unstable();
    days.dedup();
    let histogram = BUCKETS
        .iter()
        .map(|(min, max)| Bucket {
            min_lines: *min,
            max_lines: *max,
            commits: sizes
                .iter()
                .filter(|s| **s >= *min && max.is_none_or(|m| **s <= m))
                .count(),
        })
        .collect();
    Habit {
        author,
        commits: commits.len(),
        median_lines: percentile(&sizes, 50),
        p75_lines: percentile(&sizes, 75),
        active_days: days.len(),
        commits_per_active_day: (!days.is_empty())
            .then(|| commits.len() as f64 / days.len() as f64),
        histogram,
        auto_lines_limit: auto_lines_limit(&sizes, fallback_lines).0,
    }
}

/// The terminal form of the summary: a small histogram and the rates.
pub fn render(habit: &Habit, root: &str) -> String {
    let mut out = String::new();
    let who = habit
        .author
        .as_deref()
        .unwrap_or("(no user.email configured)");
    out.push_str(&format!(
        "Your commits in {root} ({who}): the last {} non-merge commits\n",
        habit.commits
    ));
    if habit.commits == 0 {
        out.push_str("  none yet: commit small and often, and this fills in\n");
        return out;
    }
    let widest = habit
        .histogram
        .iter()
        .map(|b| b.commits)
        .max()
        .unwrap_or(1)
        .max(1);
    for bucket in &habit.histogram {
        let label = match bucket.max_lines {
            Some(max) => format!("{}–{max}", bucket.min_lines),
            None => format!("{}+", bucket.min_lines),
        };
        let bar = "█".repeat((bucket.commits * 30).div_ceil(widest));
        out.push_str(&format!("  {label:>9} lines  {bar} {}\n", bucket.commits));
    }
    out.push_str(&format!(
        "  median {} lines · 75th percentile {} lines · {:.1} commits per active day ({} {})\n",
        habit.median_lines.unwrap_or(0),
        habit.p75_lines.unwrap_or(0),
        habit.commits_per_active_day.unwrap_or(0.0),
        habit.active_days,
        if habit.active_days == 1 {
            "day"
        } else {
            "days"
        }
    ));
    out.push_str(&format!(
        "  thresholds.lines = \"auto\" would nudge at {} lines here\n",
        habit.auto_lines_limit
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_nearest_rank() {
        let table: &[(&[u64], u32, Option<u64>)] = &[
            (&[], 75, None),
            (&[7], 75, Some(7)),
            (&[1, 2, 3, 4], 50, Some(2)),
            (&[1, 2, 3, 4], 75, Some(3)),
            (&[4, 3, 2, 1], 75, Some(3)),
            (&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 75, Some(8)),
            (&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 100, Some(10)),
            (&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0, Some(1)),
        ];
        for (values, p, expected) in table {
            assert_eq!(percentile(values, *p), *expected, "p{p} of {values:?}");
        }
    }

    #[test]
    fn the_auto_limit_is_the_75th_percentile_clamped_with_a_fallback() {
        let small: Vec<u64> = (1..=20).map(|i| i * 3).collect();
        assert_eq!(
            auto_lines_limit(&small, 200),
            (
                45,
                LimitSource::History {
                    usual: 45,
                    commits: 20
                }
            )
        );
        let tiny = vec![2u64; 20];
        assert_eq!(auto_lines_limit(&tiny, 200).0, AUTO_MIN_LINES);
        let huge = vec![5000u64; 20];
        assert_eq!(auto_lines_limit(&huge, 200).0, AUTO_MAX_LINES);
        let young = vec![10u64; MIN_HISTORY - 1];
        assert_eq!(
            auto_lines_limit(&young, 200),
            (
                200,
                LimitSource::TooLittleHistory {
                    commits: MIN_HISTORY - 1
                }
            )
        );
    }

    #[test]
    fn the_summary_counts_buckets_and_active_days() {
        let day = 86_400;
        let commit = |t: i64, lines: u64| CommitSize {
            id: String::new(),
            time_unix: t,
            offset_minutes: 0,
            lines,
            files: 1,
        };
        let commits = vec![
            commit(10 * day + 5, 5),
            commit(10 * day + 9, 60),
            commit(12 * day, 700),
            commit(12 * day + 1, 10),
        ];
        let habit = summarise(Some("a@b".into()), &commits, 200);
        assert_eq!(habit.active_days, 2);
        assert_eq!(habit.commits_per_active_day, Some(2.0));
        let counts: Vec<usize> = habit.histogram.iter().map(|b| b.commits).collect();
        assert_eq!(counts, vec![2, 0, 1, 0, 0, 1]);
        assert_eq!(
            habit.auto_lines_limit, 200,
            "four commits are too few to learn from"
        );
        assert!(render(&habit, "/r").contains("2.0 commits per active day (2 days)"));
    }
}
