//! The count by scan equals the count by whole-tree diffs, field by field, and both give git's
//! own numbers: over seeded random mixes of every kind of change in deep trees, racy writes,
//! stale stat data, the index's cache-tree in each state, and the counting options.
//! (Index formats, submodules and the repositories the scan declines are in `scan_odd.rs`.)

mod scan_support;
mod support;

use std::os::unix::fs::{symlink, PermissionsExt};

use scan_support::{check, check_against, check_counted, excluding, plain, Git, Verdict};
use support::{Repo, Rng};

/// The tracked files of the random mixes: three and four levels deep, with names that sort
/// around `/` (`a` < `a-b` < `a.b` < `a/` < `a0` in git's byte order).
const TRACKED: &[&str] = &[
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

/// Names new files and directories are made of, sorting around the tracked ones.
const NEW_NAMES: &[&str] = &[
    "a", "a-b", "a.b", "a0", "n", "n.txt", "é", "x y", "keep.log",
];

/// `n` lines naming `tag`, with CRLF endings when `crlf`.
fn text(n: u64, tag: &str, crlf: bool) -> String {
    let end = if crlf { "\r\n" } else { "\n" };
    (0..n).map(|i| format!("{tag} line {i}{end}")).collect()
}

/// The base repository of a random mix: the tracked files, special ones (empty, no final
/// newline, binary, executable, symlinks to a file and to a directory), ignore rules at several
/// levels with negations, and `.git/info/exclude`. With `crlf`, `core.autocrlf=true` and
/// `* text=auto`, and every file written with CRLF endings.
fn base(crlf: bool) -> Repo {
    let repo = Repo::new();
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

fn set_mode(repo: &Repo, path: &str, mode: u32) {
    std::fs::set_permissions(repo.path(path), std::fs::Permissions::from_mode(mode))
        .expect("chmod");
}

/// Whether something new can be made at `rel`: nothing is there, and each parent is a directory
/// or missing (not a file, not a symlink).
fn room_for(repo: &Repo, rel: &str) -> bool {
    let free = |p: &std::path::Path| p.symlink_metadata().is_err();
    let mut at = repo.path(rel);
    if !free(&at) {
        return false;
    }
    while at.pop() && at != repo.root() {
        if at.symlink_metadata().is_ok_and(|m| !m.is_dir()) {
            return false;
        }
    }
    true
}

fn pick<'a>(rng: &mut Rng, from: &[&'a str]) -> &'a str {
    from[rng.below(from.len() as u64) as usize]
}

/// A path for something new: one to four levels, in an existing directory or a new one.
fn new_path(rng: &mut Rng) -> String {
    let dirs = [
        "",
        "a/",
        "a/c/",
        "a/c/d/",
        "z/y/",
        "new/",
        "new/deep/er/",
        "a/b-c/",
    ];
    format!("{}{}", pick(rng, &dirs), pick(rng, NEW_NAMES))
}

/// What one random change may lead to, besides plain differences.
#[derive(Default)]
struct Marks {
    /// The scan may decline (a tracked directory replaced by a file).
    may_decline: bool,
    /// The reference counts lines otherwise than git (see `scan_odd.rs`): a tracked file replaced
    /// by a symlink, a rename under CRLF conversion.
    reference_differs: bool,
}

