//! The affinity of two hunks: what references, place, and co-change say about
//! whether they belong to one commit. Language-agnostic: identifiers come from the tokenizer,
//! definitions from the keywords most languages share, enclosing functions from git's hunk
//! headers.

use std::collections::{HashMap, HashSet};

use super::group::{GroupOptions, Signals};
use super::tokens::{self, Interner};
use super::{HunkKind, PlanHunk};

pub(super) fn parent_dir(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

pub(super) fn file_name(path: &str) -> &str {
    path.rsplit_once('/').map_or(path, |(_, name)| name)
}

/// The old side of a hunk as line boundaries: `[start, end)`, an insertion being empty.
pub(super) fn old_span(hunk: &PlanHunk) -> (u32, u32) {
    hunk.range.old_span()
}

/// What the tokenizer learned of each hunk and of the changed files.
pub(super) struct Facts {
    pub(super) interner: Interner,
    /// The identifiers of each hunk's added lines and of its removed lines.
    pub(super) added: Vec<HashSet<u32>>,
    pub(super) removed: Vec<HashSet<u32>>,
    /// The identifiers each hunk defines (after a keyword such as `fn`, `def`, `class`).
    pub(super) defined: Vec<HashSet<u32>>,
    /// Identifiers that the changed files gain (absent before) or lose (absent after).
    pub(super) introduced: HashSet<u32>,
    pub(super) vanished: HashSet<u32>,
    /// Occurrences of each identifier in the changed files, before and after.
    pub(super) total: HashMap<u32, u32>,
    /// How many hunks touch each identifier.
    pub(super) hunks_with: HashMap<u32, u32>,
}

/// Words after which most languages name what they define.
const DEFINING: &[&str] = &[
    "fn",
    "def",
    "function",
    "func",
    "class",
    "struct",
    "enum",
    "trait",
    "interface",
    "type",
    "const",
    "static",
    "let",
    "var",
    "val",
    "mod",
    "module",
    "macro_rules!",
    "sub",
    "proc",
    "defn",
    "defun",
    "local",
    "export",
    "pub",
    "impl",
];

impl Facts {
    /// `comments`: whether identifiers in comments count (else only code does).
    pub(super) fn new(hunks: &[PlanHunk], signals: &Signals<'_>, comments: bool) -> Facts {
        let mut interner = Interner::default();
        let mut old_counts: HashMap<u32, u32> = HashMap::new();
        let mut new_counts: HashMap<u32, u32> = HashMap::new();
        for text in signals.old_texts.values() {
            tokens::count_into(text, &mut interner, &mut old_counts);
        }
        for text in signals.new_texts.values() {
            tokens::count_into(text, &mut interner, &mut new_counts);
        }
        let mut added = Vec::with_capacity(hunks.len());
        let mut removed = Vec::with_capacity(hunks.len());
        let mut defined = Vec::with_capacity(hunks.len());
        let mut hunks_with: HashMap<u32, u32> = HashMap::new();
        let code = |line: &'_ [u8]| -> Vec<u8> {
            if comments {
                line.to_vec()
            } else {
                tokens::code_part(line).to_vec()
            }
        };
        for hunk in hunks {
            let mut a = HashSet::new();
            let mut r = HashSet::new();
            let mut d = HashSet::new();
            for line in hunk.added.iter().map(|l| code(l)) {
                let line = &line;
                tokens::identifiers(line, |w| {
                    a.insert(interner.intern(w));
                });
                definitions(line, |w| {
                    d.insert(interner.intern(w));
                });
            }
            for line in hunk.removed.iter().map(|l| code(l)) {
                let line = &line;
                tokens::identifiers(line, |w| {
                    r.insert(interner.intern(w));
                });
                definitions(line, |w| {
                    d.insert(interner.intern(w));
                });
            }
            for t in a.union(&r) {
                *hunks_with.entry(*t).or_insert(0) += 1;
            }
            added.push(a);
            removed.push(r);
            defined.push(d);
        }
        let mut introduced = HashSet::new();
        let mut vanished = HashSet::new();
        let mut total: HashMap<u32, u32> = HashMap::new();
        for (t, n) in &new_counts {
            if !old_counts.contains_key(t) {
                introduced.insert(*t);
            }
            *total.entry(*t).or_insert(0) += n;
        }
        for (t, n) in &old_counts {
            if !new_counts.contains_key(t) {
                vanished.insert(*t);
            }
            *total.entry(*t).or_insert(0) += n;
        }
        Facts {
            interner,
            added,
            removed,
            defined,
            introduced,
            vanished,
            total,
            hunks_with,
        }
    }

    /// The identifiers some hunks of `indices` introduce or define, most used first.
    pub(super) fn introduced_in(&self, indices: &[usize]) -> Vec<String> {
        let mut seen: Vec<u32> = Vec::new();
        for i in indices {
            let mut own: Vec<u32> = self.defined[*i]
                .iter()
                .filter(|t| self.added[*i].contains(t))
                .copied()
                .collect();
            own.sort_unstable();
            for t in own {
                if !seen.contains(&t) {
                    seen.push(t);
                }
            }
        }
        seen.into_iter()
            .map(|t| self.interner.name(t).to_string())
            .collect()
    }

    /// Identifiers `a` introduces or defines that `b` uses: `a` should come first.
    pub(super) fn provides(&self, a: usize, b: usize) -> bool {
        let uses_b = |t: &u32| self.added[b].contains(t);
        self.defined[a]
            .iter()
            .filter(|t| self.added[a].contains(t))
            .any(|t| uses_b(t) && !self.defined[b].contains(t))
            || self.added[a]
                .iter()
                .filter(|t| self.introduced.contains(t))
                .any(|t| uses_b(t) && self.defined[a].contains(t))
    }
}

