//! The index file reader against libgit2's and git's own reading.

use super::*;
use std::path::Path;

// The one test harness's git (isolated from the developer's configuration).
use crate::test_repo as repo;
use repo::git_in as git_out;

fn git(dir: &Path, args: &[&str]) {
    git_out(dir, args);
}

/// Every entry as libgit2 reads it equals ours, for each index version, with a cache-tree
/// that is valid where git left it valid.
#[test]
fn entries_equal_libgit2s_in_every_version() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    git(root, &["init", "-q"]);
    let names = [
        "a.b",
        "a-b",
        "a0",
        "a/b",
        "a/c/d.txt",
        "deep/er/and/deeper/file",
        "ü nicode.txt",
        &format!("{}/f", "l".repeat(200)),
        &format!("{}f", "m/".repeat(900)),
    ];
    for name in names {
        let path = root.join(name);
        if path.exists() {
            continue;
        }
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, format!("{name}\n")).unwrap();
    }
    git(root, &["add", "."]);
    git(
        root,
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "-qm",
            "seed",
        ],
    );
    std::fs::write(root.join("deep/er/new"), "new\n").unwrap();
    git(root, &["add", "-N", "deep/er/new"]);
    for version in ["2", "3", "4"] {
        git(root, &["update-index", "--index-version", version]);
        let ours = IndexFile::read(&root.join(".git/index")).expect("read");
        // An intent-to-add entry has extended flags, which need version 3 at least.
        let expected = if version == "2" { "3" } else { version };
        assert_eq!(ours.version.to_string(), expected);
        let repo = git2::Repository::open(root).unwrap();
        let theirs = repo.index().unwrap();
        assert_eq!(ours.entries.len(), theirs.len());
        for (mine, their) in ours.entries.iter().zip(theirs.iter()) {
            let mine_git2 = ours.git2_entry(mine);
            assert_eq!(mine_git2.path, their.path);
            assert_eq!(mine_git2.id, their.id);
            assert_eq!(
                (mine.mode, mine.size, mine.ino, mine.mtime.0, mine.mtime.1),
                (
                    their.mode,
                    their.file_size,
                    their.ino,
                    their.mtime.seconds() as u32,
                    their.mtime.nanoseconds()
                )
            );
            assert_eq!(
                mine.flags_extended & EXT_INTENT_TO_ADD,
                their.flags_extended & EXT_INTENT_TO_ADD
            );
        }
        assert!(ours.intent_to_add, "git add -N is seen");
        let tree = ours.cache_tree.as_ref().expect("a cache-tree");
        let root = tree.root().expect("a root");
        assert!(
            root.valid().is_none(),
            "the root is invalidated by the new entry"
        );
        let a = root.child(b"a").expect("a/ in the cache-tree");
        assert!(root.child(b"nothing").is_none());
        let head_a = repo
            .head()
            .unwrap()
            .peel_to_tree()
            .unwrap()
            .get_name("a")
            .unwrap()
            .id();
        assert_eq!(
            a.valid().map(|(_, id)| id),
            Some(*head_a.as_bytes().first_chunk().unwrap())
        );
        assert_eq!(
            ours.find(b"a/c/d.txt").map(|e| ours.path(e)),
            Some(&b"a/c/d.txt"[..])
        );
        assert_eq!(ours.range_below(b"a/").len(), 2);
    }
}

/// `git ls-files -s` of our reading: mode, id, stage and path of each entry.
fn ls_files(index: &IndexFile) -> String {
    index
        .entries
        .iter()
        .map(|e| {
            let id: String = e.oid.iter().map(|b| format!("{b:02x}")).collect();
            let path = String::from_utf8_lossy(index.path(e));
            format!("{:06o} {id} {}\t{path}\n", e.mode, e.stage())
        })
        .collect()
}

/// A split index, in each version, after changes that replace, delete and add shared entries:
/// merged with its shared index, every entry equals what libgit2 reads of the same index
/// written whole by git, and what `git ls-files -s` lists.
#[test]
fn a_split_index_is_merged_with_its_shared_index_in_every_version() {
    for version in ["2", "3", "4"] {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        git(root, &["init", "-q"]);
        for name in ["a", "b/c", "b/d", "e", "f/g/h", "z"] {
            std::fs::create_dir_all(root.join(name).parent().unwrap()).unwrap();
            std::fs::write(root.join(name), format!("{name}\n")).unwrap();
        }
        git(root, &["add", "."]);
        git(root, &["update-index", "--index-version", version]);
        git(
            root,
            &[
                "-c",
                "splitIndex.maxPercentChange=100",
                "update-index",
                "--split-index",
            ],
        );
        std::fs::write(root.join("b/c"), "changed\n").unwrap();
        std::fs::write(root.join("b/new"), "new\n").unwrap();
        std::fs::write(root.join("0first"), "first\n").unwrap();
        let split = [
            "-c",
            "splitIndex.maxPercentChange=100",
            "-c",
            "core.splitIndex=true",
        ];
        git(
            root,
            &[&split[..], &["add", "b/c", "b/new", "0first"]].concat(),
        );
        git(root, &[&split[..], &["rm", "-q", "--cached", "e"]].concat());
        git(
            root,
            &[&split[..], &["update-index", "--chmod=+x", "z"]].concat(),
        );
        let ours = IndexFile::read(&root.join(".git/index")).expect("reads a split index");
        assert!(
            ours.link.is_some(),
            "version {version}: git kept the index split"
        );
        let link = ours.link.clone().unwrap();
        assert!(
            !link.delete.is_empty() && !link.replace.is_empty(),
            "version {version}: {link:?}"
        );
        assert_eq!(
            ls_files(&ours),
            git_out(root, &["ls-files", "-s"]),
            "version {version}"
        );
        // The same entries, written whole by git, read by libgit2.
        git(root, &["update-index", "--no-split-index"]);
        let whole = git2::Index::open(&root.join(".git/index")).unwrap();
        let theirs: Vec<Entry> = whole.iter().map(|e| from_git2(&e)).collect();
        let strip = |e: &Entry| Entry {
            flags: e.flags & !0xFFF & !FLAG_EXTENDED,
            flags_extended: e.flags_extended & EXTENDED_FLAGS,
            path_at: 0,
            path_len: 0,
            ..*e
        };
        assert_eq!(
            ours.entries.iter().map(strip).collect::<Vec<_>>(),
            theirs.iter().map(strip).collect::<Vec<_>>(),
            "version {version}"
        );
    }
}

