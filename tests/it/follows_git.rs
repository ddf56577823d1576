//! Where the counts were found to differ from git's own numbers (issue 20's list, from the old
//! `tests/scan_vs_git.rs`): each case on its own. The scan (when it counts), `count_repo` and the
//! whole-tree reference must all give git's numbers, row by row.

use crate::scan_support::{assert_git_numbers, plain, Git};
use crate::support::Repo;

use commit_nudge::git::verify::{by_diff, by_scan, Scanned};

/// Each way of counting `repo`, through the front door, gives git's numbers: the scan (when it
/// counts), `Repo::count` and the whole-tree reference.
fn counts_follow_git(repo: &Repo, name: &str) {
    let opened = commit_nudge::git::open(&repo.root()).expect("open");
    if let Ok(Scanned::Counted(counts)) = by_scan(&opened, &plain()) {
        let context = format!("{name}: scan");
        assert_git_numbers(repo, &counts, &plain(), &context, Git::Lines);
    }
    let public = opened.count(&plain()).expect("the count");
    let context = format!("{name}: count");
    assert_git_numbers(repo, &public, &plain(), &context, Git::Lines);
    let reference = by_diff(&opened, &plain()).expect("the reference counts");
    let context = format!("{name}: reference");
    assert_git_numbers(repo, &reference, &plain(), &context, Git::Lines);
}

/// git counts a file turned into a symlink as its lines removed and the link's target added
/// (`1 3 f`), unstaged, staged and in total; so does a symlink turned back into a file.
#[test]
fn a_file_replaced_by_a_symlink_counts_as_git_does() {
    let repo = Repo::new();
    repo.write("f", "1\n2\n3\n");
    repo.write("t", "x\n");
    std::os::unix::fs::symlink("t", repo.path("l")).expect("symlink");
    repo.commit_all("base");
    std::fs::remove_file(repo.path("f")).expect("rm");
    std::os::unix::fs::symlink("t", repo.path("f")).expect("symlink");
    assert_eq!(repo.numstat(&[]), (1, 1, 3), "git's own numbers");
    counts_follow_git(&repo, "a file replaced by a symlink");
    repo.git(&["add", "f"]);
    assert_eq!(
        repo.numstat(&["--cached"]),
        (1, 1, 3),
        "git's own staged numbers"
    );
    counts_follow_git(&repo, "a staged file replaced by a symlink");
    std::fs::remove_file(repo.path("l")).expect("rm");
    repo.write("l", "now\na\nfile\n");
    counts_follow_git(&repo, "a symlink replaced by a file");
}

/// What a user sees of `repo`: the front door's count (`git::open`, then `Repo::count`) gives
/// git's numbers, row by row, or refuses in one line that names the kind (never libgit2's text);
/// the scan, when it counts, gives git's numbers too.
fn door_counts_as_git(repo: &Repo, name: &str) {
    let opened = commit_nudge::git::open(&repo.root()).expect("open");
    if let Ok(Scanned::Counted(counts)) = by_scan(&opened, &plain()) {
        assert_git_numbers(
            repo,
            &counts,
            &plain(),
            &format!("{name}: scan"),
            Git::Lines,
        );
    }
    match opened.count(&plain()) {
        Ok(counts) => assert_git_numbers(repo, &counts, &plain(), name, Git::Lines),
        Err(error) => {
            let text = error.to_string();
            assert!(
                matches!(error, commit_nudge::git::GitError::Unservable { .. })
                    && text.lines().count() == 1,
                "{name}: neither git's numbers nor one clear line: {text}"
            );
        }
    }
}

/// Under `core.autocrlf=true`, a file with CRLF endings in the working tree renamed with `git
/// mv`: git counts `0 0 f => g` staged and in total (the working tree converted as `git add`
/// converts it), nothing unstaged.
#[test]
fn a_renamed_crlf_file_under_autocrlf_counts_as_git_does() {
    let repo = Repo::new();
    repo.git(&["config", "core.autocrlf", "true"]);
    repo.write(".gitattributes", "* text=auto\n");
    repo.write("f", "one\r\ntwo\r\nthree\r\nfour\r\n");
    repo.commit_all("base");
    repo.git(&["mv", "f", "g"]);
    assert_eq!(repo.numstat(&["HEAD"]), (1, 0, 0), "git's own numbers");
    door_counts_as_git(&repo, "a renamed CRLF file");
}

