//! Titles for planned commits: a short imperative line from what changed, such as
//! `config: add parse_auto` or `README: update`. The scope comes from the paths, the object from
//! the names the hunks define or the functions they touch.

use super::{HunkKind, PlanHunk};

/// Directory names too generic to serve as a scope.
const GENERIC_DIRS: &[&str] = &[
    "src", "lib", "libs", "source", "sources", "app", "pkg", "internal", "cmd", "include", "main",
    "java", "kotlin", "python", "crates", "packages", "modules", "test", "tests", "spec",
];

/// The title of the group of `indices`; `introduced` lists the names it defines, most telling
/// first; `functions` is the name of the function each hunk sits in where the indentation found
/// one (`super::scope`; empty when not known), else git's hunk header names it.
pub(crate) fn title(
    hunks: &[PlanHunk],
    indices: &[usize],
    functions: &[Option<String>],
    introduced: &[String],
) -> String {
    let members: Vec<&PlanHunk> = indices.iter().filter_map(|i| hunks.get(*i)).collect();
    let own: Vec<Option<String>> = indices
        .iter()
        .map(|i| functions.get(*i).cloned().flatten())
        .collect();
    let mut files: Vec<&str> = Vec::new();
    for hunk in &members {
        if !files.contains(&hunk.path.as_str()) {
            files.push(&hunk.path);
        }
    }
    let scope = scope_of(&files);
    let all = |kind: HunkKind| members.iter().all(|h| h.kind == kind);
    let verb = if all(HunkKind::Added) {
        "add"
    } else if all(HunkKind::Deleted) {
        "remove"
    } else if members
        .iter()
        .all(|h| h.added.is_empty() && h.kind == HunkKind::Text)
    {
        "remove from"
    } else if !introduced.is_empty() {
        "add"
    } else {
        "update"
    };
    let object = if all(HunkKind::Added) || all(HunkKind::Deleted) {
        names_of_files(&files)
    } else if !introduced.is_empty() && verb == "add" {
        list(introduced.iter().map(String::as_str))
    } else {
        let functions = touched_functions(&members, &own);
        if functions.is_empty() {
            names_of_files(&files)
        } else {
            list(functions.iter().map(String::as_str))
        }
    };
    let line = if scope.is_empty() {
        format!("{verb} {object}")
    } else {
        format!("{scope}: {verb} {object}")
    };
    clip(line.trim_end(), 72)
}

/// `a`, `a and b`, or `a, b and more` for the first names.
fn list<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.take(3).collect();
    match names.as_slice() {
        [] => String::new(),
        [one] => (*one).to_string(),
        [one, two] => format!("{one} and {two}"),
        [one, two, ..] => format!("{one}, {two} and more"),
    }
}

/// The scope: the file's stem for one file, else the most specific shared directory that says
/// something.
fn scope_of(files: &[&str]) -> String {
    if files.len() == 1 {
        let name = files[0].rsplit('/').next().unwrap_or(files[0]);
        let stem = name.split('.').next().unwrap_or(name);
        if matches!(stem, "mod" | "lib" | "main" | "index" | "__init__") {
            if let Some(dir) = meaningful_dir(files[0].rsplit_once('/').map_or("", |(d, _)| d)) {
                return dir;
            }
        }
        return if stem.is_empty() {
            name.to_string()
        } else {
            stem.to_string()
        };
    }
    let dirs: Vec<Vec<&str>> = files
        .iter()
        .map(|f| {
            let mut parts: Vec<&str> = f.split('/').collect();
            parts.pop();
            parts
        })
        .collect();
    let mut common: Vec<&str> = dirs[0].clone();
    for dir in &dirs[1..] {
        let shared = common
            .iter()
            .zip(dir.iter())
            .take_while(|(a, b)| a == b)
            .count();
        common.truncate(shared);
    }
    meaningful_dir(&common.join("/")).unwrap_or_default()
}

/// The last component of `dir` that is not a generic name such as `src`.
fn meaningful_dir(dir: &str) -> Option<String> {
    dir.split('/')
        .rev()
        .find(|part| !part.is_empty() && !GENERIC_DIRS.contains(part))
        .map(str::to_string)
}

fn names_of_files(files: &[&str]) -> String {
    list(files.iter().map(|f| f.rsplit('/').next().unwrap_or(f)))
}

