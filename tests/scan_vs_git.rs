//! Where the count by whole-tree diffs (the scan's reference) was found to differ from git's own
//! numbers: each case on its own, smallest repository first. `count_repo` must give git's
//! numbers, and so must the scan when it counts. (The differential suites leave these rows out
//! of their comparisons with git, never out of the one between the scan and the reference.)

mod scan_support;
mod support;

use commit_nudge::git::count::{count_repo, count_repo_by_diff};
use commit_nudge::git::scan::{count_repo_by_scan, Scanned};
use commit_nudge::git::{open_worktree, RepoCounts};
use scan_support::{assert_git_numbers, plain, Git};
use support::Repo;

/// The scan (when it counts), `count_repo` and the reference (the count of every repository the
/// scan declines) all give git's numbers, row by row. Each is compared, and the failure names
/// which of them differ (each one's own message is printed above it).
fn counts_follow_git(repo: &Repo, name: &str) {
    let git = open_worktree(&repo.root()).expect("open");
    let compare = |who: &str, counts: Option<RepoCounts>| -> String {
        let Some(counts) = counts else {
            return format!("{who}: did not count");
        };
        let context = format!("{name}: {who}");
        let compared = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            assert_git_numbers(repo, &counts, &plain(), &context, Git::Lines)
        }));
        format!(
            "{who}: {}",
            if compared.is_ok() {
                "git's numbers"
            } else {
                "differs"
            }
        )
    };
    let scan = match count_repo_by_scan(&git, &plain()) {
        Ok(Scanned::Counted(counts)) => compare("scan", Some(*counts)),
        Ok(Scanned::Declined(why)) => format!("scan: declined ({why})"),
        Err(error) => format!("scan: failed ({error})"),
    };
    let public = compare("count_repo", count_repo(&git, &plain()).ok());
    let reference = compare("reference", count_repo_by_diff(&git, &plain()).ok());
    let verdicts = [scan, public, reference];
    assert!(
        verdicts
            .iter()
            .all(|v| !v.ends_with("differs") && !v.ends_with("did not count")),
        "{name}: {verdicts:?}"
    );
}

/// git counts a file turned into a symlink as its lines removed and the link's target added
/// (`1 3 f`); the reference counts 0 lines.
#[test]
fn a_file_replaced_by_a_symlink_counts_as_git_does() {
    let repo = Repo::new();
    repo.write("f", "1\n2\n3\n");
    repo.write("t", "x\n");
    repo.commit_all("base");
    std::fs::remove_file(repo.path("f")).expect("rm");
    std::os::unix::fs::symlink("t", repo.path("f")).expect("symlink");
    counts_follow_git(&repo, "a file replaced by a symlink");
}

/// Under `core.autocrlf=true`, a renamed file with CRLF endings in the working tree: git's
/// `diff HEAD` counts `0 0 f => g`; the reference's HEAD→working tree diff compares the file
/// unconverted (4 added, 4 removed).
#[test]
fn a_renamed_crlf_file_under_autocrlf_counts_as_git_does() {
    let repo = Repo::new();
    repo.git(&["config", "core.autocrlf", "true"]);
    repo.write(".gitattributes", "* text=auto\n");
    repo.write("f", "one\r\ntwo\r\nthree\r\nfour\r\n");
    repo.commit_all("base");
    repo.git(&["mv", "f", "g"]);
    counts_follow_git(&repo, "a renamed CRLF file");
}

/// A submodule at the commit the index records, with uncommitted work inside: git counts
/// `0 0 sub` (and nothing at all when only untracked files are inside); the reference counts
/// the `-dirty` suffix as a changed line (1 added, 1 removed).
#[test]
fn a_dirty_submodule_counts_as_git_does() {
    let upstream = Repo::new();
    upstream.write("f", "1\n");
    upstream.commit_all("base");
    let repo = Repo::new();
    repo.git(&[
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "add",
        "-q",
        upstream.root().to_str().expect("utf-8"),
        "sub",
    ]);
    repo.commit_all("a submodule");
    std::fs::write(repo.path("sub/untracked"), "u\n").expect("write");
    counts_follow_git(&repo, "only untracked files in a submodule");
    std::fs::write(repo.path("sub/f"), "1\ndirty\n").expect("write");
    counts_follow_git(&repo, "a modified file in a submodule");
}

