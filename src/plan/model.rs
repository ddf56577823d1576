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
    -4.2213,
    [
        2.0306,  // same_file
        1.2091,  // near
        -0.4018, // gap
        0.422,   // same_function
        0.991,   // same_scope
        -0.9076, // scope_shared
        -0.2406, // both_top
        0.7842,  // scope_use
        0.8801,  // file_use
        0.3624,  // same_dir
        0.4494,  // path_common
        -0.0766, // same_ext
        0.5345,  // test_pair
        0.0017,  // manifest
        1.5759,  // cochange
        0.8328,  // shared_new
        0.6055,  // define_use
        0.0373,  // rare
        0.4074,  // common
        -0.0325, // same_edit
        1.1517,  // jaccard
        -0.0279, // both_new_files
        -0.3678, // one_new_file
        0.2229,  // both_tests
        0.2913,  // one_test
        0.2671,  // both_insert
        0.1488,  // both_delete
        -0.4288, // size
        0.0683,  // both_comments
        -0.0601, // one_comment
        -0.0039, // same_lines
        2.9716,  // work_files
        0.841,   // work_hunks
        1.5443,  // file_hunks
        0.0982,  // both_alone
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
