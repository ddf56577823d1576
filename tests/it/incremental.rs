//! Live and incremental counting: re-counting only the changed paths gives exactly what a full
//! count gives, and the server follows changes on disk, in the index and in HEAD by itself.

use crate::support;

use std::collections::BTreeSet;

use commit_nudge::git::{self, Changed, CountOptions, RepoCounts};
use serde_json::json;
use support::lsp::{uri, Client};
use support::{sorted_rows as sorted, Repo, Rng};

fn assert_same(partial: &RepoCounts, full: &RepoCounts, context: &str) {
    assert_eq!(
        sorted(&partial.staged),
        sorted(&full.staged),
        "{context}: staged"
    );
    assert_eq!(
        sorted(&partial.unstaged),
        sorted(&full.unstaged),
        "{context}: unstaged"
    );
    assert_eq!(
        sorted(&partial.untracked),
        sorted(&full.untracked),
        "{context}: untracked"
    );
    assert_eq!(
        sorted(&partial.tracked_total),
        sorted(&full.tracked_total),
        "{context}: total"
    );
    assert_eq!(
        partial.oldest_change_unix, full.oldest_change_unix,
        "{context}: oldest change"
    );
}

/// Paths a pathspec would read as patterns (wildcards, brackets, a leading `!` or
/// space) and plain ones, in one directory and across many: a chain of re-counts, each on top of
/// the last (not of a full count), gives what a full count gives.
#[test]
fn recounting_odd_names_and_many_directories_equals_a_full_count() {
    let options = CountOptions {
        count_untracked: true,
        ..CountOptions::default()
    };
    let names = [
        "plain.txt",
        "star*.txt",
        "q?.txt",
        "[ab].txt",
        "a.txt",
        "b.txt",
        "qq.txt",
        "!bang.txt",
        " lead.txt",
        "trail .txt",
        "ünï.txt",
    ];
    let repo = Repo::new();
    for dir in 0..12 {
        for name in names {
            repo.write(&format!("d{dir}/{name}"), format!("{dir} {name}\n"));
        }
    }
    repo.commit_all("seed");
    let git = git::open(&repo.root()).unwrap();
    let mut previous = git.count(&options).unwrap();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut shortcuts = 0;
    for round in 0..40 {
        let mut touched = BTreeSet::new();
        // One directory (a seek per directory) or many (one exact list).
        let dirs = if round % 2 == 0 { 1 } else { 12 };
        for _ in 0..1 + rng.below(4) {
            let name = names[rng.below(names.len() as u64) as usize];
            let path = format!("d{}/{name}", rng.below(dirs));
            repo.write(&path, format!("round {round}\n{}\n", rng.below(1000)));
            touched.insert(path);
        }
        let context = format!("round {round} paths {touched:?}");
        let full = git.count(&options).unwrap();
        match git
            .recount(&previous, Changed::Paths(&touched), &options)
            .unwrap()
        {
            Some(partial) => {
                assert_same(&partial, &full, &context);
                shortcuts += 1;
                previous = partial;
            }
            None => previous = full,
        }
    }
    assert!(
        shortcuts > 30,
        "the shortcut was taken only {shortcuts} times"
    );
}

/// libgit2 reads a backslash in a path list as an escape, so a re-count limited to such a path
/// would miss it (and keep its old row beside the new one): it falls back to a full count.
#[test]
fn a_path_with_a_backslash_is_counted_in_full() {
    let options = CountOptions::default();
    let repo = Repo::new();
    for dir in 0..12 {
        repo.write(&format!("d{dir}/back\\slash.txt"), "one\n");
    }
    repo.commit_all("seed");
    let git = git::open(&repo.root()).unwrap();
    let previous = git.count(&options).unwrap();
    let mut touched = BTreeSet::new();
    for dir in [1, 3, 5, 7, 9, 11, 0, 2, 4] {
        let path = format!("d{dir}/back\\slash.txt");
        repo.write(&path, "two\n");
        touched.insert(path);
    }
    assert!(git
        .recount(&previous, Changed::Paths(&touched), &options)
        .unwrap()
        .is_none());
    let full = git.count(&options).unwrap();
    assert_eq!(full.unstaged.len(), 9);
}

