//! Every relative link and every `#anchor` in the project's documentation resolves.
//!
//! The documents are README.md, docs/*.md and every editors/**/README.md. A link to a file must
//! name a file or directory that exists (relative to the document); a link with `#anchor` must
//! name a heading of the target document, by GitHub's rule for heading anchors: lowercase,
//! punctuation removed except `-` and `_`, each space a `-`, and a repeated anchor gets `-1`,
//! `-2`, ... in order. Links to other sites (`https:`, `mailto:`) are not fetched. Code blocks
//! and code spans are not links. The check is strict on purpose: README parts merged later must
//! keep every anchor true.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// GitHub's anchor for one heading's text (before de-duplication).
fn anchor_of(heading: &str) -> String {
    let text = strip_inline(heading);
    let mut out = String::new();
    for c in text.trim().chars() {
        if c.is_alphanumeric() || c == '-' || c == '_' {
            out.extend(c.to_lowercase());
        } else if c == ' ' {
            out.push('-');
        }
    }
    out
}

/// A heading's visible text: `[text](url)` becomes `text`, images and HTML tags vanish,
/// backticks go (their content stays).
fn strip_inline(s: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '<' {
            if let Some(end) = chars[i..].iter().position(|&c| c == '>') {
                i += end + 1;
                continue;
            }
        }
        if c == '!' && chars.get(i + 1) == Some(&'[') {
            if let Some((_, after)) = link_at(&chars, i + 1) {
                i = after;
                continue;
            }
        }
        if c == '[' {
            if let Some((text_end, after)) = link_at(&chars, i) {
                out.extend(&chars[i + 1..text_end]);
                i = after;
                continue;
            }
        }
        if c != '`' {
            out.push(c);
        }
        i += 1;
    }
    out
}

/// At `chars[open] == '['`: a `[text](target)` link, as (index of the closing `]`, index after
/// the closing `)`).
fn link_at(chars: &[char], open: usize) -> Option<(usize, usize)> {
    let mut depth = 0;
    let mut j = open;
    let close = loop {
        match chars.get(j)? {
            '[' => depth += 1,
            ']' => {
                depth -= 1;
                if depth == 0 {
                    break j;
                }
            }
            _ => {}
        }
        j += 1;
    };
    if chars.get(close + 1) != Some(&'(') {
        return None;
    }
    let end = chars[close + 2..].iter().position(|&c| c == ')')? + close + 2;
    Some((close, end + 1))
}

/// The anchors of a document's headings, de-duplicated as GitHub does.
fn anchors(markdown: &str) -> HashSet<String> {
    let mut seen = HashSet::new();
    let mut counts = std::collections::HashMap::<String, usize>::new();
    for line in prose_lines(markdown) {
        let trimmed = line.trim_start();
        let hashes = trimmed.chars().take_while(|&c| c == '#').count();
        if !(1..=6).contains(&hashes) || !trimmed[hashes..].starts_with(' ') {
            continue;
        }
        let text = trimmed[hashes..].trim().trim_end_matches('#').trim();
        let base = anchor_of(text);
        let n = counts.entry(base.clone()).or_insert(0);
        let anchor = if *n == 0 {
            base.clone()
        } else {
            format!("{base}-{n}")
        };
        *n += 1;
        seen.insert(anchor);
    }
    seen
}

/// Lines outside fenced code blocks.
fn prose_lines(markdown: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut fence: Option<&str> = None;
    for line in markdown.lines() {
        let t = line.trim_start();
        match fence {
            Some(f) if t.starts_with(f) => fence = None,
            Some(_) => {}
            None if t.starts_with("```") => fence = Some("```"),
            None if t.starts_with("~~~") => fence = Some("~~~"),
            None => out.push(line),
        }
    }
    out
}

/// The link targets of a document: `[text](target)`, `![alt](target)`, `[ref]: target`, and
/// HTML `src="..."`/`href="..."`, outside code.
fn links(markdown: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in prose_lines(markdown) {
        // Code spans are not links.
        let mut prose = String::new();
        for (k, part) in line.split('`').enumerate() {
            if k % 2 == 0 {
                prose.push_str(part);
            }
            prose.push(' ');
        }
        let t = prose.trim_start();
        if t.starts_with('[') {
            if let Some(p) = t.find("]: ") {
                if !t[..p].contains('(') {
                    out.push(
                        t[p + 3..]
                            .split_whitespace()
                            .next()
                            .unwrap_or("")
                            .to_string(),
                    );
                    continue;
                }
            }
        }
        let chars: Vec<char> = prose.chars().collect();
        for i in 0..chars.len() {
            if chars[i] == '[' {
                if let Some((close, after)) = link_at(&chars, i) {
                    let target: String = chars[close + 2..after - 1].iter().collect();
                    let target = target.split_whitespace().next().unwrap_or("");
                    out.push(target.trim_matches(['<', '>']).to_string());
                }
            }
        }
        for attr in ["src=\"", "href=\""] {
            let mut rest = prose.as_str();
            while let Some(p) = rest.find(attr) {
                rest = &rest[p + attr.len()..];
                if let Some(end) = rest.find('"') {
                    out.push(rest[..end].to_string());
                }
            }
        }
    }
    out
}

