//! git's own `-U0` patches, read: what the planner needs of the work where libgit2 cannot read
//! the repository (SHA-256 object names), asked of git by the CLI backend (`cli::backend`).
//!
//! The text of `git diff -U0 --no-renames --no-color` is parsed here into files and hunks with
//! git's numbers, header context and lines (each with its line ending), so that the planner reads
//! the same shape whichever backend serves the repository.

use crate::hunk_range::HunkRange;

/// How a file differs between the two sides of a patch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchChange {
    /// Lines changed in a file on both sides.
    Modified,
    /// A file only the new side has.
    Added,
    /// A file only the old side has.
    Deleted,
    /// A binary change, a mode-only change, a submodule or a change of type (file, link).
    Whole,
}

/// One hunk of a `-U0` patch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchHunk {
    /// git's numbers.
    pub range: HunkRange,
    /// The context git prints after the numbers (the enclosing function's line), trimmed.
    pub context: String,
    /// The removed lines, each with its line ending.
    pub removed: Vec<Vec<u8>>,
    /// The added lines, each with its line ending.
    pub added: Vec<Vec<u8>>,
}

/// One file of a patch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilePatch {
    /// The path, `/`-separated, relative to the worktree.
    pub path: String,
    /// How it changed.
    pub change: PatchChange,
    /// Whether git found it binary.
    pub binary: bool,
    /// Its hunks (none for a `Whole` change).
    pub hunks: Vec<PatchHunk>,
}

/// The work as the planner reads it: HEAD→working tree (untracked files as added), HEAD→index,
/// and which paths differ between index and working tree.
#[derive(Debug, Clone, Default)]
pub struct WorkPatch {
    /// HEAD's commit id, `None` on an unborn branch.
    pub head: Option<String>,
    /// `git diff -U0 --no-renames HEAD`, then each untracked file as all added.
    pub files: Vec<FilePatch>,
    /// `git diff -U0 --no-renames --cached HEAD`.
    pub staged: Vec<FilePatch>,
    /// The paths `git diff --name-only` lists (the index→working tree side).
    pub unstaged_paths: std::collections::BTreeSet<String>,
    /// HEAD's text of each changed file, by path, for files of at most `MAX_TEXT_BYTES`.
    pub head_texts: std::collections::HashMap<String, Vec<u8>>,
}

/// HEAD texts larger than this are left out of `WorkPatch::head_texts`.
pub(crate) const MAX_TEXT_BYTES: usize = 1 << 20;

/// Parses the output of `git diff -U0 --no-renames --no-color` (any `--cached` or commit).
/// A path whose type changed (git prints a deletion and an addition) is one `Whole` change.
pub(crate) fn parse_patch(out: &[u8]) -> Vec<FilePatch> {
    let mut files: Vec<FilePatch> = Vec::new();
    let mut lines = out.split_inclusive(|&b| b == b'\n').peekable();
    while let Some(line) = lines.next() {
        let Some(names) = line.strip_prefix(b"diff --git ") else {
            continue;
        };
        let mut file = FilePatch {
            path: path_of_names(trim_newline(names)),
            change: PatchChange::Modified,
            binary: false,
            hunks: Vec::new(),
        };
        let mut submodule = false;
        // The extended header, up to the first hunk or the next file.
        while let Some(next) = lines.peek() {
            if next.starts_with(b"diff --git ") || next.starts_with(b"@@") {
                break;
            }
            let next = trim_newline(lines.next().unwrap_or_default());
            if next.starts_with(b"new file mode") {
                file.change = PatchChange::Added;
            } else if next.starts_with(b"deleted file mode") {
                file.change = PatchChange::Deleted;
            } else if next.starts_with(b"Binary files") || next.starts_with(b"GIT binary patch") {
                file.binary = true;
            } else if let Some(name) = next.strip_prefix(b"+++ b/") {
                file.path = String::from_utf8_lossy(name).into_owned();
            } else if let Some(name) = next.strip_prefix(b"+++ \"") {
                file.path = unquote(name.strip_suffix(b"\"").unwrap_or(name));
            } else if let Some(name) = next.strip_prefix(b"--- a/") {
                file.path = String::from_utf8_lossy(name).into_owned();
            } else if let Some(name) = next.strip_prefix(b"--- \"") {
                file.path = unquote(name.strip_suffix(b"\"").unwrap_or(name));
            }
            submodule |= next.ends_with(b" 160000") || next.ends_with(b" mode 160000");
        }
        while lines.peek().is_some_and(|l| l.starts_with(b"@@")) {
            let header_line = trim_newline(lines.next().unwrap_or_default());
            let Some((range, context)) = read_header(header_line) else {
                continue;
            };
            let mut hunk = PatchHunk {
                range,
                context,
                removed: Vec::new(),
                added: Vec::new(),
            };
            let mut last_added = false;
            while let Some(next) = lines.peek() {
                match next.first() {
                    Some(b'-') => hunk.removed.push(next[1..].to_vec()),
                    Some(b'+') => hunk.added.push(next[1..].to_vec()),
                    // `\ No newline at end of file`: the line before has no line ending.
                    Some(b'\\') => {
                        let lines = if last_added {
                            &mut hunk.added
                        } else {
                            &mut hunk.removed
                        };
                        if let Some(line) = lines.last_mut() {
                            if line.last() == Some(&b'\n') {
                                line.pop();
                            }
                        }
                    }
                    _ => break,
                }
                last_added = match next.first() {
                    Some(b'+') => true,
                    Some(b'-') => false,
                    _ => last_added,
                };
                lines.next();
            }
            file.hunks.push(hunk);
        }
        if submodule || file.binary || file.hunks.is_empty() && file.change == PatchChange::Modified
        {
            file.change = PatchChange::Whole;
            file.hunks.clear();
        }
        match files.last_mut() {
            // A change of type: the deletion, then the addition of the same path.
            Some(previous) if previous.path == file.path => {
                previous.change = PatchChange::Whole;
                previous.binary |= file.binary;
                previous.hunks.clear();
            }
            _ => files.push(file),
        }
    }
    files
}