/// A backslash is an ordinary character in a name on Unix: git names the row `a\b.txt`; the
/// reference turns it into `a/b.txt`, a path that does not exist.
#[test]
fn a_path_with_a_backslash_is_named_as_git_names_it() {
    let repo = Repo::new();
    repo.write("a\\b.txt", "1\n");
    repo.commit_all("base");
    repo.write("a\\b.txt", "2\n");
    counts_follow_git(&repo, "a path with a backslash");
}

/// A directory holding a `.git` file that points nowhere is no repository to git, which lists
/// the files beside it; the reference counts the directory as a nested repository (`d/`).
#[test]
fn a_directory_with_a_stray_git_file_is_listed_as_git_lists_it() {
    let repo = Repo::new();
    repo.write("d/.git", "not a repository\n");
    repo.write("d/inside.txt", "1\n");
    counts_follow_git(&repo, "a stray .git file");
}

/// With `core.trustctime=false`, a file rewritten (same size) right after `git add` with its
/// mtime set back to the exact one recorded: git compares the racy mtime in whole seconds and
/// reads the file; libgit2 compares nanoseconds, finds the entry older than the index and
/// trusts the stat data. (git sees the change only when `git add` ran within the second the
/// file was written: the setup is made again, up to five times, until it does.)
#[test]
fn a_racy_rewrite_with_trustctime_off_is_seen_as_git_sees_it() {
    for _ in 0..5 {
        let repo = Repo::new();
        repo.git(&["config", "core.trustctime", "false"]);
        repo.write("r.txt", "one\n");
        repo.commit_all("base");
        repo.write("r.txt", "two\n");
        let recorded = std::fs::metadata(repo.path("r.txt"))
            .and_then(|m| m.modified())
            .expect("mtime");
        repo.git(&["add", "r.txt"]);
        repo.write("r.txt", "six\n");
        std::fs::File::options()
            .write(true)
            .open(repo.path("r.txt"))
            .and_then(|f| f.set_modified(recorded))
            .expect("set the mtime");
        if repo.numstat(&[]) == (1, 1, 1) {
            counts_follow_git(&repo, "a racy rewrite, trustctime=false");
            return;
        }
    }
    panic!("git never saw the racy rewrite: the setup is wrong");
}

/// With `diff.renames=copies`, git finds a new file copied from a modified one (`0 0 a => b`);
/// the reference pairs deleted and added files only, and counts the copy as added.
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
    counts_follow_git(&repo, "a copy");
}

/// `git update-index --split-index` (or `core.splitIndex`) is a setting users choose; libgit2
/// cannot read such an index. The count gives git's numbers, or an error that names the split
/// index (not libgit2's "unsupported mandatory extension: 'link'").
#[test]
fn a_split_index_is_counted_or_named() {
    let repo = Repo::new();
    repo.write("a.txt", "1\n");
    repo.commit_all("base");
    repo.git(&["update-index", "--split-index"]);
    repo.write("a.txt", "1\n2\n");
    repo.git(&["add", "a.txt"]);
    let git = open_worktree(&repo.root()).expect("open");
    match count_repo(&git, &plain()) {
        Ok(counts) => assert_git_numbers(&repo, &counts, &plain(), "split index", Git::Lines),
        Err(error) => assert!(
            error.to_string().contains("split index"),
            "the error names the split index: {error}"
        ),
    }
}

/// `git sparse-checkout set --sparse-index`: libgit2 cannot read a sparse index either. The
/// count gives git's numbers, or an error that names the sparse index.
#[test]
fn a_sparse_index_is_counted_or_named() {
    let repo = Repo::new();
    repo.write("in/a.txt", "1\n");
    repo.write("out/b.txt", "1\n");
    repo.commit_all("base");
    repo.git(&["sparse-checkout", "set", "--cone", "--sparse-index", "in"]);
    repo.write("in/a.txt", "1\n2\n");
    let git = open_worktree(&repo.root()).expect("open");
    match count_repo(&git, &plain()) {
        Ok(counts) => assert_git_numbers(&repo, &counts, &plain(), "sparse index", Git::Lines),
        Err(error) => assert!(
            error.to_string().contains("sparse index"),
            "the error names the sparse index: {error}"
        ),
    }
}

