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
    -4.2045,
    [
        2.0814,  // same_file
        1.3008,  // near
        -0.3845, // gap
        0.2727,  // same_function
        0.7429,  // same_scope
        -0.6686, // scope_shared
        -0.3317, // both_top
        0.8495,  // scope_use
        0.8656,  // file_use
        0.361,   // same_dir
        0.4508,  // path_common
        -0.0779, // same_ext
        0.5277,  // test_pair
        0.0136,  // manifest
        1.5754,  // cochange
        0.83,    // shared_new
        0.5973,  // define_use
        0.039,   // rare
        0.4128,  // common
        -0.0261, // same_edit
        1.1239,  // jaccard
        -0.0095, // both_new_files
        -0.3641, // one_new_file
        0.2152,  // both_tests
        0.29,    // one_test
        0.2638,  // both_insert
        0.1519,  // both_delete
        -0.4578, // size
        0.0924,  // both_comments
        -0.0552, // one_comment
        0.0041,  // same_lines
        2.9435,  // work_files
        0.8538,  // work_hunks
        1.5359,  // file_hunks
        0.0984,  // both_alone
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
