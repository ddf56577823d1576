//! What `git add` would store for a path: a symlink's link text, a file's bytes after git's
//! built-in conversions (`eol`, `text`, `core.autocrlf`, `ident`), and the entry's mode.
//!
//! The conversions are libgit2's own filter list in the direction of the object database (the
//! same list libgit2 applies when it counts the working tree), so a buffer that is diffed or
//! staged goes through exactly what the count of the same bytes on disk goes through. No filter
//! program runs: libgit2 knows no `filter.<driver>.clean` commands, only its built-in filters and
//! the read-not-map filter of `no_mmap_filter.rs`, which changes nothing.

use std::ffi::{c_char, c_int, c_void, CString};
use std::path::Path;

use git2::{Binding, Repository};

use crate::git::error::{GitError, Result};

/// The content and mode of an index entry, as `git add` would write it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addable {
    pub content: Vec<u8>,
    pub mode: u32,
}

/// A symbolic link's mode in the index.
pub const MODE_LINK: u32 = 0o120000;
const MODE_FILE: u32 = 0o100644;
const MODE_EXECUTABLE: u32 = 0o100755;

/// What `git add rel_path` would write, given `text` (an open buffer's bytes, standing for the
/// file's content) or, with `None`, the disk. `None` when there is nothing to add (the path is
/// gone, or is a directory such as a submodule).
///
/// A symlink is a link whatever the editor shows through it: its blob is the link text and a
/// buffer's text is ignored (edits through a link belong to its target, which is a file of its
/// own). `index_mode` is the mode the index holds for the path, if any: it decides the mode
/// where git does not trust the file system's executable bit (`core.fileMode = false`).
pub fn as_git_would_add(
    repo: &Repository,
    rel_path: &str,
    text: Option<&[u8]>,
    index_mode: Option<u32>,
) -> Result<Option<Addable>> {
    let root = repo.workdir().map(Path::to_path_buf).unwrap_or_default();
    as_added_in(
        &root,
        rel_path,
        text,
        index_mode,
        filemode_trusted(repo),
        |raw| to_git(repo, rel_path, raw),
    )
}

/// `as_git_would_add` in the worktree `root`, with whether git trusts the executable bit
/// (`core.fileMode`) and the conversion of a file's bytes given: the one way a working-tree file
/// becomes an index entry's content and mode, whichever backend reads the repository.
pub(crate) fn as_added_in(
    root: &Path,
    rel_path: &str,
    text: Option<&[u8]>,
    index_mode: Option<u32>,
    trusted: bool,
    convert: impl FnOnce(&[u8]) -> Result<Vec<u8>>,
) -> Result<Option<Addable>> {
    let full = root.join(rel_path);
    let meta = std::fs::symlink_metadata(&full).ok();
    if let Some(meta) = &meta {
        if meta.file_type().is_symlink() {
            let target = std::fs::read_link(&full)
                .map_err(|e| GitError::io(format!("could not read the link {rel_path}"), e))?;
            return Ok(Some(Addable {
                content: link_bytes(&target),
                mode: MODE_LINK,
            }));
        }
        if meta.is_dir() {
            return Ok(None);
        }
    }
    let raw = match text {
        Some(text) => text.to_vec(),
        None if meta.is_some() => std::fs::read(&full)
            .map_err(|e| GitError::io(format!("could not read {rel_path}"), e))?,
        None => return Ok(None),
    };
    let mode = file_mode(trusted, meta.as_ref(), index_mode);
    Ok(Some(Addable {
        content: convert(&raw)?,
        mode,
    }))
}

/// The mode `git add` would record for `rel_path` as it is on disk: a link's, or a regular file's
/// (see `file_mode`); a path not on disk keeps `index_mode` or gets 100644.
pub fn mode_git_would_add(repo: &Repository, rel_path: &str, index_mode: Option<u32>) -> u32 {
    let root = repo.workdir().map(Path::to_path_buf).unwrap_or_default();
    let meta = std::fs::symlink_metadata(root.join(rel_path)).ok();
    if meta.as_ref().is_some_and(|m| m.file_type().is_symlink()) {
        return MODE_LINK;
    }
    file_mode(filemode_trusted(repo), meta.as_ref(), index_mode)
}

/// Whether git trusts the file system's executable bit (`core.fileMode`, true on Unix by default).
fn filemode_trusted(repo: &Repository) -> bool {
    repo.config()
        .and_then(|c| c.get_bool("core.filemode"))
        .unwrap_or(cfg!(unix))
}

