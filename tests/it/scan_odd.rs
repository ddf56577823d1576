//! The count by scan on odd repositories: submodules and nested repositories, odd names,
//! settings that change how files compare, the repositories the scan is meant to decline, a
//! linked worktree, sequences of git commands. Each is compared field by field with the count
//! by whole-tree diffs and with git.

use crate::scan_support;
use crate::support;

use std::process::Command;

use scan_support::{
    check, check_against, check_counted, check_counted_against, has_extension, index_version,
    lines, new_repo, plain, with_changes, Git, Setup, Verdict,
};
use support::{git_in, Repo, Rng};

/// A submodule (clean, with a new commit inside, with uncommitted work inside, not checked out),
/// a nested repository in an untracked directory, a `.git` file in a subdirectory.
#[test]
fn submodules_and_nested_repositories_count_as_the_reference() {
    let upstream = with_changes();
    upstream.commit_all("upstream");
    let repo = with_changes();
    repo.add_submodule(&upstream, "libs/sub");
    repo.commit_all("with a submodule");
    check_counted(&repo, &plain(), "a clean submodule");
    let sub = repo.path("libs/sub");
    std::fs::write(sub.join("a/b.txt"), "inside\n").expect("write");
    git_in(&sub, &["commit", "-q", "-am", "inside"]);
    check_counted(&repo, &plain(), "a new commit inside the submodule");
    std::fs::write(sub.join("top2.txt"), "dirty\n").expect("write");
    std::fs::write(sub.join("a/b/c.txt"), "dirty\n").expect("write");
    check_counted(&repo, &plain(), "uncommitted work inside the submodule");
    // A submodule with uncommitted work at the commit the index records: git counts `0 0` (or
    // nothing, when only untracked files are inside), the reference the `-dirty` suffix as a
    // changed line. Its rows are left out of the comparison with git (not of the one with the
    // reference).
    let dirty = Git::Except(&["libs/sub"]);
    repo.git(&["add", "libs/sub"]);
    check_counted_against(&repo, &plain(), "the submodule's new commit staged", dirty);
    git_in(&sub, &["checkout", "-q", "--detach", "HEAD~1"]);
    check_counted_against(&repo, &plain(), "the submodule moved back", dirty);
    git_in(&sub, &["checkout", "-q", "-"]);
    check_counted_against(&repo, &plain(), "the submodule back, dirty", dirty);

    let nested = repo.path("vendor/inner");
    std::fs::create_dir_all(&nested).expect("mkdir");
    git_in(&nested, &["init", "-q", "-b", "main"]);
    std::fs::write(nested.join("x.txt"), "x\n").expect("write");
    repo.write("vendor/loose.txt", "loose\n");
    repo.write("dotgit/.git", "not a repository\n");
    repo.write("dotgit/inside.txt", "beside a .git file\n");
    // libgit2 takes a directory holding any `.git` file for a repository; git reads the file.
    let git = Git::Except(&["libs/sub", "dotgit/", "dotgit/inside.txt"]);
    let context = "a nested repository and a .git file";
    check_counted_against(&repo, &plain(), context, git);

    let unborn = with_changes();
    unborn.git(&[
        "update-index",
        "--add",
        "--cacheinfo",
        &format!(
            "160000,{},libs/gone",
            unborn.git(&["rev-parse", "HEAD"]).trim()
        ),
    ]);
    check_counted(&unborn, &plain(), "a gitlink with nothing checked out");
}

const BACKSLASH: &str = "back\\slash/a\\b.txt";

