//! What the grouping can be tuned by: the pair model's coefficients, the merge threshold and
//! the bounds on groups and hunks. Kept apart from `group` so that the benchmark's knobs
//! (`--weights "bias=-3,same_file=2,..."`, parsed here) read as one list, away from the algorithm
//! they tune.

use super::affinity::FEATURES;
use super::model::{AGREEMENT, FITTED, FITTED_AGREEMENT, FITTED_BY_FILES, THRESHOLD, WORK_FILES};

/// The pair model's coefficients and the switches of the signals that are not pair features.
#[derive(Debug, Clone, PartialEq)]
pub struct Weights {
    /// The model's intercept.
    pub bias: f64,
    /// One coefficient per pair feature, in the order of `affinity::FEATURES`.
    pub coefficients: Vec<f64>,
    /// One size term per pair feature: how much its coefficient grows per unit of `work_files`
    /// (`files:<feature>` in the text); `work_files`'s own is always 0.
    pub by_files: Vec<f64>,
    /// The agreement stage that refines each pair's probability by how alike the two hunks'
    /// probabilities with the rest of the work are: `[bias, pair, alike, alike_size]`
    /// (`agree:bias`, `agree:pair`, ... in the text). `[0, 1, 0, 0]` leaves every probability as
    /// the pair model gives it.
    pub agree: Vec<f64>,
    /// Whether identifiers in comment lines count (1) or not (0).
    pub comments: f64,
    /// Whether the record's episodes of work are used (1) or not (0).
    pub edit_time: f64,
    /// Whether the staged hunks are kept together as the first commit (1) or not (0).
    pub staged: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            bias: FITTED.0,
            coefficients: FITTED.1.to_vec(),
            by_files: FITTED_BY_FILES.to_vec(),
            agree: FITTED_AGREEMENT.to_vec(),
            comments: 1.0,
            edit_time: 1.0,
            staged: 1.0,
        }
    }
}

impl Weights {
    /// Reads `name=value` pairs separated by commas (such as `bias=-2,cochange=0`) over the
    /// defaults: `bias`, a feature's name, a feature's size term (`files:same_dir`), a weight of
    /// the agreement stage (`agree:bias`, `agree:pair`, `agree:alike`, `agree:alike_size`), or a
    /// switch (`comments`, `edit_time`, `staged`).
    pub fn parse(text: &str) -> Result<Weights, String> {
        Weights::default().read(text)
    }

    /// A model of only the features `text` names: every other coefficient and size term 0, and
    /// no agreement stage (unless `text` sets one).
    #[cfg(test)]
    pub(crate) fn only(text: &str) -> Weights {
        let mut zero = Weights::default();
        zero.coefficients.fill(0.0);
        zero.by_files.fill(0.0);
        zero.agree = super::model::NO_AGREEMENT.to_vec();
        zero.read(text).unwrap()
    }

    /// `text`'s `name=value` pairs over `self` (the names as `parse` takes them).
    fn read(self, text: &str) -> Result<Weights, String> {
        let mut weights = self;
        for pair in text.split(',').filter(|p| !p.trim().is_empty()) {
            let (name, value) = pair
                .split_once('=')
                .ok_or_else(|| format!("{pair:?} is not name=value"))?;
            let value: f64 = value
                .trim()
                .parse()
                .map_err(|_| format!("{value:?} is not a number"))?;
            let name = name.trim();
            let slot = match name {
                "bias" => &mut weights.bias,
                "comments" => &mut weights.comments,
                "edit_time" => &mut weights.edit_time,
                "staged" => &mut weights.staged,
                "agree:bias" => &mut weights.agree[0],
                other if other.starts_with("agree:") => {
                    let name = &other["agree:".len()..];
                    match AGREEMENT.iter().position(|a| *a == name) {
                        Some(i) => &mut weights.agree[i + 1],
                        None => return Err(no_agreement_weight(name)),
                    }
                }
                other => {
                    let (slots, feature) = match other.strip_prefix("files:") {
                        Some(feature) => (&mut weights.by_files, feature),
                        None => (&mut weights.coefficients, other),
                    };
                    let size_term = feature != other;
                    match FEATURES.iter().position(|f| *f == feature) {
                        Some(WORK_FILES) if size_term => {
                            return Err(format!(
                                "{other:?}: the size of the work has no size term of its own"
                            ))
                        }
                        Some(i) => &mut slots[i],
                        None => return Err(format!("no signal is called {other:?}")),
                    }
                }
            };
            *slot = value;
        }
        Ok(weights)
    }

    /// The coefficient of feature `name` (0 for a name that is not a feature).
    #[cfg(test)]
    pub(crate) fn coefficient(&self, name: &str) -> f64 {
        FEATURES
            .iter()
            .position(|f| *f == name)
            .map_or(0.0, |i| self.coefficients[i])
    }
}

