//! Every index write is what git would write: for random files (LF, CRLF, lone CR, no final
//! newline, multibyte, empty), random line-ending settings (`core.autocrlf`, `text`, `eol`) and
//! random edits and selections, staging a hunk of an unsaved buffer leaves exactly the index that
//! `git apply --cached` of git's own hunk (narrowed to the selected lines) leaves, after git's own
//! conversion of the same text on disk. `COMMIT_NUDGE_PROPERTY_CASES` raises the number of cases.

use crate::support;

use commit_nudge::git::{self, HunkTarget, LineSelection};
use commit_nudge::lines::LineMap;
use support::{alone, git_hunk_patches, headers, Repo, Rng};

const AUTOCRLF: [&str; 3] = ["false", "true", "input"];
const ATTRIBUTES: [Option<&str>; 7] = [
    None,
    Some("* text=auto\n"),
    Some("*.txt text eol=crlf\n"),
    Some("*.txt text eol=lf\n"),
    Some("*.txt -text\n"),
    Some("*.txt text\n"),
    Some("* text=auto eol=crlf\n"),
];

/// A line's text: plain, multibyte, empty, or holding a lone carriage return.
fn random_line(rng: &mut Rng, tag: &str) -> String {
    let n = rng.next() % 1000;
    match rng.below(8) {
        0 => format!("café 日本 {tag}{n}"),
        1 => String::new(),
        2 => format!("a\rb {tag}{n}"),
        _ => format!("line {tag}{n}"),
    }
}

/// Joins lines with `\n`, `\r\n` or a mix, with or without a final line ending.
fn join_lines(rng: &mut Rng, lines: &[String], style: u64, final_ending: bool) -> String {
    let mut text = String::new();
    for (i, line) in lines.iter().enumerate() {
        text.push_str(line);
        if i + 1 < lines.len() || final_ending {
            let crlf = match style {
                0 => false,
                1 => true,
                _ => rng.below(2) == 0,
            };
            text.push_str(if crlf { "\r\n" } else { "\n" });
        }
    }
    text
}

/// A random edit: inserted, deleted and replaced blocks.
fn edit(rng: &mut Rng, lines: &[String]) -> Vec<String> {
    let mut out = lines.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(out.len() as u64 + 1) as usize;
        let span = (1 + rng.below(3) as usize).min(out.len().saturating_sub(at));
        match rng.below(3) {
            0 => {
                for _ in 0..1 + rng.below(3) {
                    let line = random_line(rng, "new ");
                    out.insert(at, line);
                }
            }
            1 if span > 0 => {
                out.drain(at..at + span);
            }
            _ => {
                for line in out.iter_mut().skip(at).take(span) {
                    *line = format!("changed {}", rng.next() % 1000);
                }
            }
        }
    }
    out
}

/// The editor line (lines end at `\n`, `\r\n` or a lone `\r`) where git line `git_line` starts.
fn editor_line_of(text: &str, git_line: u32) -> u32 {
    let bytes = text.as_bytes();
    let (mut git, mut editor) = (0, 0);
    for (i, byte) in bytes.iter().enumerate() {
        if git == git_line {
            break;
        }
        if *byte == b'\n' {
            git += 1;
            editor += 1;
        } else if *byte == b'\r' && bytes.get(i + 1) != Some(&b'\n') {
            editor += 1;
        }
    }
    editor
}