#[test]
fn recounting_changed_paths_equals_a_full_count_over_random_edits() {
    let options = CountOptions {
        count_untracked: true,
        ..CountOptions::default()
    };
    let mut shortcuts = 0;
    for seed in 1..=25u64 {
        let mut rng = Rng(seed.wrapping_mul(0x2545_F491_4F6C_DD1D));
        let repo = Repo::new();
        for i in 0..12 {
            repo.write(
                &format!("d{}/f{i}.txt", i % 3),
                (0..20).map(|j| format!("{i} {j}\n")).collect::<String>(),
            );
        }
        repo.write(".gitignore", "*.log\n");
        repo.commit_all("seed");
        // Some staged state to keep the shortcut honest.
        repo.write("d0/f0.txt", "staged\n");
        repo.git(&["add", "d0/f0.txt"]);
        let git = git::open(&repo.root()).unwrap();
        let mut previous = git.count(&options).unwrap();
        for round in 0..6 {
            let mut touched = BTreeSet::new();
            for _ in 0..1 + rng.below(3) {
                let i = rng.below(14);
                let path = match i {
                    12 => format!("new{}.txt", rng.below(3)),
                    13 => "noise.log".to_string(),
                    _ => format!("d{}/f{i}.txt", i % 3),
                };
                let content: String = (0..rng.below(25))
                    .map(|j| format!("r{round} {j} {}\n", rng.below(4)))
                    .collect();
                repo.write(&path, content);
                touched.insert(path);
            }
            let context = format!("seed {seed} round {round} paths {touched:?}");
            let full = git.count(&options).unwrap();
            if let Some(partial) = git
                .recount(&previous, Changed::Paths(&touched), &options)
                .unwrap()
            {
                assert_same(&partial, &full, &context);
                shortcuts += 1;
            }
            previous = full;
        }
    }
    assert!(
        shortcuts > 100,
        "the shortcut was taken only {shortcuts} times"
    );
}