/// Names with spaces, unicode (composed and decomposed), bytes that are not UTF-8, a tab, a
/// newline, quotes, a leading dash, glob characters, and names that sort around `/`; then a
/// backslash, which the scan may decline (libgit2 reads it as an escape in a path list).
#[test]
fn odd_names_count_as_the_reference() {
    use std::os::unix::ffi::OsStrExt;
    let names = [
        "with space/file name.txt",
        "unicode/é-composed.txt",
        "unicode/e\u{301}-decomposed.txt",
        "tab\there.txt",
        "new\nline.txt",
        "quote\"d.txt",
        "-dash.txt",
        "sort/a-b",
        "sort/a.b",
        "sort/a0",
        "sort/a/b",
        "sort/a/c/d",
        "*star?.txt",
        "[bracket].txt",
    ];
    let repo_path = |name: &[u8]| std::ffi::OsStr::from_bytes(name).to_os_string();
    let repo = new_repo();
    for name in names {
        repo.write(name, lines(3, name));
    }
    let latin1 = repo.root().join(repo_path(b"latin1-\xe9.txt"));
    std::fs::write(&latin1, lines(3, "latin-1")).expect("write");
    repo.commit_all("odd names");
    check_counted(&repo, &plain(), "clean");
    for (i, name) in names.iter().enumerate() {
        match i % 4 {
            0 => repo.write(name, lines(5, "edited")),
            1 => {
                repo.write(name, lines(2, "staged"));
                repo.git(&["add", "--", name]);
            }
            2 => repo.write(&format!("{name}.new"), "untracked\n"),
            _ => std::fs::remove_file(repo.path(name)).expect("rm"),
        }
    }
    std::fs::write(&latin1, lines(4, "latin-1")).expect("write");
    let loose = repo.root().join(repo_path(b"loose-\xff\xfe.txt"));
    std::fs::write(loose, "untracked\n").expect("write");
    check_counted(&repo, &plain(), "each changed");

    // The reference names a path with a backslash with a slash instead (`a/b.txt` for `a\b.txt`).
    let git = Git::Except(&[BACKSLASH, "back/slash/a/b.txt"]);
    repo.write(BACKSLASH, "1\n");
    check_against(&repo, &plain(), "a backslash", git);
    repo.commit_all("a backslash");
    repo.write(BACKSLASH, "2\n");
    check_against(&repo, &plain(), "a backslash, edited", git);
}

/// Settings that change how a file compares: `core.filemode=false` (an executable bit flipped
/// on disk is no change), `core.symlinks=false`, `core.checkStat=minimal`, a global ignore
/// file (`core.excludesFile`), tracked files inside an ignored directory.
#[test]
fn settings_that_change_comparisons_count_as_the_reference() {
    use std::os::unix::fs::PermissionsExt;
    let repo = with_changes();
    repo.git(&["config", "core.filemode", "false"]);
    std::fs::set_permissions(repo.path("a/b.txt"), std::fs::Permissions::from_mode(0o755))
        .expect("chmod");
    check_counted(&repo, &plain(), "core.filemode=false, a chmod on disk");
    repo.git(&["config", "core.filemode", "true"]);
    check_counted(&repo, &plain(), "core.filemode=true, a chmod on disk");

    repo.git(&["config", "core.checkStat", "minimal"]);
    repo.write("a-b/x.txt", repo.read("a-b/x.txt"));
    check_counted(&repo, &plain(), "core.checkStat=minimal");

    let global = repo.root().join("global-ignore");
    std::fs::write(&global, "*.global\n").expect("write");
    repo.git(&[
        "config",
        "core.excludesFile",
        global.to_str().expect("utf-8"),
    ]);
    repo.write("d/x.global", "ignored by the global file\n");
    repo.write(".gitignore", "build/\nglobal-ignore\n");
    repo.write("build/tracked.txt", "tracked\n");
    repo.git(&["add", "-f", "build/tracked.txt"]);
    repo.write("build/tracked.txt", "tracked, edited\n");
    repo.write("build/untracked.txt", "ignored\n");
    check_counted(&repo, &plain(), "a global ignore file, tracked in ignored");

    let links = new_repo();
    links.git(&["config", "core.symlinks", "false"]);
    links.write("target.txt", "t\n");
    std::os::unix::fs::symlink("target.txt", links.path("link")).expect("symlink");
    links.commit_all("a link");
    links.write("link", "target.txt");
    check_counted(&links, &plain(), "core.symlinks=false, the link as a file");
}

/// Where attributes come from besides the working tree's `.gitattributes` (the git directory's
/// `info/attributes`, `core.attributesFile`) and from `.gitattributes` files below the root,
/// tracked or not: each changes how files read (`-diff`, `binary`, `text`), so plainly modified
/// files must be counted as git counts them there too.
#[test]
fn attributes_from_anywhere_count_as_the_reference() {
    let cases: &[(&str, &Setup)] = &[
        ("info/attributes", &|r| {
            r.write(".git/info/attributes", "*.txt -diff\n");
        }),
        ("core.attributesFile", &|r| {
            let file = r.root().join(".git/more-attributes");
            std::fs::write(&file, "*.txt binary\n").expect("write");
            r.git(&[
                "config",
                "core.attributesFile",
                file.to_str().expect("utf-8"),
            ]);
        }),
        ("a tracked .gitattributes below the root", &|r| {
            r.write("a/b/.gitattributes", "*.txt -diff\n");
            r.git(&["add", "a/b/.gitattributes"]);
        }),
        ("an untracked .gitattributes below the root", &|r| {
            r.write("d/e/f/.gitattributes", "*.txt -diff\n");
        }),
        ("text=auto with core.eol=crlf, from info/attributes", &|r| {
            r.write(".git/info/attributes", "* text=auto\n");
            r.git(&["config", "core.eol", "crlf"]);
            r.write("a-b/x.txt", "one\r\ntwo\r\n");
        }),
    ];
    for (name, setup) in cases {
        let repo = with_changes();
        setup(&repo);
        repo.write("d/e/f/g.txt", lines(5, "edited again"));
        check_counted(&repo, &plain(), name);
    }
}

