//! Every setting has one name, kind, default and meaning everywhere: the VS Code schema, the
//! Neovim and Emacs defaults and the README tables are generated from the server's settings table
//! (`commit_nudge::config::SETTINGS`) and checked here. After changing the table, run
//! `COMMIT_NUDGE_BLESS=1 cargo test --test it settings_everywhere` to rewrite them.

use std::path::{Path, PathBuf};

use commit_nudge::config::{default_settings_json, SettingKind, SettingSpec, SETTINGS};
use serde_json::{json, Value};

fn repo_file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn bless() -> bool {
    std::env::var_os("COMMIT_NUDGE_BLESS").is_some_and(|v| v == "1")
}

/// The default of `spec`, as JSON (modal clients' own when `modal`).
fn default_of(spec: &SettingSpec, modal: bool) -> Value {
    let text = match (modal, spec.modal_client_default) {
        (true, Some(text)) => text,
        _ => spec.default,
    };
    serde_json::from_str(text).expect("the table's defaults are JSON")
}

/// The settings grouped as the nested object has them, in table order: (top key, leaves).
fn grouped() -> Vec<(&'static str, Vec<&'static SettingSpec>)> {
    let mut groups: Vec<(&'static str, Vec<&'static SettingSpec>)> = Vec::new();
    for spec in SETTINGS {
        let top = spec.key.split('.').next().unwrap_or(spec.key);
        match groups.iter_mut().find(|(name, _)| *name == top) {
            Some((_, leaves)) => leaves.push(spec),
            None => groups.push((top, vec![spec])),
        }
    }
    groups
}

fn leaf(spec: &SettingSpec) -> &'static str {
    spec.key.rsplit('.').next().unwrap_or(spec.key)
}

/// Replaces the text between the line holding `begin` and the line holding `end`.
fn replace_region(text: &str, begin: &str, end: &str, body: &str) -> String {
    let start = text
        .find(begin)
        .unwrap_or_else(|| panic!("no {begin:?} marker"));
    let start = start + text[start..].find('\n').expect("marker line ends") + 1;
    let stop = start
        + text[start..]
            .find(end)
            .unwrap_or_else(|| panic!("no {end:?} marker"));
    let stop = text[..stop].rfind('\n').map_or(stop, |i| i + 1);
    format!("{}{}{}", &text[..start], body, &text[stop..])
}

/// Checks (or, when blessing, rewrites) the generated region of `rel`.
fn check_region(rel: &str, begin: &str, end: &str, body: &str) {
    let path = repo_file(rel);
    let text = std::fs::read_to_string(&path).expect("read");
    let wanted = replace_region(&text, begin, end, body);
    if wanted != text {
        if bless() {
            std::fs::write(&path, &wanted).expect("write");
        } else {
            panic!(
                "{rel} differs from the settings table; run COMMIT_NUDGE_BLESS=1 cargo test --test it settings_everywhere\n--- wanted region:\n{body}"
            );
        }
    }
}

fn markdown_rows(prefix: &str) -> String {
    let mut out = String::new();
    for spec in SETTINGS {
        let default = default_of(spec, false);
        out.push_str(&format!(
            "| `{prefix}{}` | `{}` | {} |\n",
            spec.key,
            serde_json::to_string(&default)
                .expect("json")
                .replace(',', ", "),
            spec.doc
        ));
    }
    out
}

#[test]
fn the_readme_tables_are_the_settings_table() {
    check_region(
        "README.md",
        "<!-- BEGIN generated settings",
        "<!-- END generated settings",
        &markdown_rows(""),
    );
    check_region(
        "editors/vscode/README.md",
        "<!-- BEGIN generated settings",
        "<!-- END generated settings",
        &markdown_rows("commitNudge."),
    );
}

fn lua_value(value: &Value) -> String {
    match value {
        Value::String(s) => format!("'{s}'"),
        Value::Array(items) => format!(
            "{{ {} }}",
            items.iter().map(lua_value).collect::<Vec<_>>().join(", ")
        ),
        other => other.to_string(),
    }
}

fn lua_defaults() -> String {
    let mut out = String::from("  return {\n");
    for (top, leaves) in grouped() {
        if leaves.len() == 1 && leaves[0].key == top {
            out.push_str(&format!(
                "    {top} = {},\n",
                lua_value(&default_of(leaves[0], true))
            ));
        } else {
            let fields: Vec<String> = leaves
                .iter()
                .map(|s| format!("{} = {}", leaf(s), lua_value(&default_of(s, true))))
                .collect();
            out.push_str(&format!("    {top} = {{ {} }},\n", fields.join(", ")));
        }
    }
    out.push_str("  }\n");
    out
}

#[test]
fn the_neovim_defaults_are_the_settings_table() {
    check_region(
        "editors/nvim/lua/commit_nudge/defaults.lua",
        "-- BEGIN generated settings",
        "-- END generated settings",
        &lua_defaults(),
    );
}

fn elisp_value(value: &Value) -> String {
    match value {
        Value::Bool(true) => "t".to_string(),
        Value::Bool(false) => ":json-false".to_string(),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(elisp_value).collect::<Vec<_>>().join(" ")
        ),
        other => other.to_string(),
    }
}

