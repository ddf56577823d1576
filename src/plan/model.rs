//! The pair model: how likely two hunks are to belong to one commit, from their features
//! (`super::affinity::pair_features`).
//!
//! A logistic regression fitted by `bench/fit.py` on six real histories (Rust, Python, Go, C,
//! JavaScript, Java: `../shared/corpus`), each hunk pair of each sample labelled by whether git
//! blame puts both hunks in one real commit. The coefficients below are the fit on all six; the
//! benchmark reports each history under coefficients fitted without it. Nothing here is
//! per-language: the features are.

use super::affinity::{Features, FEATURES};
use super::options::Weights;

/// The fitted intercept and one coefficient per feature, in the order of `FEATURES`.
pub(super) const FITTED: (f64, [f64; FEATURES.len()]) = (
    -6.3995,
    [
        2.3501,  // same_file
        0.7984,  // near
        -0.0017, // gap
        0.3617,  // same_function
        -0.0162, // same_scope
        0.2159,  // scope_shared
        -0.2205, // both_top
        1.3624,  // scope_use
        2.1411,  // file_use
        -0.8513, // same_dir
        0.003,   // path_common
        -0.5881, // same_ext
        -1.6484, // test_pair
        4.2868,  // manifest
        2.731,   // cochange
        0.1606,  // shared_new
        1.1983,  // define_use
        -0.328,  // rare
        0.1917,  // common
        0.077,   // same_edit
        -0.1596, // jaccard
        -2.9992, // both_new_files
        0.1448,  // one_new_file
        0.4947,  // both_tests
        1.4825,  // one_test
        1.0884,  // both_insert
        0.9107,  // both_delete
        -0.0796, // size
        -0.0536, // both_comments
        0.5746,  // one_comment
        0.3075,  // same_lines
        6.4122,  // work_files
        4.3982,  // work_hunks
        0.2629,  // file_hunks
        0.066,   // both_alone
    ],
);

/// The threshold fitted with them: groups merge while the mean probability of their pairs is at
/// least this.
pub(super) const THRESHOLD: f64 = 0.35;

/// How much each coefficient grows per unit of `work_files` (the work's number of files, as a
/// feature): the size terms, fitted with the rest. A signal is not worth the same in a work of
/// three files and in one of thirty: in the fit a test beside its code and a shared directory say
/// more in a large work, a name used or a file named, a manifest and co-change say less; without
/// these terms the size of the work could only move every pair alike. In the order of
/// `FEATURES`; `work_files`'s own is 0.
pub(super) const FITTED_BY_FILES: [f64; FEATURES.len()] = [
    0.3103,  // same_file
    2.2629,  // near
    -0.4785, // gap
    -0.4437, // same_function
    1.0813,  // same_scope
    -1.1518, // scope_shared
    0.0905,  // both_top
    -1.2892, // scope_use
    -1.9946, // file_use
    1.7403,  // same_dir
    0.3906,  // path_common
    0.9041,  // same_ext
    3.5715,  // test_pair
    -7.2123, // manifest
    -1.683,  // cochange
    1.4483,  // shared_new
    -1.449,  // define_use
    1.7772,  // rare
    0.3444,  // common
    -0.3395, // same_edit
    2.4244,  // jaccard
    4.2075,  // both_new_files
    -0.4024, // one_new_file
    0.1584,  // both_tests
    -1.6167, // one_test
    -1.4305, // both_insert
    -1.0031, // both_delete
    -1.4748, // size
    0.2751,  // both_comments
    -0.8128, // one_comment
    -0.4267, // same_lines
    0.0,     // work_files
    -5.0254, // work_hunks
    0.8093,  // file_hunks
    -0.0358, // both_alone
];

/// Where `work_files` is among the features.
pub(super) const WORK_FILES: usize = feature_index("work_files");

const fn feature_index(name: &str) -> usize {
    let mut i = 0;
    while i < FEATURES.len() {
        if eq(FEATURES[i].as_bytes(), name.as_bytes()) {
            return i;
        }
        i += 1;
    }
    panic!("not a feature")
}

const fn eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The probability that a pair with features `f` is one commit under `weights`: its bias, its
/// coefficients and its size terms. A coefficient or size term that is missing (a shorter list,
/// as a caller of the public `Weights` may give) counts as 0; it never drops the others.
pub(super) fn probability(weights: &Weights, f: &Features) -> f64 {
    let size = f[WORK_FILES];
    let z: f64 = weights.bias
        + f.iter()
            .enumerate()
            .map(|(i, x)| {
                let w = weights.coefficients.get(i).copied().unwrap_or(0.0);
                let v = weights.by_files.get(i).copied().unwrap_or(0.0);
                (w + v * size) * x
            })
            .sum::<f64>();
    1.0 / (1.0 + (-z).exp())
}

/// The agreement stage, fitted after the pair model on the same pairs: the intercept, then the
/// weights of the pair's log-odds, of how alike the two hunks' probabilities with every hunk of
/// the work are, and of that times ln(hunks) / 4 (`agree`). The names in a `Weights` text are
/// `agree:bias` and `agree:` with these.
pub(super) const AGREEMENT: [&str; 3] = ["pair", "alike", "alike_size"];

/// The fitted agreement stage: `[bias, pair, alike, alike_size]`.
pub(super) const FITTED_AGREEMENT: [f64; 4] = [-0.0604, 0.6034, 1.3488, -0.5521];

