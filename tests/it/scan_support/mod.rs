//! What the scan's differential tests share: one repository counted three ways (by scan, by
//! whole-tree diffs, by the public entry), compared with each other field by field and with git;
//! the repositories most cases start from; a look at the index file's form.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::process::Command;

use commit_nudge::git::verify::{by_diff, by_scan, index_form, IndexForm, IndexStamp, Scanned};
use commit_nudge::git::{self, CountOptions, FileDelta, GitError, RepoCounts};

use crate::support::Repo;

/// What the scan did with a repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Counted,
    /// Declined, with its reason (or the error it returned, which the public entry also falls
    /// back from).
    Declined(String),
}

impl Verdict {
    pub fn counted(&self) -> bool {
        *self == Verdict::Counted
    }
}

/// The options the live workspace counts with.
pub fn plain() -> CountOptions {
    CountOptions {
        count_untracked: true,
        stamp_index: true,
        ..CountOptions::default()
    }
}

/// Options leaving out the paths matching `globs` (as `exclude` settings are built).
pub fn excluding(globs: &[&str]) -> CountOptions {
    let mut builder = globset::GlobSetBuilder::new();
    for glob in globs {
        let glob = globset::GlobBuilder::new(glob)
            .literal_separator(true)
            .build()
            .expect("a valid glob");
        builder.add(glob);
    }
    CountOptions {
        exclude: builder.build().expect("a valid glob set"),
        ..plain()
    }
}

/// How the reference is compared with git: every row's lines; only which paths have rows; every
/// row but those of some paths (both where the reference is known to count otherwise than git,
/// as each use says); or every row's lines with git told to leave out these globs (as `exclude`
/// leaves them out, before renames are paired).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Git {
    Lines,
    PathsOnly,
    Except(&'static [&'static str]),
    Excluding(&'static [&'static str]),
    /// Not at all: git itself fails (a tracked file replaced by a FIFO: "unsupported file type").
    Not,
}

/// Counts `repo` by scan, by whole-tree diffs and by `count_repo`; asserts that the scan, when it
/// counts, equals the reference, that `count_repo` equals it too, and then that the reference
/// gives git's own numbers. Returns what the scan did.
pub fn check(repo: &Repo, options: &CountOptions, context: &str) -> Verdict {
    check_against(repo, options, context, Git::Lines)
}

/// `check`, comparing the reference with git as far as `git` says.
pub fn check_against(repo: &Repo, options: &CountOptions, context: &str, git: Git) -> Verdict {
    let opened = git::open(&repo.root()).expect("open the repository");
    let index_before = std::fs::read(repo.root().join(".git/index")).ok();
    let scanned = by_scan(&opened, options);
    let index_after = std::fs::read(repo.root().join(".git/index")).ok();
    assert!(
        index_before == index_after,
        "{context}: the scan changed .git/index"
    );
    let reference = match by_diff(&opened, options) {
        Ok(reference) => reference,
        Err(error) => return without_reference(repo, &opened, options, context, scanned, error),
    };
    let verdict = match scanned {
        Ok(Scanned::Counted(counts)) => {
            assert_same(&counts, &reference, &format!("{context}: scan"));
            assert_stamp(&opened, &counts, &reference, &format!("{context}: scan"));
            Verdict::Counted
        }
        Ok(Scanned::Declined(why)) => Verdict::Declined(why.to_string()),
        Err(error) => Verdict::Declined(format!("error: {error}")),
    };
    let public = opened.count(options).expect("count_repo counts");
    assert_same(&public, &reference, &format!("{context}: count_repo"));
    if git != Git::Not {
        assert_git_numbers(repo, &reference, options, context, git);
    }
    verdict
}

/// Where libgit2 cannot count a repository at all (a split index): whatever counts, the scan or
/// `count_repo`, gives git's numbers; the verdict names the reference's failure.
fn without_reference(
    repo: &Repo,
    opened: &git::Repo,
    options: &CountOptions,
    context: &str,
    scanned: Result<Scanned, GitError>,
    error: GitError,
) -> Verdict {
    let verdict = match scanned {
        Ok(Scanned::Counted(counts)) => {
            let context = format!("{context}: scan, with no reference");
            assert_git_numbers(repo, &counts, options, &context, Git::Lines);
            Verdict::Counted
        }
        Ok(Scanned::Declined(why)) => {
            Verdict::Declined(format!("{why}; the reference failed: {error}"))
        }
        Err(scan_error) => Verdict::Declined(format!(
            "error: {scan_error}; the reference failed: {error}"
        )),
    };
    if let Ok(public) = opened.count(options) {
        let context = format!("{context}: count_repo, with no reference");
        assert_git_numbers(repo, &public, options, &context, Git::Lines);
    }
    verdict
}