/// A submodule at the commit the index records, with work inside: git counts nothing for
/// untracked files inside, and `0 0 sub` for a modified file inside (`-dirty`, no lines).
#[test]
fn a_dirty_submodule_counts_as_git_does() {
    let upstream = Repo::new();
    upstream.write("f", "1\n");
    upstream.commit_all("base");
    let repo = Repo::new();
    repo.add_submodule(&upstream, "sub");
    repo.commit_all("a submodule");
    std::fs::write(repo.path("sub/untracked"), "u\n").expect("write");
    door_counts_as_git(&repo, "only untracked files in a submodule");
    std::fs::write(repo.path("sub/f"), "1\ndirty\n").expect("write");
    assert_eq!(repo.numstat(&[]), (1, 0, 0), "git's own numbers");
    door_counts_as_git(&repo, "a modified file in a submodule");
}

/// A directory holding a `.git` file that points nowhere is no repository to git, which lists
/// the files beside it as untracked.
#[test]
fn a_directory_with_a_stray_git_file_is_listed_as_git_lists_it() {
    let repo = Repo::new();
    repo.write("base.txt", "b\n");
    repo.commit_all("base");
    repo.write("d/.git", "not a repository\n");
    repo.write("d/inside.txt", "1\n");
    door_counts_as_git(&repo, "a stray .git file");
}

/// With `diff.renames=copies`, git finds a new file copied from a modified one (`0 0 a => b`)
/// in the staged and total rows.
#[test]
fn a_copy_under_diff_renames_copies_counts_as_git_does() {
    let repo = Repo::new();
    let text: String = (1..=50).map(|i| format!("{i}\n")).collect();
    repo.write("a.txt", &text);
    repo.commit_all("base");
    repo.write("b.txt", &text);
    repo.write("a.txt", format!("{text}51\n"));
    repo.git(&["add", "-A"]);
    repo.git(&["config", "diff.renames", "copies"]);
    door_counts_as_git(&repo, "a copy");
}

/// `core.ignorecase=true` on a case-sensitive file system (a repository copied from macOS or
/// Windows), with an untracked `A/B.TXT` beside the tracked `a/b.txt`: git counts the edit of
/// `a/b.txt`, and lists what it lists as untracked. libgit2 cannot count it; the front door
/// asks git, so the count is served, never refused.
#[test]
fn ignorecase_with_names_differing_in_case_counts_as_git_does() {
    let repo = Repo::new();
    repo.write("a/b.txt", "1\n");
    repo.commit_all("base");
    repo.git(&["config", "core.ignorecase", "true"]);
    repo.write("a/b.txt", "1\n2\n");
    repo.write("A/B.TXT", "x\n");
    door_counts_as_git(&repo, "ignorecase");
    let opened = commit_nudge::git::open(&repo.root()).expect("open");
    let counts = opened
        .count(&plain())
        .expect("git counts what libgit2 cannot");
    assert_git_numbers(&repo, &counts, &plain(), "ignorecase", Git::Lines);
    // An edit then (the editor's re-count of one path): git's numbers, or a whole count.
    repo.write("a/b.txt", "1\n2\n3\n");
    let paths = std::collections::BTreeSet::from(["a/b.txt".to_string()]);
    let changed = commit_nudge::git::Changed::Paths(&paths);
    let again = match opened.recount(&counts, changed, &plain()) {
        Ok(Some(again)) => again,
        Ok(None) => opened.count(&plain()).expect("the whole count"),
        Err(error) => panic!("the re-count refused: {error}"),
    };
    assert_git_numbers(&repo, &again, &plain(), "ignorecase, edited", Git::Lines);
}