/// The mode git gives a regular file: the executable bit from the file system when git trusts
/// it, else the index's mode (or 100644 for a new path).
fn file_mode(trusted: bool, meta: Option<&std::fs::Metadata>, index_mode: Option<u32>) -> u32 {
    let from_index = index_mode.filter(|m| *m == MODE_FILE || *m == MODE_EXECUTABLE);
    if !trusted {
        return from_index.unwrap_or(MODE_FILE);
    }
    match meta {
        Some(meta) if is_executable(meta) => MODE_EXECUTABLE,
        Some(_) => MODE_FILE,
        None => from_index.unwrap_or(MODE_FILE),
    }
}

#[cfg(unix)]
fn is_executable(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o100 != 0
}

#[cfg(not(unix))]
fn is_executable(_meta: &std::fs::Metadata) -> bool {
    false
}

#[cfg(unix)]
fn link_bytes(target: &Path) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    target.as_os_str().as_bytes().to_vec()
}

#[cfg(not(unix))]
fn link_bytes(target: &Path) -> Vec<u8> {
    target.to_string_lossy().replace('\\', "/").into_bytes()
}

// libgit2's filter list API (include/git2/filter.h); the vendored library has it, the -sys crate
// declares none of it.
unsafe extern "C" {
    fn git_filter_list_load(
        filters: *mut *mut c_void,
        repo: *mut libgit2_sys::git_repository,
        blob: *mut c_void,
        path: *const c_char,
        mode: c_int,
        flags: u32,
    ) -> c_int;
    fn git_filter_list_contains(filters: *mut c_void, name: *const c_char) -> c_int;
    fn git_filter_list_apply_to_buffer(
        out: *mut libgit2_sys::git_buf,
        filters: *mut c_void,
        input: *const c_char,
        len: usize,
    ) -> c_int;
    fn git_filter_list_free(filters: *mut c_void);
}

/// `GIT_FILTER_TO_ODB`: the direction of `git add`.
const TO_ODB: c_int = 1;

/// The filters that apply to one path on its way into the object database.
struct FilterList(*mut c_void);

impl FilterList {
    fn load(repo: &Repository, rel_path: &str) -> Result<FilterList> {
        let path = CString::new(rel_path)
            .map_err(|_| GitError::Refused(format!("{rel_path:?} holds a NUL byte")))?;
        let mut list = std::ptr::null_mut();
        // SAFETY: `repo.raw()` is a live repository for the duration of the call, `path` is a
        // valid C string, and a null blob is allowed.
        let code = unsafe {
            git_filter_list_load(
                &mut list,
                repo.raw(),
                std::ptr::null_mut(),
                path.as_ptr(),
                TO_ODB,
                0,
            )
        };
        if code < 0 {
            return Err(GitError::Git(git2::Error::last_error(code)));
        }
        Ok(FilterList(list))
    }

    /// Whether one of git's content conversions is in the list (not only the no-op filter).
    fn converts(&self) -> bool {
        [c"crlf", c"ident"].iter().any(|name| {
            // SAFETY: a null or loaded list and a valid C string.
            unsafe { git_filter_list_contains(self.0, name.as_ptr()) == 1 }
        })
    }

    fn apply(&self, input: &[u8]) -> Result<Vec<u8>> {
        let mut out = libgit2_sys::git_buf {
            ptr: std::ptr::null_mut(),
            reserved: 0,
            size: 0,
        };
        // SAFETY: `out` is an empty git_buf that libgit2 fills and we dispose of below; the
        // input pointer and length describe a live slice.
        let code = unsafe {
            git_filter_list_apply_to_buffer(&mut out, self.0, input.as_ptr().cast(), input.len())
        };
        let result = if code < 0 {
            Err(GitError::Git(git2::Error::last_error(code)))
        } else if out.ptr.is_null() {
            Ok(Vec::new())
        } else {
            // SAFETY: on success libgit2 left `size` initialized bytes at `ptr`.
            Ok(unsafe { std::slice::from_raw_parts(out.ptr.cast::<u8>(), out.size) }.to_vec())
        };
        // SAFETY: `out` was initialized above and is disposed of exactly once.
        unsafe { libgit2_sys::git_buf_dispose(&mut out) };
        result
    }
}

impl Drop for FilterList {
    fn drop(&mut self) {
        if !self.0.is_null() {
            // SAFETY: the list was loaded by `git_filter_list_load` and is freed once.
            unsafe { git_filter_list_free(self.0) };
        }
    }
}