#[test]
fn recounting_after_git_commands_equals_a_full_count() {
    let options = CountOptions {
        count_untracked: true,
        stamp_index: true,
        ..CountOptions::default()
    };
    let mut shortcuts = 0;
    let mut declined = 0;
    for seed in 1..=12u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let repo = Repo::new();
        for i in 0..10 {
            repo.write(
                &format!("d{}/f{i}.txt", i % 3),
                (0..20).map(|j| format!("{i} {j}\n")).collect::<String>(),
            );
        }
        repo.commit_all("seed");
        // One repository kept open across rounds, as the workspace keeps it.
        let git = git::open(&repo.root()).unwrap();
        let mut previous = git.count(&options).unwrap();
        for round in 0..10 {
            let file = |rng: &mut Rng| format!("d{}/f{}.txt", rng.below(3), rng.below(12));
            let mut touched = BTreeSet::new();
            let write = |rng: &mut Rng, touched: &mut BTreeSet<String>| {
                let path = file(rng);
                let content: String = (0..rng.below(25))
                    .map(|j| format!("r{round} {j} {}\n", rng.below(4)))
                    .collect();
                repo.write(&path, content);
                touched.insert(path);
            };
            // Some edits in the working tree, then one git command.
            for _ in 0..rng.below(3) {
                write(&mut rng, &mut touched);
            }
            let exists = |p: &str| repo.path(p).is_file();
            let command = match rng.below(12) {
                0 => {
                    let path = file(&mut rng);
                    if exists(&path) {
                        repo.git(&["add", &path]);
                    }
                    format!("add {path}")
                }
                1 => {
                    repo.git(&["add", "-A"]);
                    "add -A".to_string()
                }
                2 => {
                    let _ = repo.git_output(&["commit", "-q", "-m", &format!("r{round}")]);
                    "commit".to_string()
                }
                3 => {
                    repo.git(&["reset", "-q"]);
                    "reset".to_string()
                }
                4 => {
                    let _ = repo.git_output(&["reset", "-q", "--soft", "HEAD~1"]);
                    "reset --soft HEAD~1".to_string()
                }
                5 => {
                    // Staged and then changed again: both sides differ.
                    write(&mut rng, &mut touched);
                    let path = touched.iter().next_back().cloned().unwrap_or_default();
                    repo.git(&["add", &path]);
                    write(&mut rng, &mut touched);
                    format!("add {path} between two writes")
                }
                6 => {
                    let path = file(&mut rng);
                    let _ = repo.git_output(&["update-index", "--chmod=+x", &path]);
                    format!("chmod +x {path} in the index")
                }
                7 => {
                    let path = file(&mut rng);
                    let _ = repo.git_output(&["rm", "-q", "--cached", &path]);
                    format!("rm --cached {path}")
                }
                8 => {
                    // A commit of one path only: the rest stays staged.
                    let path = file(&mut rng);
                    let _ = repo.git_output(&["commit", "-q", "-m", "one", "--", &path]);
                    format!("commit -- {path}")
                }
                9 => {
                    let _ = repo.git_output(&["commit", "-q", "--amend", "-m", "amended"]);
                    "commit --amend".to_string()
                }
                10 => {
                    let path = file(&mut rng);
                    let _ = repo.git_output(&["rm", "-q", &path]);
                    touched.insert(path.clone());
                    format!("rm {path}")
                }
                _ => {
                    let path = file(&mut rng);
                    let _ = repo.git_output(&["checkout", "-q", "--", &path]);
                    touched.insert(path.clone());
                    format!("checkout -- {path}")
                }
            };
            let context = format!("seed {seed} round {round}: {command}, wrote {touched:?}");
            let full = git::open(&repo.root()).unwrap().count(&options).unwrap();
            match git
                .recount(&previous, Changed::GitDir(&touched), &options)
                .unwrap()
            {
                Some(partial) => {
                    assert_same(&partial, &full, &context);
                    assert_eq!(partial.head, full.head, "{context}: head");
                    shortcuts += 1;
                    // The next round builds on the shortcut's own result, as the workspace does.
                    previous = partial;
                }
                None => {
                    declined += 1;
                    previous = full;
                }
            }
        }
    }
    assert!(
        shortcuts > 60 && declined > 0,
        "the shortcut was taken {shortcuts} times and declined {declined} times"
    );
}

#[test]
fn moving_head_without_touching_the_index_is_recounted_exactly() {
    let options = CountOptions {
        count_untracked: true,
        stamp_index: true,
        ..CountOptions::default()
    };
    let repo = Repo::new();
    for i in 0..6 {
        repo.write(&format!("d{i}/f.txt"), format!("{i}\n"));
    }
    repo.commit_all("first");
    repo.write("d1/f.txt", "1\nmore\n");
    repo.write("d4/f.txt", "changed\n");
    repo.commit_all("second");
    let git = git::open(&repo.root()).unwrap();
    let mut previous = git.count(&options).unwrap();
    // Each moves HEAD and leaves the index as it was (or nearly).
    for (what, args) in [
        (
            "reset --soft HEAD~1",
            &["reset", "-q", "--soft", "HEAD~1"][..],
        ),
        ("commit again", &["commit", "-q", "-m", "again"]),
        (
            "update-ref to the first commit",
            &["update-ref", "HEAD", "HEAD~1"],
        ),
        ("update-ref back", &["update-ref", "HEAD", "HEAD@{1}"]),
    ] {
        repo.git(args);
        let full = git::open(&repo.root()).unwrap().count(&options).unwrap();
        let partial = git
            .recount(&previous, Changed::GitDir(&BTreeSet::new()), &options)
            .unwrap()
            .unwrap_or_else(|| panic!("{what}: the shortcut declined"));
        assert_same(&partial, &full, what);
        if what.starts_with("reset") {
            // The second commit's two files are staged again.
            assert_eq!(full.staged.len(), 2, "{what}");
        }
        previous = partial;
    }
}

