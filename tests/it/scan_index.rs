//! The count by scan against the count by whole-tree diffs (and git) where the index and the
//! files' stat data matter: racy writes, stale stat data, the cache-tree in each state, index
//! versions and extensions, indexes written by libgit2. Two cases at the end are compared with
//! git alone: there the scan gives git's numbers and the reference does not.

use crate::scan_support;
use crate::support;

use scan_support::{
    base, check, check_counted, check_follows_git, has_extension, index_version, new_repo, plain,
    with_changes, without_hash, Setup,
};
use support::Repo;

/// Sets the modification time of `rel`, to the nanosecond.
fn set_mtime(repo: &Repo, rel: &str, time: std::time::SystemTime) {
    std::fs::File::options()
        .write(true)
        .open(repo.path(rel))
        .and_then(|file| file.set_modified(time))
        .expect("set the mtime");
}

fn mtime(repo: &Repo, rel: &str) -> std::time::SystemTime {
    repo.path(rel)
        .metadata()
        .and_then(|m| m.modified())
        .expect("mtime")
}

/// Racy git: a file rewritten with the same size right after `git add`, its mtime set back to
/// the exact one the index recorded, matches its stat data (all of it with
/// `core.trustctime=false`) and still differs. git sees it through its racy check; so must the
/// scan. The mtime is the one the file had (the brief moment before the index was written), or
/// one in the future, which makes the entry racy whatever the clock. (The first with
/// `core.trustctime=false` the reference misses: see
/// `a_racy_rewrite_with_trustctime_off_is_seen_as_git_sees_it`.)
#[test]
fn a_racy_rewrite_of_the_same_size_is_seen() {
    use std::time::{Duration, SystemTime};
    for (trust_ctime, future) in [(true, false), (true, true), (false, true)] {
        let context = format!("trustctime {trust_ctime}, mtime in the future {future}");
        let repo = new_repo();
        repo.git(&["config", "core.trustctime", &trust_ctime.to_string()]);
        repo.write("a/b/racy.txt", "one\n");
        repo.write("a/other.txt", "other\n");
        repo.commit_all("base");
        repo.write("a/b/racy.txt", "two\n");
        if future {
            set_mtime(
                &repo,
                "a/b/racy.txt",
                SystemTime::now() + Duration::from_secs(90),
            );
        }
        let recorded = mtime(&repo, "a/b/racy.txt");
        repo.git(&["add", "a/b/racy.txt"]);
        repo.write("a/b/racy.txt", "six\n");
        set_mtime(&repo, "a/b/racy.txt", recorded);
        assert_eq!(repo.numstat(&[]), (1, 1, 1), "{context}: git sees it");
        check_counted(&repo, &plain(), &context);

        // git smudges the entry (size 0) when it next writes the index while the entry is
        // racy; then the content goes back to what the index holds: nothing is unstaged.
        if future {
            repo.write("a/other.txt", "other\nmore\n");
            repo.git(&["add", "a/other.txt"]);
            let entry = repo.git(&["ls-files", "--debug", "a/b/racy.txt"]);
            assert!(entry.contains("size: 0\t"), "{context}: smudged\n{entry}");
            repo.write("a/b/racy.txt", "two\n");
            set_mtime(&repo, "a/b/racy.txt", recorded);
            assert_eq!(
                repo.numstat(&[]),
                (0, 0, 0),
                "{context}: git sees no change"
            );
            check_counted(&repo, &plain(), &format!("{context}, smudged"));
        }
    }
}

/// `git update-index --assume-unchanged f`, then an edit of `f`: git trusts the flag and counts
/// nothing for `f` (nor does the reference); neither may the scan, whichever way it reads the
/// file (directly, with no line-ending setting anywhere, or through libgit2).
#[test]
fn an_assume_unchanged_file_is_trusted_as_git_trusts_it() {
    for autocrlf in [None, Some("false")] {
        let repo = new_repo();
        if let Some(value) = autocrlf {
            repo.git(&["config", "core.autocrlf", value]);
        }
        repo.write("d/f.txt", "one\ntwo\n");
        repo.write("d/g.txt", "g\n");
        repo.commit_all("base");
        repo.git(&["update-index", "--assume-unchanged", "d/f.txt"]);
        repo.write("d/f.txt", "one\n2\nthree\n");
        repo.write("d/g.txt", "g\nedited\n");
        assert_eq!(repo.numstat(&[]), (1, 1, 0), "git counts d/g.txt alone");
        check(
            &repo,
            &plain(),
            &format!("assume-unchanged, core.autocrlf {autocrlf:?}"),
        );
    }
}

