//! The grouping's tests: pure, hunks and signals in, groups out.

use super::*;
use crate::plan::affinity::FEATURES;
use crate::plan::options::Weights;
use crate::plan::test_hunks::hunk;

/// Each of `features` off, and its size term (`files:<feature>`) with it.
fn off<'a>(features: impl IntoIterator<Item = &'a str>) -> String {
    let mut text = Vec::new();
    for feature in features {
        text.push(format!("{feature}=0"));
        if feature != "work_files" {
            text.push(format!("files:{feature}=0"));
        }
    }
    text.join(",")
}

/// The reference features off.
fn no_references() -> String {
    off([
        "shared_new",
        "define_use",
        "rare",
        "common",
        "same_edit",
        "jaccard",
    ])
}

/// Every pair feature off and no agreement stage (a model is then given by the features turned
/// back on).
fn nothing() -> String {
    let identity = "agree:bias=0,agree:pair=1,agree:alike=0,agree:alike_size=0";
    format!("{},{identity}", off(FEATURES.iter().copied()))
}

fn plan(hunks: &[PlanHunk], episodes: Option<&[Option<u32>]>, weights: Weights) -> Vec<Vec<usize>> {
    let cochange = CoChange::default();
    let (old, new) = (HashMap::new(), HashMap::new());
    let signals = Signals {
        cochange: &cochange,
        old_texts: &old,
        new_texts: &new,
        episodes,
    };
    let options = GroupOptions {
        weights,
        ..GroupOptions::default()
    };
    group(hunks, &signals, &options)
        .groups
        .into_iter()
        .map(|g| g.hunks)
        .collect()
}

#[test]
fn a_definition_comes_no_later_than_its_use_and_apart_from_unrelated_work() {
    let hunks = vec![
        hunk("docs/guide.md", 3, 1, &["old words"], &["new words"]),
        hunk(
            "src/use.py",
            10,
            0,
            &[],
            &["    total = compute_weighted_total(items)"],
        ),
        hunk(
            "src/lib.py",
            40,
            0,
            &[],
            &["def compute_weighted_total(items):", "    return 0"],
        ),
    ];
    // Under the fitted model the unrelated edit stays alone, and the defining hunk (2) comes
    // no later than its use (1): with it, or in a commit before it.
    let groups = plan(&hunks, None, Weights::default());
    let at = |hunk: usize| groups.iter().position(|g| g.contains(&hunk)).unwrap();
    assert_eq!(groups[at(0)], vec![0], "{groups:?}");
    assert!(at(2) <= at(1), "{groups:?}");
    // Under a model that weighs the name defined and used, they are one commit.
    let joined = plan(&hunks, None, Weights::parse("define_use=8").unwrap());
    assert_eq!(joined, vec![vec![0], vec![1, 2]]);
    // Without the reference signal nothing ties the two files.
    let apart = plan(&hunks, None, Weights::parse(&no_references()).unwrap());
    assert_eq!(apart.len(), 3, "{apart:?}");
}

#[test]
fn a_group_that_defines_a_name_comes_before_the_groups_that_use_it() {
    // With references off for grouping, the order still follows them.
    let hunks = vec![
        hunk("a/use.rs", 10, 0, &[], &["let x = brand_new_helper();"]),
        hunk(
            "b/def.rs",
            40,
            0,
            &[],
            &["pub fn brand_new_helper() -> u32 {"],
        ),
        hunk("c/other.rs", 5, 1, &["x"], &["y"]),
    ];
    let apart = plan(&hunks, None, Weights::parse(&no_references()).unwrap());
    assert_eq!(apart, vec![vec![1], vec![0], vec![2]]);
    // Joined under a model that weighs the shared name heavily; kept apart from the unrelated
    // change.
    let joined = plan(&hunks, None, Weights::parse("define_use=8").unwrap());
    assert_eq!(joined, vec![vec![0, 1], vec![2]]);
}

#[test]
fn the_records_episodes_part_hunks_the_other_signals_would_join() {
    // Same file, nearby: the signals (here a model of the same file alone) join all four; the
    // record says 0 and 2 were written together, 1 in another episode; 3 is not in the record
    // and joins by the signals.
    let hunks = vec![
        hunk("src/x.txt", 5, 1, &["alpha"], &["beta"]),
        hunk("src/x.txt", 9, 1, &["gamma"], &["delta"]),
        hunk("src/x.txt", 14, 1, &["epsilon"], &["zeta"]),
        hunk("src/x.txt", 18, 1, &["eta"], &["theta"]),
    ];
    let same_file = || Weights::only("bias=-4,same_file=6");
    assert_eq!(plan(&hunks, None, same_file()).len(), 1);
    let episodes = [Some(0), Some(1), Some(0), None];
    let parted = plan(&hunks, Some(&episodes), same_file());
    assert_eq!(parted.len(), 2, "{parted:?}");
    assert!(parted.iter().any(|g| g.starts_with(&[0, 2])), "{parted:?}");
    assert!(parted.iter().any(|g| g.starts_with(&[1])), "{parted:?}");
    // Weight 0 turns the record off.
    let off = Weights::only("bias=-4,same_file=6,edit_time=0");
    assert_eq!(plan(&hunks, Some(&episodes), off).len(), 1);
}

#[test]
fn staged_hunks_stay_together_and_first() {
    let mut hunks = vec![
        hunk("a/x.txt", 5, 1, &["alpha"], &["beta"]),
        hunk("b/y.txt", 5, 1, &["gamma"], &["delta"]),
        hunk("c/z.txt", 5, 1, &["epsilon"], &["zeta"]),
    ];
    hunks[0].staged = true;
    hunks[2].staged = true;
    assert_eq!(
        plan(&hunks, None, Weights::default()),
        vec![vec![0, 2], vec![1]]
    );
}