/// What is wrong with each link of `doc` (empty when all resolve).
fn broken_links(doc: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(doc).unwrap();
    let dir = doc.parent().unwrap();
    let mut broken = Vec::new();
    for target in links(&text) {
        if target.is_empty() || target.contains("://") || target.starts_with("mailto:") {
            continue;
        }
        let (file, anchor) = match target.split_once('#') {
            Some((f, a)) => (f, Some(a)),
            None => (target.as_str(), None),
        };
        let file_path = if file.is_empty() {
            doc.to_path_buf()
        } else if let Some(from_root) = file.strip_prefix('/') {
            root().join(from_root)
        } else {
            dir.join(file)
        };
        if !file_path.exists() {
            broken.push(format!(
                "{}: {target}: no file {}",
                doc.display(),
                file_path.display()
            ));
            continue;
        }
        if let Some(anchor) = anchor {
            let is_md = file_path.extension().is_some_and(|e| e == "md");
            if !is_md {
                continue; // line anchors (#L10) of source files are GitHub's view, not a heading
            }
            let target_text = std::fs::read_to_string(&file_path).unwrap();
            if !anchors(&target_text).contains(anchor) {
                broken.push(format!(
                    "{}: {target}: no heading with anchor #{anchor} in {}",
                    doc.display(),
                    file_path.display()
                ));
            }
        }
    }
    broken
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// README.md, docs/*.md and editors/**/README.md (not inside node_modules or hidden dirs).
fn documents() -> Vec<PathBuf> {
    let root = root();
    let mut docs = vec![root.join("README.md")];
    for entry in std::fs::read_dir(root.join("docs")).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|e| e == "md") {
            docs.push(p);
        }
    }
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let p = entry.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            if p.is_dir() {
                if !name.starts_with('.') && name != "node_modules" {
                    walk(&p, out);
                }
            } else if name == "README.md" {
                out.push(p);
            }
        }
    }
    walk(&root.join("editors"), &mut docs);
    docs.sort();
    docs
}

#[test]
fn every_relative_link_and_anchor_resolves() {
    let docs = documents();
    assert!(docs.len() >= 5, "documents found: {docs:?}");
    let broken: Vec<String> = docs.iter().flat_map(|d| broken_links(d)).collect();
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn anchors_follow_githubs_rule() {
    assert_eq!(anchor_of("The commit plan"), "the-commit-plan");
    assert_eq!(anchor_of("Habit and cadence"), "habit-and-cadence");
    assert_eq!(
        anchor_of("Live, and in proportion to the change"),
        "live-and-in-proportion-to-the-change"
    );
    assert_eq!(
        anchor_of("`commit-nudge prompt`: the shell"),
        "commit-nudge-prompt-the-shell"
    );
    assert_eq!(anchor_of("Set-up (two commands)"), "set-up-two-commands");
    assert_eq!(anchor_of("snake_case stays"), "snake_case-stays");
    assert_eq!(anchor_of("A & B"), "a--b");
    assert_eq!(
        anchor_of("See [the plan](#the-commit-plan)"),
        "see-the-plan"
    );
    assert_eq!(anchor_of("Émile's café"), "émiles-café");
}

#[test]
fn repeated_headings_get_numbered_anchors() {
    let a = anchors("# Usage\n## Usage\n### Usage\n```\n# Usage\n```\n## Other #\n");
    let want: HashSet<String> = ["usage", "usage-1", "usage-2", "other"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(a, want);
}

#[test]
fn links_are_found_outside_code() {
    let md = "See [a](a.md#x) and ![pic](p.png \"title\").\n`[not](code.md)`\n```\n[no](fence.md)\n```\n[ref]: r.md\n<img src=\"i.png\">\n";
    let want: Vec<String> = ["a.md#x", "p.png", "r.md", "i.png"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(links(md), want);
}

#[test]
fn a_broken_file_or_anchor_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("other.md"), "# Present\n").unwrap();
    let doc = dir.path().join("doc.md");
    std::fs::write(
        &doc,
        "# Top\n[ok](other.md#present) [self](#top) [web](https://example.invalid/#x)\n\
         [gone](missing.md) [bad anchor](other.md#absent) [bad self](#nowhere)\n",
    )
    .unwrap();
    let broken = broken_links(&doc);
    assert_eq!(broken.len(), 3, "{broken:#?}");
    assert!(broken[0].contains("missing.md: no file"), "{}", broken[0]);
    assert!(
        broken[1].contains("no heading with anchor #absent"),
        "{}",
        broken[1]
    );
    assert!(
        broken[2].contains("no heading with anchor #nowhere"),
        "{}",
        broken[2]
    );
}