/// File contents whose reading decides the numbers: a NUL byte early (binary) and after the
/// first 8000 bytes (text, as git reads it), lone CRs, CRLF without any conversion, a last line
/// without its newline gained or lost, a file emptied and one filled, a line added into a run of
/// equal lines (where the hunk's place, the first changed line, is a choice).
#[test]
fn contents_read_as_git_reads_them() {
    let long: String = (0..900).map(|i| format!("line {i:04}\n")).collect();
    let mut late_nul = long.clone().into_bytes();
    late_nul.extend(b"\0 after 9000 bytes\n");
    let before: &[(&str, &[u8])] = &[
        ("early-nul", b"text\nmore\n"),
        ("late-nul", long.as_bytes()),
        ("lone-cr", b"one\rtwo\rthree\r"),
        ("crlf", b"one\r\ntwo\r\n"),
        ("gains-newline", b"one\ntwo"),
        ("loses-newline", b"one\ntwo\n"),
        ("emptied", b"one\ntwo\n"),
        ("filled", b""),
        ("run", b"a\na\na\nb\na\na\n"),
    ];
    let after: &[(&str, &[u8])] = &[
        ("early-nul", b"te\0xt\nmore\n"),
        ("late-nul", &late_nul),
        ("lone-cr", b"one\rtwo\rTHREE\r"),
        ("crlf", b"one\r\n2\r\ntwo\r\n"),
        ("gains-newline", b"one\ntwo\n"),
        ("loses-newline", b"one\ntwo"),
        ("emptied", b""),
        ("filled", b"one\n"),
        ("run", b"a\na\na\na\nb\na\na\na\n"),
    ];
    let repo = new_repo();
    for (name, bytes) in before {
        repo.write(&format!("c/{name}"), bytes);
    }
    repo.commit_all("before");
    for (name, bytes) in after {
        repo.write(&format!("c/{name}"), bytes);
    }
    check_counted(&repo, &plain(), "each changed");
    repo.git(&["add", "-A"]);
    check_counted(&repo, &plain(), "each staged");
}