/// Where the reference is known to differ from git and the scan not: the scan counts, and it and
/// `count_repo` give git's own numbers.
pub fn check_follows_git(repo: &Repo, options: &CountOptions, context: &str) {
    let opened = git::open(&repo.root()).expect("open the repository");
    match by_scan(&opened, options) {
        Ok(Scanned::Counted(counts)) => {
            let context = format!("{context}: scan");
            assert_git_numbers(repo, &counts, options, &context, Git::Lines);
        }
        other => panic!("{context}: the scan did not count: {other:?}"),
    }
    let public = opened.count(options).expect("count_repo counts");
    let context = format!("{context}: count_repo");
    assert_git_numbers(repo, &public, options, &context, Git::Lines);
}

/// `check`, and the scan must have counted (not declined).
pub fn check_counted(repo: &Repo, options: &CountOptions, context: &str) {
    check_counted_against(repo, options, context, Git::Lines);
}

/// `check_against`, and the scan must have counted (not declined).
pub fn check_counted_against(repo: &Repo, options: &CountOptions, context: &str, git: Git) {
    let verdict = check_against(repo, options, context, git);
    assert_eq!(
        verdict,
        Verdict::Counted,
        "{context}: the scan declined a plain repository\n{}",
        repo.git(&["status", "--short"])
    );
}

/// The stamp of a sparse index: each entry's directories tracked, sparse ones included.
fn assert_sparse_stamp(file: &IndexForm, mine: &IndexStamp, context: &str) {
    for path in &file.paths {
        for (end, _) in path.iter().enumerate().filter(|(_, b)| **b == b'/') {
            assert!(
                mine.tracks_below(&path[..end]),
                "{context}: the stamp's directory {}",
                String::from_utf8_lossy(&path[..end])
            );
        }
    }
}

/// Every field of two counts except those that depend on timing (the oldest change) or are
/// checked apart (the index stamp). Lists are compared in order: `RepoCounts` promises them
/// sorted by path, and lookups rely on it.
pub fn assert_same(ours: &RepoCounts, reference: &RepoCounts, context: &str) {
    assert_eq!(ours.info, reference.info, "{context}: info");
    assert_eq!(ours.branch, reference.branch, "{context}: branch");
    assert_eq!(ours.head, reference.head, "{context}: head");
    assert_eq!(
        ours.head_time_unix, reference.head_time_unix,
        "{context}: head time"
    );
    let lists = [
        ("staged", &ours.staged, &reference.staged),
        ("unstaged", &ours.unstaged, &reference.unstaged),
        ("untracked", &ours.untracked, &reference.untracked),
        (
            "tracked_total",
            &ours.tracked_total,
            &reference.tracked_total,
        ),
    ];
    for (name, mine, theirs) in lists {
        assert_eq!(rows_text(mine), rows_text(theirs), "{context}: {name}");
    }
    assert_eq!(ours.large_files, reference.large_files, "{context}: large");
    let sorted = |set: &std::collections::HashSet<String>| set.iter().cloned().collect::<Vec<_>>();
    let (mut a, mut b) = (sorted(&ours.plain_staged), sorted(&reference.plain_staged));
    a.sort();
    b.sort();
    assert_eq!(a, b, "{context}: plain_staged");
    let (mut a, mut b) = (
        sorted(&ours.plain_unstaged),
        sorted(&reference.plain_unstaged),
    );
    a.sort();
    b.sort();
    assert_eq!(a, b, "{context}: plain_unstaged");
    assert_eq!(
        ours.index_stamp.is_some(),
        reference.index_stamp.is_some(),
        "{context}: a stamp kept or not"
    );
}

/// Rows one per line, so that a failing comparison shows the rows that differ.
fn rows_text(rows: &[FileDelta]) -> String {
    rows.iter().map(|row| format!("{row:?}\n")).collect()
}

