//! `commit-nudge editor-config`: editor snippets generated from the user's own editor defaults.
//!
//! Helix replaces a language's whole `language-servers` list when a user sets it, so a snippet
//! that names commit-nudge must repeat that language's other servers, as the user's Helix has
//! them. The generator reads Helix's default `languages.toml` where Helix keeps it (found the way
//! Helix finds its runtime) and the user's own `languages.toml` on top, and writes entries only
//! for the languages asked for, each with its servers kept in order and commit-nudge appended.

use std::path::{Path, PathBuf};

use serde_json::Value as Json;
use toml::Value;

use crate::config::{default_settings_json, SETTINGS};

/// Where a snippet's inputs are found: the environment Helix itself would read.
#[derive(Debug, Clone, Default)]
pub struct HelixEnv {
    /// `HELIX_RUNTIME`.
    pub helix_runtime: Option<PathBuf>,
    /// The Helix configuration folder (`$XDG_CONFIG_HOME/helix`, else `~/.config/helix`).
    pub config_dir: Option<PathBuf>,
    /// The `hx` executable found on `PATH`, if any.
    pub hx_binary: Option<PathBuf>,
    /// A `languages.toml` named on the command line (`--defaults FILE`): used before any other.
    pub defaults_file: Option<PathBuf>,
}

impl HelixEnv {
    /// The environment of this process.
    pub fn from_process() -> HelixEnv {
        let home = std::env::var_os("HOME").map(PathBuf::from);
        let config_dir = std::env::var_os("XDG_CONFIG_HOME")
            .filter(|dir| !dir.is_empty())
            .map(PathBuf::from)
            .or_else(|| home.map(|home| home.join(".config")))
            .map(|dir| dir.join("helix"));
        let hx_binary = std::env::var_os("PATH").and_then(|path| {
            std::env::split_paths(&path)
                .map(|dir| dir.join("hx"))
                .find(|candidate| candidate.is_file())
        });
        HelixEnv {
            helix_runtime: std::env::var_os("HELIX_RUNTIME")
                .filter(|dir| !dir.is_empty())
                .map(PathBuf::from),
            config_dir,
            hx_binary,
            defaults_file: None,
        }
    }

    /// The places Helix's default `languages.toml` may be, in Helix's order of runtime folders:
    /// `HELIX_RUNTIME`, the runtime in the configuration folder, then the `runtime` folder next
    /// to the `hx` binary (after following its symbolic links) and its parent (a source checkout
    /// keeps `languages.toml` beside `runtime/`).
    pub(crate) fn default_candidates(&self) -> Vec<PathBuf> {
        let mut candidates = Vec::new();
        if let Some(file) = &self.defaults_file {
            candidates.push(file.clone());
        }
        if let Some(runtime) = &self.helix_runtime {
            candidates.push(runtime.join("languages.toml"));
            if let Some(parent) = runtime.parent() {
                candidates.push(parent.join("languages.toml"));
            }
        }
        if let Some(config) = &self.config_dir {
            candidates.push(config.join("runtime").join("languages.toml"));
        }
        if let Some(hx) = &self.hx_binary {
            let real = std::fs::canonicalize(hx).unwrap_or_else(|_| hx.clone());
            if let Some(dir) = real.parent() {
                candidates.push(dir.join("runtime").join("languages.toml"));
                candidates.push(dir.join("languages.toml"));
            }
        }
        candidates
    }
}

/// Why a snippet could not be made.
#[derive(Debug, thiserror::Error)]
pub enum EditorConfigError {
    /// A `languages.toml` could not be read.
    #[error("could not read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A `languages.toml` is not TOML.
    #[error("{path} is not valid TOML: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The TOML parser's words.
        message: String,
    },
    /// A language named on the command line is not one Helix defines.
    #[error("Helix defines no language named {name:?} in {path} (did you mean one of: {near})")]
    UnknownLanguage {
        /// The name asked for.
        name: String,
        /// The `languages.toml` that defines the languages.
        path: PathBuf,
        /// The nearest names it does define, comma-separated.
        near: String,
    },
}

/// A `languages.toml` as read: where from, and its `[[language]]` entries' server lists.
#[derive(Debug, Clone)]
pub struct LanguagesFile {
    /// Where it was read from.
    pub path: PathBuf,
    /// (language name, its `language-servers` when it sets them).
    pub languages: Vec<(String, Option<Vec<Value>>)>,
}