/// `bytes` (a working-tree version of `rel_path`) as `git add` would store them: line endings
/// converted where `eol`, `text` or `core.autocrlf` ask for it, `$Id$` collapsed where `ident` does.
pub fn to_git(repo: &Repository, rel_path: &str, bytes: &[u8]) -> Result<Vec<u8>> {
    let list = FilterList::load(repo, rel_path)?;
    if !list.converts() {
        return Ok(bytes.to_vec());
    }
    let converted = list.apply(bytes)?;
    if converted == bytes && libgit2_skipped_auto_conversion(repo, rel_path, bytes)? {
        return Ok(crlf_to_lf(bytes));
    }
    Ok(converted)
}

/// Whether libgit2 left `bytes` as they are where git converts them. With automatic line endings
/// (`text=auto`, or `core.autocrlf` without attributes) both skip the conversion when the index
/// already holds CRLF ("the safer autocrlf"), but git asks only whether the index blob is text
/// with a CRLF in it, and libgit2 whether it holds any CR at all: a blob with a lone CR is
/// converted by git and not by libgit2.
fn libgit2_skipped_auto_conversion(
    repo: &Repository,
    rel_path: &str,
    bytes: &[u8],
) -> Result<bool> {
    let new = TextStats::of(bytes);
    if new.binary() || new.crlf == 0 {
        return Ok(false);
    }
    let Some(entry) = crate::git::repo::index_entry(repo, rel_path)? else {
        return Ok(false);
    };
    let blob = repo.find_blob(entry.id)?;
    let in_index = TextStats::of(blob.content());
    let libgit2_skips = in_index.cr > 0;
    let git_skips = !in_index.binary() && in_index.crlf > 0;
    Ok(libgit2_skips && !git_skips && is_auto_crlf(repo, rel_path)?)
}

/// Whether the path's line endings are converted "automatically" (git's `CRLF_AUTO*`): the
/// `text=auto` attribute, or `core.autocrlf` true or input with no `text`, `crlf` or `eol`
/// attribute.
fn is_auto_crlf(repo: &Repository, rel_path: &str) -> Result<bool> {
    let attr = |name: &str| -> Result<Option<String>> {
        Ok(repo
            .get_attr(
                Path::new(rel_path),
                name,
                git2::AttrCheckFlags::FILE_THEN_INDEX,
            )?
            .map(str::to_string))
    };
    match attr("text")?.as_deref() {
        Some("auto") => return Ok(true),
        Some(_) => return Ok(false),
        None => {}
    }
    if attr("crlf")?.is_some() || attr("eol")?.is_some() {
        return Ok(false);
    }
    let autocrlf = repo
        .config()?
        .get_string("core.autocrlf")
        .unwrap_or_default()
        .to_ascii_lowercase();
    Ok(matches!(
        autocrlf.as_str(),
        "true" | "input" | "yes" | "on" | "1"
    ))
}

/// How `git add` converts one path's bytes, decided from its attributes and the config where
/// git itself is asked for them (the CLI backend: `git check-attr`), applied in-process on each
/// keystroke as git's `convert_to_git` would (no filter program: those are switched off there).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TextRule {
    /// Line endings: `None` left alone, else CRLF to LF, `auto` only for text that the index
    /// does not already hold with CRLF ("the safer autocrlf").
    pub eol: Option<EolRule>,
    /// The `ident` attribute: `$Id: … $` collapsed to `$Id$`.
    pub ident: bool,
}

/// git's line-ending conversion towards the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EolRule {
    /// `text` (or `eol`): every CRLF becomes LF.
    Text,
    /// `text=auto`, or `core.autocrlf` without attributes.
    Auto,
}

impl TextRule {
    /// The rule of a path with these attribute values (`set`, `unset`, `unspecified` or a
    /// value, as `git check-attr` prints them) and `core.autocrlf`.
    pub(crate) fn of(text: &str, crlf: &str, eol: &str, ident: &str, autocrlf: &str) -> TextRule {
        let autocrlf = autocrlf.to_ascii_lowercase();
        let auto_by_config = matches!(autocrlf.as_str(), "true" | "input" | "yes" | "on" | "1");
        let eol_rule = match text {
            "set" => Some(EolRule::Text),
            "unset" => None,
            "auto" => Some(EolRule::Auto),
            _ => match crlf {
                "set" | "input" => Some(EolRule::Text),
                "unset" => None,
                _ if eol == "lf" || eol == "crlf" => Some(EolRule::Text),
                _ if auto_by_config => Some(EolRule::Auto),
                _ => None,
            },
        };
        TextRule {
            eol: eol_rule,
            ident: ident == "set",
        }
    }

    /// Whether the rule may change any bytes.
    pub fn converts(&self) -> bool {
        self.eol.is_some() || self.ident
    }