/// git's hunk `chunk` (header line first) narrowed to its added lines `from..to` (0-based within
/// the hunk) by gitsigns' rule: the removed lines at the same offsets, and all removed lines past
/// the last added one when the selection reaches the hunk's end. A patch of one hunk for
/// `git apply --cached --unidiff-zero`, with `file_header` in front.
///
/// Lines inserted after an old last line without a final newline give that line its newline (a
/// patch says so by replacing it), as staging the same lines with `git add -p`'s edit would.
fn narrowed_patch(
    file_header: &str,
    chunk: &str,
    from: usize,
    to: usize,
    old_text: &str,
) -> String {
    let mut lines = chunk.split_inclusive('\n');
    let first = lines.next().unwrap_or_default();
    // Each line with the "\ No newline at end of file" marker that may follow it.
    let (mut removed, mut added): (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
    let mut last_was_added = false;
    for line in lines {
        if line.starts_with('\\') {
            let target = if last_was_added {
                &mut added
            } else {
                &mut removed
            };
            if let Some(previous) = target.last_mut() {
                previous.push_str(line);
            }
        } else if let Some(rest) = line.strip_prefix('-') {
            removed.push(format!("-{rest}"));
            last_was_added = false;
        } else if let Some(rest) = line.strip_prefix('+') {
            added.push(format!("+{rest}"));
            last_was_added = true;
        }
    }
    let old = first.split(' ').nth(1).unwrap_or("-0");
    let mut parts = old[1..].split(',');
    let old_start: u32 = parts.next().unwrap_or("0").parse().unwrap_or(0);
    let old_lines: u32 = parts.next().map_or(1, |n| n.parse().unwrap_or(1));
    let hunk_at = if old_lines == 0 {
        old_start
    } else {
        old_start - 1
    };
    let removed_to = if to >= added.len() {
        removed.len()
    } else {
        to.min(removed.len())
    };
    let mut kept_removed: Vec<String> = removed
        .iter()
        .take(removed_to)
        .skip(from)
        .cloned()
        .collect();
    let mut kept_added: Vec<String> = added.iter().take(to).skip(from).cloned().collect();
    let mut at = hunk_at + from.min(removed.len()) as u32;
    let old_lines: Vec<&str> = old_text.split_inclusive('\n').collect();
    if kept_removed.is_empty()
        && !kept_added.is_empty()
        && at as usize == old_lines.len()
        && !old_text.is_empty()
        && !old_text.ends_with('\n')
    {
        let last = old_lines[old_lines.len() - 1];
        kept_removed.push(format!("-{last}\n\\ No newline at end of file\n"));
        kept_added.insert(0, format!("+{last}\n"));
        at -= 1;
    }
    let n_old = kept_removed.len() as u32;
    let old_side = if n_old == 0 {
        format!("-{at},0")
    } else {
        format!("-{},{n_old}", at + 1)
    };
    let body: String = kept_removed.concat() + &kept_added.concat();
    // `alone` computes the new side's start as git prints it for a patch of only this hunk.
    let header = format!("@@ {old_side} +1,{} @@\n", kept_added.len());
    format!(
        "{file_header}{}",
        alone(header.trim_end(), &(header.clone() + &body))
    )
}

/// The unified-diff file header (everything before the first `@@`) of `git diff` for `file`.
fn file_header(repo: &Repo, file: &str) -> String {
    let diff = repo.git(&["diff", "-U0", "--no-color", "--", file]);
    let end = diff.find("\n@@").map_or(diff.len(), |i| i + 1);
    diff[..end].to_string()
}

#[test]
fn staging_a_hunk_of_a_buffer_writes_what_git_would_for_random_files_settings_and_selections() {
    let cases: u64 = std::env::var("COMMIT_NUDGE_PROPERTY_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500);
    let mut staged = 0;
    let mut selections = 0;
    for seed in 1..=cases {
        let mut rng = Rng(seed.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ 0x5151);
        let repo = Repo::new();
        let autocrlf = AUTOCRLF[rng.below(3) as usize];
        repo.git(&["config", "core.autocrlf", autocrlf]);
        let attributes = ATTRIBUTES[rng.below(ATTRIBUTES.len() as u64) as usize];
        if let Some(attributes) = attributes {
            repo.write(".gitattributes", attributes);
        }
        let base: Vec<String> = (0..rng.below(25))
            .map(|_| random_line(&mut rng, ""))
            .collect();
        let style = rng.below(3);
        let final_ending = rng.below(4) != 0;
        let base_text = join_lines(&mut rng, &base, style, final_ending);
        repo.write("f.txt", &base_text);
        repo.commit_all("base");
        let edited = edit(&mut rng, &base);
        let final_ending = rng.below(4) != 0;
        let buffer = join_lines(&mut rng, &edited, style, final_ending);
        let what = format!("seed {seed}: autocrlf={autocrlf}, attributes={attributes:?}, base={base_text:?}, buffer={buffer:?}");

        // Ours, from the unsaved buffer (the disk still holds the base).
        let ours = git::open(&repo.root())
            .unwrap()
            .file_hunks("f.txt", Some(buffer.as_bytes()))
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        // git's, from the same text on disk.
        repo.write("f.txt", &buffer);
        let git_hunks = git_hunk_patches(&repo, "f.txt");
        let (our_headers, git_headers) = headers(&ours.unstaged, &git_hunks);
        if ours.binary {
            // git sees the same file as binary: no hunk to stage in either.
            assert!(git_hunks.is_empty(), "{what}: binary for us, not for git");
            continue;
        }
        assert_eq!(
            our_headers, git_headers,
            "{what}: the hunks of git diff -U0"
        );
        if git_hunks.is_empty() {
            continue;
        }
        let k = rng.below(git_hunks.len() as u64) as usize;
        let hunk = &ours.unstaged[k];
        let n_added = hunk.added.len();

        // A whole hunk, or a selection of some of its added lines made in editor lines.
        let (selection, patch) = if n_added > 1 && rng.below(2) == 0 {
            let from = rng.below(n_added as u64) as usize;
            let to = from + 1 + rng.below((n_added - from) as u64) as usize;
            let git_first = hunk.range.new_start - 1 + from as u32;
            let git_last = hunk.range.new_start - 1 + to as u32 - 1;
            let map = LineMap::new(&buffer);
            let (first, last) = (
                map.to_git(editor_line_of(&buffer, git_first)),
                map.to_git(editor_line_of(&buffer, git_last)),
            );
            assert_eq!(
                (first, last),
                (git_first, git_last),
                "{what}: editor lines map back to git's"
            );
            selections += 1;
            let chunk = git_hunks[k]
                .1
                .split_once("\n@@")
                .map(|(_, c)| format!("@@{c}"))
                .unwrap_or_default();
            (
                LineSelection::Lines { first, last },
                narrowed_patch(
                    &file_header(&repo, "f.txt"),
                    &chunk,
                    from,
                    to,
                    &String::from_utf8_lossy(&repo.index_blob("f.txt")),
                ),
            )
        } else {
            (LineSelection::All, git_hunks[k].1.clone())
        };

        // git's answer, then back to the committed index.
        std::fs::write(repo.path("hunk.patch"), &patch).unwrap();
        let applied = repo.git_output(&[
            "apply",
            "--cached",
            "--unidiff-zero",
            "--whitespace=nowarn",
            "hunk.patch",
        ]);
        assert!(
            applied.status.success(),
            "{what}: git apply refused {patch:?}: {}",
            String::from_utf8_lossy(&applied.stderr)
        );
        std::fs::remove_file(repo.path("hunk.patch")).unwrap();
        let expected = repo.index_blob("f.txt");
        repo.git(&["reset", "-q"]);
        repo.write("f.txt", &base_text);

        // Ours.
        let target = HunkTarget {
            range: hunk.range,
            hash: hunk.hash(),
            selection,
        };
        git::open(&repo.root())
            .unwrap()
            .stage_hunk("f.txt", Some(buffer.as_bytes()), &target)
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(
            String::from_utf8_lossy(&repo.index_blob("f.txt")),
            String::from_utf8_lossy(&expected),
            "{what}: hunk {k} ({selection:?}) staged as git would"
        );
        assert_eq!(
            repo.read("f.txt"),
            base_text.as_bytes(),
            "{what}: the disk is never written"
        );
        staged += 1;
    }
    assert!(
        staged * 2 > cases,
        "only {staged} of {cases} cases staged a hunk"
    );
    assert!(
        selections * 8 > cases,
        "only {selections} of {cases} cases staged a selection"
    );
}
