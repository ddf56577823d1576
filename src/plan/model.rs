//! The pair model: how likely two hunks are to belong to one commit, from their features
//! (`super::affinity::pair_features`).
//!
//! A logistic regression fitted by `bench/fit.py` on six real histories (Rust, Python, Go, C,
//! JavaScript, Java: `../shared/corpus`), each hunk pair of each sample labelled by whether git
//! blame puts both hunks in one real commit. The coefficients below are the fit on all six; the
//! benchmark reports each history under coefficients fitted without it. Nothing here is
//! per-language: the features are.

use super::affinity::{Features, FEATURES};

/// The fitted intercept and one coefficient per feature, in the order of `FEATURES`.
pub(super) const FITTED: (f64, [f64; FEATURES.len()]) = (
    -7.1016,
    [
        2.1329,  // same_file
        1.2513,  // near
        0.303,   // gap
        0.8412,  // same_function
        0.4052,  // same_scope
        -0.0822, // scope_shared
        -0.3653, // both_top
        1.9321,  // scope_use
        2.5772,  // file_use
        -0.5994, // same_dir
        0.2735,  // path_common
        -0.5152, // same_ext
        -2.2046, // test_pair
        3.8052,  // manifest
        2.6686,  // cochange
        0.363,   // shared_new
        1.1231,  // define_use
        -0.7944, // rare
        0.0791,  // common
        0.1791,  // same_edit
        0.0759,  // jaccard
        -1.7371, // both_new_files
        -0.5411, // one_new_file
        0.116,   // both_tests
        1.5308,  // one_test
        0.7377,  // both_insert
        0.073,   // both_delete
        1.2337,  // size
        0.187,   // both_comments
        0.2633,  // one_comment
        0.1678,  // same_lines
        7.4085,  // work_files
        4.5893,  // work_hunks
        0.0934,  // file_hunks
        0.4363,  // both_alone
    ],
);

/// The threshold fitted with them: groups merge while the mean probability of their pairs is at
/// least this.
pub(super) const THRESHOLD: f64 = 0.4;

/// How much each coefficient grows per unit of `work_files` (the work's number of files, as a
/// feature): the size terms, fitted with the rest. A signal is not worth the same in a work of
/// three files and in one of thirty: in the fit a test beside its code and a shared directory say
/// more in a large work, a name used or a file named, a manifest and co-change say less; without
/// these terms the size of the work could only move every pair alike. In the order of
/// `FEATURES`; `work_files`'s own is 0.
pub(super) const FITTED_BY_FILES: [f64; FEATURES.len()] = [
    1.447,   // same_file
    0.881,   // near
    -1.3846, // gap
    -1.3401, // same_function
    0.4723,  // same_scope
    -1.0393, // scope_shared
    0.496,   // both_top
    -2.0989, // scope_use
    -2.5412, // file_use
    1.4854,  // same_dir
    0.1671,  // path_common
    0.7111,  // same_ext
    4.4638,  // test_pair
    -6.9528, // manifest
    -1.5891, // cochange
    1.1892,  // shared_new
    -1.1666, // define_use
    2.4583,  // rare
    0.6031,  // common
    -0.5879, // same_edit
    2.4007,  // jaccard
    2.2271,  // both_new_files
    0.3583,  // one_new_file
    0.046,   // both_tests
    -1.7876, // one_test
    -0.8538, // both_insert
    0.2137,  // both_delete
    -2.965,  // size
    -0.0719, // both_comments
    -0.4972, // one_comment
    -0.4531, // same_lines
    0.0,     // work_files
    -5.331,  // work_hunks
    0.895,   // file_hunks
    -0.4629, // both_alone
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

/// The probability that a pair with features `f` is one commit, under `bias`, `coefficients`
/// and the size terms `by_files`.
pub(super) fn probability(bias: f64, coefficients: &[f64], by_files: &[f64], f: &Features) -> f64 {
    let size = f[WORK_FILES];
    let z: f64 = bias
        + coefficients
            .iter()
            .zip(by_files)
            .zip(f.iter())
            .map(|((w, v), x)| (w + v * size) * x)
            .sum::<f64>();
    1.0 / (1.0 + (-z).exp())
}