/// Another file of the same size and mtime put in place by a rename (a new inode), with
/// `core.trustctime=false`: git sees the new inode and reads the file.
#[test]
fn a_file_replaced_with_the_same_size_and_mtime_is_seen() {
    use std::time::{Duration, SystemTime};
    let repo = new_repo();
    repo.git(&["config", "core.trustctime", "false"]);
    repo.write("d/f.txt", "one\n");
    let old = SystemTime::now() - Duration::from_secs(3600);
    set_mtime(&repo, "d/f.txt", old);
    repo.commit_all("base");
    repo.write("d/f.tmp", "two\n");
    set_mtime(&repo, "d/f.tmp", old);
    std::fs::rename(repo.path("d/f.tmp"), repo.path("d/f.txt")).expect("rename");
    assert_eq!(repo.numstat(&[]), (1, 1, 1), "git sees it");
    check_counted(&repo, &plain(), "same size and mtime, new inode");
}

/// Stale stat data: every file touched or rewritten unchanged counts nothing; after
/// `git update-index --refresh` too. Real changes among them still count.
#[test]
fn stale_stat_data_counts_no_change() {
    use std::time::{Duration, SystemTime};
    let repo = base(false);
    let files = repo.git(&["ls-files", "-z"]);
    let files: Vec<&str> = files.split('\0').filter(|f| !f.is_empty()).collect();
    let later = SystemTime::now() + Duration::from_secs(5);
    for (i, file) in files.iter().enumerate() {
        if repo
            .path(file)
            .symlink_metadata()
            .is_ok_and(|m| m.is_file())
        {
            if i % 2 == 0 {
                set_mtime(&repo, file, later);
            } else {
                repo.write(file, repo.read(file));
            }
        }
    }
    check_counted(&repo, &plain(), "every file touched");
    repo.git(&["update-index", "-q", "--refresh"]);
    check_counted(&repo, &plain(), "after update-index --refresh");
    repo.write("a/c/d/e/f/g.txt", "real change\n");
    set_mtime(&repo, "a-b", later + Duration::from_secs(5));
    check_counted(&repo, &plain(), "one real change among touched files");
}

/// HEAD and the index differ under directories whose cache-tree entries are valid, invalid,
/// missing, or valid for a tree other than HEAD's.
#[test]
fn head_and_index_compare_whatever_the_cache_tree_holds() {
    let scenarios: &[(&str, &Setup)] = &[
        ("after a commit", &|_| {}),
        ("git add in a deep directory", &|r| {
            r.write("a/c/d/e/f/g.txt", "staged\n");
            r.git(&["add", "a/c/d/e/f/g.txt"]);
        }),
        ("git read-tree HEAD after staging", &|r| {
            r.write("a/c/d.txt", "staged\n");
            r.git(&["add", "-A"]);
            r.git(&["read-tree", "HEAD"]);
        }),
        ("git reset --soft HEAD~1", &|r| r.git_reset_soft()),
        ("git read-tree HEAD~1 (HEAD kept)", &|r| {
            r.second_commit();
            r.git(&["read-tree", "HEAD~1"]);
        }),
        ("git rm -r --cached a directory", &|r| {
            r.git(&["rm", "-r", "-q", "--cached", "a/c"]);
        }),
        ("a file replaced by a directory in the index", &|r| {
            r.git(&["rm", "-q", "--cached", "a0"]);
            std::fs::remove_file(r.path("a0")).expect("rm");
            r.write("a0/x", "now a directory\n");
            r.git(&["add", "a0/x"]);
        }),
        ("a directory replaced by a file in the index", &|r| {
            r.git(&["rm", "-r", "-q", "--cached", "z/y"]);
            std::fs::remove_dir_all(r.path("z/y")).expect("rm -r");
            r.write("z/y", "now a file\n");
            r.git(&["add", "z/y"]);
        }),
        ("an index written by libgit2 without a cache-tree", &|r| {
            r.write("b/x.txt", "staged\n");
            r.git(&["add", "b/x.txt"]);
            without_cache_tree(r);
        }),
        ("git checkout HEAD~1 -- a directory", &|r| {
            r.second_commit();
            r.git(&["checkout", "HEAD~1", "--", "a/c"]);
        }),
        ("a commit of one path, the rest staged", &|r| {
            r.write("a/b", "staged\n");
            r.write("z/y/x/w.txt", "committed\n");
            r.git(&["add", "a/b"]);
            r.git(&["commit", "-q", "-m", "one", "--", "z/y/x/w.txt"]);
        }),
        ("git reset --soft to an unrelated commit", &|r| {
            r.git(&["checkout", "-q", "--orphan", "other"]);
            r.git(&["rm", "-r", "-q", "--cached", "."]);
            r.write("a/c/d.txt", "other history\n");
            r.git(&["add", "a/c/d.txt"]);
            r.git(&["commit", "-q", "-m", "other"]);
            r.git(&["checkout", "-q", "-f", "main"]);
            r.git(&["reset", "-q", "--soft", "other"]);
        }),
        (
            "an unborn branch over a full index (checkout --orphan)",
            &|r| {
                r.git(&["checkout", "-q", "--orphan", "fresh"]);
            },
        ),
    ];
    for (name, scenario) in scenarios {
        let repo = base(false);
        scenario(&repo);
        repo.write("a/c/d/e.txt", "and an unstaged edit\n");
        check_counted(&repo, &plain(), name);
    }
}

