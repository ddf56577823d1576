//! The count by scan equals the count by whole-tree diffs, field by field, and both give git's
//! own numbers: over seeded random mixes of every kind of change in deep trees, in plain
//! repositories (where the scan must count, not decline), and with the counting options.
//! Re-counts built on each other are checked against the reference too. (Stat data and the
//! index file are in `scan_index.rs`; submodules, odd names and the repositories the scan
//! declines in `scan_odd.rs`.)

use crate::scan_support;
use crate::support;

use std::os::unix::fs::{symlink, PermissionsExt};

use commit_nudge::git::CountOptions;
use scan_support::{
    base, check_against, check_counted, check_counted_against, excluding, index_version, new_repo,
    plain, set_mode, text, Git, Verdict, TRACKED,
};
use support::{Repo, Rng};

/// Names new files and directories are made of, sorting around the tracked ones.
const NEW_NAMES: &[&str] = &[
    "a", "a-b", "a.b", "a0", "A", "B.TXT", "n", "n.txt", "é", "x y", "keep.log",
];

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
    /// The scan may decline (a tracked directory replaced by a file, conflicts).
    may_decline: bool,
    /// The reference (and so the scan) counts lines otherwise than git: a tracked file replaced
    /// by a symlink (git: the file's lines removed, the link added; the reference: 0 lines), a
    /// rename of a CRLF file under `core.autocrlf` (the reference compares it unconverted), a
    /// conflict.
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
    match rng.below(26) {
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
            // Fails, harmlessly, where the path is neither on disk nor tracked.
            let done = repo.git_output(&["add", "-A", "--", path]).status.success();
            format!(
                "git add {path}{}",
                if done { "" } else { " (nothing there)" }
            )
        }
        5 if is_file => {
            std::fs::remove_file(&file).expect("rm");
            format!("rm {path}")
        }
        6 if is_file && tracked() => {
            repo.git(&["rm", "-q", "-f", "--", path]);
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
            repo.git(&["rm", "-q", "-f", "--cached", "--", path]);
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
        20..=24 => {
            // A git command that rewrites the index (and its cache-tree) or moves HEAD; it may
            // fail (nothing to commit, no HEAD~1) or leave conflicts (a stash that does not
            // apply), which the scan may decline and git counts otherwise than the reference.
            let dir = pick(rng, &["a", "a/c", "z", "."]);
            let commands: [&[&str]; 7] = [
                &["commit", "-q", "-m", "step"],
                &["reset", "-q", "--soft", "HEAD~1"],
                &["read-tree", "HEAD"],
                &["read-tree", "HEAD~1"],
                &["stash", "-q"],
                &["stash", "pop", "-q"],
                &["checkout", "-q", "HEAD", "--", dir],
            ];
            let command = commands[rng.below(commands.len() as u64) as usize];
            let ok = repo.git_output(command).status.success();
            if !repo.git(&["ls-files", "-u"]).is_empty() {
                marks.may_decline = true;
                marks.reference_differs = true;
            }
            format!("git {command:?}{}", if ok { "" } else { " (failed)" })
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

/// How the repository of a random mix is set up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Profile {
    Plain,
    /// `core.autocrlf=true`, `* text=auto`, files written with CRLF endings.
    Crlf,
    /// What large repositories are told to set (`feature.manyFiles`): index version 4, no
    /// checksum, the untracked cache (refreshed by a `git status` before each round's changes).
    ManyFiles,
    /// A split index (`core.splitIndex=true`): git writes each change beside a shared index.
    Split,
    /// A sparse index (`index.sparse=true`) with a cone leaving out one committed directory,
    /// `far/`, which the changes never touch.
    Sparse,
    /// SHA-256 object names: the count is the git-CLI backend's (there is no scan), checked
    /// against git's numbers all the same.
    Sha256,
}

/// Makes `repo`'s index of the kind the profile names (split or sparse).
fn index_kind(repo: &Repo, profile: Profile) {
    match profile {
        Profile::Split => {
            repo.git(&["config", "core.splitIndex", "true"]);
            repo.git(&["update-index", "--split-index"]);
        }
        Profile::Sparse => {
            repo.write("far/away.txt", "far\n");
            repo.write("far/er/deep.txt", "deeper\n");
            repo.commit_all("far");
            repo.git(&["config", "index.sparse", "true"]);
            // Every directory the changes touch is in the cone.
            let mut cone: Vec<&str> = TRACKED
                .iter()
                .filter_map(|path| path.split_once('/').map(|(dir, _)| dir))
                .chain(["new", "build", "only-ignored"])
                .collect();
            cone.sort_unstable();
            cone.dedup();
            let mut args = vec!["sparse-checkout", "set", "--cone"];
            args.extend(cone);
            repo.git(&args);
            let entries = repo.git(&["ls-files", "--sparse", "-s"]);
            assert!(entries.contains("040000"), "a sparse directory: {entries}");
        }
        _ => {}
    }
}

/// Random mixes, checked after each of three rounds of changes (each round with other counting
/// options); returns the declines of repositories the scan is meant to count.
fn random_mixes(profile: Profile, seeds: std::ops::RangeInclusive<u64>) -> Vec<String> {
    let crlf = matches!(profile, Profile::Crlf);
    let many_files = matches!(profile, Profile::ManyFiles);
    let mut declined = Vec::new();
    for seed in seeds {
        let mut rng = Rng(seed.wrapping_mul(0xA076_1D64_78BD_642F) | 1);
        let repo = match profile {
            Profile::Sha256 => {
                scan_support::base_in(Repo::new_with(&["--object-format=sha256"]), crlf)
            }
            _ => base(crlf),
        };
        if many_files {
            repo.git(&["config", "feature.manyFiles", "true"]);
            repo.git(&["config", "core.untrackedCache", "true"]);
            repo.git(&["update-index", "--index-version", "4"]);
        }
        index_kind(&repo, profile);
        let mut done = Vec::new();
        let mut marks = Marks::default();
        for round in 0..3 {
            if many_files {
                repo.git(&["status", "--short"]);
            }
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
                format!("seed {seed} ({profile:?}) round {round}: {done:?}\ngit status:\n{status}");
            let git = if marks.reference_differs {
                Git::PathsOnly
            } else {
                Git::Lines
            };
            // Each round with other options: the live workspace's, the size limit, no untracked.
            let options = match round {
                0 => plain(),
                1 => CountOptions {
                    max_file_bytes: 40,
                    ..plain()
                },
                _ => CountOptions {
                    count_untracked: false,
                    ..plain()
                },
            };
            // Over the size limit a file's content is never read, so a rename of it with any edit
            // (a CRLF file's too) is not paired as git pairs it: that round is compared with the
            // reference alone.
            let git = if round == 1 { Git::Not } else { git };
            if let Verdict::Declined(why) = check_against(&repo, &options, &context, git) {
                // SHA-256 has no scan to decline: its count is git's own, checked above.
                if !marks.may_decline && profile != Profile::Sha256 {
                    declined.push(format!("{context}\ndeclined: {why}"));
                }
            }
        }
        if many_files {
            assert_eq!(index_version(&repo), 4, "seed {seed}: git kept version 4");
        }
    }
    declined
}

#[test]
fn random_mixes_in_deep_trees_count_as_the_reference_and_git() {
    let declined = random_mixes(Profile::Plain, 1..=40);
    assert!(
        declined.is_empty(),
        "the scan declined {} plain mixes; the first:\n{}",
        declined.len(),
        declined[0]
    );
}

#[test]
fn random_mixes_with_autocrlf_and_text_auto_count_as_the_reference_and_git() {
    let declined = random_mixes(Profile::Crlf, 101..=120);
    assert!(
        declined.is_empty(),
        "the scan declined {} mixes with CRLF; the first:\n{}",
        declined.len(),
        declined[0]
    );
}

#[test]
fn random_mixes_in_a_split_index_count_as_the_reference_and_git() {
    let declined = random_mixes(Profile::Split, 301..=315);
    assert!(
        declined.is_empty(),
        "the scan declined {} mixes in a split index; the first:\n{}",
        declined.len(),
        declined[0]
    );
}

#[test]
fn random_mixes_in_a_sparse_index_count_as_the_reference_and_git() {
    let declined = random_mixes(Profile::Sparse, 401..=415);
    assert!(
        declined.is_empty(),
        "the scan declined {} mixes in a sparse index; the first:\n{}",
        declined.len(),
        declined[0]
    );
}

/// The same mixes in SHA-256, where git itself is asked (the count equals git's numbers).
#[test]
fn random_mixes_in_sha256_count_as_git() {
    let declined = random_mixes(Profile::Sha256, 501..=510);
    assert!(declined.is_empty(), "{declined:?}");
}

#[test]
fn random_mixes_with_many_files_settings_count_as_the_reference_and_git() {
    let declined = random_mixes(Profile::ManyFiles, 201..=220);
    assert!(
        declined.is_empty(),
        "the scan declined {} mixes with feature.manyFiles; the first:\n{}",
        declined.len(),
        declined[0]
    );
}

/// The scan counts (never declines) plain repositories: clean, each kind of plain change, an
/// unborn branch, a detached HEAD, and with each of the counting options.
#[test]
fn the_scan_counts_plain_repositories() {
    let empty = new_repo();
    check_counted(&empty, &plain(), "an empty repository");
    empty.write("only/untracked.txt", "u\n");
    check_counted(&empty, &plain(), "untracked files on an unborn branch");
    empty.git(&["add", "-A"]);
    empty.write("only/untracked.txt", "u\nv\n");
    check_counted(&empty, &plain(), "staged and unstaged on an unborn branch");

    let repo = base(false);
    check_counted(&repo, &plain(), "a clean repository");
    repo.write("a/c/d/e.txt", "changed\n");
    check_counted(&repo, &plain(), "an edit");
    repo.git(&["add", "a/c/d/e.txt"]);
    check_counted(&repo, &plain(), "a staged edit");
    repo.write("a/c/d/e.txt", "changed\nagain\n");
    std::fs::remove_file(repo.path("b.txt")).expect("rm");
    repo.git(&["mv", "z/y/x.txt", "z/y/x2.txt"]);
    repo.write("new/deep/er/n.txt", "new\n");
    check_counted(&repo, &plain(), "edits on both sides, a deletion, a rename");
    let options = [
        CountOptions::default(),
        CountOptions {
            stamp_index: true,
            ..CountOptions::default()
        },
        CountOptions {
            count_untracked: true,
            ..CountOptions::default()
        },
        CountOptions {
            split_walk_at: Some(0),
            ..plain()
        },
    ];
    for (i, options) in options.iter().enumerate() {
        check_counted(&repo, options, &format!("options {i}"));
    }
    repo.commit_all("second");
    repo.git(&["checkout", "-q", "--detach", "HEAD~1"]);
    repo.write("a0", "detached\n");
    check_counted(&repo, &plain(), "a detached HEAD");
}

/// The counting options: files over `max_file_bytes` on either side and untracked, and paths
/// left out by `exclude` (a rename out of an excluded directory too).
#[test]
fn the_size_limit_and_exclusions_count_as_the_reference() {
    let repo = base(false);
    repo.write("big/staged.txt", text(40, "big", false));
    repo.write("big/shrinks.txt", text(40, "big", false));
    repo.write("gen/out.txt", text(8, "generated", false));
    repo.write("gen/moved.txt", text(12, "moved", false));
    repo.commit_all("more");
    repo.write("big/staged.txt", text(41, "big", false));
    repo.git(&["add", "big/staged.txt"]);
    repo.write("big/shrinks.txt", "small now\n");
    repo.write("a/c/d.txt", text(30, "grows", false));
    repo.write("loose-big.txt", text(50, "loose", false));
    repo.write("gen/out.txt", "regenerated\n");
    repo.write("gen/new.txt", "new\n");
    repo.write("a/x.lock", "lock\n");
    repo.git(&["mv", "gen/moved.txt", "a/moved.txt"]);
    let limited = CountOptions {
        max_file_bytes: 100,
        ..plain()
    };
    check_counted(&repo, &limited, "max_file_bytes 100");
    const GLOBS: &[&str] = &["gen/**", "**/*.lock"];
    let excluded = excluding(GLOBS);
    let git = Git::Excluding(GLOBS);
    check_counted_against(&repo, &excluded, "exclude gen/** and **/*.lock", git);
    let both = CountOptions {
        max_file_bytes: 100,
        ..excluded
    };
    check_counted_against(&repo, &both, "both", git);
}

/// Each file and symlink of the working tree (not under `.git`) with what a watcher would see
/// change: size, modification time, mode, link target.
fn snapshot(repo: &Repo) -> std::collections::BTreeMap<String, String> {
    use std::os::unix::fs::MetadataExt;
    let mut files = std::collections::BTreeMap::new();
    let mut dirs = vec![repo.root()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("list").flatten() {
            let path = entry.path();
            let rel = path.strip_prefix(repo.root()).expect("inside");
            let rel = rel.to_string_lossy().into_owned();
            let Ok(meta) = path.symlink_metadata() else {
                continue;
            };
            if meta.is_dir() {
                if rel != ".git" {
                    dirs.push(path);
                }
                continue;
            }
            let target = std::fs::read_link(&path).ok();
            let seen = format!(
                "{} {} {} {} {target:?}",
                meta.len(),
                meta.mtime(),
                meta.mtime_nsec(),
                meta.mode()
            );
            files.insert(rel, seen);
        }
    }
    files
}

/// Re-counts on top of the previous counts, as the live workspace makes them (the paths a
/// watcher saw change, with the index stamp after a git command), equal the reference, each
/// built on the last re-count rather than on a full count.
#[test]
fn recounts_after_random_changes_equal_the_reference() {
    use commit_nudge::git::{self, Changed};
    let (mut shortcuts, mut full) = (0, 0);
    for seed in 301..=316u64 {
        let mut rng = Rng(seed.wrapping_mul(0x2545_F491_4F6C_DD1D) | 1);
        let repo = base(false);
        let git = git::open(&repo.root()).expect("open");
        let mut previous = git.count(&plain()).expect("count");
        let mut done = Vec::new();
        for step in 0..12 {
            let files = snapshot(&repo);
            let (index, head) = (repo.index_bytes(), repo.git(&["rev-parse", "-q", "HEAD"]));
            let commands: [&[&str]; 5] = [
                &["commit", "-q", "-m", "step"],
                &["reset", "-q"],
                &["reset", "-q", "--soft", "HEAD~1"],
                &["stash", "-q"],
                &["checkout", "-q", "HEAD", "--", "a"],
            ];
            if rng.below(4) == 0 {
                let command = commands[rng.below(commands.len() as u64) as usize];
                let ok = repo.git_output(command).status.success();
                done.push(format!(
                    "git {command:?}{}",
                    if ok { "" } else { " (failed)" }
                ));
            } else {
                let mut marks = Marks::default();
                done.push(random_change(&repo, &mut rng, false, step, &mut marks));
            }
            let now = snapshot(&repo);
            let touched: std::collections::BTreeSet<String> = files
                .iter()
                .filter(|(path, seen)| now.get(*path) != Some(seen))
                .chain(now.iter().filter(|(path, _)| !files.contains_key(*path)))
                .map(|(path, _)| path.clone())
                .collect();
            let git_changed =
                repo.index_bytes() != index || repo.git(&["rev-parse", "-q", "HEAD"]) != head;
            // As the workspace does: a file that decides the rules (ignore files, attributes)
            // counts everything.
            let rules = touched.iter().any(|path| {
                let name = path.rsplit('/').next().unwrap_or(path);
                matches!(name, ".gitignore" | ".gitattributes" | ".gitmodules")
            });
            let recounted = if rules {
                Ok(None)
            } else if git_changed {
                git.recount(&previous, Changed::GitDir(&touched), &plain())
            } else {
                git.recount(&previous, Changed::Paths(&touched), &plain())
            };
            let context = format!("seed {seed} step {step}: {done:?}, touched {touched:?}");
            let reference = commit_nudge::git::verify::by_diff(
                &git::open(&repo.root()).expect("open"),
                &plain(),
            )
            .expect("the reference counts");
            previous = match recounted {
                Ok(Some(counts)) => {
                    scan_support::assert_same(&counts, &reference, &context);
                    shortcuts += 1;
                    counts
                }
                _ => {
                    full += 1;
                    git.count(&plain()).expect("count")
                }
            };
        }
    }
    assert!(
        shortcuts > 60,
        "re-counted {shortcuts} times, counted in full {full} times"
    );
}

/// A staged rename undone by putting its old path back in the index (`git mv a/e.txt k.txt`,
/// then `git reset -- a/e.txt`, or `git checkout HEAD -- a`): git then shows `k.txt` as added.
/// The re-count after that git change must too (the smallest case the random re-counts above
/// found).
#[test]
fn a_rename_undone_by_restoring_its_old_path_is_recounted_exactly() {
    use commit_nudge::git::verify::by_diff;
    use commit_nudge::git::{self, Changed};
    let undos: [&[&str]; 2] = [
        &["reset", "-q", "--", "a/e.txt"],
        &["checkout", "-q", "HEAD", "--", "a"],
    ];
    for undo in undos {
        let repo = new_repo();
        repo.write("a/e.txt", text(8, "e", false));
        repo.write("b.txt", "b\n");
        repo.commit_all("base");
        repo.git(&["mv", "a/e.txt", "k.txt"]);
        let git = git::open(&repo.root()).expect("open");
        let previous = git.count(&plain()).expect("count");
        repo.git(undo);
        let touched = ["a/e.txt".to_string()].into();
        let context = format!("git {undo:?}");
        let reference = by_diff(&git, &plain()).expect("the reference counts");
        scan_support::assert_git_numbers(&repo, &reference, &plain(), &context, Git::Lines);
        if let Some(recounted) = git
            .recount(&previous, Changed::GitDir(&touched), &plain())
            .expect("re-count")
        {
            scan_support::assert_same(&recounted, &reference, &format!("{context}: re-count"));
        }
    }
}