/// What the scan is meant to decline (or count exactly): for each, `count_repo` still equals the
/// reference and git, and the scan declines or equals the reference (`check` asserts both).
#[test]
fn odd_repositories_are_declined_or_counted_exactly() {
    let odd: &[(&str, &Setup)] = &[
        ("a split index", &|r| {
            r.git(&["update-index", "--split-index"]);
            r.write("a/b.txt", "after the split\n");
            r.git(&["add", "a/b.txt"]);
            assert!(has_extension(r, b"link"), "git split the index");
        }),
        ("core.splitIndex", &|r| {
            r.git(&["config", "core.splitIndex", "true"]);
            r.git(&["add", "-A"]);
        }),
        ("a sparse checkout (cone)", &|r| {
            r.commit_all("all");
            r.git(&["sparse-checkout", "set", "--cone", "a"]);
            r.write("a/b/c.txt", "inside the cone\n");
        }),
        ("a sparse index", &|r| {
            r.commit_all("all");
            r.git(&["sparse-checkout", "set", "--cone", "--sparse-index", "a"]);
            assert!(has_extension(r, b"sdir"), "git made a sparse index");
            r.write("a/b/c.txt", "inside the cone\n");
            r.write("new-top.txt", "untracked\n");
        }),
        ("skip-worktree set by hand", &|r| {
            r.git(&["update-index", "--skip-worktree", "a/b.txt"]);
            r.write("a/b.txt", "hidden edit\n");
        }),
        ("assume-unchanged", &|r| {
            r.git(&["update-index", "--assume-unchanged", "a-b/x.txt"]);
            r.write("a-b/x.txt", "hidden edit\n");
        }),
        ("a merge conflict", &|r| {
            r.commit_all("all");
            r.conflict("a/b.txt");
        }),
        ("intent to add", &|r| {
            r.write("ita.txt", "intent\nto add\n");
            r.git(&["add", "-N", "ita.txt"]);
        }),
        (
            "intent to add, then another commit (index version 3)",
            &|r| {
                r.write("ita.txt", "intent\nto add\n");
                r.git(&["add", "-N", "ita.txt"]);
                r.git(&["commit", "-q", "-m", "other", "--", "d/e/f/g.txt"]);
                assert_eq!(index_version(r), 3, "git wrote version 3");
            },
        ),
        ("intent to add in a version 4 index", &|r| {
            r.git(&["update-index", "--index-version", "4"]);
            r.write("ita.txt", "intent\nto add\n");
            r.git(&["add", "-N", "ita.txt"]);
            assert_eq!(index_version(r), 4, "git kept version 4");
        }),
        ("core.ignorecase", &|r| {
            r.git(&["config", "core.ignorecase", "true"]);
            r.write("A/B.TXT", "case\n");
        }),
        ("a tracked directory replaced by a file", &|r| {
            std::fs::remove_dir_all(r.path("a/b")).expect("rm -r");
            r.write("a/b", "a file now\n");
        }),
        (
            "a tracked directory replaced by a symlink to a copy",
            &|r| {
                std::fs::rename(r.path("d/e"), r.path("copy")).expect("mv");
                std::os::unix::fs::symlink("../copy", r.path("d/e")).expect("symlink");
            },
        ),
        ("a tracked file replaced by a symlink", &|r| {
            std::fs::remove_file(r.path("a/b.txt")).expect("rm");
            std::os::unix::fs::symlink("b/c.txt", r.path("a/b.txt")).expect("symlink");
        }),
        ("a linked worktree's own index", &|r| {
            r.commit_all("all");
            r.git(&["worktree", "add", "-q", "-b", "linked", "linked-tree"]);
            r.write("a/b.txt", "main worktree only\n");
        }),
    ];
    for (name, setup) in odd {
        let repo = with_changes();
        setup(&repo);
        // Where the reference is known to count otherwise than git (a file replaced by a
        // symlink: 0 lines for git's removed and added ones); a conflicted path is checked
        // against git by `tests/it/odd_repos.rs` (its total only).
        let git = if name.contains("replaced by a symlink") {
            Git::PathsOnly
        } else if name.contains("conflict") {
            Git::Except(&["a/b.txt"])
        } else {
            Git::Lines
        };
        let verdict = check_against(&repo, &plain(), name, git);
        // Shown with `--nocapture`: which of these the scan counts itself.
        eprintln!("{name}: {verdict:?}");
    }
}

/// Files that are neither regular files, links nor directories: git skips an untracked FIFO,
/// and fails on a tracked file replaced by one ("unsupported file type": only the scan and the
/// reference are compared then). Executable bits beyond the owner's (git looks at the owner's
/// alone).
#[test]
fn fifos_and_executable_bits_count_as_the_reference() {
    use std::os::unix::fs::PermissionsExt;
    let repo = with_changes();
    let mkfifo = |rel: &str| {
        let status = Command::new("mkfifo")
            .arg(repo.path(rel))
            .status()
            .expect("mkfifo runs");
        assert!(status.success(), "mkfifo {rel}");
    };
    mkfifo("a/pipe");
    check_counted(&repo, &plain(), "an untracked FIFO");
    std::fs::remove_file(repo.path("a/b.txt")).expect("rm");
    mkfifo("a/b.txt");
    check_against(
        &repo,
        &plain(),
        "a tracked file replaced by a FIFO",
        Git::Not,
    );
    std::fs::remove_file(repo.path("a/b.txt")).expect("rm");
    repo.git(&["checkout", "--", "a/b.txt"]);
    for (i, mode) in [0o654, 0o610, 0o744, 0o600].into_iter().enumerate() {
        std::fs::set_permissions(
            repo.path("a-b/x.txt"),
            std::fs::Permissions::from_mode(mode),
        )
        .expect("chmod");
        check(&repo, &plain(), &format!("mode {mode:o}"));
        if i == 0 {
            repo.git(&["add", "a-b/x.txt"]);
            check(&repo, &plain(), &format!("mode {mode:o}, staged"));
        }
    }
}

