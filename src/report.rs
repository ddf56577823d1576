//! The status object: counted numbers, unsaved buffers and the nudge policy, in one value.
//!
//! `commit-nudge status --json`, the `commitNudge/status` notification and the prompt are all this
//! value, so the shell and the editor always agree.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;

use crate::config::Settings;
use crate::git::{FileDelta, LineStat, RepoCounts};
use crate::nudge::{evaluate, Nudge, Snapshot};

/// An open document whose unsaved text is counted instead of the file on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BufferCounts {
    /// The path relative to the worktree root.
    pub path: String,
    /// Whether the path is in the index (else it is a new, untracked file).
    pub tracked: bool,
    /// Whether git ignores the path (then it is never counted).
    pub ignored: bool,
    /// The buffer against HEAD (`None` when equal): its row in `total`.
    pub vs_head: Option<FileDelta>,
    /// The buffer against the index (`None` when equal): its row in `unstaged`.
    pub vs_index: Option<FileDelta>,
    /// Whether the buffer differs from the file on disk.
    pub differs_from_disk: bool,
    /// When the server first saw this buffer differ from the disk, in Unix seconds.
    pub since_unix: i64,
}

/// The per-file view after unsaved buffers replace the disk: the counted rows, read in place
/// (shared, never copied), with the rows of the few buffers that differ from the disk laid over
/// them. Building it costs in proportion to the open buffers, not to the rows counted, so a
/// keystroke in a repository with ten thousand changed files costs what it costs with ten.
#[derive(Debug, Clone)]
pub(crate) struct Effective {
    counts: Arc<RepoCounts>,
    /// The buffers that replace the disk, by path.
    overlays: BTreeMap<String, Overlay>,
    pub unsaved_files: u64,
    pub oldest_unsaved_unix: Option<i64>,
}

/// The rows of one buffer that replace the counted ones (`None`: no change on that side).
#[derive(Debug, Clone)]
struct Overlay {
    /// A tracked path: `vs_index` is its unstaged row and `vs_head` its HEAD→working tree row.
    /// An untracked one: `vs_head` is its untracked row.
    tracked: bool,
    vs_index: Option<FileDelta>,
    vs_head: Option<FileDelta>,
}

impl Effective {
    /// Lays the buffers that differ from the disk over `counts`.
    pub(crate) fn new(
        counts: Arc<RepoCounts>,
        buffers: &[BufferCounts],
        settings: &Settings,
    ) -> Effective {
        let mut effective = Effective {
            counts,
            overlays: BTreeMap::new(),
            unsaved_files: 0,
            oldest_unsaved_unix: None,
        };
        if !settings.count_unsaved {
            return effective;
        }
        let differing: Vec<&BufferCounts> = buffers
            .iter()
            .filter(|b| b.differs_from_disk && !b.ignored)
            .collect();
        if differing.is_empty() {
            return effective;
        }
        let exclude = settings.exclude_set();
        for buffer in differing {
            if exclude.is_match(&buffer.path) {
                continue;
            }
            effective.unsaved_files += 1;
            effective.oldest_unsaved_unix = Some(
                effective
                    .oldest_unsaved_unix
                    .map_or(buffer.since_unix, |t| t.min(buffer.since_unix)),
            );
            if buffer.tracked || settings.count_untracked {
                effective.overlays.insert(
                    buffer.path.clone(),
                    Overlay {
                        tracked: buffer.tracked,
                        vs_index: buffer.vs_index.clone(),
                        vs_head: buffer.vs_head.clone(),
                    },
                );
            }
        }
        effective
    }

    /// HEAD→index rows (buffers never change them).
    pub(crate) fn staged(&self) -> impl Iterator<Item = &FileDelta> {
        self.counts.staged.iter()
    }

    /// Index→working tree rows.
    pub(crate) fn unstaged(&self) -> impl Iterator<Item = &FileDelta> {
        self.side(&self.counts.unstaged, true, |o| o.vs_index.as_ref())
    }

    /// Untracked rows.
    pub(crate) fn untracked(&self) -> impl Iterator<Item = &FileDelta> {
        self.side(&self.counts.untracked, false, |o| o.vs_head.as_ref())
    }

    /// HEAD→working tree rows of tracked paths.
    pub(crate) fn tracked_total(&self) -> impl Iterator<Item = &FileDelta> {
        self.side(&self.counts.tracked_total, true, |o| o.vs_head.as_ref())
    }

    /// The counted rows of one side without the paths a buffer of that kind (tracked or not)
    /// replaces, then the buffers' own rows of that side.
    fn side<'s>(
        &'s self,
        counted: &'s [FileDelta],
        tracked: bool,
        row: impl Fn(&'s Overlay) -> Option<&'s FileDelta> + 's,
    ) -> impl Iterator<Item = &'s FileDelta> + 's {
        let replaced = move |path: &str| {
            !self.overlays.is_empty()
                && self
                    .overlays
                    .get(path)
                    .is_some_and(|o| o.tracked == tracked)
        };
        counted.iter().filter(move |r| !replaced(&r.path)).chain(
            self.overlays
                .values()
                .filter(move |o| o.tracked == tracked)
                .filter_map(row),
        )
    }