/// The names of the functions the hunks sit in (by indentation where it found one, else from
/// git's hunk headers), most frequent first.
fn touched_functions(members: &[&PlanHunk], own: &[Option<String>]) -> Vec<String> {
    let mut counted: Vec<(String, usize)> = Vec::new();
    for (k, hunk) in members.iter().enumerate() {
        let found = own.get(k).cloned().flatten();
        let Some(name) = found.or_else(|| function_name(&hunk.header)) else {
            continue;
        };
        match counted.iter_mut().find(|(n, _)| *n == name) {
            Some((_, count)) => *count += 1,
            None => counted.push((name, 1)),
        }
    }
    counted.sort_by_key(|c| std::cmp::Reverse(c.1));
    counted.into_iter().map(|(name, _)| name).collect()
}

/// The name a hunk header line introduces: the identifier before its first `(`, or after a
/// keyword such as `fn`, `class` or `impl`.
fn function_name(header: &str) -> Option<String> {
    let header = header.trim();
    if header.is_empty() {
        return None;
    }
    let is_ident = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    for (paren, _) in header.match_indices('(') {
        let before = header[..paren].trim_end();
        let name: String = before
            .chars()
            .rev()
            .take_while(|c| is_ident(*c) || *c == '.' || *c == ':')
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let name = name
            .rsplit(['.', ':'])
            .next()
            .unwrap_or_default()
            .to_string();
        let keyword = matches!(
            name.as_str(),
            "func" | "function" | "def" | "fn" | "if" | "for" | "while" | "switch" | "sub"
        );
        if name.len() >= 2 && !keyword && name.chars().next().is_some_and(|c| !c.is_ascii_digit()) {
            return Some(name);
        }
    }
    let words: Vec<&str> = header
        .split(|c: char| !is_ident(c))
        .filter(|w| !w.is_empty())
        .collect();
    for pair in words.windows(2) {
        if matches!(
            pair[0],
            "fn" | "def"
                | "class"
                | "struct"
                | "enum"
                | "trait"
                | "impl"
                | "interface"
                | "mod"
                | "module"
                | "func"
                | "function"
                | "type"
        ) {
            return Some(pair[1].to_string());
        }
    }
    None
}

/// At most `max` characters, ending with `…` when cut.
fn clip(line: &str, max: usize) -> String {
    if line.chars().count() <= max {
        return line.to_string();
    }
    let cut: String = line.chars().take(max - 1).collect();
    format!("{}…", cut.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hunk_range::HunkRange;

    fn hunk(path: &str, header: &str, kind: HunkKind, added: &[&str]) -> PlanHunk {
        PlanHunk {
            path: path.to_string(),
            range: HunkRange {
                old_start: 1,
                old_lines: 0,
                new_start: 1,
                new_lines: added.len() as u32,
            },
            header: header.to_string(),
            kind,
            removed: Vec::new(),
            added: added.iter().map(|l| l.as_bytes().to_vec()).collect(),
            staged: false,
        }
    }

    #[test]
    fn titles_say_scope_verb_and_object() {
        let hunks = vec![
            hunk(
                "src/config.rs",
                "fn parse(text: &str)",
                HunkKind::Text,
                &["x"],
            ),
            hunk(
                "src/config.rs",
                "fn parse(text: &str)",
                HunkKind::Text,
                &["y"],
            ),
            hunk("docs/guide.md", "", HunkKind::Added, &["z"]),
            hunk("src/plan/mod.rs", "", HunkKind::Text, &["w"]),
        ];
        assert_eq!(title(&hunks, &[0, 1], &[], &[]), "config: update parse");
        assert_eq!(
            title(&hunks, &[0], &[], &["parse_auto".to_string()]),
            "config: add parse_auto"
        );
        assert_eq!(title(&hunks, &[2], &[], &[]), "guide: add guide.md");
        // Where the indentation found the function (a method under a class header), it names it.
        let methods = [hunk(
            "requests/sessions.py",
            "class Session:",
            HunkKind::Text,
            &["u"],
        )];
        let found = [Some("send".to_string())];
        assert_eq!(title(&methods, &[0], &[], &[]), "sessions: update Session");
        assert_eq!(title(&methods, &[0], &found, &[]), "sessions: update send");
        assert_eq!(title(&hunks, &[3], &[], &[]), "plan: update mod.rs");
    }

    #[test]
    fn function_names_come_from_headers_of_several_languages() {
        assert_eq!(
            function_name("fn parse(text: &str) -> Result<T>").as_deref(),
            Some("parse")
        );
        assert_eq!(
            function_name("def load(self, path):").as_deref(),
            Some("load")
        );
        assert_eq!(function_name("impl Config {").as_deref(), Some("Config"));
        assert_eq!(
            function_name("func (s *Server) Serve(l net.Listener) error {").as_deref(),
            Some("Serve")
        );
        assert_eq!(function_name("").as_deref(), None);
    }
}