/// The hunk actions in that repository (`core.ignorecase=true`, an untracked `A/B.TXT` beside the
/// tracked `a/b.txt`): staging one hunk stages exactly it, staging the file writes the index
/// `git add` writes in a copy of the repository, staging `A/B.TXT` (which `git add` takes for
/// `a/b.txt`, changing nothing) is refused and changes nothing, so is unstaging it (which
/// `git reset` takes for `a/b.txt`, changing nothing; libgit2 dropped the staged entry), and
/// unstaging `a/b.txt` gives HEAD's entry back.
#[test]
fn ignorecase_with_names_differing_in_case_stages_as_git_does() {
    use commit_nudge::git::{HunkTarget, LineSelection};
    let repo = Repo::new();
    let base: String = (1..=20).map(|n| format!("line {n}\n")).collect();
    repo.write("a/b.txt", &base);
    repo.commit_all("base");
    repo.git(&["config", "core.ignorecase", "true"]);
    let edited = base
        .replace("line 2\n", "line two\n")
        .replace("line 19\n", "line nineteen\n");
    repo.write("a/b.txt", &edited);
    repo.write("A/B.TXT", "x\n");
    let opened = commit_nudge::git::open(&repo.root()).expect("open");
    let hunks = opened.file_hunks("a/b.txt", None).expect("the hunks");
    assert_eq!(hunks.unstaged.len(), 2, "two hunks");
    let first = &hunks.unstaged[0];
    let target = HunkTarget {
        range: first.range,
        hash: first.hash(),
        selection: LineSelection::All,
    };
    opened
        .stage_hunk("a/b.txt", None, &target)
        .expect("stage the first hunk");
    assert_eq!(
        repo.git(&["show", ":a/b.txt"]),
        base.replace("line 2\n", "line two\n"),
        "the first hunk staged, the second not"
    );
    assert_eq!(
        repo.read("a/b.txt"),
        edited.as_bytes(),
        "the file untouched"
    );
    let copy = crate::support::copy_of(&repo);
    copy.git(&["add", "--", "a/b.txt"]);
    opened.stage_file("a/b.txt", None).expect("stage the file");
    let staged = repo.git(&["ls-files", "-s"]);
    assert_eq!(staged, copy.git(&["ls-files", "-s"]), "what git add writes");
    // `git add A/B.TXT` leaves the index as it is: git takes it for `a/b.txt`. The server says
    // so, and leaves it as it is too.
    let copy = crate::support::copy_of(&repo);
    copy.git(&["add", "--", "A/B.TXT"]);
    assert_eq!(copy.git(&["ls-files", "-s"]), staged, "git's own no-op");
    let refusal = opened
        .stage_file("A/B.TXT", None)
        .expect_err("staging the other case is refused")
        .to_string();
    assert!(
        refusal.contains("differs only in case from the tracked a/b.txt"),
        "{refusal}"
    );
    let hunks = opened.file_hunks("A/B.TXT", None).expect("its hunks");
    if let Some(hunk) = hunks.unstaged.first() {
        let target = HunkTarget {
            range: hunk.range,
            hash: hunk.hash(),
            selection: LineSelection::All,
        };
        assert!(opened.stage_hunk("A/B.TXT", None, &target).is_err());
    }
    assert_eq!(
        repo.git(&["ls-files", "-s"]),
        staged,
        "the index as git leaves it"
    );
    // Unstaging `A/B.TXT` writes what `git reset` of it writes.
    let copy = crate::support::copy_of(&repo);
    copy.git(&["reset", "-q", "--", "A/B.TXT"]);
    assert!(
        opened.unstage_file("A/B.TXT").is_err(),
        "refused, with a reason"
    );
    assert_eq!(
        repo.git(&["ls-files", "-s"]),
        copy.git(&["ls-files", "-s"]),
        "unstaging the other case writes what git reset writes"
    );
    opened.unstage_file("a/b.txt").expect("unstage");
    assert_eq!(
        repo.git(&["ls-files", "-s", "--", "a/b.txt"]),
        repo.git(&[
            "ls-tree",
            "-r",
            "HEAD",
            "--format=%(objectmode) %(objectname) 0\t%(path)"
        ]),
        "HEAD's entry back"
    );
}

/// A merge stopped on a conflict in a split index (`core.splitIndex=true`): the conflicted
/// entries are merged from the shared index and the split index's own, and git's numbers are
/// given (staged `0 0 f`, the working tree against stage 2, the total against HEAD).
#[test]
fn a_conflicted_split_index_counts_as_git_does() {
    conflicted_counts_as_git_does(true);
}

/// The same conflict in an ordinary index.
#[test]
fn a_conflicted_index_counts_as_git_does() {
    conflicted_counts_as_git_does(false);
}

fn conflicted_counts_as_git_does(split: bool) {
    let repo = Repo::new();
    repo.git(&[
        "config",
        "core.splitIndex",
        if split { "true" } else { "false" },
    ]);
    repo.write("f", "1\n2\n3\n");
    repo.write("g", "g\n");
    repo.commit_all("base");
    repo.git(&["checkout", "-q", "-b", "other"]);
    repo.write("f", "1\nother\n3\n");
    repo.commit_all("other");
    repo.git(&["checkout", "-q", "-"]);
    repo.write("f", "1\nmine\n3\n");
    repo.commit_all("mine");
    assert!(
        !repo.git_output(&["merge", "other"]).status.success(),
        "a conflict"
    );
    repo.write("g", "g\nmore\n");
    let shared = std::fs::read_dir(repo.path(".git"))
        .expect("the git dir")
        .flatten()
        .any(|e| e.file_name().to_string_lossy().starts_with("sharedindex."));
    assert_eq!(shared, split, "the index is split or not");
    door_counts_as_git(&repo, "a conflicted index");
}
