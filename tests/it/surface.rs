//! The library's shape, held to what docs/architecture.md says of it: the public surface (every
//! `pub` item a reader of `cargo doc` meets, compared with `surface.txt`, so that a change of the
//! API shows in review as a change of that list), and the rooms (which room of `src/` may use
//! which; `src/lsp` never names `src/git`).
//!
//! Both read the library's source as text: what is public is what `pub` reaches from `lib.rs`
//! through `pub mod`, and what a `pub use` names, followed to where it is defined (so a type
//! re-exported from a room of the crate's own is listed with its fields and methods); tests are
//! left out. A new public item fails
//! the first test until `UPDATE_EXPECT=1 cargo test --test it surface::` writes it into the list.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn the_public_surface_is_the_listed_one() {
    let mut items = Vec::new();
    public_items("", &src().join("lib.rs"), &mut items);
    expect_test::expect_file!["surface.txt"].assert_eq(&(items.join("\n") + "\n"));
}

/// The rooms each room of the library may use (`crate::<room>`): the table of
/// docs/architecture.md, "Which room uses which". The crate root (`unix_now`,
/// `release_free_memory`) is open to all.
const MAY_USE: &[(&str, &[&str])] = &[
    ("hunk_range", &[]),
    ("lines", &[]),
    ("nudge", &[]),
    ("git", &["hunk_range"]),
    ("config", &["nudge"]),
    ("editor_config", &["config"]),
    ("habit", &["git", "nudge"]),
    ("record", &["git"]),
    ("plan", &["git", "hunk_range", "record"]),
    ("absorb", &["git", "hunk_range", "plan"]),
    ("report", &["config", "git", "habit", "nudge"]),
    (
        "workspace",
        &[
            "absorb", "config", "git", "habit", "lines", "nudge", "plan", "record", "report",
        ],
    ),
    (
        "prompt",
        &["config", "git", "record", "report", "workspace"],
    ),
    (
        "lsp",
        &[
            "absorb",
            "config",
            "hunk_range",
            "lines",
            "nudge",
            "plan",
            "report",
            "workspace",
        ],
    ),
];

