//! What a pair of hunks looks like: the features (place, enclosing blocks, references,
//! co-change, shape) from which the fitted model (`super::model`) tells how likely they are to
//! belong to one commit. Language-agnostic: identifiers come from the tokenizer, definitions from
//! the keywords most languages share, enclosing functions from git's hunk headers and, by
//! indentation, from `super::scope`; what is learned once per plan is `super::facts`.

use super::facts::Facts;
use super::group::Signals;
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

/// What one pair of hunks looks like to the model (`super::model`): the features, each a
/// number from 0 to about 3, in the order of `FEATURES`.
pub(super) type Features = [f64; FEATURES.len()];

/// The names of the pair features, as `--weights` and the benchmark's fit name them.
pub(crate) const FEATURES: [&str; 35] = [
    // Place.
    "same_file",
    "near",
    "gap",
    "same_function",
    "same_scope",
    "scope_shared",
    "both_top",
    "scope_use",
    "file_use",
    "same_dir",
    "path_common",
    "same_ext",
    "test_pair",
    "manifest",
    "cochange",
    // References.
    "shared_new",
    "define_use",
    "rare",
    "common",
    "same_edit",
    "jaccard",
    // Shape.
    "both_new_files",
    "one_new_file",
    "both_tests",
    "one_test",
    "both_insert",
    "both_delete",
    "size",
    "both_comments",
    "one_comment",
    "same_lines",
    // The work as a whole, and the file in it.
    "work_files",
    "work_hunks",
    "file_hunks",
    "both_alone",
];