/// Calls `each` with the names a line defines: the identifier after a defining keyword.
fn definitions(line: &[u8], mut each: impl FnMut(&str)) {
    let text = String::from_utf8_lossy(line);
    let mut words = text
        .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$' || c == '!'))
        .filter(|w| !w.is_empty());
    let mut previous_defines = false;
    for word in words.by_ref() {
        if previous_defines && word.len() >= 3 && !DEFINING.contains(&word) {
            let word = word.trim_end_matches('!');
            if word
                .chars()
                .next()
                .is_some_and(|c| c.is_alphabetic() || c == '_' || c == '$')
            {
                each(word);
            }
        }
        previous_defines = DEFINING.contains(&word)
            || (previous_defines && matches!(word, "mut" | "async" | "unsafe" | "pub" | "static"));
    }
}

/// The affinity of hunks `a` and `b`, and the reasons worth telling.
pub(super) fn affinity(
    hunks: &[PlanHunk],
    facts: &Facts,
    signals: &Signals<'_>,
    options: &GroupOptions,
    a: usize,
    b: usize,
) -> (f64, Vec<String>) {
    let w = &options.weights;
    let (x, y) = (&hunks[a], &hunks[b]);
    let mut score = 0.0;
    let mut why = Vec::new();

    // Place.
    if x.path == y.path {
        let gap = gap_between(x, y);
        let near = if gap <= 3 {
            1.0
        } else {
            0.5 * (-(f64::from(gap)) / 60.0).exp() + 0.5
        };
        score += w.same_file * near;
        if !x.header.is_empty() && x.header == y.header && x.kind == HunkKind::Text {
            score += w.function * 0.5;
            if w.function > 0.0 {
                why.push(format!("same function `{}`", short(&x.header)));
            }
        }
    } else {
        let (dx, dy) = (parent_dir(&x.path), parent_dir(&y.path));
        if dx == dy {
            score += w.directory * 0.15;
        }
        if is_test_pair(&x.path, &y.path) {
            score += w.test_pair * 0.6;
            if w.test_pair > 0.0 {
                why.push("a test beside its code".to_string());
            }
        }
        if is_manifest_pair(&x.path, &y.path) {
            score += w.manifest * 1.0;
            if w.manifest > 0.0 {
                why.push("a manifest and its lock file".to_string());
            }
        }
        let together = signals.cochange.score(&x.path, &y.path);
        if together > 0.0 {
            score += w.cochange * 0.4 * together;
        }
    }

    // References.
    if w.references > 0.0 || w.define_use > 0.0 {
        let mut strong: Vec<u32> = Vec::new();
        let mut rare = 0.0;
        let (xa, xr, ya, yr) = (
            &facts.added[a],
            &facts.removed[a],
            &facts.added[b],
            &facts.removed[b],
        );
        for t in xa.iter().filter(|t| ya.contains(t)) {
            if facts.introduced.contains(t) {
                strong.push(*t);
            }
        }
        for t in xr.iter().filter(|t| yr.contains(t)) {
            if facts.vanished.contains(t) {
                strong.push(*t);
            }
        }
        let x_all = |t: &u32| xa.contains(t) || xr.contains(t);
        let y_all = |t: &u32| ya.contains(t) || yr.contains(t);
        // A name one defines and the other touches (not already shared as new).
        let mut defuse: Vec<u32> = Vec::new();
        let defined_here = facts.defined[a]
            .iter()
            .filter(|t| y_all(t))
            .chain(facts.defined[b].iter().filter(|t| x_all(t)));
        for t in defined_here {
            if facts.hunks_with.get(t).copied().unwrap_or(0) <= 8
                && !strong.contains(t)
                && !defuse.contains(t)
            {
                defuse.push(*t);
            }
        }
        // The same edit made in both: a word both remove without adding back, or both add
        // without having removed it (an API migrated, a name replaced).
        let common_limit = (hunks.len() as u32 / 2).max(3);
        let mut same_edit = 0.0;
        for t in xa
            .iter()
            .filter(|t| !xr.contains(t) && ya.contains(t) && !yr.contains(t))
        {
            if !strong.contains(t) && facts.hunks_with.get(t).copied().unwrap_or(0) <= common_limit
            {
                same_edit += 0.175;
            }
        }
        for t in xr
            .iter()
            .filter(|t| !xa.contains(t) && yr.contains(t) && !ya.contains(t))
        {
            if !strong.contains(t) && facts.hunks_with.get(t).copied().unwrap_or(0) <= common_limit
            {
                same_edit += 0.175;
            }
        }
        score += w.same_edit * f64::min(same_edit, 0.35);
        for t in xa.union(xr).filter(|t| y_all(t)) {
            if strong.contains(t) || defuse.contains(t) {
                continue;
            }
            if facts.total.get(t).copied().unwrap_or(0) <= 6 {
                rare += 0.3;
            }
        }
        let (shared, defining) = (strong.len() as f64, defuse.len() as f64);
        strong.extend(defuse);
        if !strong.is_empty() {
            // One strength for all the names, shared between the two signals by their counts.
            let strength = (0.8 + 0.2 * (strong.len() as f64 - 1.0)).min(1.5);
            score +=
                strength * (w.references * shared + w.define_use * defining) / (shared + defining);
            strong.sort_unstable();
            let names: Vec<&str> = strong
                .iter()
                .take(3)
                .map(|t| facts.interner.name(*t))
                .collect();
            why.push(format!("both touch `{}`", names.join("`, `")));
        }
        score += w.references * f64::min(rare, 0.6);
    }

    (score, why)
}