#[test]
fn each_room_uses_only_the_rooms_it_may() {
    let allowed: BTreeMap<&str, &[&str]> = MAY_USE.iter().copied().collect();
    let mut used: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for entry in std::fs::read_dir(src()).expect("src/") {
        let path = entry.expect("an entry of src/").path();
        let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        // The binary's own files use the library by its name, not `crate::`.
        if ["lib", "main", "cli"].contains(&stem) {
            continue;
        }
        let room = stem.to_string();
        let mut files = Vec::new();
        rust_files(&path, &mut files);
        for file in files {
            let text = std::fs::read_to_string(&file).expect("a source file");
            for name in crate_paths(&without_tests(&text)) {
                if name != room && name != "unix_now" && name != "release_free_memory" {
                    used.entry(room.clone()).or_default().insert(name);
                }
            }
        }
    }
    let mut wrong = Vec::new();
    for (room, names) in &used {
        let Some(may) = allowed.get(room.as_str()) else {
            wrong.push(format!(
                "src/{room} is a room the table does not list (add it, here and in docs/architecture.md)"
            ));
            continue;
        };
        for name in names {
            if !may.contains(&name.as_str()) {
                wrong.push(format!("src/{room} uses crate::{name}, which it may not"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // The table itself runs one way: no room may use a room that may use it.
    for (room, may) in MAY_USE {
        for other in *may {
            let back = allowed.get(other).copied().unwrap_or_default();
            assert!(
                !back.contains(room),
                "{room} and {other} may use each other"
            );
        }
    }
}

/// In the engine, the effects (and the jobs they carry) are defined in `effect.rs` and the
/// runners (`jobs.rs`, `plan_jobs.rs`, `absorb_jobs.rs`) import them, never the other way round,
/// so the three form no cycle (docs/architecture.md, "The workspace engine"). Doc comments may
/// name a runner.
#[test]
fn the_engine_s_effects_do_not_use_their_runners() {
    let text = std::fs::read_to_string(src().join("workspace/effect.rs")).expect("effect.rs");
    let code: String = without_tests(&text)
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    for runner in ["jobs", "plan_jobs", "absorb_jobs"] {
        let path = format!("{runner}::");
        let used = code.match_indices(&path).any(|(at, _)| {
            !code[..at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_')
        });
        assert!(!used, "effect.rs uses {runner}");
    }
}

/// The room test can fail: a use of `crate::git` in a file of `src/lsp` is seen, a test module's
/// is not.
#[test]
fn a_room_s_uses_are_read_from_its_code_not_its_tests() {
    let text = "use crate::workspace::Event;\nfn f() { crate::git::open(p); }\n\
                #[cfg(test)]\nmod tests {\n    use crate::plan::Plan;\n}\n";
    let names: Vec<String> = crate_paths(&without_tests(text)).into_iter().collect();
    assert_eq!(names, vec!["git".to_string(), "workspace".to_string()]);
}

fn rust_files(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        for entry in std::fs::read_dir(path).expect("a directory of src/") {
            let path = entry.expect("an entry").path();
            // A module's tests in a folder or file of their own (`tests/`, `tests.rs`).
            if path.file_stem().is_some_and(|s| s == "tests") {
                continue;
            }
            rust_files(&path, out);
        }
    } else if path.extension().is_some_and(|e| e == "rs") {
        out.push(path.to_path_buf());
    }
}

/// The names that follow `crate::` in `text`.
fn crate_paths(text: &str) -> BTreeSet<String> {
    text.match_indices("crate::")
        .filter(|(at, _)| {
            // `commit_nudge::crate` does not occur; a path such as `super::crate` neither. Skip
            // a longer identifier ending in `crate` (`my_crate::`).
            !text[..*at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_')
        })
        .map(|(at, _)| {
            text[at + "crate::".len()..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect::<String>()
        })
        .filter(|name| !name.is_empty())
        .collect()
}

/// `text` without its `#[cfg(test)]` items (a `mod tests { … }` to its closing brace).
fn without_tests(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.trim() != "#[cfg(test)]" {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        let Some(item) = lines.next() else { break };
        if item.trim_end().ends_with('{') {
            let close = format!("{}}}", " ".repeat(indent));
            for inner in lines.by_ref() {
                if inner.trim_end() == close {
                    break;
                }
            }
        }
    }
    out
}

/// Appends the public items of the module `module` (its path in the crate, `""` for the root),
/// whose source is `file`, then those of its `pub mod`s: a line each, `module: what`, with a
/// struct's public fields and a type's public methods.
fn public_items(module: &str, file: &Path, out: &mut Vec<String>) {
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let text = without_tests(&text);
    let here = if module.is_empty() { "crate" } else { module };
    let mut children = Vec::new();
    // (type, method): kept for the module's own public types (a `pub fn` of a private type is
    // not reachable).
    let mut methods: Vec<(String, String)> = Vec::new();
    let mut types = BTreeSet::new();
    let mut lines = text.lines();
    let mut block: Option<String> = None;
    while let Some(line) = lines.next() {
        if let Some(of) = &block {
            // Inside an `impl` at the top level: its `pub fn`s are the type's methods.
            if line == "}" {
                block = None;
            } else if let Some(rest) = line
                .strip_prefix("    pub fn ")
                .or_else(|| line.strip_prefix("    pub const "))
            {
                methods.push((of.clone(), ident(rest)));
            }
            continue;
        }
        if line.starts_with("impl") && line.trim_end().ends_with('{') {
            block = Some(impl_type(line));
            continue;
        }
        let Some(rest) = line.strip_prefix("pub ") else {
            continue;
        };
        let mut declaration = rest.trim_end().to_string();
        if let Some(name) = rest.strip_prefix("mod ") {
            let name = ident(name);
            out.push(format!("{here}: mod {name}"));
            children.push(name);
            continue;
        }
        if rest.starts_with("use ") {
            while !declaration.ends_with(';') {
                let Some(next) = lines.next() else { break };
                declaration.push(' ');
                declaration.push_str(next.trim());
            }
            let declaration = declaration.replace("{ ", "{").replace(", }", "}");
            let declaration = declaration.trim_end_matches(';');
            out.push(format!("{here}: {declaration}"));
            // What a re-export names is public here, wherever it is defined: its fields and
            // methods are listed as this module's.
            let (path, names) = use_parts(declaration.trim_start_matches("use "));
            if let Some(source) = module_file(file, &path) {
                for item in items_named(&source, &names) {
                    out.push(format!("{here}: {item}"));
                }
            }
            continue;
        }
        let kind_and_name = kind_and_name(rest);
        if let Some((kind, name)) = kind_and_name.rsplit_once(' ') {
            if ["struct", "enum", "trait", "type"].contains(&kind) {
                types.insert(name.to_string());
            }
        }
        if rest.starts_with("struct ") && rest.trim_end().ends_with('{') {
            let mut fields = Vec::new();
            for inner in lines.by_ref() {
                if inner == "}" {
                    break;
                }
                if let Some(field) = inner.strip_prefix("    pub ") {
                    fields.push(ident(field));
                }
            }
            if fields.is_empty() {
                out.push(format!("{here}: {kind_and_name}"));
            } else {
                out.push(format!("{here}: {kind_and_name} {{{}}}", fields.join(", ")));
            }
            continue;
        }
        out.push(format!("{here}: {kind_and_name}"));
    }
    for (of, method) in methods {
        if types.contains(&of) {
            out.push(format!("{here}: {of}::{method}"));
        }
    }
    let dir = match file.file_name().and_then(|n| n.to_str()) {
        Some("lib.rs") | Some("mod.rs") => file.parent().expect("a folder").to_path_buf(),
        _ => file.with_extension(""),
    };
    for child in children {
        let path = if module.is_empty() {
            child.clone()
        } else {
            format!("{module}::{child}")
        };
        let flat = dir.join(format!("{child}.rs"));
        let file = if flat.exists() {
            flat
        } else {
            dir.join(&child).join("mod.rs")
        };
        public_items(&path, &file, out);
    }
}

/// The module path and the names of a `use` declaration (after `use `): `a::b::{C, d}` gives
/// (`[a, b]`, `[C, d]`), `a::B` gives (`[a]`, `[B]`).
fn use_parts(used: &str) -> (Vec<String>, Vec<String>) {
    let (path, names) = match used.split_once("::{") {
        Some((path, names)) => (path, names.trim_end_matches('}')),
        None => used.rsplit_once("::").unwrap_or(("", used)),
    };
    let split = |text: &str, by: &str| -> Vec<String> {
        text.split(by)
            .map(|part| part.trim().to_string())
            .filter(|part| !part.is_empty())
            .collect()
    };
    (split(path, "::"), split(names, ","))
}

/// The folder of a module's children: beside `lib.rs` or `mod.rs`, else named as the file.
fn module_dir(file: &Path) -> PathBuf {
    match file.file_name().and_then(|n| n.to_str()) {
        Some("lib.rs") | Some("mod.rs") => file.parent().expect("a folder").to_path_buf(),
        _ => file.with_extension(""),
    }
}

/// The source file of the module `path` as the module whose source is `file` names it: its
/// child, `crate::…`, or a module it brings in by a `use` (`use diffs::{hunks, …}`).
fn module_file(file: &Path, path: &[String]) -> Option<PathBuf> {
    let Some((first, rest)) = path.split_first() else {
        return Some(file.to_path_buf());
    };
    if first == "crate" {
        return module_file(&src().join("lib.rs"), rest);
    }
    let dir = module_dir(file);
    let flat = dir.join(format!("{first}.rs"));
    let nested = dir.join(first).join("mod.rs");
    if flat.exists() {
        return module_file(&flat, rest);
    }
    if nested.exists() {
        return module_file(&nested, rest);
    }
    let text = std::fs::read_to_string(file).ok()?;
    for (used, names) in use_declarations(&text) {
        if names.contains(first) {
            let mut full = used;
            full.extend(path.iter().cloned());
            return module_file(file, &full);
        }
    }
    None
}

/// Every `use` declaration of `text` (public or not), as `use_parts` splits it.
fn use_declarations(text: &str) -> Vec<(Vec<String>, Vec<String>)> {
    let mut found = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let Some(at) = line.find("use ") else {
            continue;
        };
        if !["", "pub ", "pub(crate) "].contains(&&line[..at]) {
            continue;
        }
        let mut declaration = line[at + "use ".len()..].trim_end().to_string();
        while !declaration.ends_with(';') {
            let Some(next) = lines.next() else { break };
            declaration.push(' ');
            declaration.push_str(next.trim());
        }
        let declaration = declaration.replace("{ ", "{").replace(", }", "}");
        found.push(use_parts(declaration.trim_end_matches(';')));
    }
    found
}

/// The public items `names` of the module whose source is `file` (followed through its own
/// re-exports), as `public_items` writes them without the module: `struct Hunk {…}`,
/// `Hunk::hash`. The module itself need not be public: a type defined in a room of the crate's
/// own and re-exported is as public as one defined where it is exported.
fn items_named(file: &Path, names: &[String]) -> Vec<String> {
    const HERE: &str = "§";
    let mut all = Vec::new();
    public_items(HERE, file, &mut all);
    let mut found = Vec::new();
    for line in &all {
        let Some(item) = line.strip_prefix(&format!("{HERE}: ")) else {
            continue;
        };
        let name = match item.split_once("::") {
            Some((of, _)) if !item.contains(' ') => of.to_string(),
            _ => ident(
                item.split(" {")
                    .next()
                    .unwrap_or(item)
                    .rsplit(' ')
                    .next()
                    .unwrap_or(item),
            ),
        };
        // What the module re-exports itself is listed by `public_items` after its `use` line.
        if !item.starts_with("use ") && names.contains(&name) {
            found.push(item.to_string());
        }
    }
    found
}

/// `fn name`, `struct Name`, `const NAME`, … of a declaration after its `pub `.
fn kind_and_name(rest: &str) -> String {
    let mut words = rest.split_whitespace();
    let mut kind = Vec::new();
    for word in words.by_ref() {
        kind.push(word);
        if ["fn", "struct", "enum", "trait", "type", "const", "static"].contains(&word) {
            break;
        }
    }
    let name = words.next().map(ident).unwrap_or_default();
    format!("{} {name}", kind.join(" "))
}

/// The identifier at the start of `text`.
fn ident(text: &str) -> String {
    text.trim_start()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// The type an `impl … {` line is for: the last path segment after `for`, else after `impl`,
/// with its generics dropped.
fn impl_type(line: &str) -> String {
    let line = line.trim_end().trim_end_matches('{').trim();
    let target = match line.rsplit_once(" for ") {
        Some((_, target)) => target,
        None => line.trim_start_matches("impl").trim_start(),
    };
    // `impl<'a> Foo<'a>`: drop the impl's own generics first.
    let target = if target.starts_with('<') {
        target.split_once("> ").map_or(target, |(_, t)| t)
    } else {
        target
    };
    let target = target.split('<').next().unwrap_or(target);
    target
        .rsplit("::")
        .next()
        .unwrap_or(target)
        .trim()
        .to_string()
}
