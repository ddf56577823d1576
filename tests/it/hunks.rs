//! Staging and unstaging hunks, checked against git itself: staging hunk k gives exactly the
//! index that `git apply --cached` of git's own hunk k gives, and the working tree never changes.
//! Through the front door (`git::open` → `Repo`), the way the engine stages.

use crate::support;

use commit_nudge::git::{self, GitError, HunkTarget, LineSelection};
use support::{git_hunk_patches, headers, three_hunks, Repo, Rng};

/// A random edit of `lines`: inserts, deletions and replacements of short blocks.
fn random_edit(rng: &mut Rng, lines: &[String]) -> Vec<String> {
    let mut out = lines.to_vec();
    for _ in 0..1 + rng.below(5) {
        let at = rng.below(out.len() as u64 + 1) as usize;
        let span = (1 + rng.below(3) as usize).min(out.len().saturating_sub(at));
        match rng.below(3) {
            0 => {
                for i in 0..1 + rng.below(3) {
                    out.insert(at, format!("inserted {} {i}", rng.next() % 1000));
                }
            }
            1 if span > 0 => {
                out.drain(at..at + span);
            }
            _ => {
                for line in out.iter_mut().skip(at).take(span) {
                    *line = format!("replaced {}", rng.next() % 1000);
                }
            }
        }
    }
    out
}

fn join(lines: &[String], trailing_newline: bool) -> String {
    let mut text = lines.join("\n");
    if trailing_newline && !lines.is_empty() {
        text.push('\n');
    }
    text
}

#[test]
fn staging_hunk_k_equals_git_apply_cached_of_that_hunk_over_many_random_edits() {
    let mut checked = 0;
    for seed in 1..=60u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let repo = Repo::new();
        let base: Vec<String> = (0..10 + rng.below(40))
            .map(|i| format!("line {i}"))
            .collect();
        let base_newline = rng.below(4) != 0;
        repo.write("f.txt", join(&base, base_newline));
        repo.commit_all("base");
        let edited = random_edit(&mut rng, &base);
        let edited_newline = if rng.below(4) == 0 {
            !base_newline
        } else {
            base_newline
        };
        let worktree = join(&edited, edited_newline);
        repo.write("f.txt", &worktree);

        let git_hunks = git_hunk_patches(&repo, "f.txt");
        let ours = git::open(&repo.root())
            .unwrap()
            .file_hunks("f.txt", None)
            .unwrap();
        let (our_headers, git_headers) = headers(&ours.unstaged, &git_hunks);
        assert_eq!(
            our_headers, git_headers,
            "seed {seed}: the same hunks as git diff -U0"
        );

        let pristine = repo.git(&["ls-files", "--stage"]);
        for (k, (_, patch)) in git_hunks.iter().enumerate() {
            // git's answer.
            std::fs::write(repo.path("hunk.patch"), patch).unwrap();
            repo.git(&["apply", "--cached", "--unidiff-zero", "hunk.patch"]);
            std::fs::remove_file(repo.path("hunk.patch")).unwrap();
            let expected = repo.index_blob("f.txt");
            repo.git(&["reset", "-q"]);
            assert_eq!(repo.git(&["ls-files", "--stage"]), pristine);

            // Ours.
            let hunk = &ours.unstaged[k];
            let target = HunkTarget {
                range: hunk.range,
                hash: hunk.hash(),
                selection: LineSelection::All,
            };
            git::open(&repo.root())
                .unwrap()
                .stage_hunk("f.txt", None, &target)
                .unwrap();
            assert_eq!(
                String::from_utf8_lossy(&repo.index_blob("f.txt")),
                String::from_utf8_lossy(&expected),
                "seed {seed}, hunk {k}: index after staging"
            );
            assert_eq!(
                repo.read("f.txt"),
                worktree.as_bytes(),
                "the working tree is never written"
            );

            // Unstaging the staged hunk puts the index back.
            let repo2 = git::open(&repo.root()).unwrap();
            let staged = repo2.file_hunks("f.txt", None).unwrap().staged;
            assert_eq!(staged.len(), 1, "seed {seed}, hunk {k}: one staged hunk");
            let target = HunkTarget {
                range: staged[0].range,
                hash: staged[0].hash(),
                selection: LineSelection::All,
            };
            repo2.unstage_hunk("f.txt", &target).unwrap();
            assert_eq!(
                repo.git(&["ls-files", "--stage"]),
                pristine,
                "seed {seed}, hunk {k}: unstage restores the index"
            );
            assert_eq!(repo.git(&["diff", "--cached", "--stat"]), "");
            checked += 1;
        }
    }
    assert!(checked > 60, "only {checked} hunks were checked");
}

