//! A language-agnostic tokenizer: the identifiers of a line of code, in any language.
//!
//! An identifier is a run of letters, digits, `_` and `$` (plus `-` inside a word, for the
//! kebab-case names of configuration files and CSS) that starts with a letter, `_` or `$` and is
//! at least three characters long. Words every language uses as keywords, and plain English words
//! too short or too common to tie two hunks together, are left out.

use std::collections::HashMap;

/// Words that say nothing about which change a line belongs to.
const STOP_WORDS: &[&str] = &[
    "and", "are", "as", "async", "await", "bool", "break", "but", "case", "catch", "char", "class",
    "const", "continue", "crate", "def", "default", "del", "did", "does", "else", "elif", "end",
    "enum", "err", "error", "export", "extern", "false", "fn", "for", "from", "func", "function",
    "has", "have", "here", "if", "impl", "import", "in", "int", "into", "is", "isize", "let",
    "loop", "match", "mod", "mut", "new", "nil", "none", "None", "not", "null", "Ok", "Err",
    "Some", "or", "package", "pass", "private", "pub", "public", "raise", "ref", "return",
    "Result", "Option", "self", "Self", "static", "str", "String", "struct", "super", "switch",
    "that", "the", "then", "this", "throw", "to", "trait", "true", "try", "type", "u8", "u16",
    "u32", "u64", "usize", "i32", "i64", "f64", "use", "var", "Vec", "void", "was", "when",
    "where", "which", "while", "will", "with", "yield", "you", "your", "can", "all", "any", "its",
    "also", "only", "one", "two", "now", "see", "may", "must", "should", "would", "could", "than",
    "more", "most", "each", "some", "such", "other", "about", "after", "before", "because",
    "there", "their", "they", "them", "these", "those", "what", "who", "why", "how", "get", "set",
    "for", "out", "unwrap", "expect", "clone", "len", "iter", "map", "ok", "let", "http", "https",
    "www", "com", "org", "TODO", "FIXME",
];

/// Interns identifiers as small numbers, so that sets of them compare quickly.
#[derive(Debug, Default)]
pub(crate) struct Interner {
    ids: HashMap<String, u32>,
    names: Vec<String>,
}

impl Interner {
    /// The number of `word`, new or known.
    pub(crate) fn intern(&mut self, word: &str) -> u32 {
        if let Some(id) = self.ids.get(word) {
            return *id;
        }
        let id = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.ids.insert(word.to_string(), id);
        self.names.push(word.to_string());
        id
    }

    /// The number of `word`, if it was interned.
    #[cfg(test)]
    fn get(&self, word: &str) -> Option<u32> {
        self.ids.get(word).copied()
    }

    /// The word behind a number.
    pub(crate) fn name(&self, id: u32) -> &str {
        self.names
            .get(id as usize)
            .map(String::as_str)
            .unwrap_or("")
    }
}

/// Calls `each` with every identifier of `text` worth tracking.
pub(crate) fn identifiers(text: &[u8], mut each: impl FnMut(&str)) {
    let mut i = 0;
    while i < text.len() {
        let b = text[i];
        if b.is_ascii_alphabetic() || b == b'_' || b == b'$' || b >= 0x80 {
            let start = i;
            i += 1;
            while i < text.len() {
                let c = text[i];
                let inner_dash = c == b'-'
                    && i + 1 < text.len()
                    && (text[i + 1].is_ascii_alphabetic())
                    && text[i - 1].is_ascii_alphanumeric();
                if c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80 || inner_dash {
                    i += 1;
                } else {
                    break;
                }
            }
            let word = &text[start..i];
            if word.len() >= 3 {
                if let Ok(word) = std::str::from_utf8(word) {
                    if !is_stop_word(word) {
                        each(word);
                    }
                }
            }
        } else if b.is_ascii_digit() {
            // A number (or a word starting with digits, such as `0x1f`) is skipped whole.
            while i < text.len() && (text[i].is_ascii_alphanumeric() || text[i] == b'_') {
                i += 1;
            }
        } else {
            i += 1;
        }
    }
}

/// Preprocessor words after `#` (C and its kin): such a line is code, not a comment.
const DIRECTIVES: &[&str] = &[
    "include", "define", "undef", "if", "ifdef", "ifndef", "elif", "else", "endif", "pragma",
    "import", "error", "warning", "line",
];

