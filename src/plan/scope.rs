//! Where a hunk sits in its file: the lines that enclose it in HEAD's text, by indentation.
//!
//! git's hunk header names the nearest line that starts at column 0, which in Python, Java, C#
//! or a Rust `impl` is the class, not the method: two hunks in two methods of one class get the
//! same header, and the planner could not tell them from two hunks of one method. Indentation
//! shows the nesting in nearly every language without a parser for any: a line's parent is the
//! nearest line above it that is indented less. A language indented otherwise (or not at all)
//! loses nothing but this signal: every hunk is then at the top of its file.
//!
//! Comment lines and preprocessor directives (`#if` at column 0 inside a C function) never
//! enclose anything and are passed over; a line that is only an opening bracket (`{` on a line
//! of its own) takes its name from the line above it.

use super::tokens;
use super::PlanHunk;

/// The enclosing lines of one hunk that name something (`class Session`, `def get(`, `void
/// parse(`; not `if`, `for`): their numbers in HEAD's file, outermost first (empty at the top of
/// the file, or where the file's old text is not known), and the innermost one's name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Scope {
    pub(super) chain: Vec<u32>,
    pub(super) name: Option<String>,
}

/// One file's lines as the scope search needs them: each line's indentation (`None` for a
/// line that cannot enclose: blank, comment, directive) and its bytes.
pub(super) struct Outline<'t> {
    lines: Vec<&'t [u8]>,
    indent: Vec<Option<u32>>,
    /// For each line that may enclose, the nearest line above it that may enclose and is
    /// indented less; for every line, the nearest line at or above it that may enclose. A hunk's
    /// blocks are then found in as many steps as there are indentation levels, not lines.
    parent: Vec<Option<usize>>,
    nearest: Vec<Option<usize>>,
}

/// Words that open a block without naming anything: a hunk inside an `if` is named by the
/// function around it.
const CONTROL: &[&str] = &[
    "if",
    "else",
    "elif",
    "for",
    "foreach",
    "while",
    "do",
    "switch",
    "case",
    "match",
    "try",
    "catch",
    "except",
    "finally",
    "with",
    "return",
    "func",
    "function",
    "sizeof",
    "synchronized",
    "when",
    "unless",
    "until",
    "loop",
    "select",
    "defer",
    "go",
    "new",
    "await",
    "yield",
    "assert",
    "lambda",
    "super",
    "this",
    "self",
];

/// Words that open a block of control flow when they start its line.
const BLOCK_WORDS: &[&str] = &[
    "if", "else", "elif", "for", "foreach", "while", "do", "switch", "case", "match", "try",
    "catch", "except", "finally", "with", "unless", "until", "loop", "select", "when", "return",
    "defer", "go", "await",
];