/// A repository whose git directory lives apart (`git init --separate-git-dir`): `.git` is a
/// file, the index is elsewhere.
#[test]
fn a_separate_git_dir_counts_its_own_index() {
    let repo = new_repo();
    let elsewhere = tempfile::tempdir().expect("temp dir");
    let git_dir = elsewhere.path().join("repo.git");
    repo.git(&[
        "init",
        "-q",
        "--separate-git-dir",
        git_dir.to_str().expect("utf-8"),
    ]);
    repo.write("a/b.txt", "1\n");
    repo.write("c.txt", "1\n");
    repo.commit_all("base");
    repo.write("a/b.txt", "2\n");
    repo.git(&["add", "a/b.txt"]);
    repo.write("c.txt", "2\n");
    repo.write("new.txt", "n\n");
    check_counted(&repo, &plain(), "a separate git dir");
}

/// The linked worktree itself: the scan must read its own index, not the main one's, and the
/// attributes of the repository's shared git directory (`info/attributes` lives there, not in
/// the worktree's own git directory).
#[test]
fn a_linked_worktree_counts_its_own_index_and_the_shared_attributes() {
    let repo = with_changes();
    repo.commit_all("all");
    // The linked worktree in a temp dir of its own, so that the fixtures' git runs in it.
    let linked = Repo {
        dir: tempfile::Builder::new()
            .prefix("cn-linked")
            .tempdir()
            .expect("temp dir"),
    };
    let at = linked.root();
    repo.git(&[
        "worktree",
        "add",
        "-q",
        "-b",
        "linked",
        at.to_str().expect("utf-8"),
    ]);
    linked.write("a/b.txt", "linked edit\n");
    linked.git(&["add", "a/b.txt"]);
    linked.write("a/b/c.txt", "linked, unstaged\n");
    repo.write("top.txt", "main worktree only\n");
    check_counted(&linked, &plain(), "a linked worktree");
    repo.write(".git/info/attributes", "*.txt -diff\n");
    check_counted(
        &linked,
        &plain(),
        "a linked worktree, info/attributes shared",
    );
}

/// Sequences of git commands, each followed by a few edits and a count: the index as git's
/// commands leave it (stash, cherry-pick, reset, checkout, clean, amend, chmod in the index).
#[test]
fn after_each_git_command_the_scan_counts_as_the_reference() {
    let mut declined = Vec::new();
    for seed in 1..=10u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let repo = with_changes();
        repo.commit_all("start");
        repo.git(&["branch", "other"]);
        let file = |rng: &mut Rng| {
            let files = [
                "a/b/c.txt",
                "a/b.txt",
                "a-b/x.txt",
                "d/e/f/g.txt",
                "n/m.txt",
            ];
            files[rng.below(files.len() as u64) as usize]
        };
        let mut done = Vec::new();
        for round in 0..10 {
            for _ in 0..rng.below(3) {
                let path = file(&mut rng);
                repo.write(path, lines(rng.below(8) as usize, &format!("r{round}")));
            }
            let path = file(&mut rng);
            let command: Vec<&str> = match rng.below(13) {
                0 => vec!["add", "-A"],
                1 => vec!["commit", "-q", "-m", "c"],
                2 => vec!["reset", "-q"],
                3 => vec!["reset", "-q", "--soft", "HEAD~1"],
                4 => vec!["reset", "-q", "--hard"],
                5 => vec!["stash", "-q", "-u"],
                6 => vec!["stash", "pop", "-q"],
                7 => vec!["update-index", "--chmod=+x", path],
                8 => vec!["commit", "-q", "--amend", "-m", "amended"],
                9 => vec!["cherry-pick", "other"],
                10 => vec!["clean", "-q", "-fd"],
                11 => vec!["checkout", "-q", "HEAD~1", "--", "a"],
                _ => vec!["add", "--", path],
            };
            let ok = repo.git_output(&command).status.success();
            done.push(format!("{command:?}{}", if ok { "" } else { " (failed)" }));
            if rng.below(3) == 0 {
                // `other` moves to where HEAD was: a later cherry-pick applies HEAD's changes again.
                let _ = repo.git_output(&["branch", "-f", "other", "HEAD"]);
            }
            let context = format!("seed {seed} round {round}: {done:?}");
            // A stash that does not apply cleanly leaves conflicts: the scan declines them, and
            // the reference's rows for them are checked against git by `tests/it/odd_repos.rs`.
            let conflicts = !repo.git(&["ls-files", "-u"]).is_empty();
            let git = if conflicts {
                Git::PathsOnly
            } else {
                Git::Lines
            };
            match check_against(&repo, &plain(), &context, git) {
                Verdict::Declined(why) if !conflicts => declined.push(format!("{context}: {why}")),
                _ => {}
            }
        }
    }
    assert!(declined.is_empty(), "declined: {declined:#?}");
}