/// Rewrites the index through libgit2 from its own entries: no cache-tree extension at all.
fn without_cache_tree(repo: &Repo) {
    let git = git2::Repository::open(repo.root()).expect("open");
    let mut index = git.index().expect("index");
    let entries: Vec<git2::IndexEntry> = index.iter().collect();
    index.clear().expect("clear");
    for entry in &entries {
        index.add(entry).expect("add");
    }
    index.write().expect("write");
    assert!(
        !repo.index_bytes().windows(4).any(|w| w == b"TREE"),
        "no cache-tree is left"
    );
}

trait History {
    fn second_commit(&self);
    fn git_reset_soft(&self);
}

impl History for Repo {
    /// A second commit changing files in deep directories.
    fn second_commit(&self) {
        self.write("a/c/d/e/f/g.txt", "second\n");
        self.write("a/c/d-e/f", "second\n");
        self.write("z/y/x/w.txt", "second\n");
        self.git(&["rm", "-q", "a/b-c/x"]);
        self.commit_all("second");
    }

    fn git_reset_soft(&self) {
        self.second_commit();
        self.git(&["reset", "-q", "--soft", "HEAD~1"]);
    }
}

/// Index versions 2 and 4 (path prefix compression), a hash-less index, the untracked cache,
/// the end-of-index and offset-table extensions, resolve-undo: each read and counted. (git
/// writes version 3 only for entries with extended flags, which the scan may decline: see
/// `odd_repositories_are_declined_or_counted_exactly`.)
#[test]
fn every_index_format_and_extension_counts_as_the_reference() {
    type Expect = dyn Fn(&Repo) -> bool;
    let formats: &[(&str, &Setup, &Expect)] = &[
        (
            "version 2",
            &|r| {
                r.git(&["update-index", "--index-version", "2"]);
            },
            &|r| index_version(r) == 2,
        ),
        (
            "version 4",
            &|r| {
                r.git(&["update-index", "--index-version", "4"]);
            },
            &|r| index_version(r) == 4,
        ),
        (
            "index.skipHash",
            &|r| {
                r.write("a-b/x.txt", "skip hash\n");
                r.git(&["-c", "index.skipHash=true", "add", "a-b/x.txt"]);
            },
            &without_hash,
        ),
        (
            "feature.manyFiles (untracked cache, no hash)",
            &|r| {
                r.git(&["config", "feature.manyFiles", "true"]);
                r.git(&["config", "core.untrackedCache", "true"]);
                r.git(&["add", "a/b.txt"]);
                r.git(&["status", "--short"]);
            },
            &|r| has_extension(r, b"UNTR") && without_hash(r),
        ),
        (
            "end-of-index entry and offset table, version 4",
            &|r| {
                r.git(&["config", "index.recordEndOfIndexEntries", "true"]);
                r.git(&["config", "index.recordOffsetTable", "true"]);
                r.git(&["config", "index.threads", "2"]);
                r.git(&["update-index", "--index-version", "4"]);
                r.git(&["add", "a/b.txt"]);
            },
            &|r| has_extension(r, b"EOIE") && has_extension(r, b"IEOT"),
        ),
        (
            "resolve-undo after a resolved conflict",
            &|r| {
                r.commit_all("all");
                r.conflict("a/b.txt");
                r.write("a/b.txt", "resolved\n");
                r.git(&["add", "a/b.txt"]);
                r.write("a/b/c.txt", "after the merge\n");
            },
            &|r| has_extension(r, b"REUC"),
        ),
    ];
    for (name, setup, expect) in formats {
        let repo = with_changes();
        setup(&repo);
        assert!(
            expect(&repo),
            "{name}: the index is not what the case is about"
        );
        check_counted(&repo, &plain(), name);
    }
}