/// Does one random change; returns its description.
fn random_change(repo: &Repo, rng: &mut Rng, crlf: bool, step: u64, marks: &mut Marks) -> String {
    let path = pick(rng, TRACKED);
    let file = repo.path(path);
    let is_file = file.symlink_metadata().is_ok_and(|m| m.is_file());
    let tracked = || {
        repo.git_output(&["ls-files", "--error-unmatch", path])
            .status
            .success()
    };
    match rng.below(20) {
        0..=2 if is_file => {
            let text = String::from_utf8_lossy(&repo.read(path)).into_owned();
            let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
            let at = rng.below(lines.len() as u64 + 1) as usize;
            lines.insert(at, format!("edit {step}"));
            if rng.below(2) == 0 && lines.len() > 2 {
                lines.remove((at + 1) % lines.len());
            }
            let end = if crlf { "\r\n" } else { "\n" };
            repo.write(path, lines.join(end) + end);
            format!("edit {path}")
        }
        3 | 4 => {
            repo.git(&["add", "-A", "--", path]);
            format!("git add {path}")
        }
        5 if is_file => {
            std::fs::remove_file(&file).expect("rm");
            format!("rm {path}")
        }
        6 if is_file && tracked() => {
            repo.git(&["rm", "-q", "--", path]);
            format!("git rm {path}")
        }
        7 if is_file && tracked() => {
            let to = new_path(rng);
            if !room_for(repo, &to) {
                return format!("no mv onto {to}");
            }
            if let Some(parent) = repo.path(&to).parent() {
                std::fs::create_dir_all(parent).expect("mkdir");
            }
            repo.git(&["mv", path, &to]);
            marks.reference_differs |= crlf;
            if rng.below(2) == 0 {
                let mut text = String::from_utf8_lossy(&repo.read(&to)).into_owned();
                text.push_str(if crlf { "moved\r\n" } else { "moved\n" });
                repo.write(&to, text);
            }
            format!("git mv {path} {to}")
        }
        8 | 9 => {
            let to = new_path(rng);
            if !room_for(repo, &to) {
                return format!("no new file at {to}");
            }
            repo.write(&to, text(1 + rng.below(6), &to, crlf));
            if rng.below(3) == 0 {
                // Forced: a new file may be ignored, and a tracked file stays tracked all the same.
                repo.git(&["add", "-f", "--", &to]);
                return format!("new staged {to}");
            }
            format!("new {to}")
        }
        10 => {
            let ignored = [
                "x.log",
                "build/out.txt",
                "a/tmp1",
                "a/c/tmp2",
                "z/y/q.o",
                "secret-1",
                "only-ignored/deeper/x.txt",
                "new/only.log",
                "a/tmp-keep",
            ];
            let to = pick(rng, &ignored);
            if !room_for(repo, to) && !repo.path(to).is_file() {
                return format!("no room for {to}");
            }
            repo.write(to, "ignored or not\n");
            format!("write {to}")
        }
        11 if is_file => {
            let mode = file.metadata().expect("stat").permissions().mode();
            set_mode(repo, path, mode ^ 0o111);
            if rng.below(3) == 0 {
                repo.git(&["add", "--", path]);
            }
            format!("chmod flip {path}")
        }
        12 => {
            let to = new_path(rng);
            if !room_for(repo, &to) {
                return format!("no link at {to}");
            }
            if let Some(parent) = repo.path(&to).parent() {
                std::fs::create_dir_all(parent).expect("mkdir");
            }
            let target = pick(rng, &["a.b", "a", "../a/c", "nowhere", "z/y"]);
            symlink(target, repo.path(&to)).expect("symlink");
            marks.reference_differs |= repo
                .git_output(&["ls-files", "--error-unmatch", &to])
                .status
                .success();
            format!("symlink {to} -> {target}")
        }
        13 => {
            let _ = std::fs::remove_file(repo.path("link-file"));
            let target = pick(rng, &["a0", "b", "missing"]);
            symlink(target, repo.path("link-file")).expect("symlink");
            format!("retarget link-file -> {target}")
        }
        14 if is_file => match rng.below(3) {
            0 => {
                repo.write(path, "");
                format!("empty {path}")
            }
            1 => {
                repo.write(path, "no final newline");
                format!("no newline {path}")
            }
            _ => {
                repo.write(path, [0u8, 159, 146, 150, 0]);
                format!("binary {path}")
            }
        },
        15 if is_file && tracked() => {
            repo.git(&["rm", "-q", "--cached", "--", path]);
            format!("git rm --cached {path}")
        }
        16 if is_file => {
            std::fs::remove_file(&file).expect("rm");
            repo.write(&format!("{path}/inside"), "was a file\n");
            format!("file {path} replaced by a directory")
        }
        17 => {
            let dir = pick(rng, &["a/c/d", "z/y", "a/b-c", "b"]);
            let _ = std::fs::remove_dir_all(repo.path(dir));
            if rng.below(2) == 0 {
                repo.write(dir, "a file where a tracked directory was\n");
                marks.may_decline = true;
                return format!("directory {dir} replaced by a file");
            }
            format!("rm -r {dir}")
        }
        18 => {
            let dir = pick(rng, &["a/c", "z", "new"]);
            let to = format!("{dir}/.gitignore");
            if !room_for(repo, &to) && !repo.path(&to).is_file() {
                return format!("no room for {to}");
            }
            repo.write(&to, "*.txt\n!d.txt\n");
            format!("new {dir}/.gitignore")
        }
        _ => {
            // Stat data changes, content does not.
            if is_file {
                let content = repo.read(path);
                repo.write(path, content);
            }
            format!("rewrite {path} unchanged")
        }
    }
}

/// Random mixes, checked after each of three rounds of changes; returns the declines of
/// repositories the scan is meant to count.
fn random_mixes(crlf: bool, seeds: std::ops::RangeInclusive<u64>) -> Vec<String> {
    let mut declined = Vec::new();
    for seed in seeds {
        let mut rng = Rng(seed.wrapping_mul(0xA076_1D64_78BD_642F) | 1);
        let repo = base(crlf);
        let mut done = Vec::new();
        let mut marks = Marks::default();
        for round in 0..3 {
            for step in 0..1 + rng.below(6) {
                done.push(random_change(
                    &repo,
                    &mut rng,
                    crlf,
                    round * 10 + step,
                    &mut marks,
                ));
            }
            let status = repo.git(&["--no-optional-locks", "status", "--short"]);
            let context =
                format!("seed {seed} (crlf {crlf}) round {round}: {done:?}\ngit status:\n{status}");
            let git = if marks.reference_differs {
                Git::PathsOnly
            } else {
                Git::Lines
            };
            if let Verdict::Declined(why) = check_against(&repo, &plain(), &context, git) {
                if !marks.may_decline {
                    declined.push(format!("{context}\ndeclined: {why}"));
                }
            }
        }
    }
    declined
}

#[test]
fn random_mixes_in_deep_trees_count_as_the_reference_and_git() {
    let declined = random_mixes(false, 1..=40);
    assert!(
        declined.is_empty(),
        "the scan declined {} plain mixes; the first:\n{}",
        declined.len(),
        declined[0]
    );
}

#[test]
fn random_mixes_with_autocrlf_and_text_auto_count_as_the_reference_and_git() {
    let declined = random_mixes(true, 101..=120);
    assert!(
        declined.is_empty(),
        "the scan declined {} mixes with CRLF; the first:\n{}",
        declined.len(),
        declined[0]
    );
}
