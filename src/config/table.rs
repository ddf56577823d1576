//! The table of settings: names, kinds, defaults and meanings, the one source of truth that the
//! server's defaults, the editor clients' defaults and the documentation are checked against.

use serde_json::{Map, Value};

use super::Settings;
use crate::nudge::Severity;

/// What values a setting takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingKind {
    /// `true` or `false`.
    Bool,
    /// A whole number ≥ 0, where `0` turns the behaviour off.
    Count,
    /// A whole number ≥ 0 (`0` is off) or `"auto"`.
    CountOrAuto,
    /// A whole number ≥ 1.
    PositiveCount,
    /// One of the severity names.
    Severity,
    /// A list of glob patterns.
    Globs,
}

/// A setting's value once its kind has checked it: what a row's `set` receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TypedValue {
    Bool(bool),
    Count(u64),
    /// `"auto"`, for [`SettingKind::CountOrAuto`].
    Auto,
    Severity(Severity),
    Globs(Vec<String>),
}

/// Where a value comes from: the editor sets everything; a repository's `.commit-nudge.toml`
/// only the rows marked `per_repository`, and its excludes add to the editor's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    Editor,
    RepoFile,
}

/// One setting as every client and document shows it: the single source of truth from which the
/// VS Code schema, the Neovim and Emacs defaults, the Helix snippet and the README tables are
/// generated or checked (`tests/it/settings_everywhere.rs`), and from which the server parses it
/// (`config::parse_editor_settings`): a new setting is one row.
#[derive(Debug, Clone, Copy)]
pub struct SettingSpec {
    /// The dotted path under `commitNudge`, such as `thresholds.lines`.
    pub key: &'static str,
    /// What the value is (a number, a string, one of some names, a list of globs).
    pub kind: SettingKind,
    /// The default, as JSON text.
    pub default: &'static str,
    /// The default in clients whose `window/showMessageRequest` is modal (Neovim, Emacs), when
    /// it differs.
    pub modal_client_default: Option<&'static str>,
    /// What it does, in Markdown: one meaning everywhere.
    pub doc: &'static str,
    /// Whether a repository's `.commit-nudge.toml` may set it for everyone.
    pub per_repository: bool,
    /// Stores a value its kind accepted.
    pub(crate) set: fn(&mut Settings, TypedValue, Origin),
}

/// The severity names, quietest first.
pub const SEVERITY_NAMES: [&str; 4] = ["hint", "information", "warning", "error"];

/// Every setting, in the order the documents list them.
pub const SETTINGS: &[SettingSpec] = &[
    SettingSpec {
        key: "thresholds.lines",
        kind: SettingKind::CountOrAuto,
        default: "200",
        modal_client_default: None,
        doc: "Nudge (`uncommitted-lines`) when the added + removed lines a commit of everything would hold reach this; `0` turns it off; `\"auto\"` learns it from your history here (the 75th percentile of your recent commits, 30–800).",
        per_repository: true,
        set: set_lines,
    },
    SettingSpec {
        key: "thresholds.files",
        kind: SettingKind::Count,
        default: "15",
        modal_client_default: None,
        doc: "Nudge (`uncommitted-files`) when the changed files reach this; `0` turns it off.",
        per_repository: true,
        set: |s, v, _| set_count(&mut s.files, v),
    },
    SettingSpec {
        key: "thresholds.minutes",
        kind: SettingKind::Count,
        default: "60",
        modal_client_default: None,
        doc: "Nudge (`uncommitted-age`) when the uncommitted work reaches this age in minutes, measured from the later of the last commit and the oldest change still uncommitted; `0` turns it off.",
        per_repository: true,
        set: |s, v, _| set_count(&mut s.minutes, v),
    },
    SettingSpec {
        key: "countUntracked",
        kind: SettingKind::Bool,
        default: "true",
        modal_client_default: None,
        doc: "Count files git neither tracks nor ignores.",
        per_repository: false,
        set: |s, v, _| set_bool(&mut s.count_untracked, v),
    },
    SettingSpec {
        key: "countUnsaved",
        kind: SettingKind::Bool,
        default: "true",
        modal_client_default: None,
        doc: "Count the unsaved text of open documents instead of the file on disk.",
        per_repository: false,
        set: |s, v, _| set_bool(&mut s.count_unsaved, v),
    },
    SettingSpec {
        key: "exclude",
        kind: SettingKind::Globs,
        default: r#"["**/*.lock", "**/package-lock.json"]"#,
        modal_client_default: None,
        doc: "Glob patterns left out of every count (gitignore-like: `*` stays in a directory, a pattern without `/` matches anywhere); a `.commit-nudge.toml` adds its own.",
        per_repository: true,
        set: set_exclude,
    },
    SettingSpec {
        key: "severity",
        kind: SettingKind::Severity,
        default: r#""information""#,
        modal_client_default: None,
        doc: "Severity of a nudge at its limit (`hint`, `information`, `warning`, `error`); one level louder at twice the limit.",
        per_repository: false,
        set: |s, v, _| {
            if let TypedValue::Severity(severity) = v {
                s.severity = severity;
            }
        },
    },
    SettingSpec {
        key: "codeLens",
        kind: SettingKind::Bool,
        default: "true",
        modal_client_default: None,
        doc: "Show the code lenses (this file's and the workspace's +/−, *Commit staged hunks…*).",
        per_repository: false,
        set: |s, v, _| set_bool(&mut s.code_lens, v),
    },
    SettingSpec {
        key: "askOnWarning",
        kind: SettingKind::Bool,
        default: "true",
        modal_client_default: Some("false"),
        doc: "When a nudge first turns into a warning, offer *Commit staged hunks…*, *Snooze* and *Settings* once (`window/showMessageRequest`, not again within an hour). The Neovim and Emacs configs set it to `false`: their prompt is modal.",
        per_repository: false,
        set: |s, v, _| set_bool(&mut s.ask_on_warning, v),
    },
    SettingSpec {
        key: "snoozeMinutes",
        kind: SettingKind::PositiveCount,
        default: "30",
        modal_client_default: None,
        doc: "How long *Snooze commit nudges* lasts, in minutes.",
        per_repository: false,
        set: |s, v, _| set_count(&mut s.snooze_minutes, v),
    },
    SettingSpec {
        key: "maxFileBytes",
        kind: SettingKind::Count,
        default: "52428800",
        modal_client_default: None,
        doc: "A changed or untracked file larger than this many bytes (default 50 MiB) counts by size alone (1 file, 0 lines, its content not read) and the status says how many (`over_size_limit`); `0` turns the limit off.",
        per_repository: false,
        set: |s, v, _| set_count(&mut s.max_file_bytes, v),
    },
    SettingSpec {
        key: "recordWork",
        kind: SettingKind::Bool,
        default: "true",
        modal_client_default: None,
        doc: "Keep a record of how the work was done (which lines came at each save, in `.git/commit-nudge/record`), so that the commit plan follows it; `commit-nudge plan --forget` deletes it.",
        per_repository: false,
        set: |s, v, _| set_bool(&mut s.record_work, v),
    },
];

