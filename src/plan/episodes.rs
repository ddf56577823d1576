//! From the record of how the work was done (`crate::record`) to the planner's input: which
//! episode of work each hunk came from. Pure.
//!
//! The record is a sequence of snapshots (one per save or file-system write). It is cut into
//! episodes where the pause before a snapshot is long *relative to the others*: more than
//! `PAUSE_FACTOR` times the median pause of the record. Absolute durations are not used: one
//! person saves every ten seconds and pauses a minute, another saves every ten minutes and pauses
//! for lunch; both pause between commits for much longer than between saves of one commit. A hunk
//! belongs to the episode most of its recorded lines were first seen in (the earliest on a tie);
//! a hunk none of whose lines are in the record gets no episode (the other signals place it).

use std::collections::HashMap;

use super::PlanHunk;
use crate::record::{line_hash, LineKey, Record, Side};

/// A pause longer than this many median pauses ends an episode.
pub(crate) const PAUSE_FACTOR: f64 = 4.0;

/// The episode of each snapshot of `record`, numbered from 0 in order.
pub(crate) fn segment(record: &Record) -> Vec<u32> {
    let times: Vec<i64> = record.snapshots.iter().map(|s| s.at_ms).collect();
    let gaps: Vec<i64> = times
        .windows(2)
        .map(|w| w[1].saturating_sub(w[0]).max(0))
        .collect();
    let mut sorted = gaps.clone();
    sorted.sort_unstable();
    // The median pause, never below 1 ms so that a record of instant saves still has a scale.
    let median = sorted.get(sorted.len() / 2).copied().unwrap_or(0).max(1) as f64;
    let mut episode = 0u32;
    let mut out = Vec::with_capacity(times.len());
    for (i, _) in times.iter().enumerate() {
        if i > 0 && gaps[i - 1] as f64 > PAUSE_FACTOR * median {
            episode += 1;
        }
        out.push(episode);
    }
    out
}

/// The episode of each hunk, by index, or `None` when the record says too little to use: no
/// hunk found in it, or all the found ones in one episode (then it would only say "one commit",
/// which a missing record says better).
pub(crate) fn episodes_of(record: &Record, hunks: &[PlanHunk]) -> Option<Vec<Option<u32>>> {
    let of_snapshot = segment(record);
    let mut first_seen: HashMap<&LineKey, u32> = HashMap::new();
    for (snapshot, episode) in record.snapshots.iter().zip(&of_snapshot) {
        for line in &snapshot.lines {
            first_seen.entry(line).or_insert(*episode);
        }
    }
    let episodes: Vec<Option<u32>> = hunks
        .iter()
        .map(|hunk| {
            let mut votes: HashMap<u32, usize> = HashMap::new();
            let sides = [(Side::Added, &hunk.added), (Side::Removed, &hunk.removed)];
            for (side, lines) in sides {
                for line in lines {
                    let key = LineKey {
                        side,
                        hash: line_hash(line),
                        path: hunk.path.clone(),
                    };
                    if let Some(episode) = first_seen.get(&key) {
                        *votes.entry(*episode).or_default() += 1;
                    }
                }
            }
            votes
                .into_iter()
                .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
                .map(|(episode, _)| episode)
        })
        .collect();
    let mut found = episodes.iter().flatten();
    let first = found.next()?;
    if found.all(|e| e == first) {
        return None;
    }
    Some(episodes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hunk_range::HunkRange;
    use crate::plan::HunkKind;
    use crate::record::Snapshot;

    fn snapshot(at_ms: i64, path: &str, added: &[&str]) -> Snapshot {
        Snapshot {
            at_ms,
            lines: added
                .iter()
                .map(|l| LineKey {
                    side: Side::Added,
                    hash: line_hash(l.as_bytes()),
                    path: path.to_string(),
                })
                .collect(),
        }
    }

    fn hunk(path: &str, added: &[&str]) -> PlanHunk {
        PlanHunk {
            path: path.to_string(),
            range: HunkRange {
                old_start: 1,
                old_lines: 0,
                new_start: 1,
                new_lines: added.len() as u32,
            },
            header: String::new(),
            kind: HunkKind::Text,
            removed: Vec::new(),
            added: added
                .iter()
                .map(|l| format!("{l}\n").into_bytes())
                .collect(),
            staged: false,
        }
    }

    #[test]
    fn episodes_are_cut_at_pauses_long_against_the_others_at_any_scale() {
        for scale in [1, 1000, 60_000] {
            let record = Record {
                head: None,
                snapshots: [0, 2, 3, 5, 40, 41, 43, 90]
                    .iter()
                    .map(|t| snapshot(t * scale, "a", &[]))
                    .collect(),
            };
            assert_eq!(segment(&record), vec![0, 0, 0, 0, 1, 1, 1, 2], "{scale}");
        }
        // Times no clock gives (a hand-edited record) cut, never overflow.
        let wild = Record {
            head: None,
            snapshots: [i64::MIN, 0, i64::MAX, i64::MAX, i64::MIN]
                .iter()
                .map(|t| snapshot(*t, "a", &[]))
                .collect(),
        };
        assert_eq!(segment(&wild).len(), 5);
        // Even pauses: one episode.
        let even = Record {
            head: None,
            snapshots: (0..5).map(|t| snapshot(t * 10, "a", &[])).collect(),
        };
        assert_eq!(segment(&even), vec![0; 5]);
    }

    #[test]
    fn a_hunk_takes_the_episode_of_most_of_its_lines() {
        let record = Record {
            head: None,
            snapshots: vec![
                snapshot(0, "a.rs", &["one", "two"]),
                snapshot(10, "b.rs", &["three"]),
                snapshot(1000, "a.rs", &["four"]),
                snapshot(1010, "c.rs", &["five"]),
            ],
        };
        let hunks = vec![
            hunk("a.rs", &["one", "two", "four"]),
            hunk("c.rs", &["five"]),
            hunk("b.rs", &["three"]),
            hunk("d.rs", &["never recorded"]),
            // The same text in another file is another line.
            hunk("c.rs", &["one"]),
        ];
        assert_eq!(
            episodes_of(&record, &hunks),
            Some(vec![Some(0), Some(1), Some(0), None, None])
        );
        // All in one episode: the record is not used.
        assert_eq!(episodes_of(&record, &hunks[..1]), None);
    }
}