/// The scan's index stamp says what the reference's says of the index as it is: the same flags,
/// no entry changed since, the same directories tracked.
fn assert_stamp(git: &git::Repo, ours: &RepoCounts, reference: &RepoCounts, context: &str) {
    let (Some(mine), Some(theirs)) = (&ours.index_stamp, &reference.index_stamp) else {
        return;
    };
    assert_eq!(
        mine.conflicts, theirs.conflicts,
        "{context}: stamp conflicts"
    );
    assert_eq!(
        mine.skip_worktree, theirs.skip_worktree,
        "{context}: stamp skip_worktree"
    );
    let file = index_form(&git.git_dir().join("index")).expect("our reader reads the index");
    if file.sparse {
        // The reference counted a whole index (sparse directories expanded): the scan's stamp
        // is of the sparse one, which it holds entry for entry and directory for directory.
        assert_sparse_stamp(&file, mine, context);
        return;
    }
    // libgit2's reading of the index, or ours handed to it (a split index).
    let index = commit_nudge::git::verify::whole_index(git)
        .expect("libgit2 opens it")
        .expect("the index");
    let (_, changed) = IndexStamp::compared(&index, mine);
    assert_eq!(
        changed,
        Some(BTreeSet::new()),
        "{context}: the stamp differs from the index"
    );
    for entry in index.iter() {
        let path = &entry.path;
        for (end, _) in path.iter().enumerate().filter(|(_, b)| **b == b'/') {
            let dir = &path[..end];
            assert!(
                mine.tracks_below(dir) == theirs.tracks_below(dir)
                    && mine.tracks(dir) == theirs.tracks(dir),
                "{context}: the stamp's directory {}",
                String::from_utf8_lossy(dir)
            );
        }
    }
}

/// Per-path (added, removed), as git prints them.
pub type GitRows = BTreeMap<String, (u64, u64)>;

/// Parses `git diff --numstat -z`: binary rows (`-\t-`) have 0 lines; a rename is keyed by its
/// new path.
pub fn parse_numstat_z(text: &[u8]) -> GitRows {
    let mut rows = GitRows::new();
    let mut fields = text.split(|b| *b == 0);
    while let Some(record) = fields.next() {
        if record.is_empty() {
            continue;
        }
        let mut parts = record.splitn(3, |b| *b == b'\t');
        let number = |part: Option<&[u8]>| {
            std::str::from_utf8(part.unwrap_or_default())
                .ok()
                .and_then(|n| n.parse::<u64>().ok())
                .unwrap_or(0)
        };
        let (added, removed) = (number(parts.next()), number(parts.next()));
        let path = match parts.next() {
            Some(path) if !path.is_empty() => path,
            _ => {
                fields.next();
                fields.next().unwrap_or_default()
            }
        };
        rows.insert(String::from_utf8_lossy(path).into_owned(), (added, removed));
    }
    rows
}

/// Pathspecs leaving out `globs`.
fn pathspecs(globs: &[&str]) -> Vec<String> {
    let mut specs = vec!["--".to_string(), ".".to_string()];
    specs.extend(globs.iter().map(|glob| format!(":(exclude,glob){glob}")));
    specs
}

/// `git diff --numstat -z` with `args`, per path, leaving out `exclude`.
pub fn git_rows(repo: &Repo, args: &[&str], exclude: &[&str]) -> GitRows {
    let specs = pathspecs(exclude);
    let mut full = vec!["diff", "--numstat", "-z"];
    full.extend_from_slice(args);
    full.extend(specs.iter().map(String::as_str));
    let output = repo.git_output(&full);
    assert!(output.status.success(), "git {full:?} failed");
    parse_numstat_z(&output.stdout)
}

/// git's untracked files, each counted as git would stage it (into a throw-away index, then
/// diffed against the empty tree): symlinks as their target, text converted as `git add`
/// converts it. A nested repository (`dir/`) is one file with no lines.
pub fn git_untracked_rows(repo: &Repo, exclude: &[&str]) -> GitRows {
    let specs = pathspecs(exclude);
    let mut args = vec!["ls-files", "--others", "--exclude-standard", "-z"];
    args.extend(specs.iter().map(String::as_str));
    let listing = repo.git_output(&args).stdout;
    let mut rows = GitRows::new();
    let mut paths: Vec<&OsStr> = Vec::new();
    for path in listing.split(|b| *b == 0).filter(|p| !p.is_empty()) {
        if path.ends_with(b"/") {
            rows.insert(String::from_utf8_lossy(path).into_owned(), (0, 0));
        } else {
            paths.push(OsStr::from_bytes(path));
        }
    }
    if paths.is_empty() {
        return rows;
    }
    // A fresh index: an untracked file may be in HEAD (after `git rm --cached`), and is counted
    // all the same as all added.
    let scratch = tempfile::tempdir().expect("temp dir");
    let index = scratch.path().join("index");
    let with_index = |args: &[&OsStr]| {
        let output = Command::new("git")
            .args(args)
            .current_dir(repo.root())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", repo.root())
            .env("GIT_INDEX_FILE", &index)
            .output()
            .expect("git runs");
        assert!(output.status.success(), "git {args:?}: {output:?}");
        output.stdout
    };
    let mut add: Vec<&OsStr> = ["add", "-f", "--"].map(OsStr::new).to_vec();
    add.extend(&paths);
    with_index(&add);
    let empty = empty_tree(repo);
    let mut diff: Vec<&OsStr> = [
        "diff",
        "--cached",
        "--numstat",
        "-z",
        "--no-renames",
        &empty,
    ]
    .map(OsStr::new)
    .to_vec();
    diff.push(OsStr::new("--"));
    diff.extend(&paths);
    rows.extend(parse_numstat_z(&with_index(&diff)));
    rows
}