/// The features of hunks `a` and `b`, and the reasons worth telling.
pub(super) fn pair_features(
    hunks: &[PlanHunk],
    facts: &Facts,
    signals: &Signals<'_>,
    a: usize,
    b: usize,
) -> (Features, Vec<String>) {
    let (x, y) = (&hunks[a], &hunks[b]);
    let mut f: Features = [0.0; FEATURES.len()];
    let mut why = Vec::new();
    let mut set = |name: &str, value: f64| {
        if let Some(slot) = FEATURES.iter().position(|n| *n == name) {
            f[slot] = value;
        }
    };
    let ln = |count: usize| (1.0 + count as f64).ln();

    // Place.
    if x.path == y.path {
        let gap = f64::from(gap_between(x, y));
        set("same_file", 1.0);
        set("near", (-gap / 8.0).exp());
        set("gap", (1.0 + gap).ln() / 4.0);
        let same_header = !x.header.is_empty() && x.header == y.header;
        if same_header && x.kind == HunkKind::Text {
            set("same_function", 1.0);
        }
        let (sx, sy) = (&facts.scopes[a].chain, &facts.scopes[b].chain);
        let known = signals.old_texts.contains_key(&x.path);
        let mut same_scope = false;
        if x.kind == HunkKind::Text && y.kind == HunkKind::Text && known {
            if sx.is_empty() && sy.is_empty() {
                set("both_top", 1.0);
            } else {
                let shared = sx.iter().zip(sy).take_while(|(p, q)| p == q).count();
                set(
                    "scope_shared",
                    shared as f64 / sx.len().max(sy.len()) as f64,
                );
                if !sx.is_empty() && sx.last() == sy.last() {
                    set("same_scope", 1.0);
                    same_scope = true;
                }
            }
        }
        // The reason names the enclosing block where the indentation found one (git's header is
        // the class around two methods in Python or Java).
        match &facts.scopes[a].name {
            Some(name) if same_scope => why.push(format!("both in `{}`", short(name))),
            _ if same_header && x.kind == HunkKind::Text && !known => {
                why.push(format!("same function `{}`", short(&x.header)));
            }
            _ => {}
        }
    } else {
        let (dx, dy) = (parent_dir(&x.path), parent_dir(&y.path));
        if dx == dy {
            set("same_dir", 1.0);
        }
        let (px, py): (Vec<&str>, Vec<&str>) = (
            dx.split('/').filter(|p| !p.is_empty()).collect(),
            dy.split('/').filter(|p| !p.is_empty()).collect(),
        );
        let common = px.iter().zip(&py).take_while(|(p, q)| p == q).count();
        let deeper = px.len().max(py.len());
        if deeper > 0 {
            set("path_common", common as f64 / deeper as f64);
        }
        if extension(&x.path) == extension(&y.path) {
            set("same_ext", 1.0);
        }
        if is_test_pair(&x.path, &y.path) {
            set("test_pair", 1.0);
            why.push("a test beside its code".to_string());
        }
        if is_manifest_pair(&x.path, &y.path) {
            set("manifest", 1.0);
            why.push("a manifest and its lock file".to_string());
        }
        set("cochange", signals.cochange.score(&x.path, &y.path));
    }

    // References.
    let (xa, xr, ya, yr) = (
        &facts.added[a],
        &facts.removed[a],
        &facts.added[b],
        &facts.removed[b],
    );
    let mut strong: Vec<u32> = Vec::new();
    for t in xa.iter().filter(|t| ya.contains(t)) {
        if facts.introduced.contains(t) {
            strong.push(*t);
        }
    }
    for t in xr.iter().filter(|t| yr.contains(t)) {
        if facts.vanished.contains(t) && !strong.contains(t) {
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
    let same_edit = xa
        .iter()
        .filter(|t| !xr.contains(t) && ya.contains(t) && !yr.contains(t))
        .chain(
            xr.iter()
                .filter(|t| !xa.contains(t) && yr.contains(t) && !ya.contains(t)),
        )
        .filter(|t| {
            !strong.contains(t) && facts.hunks_with.get(t).copied().unwrap_or(0) <= common_limit
        })
        .count();
    let (mut rare, mut common, mut union) = (0usize, 0usize, 0usize);
    for t in xa.union(xr) {
        if !y_all(t) {
            union += 1;
            continue;
        }
        union += 1;
        if strong.contains(t) || defuse.contains(t) {
            continue;
        }
        if facts.total.get(t).copied().unwrap_or(0) <= 6 {
            rare += 1;
        } else {
            common += 1;
        }
    }
    union += ya.union(yr).filter(|t| !x_all(t)).count();
    let shared = ya.union(yr).filter(|t| x_all(t)).count();
    // One changes inside a function the other names (a caller and its callee, a signature and
    // its uses), when the name is not everywhere in the work.
    let names = |i: usize, j: usize, all: &dyn Fn(&u32) -> bool| {
        facts.scope_names[i].is_some_and(|t| {
            facts.scope_names[j] != Some(t)
                && all(&t)
                && facts.hunks_with.get(&t).copied().unwrap_or(0) <= 8
        })
    };
    if names(a, b, &y_all) || names(b, a, &x_all) {
        set("scope_use", 1.0);
    }
    // One touches the class or module the other's file is named for (`Element` and a hunk of
    // `Element.java`, `sessions.Session` and a hunk of `sessions.py`).
    let stem_used =
        |i: usize, all: &dyn Fn(&u32) -> bool| facts.file_stems[i].is_some_and(|t| all(&t));
    if x.path != y.path && (stem_used(a, &y_all) || stem_used(b, &x_all)) {
        set("file_use", 1.0);
    }
    set("shared_new", ln(strong.len()));
    set("define_use", ln(defuse.len()));
    set("rare", ln(rare));
    set("common", ln(common));
    set("same_edit", ln(same_edit));
    if union > 0 {
        set("jaccard", shared as f64 / union as f64);
    }
    let shown: Vec<u32> = strong.iter().chain(&defuse).copied().collect();
    if !shown.is_empty() {
        let mut shown = shown;
        shown.sort_unstable();
        let names: Vec<&str> = shown
            .iter()
            .take(3)
            .map(|t| facts.interner.name(*t))
            .collect();
        why.push(format!("both touch `{}`", names.join("`, `")));
    }

    // Shape.
    let whole = |h: &PlanHunk| matches!(h.kind, HunkKind::Added | HunkKind::Deleted);
    match (whole(x), whole(y)) {
        (true, true) => set("both_new_files", 1.0),
        (true, false) | (false, true) => set("one_new_file", 1.0),
        _ => {}
    }
    match (is_test_file(&x.path), is_test_file(&y.path)) {
        (true, true) => set("both_tests", 1.0),
        (true, false) | (false, true) => set("one_test", 1.0),
        _ => {}
    }
    let text = |h: &PlanHunk| h.kind == HunkKind::Text;
    if text(x) && text(y) {
        if x.range.old_lines == 0 && y.range.old_lines == 0 {
            set("both_insert", 1.0);
        }
        if x.range.new_lines == 0 && y.range.new_lines == 0 {
            set("both_delete", 1.0);
        }
    }
    let lines = |h: &PlanHunk| h.added.len() + h.removed.len();
    set("size", ln(lines(x).min(lines(y))) / 4.0);
    let comments = (facts.comment_only[a], facts.comment_only[b]);
    if comments.0 && comments.1 {
        set("both_comments", 1.0);
    } else if comments.0 || comments.1 {
        set("one_comment", 1.0);
    }
    let same_lines = facts.added_lines[a]
        .intersection(&facts.added_lines[b])
        .count()
        + facts.removed_lines[a]
            .intersection(&facts.removed_lines[b])
            .count();
    set("same_lines", ln(same_lines));
    set("work_files", ln(facts.files) / 3.0);
    set("work_hunks", ln(hunks.len()) / 4.0);
    let in_file = |h: &PlanHunk| facts.hunks_in_file.get(&h.path).copied().unwrap_or(1);
    if x.path == y.path {
        set("file_hunks", ln(in_file(x)) / 3.0);
    } else if in_file(x) == 1 && in_file(y) == 1 {
        set("both_alone", 1.0);
    }
    (f, why)
}

/// A file name's extension (`rs`, `py`), or the whole name when it has none (`Makefile`).
fn extension(path: &str) -> &str {
    let name = file_name(path);
    name.rsplit_once('.').map_or(name, |(_, ext)| ext)
}

/// Whether a path looks like a test (`tests/`, `_test.go`, `test_x.py`, `x.spec.ts`).
pub(super) fn is_test_file(path: &str) -> bool {
    test_stem(path).is_some()
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
    use crate::plan::cochange::CoChange;
    use std::collections::HashMap;

    const SESSIONS: &str = "\
class Session:
    def get(self, url):
        a = 1
        return url

    def post(self, url):
        return url
";

    fn changed(path: &str, line: u32, old: &str, new: &str) -> PlanHunk {
        PlanHunk {
            path: path.into(),
            range: crate::hunk_range::HunkRange {
                old_start: line,
                old_lines: 1,
                new_start: line,
                new_lines: 1,
            },
            header: "class Session:".into(),
            kind: HunkKind::Text,
            removed: vec![format!("{old}\n").into_bytes()],
            added: vec![format!("{new}\n").into_bytes()],
            staged: false,
        }
    }

    /// git's header is the class for all three hunks; the scope tells the methods apart, and a
    /// hunk elsewhere that calls `post` is the use of the function the third changes.
    #[test]
    fn the_scope_tells_two_methods_of_one_class_apart_and_finds_their_callers() {
        let hunks = [
            changed("sessions.py", 3, "        a = 1", "        a = 2"),
            changed(
                "sessions.py",
                4,
                "        return url",
                "        return url or a",
            ),
            changed(
                "sessions.py",
                7,
                "        return url",
                "        return url + 1",
            ),
            changed("api.py", 1, "x = 1", "x = Session().post(u)"),
        ];
        let old: HashMap<String, Vec<u8>> = [
            ("sessions.py".to_string(), SESSIONS.as_bytes().to_vec()),
            ("api.py".to_string(), b"x = 1\n".to_vec()),
        ]
        .into();
        let (new, cochange) = (HashMap::new(), CoChange::default());
        let signals = Signals {
            cochange: &cochange,
            old_texts: &old,
            new_texts: &new,
            episodes: None,
        };
        let facts = Facts::new(&hunks, &signals, false);
        let feature = |a: usize, b: usize, name: &str| {
            let (f, _) = pair_features(&hunks, &facts, &signals, a, b);
            f[FEATURES.iter().position(|n| *n == name).unwrap()]
        };
        assert_eq!(feature(0, 1, "same_function"), 1.0);
        assert_eq!(
            feature(0, 2, "same_function"),
            1.0,
            "git's header is the class"
        );
        assert_eq!(feature(0, 1, "same_scope"), 1.0, "both in get");
        assert_eq!(feature(0, 2, "same_scope"), 0.0, "get and post");
        assert_eq!(
            feature(0, 2, "scope_shared"),
            0.5,
            "the class, not the method"
        );
        assert_eq!(feature(2, 3, "scope_use"), 1.0, "api.py calls post");
        assert_eq!(feature(0, 3, "scope_use"), 0.0, "nothing calls get");
        assert_eq!(feature(0, 3, "file_use"), 0.0, "api.py names no sessions");
    }

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