#[test]
fn the_shortcut_declines_when_exactness_needs_a_full_count() {
    let repo = Repo::new();
    repo.write("a.txt", "a\n");
    repo.write(
        "b.txt",
        (0..50).map(|i| format!("{i}\n")).collect::<String>(),
    );
    repo.commit_all("seed");
    let git = git::open(&repo.root()).unwrap();
    let options = CountOptions::default();
    let previous = git.count(&options).unwrap();
    // A deleted file may pair with an added one into a rename.
    std::fs::remove_file(repo.path("b.txt")).unwrap();
    assert!(git
        .recount(
            &previous,
            Changed::Paths(&["b.txt".to_string()].into()),
            &options
        )
        .unwrap()
        .is_none());
    // HEAD moved.
    repo.write(
        "b.txt",
        (0..50).map(|i| format!("{i}\n")).collect::<String>(),
    );
    repo.write("c.txt", "c\n");
    repo.commit_all("second");
    assert!(git
        .recount(
            &previous,
            Changed::Paths(&["a.txt".to_string()].into()),
            &options
        )
        .unwrap()
        .is_none());
}

fn started(repo: &Repo) -> Client {
    let mut client = Client::start();
    client.initialize(&uri(&repo.root()), json!({}));
    client
}

fn wait_total(client: &mut Client, what: &str, files: u64, added: u64) -> serde_json::Value {
    client.wait_for(what, |m| {
        m["method"] == "commitNudge/status"
            && m["params"]["total"]["files"] == files
            && m["params"]["total"]["added"] == added
    })
}

#[test]
fn the_server_follows_writes_checkouts_and_new_untracked_files_by_itself() {
    let repo = Repo::new();
    repo.write("a.txt", "a\n");
    repo.write(".gitignore", "build/\n");
    repo.commit_all("seed");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("feature.txt", "1\n2\n3\n");
    repo.commit_all("feature");
    repo.git(&["checkout", "-q", "main"]);
    let mut client = started(&repo);
    wait_total(&mut client, "the clean status", 0, 0);

    // A write by another program (no editor event).
    repo.write("a.txt", "a\nb\n");
    wait_total(&mut client, "the written line", 1, 1);
    // A new untracked file counts, and so does an edit in it.
    repo.write("notes.txt", "x\n");
    wait_total(&mut client, "the new file", 2, 2);
    repo.write("notes.txt", "x\ny\nz\n");
    wait_total(&mut client, "the edited new file", 2, 4);
    // Writes inside an ignored directory change nothing: the watcher reports changes in order,
    // so by the status of a later write every earlier one has been counted, and the only
    // status since is that write's.
    client.forget();
    repo.write("build/out.o", "ignored\n");
    repo.write("build/more/deep.o", "ignored\n");
    repo.write("a.txt", "a\nb\nc\n");
    wait_total(&mut client, "the write after the ignored ones", 2, 5);
    let changed: Vec<_> = client
        .seen
        .iter()
        .filter(|m| m["method"] == "commitNudge/status")
        .collect();
    assert!(
        changed.is_empty(),
        "ignored writes sent a status: {changed:?}"
    );
    repo.write("a.txt", "a\nb\n");
    wait_total(&mut client, "the written line again", 2, 4);
    // A checkout of another branch (with the edits carried over) changes the numbers.
    repo.git(&["stash", "-q", "-u"]);
    wait_total(&mut client, "clean after the stash", 0, 0);
    repo.git(&["checkout", "-q", "feature"]);
    let status = client.wait_for("the branch in the status", |m| {
        m["method"] == "commitNudge/status" && m["params"]["branch"] == "feature"
    });
    assert_eq!(status["params"]["total"]["files"], 0);
    repo.git(&["stash", "pop", "-q"]);
    wait_total(&mut client, "the stash popped on the feature branch", 2, 4);
    assert!(client.shutdown().success());
}