/// `@@ -a,b +c,d @@ context` → the numbers and the trimmed context.
fn read_header(line: &[u8]) -> Option<(HunkRange, String)> {
    let text = String::from_utf8_lossy(line);
    let (range, context) = HunkRange::parse(&text)?;
    Some((range, context.trim().to_string()))
}

/// The path of `a/x b/x` (a file's name on its `diff --git` line, the same on both sides with
/// `--no-renames`), used until a `---`/`+++` line names it more exactly.
fn path_of_names(names: &[u8]) -> String {
    if let Some(quoted) = names.strip_prefix(b"\"a/") {
        let end = quoted
            .iter()
            .position(|&b| b == b'"')
            .unwrap_or(quoted.len());
        return unquote(&quoted[..end]);
    }
    let names = names.strip_prefix(b"a/").unwrap_or(names);
    // Both halves are equal: `x b/x`.
    let half = names.len().saturating_sub(3) / 2;
    String::from_utf8_lossy(&names[..half.min(names.len())]).into_owned()
}

/// A C-quoted name as git writes it (`\t`, `\n`, `\"`, `\\`, octal bytes), without the quotes
/// and the `a/`/`b/` prefix.
fn unquote(quoted: &[u8]) -> String {
    let quoted = quoted
        .strip_prefix(b"a/")
        .or_else(|| quoted.strip_prefix(b"b/"))
        .unwrap_or(quoted);
    let mut out = Vec::with_capacity(quoted.len());
    let mut bytes = quoted.iter().copied().peekable();
    while let Some(b) = bytes.next() {
        if b != b'\\' {
            out.push(b);
            continue;
        }
        match bytes.next() {
            Some(b't') => out.push(b'\t'),
            Some(b'n') => out.push(b'\n'),
            Some(b'r') => out.push(b'\r'),
            Some(b'a') => out.push(7),
            Some(b'b') => out.push(8),
            Some(b'f') => out.push(12),
            Some(b'v') => out.push(11),
            Some(digit @ b'0'..=b'7') => {
                let mut value = u32::from(digit - b'0');
                for _ in 0..2 {
                    match bytes.peek() {
                        Some(d @ b'0'..=b'7') => {
                            value = value * 8 + u32::from(d - b'0');
                            bytes.next();
                        }
                        _ => break,
                    }
                }
                out.push(value as u8);
            }
            Some(other) => out.push(other),
            None => out.push(b'\\'),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn trim_newline(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\n").unwrap_or(line)
}

/// A file's content as lines, each with its line ending (the last may have none).
pub(crate) fn lines_of(content: &[u8]) -> Vec<Vec<u8>> {
    content
        .split_inclusive(|&b| b == b'\n')
        .map(<[u8]>::to_vec)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_patch_is_read_with_gits_numbers_and_lines() {
        let out = b"diff --git a/f.txt b/f.txt\nindex 1..2 100644\n--- a/f.txt\n+++ b/f.txt\n\
@@ -2 +2,2 @@ fn main\n-old\n+new\n+more\n@@ -9,0 +11 @@\n+end\n\\ No newline at end of file\n\
diff --git a/gone b/gone\ndeleted file mode 100644\nindex 3..0\n--- a/gone\n+++ /dev/null\n\
@@ -1 +0,0 @@\n-x\n\
diff --git a/img.png b/img.png\nindex 4..5 100644\nBinary files a/img.png and b/img.png differ\n\
diff --git \"a/t\\303\\251\" \"b/t\\303\\251\"\nnew file mode 100644\nindex 0..6\n--- /dev/null\n\
+++ \"b/t\\303\\251\"\n@@ -0,0 +1 @@\n+\xc3\xa9\n";
        let files = parse_patch(out);
        assert_eq!(files.len(), 4);
        assert_eq!(files[0].path, "f.txt");
        assert_eq!(files[0].change, PatchChange::Modified);
        assert_eq!(files[0].hunks.len(), 2);
        let first = &files[0].hunks[0];
        assert_eq!((first.range.old_start, first.range.old_lines), (2, 1));
        assert_eq!((first.range.new_start, first.range.new_lines), (2, 2));
        assert_eq!(first.context, "fn main");
        assert_eq!(first.added, vec![b"new\n".to_vec(), b"more\n".to_vec()]);
        assert_eq!(files[0].hunks[1].added, vec![b"end".to_vec()]);
        assert_eq!(files[1].change, PatchChange::Deleted);
        assert_eq!(files[1].path, "gone");
        assert_eq!(files[2].change, PatchChange::Whole);
        assert!(files[2].binary);
        assert_eq!(files[3].path, "té");
        assert_eq!(files[3].change, PatchChange::Added);
    }

    #[test]
    fn a_change_of_type_is_one_whole_change() {
        let out = b"diff --git a/l b/l\ndeleted file mode 100644\n--- a/l\n+++ /dev/null\n\
@@ -1 +0,0 @@\n-x\ndiff --git a/l b/l\nnew file mode 120000\n--- /dev/null\n+++ b/l\n\
@@ -0,0 +1 @@\n+t\n\\ No newline at end of file\n";
        let files = parse_patch(out);
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].change, PatchChange::Whole);
    }
}