    /// A path's row on one side: the buffer's when a buffer of that kind replaces it, else the
    /// counted one (the rows of a count are sorted by path).
    fn row_on<'s>(
        &'s self,
        counted: &'s [FileDelta],
        tracked: bool,
        path: &str,
    ) -> Option<&'s FileDelta> {
        match self.overlays.get(path) {
            Some(overlay) if overlay.tracked == tracked => overlay.vs_head.as_ref(),
            _ => counted
                .binary_search_by(|r| r.path.as_str().cmp(path))
                .ok()
                .map(|i| &counted[i]),
        }
    }

    /// A path's uncommitted row: HEAD→working tree when tracked, else its untracked row.
    pub(crate) fn row(&self, path: &str) -> Option<&FileDelta> {
        self.row_on(&self.counts.tracked_total, true, path)
            .or_else(|| self.row_on(&self.counts.untracked, false, path))
    }

    /// The 0-based line of the first uncommitted change in `path`, if it has one.
    pub(crate) fn first_change_line(&self, path: &str) -> Option<u32> {
        self.row(path).map(|row| row.first_line.unwrap_or(0))
    }

    /// Whether `path` holds uncommitted changes.
    pub(crate) fn has_changes(&self, path: &str) -> bool {
        self.row(path).is_some()
    }
}

/// The public status object (`status --json`, `commitNudge/status`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusReport {
    /// The worktree's root, absolute.
    pub root: String,
    /// The current branch; `None` when HEAD is detached.
    pub branch: Option<String>,
    /// HEAD's commit id; `None` on an unborn branch.
    pub head: Option<String>,
    /// HEAD→index, as `git diff --cached --numstat` counts it.
    pub staged: LineStat,
    /// Index→working tree, as `git diff --numstat` counts it.
    pub unstaged: LineStat,
    /// The untracked files that are not ignored, each line an added one.
    pub untracked: LineStat,
    /// HEAD→working tree plus the untracked files: what a commit of everything would hold.
    pub total: LineStat,
    /// When HEAD was committed (Unix seconds).
    pub last_commit_unix: Option<i64>,
    /// Minutes since then.
    pub minutes_since_commit: Option<u64>,
    /// When the uncommitted work began: the later of the last commit and the oldest change still
    /// uncommitted (what the `uncommitted-age` nudge measures). `None` when unknown.
    pub work_started_unix: Option<i64>,
    /// Minutes since `work_started_unix`: the age the prompt and status lines show.
    pub minutes_of_work: Option<u64>,
    /// What the policy says now; empty while snoozed.
    pub nudges: Vec<Nudge>,
    /// Open buffers whose unsaved text is counted instead of the disk.
    pub unsaved_files: u64,
    /// Until when the nudges are snoozed (Unix seconds), if they are.
    pub snoozed_until_unix: Option<i64>,
}

/// Builds the status object. While snoozed (`snoozed_until_unix` later than `now_unix`), the
/// numbers stay current and `nudges` is empty.
pub(crate) fn build(
    counts: &RepoCounts,
    effective: &Effective,
    settings: &Settings,
    learned: Option<&crate::habit::LearnedLines>,
    snoozed_until_unix: Option<i64>,
    now_unix: i64,
) -> StatusReport {
    let large = &counts.large_files;
    let total = LineStat::of_with_limit(
        effective.tracked_total().chain(effective.untracked()),
        large,
    );
    let oldest_change = [counts.oldest_change_unix, effective.oldest_unsaved_unix]
        .into_iter()
        .flatten()
        .min();
    // The work began at the later of the last commit and the oldest change still uncommitted.
    let work_started_unix = match (counts.head_time_unix, oldest_change) {
        (Some(head), Some(change)) => Some(head.max(change)),
        (head, change) => head.or(change),
    };
    let snapshot = Snapshot {
        lines: total.lines(),
        files: total.files,
        work_started_unix,
    };
    let snoozed_until_unix = snoozed_until_unix.filter(|until| *until > now_unix);
    let nudges = if snoozed_until_unix.is_some() {
        Vec::new()
    } else {
        let mut limits = settings.limits();
        if let Some(learned) = learned.filter(|_| settings.lines_auto) {
            learned.apply(&mut limits);
        }
        evaluate(&snapshot, &limits, now_unix)
    };
    StatusReport {
        root: counts.info.root.to_string_lossy().into_owned(),
        branch: counts.branch.clone(),
        head: counts.head.clone(),
        staged: LineStat::of_with_limit(effective.staged(), large),
        unstaged: LineStat::of_with_limit(effective.unstaged(), large),
        untracked: LineStat::of_with_limit(effective.untracked(), large),
        total,
        last_commit_unix: counts.head_time_unix,
        minutes_since_commit: counts.head_time_unix.map(|t| minutes_between(t, now_unix)),
        work_started_unix,
        minutes_of_work: work_started_unix.map(|t| minutes_between(t, now_unix)),
        nudges,
        unsaved_files: effective.unsaved_files,
        snoozed_until_unix,
    }
}

