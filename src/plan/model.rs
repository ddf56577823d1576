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
    -4.1065,
    [
        1.6413,  // same_file
        1.3812,  // near
        -0.3299, // gap
        0.3151,  // same_function
        0.3221,  // same_dir
        0.4699,  // path_common
        -0.0504, // same_ext
        0.6012,  // test_pair
        -0.0242, // manifest
        1.597,   // cochange
        0.9227,  // shared_new
        0.8862,  // define_use
        -0.0087, // rare
        0.483,   // common
        0.0201,  // same_edit
        1.0252,  // jaccard
        -0.0223, // both_new_files
        -0.2609, // one_new_file
        0.2109,  // both_tests
        0.2687,  // one_test
        0.2598,  // both_insert
        0.0557,  // both_delete
        -0.507,  // size
        0.0419,  // both_comments
        -0.0343, // one_comment
        -0.0879, // same_lines
        2.996,   // work_files
        0.7758,  // work_hunks
        1.7151,  // file_hunks
        0.0828,  // both_alone
    ],
);

/// The threshold fitted with them: groups merge while the mean probability of their pairs is at
/// least this.
pub(super) const THRESHOLD: f64 = 0.4;

/// The probability that a pair with features `f` is one commit, under `bias` and
/// `coefficients`.
pub(super) fn probability(bias: f64, coefficients: &[f64], f: &Features) -> f64 {
    let z: f64 = bias
        + coefficients
            .iter()
            .zip(f.iter())
            .map(|(w, x)| w * x)
            .sum::<f64>();
    1.0 / (1.0 + (-z).exp())
}
