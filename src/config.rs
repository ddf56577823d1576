//! Settings: their documented defaults, and tolerant parsing that reports every problem.
//!
//! Settings arrive as JSON (LSP `initializationOptions`, `workspace/didChangeConfiguration`,
//! `workspace/configuration`) and as a repository's `.commit-nudge.toml`. A value of the wrong
//! type or range is reported in a sentence and replaced by its default; parsing never fails.

use std::path::Path;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde_json::{Map, Value};

use crate::nudge::{Limits, Severity};

/// The file at a worktree root that lets a team set thresholds and excludes for everyone.
pub(crate) const REPO_FILE: &str = ".commit-nudge.toml";

mod table;
pub use table::{default_settings_json, SettingKind, SettingSpec, SETTINGS, SEVERITY_NAMES};
use table::{known_settings, per_repository_settings, Origin, TypedValue};

/// Every setting, with the defaults documented in the README.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Nudge when added + removed lines reach this (default 200; 0 turns it off).
    pub lines: u64,
    /// Learn the line limit from the author's recent commits here (`"lines": "auto"`); `lines`
    /// is then the fallback for a young history.
    pub lines_auto: bool,
    /// Nudge when changed files reach this (default 15; 0 turns it off).
    pub files: u64,
    /// Nudge when uncommitted work is older than this many minutes (default 60; 0 turns it off).
    pub minutes: u64,
    /// Count untracked files (default true).
    pub count_untracked: bool,
    /// Count the unsaved text of open documents instead of the disk (default true).
    pub count_unsaved: bool,
    /// Glob patterns of paths to leave out of every count.
    pub exclude: Vec<String>,
    /// The severity of a nudge at its limit (default information).
    pub severity: Severity,
    /// Show code lenses (default true).
    pub code_lens: bool,
    /// Ask once, with `window/showMessageRequest`, when a nudge turns into a warning (default
    /// true; clients whose prompt is modal, such as Neovim's and Emacs's, turn it off).
    pub ask_on_warning: bool,
    /// How long a snooze lasts, in minutes (default 30).
    pub snooze_minutes: u64,
    /// Files larger than this count as changed by size alone: 1 file, 0 lines, content not read
    /// (default 50 MiB; 0 turns our limit off).
    pub max_file_bytes: u64,
    /// Keep the record of how the work was done, for the commit plan (default true).
    pub record_work: bool,
}

/// The longest snooze: a day.
pub(crate) const MAX_SNOOZE_MINUTES: u64 = 24 * 60;

/// The default of `maxFileBytes`: 50 MiB.
pub(crate) const DEFAULT_MAX_FILE_BYTES: u64 = 50 * 1024 * 1024;

impl Default for Settings {
    fn default() -> Self {
        let limits = Limits::default();
        Settings {
            lines: limits.lines,
            lines_auto: false,
            files: limits.files,
            minutes: limits.minutes,
            count_untracked: true,
            count_unsaved: true,
            exclude: vec!["**/*.lock".to_string(), "**/package-lock.json".to_string()],
            severity: limits.severity,
            code_lens: true,
            record_work: true,
            ask_on_warning: true,
            snooze_minutes: 30,
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
        }
    }
}

impl Settings {
    /// The limits the nudge policy applies.
    /// When a snooze asked for now (`now_unix`) ends: after `minutes`, or the `snoozeMinutes`
    /// setting when the asker names none, kept between one minute and a day.
    pub(crate) fn snooze_until(&self, minutes: Option<u64>, now_unix: i64) -> i64 {
        let minutes = minutes
            .unwrap_or(self.snooze_minutes)
            .clamp(1, MAX_SNOOZE_MINUTES);
        now_unix + i64::try_from(minutes * 60).unwrap_or(0)
    }

    pub(crate) fn limits(&self) -> Limits {
        Limits {
            lines: self.lines,
            files: self.files,
            minutes: self.minutes,
            severity: self.severity,
            lines_usual: None,
        }
    }