/// The code of a line without its comment, in the comment syntaxes most languages share: a line
/// that starts with `//`, `/*`, `*`, `#` (not a C directive, a Rust attribute or a shebang), `--`
/// or `;` is all comment; otherwise a ` //` or ` # ` outside quotes ends the code. A language
/// with other syntax loses nothing: its lines are all code.
pub fn code_part(line: &[u8]) -> &[u8] {
    let start = line
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(line.len());
    let rest = &line[start..];
    let after_hash = |rest: &[u8]| {
        let word: Vec<u8> = rest[1..]
            .iter()
            .skip_while(|b| **b == b' ')
            .take_while(|b| b.is_ascii_alphabetic())
            .copied()
            .collect();
        DIRECTIVES.contains(&String::from_utf8_lossy(&word).as_ref())
    };
    let whole_comment = rest.starts_with(b"//")
        || rest.starts_with(b"/*")
        || rest.trim_ascii_end() == b"*"
        || rest.starts_with(b"* ")
        || rest.starts_with(b"*/")
        || rest.starts_with(b"-- ")
        || rest.starts_with(b";")
        || (rest.starts_with(b"#")
            && !rest.starts_with(b"#[")
            && !rest.starts_with(b"#!")
            && !after_hash(rest));
    if whole_comment {
        return &line[..0];
    }
    let mut quote: Option<u8> = None;
    for i in start..line.len() {
        let b = line[i];
        match quote {
            Some(q) if b == q && line[i - 1] != b'\\' => quote = None,
            Some(_) => {}
            None if b == b'"' || b == b'\'' || b == b'`' => quote = Some(b),
            None => {
                let spaced = i > 0 && line[i - 1].is_ascii_whitespace();
                if spaced && (line[i..].starts_with(b"//") || line[i..].starts_with(b"# ")) {
                    return &line[..i];
                }
            }
        }
    }
    line
}

fn is_stop_word(word: &str) -> bool {
    STOP_WORDS.contains(&word)
}

/// The identifiers of `text`, interned, each counted once per occurrence.
pub(crate) fn count_into(text: &[u8], interner: &mut Interner, counts: &mut HashMap<u32, u32>) {
    identifiers(text, |word| {
        *counts.entry(interner.intern(word)).or_insert(0) += 1;
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        identifiers(text.as_bytes(), |w| out.push(w.to_string()));
        out
    }

    #[test]
    fn identifiers_of_several_languages() {
        assert_eq!(
            words("fn parse_lines(input: &str) -> Vec<Line> {"),
            ["parse_lines", "input", "Line"]
        );
        assert_eq!(
            words("def load_config(path): return yaml.load(path)"),
            ["load_config", "path", "yaml", "load", "path"]
        );
        assert_eq!(
            words("const $total = computeTotal(items, 0x1f);"),
            ["$total", "computeTotal", "items"]
        );
        assert_eq!(words("  max-line-length: 120"), ["max-line-length"]);
        assert_eq!(words("a - b"), Vec::<String>::new());
    }

    #[test]
    fn comments_are_cut_from_code() {
        let code = |line: &str| String::from_utf8_lossy(code_part(line.as_bytes())).to_string();
        assert_eq!(code("    // uses parse_lines"), "");
        assert_eq!(code(" * @param parse_lines"), "");
        assert_eq!(code("# a note on load_config"), "");
        assert_eq!(code("-- a note"), "");
        assert_eq!(code("#include \"jv.h\""), "#include \"jv.h\"");
        assert_eq!(code("#define MAX_DEPTH 9"), "#define MAX_DEPTH 9");
        assert_eq!(code("#[derive(Debug)]"), "#[derive(Debug)]");
        assert_eq!(code("x = run(a) // why"), "x = run(a) ");
        assert_eq!(code("total = 1  # count"), "total = 1  ");
        assert_eq!(
            code("url = \"http://x // y\" + z"),
            "url = \"http://x // y\" + z"
        );
        assert_eq!(code("a - b"), "a - b");
    }

    #[test]
    fn the_interner_gives_one_number_per_word() {
        let mut interner = Interner::default();
        let a = interner.intern("alpha");
        let b = interner.intern("beta");
        assert_ne!(a, b);
        assert_eq!(interner.intern("alpha"), a);
        assert_eq!(interner.get("beta"), Some(b));
        assert_eq!(interner.name(b), "beta");
    }
}
