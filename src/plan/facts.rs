//! What the tokenizer learned of each hunk and of the changed files (`Facts`), once per plan:
//! the identifiers each hunk adds, removes and defines, which the work introduces or removes,
//! how often each occurs, and where each hunk sits (`super::scope`). `super::affinity` reads
//! them for every pair of hunks; nothing here compares two hunks.

use std::collections::{HashMap, HashSet};

use super::affinity::file_name;
use super::group::Signals;
use super::scope::{Outline, Scope};
use super::tokens::{self, Interner};
use super::{HunkKind, PlanHunk};

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
    /// How many files the work changes.
    pub(super) files: usize,
    /// How many hunks each changed file has.
    pub(super) hunks_in_file: HashMap<String, usize>,
    /// Whether all of a hunk's lines are comments or blank.
    pub(super) comment_only: Vec<bool>,
    /// Hashes of each hunk's added and of its removed lines (trimmed, 8 bytes or longer).
    pub(super) added_lines: Vec<HashSet<u64>>,
    pub(super) removed_lines: Vec<HashSet<u64>>,
    /// Where each hunk sits in HEAD's file (`super::scope`), and the interned name of the
    /// innermost enclosing line that names something.
    pub(super) scopes: Vec<Scope>,
    pub(super) scope_names: Vec<Option<u32>>,
    /// Each hunk's file name before its first dot, interned (`Element` of `Element.java`), when
    /// it is three characters or more: what another file calls a class or a module by.
    pub(super) file_stems: Vec<Option<u32>>,
}

/// Hashes of the trimmed lines of 8 bytes or more: lines a mechanical edit repeats.
fn line_hashes(lines: &[Vec<u8>]) -> HashSet<u64> {
    lines
        .iter()
        .map(|l| l.trim_ascii())
        .filter(|l| l.len() >= 8)
        .map(|l| {
            let mut hash = crate::git::fnv::Fnv::default();
            hash.feed(l);
            hash.value()
        })
        .collect()
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
        let mut outlines: HashMap<&str, Outline<'_>> = HashMap::new();
        let scopes: Vec<Scope> = hunks
            .iter()
            .map(|h| match (h.kind, signals.old_texts.get(&h.path)) {
                (HunkKind::Text, Some(text)) => outlines
                    .entry(h.path.as_str())
                    .or_insert_with(|| Outline::new(text))
                    .scope_of(h),
                _ => Scope::default(),
            })
            .collect();
        let scope_names = scopes
            .iter()
            .map(|s| s.name.as_deref().map(|n| interner.intern(n)))
            .collect();
        let file_stems = hunks
            .iter()
            .map(|h| {
                let name = file_name(&h.path);
                let stem = name.split('.').next().unwrap_or(name);
                (stem.chars().count() >= 3).then(|| interner.intern(stem))
            })
            .collect();
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
            files: hunks
                .iter()
                .map(|h| h.path.as_str())
                .collect::<HashSet<_>>()
                .len(),
            hunks_in_file: hunks.iter().fold(HashMap::new(), |mut m, h| {
                *m.entry(h.path.clone()).or_insert(0) += 1;
                m
            }),
            comment_only: hunks
                .iter()
                .map(|h| {
                    h.added
                        .iter()
                        .chain(&h.removed)
                        .all(|l| tokens::code_part(l).trim_ascii().is_empty())
                })
                .collect(),
            added_lines: hunks.iter().map(|h| line_hashes(&h.added)).collect(),
            removed_lines: hunks.iter().map(|h| line_hashes(&h.removed)).collect(),
            scopes,
            scope_names,
            file_stems,
        }
    }

    /// The name of the function each hunk sits in, where the indentation found one.
    pub(super) fn functions(&self) -> Vec<Option<String>> {
        self.scopes.iter().map(|s| s.name.clone()).collect()
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
pub(super) fn definitions(line: &[u8], mut each: impl FnMut(&str)) {
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