/// `core.ignorecase=true` on a case-sensitive file system (a repository copied from macOS or
/// Windows), with an untracked `A/B.TXT` beside the tracked `a/b.txt`: git counts the edit of
/// `a/b.txt` and nothing more; the reference fails whole ("file changed before we could read
/// it").
#[test]
fn ignorecase_with_names_differing_in_case_counts_as_git_does() {
    let repo = Repo::new();
    repo.write("a/b.txt", "1\n");
    repo.commit_all("base");
    repo.git(&["config", "core.ignorecase", "true"]);
    repo.write("a/b.txt", "1\n2\n");
    repo.write("A/B.TXT", "x\n");
    counts_follow_git(&repo, "ignorecase");
}

/// git smudges a racy entry by setting its size to 0, and takes a 0 size with a blob that is not
/// empty as "changed" whatever the rest of the stat data says. Here the file is then emptied
/// (size 0, mtime and inode kept, `core.trustctime=false`) and the index is no longer racy: git
/// reads the file (`0 1 f`); the reference and the scan trust the stat data.
#[test]
fn a_smudged_entry_of_an_emptied_file_is_seen_as_git_sees_it() {
    use std::time::{Duration, SystemTime};
    let repo = Repo::new();
    let set_mtime = |rel: &str, time: SystemTime| {
        std::fs::File::options()
            .write(true)
            .open(repo.path(rel))
            .and_then(|f| f.set_modified(time))
            .expect("set the mtime")
    };
    repo.git(&["config", "core.trustctime", "false"]);
    repo.write("f", "base\n");
    repo.write("other", "o\n");
    repo.commit_all("base");
    // An mtime ahead of the index: the entry is racy when git next writes the index.
    let ahead = SystemTime::now() + Duration::from_secs(90);
    repo.write("f", "abc\n");
    set_mtime("f", ahead);
    repo.git(&["add", "f"]);
    repo.write("f", "xyz\n");
    set_mtime("f", ahead);
    repo.write("other", "o2\n");
    repo.git(&["add", "other"]);
    let entry = repo.git(&["ls-files", "--debug", "f"]);
    assert!(
        entry.contains("size: 0\t"),
        "git smudged the entry: {entry}"
    );
    repo.write("f", "");
    set_mtime("f", ahead);
    set_mtime(".git/index", ahead + Duration::from_secs(100));
    assert_eq!(repo.numstat(&[]), (1, 0, 1), "git sees the file emptied");
    counts_follow_git(&repo, "a smudged entry, the file emptied");
}

/// HEAD's tree records `b.txt` with mode 100664, as old versions of git wrote it (git reads it
/// as 100644), and the index's cache-tree names the tree it was committed as: git counts no
/// change; the reference counts `b.txt` as staged (a mode change, 0 lines).
#[test]
fn a_legacy_mode_in_heads_tree_counts_as_git_does() {
    let repo = Repo::new();
    repo.write("b.txt", "b\n");
    repo.write("d/c.txt", "c\n");
    repo.commit_all("base");
    let listing = repo.git(&["ls-tree", "HEAD"]);
    let mut tree = Vec::new();
    for line in listing.lines() {
        let (meta, name) = line.split_once('\t').expect("mode type id\tname");
        let fields: Vec<&str> = meta.split(' ').collect();
        let mode = match (name, fields[0]) {
            ("b.txt", _) => "100664",
            (_, "040000") => "40000",
            (_, mode) => mode,
        };
        tree.extend(format!("{mode} {name}\0").bytes());
        let id = fields[2];
        tree.extend((0..20).map(|i| u8::from_str_radix(&id[2 * i..2 * i + 2], 16).expect("hex")));
    }
    let scratch = repo.root().join(".git/legacy-tree");
    std::fs::write(&scratch, tree).expect("write");
    let scratch = scratch.to_str().expect("utf-8");
    let id = repo.git(&["hash-object", "-t", "tree", "-w", "--literally", scratch]);
    let commit = repo.git(&["commit-tree", id.trim(), "-p", "HEAD", "-m", "legacy"]);
    repo.git(&["reset", "-q", "--soft", commit.trim()]);
    let raw = repo.git_output(&["cat-file", "tree", "HEAD^{tree}"]).stdout;
    assert!(
        raw.windows(12).any(|w| w == b"100664 b.txt"),
        "a legacy mode"
    );
    repo.write("d/c.txt", "c\nedited\n");
    counts_follow_git(&repo, "a legacy mode");
}