    /// The exclude patterns as one matcher. Patterns were checked when parsed.
    pub(crate) fn exclude_set(&self) -> GlobSet {
        let mut builder = GlobSetBuilder::new();
        for pattern in &self.exclude {
            if let Ok(glob) = compile_glob(pattern) {
                builder.add(glob);
            }
        }
        builder.build().unwrap_or_else(|_| GlobSet::empty())
    }
}

/// Settings as parsed, with a sentence for every value that was not taken.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    /// The settings in effect: each value taken, or its default.
    pub settings: Settings,
    /// One sentence for each value that was not taken (a wrong type, an unknown key).
    pub problems: Vec<String>,
}

/// Parses the editor's settings: the `commitNudge` object, or an object holding it under that key.
/// `null` or a missing value gives the defaults.
pub fn parse_editor_settings(value: &Value) -> Parsed {
    let mut parsed = Parsed::default();
    let value = match value {
        Value::Object(map) if map.contains_key("commitNudge") => &map["commitNudge"],
        other => other,
    };
    match value {
        Value::Null => {}
        Value::Object(map) => apply(map, &mut parsed, Origin::Editor),
        other => parsed.problems.push(format!(
            "commitNudge settings should be an object, not {}; using the defaults",
            kind(other)
        )),
    }
    parsed
}

/// Applies a repository's `.commit-nudge.toml` text on top of `base`.
pub(crate) fn apply_repo_file(base: &Settings, toml_text: &str) -> Parsed {
    let mut parsed = Parsed {
        settings: base.clone(),
        problems: Vec::new(),
    };
    let value: Value = match toml::from_str::<toml::Table>(toml_text) {
        Ok(table) => serde_json::to_value(table).unwrap_or(Value::Null),
        Err(error) => {
            let message = error.message().to_string();
            parsed.problems.push(format!(
                "{REPO_FILE} is not valid TOML ({message}); it is ignored"
            ));
            return parsed;
        }
    };
    if let Value::Object(map) = value {
        apply(&map, &mut parsed, Origin::RepoFile);
    }
    parsed
}

/// Reads `<root>/.commit-nudge.toml` if there is one and applies it on top of `base`.
pub(crate) fn with_repo_file(base: &Settings, root: &Path) -> Parsed {
    match std::fs::read_to_string(root.join(REPO_FILE)) {
        Ok(text) => apply_repo_file(base, &text),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Parsed {
            settings: base.clone(),
            problems: Vec::new(),
        },
        Err(error) => Parsed {
            settings: base.clone(),
            problems: vec![format!(
                "could not read {REPO_FILE}: {error}; it is ignored"
            )],
        },
    }
}

impl Origin {
    fn prefix(self) -> &'static str {
        match self {
            Origin::Editor => "commitNudge.",
            Origin::RepoFile => ".commit-nudge.toml: ",
        }
    }
}

/// Applies one settings object, row by row of the table: a top-level key is a setting or a group
/// of them (`thresholds`); every value is checked by its row's kind and stored by its row's
/// `set`. A wrong value is reported in a sentence and leaves the setting as it was. `null` leaves
/// it as it was, silently (an editor's way of saying "unset").
fn apply(map: &Map<String, Value>, parsed: &mut Parsed, origin: Origin) {
    let prefix = origin.prefix();
    for (key, value) in map {
        if value.is_null() {
            continue;
        }
        let rows: Vec<&SettingSpec> = SETTINGS
            .iter()
            .filter(|spec| {
                spec.key == key
                    || spec
                        .key
                        .strip_prefix(key.as_str())
                        .is_some_and(|rest| rest.starts_with('.'))
            })
            .collect();
        if rows.is_empty() {
            parsed.problems.push(match origin {
                Origin::Editor => format!(
                    "commitNudge.{key} is not a setting (known: {})",
                    known_settings()
                ),
                Origin::RepoFile => format!(
                    "{REPO_FILE}: {key} cannot be set per repository (only {}); it is ignored",
                    per_repository_settings()
                ),
            });
            continue;
        }
        if origin == Origin::RepoFile && !rows.iter().all(|spec| spec.per_repository) {
            parsed.problems.push(format!(
                "{REPO_FILE}: {key} cannot be set per repository (only {}); it is ignored",
                per_repository_settings()
            ));
            continue;
        }
        match rows.as_slice() {
            [spec] if spec.key == key => apply_one(spec, value, parsed, origin),
            group => {
                let Value::Object(members) = value else {
                    let example = group.first().map_or(String::new(), |spec| {
                        let name = spec.key.rsplit('.').next().unwrap_or(spec.key);
                        format!(" like {{\"{name}\": {}}}", spec.default)
                    });
                    parsed.problems.push(format!(
                        "{prefix}{key} should be an object{example}, not {}; using the defaults",
                        kind(value)
                    ));
                    continue;
                };
                for (name, value) in members {
                    let full = format!("{key}.{name}");
                    match group.iter().find(|spec| spec.key == full) {
                        Some(spec) if !value.is_null() => apply_one(spec, value, parsed, origin),
                        Some(_) => {}
                        None => {
                            let known: Vec<&str> = group
                                .iter()
                                .filter_map(|spec| spec.key.rsplit('.').next())
                                .collect();
                            parsed.problems.push(format!(
                                "{prefix}{full} is not a setting (known: {})",
                                known.join(", ")
                            ));
                        }
                    }
                }
            }
        }
    }
}