/// A sparse index keeps its sparse directory entries as they are: one entry a directory, with
/// the tree's id, as `git ls-files -s --sparse` lists them.
#[test]
fn a_sparse_index_keeps_its_directory_entries() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    git(root, &["init", "-q"]);
    for name in ["a", "in/b", "out/c", "out/deep/d", "out2/e"] {
        std::fs::create_dir_all(root.join(name).parent().unwrap()).unwrap();
        std::fs::write(root.join(name), format!("{name}\n")).unwrap();
    }
    git(root, &["add", "."]);
    git(
        root,
        &[
            "-c",
            "user.name=a",
            "-c",
            "user.email=a@b",
            "commit",
            "-qm",
            "1",
        ],
    );
    git(root, &["config", "index.sparse", "true"]);
    git(root, &["sparse-checkout", "set", "--cone", "in"]);
    let ours = IndexFile::read(&root.join(".git/index")).expect("reads a sparse index");
    assert!(ours.sparse);
    assert_eq!(
        ls_files(&ours),
        git_out(root, &["ls-files", "-s", "--sparse"])
    );
    let out = ours.find(b"out/").expect("a sparse directory entry");
    assert!(out.is_sparse_dir() && out.flags_extended & EXT_SKIP_WORKTREE != 0);
    assert_eq!(
        ours.sparse_dir_holding(b"out/deep/d").map(|e| ours.path(e)),
        Some(&b"out/"[..])
    );
    assert!(ours.sparse_dir_holding(b"in/b").is_none());
}

#[test]
fn garbage_is_malformed_and_no_index_is_empty() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    git(root, &["init", "-q"]);
    std::fs::write(root.join(".git/index"), b"DIRC\0\0\0\x02\0\0\0\x05short").unwrap();
    assert!(matches!(
        IndexFile::read(&root.join(".git/index")),
        Err(IndexFileError::Malformed(_))
    ));
    std::fs::remove_file(root.join(".git/index")).unwrap();
    assert!(IndexFile::read(&root.join(".git/index"))
        .unwrap()
        .entries
        .is_empty());
}

/// An index of 30,000 entries (three megabytes, so entries are cut by the buffer's end), read
/// in each version: every entry equals libgit2's, and each can be read again at its offset.
#[test]
fn a_large_index_is_read_across_buffer_ends_and_entries_are_found_at_their_offsets() {
    use std::io::Write;
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    git(root, &["init", "-q"]);
    let blob = "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391";
    let mut lines = String::new();
    for i in 0..30_000u32 {
        // Paths of many lengths, sharing prefixes of many lengths (version 4 strips them).
        let depth = i % 5;
        let mut path = String::new();
        for level in 0..depth {
            path.push_str(&format!(
                "d{}{}/",
                level,
                "x".repeat((i as usize * 7 + level as usize) % 23)
            ));
        }
        path.push_str(&format!("f{i:05}{}", "y".repeat((i as usize * 13) % 61)));
        lines.push_str(&format!("100644 {blob}\t{path}\n"));
    }
    let mut child = repo::git_command(root, Path::new("/dev/null"))
        .args(["update-index", "--index-info"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("git runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(lines.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
    for version in ["2", "4", "3"] {
        git(root, &["update-index", "--index-version", version]);
        let index_path = root.join(".git/index");
        let repo = git2::Repository::open(root).unwrap();
        let theirs = repo.index().unwrap();
        let mut seen = Vec::new();
        let end = stream(&index_path, |entry, path, offset| {
            seen.push((*entry, path.to_vec(), offset));
            true
        })
        .expect("read");
        assert_eq!(seen.len(), theirs.len(), "version {version}");
        for ((entry, path, _), their) in seen.iter().zip(theirs.iter()) {
            assert_eq!(path, &their.path, "version {version}");
            assert_eq!(&entry.oid, their.id.as_bytes());
        }
        for (entry, path, offset) in seen.iter().step_by(997) {
            let again = entry_at(&index_path, end.file, end.version, *offset, path).expect("read");
            assert_eq!(again.as_ref(), Some(entry), "version {version} at {offset}");
            let wrong = entry_at(&index_path, end.file, end.version, *offset, b"not/this");
            assert!(matches!(wrong, Ok(None)));
        }
        let whole = IndexFile::read(&index_path).expect("read");
        assert_eq!(whole.entries.len(), 30_000);
        assert_eq!(
            whole.path(&whole.entries[29_999]),
            seen[29_999].1.as_slice()
        );
    }
}
