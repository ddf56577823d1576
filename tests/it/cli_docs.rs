//! `commit-nudge completions SHELL` and `commit-nudge man`, made from the clap definitions: the
//! bash script, sourced in a real bash, completes every command; the zsh and fish scripts name
//! them; the man page is roff that lists every command (and groff, where installed, reads it
//! without a warning).

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_commit-nudge");

/// The commands a user sees in `commit-nudge --help` (the prompt daemon is hidden).
const COMMANDS: &[&str] = &[
    "lsp",
    "status",
    "prompt",
    "editor-config",
    "stats",
    "plan",
    "completions",
    "man",
];

fn run(args: &[&str]) -> String {
    let out = Command::new(BIN).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn bash_completion_offers_every_command() {
    let script = run(&["completions", "bash"]);
    assert!(script.contains("complete -F _commit__nudge"), "{script}");
    // Source it in bash and ask for the completions of `commit-nudge <TAB>`.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("commit-nudge.bash");
    std::fs::write(&path, &script).unwrap();
    let probe = format!(
        "source '{}'; COMP_WORDS=(commit-nudge ''); COMP_CWORD=1; \
         _commit__nudge commit-nudge '' commit-nudge; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        path.display()
    );
    let out = Command::new("bash")
        .args(["--norc", "-c", &probe])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let offered: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    for command in COMMANDS {
        assert!(
            offered.iter().any(|o| o == command),
            "{command} not in {offered:?}"
        );
    }
    assert!(offered.iter().any(|o| o == "--version"), "{offered:?}");
}

#[test]
fn zsh_and_fish_completions_name_every_command() {
    let zsh = run(&["completions", "zsh"]);
    assert!(zsh.starts_with("#compdef commit-nudge"), "{zsh}");
    let fish = run(&["completions", "fish"]);
    assert!(fish.contains("complete -c commit-nudge"), "{fish}");
    for command in COMMANDS {
        assert!(zsh.contains(&format!("'{command}:")), "zsh lacks {command}");
        assert!(
            fish.contains(&format!("-a \"{command}\"")),
            "fish lacks {command}"
        );
    }
}

#[test]
fn an_unknown_shell_is_refused_with_the_choices() {
    let out = Command::new(BIN)
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bash") && err.contains("zsh") && err.contains("fish"),
        "{err}"
    );
}

/// The roff of a page: a `.TH` title, the usual sections, only known requests.
fn check_roff(page: &str, name: &str) {
    let first_th = page
        .lines()
        .find(|l| l.starts_with(".TH"))
        .expect("a .TH line");
    assert!(first_th.starts_with(&format!(".TH {name} 1")), "{first_th}");
    for section in [".SH NAME", ".SH SYNOPSIS", ".SH DESCRIPTION"] {
        assert!(page.lines().any(|l| l == section), "{name}: no {section}");
    }
    let known = [
        ".TH", ".SH", ".SS", ".TP", ".PP", ".P", ".IP", ".RS", ".RE", ".br", ".ie", ".el", ".ds",
        ".B", ".I", ".nf", ".fi", ".sp", ".in",
    ];
    for line in page.lines().filter(|l| l.starts_with('.')) {
        let request = line.split_whitespace().next().unwrap();
        assert!(
            known.contains(&request),
            "{name}: unknown roff request in {line:?}"
        );
    }
    if let Ok(out) = Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(page.as_bytes())?;
            child.wait_with_output()
        })
    {
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "groff on {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn the_man_page_is_roff_listing_every_command() {
    let page = run(&["man"]);
    check_roff(&page, "commit-nudge");
    let subcommands = page
        .split(".SH SUBCOMMANDS")
        .nth(1)
        .expect("a SUBCOMMANDS section");
    for command in COMMANDS {
        // roff escapes the hyphen.
        let entry = format!("commit\\-nudge\\-{}(1)", command.replace('-', "\\-"));
        assert!(subcommands.contains(&entry), "no {entry} in SUBCOMMANDS");
    }
    assert!(
        !page.contains("prompt\\-daemon"),
        "the hidden daemon is listed"
    );
}

#[test]
fn man_dir_writes_one_page_per_command() {
    let dir = tempfile::tempdir().unwrap();
    run(&["man", "--dir", dir.path().to_str().unwrap()]);
    for command in COMMANDS {
        let name = format!("commit-nudge-{command}");
        let page = std::fs::read_to_string(dir.path().join(format!("{name}.1"))).unwrap();
        check_roff(&page, &name);
    }
    let top = std::fs::read_to_string(dir.path().join("commit-nudge.1")).unwrap();
    check_roff(&top, "commit-nudge");
}
