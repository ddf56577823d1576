//! The table of settings: names, kinds, defaults and meanings, the one source of truth that the
//! server's defaults, the editor clients' defaults and the documentation are checked against.

use serde_json::{Map, Value};

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

/// One setting as every client and document shows it: the single source of truth from which the
/// VS Code schema, the Neovim and Emacs defaults, the Helix snippet and the README tables are
/// generated or checked (`tests/settings_everywhere.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SettingSpec {
    /// The dotted path under `commitNudge`, such as `thresholds.lines`.
    pub key: &'static str,
    pub kind: SettingKind,
    /// The default, as JSON text.
    pub default: &'static str,
    /// The default in clients whose `window/showMessageRequest` is modal (Neovim, Emacs), when
    /// it differs.
    pub modal_client_default: Option<&'static str>,
    /// What it does, in Markdown: one meaning everywhere.
    pub doc: &'static str,
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
    },
    SettingSpec {
        key: "thresholds.files",
        kind: SettingKind::Count,
        default: "15",
        modal_client_default: None,
        doc: "Nudge (`uncommitted-files`) when the changed files reach this; `0` turns it off.",
    },
    SettingSpec {
        key: "thresholds.minutes",
        kind: SettingKind::Count,
        default: "60",
        modal_client_default: None,
        doc: "Nudge (`uncommitted-age`) when the uncommitted work reaches this age in minutes, measured from the later of the last commit and the oldest change still uncommitted; `0` turns it off.",
    },
    SettingSpec {
        key: "countUntracked",
        kind: SettingKind::Bool,
        default: "true",
        modal_client_default: None,
        doc: "Count files git neither tracks nor ignores.",
    },
    SettingSpec {
        key: "countUnsaved",
        kind: SettingKind::Bool,
        default: "true",
        modal_client_default: None,
        doc: "Count the unsaved text of open documents instead of the file on disk.",
    },
    SettingSpec {
        key: "exclude",
        kind: SettingKind::Globs,
        default: r#"["**/*.lock", "**/package-lock.json"]"#,
        modal_client_default: None,
        doc: "Glob patterns left out of every count (gitignore-like: `*` stays in a directory, a pattern without `/` matches anywhere); a `.commit-nudge.toml` adds its own.",
    },
    SettingSpec {
        key: "severity",
        kind: SettingKind::Severity,
        default: r#""information""#,
        modal_client_default: None,
        doc: "Severity of a nudge at its limit (`hint`, `information`, `warning`, `error`); one level louder at twice the limit.",
    },
    SettingSpec {
        key: "codeLens",
        kind: SettingKind::Bool,
        default: "true",
        modal_client_default: None,
        doc: "Show the code lenses (this file's and the workspace's +/−, *Commit staged hunks…*).",
    },
    SettingSpec {
        key: "askOnWarning",
        kind: SettingKind::Bool,
        default: "true",
        modal_client_default: Some("false"),
        doc: "When a nudge first turns into a warning, offer *Commit staged hunks…*, *Snooze* and *Settings* once (`window/showMessageRequest`, not again within an hour). The Neovim and Emacs configs set it to `false`: their prompt is modal.",
    },
    SettingSpec {
        key: "snoozeMinutes",
        kind: SettingKind::PositiveCount,
        default: "30",
        modal_client_default: None,
        doc: "How long *Snooze commit nudges* lasts, in minutes.",
    },
    SettingSpec {
        key: "maxFileBytes",
        kind: SettingKind::Count,
        default: "52428800",
        modal_client_default: None,
        doc: "A changed or untracked file larger than this many bytes (default 50 MiB) counts by size alone (1 file, 0 lines, its content not read) and the status says how many (`over_size_limit`); `0` turns the limit off.",
    },
    SettingSpec {
        key: "recordWork",
        kind: SettingKind::Bool,
        default: "true",
        modal_client_default: None,
        doc: "Keep a record of how the work was done (which lines came at each save, in `.git/commit-nudge/record`), so that the commit plan follows it; `commit-nudge plan --forget` deletes it.",
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

/// The top-level names of the settings, for messages ("known: thresholds, countUntracked, …").
pub(super) fn known_settings() -> String {
    let mut names: Vec<&str> = Vec::new();
    for spec in SETTINGS {
        let top = spec.key.split('.').next().unwrap_or(spec.key);
        if !names.contains(&top) {
            names.push(top);
        }
    }
    names.join(", ")
}