impl<'t> Outline<'t> {
    pub(super) fn new(text: &'t [u8]) -> Outline<'t> {
        let lines: Vec<&[u8]> = text.split_inclusive(|b| *b == b'\n').collect();
        let indent: Vec<Option<u32>> = lines.iter().map(|l| enclosing_indent(l)).collect();
        // The lines that may still enclose what follows, indentation increasing.
        let mut open: Vec<usize> = Vec::new();
        let (mut parent, mut nearest) = (vec![None; lines.len()], vec![None; lines.len()]);
        for (index, own) in indent.iter().enumerate() {
            if let Some(own) = own {
                while open.last().is_some_and(|top| indent[*top] >= Some(*own)) {
                    open.pop();
                }
                parent[index] = open.last().copied();
                open.push(index);
            }
            nearest[index] = open.last().copied();
        }
        Outline {
            lines,
            indent,
            parent,
            nearest,
        }
    }

    /// The scope of `hunk` (a hunk of this file, numbered as `git diff -U0` numbers it).
    pub(super) fn scope_of(&self, hunk: &PlanHunk) -> Scope {
        let Some(own) = hunk
            .removed
            .iter()
            .chain(&hunk.added)
            .filter_map(|l| indent_of(l))
            .min()
        else {
            return Scope::default();
        };
        // The last old line above the hunk: the one before its first removed line, or for an
        // insertion the line it follows (`-a,0` inserts after line a).
        let above = if hunk.range.old_lines > 0 {
            hunk.range.old_start.saturating_sub(1)
        } else {
            hunk.range.old_start
        } as usize;
        let (mut chain, mut name) = (Vec::new(), None);
        let mut level = own;
        let mut candidate = above
            .min(self.lines.len())
            .checked_sub(1)
            .and_then(|index| self.nearest[index]);
        // Every line between a line and its parent is indented at least as much as it: only
        // the parents can be indented less than `level`.
        while let Some(index) = candidate {
            if level == 0 {
                break;
            }
            let indent = self.indent[index].unwrap_or(u32::MAX);
            if indent < level {
                // Only the blocks that name something (a function, a class): an `if` or a
                // loop inside a function says nothing of which change it belongs to.
                if let Some(named) = self.name_of(index) {
                    chain.push(index as u32 + 1);
                    name.get_or_insert(named);
                }
                level = indent;
            }
            candidate = self.parent[index];
        }
        chain.reverse();
        Scope { chain, name }
    }

    /// The name line `index` gives what it opens, looking one line up from a lone `{`.
    fn name_of(&self, index: usize) -> Option<String> {
        let code = tokens::code_part(self.lines[index]).trim_ascii();
        if code.iter().all(|b| b"{([".contains(b)) && index > 0 {
            let above = (0..index).rev().find(|i| self.indent[*i].is_some())?;
            return named(self.lines[above]);
        }
        named(self.lines[index])
    }
}

/// The indentation of a line that may enclose others: `None` for blank and comment lines and for
/// lines that start with `#` (C directives, Rust attributes).
fn enclosing_indent(line: &[u8]) -> Option<u32> {
    let code = tokens::code_part(line);
    if code.trim_ascii().is_empty() || line.trim_ascii_start().starts_with(b"#") {
        return None;
    }
    indent_of(line)
}

/// The columns before a line's first character (a tab to the next multiple of 8), `None` when
/// the line is blank.
fn indent_of(line: &[u8]) -> Option<u32> {
    let mut column = 0;
    for b in line {
        match b {
            b' ' => column += 1,
            b'\t' => column = (column / 8 + 1) * 8,
            b'\r' | b'\n' => return None,
            _ => return Some(column),
        }
    }
    None
}

/// What a line opens by name: the first word directly before a `(` that is not a keyword
/// (`void parse(`, `def parse(`, `func (r *T) Parse(`), else the word after a defining keyword
/// (`class Session`, `const parse = (`).
fn named(line: &[u8]) -> Option<String> {
    let code = tokens::code_part(line);
    let text = String::from_utf8_lossy(code);
    // A block a control word opens (`if err := parse(); …`, `} else if (ready(x))`) names
    // nothing, whatever it calls.
    let first = text
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .find(|w| !w.is_empty());
    if first.is_some_and(|w| BLOCK_WORDS.contains(&w)) {
        return None;
    }
    let mut word_start = None;
    for (i, c) in text.char_indices() {
        if c.is_alphanumeric() || c == '_' || c == '$' {
            word_start.get_or_insert(i);
            continue;
        }
        if let Some(start) = word_start.take() {
            let word = &text[start..i];
            let is_name = word.len() >= 2
                && !CONTROL.contains(&word)
                && word.chars().next().is_some_and(|c| !c.is_ascii_digit());
            if c == '(' && is_name {
                return Some(word.to_string());
            }
        }
    }
    let mut defined = None;
    super::facts::definitions(code, |w| {
        if defined.is_none() {
            defined = Some(w.to_string());
        }
    });
    defined
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::test_hunks;

    /// A hunk of one file, "f" (the scope does not look at the path), its lines ended.
    fn hunk(old_start: u32, old_lines: u32, removed: &[&str], added: &[&str]) -> PlanHunk {
        test_hunks::hunk_with_newlines("f", old_start, old_lines, removed, added)
    }

    const PYTHON: &str = "\
import os

class Session:
    # a comment at a lower indent than nothing
    def get(self, url):
        if url:
            return url
        return None

    def post(self, url):
        return url
";

    #[test]
    fn two_methods_of_one_class_have_different_scopes() {
        let outline = Outline::new(PYTHON.as_bytes());
        let in_get = outline.scope_of(&hunk(
            7,
            1,
            &["            return url"],
            &["            return url + 1"],
        ));
        let in_post = outline.scope_of(&hunk(
            11,
            1,
            &["        return url"],
            &["        return url + 2"],
        ));
        assert_eq!(in_get.chain, vec![3, 5], "the if names nothing");
        assert_eq!(in_get.name.as_deref(), Some("get"));
        assert_eq!(in_post.chain, vec![3, 10]);
        assert_eq!(in_post.name.as_deref(), Some("post"));
        // An insertion after line 8 at the method's level is in the class, named by it.
        let new_method = outline.scope_of(&hunk(
            8,
            0,
            &[],
            &["", "    def put(self):", "        pass"],
        ));
        assert_eq!(new_method.chain, vec![3]);
        assert_eq!(new_method.name.as_deref(), Some("Session"));
        // At the top of the file there is no scope.
        assert_eq!(
            outline.scope_of(&hunk(1, 1, &["import os"], &["import sys"])),
            Scope::default()
        );
    }

    #[test]
    fn c_and_go_functions_are_named_by_the_word_before_their_parenthesis() {
        let c =
            "static int\nparse(const char *s)\n{\n#ifdef X\n  return 1;\n#endif\n  return 0;\n}\n";
        let outline = Outline::new(c.as_bytes());
        let scope = outline.scope_of(&hunk(7, 1, &["  return 0;"], &["  return 2;"]));
        assert_eq!(scope.chain, vec![3]);
        assert_eq!(scope.name.as_deref(), Some("parse"));
        let go = "func (c *Command) Execute() error {\n\tif err := c.run(); err != nil {\n\t\treturn nil\n\t}\n}\n";
        let outline = Outline::new(go.as_bytes());
        let scope = outline.scope_of(&hunk(3, 1, &["\t\treturn nil"], &["\t\treturn err"]));
        assert_eq!(scope.chain, vec![1]);
        assert_eq!(scope.name.as_deref(), Some("Execute"));
    }

    /// The walk by parents finds what a walk over every line above the hunk finds.
    #[test]
    fn the_walk_by_parents_is_the_walk_over_every_line() {
        let mut seed = 7u64;
        let mut next = move |n: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        for _ in 0..200 {
            let text: String = (0..40)
                .map(|k| match next(6) {
                    0 => "\n".to_string(),
                    1 => format!("{}// note\n", " ".repeat(next(4) as usize * 4)),
                    _ => format!("{}def f{k}(x):\n", " ".repeat(next(4) as usize * 4)),
                })
                .collect();
            let outline = Outline::new(text.as_bytes());
            for start in 1..=40 {
                let own = next(4) as u32 * 4 + 1;
                let added = format!("{}y = 1", " ".repeat(own as usize));
                let scope = outline.scope_of(&hunk(start, 0, &[], &[&added]));
                let mut naive = Vec::new();
                let mut level = own;
                for index in (0..start as usize).rev() {
                    match outline.indent[index] {
                        Some(i) if i < level => {
                            naive.push(index as u32 + 1);
                            level = i;
                        }
                        _ => {}
                    }
                }
                naive.reverse();
                assert_eq!(scope.chain, naive, "{text}\nline {start}, indent {own}");
            }
        }
    }

    #[test]
    fn an_async_function_is_named() {
        let outline = Outline::new(b"class A:\n    async def fetch(self):\n        return 1\n");
        let scope = outline.scope_of(&hunk(3, 1, &["        return 1"], &["        return 2"]));
        assert_eq!(scope.name.as_deref(), Some("fetch"));
    }
}