/// Times the index cannot hold in 32 bits (after 2106, before 1970) and far in the future:
/// stored truncated, compared truncated, and a same-size replacement (a new inode, the same
/// mtime) under them is still seen.
#[test]
fn timestamps_outside_32_bits_compare_as_git_compares_them() {
    use std::time::{Duration, UNIX_EPOCH};
    let times = [
        (
            "after 2106",
            UNIX_EPOCH + Duration::from_secs(u64::from(u32::MAX) + 1000),
        ),
        ("before 1970", UNIX_EPOCH - Duration::from_secs(86_400)),
        ("in 2100", UNIX_EPOCH + Duration::from_secs(4_102_444_800)),
    ];
    let repo = new_repo();
    for (i, (_, time)) in times.iter().enumerate() {
        repo.write(&format!("t/{i}.txt"), "same\n");
        set_mtime(&repo, &format!("t/{i}.txt"), *time);
    }
    repo.commit_all("odd times");
    check_counted(&repo, &plain(), "committed");
    for (i, (name, time)) in times.iter().enumerate() {
        let file = format!("t/{i}.txt");
        repo.write("t/new", "diff\n");
        set_mtime(&repo, "t/new", *time);
        std::fs::rename(repo.path("t/new"), repo.path(&file)).expect("rename");
        assert_eq!(
            repo.numstat(&["--", &file]),
            (1, 1, 1),
            "{name}: git sees it"
        );
        check_counted(&repo, &plain(), name);
    }
}

/// Indexes written by libgit2 (as other tools and commit-nudge's own staging write them): with
/// the cache-tree libgit2 keeps (primed by `read_tree`, invalidated path by path) or none.
#[test]
fn indexes_written_by_libgit2_count_as_the_reference() {
    type Write = dyn Fn(&Repo, &git2::Repository, &mut git2::Index);
    let writes: &[(&str, &Write)] = &[
        ("add_path in a deep directory", &|r, _, index| {
            r.write("a/c/d/e/f/g.txt", "added by libgit2\n");
            index
                .add_path(std::path::Path::new("a/c/d/e/f/g.txt"))
                .expect("add");
        }),
        ("remove_path", &|_, _, index| {
            index
                .remove_path(std::path::Path::new("a/c/d.txt"))
                .expect("remove");
        }),
        ("remove_dir", &|_, _, index| {
            index
                .remove_dir(std::path::Path::new("a/c"), 0)
                .expect("remove_dir");
        }),
        ("add_all after edits", &|r, _, index| {
            r.write("z/y/x/w.txt", "edited\n");
            r.write("new/deep/n.txt", "new\n");
            index
                .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
                .expect("add_all");
        }),
        ("update_all after a deletion", &|r, _, index| {
            std::fs::remove_file(r.path("b/x.txt")).expect("rm");
            index.update_all(["*"], None).expect("update_all");
        }),
        ("read_tree of HEAD~1", &|r, git, index| {
            r.second_commit();
            let old = git.revparse_single("HEAD~1").expect("HEAD~1");
            index.read(true).expect("read");
            index
                .read_tree(&old.peel_to_tree().expect("tree"))
                .expect("read_tree");
        }),
    ];
    for (name, write) in writes {
        let repo = base(false);
        let git = git2::Repository::open(repo.root()).expect("open");
        let mut index = git.index().expect("index");
        write(&repo, &git, &mut index);
        index.write().expect("write");
        repo.write("a/b0", "and an unstaged edit\n");
        check_counted(&repo, &plain(), name);
    }

    let repo = base(false);
    let opened = commit_nudge::git::open(&repo.root()).expect("open");
    repo.write("a/c/d/e.txt", "staged by commit-nudge\n");
    opened.stage_file("a/c/d/e.txt", None).expect("stage");
    check_counted(&repo, &plain(), "stage_file");
    repo.write("a/c/d/e.txt", "staged by commit-nudge, then edited\n");
    opened
        .stage_file("z/y/x.txt", Some(b"from a buffer\n"))
        .expect("stage");
    check_counted(&repo, &plain(), "stage_file of a buffer");
    opened.unstage_file("a/c/d/e.txt").expect("unstage");
    check_counted(&repo, &plain(), "unstage_file");
}

/// With `core.trustctime=false`, a file rewritten (same size) right after `git add` with its
/// mtime set back to the exact one recorded: git compares the racy mtime in whole seconds and
/// reads the file, and so does the scan; the reference (libgit2) compares nanoseconds, finds the
/// entry older than the index and trusts the stat data, so it is compared with git here, not
/// with the reference. (git sees the change only when `git add` ran within the second the
/// file was written: the setup is made again, up to five times, until it does.)
#[test]
fn a_racy_rewrite_with_trustctime_off_is_seen_as_git_sees_it() {
    for _ in 0..5 {
        let repo = new_repo();
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
            check_follows_git(&repo, &plain(), "a racy rewrite, trustctime=false");
            return;
        }
    }
    panic!("git never saw the racy rewrite: the setup is wrong");
}

/// HEAD's tree records `b.txt` with mode 100664, as old versions of git wrote it (git reads it
/// as 100644), and the index's cache-tree names the tree it was committed as: git counts no
/// change, nor does the scan; the reference counts `b.txt` as staged (a mode change, 0 lines),
/// so it is compared with git here, not with the reference.
#[test]
fn a_legacy_mode_in_heads_tree_counts_as_git_does() {
    let repo = new_repo();
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
    check_follows_git(&repo, &plain(), "a legacy mode in HEAD's tree");
}