/// The default settings object (the `commitNudge` value), built from [`SETTINGS`]; `modal` gives
/// the defaults of clients whose prompt is modal.
pub fn default_settings_json(modal: bool) -> Value {
    let mut root = Map::new();
    for spec in SETTINGS {
        let text = match (modal, spec.modal_client_default) {
            (true, Some(text)) => text,
            _ => spec.default,
        };
        let value = serde_json::from_str(text).unwrap_or(Value::Null);
        let mut map = &mut root;
        let mut parts = spec.key.split('.').peekable();
        while let Some(part) = parts.next() {
            if parts.peek().is_none() {
                map.insert(part.to_string(), value.clone());
            } else {
                let entry = map
                    .entry(part.to_string())
                    .or_insert_with(|| Value::Object(Map::new()));
                if !entry.is_object() {
                    *entry = Value::Object(Map::new());
                }
                match entry {
                    Value::Object(inner) => map = inner,
                    _ => break,
                }
            }
        }
    }
    Value::Object(root)
}

/// The top-level names a repository's file may set, for messages ("only thresholds and exclude").
pub(super) fn per_repository_settings() -> String {
    let names = top_level_names(|spec| spec.per_repository);
    match names.split_last() {
        Some((last, [])) => last.to_string(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// The top-level names of the settings, for messages ("known: thresholds, countUntracked, …").
pub(super) fn known_settings() -> String {
    top_level_names(|_| true).join(", ")
}

/// The top-level names (`thresholds` once for its three rows) of the rows `keep` accepts.
fn top_level_names(keep: impl Fn(&SettingSpec) -> bool) -> Vec<&'static str> {
    let mut names: Vec<&str> = Vec::new();
    for spec in SETTINGS.iter().filter(|spec| keep(spec)) {
        let top = spec.key.split('.').next().unwrap_or(spec.key);
        if !names.contains(&top) {
            names.push(top);
        }
    }
    names
}

fn set_count(slot: &mut u64, value: TypedValue) {
    if let TypedValue::Count(n) = value {
        *slot = n;
    }
}

fn set_bool(slot: &mut bool, value: TypedValue) {
    if let TypedValue::Bool(b) = value {
        *slot = b;
    }
}

/// `"auto"` learns the line limit from the author's own history; the number stays the fallback.
fn set_lines(settings: &mut Settings, value: TypedValue, _: Origin) {
    match value {
        TypedValue::Auto => {
            settings.lines_auto = true;
            settings.lines = Settings::default().lines;
        }
        TypedValue::Count(n) => {
            settings.lines_auto = false;
            settings.lines = n;
        }
        _ => {}
    }
}

/// A team's excludes (the repository file) add to the user's own; the editor's replace them.
fn set_exclude(settings: &mut Settings, value: TypedValue, origin: Origin) {
    let TypedValue::Globs(patterns) = value else {
        return;
    };
    match origin {
        Origin::Editor => settings.exclude = patterns,
        Origin::RepoFile => {
            for pattern in patterns {
                if !settings.exclude.contains(&pattern) {
                    settings.exclude.push(pattern);
                }
            }
        }
    }
}

impl SettingKind {
    /// What a value of this kind should be, for messages ("should be a whole number ≥ 0").
    pub(crate) fn expected(self) -> &'static str {
        match self {
            SettingKind::Bool => "true or false",
            SettingKind::Count => "a whole number ≥ 0",
            SettingKind::CountOrAuto => "a whole number ≥ 0 or \"auto\"",
            SettingKind::PositiveCount => "a whole number > 0",
            SettingKind::Severity => "one of \"hint\", \"information\", \"warning\", \"error\"",
            SettingKind::Globs => "a list of glob patterns",
        }
    }
}