impl LanguagesFile {
    /// Reads and parses a `languages.toml`.
    pub(crate) fn read(path: &Path) -> Result<LanguagesFile, EditorConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| EditorConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        LanguagesFile::parse(path, &text)
    }

    /// Parses the text of a `languages.toml` read from `path`.
    pub(crate) fn parse(path: &Path, text: &str) -> Result<LanguagesFile, EditorConfigError> {
        let table: toml::Table =
            toml::from_str(text).map_err(|error| EditorConfigError::Parse {
                path: path.to_path_buf(),
                message: error.message().to_string(),
            })?;
        let languages = table
            .get("language")
            .and_then(Value::as_array)
            .map(|entries| {
                entries
                    .iter()
                    .filter_map(|entry| {
                        let name = entry.get("name")?.as_str()?.to_string();
                        let servers = entry
                            .get("language-servers")
                            .and_then(Value::as_array)
                            .cloned();
                        Some((name, servers))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(LanguagesFile {
            path: path.to_path_buf(),
            languages,
        })
    }

    fn servers_of(&self, name: &str) -> Option<Option<&Vec<Value>>> {
        self.languages
            .iter()
            .find(|(language, _)| language == name)
            .map(|(_, servers)| servers.as_ref())
    }
}

/// The inputs of one Helix snippet.
#[derive(Debug, Clone, Default)]
pub struct HelixInputs {
    /// Helix's defaults, when found.
    pub defaults: Option<LanguagesFile>,
    /// The user's own `languages.toml`, when present: its lists win over the defaults.
    pub user: Option<LanguagesFile>,
}

impl HelixInputs {
    /// Finds and reads Helix's defaults and the user's `languages.toml` for `env`.
    pub fn find(env: &HelixEnv) -> Result<HelixInputs, EditorConfigError> {
        let defaults = match env.default_candidates().into_iter().find(|p| p.is_file()) {
            Some(path) => Some(LanguagesFile::read(&path)?),
            None => None,
        };
        let user_path = env.config_dir.as_ref().map(|d| d.join("languages.toml"));
        let user = match user_path.filter(|p| p.is_file()) {
            Some(path) => Some(LanguagesFile::read(&path)?),
            None => None,
        };
        Ok(HelixInputs { defaults, user })
    }
}

/// The snippet for `languages` (Helix language names), and warnings for stderr.
pub fn helix_snippet(
    languages: &[String],
    inputs: &HelixInputs,
) -> Result<(String, Vec<String>), EditorConfigError> {
    let mut warnings = Vec::new();
    let mut out = String::new();
    out.push_str("# commit-nudge for Helix: add this to ~/.config/helix/languages.toml (or a\n");
    out.push_str("# project's .helix/languages.toml), then check with `hx --health LANGUAGE`.\n");
    match &inputs.defaults {
        Some(defaults) => out.push_str(&format!(
            "# Generated by `commit-nudge editor-config helix` from Helix's defaults in\n# {}",
            defaults.path.display()
        )),
        None => out.push_str(
            "# Generated by `commit-nudge editor-config helix` WITHOUT Helix's defaults (no\n# languages.toml was found in Helix's runtime folders)",
        ),
    }
    if let Some(user) = &inputs.user {
        out.push_str(&format!(" and your {}", user.path.display()));
    }
    out.push_str(
        ".\n# Helix replaces a language's `language-servers` list, so each list below repeats\n",
    );
    out.push_str("# the servers that language already has and adds commit-nudge last.\n\n");
    out.push_str(
        "[language-server.commit-nudge]\ncommand = \"commit-nudge\"\nargs = [\"lsp\"]\n\n",
    );
    out.push_str("# Sent as initializationOptions and served for workspace/configuration.\n");
    out.push_str("[language-server.commit-nudge.config.commitNudge]\n");
    out.push_str(&settings_toml(&default_settings_json(false)));

    for name in languages {
        let from_user = inputs
            .user
            .as_ref()
            .and_then(|user| user.servers_of(name).flatten());
        let from_defaults = match &inputs.defaults {
            Some(defaults) => match defaults.servers_of(name) {
                Some(servers) => servers,
                None if from_user.is_some() => None,
                None => {
                    return Err(EditorConfigError::UnknownLanguage {
                        name: name.clone(),
                        path: defaults.path.clone(),
                        near: near_names(name, defaults),
                    })
                }
            },
            None => None,
        };
        let mut servers: Vec<Value> = from_user.or(from_defaults).cloned().unwrap_or_default();
        out.push_str(&format!(
            "\n[[language]]\nname = {}\n",
            Value::from(name.clone())
        ));
        if inputs.defaults.is_none() && from_user.is_none() {
            warnings.push(format!(
                "Helix's defaults were not found, so {name}'s own servers are unknown: add them before \"commit-nudge\" (see `hx --health {name}`), or pass --defaults <Helix's languages.toml>"
            ));
            out.push_str(&format!(
                "# Helix's defaults were not found: put {name}'s own servers (`hx --health {name}`)\n# before \"commit-nudge\", or Helix will run commit-nudge alone for {name}.\n"
            ));
        }
        let already = servers
            .iter()
            .any(|server| server_name(server) == Some("commit-nudge"));
        if !already {
            servers.push(Value::from("commit-nudge"));
        }
        out.push_str(&format!("language-servers = {}\n", Value::Array(servers)));
    }
    if languages.is_empty() {
        warnings.push(
            "no language named: the snippet defines the server but no language uses it; name the languages, e.g. `commit-nudge editor-config helix rust python markdown`".to_string(),
        );
    }
    Ok((out, warnings))
}

/// The name of one `language-servers` entry: a string, or a table's `name`.
fn server_name(server: &Value) -> Option<&str> {
    server
        .as_str()
        .or_else(|| server.get("name").and_then(Value::as_str))
}

/// A few language names of `file` close to `name`, for the error message.
fn near_names(name: &str, file: &LanguagesFile) -> String {
    let prefix: String = name.chars().take(2).collect();
    let mut near: Vec<&str> = file
        .languages
        .iter()
        .map(|(language, _)| language.as_str())
        .filter(|language| language.starts_with(&prefix))
        .take(8)
        .collect();
    if near.is_empty() {
        near = file
            .languages
            .iter()
            .map(|(language, _)| language.as_str())
            .take(8)
            .collect();
    }
    near.join(", ")
}

/// The settings object as TOML lines, in the order of the settings table.
pub(crate) fn settings_toml(settings: &Json) -> String {
    let mut out = String::new();
    let mut done: Vec<&str> = Vec::new();
    for spec in SETTINGS {
        let top = spec.key.split('.').next().unwrap_or(spec.key);
        if done.contains(&top) {
            continue;
        }
        done.push(top);
        let value = &settings[top];
        let text = match value {
            Json::Object(map) => {
                let fields: Vec<String> = SETTINGS
                    .iter()
                    .filter_map(|s| s.key.strip_prefix(&format!("{top}.")))
                    .filter_map(|leaf| map.get(leaf).map(|v| format!("{leaf} = {}", toml_value(v))))
                    .collect();
                format!("{{ {} }}", fields.join(", "))
            }
            other => toml_value(other),
        };
        out.push_str(&format!("{top} = {text}\n"));
    }
    out
}

fn toml_value(value: &Json) -> String {
    match value {
        Json::Bool(b) => b.to_string(),
        Json::Number(n) => n.to_string(),
        Json::String(s) => Value::from(s.clone()).to_string(),
        Json::Array(items) => format!(
            "[{}]",
            items.iter().map(toml_value).collect::<Vec<_>>().join(", ")
        ),
        Json::Object(map) => format!(
            "{{ {} }}",
            map.iter()
                .map(|(k, v)| format!("{k} = {}", toml_value(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Json::Null => "\"\"".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_settings_render_as_toml_that_reads_back_as_the_defaults() {
        let text = settings_toml(&default_settings_json(false));
        let table: toml::Table = toml::from_str(&text).expect("valid TOML");
        let back = serde_json::to_value(table).expect("JSON");
        assert_eq!(back, default_settings_json(false), "{text}");
        assert!(text.starts_with("thresholds = { lines = 200, files = 15, minutes = 60 }\n"));
    }

    #[test]
    fn runtime_folders_are_searched_in_helix_order() {
        let env = HelixEnv {
            helix_runtime: Some(PathBuf::from("/rt/runtime")),
            config_dir: Some(PathBuf::from("/home/me/.config/helix")),
            hx_binary: None,
            defaults_file: Some(PathBuf::from("/given.toml")),
        };
        assert_eq!(
            env.default_candidates(),
            vec![
                PathBuf::from("/given.toml"),
                PathBuf::from("/rt/runtime/languages.toml"),
                PathBuf::from("/rt/languages.toml"),
                PathBuf::from("/home/me/.config/helix/runtime/languages.toml"),
            ]
        );
    }
}