fn elisp_settings() -> String {
    let mut entries = Vec::new();
    let mut paths = Vec::new();
    for (top, leaves) in grouped() {
        if leaves.len() == 1 && leaves[0].key == top {
            entries.push(format!(
                ":{top} {}",
                elisp_value(&default_of(leaves[0], true))
            ));
        } else {
            let fields: Vec<String> = leaves
                .iter()
                .map(|s| format!(":{} {}", leaf(s), elisp_value(&default_of(s, true))))
                .collect();
            entries.push(format!(":{top} ({})", fields.join(" ")));
        }
        for spec in leaves {
            let keys: Vec<String> = spec.key.split('.').map(|k| format!(":{k}")).collect();
            let flag = if spec.kind == SettingKind::Bool {
                " t"
            } else {
                ""
            };
            paths.push(format!("(({}){flag})", keys.join(" ")));
        }
    }
    format!(
        "(defcustom commit-nudge-settings\n  '({})\n  \"The `commitNudge' settings sent to the server, as a plist.\nUse :json-false for false and vectors for lists.  The defaults are the\nserver's, except :askOnWarning, off because Emacs's prompt is modal.\"\n  :type 'plist)\n\n(defconst commit-nudge--setting-paths\n  '({})\n  \"The leaves of `commit-nudge-settings', and whether each is a boolean.\")\n",
        entries.join("\n    "),
        paths.join(" ")
    )
}

#[test]
fn the_emacs_defaults_are_the_settings_table() {
    check_region(
        "editors/emacs/commit-nudge.el",
        ";; BEGIN generated settings",
        ";; END generated settings",
        &elisp_settings(),
    );
}

/// The VS Code schema entry of one setting.
fn vscode_property(spec: &SettingSpec) -> Value {
    let mut property = match spec.kind {
        SettingKind::Bool => json!({"type": "boolean"}),
        SettingKind::Count => json!({"type": "integer", "minimum": 0}),
        SettingKind::PositiveCount => json!({"type": "integer", "minimum": 1}),
        SettingKind::CountOrAuto => json!({
            "type": ["integer", "string"], "minimum": 0, "pattern": "^auto$",
            "patternErrorMessage": "A whole number (0 turns the nudge off) or \"auto\"."
        }),
        SettingKind::Severity => {
            json!({"type": "string", "enum": commit_nudge::config::SEVERITY_NAMES})
        }
        SettingKind::Globs => json!({"type": "array", "items": {"type": "string"}}),
    };
    property["default"] = default_of(spec, false);
    property["markdownDescription"] = Value::from(spec.doc);
    property
}

/// The extension's own setting, not sent to the server.
fn server_path_property() -> Value {
    json!({
        "type": ["string", "null"],
        "default": null,
        "scope": "machine-overridable",
        "markdownDescription": "Path to the `commit-nudge` binary. When unset: `commit-nudge` on `PATH`, then `~/.cargo/bin` (or `$CARGO_HOME/bin`), then the binary bundled in the platform-specific extension. The *Commit Nudge* output channel says which one runs."
    })
}

fn indent(text: &str, by: &str) -> String {
    text.lines()
        .map(|line| format!("{by}{line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_vscode_schema_is_the_settings_table() {
    let path = repo_file("editors/vscode/package.json");
    let text = std::fs::read_to_string(&path).expect("read");
    let manifest: Value = serde_json::from_str(&text).expect("package.json is JSON");
    let properties = &manifest["contributes"]["configuration"]["properties"];
    let mut wanted = serde_json::Map::new();
    wanted.insert("commitNudge.serverPath".into(), server_path_property());
    for spec in SETTINGS {
        wanted.insert(format!("commitNudge.{}", spec.key), vscode_property(spec));
    }
    if *properties == Value::Object(wanted.clone()) {
        return;
    }
    // The body of "properties", in table order, as npm formats JSON (two spaces).
    let mut entries = vec![("commitNudge.serverPath".to_string(), server_path_property())];
    entries.extend(
        SETTINGS
            .iter()
            .map(|s| (format!("commitNudge.{}", s.key), vscode_property(s))),
    );
    let body = entries
        .iter()
        .map(|(key, value)| {
            let pretty = serde_json::to_string_pretty(value).expect("json");
            indent(&format!("{key:?}: {pretty}"), "        ")
        })
        .collect::<Vec<_>>()
        .join(",\n");
    assert!(
        bless(),
        "editors/vscode/package.json's settings differ from the settings table; run COMMIT_NUDGE_BLESS=1 cargo test --test it settings_everywhere\n--- wanted:\n{body}"
    );
    let open = "      \"properties\": {\n";
    let start = text.find(open).expect("a properties object") + open.len();
    let stop = start + text[start..].find("\n      }\n").expect("its end");
    let blessed = format!("{}{}{}", &text[..start], body, &text[stop..]);
    let reread: Value = serde_json::from_str(&blessed).expect("still JSON");
    assert_eq!(
        reread["contributes"]["configuration"]["properties"],
        Value::Object(wanted)
    );
    std::fs::write(&path, blessed).expect("write");
}

#[test]
fn the_defaults_the_clients_send_are_the_servers() {
    // The nested object every client sends, built the way the Neovim and Emacs regions are, is
    // what the server takes without a problem.
    for modal in [false, true] {
        let parsed = commit_nudge::config::parse_editor_settings(&default_settings_json(modal));
        assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
    }
    let keys: Vec<&str> = SETTINGS.iter().map(|s| s.key).collect();
    assert_eq!(
        keys,
        [
            "thresholds.lines",
            "thresholds.files",
            "thresholds.minutes",
            "countUntracked",
            "countUnsaved",
            "exclude",
            "severity",
            "codeLens",
            "askOnWarning",
            "snoozeMinutes",
            "maxFileBytes",
            "recordWork"
        ]
    );
}