fn target_of(hunk: &git::Hunk, selection: LineSelection) -> HunkTarget {
    HunkTarget {
        range: hunk.range,
        hash: hunk.hash(),
        selection,
    }
}

#[test]
fn staging_the_middle_of_three_hunks_stages_only_it() {
    let (repo, edited) = three_hunks();
    let opened = git::open(&repo.root()).unwrap();
    let hunks = opened.file_hunks("f.txt", None).unwrap();
    assert_eq!(hunks.unstaged.len(), 3);
    opened
        .stage_hunk(
            "f.txt",
            None,
            &target_of(&hunks.unstaged[1], LineSelection::All),
        )
        .unwrap();
    let cached = repo.git(&["diff", "--cached", "-U0"]);
    assert!(cached.contains("+line 15b"), "{cached}");
    assert!(
        !cached.contains("line 3 changed") && !cached.contains("-line 27"),
        "{cached}"
    );
    assert_eq!(repo.numstat(&["--cached"]), (1, 1, 0));
    assert_eq!(repo.numstat(&[]), (1, 1, 2));
    assert_eq!(repo.read("f.txt"), edited.as_bytes());
}

#[test]
fn a_selection_stages_only_the_selected_lines() {
    let repo = Repo::new();
    repo.write("f.txt", "a\nb\nc\n");
    repo.commit_all("base");
    repo.write("f.txt", "a\nnew 1\nnew 2\nnew 3\nb\nc\n");
    let opened = git::open(&repo.root()).unwrap();
    let hunks = opened.file_hunks("f.txt", None).unwrap();
    // Buffer lines 2..=2 (0-based) hold "new 2".
    opened
        .stage_hunk(
            "f.txt",
            None,
            &target_of(
                &hunks.unstaged[0],
                LineSelection::Lines { first: 2, last: 2 },
            ),
        )
        .unwrap();
    assert_eq!(repo.index_blob("f.txt"), b"a\nnew 2\nb\nc\n");

    // A replacement: selecting the first new line replaces only the first old line.
    let repo = Repo::new();
    repo.write("g.txt", "keep\nold 1\nold 2\nend\n");
    repo.commit_all("base");
    repo.write("g.txt", "keep\nnew 1\nnew 2\nend\n");
    let opened = git::open(&repo.root()).unwrap();
    let hunks = opened.file_hunks("g.txt", None).unwrap();
    opened
        .stage_hunk(
            "g.txt",
            None,
            &target_of(
                &hunks.unstaged[0],
                LineSelection::Lines { first: 1, last: 1 },
            ),
        )
        .unwrap();
    assert_eq!(repo.index_blob("g.txt"), b"keep\nnew 1\nold 2\nend\n");
}

#[test]
fn an_unsaved_buffer_stages_the_text_the_user_sees_and_leaves_the_disk_alone() {
    let (repo, edited) = three_hunks();
    let buffer = edited.replace("line 20\n", "line 20 typed but not saved\n");
    let opened = git::open(&repo.root()).unwrap();
    let hunks = opened.file_hunks("f.txt", Some(buffer.as_bytes())).unwrap();
    assert_eq!(hunks.unstaged.len(), 4);
    let unsaved = hunks
        .unstaged
        .iter()
        .find(|h| h.added.iter().any(|l| l.starts_with(b"line 20 typed")))
        .unwrap();
    opened
        .stage_hunk(
            "f.txt",
            Some(buffer.as_bytes()),
            &target_of(unsaved, LineSelection::All),
        )
        .unwrap();
    let cached = repo.git(&["diff", "--cached", "-U0"]);
    assert!(cached.contains("+line 20 typed but not saved"), "{cached}");
    assert_eq!(
        repo.read("f.txt"),
        edited.as_bytes(),
        "the file on disk is untouched"
    );
}