/// The empty tree's id in `repo`'s object format (SHA-1 or SHA-256).
pub fn empty_tree(repo: &Repo) -> String {
    let output = repo.git_output(&["hash-object", "-t", "tree", "/dev/null"]);
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// Our rows as git's: per path, with 0 lines for a file counted by size alone.
fn as_git_rows(rows: &[FileDelta], large: &[String]) -> GitRows {
    rows.iter()
        .map(|row| {
            let lines = if large.contains(&row.path) {
                (0, 0)
            } else {
                (row.added, row.removed)
            };
            (row.path.clone(), lines)
        })
        .collect()
}

/// git's rows with the counting options applied: excluded paths left out, files over the size
/// limit at 0 lines.
fn with_options(rows: GitRows, options: &CountOptions, large: &[String]) -> GitRows {
    rows.into_iter()
        .filter(|(path, _)| !options.exclude.is_match(path))
        .map(|(path, lines)| {
            let lines = if large.contains(&path) { (0, 0) } else { lines };
            (path, lines)
        })
        .collect()
}

/// The reference's rows, HEAD and branch against git's own, path by path.
pub fn assert_git_numbers(
    repo: &Repo,
    counts: &RepoCounts,
    options: &CountOptions,
    context: &str,
    git: Git,
) {
    let head = repo
        .git_output(&["rev-parse", "--verify", "-q", "HEAD"])
        .stdout;
    let head = String::from_utf8_lossy(&head).trim().to_string();
    let empty = empty_tree(repo);
    let base = if head.is_empty() {
        empty.as_str()
    } else {
        "HEAD"
    };
    assert_eq!(
        counts.head.clone().unwrap_or_default(),
        head,
        "{context}: head"
    );
    let branch = repo.git_output(&["symbolic-ref", "-q", "HEAD"]).stdout;
    let branch = String::from_utf8_lossy(&branch).trim().to_string();
    assert_eq!(
        counts.branch.clone().unwrap_or_default(),
        branch.strip_prefix("refs/heads/").unwrap_or(&branch),
        "{context}: branch"
    );
    let large = &counts.large_files;
    let exclude = match git {
        Git::Excluding(globs) => globs,
        _ => &[],
    };
    let compared = |rows: GitRows| -> GitRows {
        match git {
            Git::Lines | Git::Excluding(_) | Git::Not => rows,
            Git::PathsOnly => rows.into_keys().map(|path| (path, (0, 0))).collect(),
            Git::Except(paths) => rows
                .into_iter()
                .filter(|(path, _)| !paths.contains(&path.as_str()))
                .collect(),
        }
    };
    let sides = [
        (
            "staged",
            &counts.staged,
            git_rows(repo, &["--cached", base], exclude),
        ),
        ("unstaged", &counts.unstaged, git_rows(repo, &[], exclude)),
        (
            "tracked_total",
            &counts.tracked_total,
            git_rows(repo, &[base], exclude),
        ),
    ];
    for (name, ours, theirs) in sides {
        assert_eq!(
            compared(as_git_rows(ours, large)),
            compared(with_options(theirs, options, large)),
            "{context}: {name} vs git"
        );
    }
    if options.count_untracked {
        assert_eq!(
            compared(as_git_rows(&counts.untracked, large)),
            compared(with_options(
                git_untracked_rows(repo, exclude),
                options,
                large
            )),
            "{context}: untracked vs git"
        );
    }
}

/// A new repository (as `Repo::new`) without the fixtures' `core.autocrlf=false`: with no
/// line-ending setting at all the scan counts plainly modified files directly, and that count is
/// what most cases must exercise. Where the user's or the system's git configuration (which the
/// in-process count reads, unlike the fixtures' git) sets `core.autocrlf`, it is kept, so that
/// both counts read files as the fixtures' git does.
pub fn new_repo() -> Repo {
    let repo = Repo::new();
    let elsewhere = git2::Config::open_default()
        .map(|config| config.get_entry("core.autocrlf").is_ok())
        .unwrap_or(true);
    if !elsewhere {
        repo.git(&["config", "--unset", "core.autocrlf"]);
    }
    repo
}

/// A step that builds or changes a repository, in tables of cases.
pub type Setup = dyn Fn(&Repo);

/// The tracked files of the random mixes: three and four levels deep, with names that sort
/// around `/` (`a` < `a-b` < `a.b` < `a/` < `a0` in git's byte order).
pub const TRACKED: &[&str] = &[
    "a-b",
    "a.b",
    "a0",
    "a/b",
    "a/b-c/x",
    "a/b.c",
    "a/b0",
    "a/c-d",
    "a/c/d-e/f",
    "a/c/d.txt",
    "a/c/d/e.txt",
    "a/c/d/e/f/g.txt",
    "a/c/d0",
    "b.txt",
    "b/x.txt",
    "with space/é.txt",
    "z/y-x",
    "z/y/x.txt",
    "z/y/x/w.txt",
];

/// `n` lines naming `tag`, with CRLF endings when `crlf`.
pub fn text(n: u64, tag: &str, crlf: bool) -> String {
    let end = if crlf { "\r\n" } else { "\n" };
    (0..n).map(|i| format!("{tag} line {i}{end}")).collect()
}

/// The base repository of a random mix: the tracked files, special ones (empty, no final
/// newline, binary, executable, symlinks to a file and to a directory), ignore rules at several
/// levels with negations, and `.git/info/exclude`. With `crlf`, `core.autocrlf=true` and
/// `* text=auto`, and every file written with CRLF endings.
pub fn base(crlf: bool) -> Repo {
    base_in(new_repo(), crlf)
}

/// `base` in `repo`, a new repository of any kind (`Repo::new_with(&["--object-format=sha256"])`).
pub fn base_in(repo: Repo, crlf: bool) -> Repo {
    if crlf {
        repo.git(&["config", "core.autocrlf", "true"]);
        repo.write(".gitattributes", "* text=auto\n");
    }
    for (i, path) in TRACKED.iter().enumerate() {
        repo.write(path, text(5 + i as u64 % 7, path, crlf));
    }
    repo.write("empty", "");
    repo.write("no-newline.txt", "one\ntwo");
    repo.write("blob.bin", [0u8, 1, 2, 0, 255, 7]);
    repo.write("run.sh", "echo run\n");
    set_mode(&repo, "run.sh", 0o755);
    symlink("a.b", repo.path("link-file")).expect("symlink");
    symlink("c", repo.path("a/link-dir")).expect("symlink");
    repo.write(".gitignore", "*.log\n!keep.log\nbuild/\nonly-ignored/\n");
    repo.write("a/.gitignore", "tmp*\n!tmp-keep\n");
    repo.write("z/y/.gitignore", "*.o\n");
    repo.write(".git/info/exclude", "secret*\n");
    repo.commit_all("base");
    repo
}

/// Sets the permission bits of `path` (an executable bit flipped, as `chmod` does).
pub fn set_mode(repo: &Repo, path: &str, mode: u32) {
    std::fs::set_permissions(repo.path(path), std::fs::Permissions::from_mode(mode))
        .expect("chmod");
}

/// `n` lines naming `word`.
pub fn lines(n: usize, word: &str) -> String {
    (0..n).map(|i| format!("{word} {i}\n")).collect()
}

/// A committed repository with a few directories, then changes of each plain kind.
pub fn with_changes() -> Repo {
    let repo = new_repo();
    for (i, path) in [
        "a/b/c.txt",
        "a/b.txt",
        "a-b/x.txt",
        "d/e/f/g.txt",
        "top.txt",
    ]
    .iter()
    .enumerate()
    {
        repo.write(path, lines(4 + i, path));
    }
    repo.commit_all("base");
    repo.write("a/b/c.txt", lines(9, "edited"));
    repo.write("d/e/f/g.txt", lines(3, "staged"));
    repo.git(&["add", "d/e/f/g.txt"]);
    repo.write("new/n.txt", "new\n");
    std::fs::remove_file(repo.path("top.txt")).expect("rm");
    repo
}

/// The index file's version, from its header.
pub fn index_version(repo: &Repo) -> u32 {
    let bytes = repo.index_bytes();
    u32::from_be_bytes([bytes[4], bytes[5], bytes[6], bytes[7]])
}

/// Whether the index holds an extension with this signature (a plain search: the test names
/// hold none of these words).
pub fn has_extension(repo: &Repo, signature: &[u8; 4]) -> bool {
    repo.index_bytes().windows(4).any(|w| w == signature)
}

/// Whether the index ends with no checksum (`index.skipHash`): 20 zero bytes.
pub fn without_hash(repo: &Repo) -> bool {
    repo.index_bytes().ends_with(&[0u8; 20])
}