/// Checks one value by its row's kind and stores it, or says in a sentence why not.
fn apply_one(spec: &SettingSpec, value: &Value, parsed: &mut Parsed, origin: Origin) {
    let prefix = origin.prefix();
    let key = spec.key;
    let typed = match spec.kind {
        SettingKind::Bool => value.as_bool().map(TypedValue::Bool),
        SettingKind::Count => value.as_u64().map(TypedValue::Count),
        SettingKind::CountOrAuto if value.as_str() == Some("auto") => Some(TypedValue::Auto),
        SettingKind::CountOrAuto => value.as_u64().map(TypedValue::Count),
        SettingKind::PositiveCount => value.as_u64().filter(|n| *n > 0).map(TypedValue::Count),
        SettingKind::Severity => value
            .as_str()
            .and_then(Severity::parse)
            .map(TypedValue::Severity),
        SettingKind::Globs => value.as_array().map(|items| {
            let mut patterns = Vec::new();
            for item in items {
                match item.as_str() {
                    Some(pattern) => match compile_glob(pattern) {
                        Ok(_) => patterns.push(pattern.to_string()),
                        Err(error) => parsed.problems.push(format!(
                            "{prefix}{key} pattern {pattern:?} is not a valid glob ({error}); it is skipped"
                        )),
                    },
                    None => parsed.problems.push(format!(
                        "{prefix}{key} should hold strings, not {}; it is skipped",
                        shown(item)
                    )),
                }
            }
            TypedValue::Globs(patterns)
        }),
    };
    match typed {
        Some(typed) => (spec.set)(&mut parsed.settings, typed, origin),
        None => {
            let outcome = match origin {
                Origin::Editor => format!("using {}", spec.default),
                Origin::RepoFile => "it is ignored".to_string(),
            };
            parsed.problems.push(format!(
                "{prefix}{key} should be {}, not {}; {outcome}",
                spec.kind.expected(),
                shown(value)
            ));
        }
    }
}