/// The stage that leaves every probability as the pair model gives it.
#[cfg(test)]
pub(super) const NO_AGREEMENT: [f64; 4] = [0.0, 1.0, 0.0, 0.0];

/// Past this many hunks the agreement stage is skipped: its cost grows with the cube of the
/// hunks (a plan of 400 one-line hunks in 8 files takes about 0.4 s in all).
pub(super) const MAX_HUNKS_FOR_AGREEMENT: usize = 400;

/// Below this many hunks it is skipped too: two hunks' rows always correlate at −1, which says
/// nothing of them and, fitted on works of two commits or more, would only teach the stage to
/// split every work of two hunks (a work of one commit among them: bench/RESULTS.md).
pub(super) const MIN_HUNKS_FOR_AGREEMENT: usize = 3;

/// Refines every pair's probability by the rest of the work: two hunks of one commit tend to
/// agree about every other hunk (both likely with its tests, both unlikely with an unrelated
/// file), two hunks of one file from two commits less so, even where the pair alone looks alike.
/// `pairs` holds `(probability, a, b)` for every pair `a < b` of `n` hunks; each probability
/// becomes the agreement stage's (`gamma`: `[bias, pair, alike, alike_size]`, a missing weight
/// counting as 0), from the pair's log-odds and the Pearson correlation of rows `a` and `b` of
/// the matrix of all the probabilities (1 on its diagonal). Past `MAX_HUNKS_FOR_AGREEMENT`
/// hunks, and under `MIN_HUNKS_FOR_AGREEMENT`, the probabilities stay as they are. bench/fit.py
/// computes the same.
pub(super) fn agree(pairs: &mut [(f64, usize, usize)], n: usize, gamma: &[f64]) {
    if !(MIN_HUNKS_FOR_AGREEMENT..=MAX_HUNKS_FOR_AGREEMENT).contains(&n) {
        return;
    }
    let g = |i: usize| gamma.get(i).copied().unwrap_or(0.0);
    let mut m = vec![0.0f64; n * n];
    for i in 0..n {
        m[i * n + i] = 1.0;
    }
    for (p, a, b) in pairs.iter() {
        m[a * n + b] = *p;
        m[b * n + a] = *p;
    }
    // Each row less its mean, and its length.
    let mut norm = vec![0.0f64; n];
    for i in 0..n {
        let row = &mut m[i * n..(i + 1) * n];
        let mean = row.iter().sum::<f64>() / n as f64;
        row.iter_mut().for_each(|x| *x -= mean);
        let length = row.iter().map(|x| x * x).sum::<f64>().sqrt();
        norm[i] = if length == 0.0 { 1.0 } else { length };
    }
    let size = (n as f64).ln() / 4.0;
    for (p, a, b) in pairs.iter_mut() {
        let (ra, rb) = (&m[*a * n..(*a + 1) * n], &m[*b * n..(*b + 1) * n]);
        let alike = ra.iter().zip(rb).map(|(x, y)| x * y).sum::<f64>() / (norm[*a] * norm[*b]);
        let q = p.clamp(1e-6, 1.0 - 1e-6);
        let z = g(0) + g(1) * (q / (1.0 - q)).ln() + g(2) * alike + g(3) * alike * size;
        *p = 1.0 / (1.0 + (-z.clamp(-30.0, 30.0)).exp());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Four hunks: `a` and `b` look alike as a pair (0.6), but `a` goes with `c` and `b` with
    /// `d`, each 0.9, and across those 0.1.
    fn two_commits_in_one_file() -> Vec<(f64, usize, usize)> {
        let (a, b, c, d) = (0, 1, 2, 3);
        vec![
            (0.6, a, b),
            (0.9, a, c),
            (0.1, a, d),
            (0.1, b, c),
            (0.9, b, d),
            (0.1, c, d),
        ]
    }

    #[test]
    fn the_identity_stage_leaves_every_probability_as_it_is() {
        let mut pairs = two_commits_in_one_file();
        agree(&mut pairs, 4, &NO_AGREEMENT);
        for (got, want) in pairs.iter().zip(two_commits_in_one_file()) {
            assert!((got.0 - want.0).abs() < 1e-9, "{got:?} {want:?}");
        }
    }

    #[test]
    fn hunks_that_disagree_about_the_rest_grow_apart_and_those_that_agree_closer() {
        let mut pairs = two_commits_in_one_file();
        agree(&mut pairs, 4, &FITTED_AGREEMENT);
        let p = |a: usize, b: usize| pairs.iter().find(|x| (x.1, x.2) == (a, b)).unwrap().0;
        assert!(p(0, 1) < 0.4, "{pairs:?}");
        assert!(p(0, 2) > 0.9 && p(1, 3) > 0.9, "{pairs:?}");
    }

    #[test]
    fn a_large_or_tiny_work_and_a_short_gamma_are_taken_without_a_panic() {
        for n in [2, MAX_HUNKS_FOR_AGREEMENT + 1] {
            let mut pairs = vec![(0.3, 0, 1)];
            agree(&mut pairs, n, &FITTED_AGREEMENT);
            assert_eq!(pairs[0].0, 0.3, "{n} hunks");
        }
        // A missing weight counts as 0: only the bias is left.
        let mut pairs = two_commits_in_one_file();
        agree(&mut pairs, 4, &[0.0]);
        assert!(pairs.iter().all(|x| (x.0 - 0.5).abs() < 1e-9), "{pairs:?}");
    }
}
