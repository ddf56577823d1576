//! Lines as git counts them and as editors count them, and the map between the two.
//!
//! git ends a line at `\n` only. Editors (and the language server protocol) end a line at `\n`,
//! `\r\n` or a lone `\r`. In a text without a lone `\r` the two numberings agree; each lone `\r`
//! splits one git line into two editor lines, so every position that crosses between a hunk and
//! an editor goes through this map.

/// The correspondence between the git lines and the editor lines of one text (both 0-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineMap {
    /// For each editor line, the git line it is part of; empty when the two agree.
    git_of_editor: Vec<u32>,
    /// For each git line, the editor line where it starts; empty when the two agree.
    editor_of_git: Vec<u32>,
    /// How many git lines the text has (a final line without `\n` counts).
    git_lines: u32,
    /// The last editor line (an editor always has one, even in an empty text).
    last_editor_line: u32,
    /// Whether the text ends with a line break (`\n` or a lone `\r`).
    ends_with_break: bool,
}

impl LineMap {
    /// The map of `text`, a buffer as the editor holds it.
    pub fn new(text: &str) -> LineMap {
        let bytes = text.as_bytes();
        let newlines = bytes.iter().filter(|b| **b == b'\n').count();
        let git_lines = newlines + usize::from(!bytes.is_empty() && !text.ends_with('\n'));
        let ends_with_break = text.ends_with('\n') || text.ends_with('\r');
        let lone_cr = |i: usize| bytes[i] == b'\r' && bytes.get(i + 1) != Some(&b'\n');
        if !(0..bytes.len()).any(lone_cr) {
            return LineMap {
                git_of_editor: Vec::new(),
                editor_of_git: Vec::new(),
                git_lines: to_u32(git_lines),
                last_editor_line: to_u32(newlines),
                ends_with_break,
            };
        }
        let mut git_of_editor = vec![0];
        let mut editor_of_git = vec![0];
        let mut git_line = 0;
        for (i, byte) in bytes.iter().enumerate() {
            if *byte == b'\n' {
                git_line += 1;
                editor_of_git.push(to_u32(git_of_editor.len()));
                git_of_editor.push(git_line);
            } else if lone_cr(i) {
                git_of_editor.push(git_line);
            }
        }
        LineMap {
            last_editor_line: to_u32(git_of_editor.len() - 1),
            git_of_editor,
            editor_of_git,
            git_lines: to_u32(git_lines),
            ends_with_break,
        }
    }

    /// The last editor line that holds text: the empty line after a final line break is not one.
    pub(crate) fn last_text_line(&self) -> u32 {
        if self.ends_with_break {
            self.last_editor_line.saturating_sub(1)
        } else {
            self.last_editor_line
        }
    }

    /// How many lines git sees in the text.
    pub(crate) fn git_lines(&self) -> u32 {
        self.git_lines
    }

    /// The last line an editor shows (0-based; the empty line after a final newline included).
    #[cfg(test)]
    fn last_editor_line(&self) -> u32 {
        self.last_editor_line
    }

    /// The git line that editor line `line` belongs to (past the end: counted on from the end).
    pub fn to_git(&self, line: u32) -> u32 {
        match self.git_of_editor.get(line as usize) {
            Some(git) => *git,
            None if self.git_of_editor.is_empty() => line,
            None => {
                let past = line - self.last_editor_line;
                self.git_of_editor[self.last_editor_line as usize] + past
            }
        }
    }

    /// The editor line where git line `line` starts (past the end: counted on from the end).
    pub(crate) fn to_editor(&self, line: u32) -> u32 {
        match self.editor_of_git.get(line as usize) {
            Some(editor) => *editor,
            None if self.editor_of_git.is_empty() => line,
            None => {
                let last = to_u32(self.editor_of_git.len() - 1);
                self.editor_of_git[last as usize] + (line - last)
            }
        }
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::LineMap;

    #[test]
    fn without_a_lone_cr_the_numberings_agree() {
        for text in ["", "a", "a\n", "a\r\nb\r\n", "a\nb"] {
            let map = LineMap::new(text);
            for line in 0..5 {
                assert_eq!(map.to_git(line), line, "{text:?}");
                assert_eq!(map.to_editor(line), line, "{text:?}");
            }
        }
        assert_eq!(LineMap::new("a\r\nb\r\n").git_lines(), 2);
        assert_eq!(LineMap::new("a\nb").git_lines(), 2);
        assert_eq!(LineMap::new("").git_lines(), 0);
        assert_eq!(LineMap::new("a\nb\n").last_editor_line(), 2);
        assert_eq!(LineMap::new("a\nb\n").last_text_line(), 1);
        assert_eq!(LineMap::new("a\nb").last_text_line(), 1);
    }

    #[test]
    fn a_lone_cr_splits_one_git_line_into_two_editor_lines() {
        // Editor lines: a | b | c | D | E | F | (empty); git lines: a\rb | c | D | E | F.
        let map = LineMap::new("a\rb\nc\nD\nE\nF\n");
        assert_eq!(map.git_lines(), 5);
        assert_eq!(map.last_editor_line(), 6);
        let git: Vec<u32> = (0..7).map(|l| map.to_git(l)).collect();
        assert_eq!(git, [0, 0, 1, 2, 3, 4, 5]);
        let editor: Vec<u32> = (0..6).map(|l| map.to_editor(l)).collect();
        assert_eq!(editor, [0, 2, 3, 4, 5, 6]);
        // A CR before LF is one break, and a CR at the very end is a break of its own.
        let map = LineMap::new("x\r\ny\r");
        assert_eq!((map.git_lines(), map.last_editor_line()), (2, 2));
        assert_eq!(map.to_git(2), 1);
    }
}