    /// `bytes` as `git add` would store them; `in_index` is the index's version of the path.
    pub fn apply(self, bytes: &[u8], in_index: Option<&[u8]>) -> Vec<u8> {
        let stats = TextStats::of(bytes);
        let mut out = match self.eol {
            Some(EolRule::Text) if stats.crlf > 0 => crlf_to_lf(bytes),
            Some(EolRule::Auto) if stats.crlf > 0 && !stats.binary() => {
                let kept = in_index.is_some_and(|blob| {
                    let old = TextStats::of(blob);
                    !old.binary() && old.crlf > 0
                });
                if kept {
                    bytes.to_vec()
                } else {
                    crlf_to_lf(bytes)
                }
            }
            _ => bytes.to_vec(),
        };
        if self.ident {
            out = collapse_ident(&out);
        }
        out
    }
}

/// `$Id: … $` (on one line) collapsed to `$Id$`, as git's `ident_to_git` does.
fn collapse_ident(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i..].starts_with(b"$Id:") {
            let rest = &bytes[i + 4..];
            if let Some(end) = rest.iter().position(|&b| b == b'$' || b == b'\n') {
                if rest[end] == b'$' {
                    out.extend_from_slice(b"$Id$");
                    i += 4 + end + 1;
                    continue;
                }
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

/// `bytes` with the CR of every CRLF dropped (a lone CR stays), as git's `crlf_to_git` does.
fn crlf_to_lf(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    for (i, byte) in bytes.iter().enumerate() {
        if *byte != b'\r' || bytes.get(i + 1) != Some(&b'\n') {
            out.push(*byte);
        }
    }
    out
}

/// git's text statistics of a blob (convert.c's `gather_stats`).
struct TextStats {
    cr: usize,
    crlf: usize,
    nul: usize,
    printable: usize,
    nonprintable: usize,
}

impl TextStats {
    fn of(bytes: &[u8]) -> TextStats {
        let mut stats = TextStats {
            cr: 0,
            crlf: 0,
            nul: 0,
            printable: 0,
            nonprintable: 0,
        };
        // A final DOS end-of-file mark is not counted.
        let bytes = bytes.strip_suffix(b"\x1a").unwrap_or(bytes);
        for (i, byte) in bytes.iter().enumerate() {
            match byte {
                b'\r' => {
                    stats.cr += 1;
                    if bytes.get(i + 1) == Some(&b'\n') {
                        stats.crlf += 1;
                    }
                }
                b'\n' => {}
                0 => {
                    stats.nul += 1;
                    stats.nonprintable += 1;
                }
                0x7f => stats.nonprintable += 1,
                b'\t' | 0x08 | 0x0b | 0x0c | 0x1b => stats.printable += 1,
                byte if *byte < 0x20 => stats.nonprintable += 1,
                _ => stats.printable += 1,
            }
        }
        stats
    }

    /// git's `convert_is_binary`: a lone CR, a NUL, or too much that is not printable.
    fn binary(&self) -> bool {
        self.cr != self.crlf || self.nul > 0 || (self.printable >> 7) < self.nonprintable
    }
}

/// Whether `git add` may change the bytes of `rel_path` on their way into the index. When it
/// cannot, a buffer can be compared with the index without the repository.
pub fn converts(repo: &Repository, rel_path: &str) -> Result<bool> {
    Ok(FilterList::load(repo, rel_path)?.converts())
}

#[cfg(test)]
mod rule_tests {
    use super::{EolRule, TextRule};

    #[test]
    fn the_rule_follows_attributes_then_autocrlf() {
        let of =
            |text, autocrlf| TextRule::of(text, "unspecified", "unspecified", "unset", autocrlf);
        assert_eq!(of("set", "false").eol, Some(EolRule::Text));
        assert_eq!(of("unset", "true").eol, None);
        assert_eq!(of("auto", "false").eol, Some(EolRule::Auto));
        assert_eq!(of("unspecified", "true").eol, Some(EolRule::Auto));
        assert_eq!(of("unspecified", "false").eol, None);
        let auto = of("auto", "false");
        assert_eq!(auto.apply(b"a\r\nb\r\n", None), b"a\nb\n");
        assert_eq!(auto.apply(b"a\r\nb\r\n", Some(b"a\r\n")), b"a\r\nb\r\n");
        let ident = TextRule::of("unspecified", "unspecified", "unspecified", "set", "false");
        assert_eq!(ident.apply(b"x $Id: 123 $ y\n", None), b"x $Id$ y\n");
    }
}
