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
