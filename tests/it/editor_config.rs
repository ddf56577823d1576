//! `commit-nudge editor-config helix`: the snippet keeps each language's own servers, read from
//! Helix's defaults (a stand-in for Helix's `languages.toml` in its format) found the way Helix finds its
//! runtime, and the user's own `languages.toml` on top.

use crate::support;

use std::path::Path;
use std::process::{Command, Output};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/helix/languages.toml"
);

/// Runs `commit-nudge editor-config helix ARGS` with HOME at `home` and only `envs` set.
fn helix(home: &Path, args: &[&str], envs: &[(&str, &Path)]) -> Output {
    let mut command = Command::new(support::binary());
    command
        .arg("editor-config")
        .arg("helix")
        .args(args)
        .env_clear()
        .env("HOME", home)
        .env("PATH", home.join("bin"));
    for (key, value) in envs {
        command.env(key, value);
    }
    command.output().expect("binary runs")
}

fn parsed(output: &Output) -> toml::Table {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    toml::from_str(&String::from_utf8_lossy(&output.stdout)).expect("the snippet is TOML")
}

/// (name, language-servers) of every `[[language]]` entry.
fn languages(table: &toml::Table) -> Vec<(String, toml::Value)> {
    table["language"]
        .as_array()
        .expect("languages")
        .iter()
        .map(|entry| {
            let keys: Vec<&String> = entry.as_table().expect("table").keys().collect();
            assert_eq!(
                keys,
                ["language-servers", "name"],
                "only the server list is set"
            );
            (
                entry["name"].as_str().expect("name").to_string(),
                entry["language-servers"].clone(),
            )
        })
        .collect()
}

fn runtime_with_fixture(dir: &Path) -> std::path::PathBuf {
    let runtime = dir.join("runtime");
    std::fs::create_dir_all(&runtime).expect("mkdir");
    std::fs::copy(FIXTURE, runtime.join("languages.toml")).expect("copy");
    runtime
}

#[test]
fn only_the_languages_asked_for_keep_their_servers_with_commit_nudge_last() {
    let home = tempfile::tempdir().expect("tmp");
    let runtime = runtime_with_fixture(home.path());
    let output = helix(
        home.path(),
        &["rust", "markdown", "erlang"],
        &[("HELIX_RUNTIME", &runtime)],
    );
    let table = parsed(&output);
    let expected: toml::Table = toml::from_str(
        r#"
        [[language]]
        name = "rust"
        language-servers = ["rust-analyzer", "commit-nudge"]
        [[language]]
        name = "markdown"
        language-servers = ["marksman", "markdown-oxide", "rumdl", "commit-nudge"]
        [[language]]
        name = "erlang"
        language-servers = [
          { name = "erlang-ls", except-features = ["document-symbols", "workspace-symbols"] },
          { name = "elp", except-features = ["document-symbols", "workspace-symbols"] },
          "commit-nudge",
        ]
        "#,
    )
    .expect("expected TOML");
    assert_eq!(languages(&table), languages(&expected));
    let server = &table["language-server"]["commit-nudge"];
    assert_eq!(server["command"].as_str(), Some("commit-nudge"));
    assert_eq!(server["args"].as_array().map(Vec::len), Some(1));
    let settings = serde_json::to_value(&server["config"]["commitNudge"]).expect("json");
    assert_eq!(settings, commit_nudge::config::default_settings_json(false));
    assert!(String::from_utf8_lossy(&output.stdout)
        .contains(&runtime.join("languages.toml").display().to_string()));
}

#[test]
fn the_users_own_list_wins_and_commit_nudge_is_not_added_twice() {
    let home = tempfile::tempdir().expect("tmp");
    let runtime = runtime_with_fixture(home.path());
    let config = home.path().join(".config/helix");
    std::fs::create_dir_all(&config).expect("mkdir");
    std::fs::write(
        config.join("languages.toml"),
        "[[language]]\nname = \"rust\"\nlanguage-servers = [\"rust-analyzer\", \"typos\"]\n\n[[language]]\nname = \"cmake\"\nlanguage-servers = [\"neocmakelsp\", \"commit-nudge\"]\n",
    )
    .expect("write");
    let table = parsed(&helix(
        home.path(),
        &["rust", "cmake", "git-commit"],
        &[("HELIX_RUNTIME", &runtime)],
    ));
    let names: Vec<(String, String)> = languages(&table)
        .into_iter()
        .map(|(name, servers)| (name, servers.to_string()))
        .collect();
    assert_eq!(
        names,
        [
            (
                "rust".to_string(),
                r#"["rust-analyzer", "typos", "commit-nudge"]"#.to_string()
            ),
            (
                "cmake".to_string(),
                r#"["neocmakelsp", "commit-nudge"]"#.to_string()
            ),
            (
                "git-commit".to_string(),
                r#"["commit-lsp", "commit-nudge"]"#.to_string()
            ),
        ]
    );
}

#[test]
fn helix_defaults_are_found_in_the_config_runtime_and_next_to_hx() {
    // ~/.config/helix/runtime/languages.toml
    let home = tempfile::tempdir().expect("tmp");
    runtime_with_fixture(&home.path().join(".config/helix"));
    let table = parsed(&helix(home.path(), &["docker-compose"], &[]));
    assert_eq!(
        languages(&table)[0].1.to_string(),
        r#"["docker-compose-langserver", "yaml-language-server", "docker-language-server", "commit-nudge"]"#
    );

    // <dir of the real hx>/runtime/languages.toml, hx reached through a symbolic link on PATH.
    let home = tempfile::tempdir().expect("tmp");
    let install = home.path().join("opt/helix");
    runtime_with_fixture(&install);
    std::fs::write(install.join("hx"), "#!/bin/sh\n").expect("hx");
    std::fs::create_dir_all(home.path().join("bin")).expect("bin");
    std::os::unix::fs::symlink(install.join("hx"), home.path().join("bin/hx")).expect("link");
    let table = parsed(&helix(home.path(), &["rust"], &[]));
    assert_eq!(
        languages(&table)[0].1.to_string(),
        r#"["rust-analyzer", "commit-nudge"]"#
    );
}

#[test]
fn without_helix_defaults_the_snippet_says_so_and_an_unknown_language_is_refused() {
    let home = tempfile::tempdir().expect("tmp");
    let output = helix(home.path(), &["python"], &[]);
    let table = parsed(&output);
    assert_eq!(languages(&table)[0].1.to_string(), r#"["commit-nudge"]"#);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stdout.contains("WITHOUT Helix's defaults"), "{stdout}");
    assert!(
        stderr.contains("python's own servers are unknown") && stderr.contains("--defaults"),
        "{stderr}"
    );

    let typo = helix(home.path(), &["rsut", "--defaults", FIXTURE], &[]);
    assert_eq!(typo.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&typo.stderr);
    assert!(stderr.contains("no language named \"rsut\""), "{stderr}");
    assert!(typo.stdout.is_empty());
}
