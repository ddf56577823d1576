//! Staging, counting, committing and planning in the index kinds libgit2 cannot read (issue
//! 20): a sparse index (`index.sparse=true` with a cone) and a split index (`core.splitIndex`),
//! each in versions 2 and 4, and the full index beside them.
//!
//! Each write is compared with git's own in a twin repository built the same way: `git ls-files
//! -s` (and `--sparse`) and `git status` equal after the same step, the index still of its kind.
//! The counts equal `git diff --numstat` / `--cached --numstat`; a plan holds every hunk of `git
//! diff HEAD` once and its apply loses nothing.

use crate::support;

use commit_nudge::git::verify::{by_scan, index_form, Scanned};
use commit_nudge::git::{open, CommitOptions, CountOptions, HunkTarget, LineSelection};
use support::Repo;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Full,
    Sparse,
    Split,
}

const KINDS: [(Kind, &str); 6] = [
    (Kind::Full, "2"),
    (Kind::Full, "4"),
    (Kind::Sparse, "3"),
    (Kind::Sparse, "4"),
    (Kind::Split, "2"),
    (Kind::Split, "4"),
];

/// A repository with files in and out of the cone (`dir/`), its index of `kind` in `version`,
/// then worked on: `a.txt` and `dir/b.txt` edited (two hunks each), `dir/sub/c.txt` deleted,
/// `dir/new.txt` and `top-new.txt` new.
fn worked(kind: Kind, version: &str) -> Repo {
    let repo = Repo::new();
    let lines = |tag: &str| -> String { (1..=12).map(|i| format!("{tag} {i}\n")).collect() };
    repo.write("a.txt", lines("a"));
    repo.write("dir/b.txt", lines("b"));
    repo.write("dir/sub/c.txt", "c\n");
    repo.write("other/d.txt", "d\n");
    repo.write("other/deep/e.txt", "e\n");
    repo.write("third/f.txt", "f\n");
    repo.commit_all("first");
    repo.git(&["update-index", "--index-version", version]);
    match kind {
        Kind::Full => {}
        Kind::Sparse => {
            repo.git(&["config", "index.sparse", "true"]);
            repo.git(&["sparse-checkout", "set", "--cone", "dir"]);
        }
        Kind::Split => {
            repo.git(&["config", "core.splitIndex", "true"]);
            repo.git(&["update-index", "--split-index"]);
        }
    }
    let edit = |text: String| {
        text.replace(" 2\n", " two\n")
            .replace(" 11\n", " eleven\nmore\n")
    };
    repo.write("a.txt", edit(lines("a")));
    repo.write("dir/b.txt", edit(lines("b")));
    std::fs::remove_file(repo.path("dir/sub/c.txt")).expect("rm");
    repo.write("dir/new.txt", "new\nfile\n");
    repo.write("top-new.txt", "top\n");
    assert_kind(&repo, kind, "as git made it");
    repo
}

/// The index is still of `kind`, as git reads it.
fn assert_kind(repo: &Repo, kind: Kind, context: &str) {
    let index = index_form(&repo.root().join(".git/index")).expect("our reader reads it");
    match kind {
        Kind::Full => assert!(!index.split && !index.sparse, "{context}: full"),
        Kind::Sparse => {
            assert!(index.sparse, "{context}: still sparse (sdir)");
            let listed = repo.git(&["ls-files", "-s", "--sparse"]);
            assert!(
                listed.contains("040000") && listed.contains("\tother/\n"),
                "{context}: git lists the sparse directories: {listed}"
            );
        }
        Kind::Split => {
            assert!(index.split, "{context}: still split (link)");
            let shared = std::fs::read_dir(repo.root().join(".git"))
                .expect("git dir")
                .flatten()
                .any(|e| e.file_name().to_string_lossy().starts_with("sharedindex."));
            assert!(shared, "{context}: a shared index");
        }
    }
}

/// What git says of the index and the work: its entries, the status, the staged numbers.
fn git_view(repo: &Repo) -> (String, String, String) {
    (
        repo.git(&["ls-files", "-s", "--sparse"]),
        // Without optional locks, so that git's status does not write the index itself.
        repo.git(&[
            "--no-optional-locks",
            "status",
            "--porcelain",
            "--untracked-files=all",
        ]),
        repo.git(&["diff", "--cached", "--numstat"]),
    )
}