#[test]
fn a_changed_hunk_is_refused_and_nothing_is_staged() {
    let (repo, edited) = three_hunks();
    let opened = git::open(&repo.root()).unwrap();
    let hunks = opened.file_hunks("f.txt", None).unwrap();
    let offered = target_of(&hunks.unstaged[1], LineSelection::All);
    // The file changes after the action was offered.
    repo.write("f.txt", edited.replace("line 15b", "line 15 B"));
    let before = repo.git(&["ls-files", "--stage"]);
    let error = opened.stage_hunk("f.txt", None, &offered).unwrap_err();
    assert!(matches!(error, GitError::Stale(_)), "{error}");
    assert!(error.to_string().contains("nothing was changed"), "{error}");
    assert_eq!(repo.git(&["ls-files", "--stage"]), before);
}

#[test]
fn a_held_index_lock_is_named_and_left_alone() {
    let (repo, _) = three_hunks();
    let opened = git::open(&repo.root()).unwrap();
    let hunks = opened.file_hunks("f.txt", None).unwrap();
    let lock = repo.path(".git/index.lock");
    std::fs::write(&lock, b"held by another git").unwrap();
    let before = repo.index_bytes();
    let error = opened
        .stage_hunk(
            "f.txt",
            None,
            &target_of(&hunks.unstaged[0], LineSelection::All),
        )
        .unwrap_err();
    assert!(matches!(error, GitError::IndexLocked(_)), "{error}");
    assert!(error.to_string().contains("index.lock"), "{error}");
    assert_eq!(
        std::fs::read(&lock).unwrap(),
        b"held by another git",
        "the lock is not touched"
    );
    assert_eq!(repo.index_bytes(), before);
    assert!(opened.stage_file("f.txt", None).is_err());
    std::fs::remove_file(lock).unwrap();
}

#[test]
fn file_actions_cover_new_deleted_binary_and_unstaging() {
    let repo = Repo::new();
    repo.write("keep.txt", "k\n");
    repo.write("gone.txt", "g\n");
    repo.write("img.bin", [0u8, 1, 2]);
    repo.commit_all("base");
    repo.write("new.txt", "n\n");
    std::fs::remove_file(repo.path("gone.txt")).unwrap();
    repo.write("img.bin", [0u8, 3, 4]);
    let opened = git::open(&repo.root()).unwrap();
    assert!(opened.file_hunks("img.bin", None).unwrap().binary);
    assert!(
        opened
            .file_hunks("img.bin", None)
            .unwrap()
            .unstaged
            .is_empty(),
        "no hunk actions on binaries"
    );
    for file in ["new.txt", "gone.txt", "img.bin"] {
        opened.stage_file(file, None).unwrap();
    }
    let staged = repo.git(&["diff", "--cached", "--name-status"]);
    assert!(
        staged.contains("A\tnew.txt")
            && staged.contains("D\tgone.txt")
            && staged.contains("M\timg.bin"),
        "{staged}"
    );
    assert_eq!(
        repo.git(&[
            "status",
            "--porcelain",
            "--",
            "new.txt",
            "gone.txt",
            "img.bin"
        ])
        .lines()
        .count(),
        3
    );
    assert_eq!(
        repo.numstat(&[]),
        (0, 0, 0),
        "the worktree matches what was staged"
    );
    for file in ["new.txt", "gone.txt", "img.bin"] {
        opened.unstage_file(file).unwrap();
    }
    assert_eq!(repo.git(&["diff", "--cached", "--name-status"]), "");
    assert!(repo.path("new.txt").exists() && !repo.path("gone.txt").exists());
}

/// Another git holds `index.lock` when a hunk is staged (a commit of its own, in its pre-commit
/// hook): the stage waits for the lock as VS Code's git does, then stages exactly the hunk.
#[test]
fn a_stage_waits_for_another_gits_index_lock() {
    let (repo, _) = three_hunks();
    repo.write("other.txt", "o\n");
    repo.git(&["add", "other.txt"]);
    let opened = git::open(&repo.root()).unwrap();
    let hunks = opened.file_hunks("f.txt", None).unwrap();
    let target = target_of(&hunks.unstaged[0], LineSelection::All);
    let mut other = support::commit_holding_the_index_lock(&repo, "other.txt");
    let staged = opened.stage_hunk("f.txt", None, &target);
    assert!(other.wait().expect("wait").success());
    staged.expect("the stage, once the lock was gone");
    assert_eq!(repo.git(&["log", "--format=%s", "-1"]).trim(), "the other");
    assert_eq!(
        repo.numstat(&["--cached"]).0,
        1,
        "one file staged: f.txt's hunk"
    );
}