fn short(header: &str) -> String {
    let header = header.trim();
    if header.chars().count() > 40 {
        let cut: String = header.chars().take(39).collect();
        format!("{cut}…")
    } else {
        header.to_string()
    }
}

/// Lines between two hunks of one file, on the old side.
fn gap_between(x: &PlanHunk, y: &PlanHunk) -> u32 {
    let (xs, xe) = old_span(x);
    let (ys, ye) = old_span(y);
    if xe <= ys {
        ys - xe
    } else {
        xs.saturating_sub(ye)
    }
}

/// The stem a test file tests: `foo` for `foo_test.go`, `test_foo.py`, `foo.test.ts`, `foo.rs`
/// under `tests/`.
fn test_stem(path: &str) -> Option<String> {
    let name = file_name(path);
    let stem = name.split('.').next().unwrap_or(name);
    let lower = stem.to_ascii_lowercase();
    let in_tests_dir = path
        .split('/')
        .any(|part| matches!(part, "test" | "tests" | "__tests__" | "spec" | "specs"));
    for suffix in ["_test", "_tests", "_spec", "test", "spec"] {
        if let Some(base) = lower.strip_suffix(suffix) {
            if !base.is_empty() {
                return Some(base.trim_end_matches(['_', '-', '.']).to_string());
            }
        }
    }
    if let Some(base) = lower.strip_prefix("test_") {
        return Some(base.to_string());
    }
    let dotted: Vec<&str> = name.split('.').collect();
    if dotted.len() >= 3 && matches!(dotted[dotted.len() - 2], "test" | "spec") {
        return Some(dotted[0].to_ascii_lowercase());
    }
    if in_tests_dir {
        return Some(lower);
    }
    None
}

pub(super) fn is_test_pair(a: &str, b: &str) -> bool {
    let stem_of = |p: &str| {
        file_name(p)
            .split('.')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase()
    };
    match (test_stem(a), test_stem(b)) {
        (Some(t), None) => t == stem_of(b),
        (None, Some(t)) => t == stem_of(a),
        _ => false,
    }
}

/// A package manifest and its lock file.
pub(super) fn is_manifest_pair(a: &str, b: &str) -> bool {
    const PAIRS: &[(&str, &str)] = &[
        ("Cargo.toml", "Cargo.lock"),
        ("package.json", "package-lock.json"),
        ("package.json", "yarn.lock"),
        ("package.json", "pnpm-lock.yaml"),
        ("package.json", "bun.lockb"),
        ("pyproject.toml", "poetry.lock"),
        ("pyproject.toml", "uv.lock"),
        ("Pipfile", "Pipfile.lock"),
        ("Gemfile", "Gemfile.lock"),
        ("go.mod", "go.sum"),
        ("composer.json", "composer.lock"),
        ("mix.exs", "mix.lock"),
        ("pubspec.yaml", "pubspec.lock"),
        ("flake.nix", "flake.lock"),
    ];
    let (x, y) = (file_name(a), file_name(b));
    PAIRS
        .iter()
        .any(|(m, l)| (x == *m && y == *l) || (x == *l && y == *m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_files_and_lock_files_find_their_partners() {
        assert!(is_test_pair("src/parser.rs", "tests/parser.rs"));
        assert!(is_test_pair("pkg/parse.go", "pkg/parse_test.go"));
        assert!(is_test_pair("lib/util.py", "tests/test_util.py"));
        assert!(is_test_pair("src/app.ts", "src/app.test.ts"));
        assert!(!is_test_pair("src/app.ts", "src/other.ts"));
        assert!(is_manifest_pair("crates/x/Cargo.toml", "Cargo.lock"));
        assert!(is_manifest_pair("package.json", "package-lock.json"));
        assert!(!is_manifest_pair("Cargo.toml", "package-lock.json"));
    }
}