/// The counts by the front door (and by the scan, which must count) equal git's numbers.
fn assert_counts(repo: &Repo, context: &str) {
    let opened = open(&repo.root()).expect("open");
    let options = CountOptions {
        count_untracked: true,
        stamp_index: true,
        ..CountOptions::default()
    };
    let scanned = match by_scan(&opened, &options) {
        Ok(Scanned::Counted(counts)) => counts,
        other => panic!("{context}: the scan did not count: {other:?}"),
    };
    let public = opened.count(&options).expect("counts");
    for counts in [&*scanned, &public] {
        assert_sums_are_gits(repo, counts, context);
    }
}

/// The first unstaged (or staged) hunk of `path` as an action offers it.
fn first_hunk(repo: &Repo, path: &str, staged: bool) -> HunkTarget {
    let opened = open(&repo.root()).expect("open");
    let hunks = opened
        .file_hunks(path, Some(&repo.read(path)))
        .expect("hunks");
    let hunk = if staged {
        &hunks.staged[0]
    } else {
        &hunks.unstaged[0]
    };
    HunkTarget {
        range: hunk.range,
        hash: hunk.hash(),
        selection: LineSelection::All,
    }
}

/// One step done by us in `ours` and by git in `twin`.
type Step = (&'static str, fn(&Repo), &'static [&'static str]);

fn steps() -> Vec<Step> {
    fn stage(repo: &Repo, path: &str) {
        let opened = open(&repo.root()).expect("open");
        opened.stage_file(path, None).expect("stage file");
    }
    vec![
        ("stage a.txt", |r| stage(r, "a.txt"), &["add", "a.txt"]),
        (
            "stage dir/new.txt",
            |r| stage(r, "dir/new.txt"),
            &["add", "dir/new.txt"],
        ),
        (
            "stage top-new.txt",
            |r| stage(r, "top-new.txt"),
            &["add", "top-new.txt"],
        ),
        (
            "stage the deletion",
            |r| stage(r, "dir/sub/c.txt"),
            &["add", "dir/sub/c.txt"],
        ),
        (
            "stage a hunk of dir/b.txt",
            |r| {
                let target = first_hunk(r, "dir/b.txt", false);
                let opened = open(&r.root()).expect("open");
                opened
                    .stage_hunk("dir/b.txt", None, &target)
                    .expect("stage hunk");
            },
            // git's own: the first hunk of the two, staged with `git apply --cached`.
            &["apply-first-hunk", "dir/b.txt"],
        ),
        (
            "unstage the hunk of dir/b.txt",
            |r| {
                let target = first_hunk(r, "dir/b.txt", true);
                let opened = open(&r.root()).expect("open");
                opened
                    .unstage_hunk("dir/b.txt", &target)
                    .expect("unstage hunk");
            },
            &["reset", "-q", "--", "dir/b.txt"],
        ),
        (
            "unstage a.txt",
            |r| {
                let opened = open(&r.root()).expect("open");
                opened.unstage_file("a.txt").expect("unstage file");
            },
            &["reset", "-q", "--", "a.txt"],
        ),
    ]
}

/// git's side of a step.
fn git_step(twin: &Repo, args: &[&str]) {
    if args[0] == "apply-first-hunk" {
        let diff = twin.git(&["diff", "--no-ext-diff", "-U3", "--", args[1]]);
        let second = diff.match_indices("\n@@ ").nth(1).map(|(at, _)| at + 1);
        let patch = match second {
            Some(at) => diff[..at].to_string(),
            None => diff,
        };
        let file = twin.root().join(".git/first-hunk.patch");
        std::fs::write(&file, patch).expect("patch");
        twin.git(&["apply", "--cached", &file.to_string_lossy()]);
    } else {
        twin.git(args);
    }
}

#[test]
fn staging_in_each_index_kind_leaves_the_index_git_add_leaves_and_keeps_its_kind() {
    for (kind, version) in KINDS {
        let ours = worked(kind, version);
        let twin = worked(kind, version);
        assert_counts(&ours, &format!("{kind:?} v{version}: before"));
        for (name, step, git) in steps() {
            let context = format!("{kind:?} v{version}: {name}");
            step(&ours);
            git_step(&twin, git);
            // The index as we wrote it: of its kind, and read by git as git's own.
            let written = ours.index_bytes();
            assert_kind(&ours, kind, &context);
            assert_eq!(git_view(&ours), git_view(&twin), "{context}");
            assert_eq!(
                ours.index_bytes(),
                written,
                "{context}: git rewrote nothing"
            );
            let (body, hash) = written.split_at(written.len() - 20);
            assert_eq!(
                sha1_smol::Sha1::from(body).digest().bytes(),
                hash,
                "{context}: the trailing checksum"
            );
            if kind != Kind::Sparse {
                // fsck checks the checksum too (and, of a sparse index, finds the cache-tree's
                // trees missing from the object database after git's own `git add` as well).
                ours.git(&["fsck", "--no-progress", "--no-dangling"]);
            }
            assert_counts(&ours, &context);
        }
    }
}

#[test]
fn a_stage_outside_the_sparse_cone_is_refused_in_one_line_and_writes_nothing() {
    for version in ["3", "4"] {
        let repo = worked(Kind::Sparse, version);
        refused_outside_the_cone(&repo, &["other/d.txt", "other/deep/e.txt", "third/new.txt"]);
    }
}

/// A new top-level directory beside the cone is outside it too (no index entry says so: the
/// cone's patterns do), in a sparse index, a full index with a sparse checkout, and SHA-256.
#[test]
fn a_new_directory_outside_the_cone_is_refused_as_git_add_refuses_it() {
    for (init, sparse_index) in [
        (&[][..], "true"),
        (&[][..], "false"),
        (&["--object-format=sha256"][..], "true"),
    ] {
        let repo = Repo::new_with(init);
        repo.write("a.txt", "a\n");
        repo.write("dir/b.txt", "b\n");
        repo.write("other/c.txt", "c\n");
        repo.commit_all("first");
        repo.git(&["config", "index.sparse", sparse_index]);
        repo.git(&["sparse-checkout", "set", "--cone", "dir"]);
        repo.write("top-new.txt", "top\n");
        repo.write("dir/new/in.txt", "in\n");
        refused_outside_the_cone(&repo, &["newtop/n.txt", "newtop/deep/m.txt"]);
        // Beside them, the top and the cone are staged as git stages them.
        let opened = open(&repo.root()).expect("open");
        opened
            .stage_file("top-new.txt", None)
            .expect("a top-level file is in the cone");
        opened
            .stage_file("dir/new/in.txt", None)
            .expect("below the cone is in it");
        let staged = repo.git(&["diff", "--cached", "--name-only"]);
        assert_eq!(staged, "dir/new/in.txt\ntop-new.txt\n", "{init:?}");
    }
}

/// Each of `paths` (written first when absent) is refused by the front door in one line that
/// names the cone, for stage and unstage, and nothing is written; `git add` refuses it too.
fn refused_outside_the_cone(repo: &Repo, paths: &[&str]) {
    let opened = open(&repo.root()).expect("open");
    for path in paths {
        if !repo.path(path).exists() {
            repo.write(path, "changed outside\n");
        }
        let before = repo.index_bytes();
        let error = opened.stage_file(path, None).expect_err("refused");
        let message = error.to_string();
        assert!(
            message.contains("sparse-checkout cone") && !message.contains('\n'),
            "{path}: {message}"
        );
        let error = opened.unstage_file(path).expect_err("refused");
        assert!(
            error.to_string().contains("sparse-checkout cone"),
            "{error}"
        );
        assert_eq!(repo.index_bytes(), before, "{path}: nothing written");
        assert!(
            repo.git_output(&["add", path]).status.code() != Some(0),
            "{path}: git refuses it too"
        );
    }
}

#[test]
fn commit_and_plan_in_each_index_kind() {
    for (kind, version) in KINDS {
        let context = format!("{kind:?} v{version}");
        // Commit what is staged, through `git commit`.
        let repo = worked(kind, version);
        let opened = open(&repo.root()).expect("open");
        opened.stage_file("a.txt", None).expect("stage");
        opened
            .commit_staged("staged a", &CommitOptions::default())
            .unwrap_or_else(|e| panic!("{context}: {e}"));
        assert_eq!(repo.git(&["log", "-1", "--format=%s"]).trim(), "staged a");
        assert_eq!(repo.numstat(&["--cached"]), (0, 0, 0), "{context}");
        assert_eq!(
            repo.git(&["diff", "--name-only", "HEAD~1", "HEAD"]),
            "a.txt\n"
        );
        assert_counts(&repo, &format!("{context}: after the commit"));

        // Plan the rest, and apply it: every hunk once, nothing lost.
        let planned = crate::plan::plan_json(&repo);
        let mut hunks: Vec<_> = planned["commits"]
            .as_array()
            .expect("commits")
            .iter()
            .flat_map(crate::plan::json_hunks)
            .collect();
        hunks.sort();
        assert_eq!(
            hunks,
            crate::plan::git_hunks(&repo),
            "{context}: {planned:#}"
        );
        let before = crate::plan::snapshot(&repo.root());
        let output = crate::plan::cli(&repo, &["plan", "--apply"], &[]);
        assert!(
            output.status.success(),
            "{context}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(crate::plan::snapshot(&repo.root()), before, "{context}");
        assert_eq!(
            repo.git(&["status", "--porcelain", "--untracked-files=all"]),
            "",
            "{context}: every change committed"
        );
        assert_kind(&repo, kind, &format!("{context}: after the plan"));
    }
}

/// A conflict resolved with `git add` leaves resolve-undo records (`REUC`, what `git checkout
/// -m` recreates the conflict from); git keeps them when it stages another file, and so does a
/// stage through the front door in a split and in a sparse index.
#[test]
fn staging_keeps_the_resolve_undo_records_as_git_does() {
    for kind in [Kind::Split, Kind::Sparse] {
        let repo = Repo::new();
        repo.write("dir/f", "1\n2\n");
        repo.write("dir/g", "g\n");
        repo.write("other/h", "h\n");
        repo.commit_all("base");
        repo.git(&["checkout", "-q", "-b", "theirs"]);
        repo.write("dir/f", "1\ntheirs\n");
        repo.commit_all("theirs");
        repo.git(&["checkout", "-q", "-"]);
        repo.write("dir/f", "1\nmine\n");
        repo.commit_all("mine");
        assert!(!repo.git_output(&["merge", "-q", "theirs"]).status.success());
        repo.write("dir/f", "1\nresolved\n");
        repo.git(&["add", "dir/f"]);
        match kind {
            Kind::Split => {
                repo.git(&["config", "core.splitIndex", "true"]);
                repo.git(&["update-index", "--split-index"]);
            }
            _ => {
                repo.git(&["config", "index.sparse", "true"]);
                repo.git(&["sparse-checkout", "set", "--cone", "dir"]);
            }
        }
        let records = repo.git(&["ls-files", "--resolve-undo"]);
        assert_eq!(records.lines().count(), 3, "{kind:?}: git recorded them");
        assert_kind(&repo, kind, "before");
        repo.write("dir/g", "g\nmore\n");
        let opened = open(&repo.root()).expect("open");
        opened.stage_file("dir/g", None).expect("stage");
        assert_kind(&repo, kind, "after");
        assert_eq!(
            repo.git(&["ls-files", "--resolve-undo"]),
            records,
            "{kind:?}: the records kept"
        );
        assert_eq!(
            repo.git(&["diff", "--cached", "--name-only"]),
            "dir/f\ndir/g\n"
        );
    }
}

/// After a `git add` or a `git commit` inside the cone of a sparse index (versions 3 and 4), the
/// re-count of what git changed is taken (not a full count: the prompt's daemon and the server
/// answer from it) and equals a full count and git's numbers; after a `git reset --soft` to a
/// commit whose tree differs outside the cone (below a sparse directory entry), whatever is
/// counted equals them too.
#[test]
fn a_recount_after_git_in_a_sparse_index_is_taken_inside_the_cone_and_exact() {
    use commit_nudge::git::Changed;
    use std::collections::BTreeSet;
    let options = CountOptions {
        count_untracked: true,
        stamp_index: true,
        ..CountOptions::default()
    };
    for version in ["3", "4"] {
        let repo = worked(Kind::Sparse, version);
        let first = repo.git(&["rev-parse", "HEAD"]).trim().to_string();
        // A commit that changes `other/d.txt`, outside the cone, made on an index of its own
        // (git refuses to add there, and the repository's index stays as it is).
        let blob_file = repo.root().join(".git/d-changed");
        std::fs::write(&blob_file, "d changed\n").expect("blob");
        let blob = repo.git(&["hash-object", "-w", &blob_file.to_string_lossy()]);
        let own_index = repo.root().join(".git/outside-index");
        let on_own_index = |args: &[&str]| {
            let output = repo
                .command()
                .env("GIT_INDEX_FILE", &own_index)
                .args(args)
                .output()
                .expect("git runs");
            assert!(output.status.success(), "git {args:?}: {output:?}");
            String::from_utf8_lossy(&output.stdout).trim().to_string()
        };
        on_own_index(&["read-tree", "HEAD"]);
        let info = format!("100644,{},other/d.txt", blob.trim());
        on_own_index(&["update-index", "--cacheinfo", &info]);
        let tree = on_own_index(&["write-tree"]);
        let outside = repo.git(&["commit-tree", &tree, "-p", &first, "-m", "outside"]);

        let opened = open(&repo.root()).expect("open");
        let mut previous = opened.count(&options).expect("counts");
        let steps: [(&str, &[&str], Option<&str>, bool); 6] = [
            ("git add in the cone", &["add", "dir/b.txt"], None, true),
            ("git commit", &["commit", "-q", "-m", "cone"], None, true),
            (
                "a write, then git commit of it",
                &["commit", "-q", "-m", "again", "--", "dir/b.txt"],
                Some("dir/b.txt"),
                true,
            ),
            (
                "git reset --soft",
                &["reset", "-q", "--soft", "HEAD~2"],
                None,
                true,
            ),
            (
                "git reset --soft across a sparse directory",
                &["reset", "-q", "--soft", outside.trim()],
                None,
                false,
            ),
            ("git add there", &["add", "a.txt"], None, false),
        ];
        for (what, args, write, must_shortcut) in steps {
            let context = format!("version {version}: {what}");
            let mut touched = BTreeSet::new();
            if let Some(path) = write {
                repo.write(
                    path,
                    format!("{}written\n", String::from_utf8_lossy(&repo.read(path))),
                );
                touched.insert(path.to_string());
            }
            repo.git(args);
            assert_kind(&repo, Kind::Sparse, &context);
            let recounted = opened
                .recount(&previous, Changed::GitDir(&touched), &options)
                .expect("re-count");
            assert!(
                recounted.is_some() || !must_shortcut,
                "{context}: the re-count declined"
            );
            let full = open(&repo.root())
                .expect("open")
                .count(&options)
                .expect("counts");
            let counts = recounted.unwrap_or_else(|| full.clone());
            crate::scan_support::assert_same(&counts, &full, &context);
            assert_sums_are_gits(&repo, &counts, &context);
            previous = counts;
        }
    }
}

/// The files and lines of each side of `counts`, as `git diff --numstat` (unstaged, `--cached`)
/// and the untracked files' numbers give them.
fn assert_sums_are_gits(repo: &Repo, counts: &commit_nudge::git::RepoCounts, context: &str) {
    let sum = |rows: &[commit_nudge::git::FileDelta]| {
        rows.iter().fold((0u64, 0u64, 0u64), |(f, a, r), row| {
            (f + 1, a + row.added, r + row.removed)
        })
    };
    assert_eq!(
        sum(&counts.unstaged),
        repo.numstat(&[]),
        "{context}: unstaged"
    );
    assert_eq!(
        sum(&counts.staged),
        repo.numstat(&["--cached"]),
        "{context}: staged"
    );
    assert_eq!(
        sum(&counts.untracked),
        repo.untracked_numstat(),
        "{context}: untracked"
    );
}