fn with(text: &str) -> GroupOptions {
    let mut options = GroupOptions::default();
    options.parse_over(text).unwrap();
    options
}

fn plan_with(hunks: &[PlanHunk], options: &GroupOptions) -> Vec<Vec<usize>> {
    let cochange = CoChange::default();
    let (old, new) = (HashMap::new(), HashMap::new());
    let signals = Signals {
        cochange: &cochange,
        old_texts: &old,
        new_texts: &new,
        episodes: None,
    };
    let mut groups: Vec<Vec<usize>> = group(hunks, &signals, options)
        .groups
        .into_iter()
        .map(|g| g.hunks)
        .collect();
    groups.sort();
    groups
}

#[test]
fn one_strong_pair_chains_two_groups_under_single_linkage_only() {
    // Two files of two nearby hunks each; one hunk of each is tied by a definition and its
    // use. Single linkage joins all four through that pair; average linkage weighs the one
    // pair against the three that say nothing.
    let hunks = vec![
        hunk(
            "a/lib.rs",
            10,
            1,
            &["x"],
            &["pub fn brand_new_helper() -> u32 {"],
        ),
        hunk("a/lib.rs", 12, 1, &["y"], &["z"]),
        hunk("b/main.rs", 10, 1, &["p"], &["let v = brand_new_helper();"]),
        hunk("b/main.rs", 12, 1, &["q"], &["r"]),
    ];
    // A model of two features: the same file (0.88) and a name defined and used (0.82); any
    // other pair 0.02.
    let model = |knobs: &str| {
        with(&format!(
            "{},bias=-4,same_file=6,define_use=8,{knobs}",
            nothing()
        ))
    };
    assert_eq!(
        plan_with(&hunks, &model("linkage=1,threshold=0.65")),
        vec![vec![0, 1, 2, 3]]
    );
    assert_eq!(
        plan_with(&hunks, &model("linkage=0,threshold=0.65")),
        vec![vec![0, 1], vec![2, 3]]
    );
    // The pair weighed down (0.23) no longer chains them, even at linkage 1.
    assert_eq!(
        plan_with(&hunks, &model("linkage=1,threshold=0.65,define_use=4")).len(),
        2
    );
}

#[test]
fn the_per_file_prior_starts_a_file_as_one_group() {
    // Two hunks of one file 200 lines apart: too far for the place signal alone.
    let hunks = vec![
        hunk("src/x.c", 10, 1, &["alpha"], &["beta"]),
        hunk("src/x.c", 300, 1, &["gamma"], &["delta"]),
        hunk("src/y.c", 10, 1, &["eps"], &["zeta"]),
    ];
    assert_eq!(
        plan_with(&hunks, &with("file_gap=0,threshold=0.65")),
        vec![vec![0], vec![1], vec![2]]
    );
    assert_eq!(
        plan_with(&hunks, &with("file_gap=100,threshold=0.65")),
        vec![vec![0], vec![1], vec![2]]
    );
    assert_eq!(
        plan_with(&hunks, &with("file_gap=1000,threshold=0.65")),
        vec![vec![0, 1], vec![2]]
    );
    // The same under average linkage.
    assert_eq!(
        plan_with(&hunks, &with("file_gap=1000,linkage=0,threshold=0.65")),
        vec![vec![0, 1], vec![2]]
    );
}

#[test]
fn the_per_file_prior_keeps_staged_hunks_apart() {
    let mut hunks = vec![
        hunk("src/x.c", 10, 1, &["alpha"], &["beta"]),
        hunk("src/x.c", 300, 1, &["gamma"], &["delta"]),
    ];
    hunks[0].staged = true;
    assert_eq!(
        plan_with(&hunks, &with("file_gap=1000,linkage=0,threshold=0.65")),
        vec![vec![0], vec![1]]
    );
}

#[test]
fn the_grouping_knobs_parse_over_the_defaults() {
    let options = with("threshold=0.3,linkage=0.5,file_gap=40,rare=0,bias=-1,max_groups=3");
    assert_eq!(options.threshold, 0.3);
    assert_eq!(options.linkage, 0.5);
    assert_eq!(options.file_gap, 40);
    assert_eq!(options.max_groups, 3);
    assert_eq!(options.weights.coefficient("rare"), 0.0);
    assert_eq!(options.weights.bias, -1.0);
    assert_eq!(
        options.weights.coefficient("cochange"),
        Weights::default().coefficient("cochange")
    );
    let mut bad = GroupOptions::default();
    assert!(bad.parse_over("nosuch=1").is_err());
    assert!(bad.parse_over("linkage=x").is_err());
}

#[test]
fn hunks_whose_old_sides_touch_stay_together() {
    // A deletion of lines 10-11 and an insertion right after line 11 cannot be applied apart.
    let hunks = vec![
        hunk("f.txt", 10, 2, &["a", "b"], &[]),
        hunk("f.txt", 11, 0, &[], &["c"]),
        hunk("f.txt", 400, 1, &["q"], &["r"]),
    ];
    // Without the place signal and the per-file prior, only inseparability joins.
    let options = with("same_file=0,near=0,gap=0,same_function=0,file_gap=0");
    assert_eq!(plan_with(&hunks, &options), vec![vec![0, 1], vec![2]]);
}