/// Compiles a pattern with gitignore-like meaning: `*` stays within a directory, and a pattern
/// without a `/` matches the name in any directory.
fn compile_glob(pattern: &str) -> Result<globset::Glob, globset::Error> {
    let anchored = if pattern.contains('/') {
        pattern.trim_start_matches('/').to_string()
    } else {
        format!("**/{pattern}")
    };
    GlobBuilder::new(&anchored).literal_separator(true).build()
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// A value as the user wrote it, shortened.
fn shown(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 40 {
        format!("{}…", text.chars().take(40).collect::<String>())
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn missing_settings_give_the_documented_defaults() {
        let parsed = parse_editor_settings(&Value::Null);
        assert_eq!(parsed.settings, Settings::default());
        assert!(parsed.problems.is_empty());
        assert_eq!(parsed.settings.lines, 200);
        assert_eq!(parsed.settings.files, 15);
        assert_eq!(parsed.settings.minutes, 60);
    }

    #[test]
    fn the_full_shape_is_read_with_or_without_the_section_key() {
        let inner = json!({"thresholds": {"lines": 50, "files": 3, "minutes": 10},
            "countUntracked": false, "countUnsaved": false, "exclude": ["*.md"],
            "severity": "warning", "codeLens": false, "snoozeMinutes": 5, "maxFileBytes": 1000});
        for value in [inner.clone(), json!({"commitNudge": inner})] {
            let parsed = parse_editor_settings(&value);
            assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
            let s = parsed.settings;
            assert_eq!((s.lines, s.files, s.minutes), (50, 3, 10));
            assert!(!s.count_untracked && !s.count_unsaved && !s.code_lens);
            assert_eq!(s.severity, Severity::Warning);
            assert_eq!(s.exclude, vec!["*.md"]);
            assert_eq!(s.snooze_minutes, 5);
            assert_eq!(s.max_file_bytes, 1000);
        }
    }

    #[test]
    fn wrong_types_give_a_sentence_and_the_default() {
        let parsed = parse_editor_settings(&json!({"thresholds": {"lines": "lots", "files": -1},
            "countUntracked": "yes", "severity": "loud", "exclude": "*.lock", "bogus": 1}));
        assert_eq!(parsed.settings, Settings::default());
        assert_eq!(parsed.problems.len(), 6, "{:?}", parsed.problems);
        assert!(
            parsed
                .problems
                .iter()
                .all(|p| p.starts_with("commitNudge.")),
            "each problem names its setting: {:?}",
            parsed.problems
        );
        assert!(parsed
            .problems
            .iter()
            .any(|p| p.contains("thresholds.lines should be a whole number")
                && p.contains("\"lots\"")));
        assert!(parsed
            .problems
            .iter()
            .any(|p| p.contains("severity should be one of")));
        assert!(parsed
            .problems
            .iter()
            .any(|p| p.contains("bogus is not a setting")));
        let size = parse_editor_settings(&json!({"maxFileBytes": "50MB"}));
        assert_eq!(size.settings.max_file_bytes, DEFAULT_MAX_FILE_BYTES);
        assert!(size.problems[0].contains("maxFileBytes should be a whole number"));
        let not_object = parse_editor_settings(&json!([1, 2]));
        assert_eq!(not_object.settings, Settings::default());
        assert_eq!(not_object.problems.len(), 1);
    }

    #[test]
    fn exclude_patterns_match_like_gitignore() {
        let settings = parse_editor_settings(&json!({"exclude": ["*.lock", "docs/**", "[bad"]}));
        assert_eq!(settings.problems.len(), 1, "{:?}", settings.problems);
        let set = settings.settings.exclude_set();
        assert!(set.is_match("Cargo.lock"));
        assert!(set.is_match("web/yarn.lock"));
        assert!(set.is_match("docs/a/b.md"));
        assert!(!set.is_match("src/docs/a.md"));
        assert!(!set.is_match("src/main.rs"));
        let defaults = Settings::default().exclude_set();
        assert!(defaults.is_match("Cargo.lock") && defaults.is_match("web/package-lock.json"));
    }

    #[test]
    fn the_repository_file_overrides_thresholds_and_adds_excludes() {
        let base = Settings {
            severity: Severity::Warning,
            ..Settings::default()
        };
        let parsed = apply_repo_file(
            &base,
            "exclude = [\"vendor/**\"]\n[thresholds]\nlines = 80\n",
        );
        assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
        assert_eq!(parsed.settings.lines, 80);
        assert_eq!(parsed.settings.files, 15);
        assert_eq!(parsed.settings.severity, Severity::Warning);
        assert!(parsed.settings.exclude.contains(&"vendor/**".to_string()));
        assert!(parsed.settings.exclude.contains(&"**/*.lock".to_string()));

        let broken = apply_repo_file(&base, "thresholds = [");
        assert_eq!(broken.settings, base);
        assert!(broken.problems[0].contains("not valid TOML"));
        let wrong = apply_repo_file(
            &base,
            "severity = \"error\"\n[thresholds]\nlines = \"many\"\n",
        );
        assert_eq!(wrong.settings.lines, 200);
        assert_eq!(wrong.problems.len(), 2, "{:?}", wrong.problems);
    }

    #[test]
    fn the_settings_table_gives_the_server_defaults_and_every_key_is_read() {
        for modal in [false, true] {
            let parsed = parse_editor_settings(&default_settings_json(modal));
            assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
            let expected = Settings {
                ask_on_warning: !modal,
                ..Settings::default()
            };
            assert_eq!(parsed.settings, expected, "modal clients: {modal}");
        }
        // Every key in the table is a setting the server reads: a wrong value is reported by
        // its name, never as unknown.
        for spec in SETTINGS {
            let mut value = default_settings_json(false);
            let mut slot = &mut value;
            for part in spec.key.split('.') {
                slot = &mut slot[part];
            }
            *slot = json!({"wrong": "type"});
            let parsed = parse_editor_settings(&value);
            assert_eq!(
                parsed.problems.len(),
                1,
                "{}: {:?}",
                spec.key,
                parsed.problems
            );
            assert!(
                parsed.problems[0].contains(spec.key)
                    && !parsed.problems[0].contains("not a setting"),
                "{}: {:?}",
                spec.key,
                parsed.problems
            );
            assert_eq!(parsed.settings, Settings::default(), "{}", spec.key);
        }
        let bogus = parse_editor_settings(&json!({"bogus": 1}));
        assert!(bogus.problems[0].ends_with(
            "(known: thresholds, countUntracked, countUnsaved, exclude, severity, codeLens, askOnWarning, snoozeMinutes, maxFileBytes, recordWork)"
        ));
    }

    #[test]
    fn null_leaves_a_setting_as_it_was_and_a_repository_file_says_what_it_may_set() {
        let parsed =
            parse_editor_settings(&json!({"thresholds": {"lines": null}, "codeLens": null}));
        assert_eq!(parsed, Parsed::default());
        let base = Settings {
            lines: 90,
            ..Settings::default()
        };
        let wrong = apply_repo_file(
            &base,
            "codeLens = false\n[thresholds]\nlines = -1\nbogus = 2\n",
        );
        assert_eq!(
            wrong.settings, base,
            "a wrong value in the file leaves the editor's"
        );
        assert_eq!(
            wrong.problems,
            vec![
                ".commit-nudge.toml: codeLens cannot be set per repository (only thresholds and exclude); it is ignored",
                ".commit-nudge.toml: thresholds.bogus is not a setting (known: lines, files, minutes)",
                ".commit-nudge.toml: thresholds.lines should be a whole number ≥ 0 or \"auto\", not -1; it is ignored",
            ]
        );
    }

    #[test]
    fn lines_may_be_learned_from_history() {
        let parsed = parse_editor_settings(&json!({"thresholds": {"lines": "auto"}}));
        assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
        assert!(parsed.settings.lines_auto);
        assert_eq!(
            parsed.settings.lines, 200,
            "the fallback for a young history"
        );
        let from_file = apply_repo_file(&Settings::default(), "[thresholds]\nlines = \"auto\"\n");
        assert!(from_file.settings.lines_auto && from_file.problems.is_empty());
        let back = apply_repo_file(&parsed.settings, "[thresholds]\nlines = 90\n");
        assert!(!back.settings.lines_auto);
        assert_eq!(back.settings.lines, 90);
        let wrong = parse_editor_settings(&json!({"thresholds": {"lines": "lots"}}));
        assert!(
            wrong.problems[0].contains("or \"auto\""),
            "{:?}",
            wrong.problems
        );
    }

    #[test]
    fn a_snooze_lasts_the_minutes_asked_or_the_setting_within_a_minute_and_a_day() {
        let settings = Settings {
            snooze_minutes: 45,
            ..Settings::default()
        };
        let now = 1_000_000;
        assert_eq!(settings.snooze_until(None, now), now + 45 * 60);
        assert_eq!(settings.snooze_until(Some(10), now), now + 10 * 60);
        assert_eq!(settings.snooze_until(Some(0), now), now + 60);
        assert_eq!(
            settings.snooze_until(Some(100_000), now),
            now + 24 * 60 * 60
        );
        assert_eq!(Settings::default().snooze_until(None, now), now + 30 * 60);
    }
}