/// The message for `agree:<name>` where the agreement stage has no weight `name`.
fn no_agreement_weight(name: &str) -> String {
    let names = AGREEMENT.join(", ");
    format!("the agreement stage has no weight called {name:?} (it has bias, {names})")
}

/// How to group.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupOptions {
    /// The pair model's bias and coefficients.
    pub weights: Weights,
    /// Two groups merge while the mean probability of their pairs of hunks is at least this.
    pub threshold: f64,
    /// The link of two groups: 1 is their strongest pair of hunks (single linkage), 0 the mean
    /// of all their pairs (average linkage), between the two a mix.
    pub linkage: f64,
    /// Hunks of one file this many lines apart or closer start as one group (a large number:
    /// one group per file to start from; 0: only hunks that cannot be applied apart).
    pub file_gap: u32,
    /// Past this many groups, the closest ones merge even below the threshold.
    pub max_groups: usize,
    /// Past this many hunks the plan groups by directory, which takes bounded time.
    pub max_hunks: usize,
}

impl Default for GroupOptions {
    fn default() -> Self {
        GroupOptions {
            weights: Weights::default(),
            threshold: THRESHOLD,
            linkage: 0.0,
            file_gap: 0,
            max_groups: 8,
            max_hunks: 1500,
        }
    }
}

impl GroupOptions {
    /// Reads `name=value` pairs over these options: the grouping's own knobs (`threshold`,
    /// `linkage`, `file_gap`, `max_groups`) and the weights (`Weights::parse`).
    pub fn parse_over(&mut self, text: &str) -> Result<(), String> {
        let mut rest = Vec::new();
        for pair in text.split(',') {
            let number = |value: &str| {
                value
                    .trim()
                    .parse::<f64>()
                    .map_err(|_| format!("{value:?} is not a number"))
            };
            match pair.split_once('=') {
                Some(("threshold", value)) => self.threshold = number(value)?,
                Some(("linkage", value)) => self.linkage = number(value)?.clamp(0.0, 1.0),
                Some(("file_gap", value)) => self.file_gap = number(value)?.max(0.0) as u32,
                Some(("max_groups", value)) => self.max_groups = number(value)?.max(1.0) as usize,
                _ => rest.push(pair),
            }
        }
        self.weights = Weights::parse(&rest.join(","))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::affinity::Features;
    use crate::plan::model::probability;

    fn index(name: &str) -> usize {
        FEATURES.iter().position(|f| *f == name).unwrap()
    }

    #[test]
    fn a_size_term_is_named_files_and_its_feature() {
        let w = Weights::parse("same_dir=1.5,files:same_dir=-0.25").unwrap();
        assert_eq!(w.coefficients[index("same_dir")], 1.5);
        assert_eq!(w.by_files[index("same_dir")], -0.25);
        // The other size terms keep the fitted ones.
        assert_eq!(
            w.by_files[index("same_file")],
            FITTED_BY_FILES[index("same_file")]
        );
    }

    #[test]
    fn the_size_has_no_size_term_and_unknown_names_are_refused() {
        let error = Weights::parse("files:work_files=1").unwrap_err();
        assert!(error.contains("no size term of its own"), "{error}");
        for bad in ["files:nope=1", "files:=1", "nope=1"] {
            let error = Weights::parse(bad).unwrap_err();
            assert!(error.contains("no signal is called"), "{bad}: {error}");
        }
        let error = Weights::parse("agree:nope=1").unwrap_err();
        assert!(error.contains("alike_size"), "{error}");
        let w = Weights::parse("agree:bias=0.5,agree:alike_size=-1").unwrap();
        assert_eq!(
            w.agree,
            vec![0.5, FITTED_AGREEMENT[1], FITTED_AGREEMENT[2], -1.0]
        );
    }

    #[test]
    fn a_size_term_makes_a_signal_worth_less_in_a_larger_work() {
        let w = Weights::only("bias=0,files:same_dir=-1");
        let with = |files: f64| {
            let mut f: Features = [0.0; FEATURES.len()];
            f[index("same_dir")] = 1.0;
            f[index("work_files")] = files;
            probability(&w, &f)
        };
        // With every coefficient 0 only the size term moves the pair: 0.5 at no size, less as
        // the work grows. No size terms at all (an empty list) leaves the coefficients whole.
        let mut g: Features = [0.0; FEATURES.len()];
        g[index("same_dir")] = 1.0;
        g[index("work_files")] = 1.0;
        let mut one = Weights::only("bias=0,same_dir=2");
        one.by_files.clear();
        assert_eq!(probability(&one, &g), 1.0 / (1.0 + (-2.0f64).exp()));
        assert_eq!(with(0.0), 0.5);
        assert!(
            with(1.0) < with(0.5) && with(0.5) < 0.5,
            "{} {}",
            with(0.5),
            with(1.0)
        );
    }
}