#[test]
fn the_watcher_spends_no_watch_on_ignored_trees_or_git_objects() {
    let repo = Repo::new();
    repo.write(".gitignore", "target/\nbuild/\n");
    repo.write("src/lib.rs", "// lib\n");
    repo.write("build/keep.txt", "tracked, though build/ is ignored\n");
    repo.git(&["add", "-f", "build/keep.txt"]);
    repo.commit_all("seed");
    for i in 0..30 {
        repo.write(&format!("target/debug/d{i}/x.o"), "object\n");
    }
    let root = repo.root();
    let relative = |dirs: Vec<std::path::PathBuf>| -> Vec<String> {
        let mut dirs: Vec<String> = dirs
            .iter()
            .map(|d| {
                d.strip_prefix(&root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        dirs.sort();
        dirs
    };
    let watched = relative(commit_nudge::workspace::watched_dirs(&root, false));
    // After the first count the same is known from the index stamp.
    assert_eq!(
        relative(commit_nudge::workspace::watched_dirs(&root, true)),
        watched
    );
    for wanted in ["", "src", "build", ".git", ".git/refs", ".git/refs/heads"] {
        assert!(
            watched.contains(&wanted.to_string()),
            "{wanted:?} in {watched:?}"
        );
    }
    for unwanted in ["target", ".git/objects", ".git/logs", ".git/hooks"] {
        assert!(
            !watched
                .iter()
                .any(|w| w == unwanted || w.starts_with(&format!("{unwanted}/"))),
            "{unwanted:?} in {watched:?}"
        );
    }
}

#[test]
fn the_server_follows_new_directories_and_tracked_files_in_ignored_ones() {
    let repo = Repo::new();
    repo.write(".gitignore", "build/\n");
    repo.write("a.txt", "a\n");
    repo.write("build/keep.txt", "k\n");
    repo.git(&["add", "-f", "build/keep.txt"]);
    repo.commit_all("seed");
    let mut client = started(&repo);
    wait_total(&mut client, "the clean status", 0, 0);

    // A tracked file inside an ignored directory is watched all the same.
    repo.write("build/keep.txt", "k\nk2\n");
    wait_total(&mut client, "the tracked file in build/", 1, 1);
    // A new directory tree: its file counts, and so does a later write in it, which only a
    // watch on the new directory can see.
    repo.write("new/deep/er/f.txt", "1\n");
    wait_total(&mut client, "the file in the new directory", 2, 2);
    std::thread::sleep(std::time::Duration::from_millis(300));
    repo.write("new/deep/er/f.txt", "1\n2\n3\n");
    wait_total(&mut client, "the later write in the new directory", 2, 4);
    // A directory moved in from outside the worktree is watched where it lands.
    let outside = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(outside.path().join("moved/in")).unwrap();
    std::fs::write(outside.path().join("moved/in/g.txt"), "g\n").unwrap();
    std::fs::rename(outside.path().join("moved"), repo.path("moved")).unwrap();
    wait_total(&mut client, "the moved-in directory", 3, 5);
    std::thread::sleep(std::time::Duration::from_millis(300));
    repo.write("moved/in/g.txt", "g\ng\n");
    wait_total(&mut client, "a write in the moved-in directory", 3, 6);
    assert!(client.shutdown().success());
}

/// How many inotify watches the process holds (Linux: one `inotify wd:` line each in fdinfo).
fn inotify_watches(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fdinfo"))
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                .map(|info| {
                    info.lines()
                        .filter(|l| l.starts_with("inotify wd:"))
                        .count()
                })
                .sum()
        })
        .unwrap_or(0)
}

#[test]
fn a_folder_removed_from_the_workspace_is_no_longer_watched() {
    let repo = Repo::new();
    repo.write("src/a.txt", "a\n");
    repo.commit_all("seed");
    let mut client = started(&repo);
    wait_total(&mut client, "the clean status", 0, 0);
    let pid = client.pid();
    let watching = inotify_watches(pid);
    // The root, src, .git and its refs at least.
    assert!(watching >= 4, "{watching} watches");
    client.notify(
        "workspace/didChangeWorkspaceFolders",
        json!({"event": {"added": [], "removed": [{"uri": uri(&repo.root()), "name": "r"}]}}),
    );
    let started = std::time::Instant::now();
    while inotify_watches(pid) > 0 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "still {} watches after the folder went",
            inotify_watches(pid)
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(client.shutdown().success());
}