/// Whole minutes from `from_unix` to `now_unix`; 0 for a time in the future (clock skew).
fn minutes_between(from_unix: i64, now_unix: i64) -> u64 {
    u64::try_from((now_unix - from_unix).max(0) / 60).unwrap_or(0)
}

/// One short line for a shell prompt, such as `✎ +312 −40 · 7 files · 1 h 15 min`: the size of
/// the uncommitted work and its age (what the age nudge measures, not the last commit's age);
/// empty when clean.
pub(crate) fn prompt_line(report: &StatusReport) -> String {
    if report.total.files == 0 {
        return String::new();
    }
    let mut line = format!("✎ +{} −{}", report.total.added, report.total.removed);
    line.push_str(&format!(
        " · {} {}",
        report.total.files,
        if report.total.files == 1 {
            "file"
        } else {
            "files"
        }
    ));
    if let Some(minutes) = report.minutes_of_work {
        line.push_str(&format!(" · {}", crate::nudge::duration_phrase(minutes)));
    }
    if !report.nudges.is_empty() {
        line.push_str(" · commit?");
    }
    line
}

/// The human summary `commit-nudge status` prints; `colour` adds ANSI colours.
pub fn human(report: &StatusReport, colour: bool) -> String {
    let paint = |code: &str, text: String| {
        if colour {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text
        }
    };
    let mut out = String::new();
    let branch = report
        .branch
        .clone()
        .unwrap_or_else(|| "(detached HEAD)".to_string());
    let head = match &report.head {
        Some(sha) => sha.chars().take(7).collect::<String>(),
        None => "no commits yet".to_string(),
    };
    out.push_str(&format!("{} @ {}", paint("1", branch), head));
    if let Some(minutes) = report.minutes_since_commit {
        out.push_str(&format!(
            " · last commit {} ago",
            crate::nudge::duration_phrase(minutes)
        ));
    }
    if let (Some(minutes), true) = (report.minutes_of_work, report.total.files > 0) {
        out.push_str(&format!(
            " · uncommitted work {} old",
            crate::nudge::duration_phrase(minutes)
        ));
    }
    out.push('\n');
    let row = |name: &str, stat: &LineStat| {
        format!(
            "  {name:<10} {:>5} {:<5} {} {}\n",
            stat.files,
            if stat.files == 1 { "file" } else { "files" },
            paint("32", format!("+{}", stat.added)),
            paint("31", format!("−{}", stat.removed)),
        )
    };
    out.push_str(&row("staged", &report.staged));
    out.push_str(&row("unstaged", &report.unstaged));
    out.push_str(&row("untracked", &report.untracked));
    out.push_str(&row("total", &report.total));
    if report.total.files == 0 {
        out.push_str("  nothing to commit\n");
    }
    if report.total.over_size_limit > 0 {
        out.push_str(&format!(
            "  {} counted by size alone (over the maxFileBytes limit: 1 file, 0 lines each)\n",
            match report.total.over_size_limit {
                1 => "1 file is".to_string(),
                n => format!("{n} files are"),
            }
        ));
    }
    for nudge in &report.nudges {
        let code = match nudge.severity {
            crate::nudge::Severity::Hint | crate::nudge::Severity::Information => "36",
            crate::nudge::Severity::Warning => "33",
            crate::nudge::Severity::Error => "31",
        };
        out.push_str(&format!(
            "  {} {}\n",
            paint(code, "●".to_string()),
            nudge.message
        ));
    }
    out
}

/// The counting options that `settings` ask for.
pub(crate) fn count_options(settings: &Settings) -> crate::git::CountOptions {
    crate::git::CountOptions {
        count_untracked: settings.count_untracked,
        exclude: settings.exclude_set(),
        max_file_bytes: settings.max_file_bytes,
        split_walk_at: None,
        stamp_index: false,
    }
}

/// Counts the repository containing `path` with `editor_settings` (plus its `.commit-nudge.toml`)
/// and builds its status: what `commit-nudge status` prints. Also returns settings problems.
pub fn status_of(
    path: &std::path::Path,
    editor_settings: &Settings,
    now_unix: i64,
) -> Result<(StatusReport, Vec<String>), crate::git::GitError> {
    let info = crate::git::discover(path)?;
    let parsed = crate::config::with_repo_file(editor_settings, &info.root);
    let repo = crate::git::open(&info.root)?;
    let counts = Arc::new(repo.count(&count_options(&parsed.settings))?);
    let effective = Effective::new(counts.clone(), &[], &parsed.settings);
    let learned = if parsed.settings.lines_auto {
        let sizes = repo.author_sizes()?;
        Some(crate::habit::LearnedLines::from_sizes(
            &sizes,
            parsed.settings.lines,
        ))
    } else {
        None
    };
    Ok((
        build(
            &counts,
            &effective,
            &parsed.settings,
            learned.as_ref(),
            None,
            now_unix,
        ),
        parsed.problems,
    ))
}
