//! Grouping hunks into commits: a pure function from hunks and signals to ordered groups.
//!
//! Every pair of hunks gets the probability that it is one commit: `affinity` describes the pair
//! by language-agnostic features (place, references, co-change, shape), and `model`'s logistic
//! regression, fitted on six real histories by bench/fit.py, weighs them; a second, small
//! regression then refines each probability by how alike the two hunks' probabilities with the
//! rest of the work are (`model::agree`: hunks of one commit agree about the others). No weight
//! is set by hand. Where the record of how the work was done has them, its episodes
//! (`episodes`) come first. Hunks that cannot be applied apart and hunks the user staged are
//! joined first (and, with `file_gap`, the hunks of a file: a per-file prior, off by default).
//! Groups then merge, best link first, while the link is at least the threshold. The link of two
//! groups is, by default, the mean probability of all their pairs of hunks (average linkage), so
//! that one strong pair does not chain two large groups together as single linkage (the
//! strongest pair) did. The groups are ordered so that a group whose identifiers others use comes first.

use std::collections::{HashMap, HashSet};

use super::affinity::{old_span, pair_features, FEATURES};
use super::cochange::CoChange;
use super::facts::Facts;
use super::model::{agree, probability};
pub(crate) use super::options::GroupOptions;
use super::{Group, HunkKind, PlanHunk};

/// The signals besides the hunks themselves.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Signals<'a> {
    pub cochange: &'a CoChange,
    /// HEAD's text of each changed file.
    pub old_texts: &'a HashMap<String, Vec<u8>>,
    /// The working tree's text of each changed file.
    pub new_texts: &'a HashMap<String, Vec<u8>>,
    /// The episode of work each hunk came from, by hunk index, from the record of how the work
    /// was done (`super::episodes`), if there is one.
    pub episodes: Option<&'a [Option<u32>]>,
}

/// The groups, ordered, and a note when the plan had to be coarse.
#[derive(Debug, Clone)]
pub(crate) struct Grouping {
    pub groups: Vec<Group>,
    pub coarse_note: Option<String>,
}

/// Groups `hunks` into ordered, titled commits.
pub(crate) fn group(hunks: &[PlanHunk], signals: &Signals<'_>, options: &GroupOptions) -> Grouping {
    if hunks.is_empty() {
        return Grouping {
            groups: Vec::new(),
            coarse_note: None,
        };
    }
    if hunks.len() > options.max_hunks {
        return by_directory(hunks, options);
    }
    let facts = Facts::new(hunks, signals, options.weights.comments > 0.0);
    let n = hunks.len();
    let sets = starting_sets(hunks, options);
    let mut parts = Parts {
        sets,
        episode_of_root: HashMap::new(),
    };
    // The record's episodes: the hunks of one episode start as one group, and groups of two
    // episodes never merge; hunks the record does not know join by the signals below.
    if let Some(episodes) = signals.episodes.filter(|_| options.weights.edit_time > 0.0) {
        // Where one episode ends and the next begins is settled by the other signals first.
        let w = &options.weights;
        let episodes = super::episodes::settle_boundaries(episodes, |a, b| {
            let (features, _) = pair_features(hunks, &facts, signals, a.min(b), a.max(b));
            probability(w, &features)
        });
        let mut first: HashMap<u32, usize> = HashMap::new();
        for (i, episode) in episodes.iter().enumerate().take(n) {
            if let Some(episode) = episode {
                let root = match first.get(episode) {
                    Some(f) => parts.sets.union(*f, i),
                    None => parts.sets.find(i),
                };
                first.entry(*episode).or_insert(i);
                parts.episode_of_root.insert(root, *episode);
            }
        }
    }
    // The user's staged hunks stay a group of their own.
    let staged_root = (0..n)
        .find(|i| hunks[*i].staged && options.weights.staged > 0.0)
        .map(|i| parts.sets.find(i));
    join_nearby_in_file(hunks, &mut parts, staged_root, options.file_gap);
    let staged_root = staged_root.map(|r| parts.sets.find(r));
    // The model's probability that each pair of hunks is one commit.
    let mut pairs: Vec<(f64, usize, usize)> = Vec::with_capacity(n * n.saturating_sub(1) / 2);
    let mut reasons: HashMap<(usize, usize), Vec<String>> = HashMap::new();
    let w = &options.weights;
    for a in 0..n {
        for b in a + 1..n {
            let (features, why) = pair_features(hunks, &facts, signals, a, b);
            pairs.push((probability(w, &features), a, b));
            if !why.is_empty() {
                reasons.insert((a, b), why);
            }
        }
    }
    // Each probability refined by what the two hunks say of the rest of the work.
    agree(&mut pairs, n, &w.agree);
    pairs.sort_by(|x, y| y.0.total_cmp(&x.0).then((x.1, x.2).cmp(&(y.1, y.2))));
    let mut joined_by: HashMap<usize, Vec<String>> = HashMap::new();
    let mut count = parts.sets.count();
    if options.linkage < 1.0 && count <= MAX_UNITS_FOR_AVERAGE {
        count = merge_by_linkage(&mut parts, staged_root, &pairs, options, |a, b| {
            if let Some(why) = reasons.get(&(a, b)) {
                joined_by.entry(a).or_default().extend(why.iter().cloned());
            }
        });
    } else {
        for (weight, a, b) in &pairs {
            if *weight < options.threshold {
                break;
            }
            let (ra, rb) = (parts.sets.find(*a), parts.sets.find(*b));
            if ra == rb || Some(ra) == staged_root || Some(rb) == staged_root {
                continue;
            }
            if !parts.join(ra, rb) {
                continue;
            }
            if let Some(why) = reasons.get(&(*a, *b)) {
                joined_by.entry(*a).or_default().extend(why.iter().cloned());
            }
        }
        // Too many groups: merge the closest pairs until there are few enough.
        count = parts.sets.count();
        for (_, a, b) in &pairs {
            if count <= options.max_groups {
                break;
            }
            let (ra, rb) = (parts.sets.find(*a), parts.sets.find(*b));
            if ra == rb || Some(ra) == staged_root || Some(rb) == staged_root {
                continue;
            }
            if parts.join(ra, rb) {
                count -= 1;
            }
        }
    }
    let mut sets = parts.sets;
    // Still too many (groups with no link at all): join by directory.
    if count > options.max_groups {
        let mut by_dir: HashMap<String, usize> = HashMap::new();
        for (i, hunk) in hunks.iter().enumerate() {
            if Some(sets.find(i)) == staged_root {
                continue;
            }
            let dir = top_dir(&hunk.path);
            match by_dir.get(&dir) {
                Some(first) => {
                    sets.union(*first, i);
                }
                None => {
                    by_dir.insert(dir, i);
                }
            }
        }
    }
    let mut members: HashMap<usize, Vec<usize>> = HashMap::new();
    for i in 0..n {
        members.entry(sets.find(i)).or_default().push(i);
    }
    let mut groups: Vec<Vec<usize>> = members.into_values().collect();
    // Where the record knows when the work was done, the groups follow its order (providers of
    // identifiers still come first); the rest follow the order of the hunks.
    let episodes = signals.episodes.filter(|_| options.weights.edit_time > 0.0);
    let first_episode = |g: &Vec<usize>| {
        episodes
            .and_then(|e| g.iter().filter_map(|i| e.get(*i).copied().flatten()).min())
            .unwrap_or(u32::MAX)
    };
    groups.sort_by_key(|g| (first_episode(g), g[0]));
    let order = dependency_order(
        &groups,
        hunks,
        &facts,
        staged_root.map(|r| {
            groups
                .iter()
                .position(|g| g.contains(&r))
                .unwrap_or(usize::MAX)
        }),
    );
    let groups = order
        .into_iter()
        .map(|g| {
            let indices = groups[g].clone();
            let mut why: Vec<String> = indices
                .iter()
                .filter_map(|i| joined_by.get(i))
                .flatten()
                .cloned()
                .collect();
            if indices.iter().all(|i| hunks[*i].staged) && staged_root.is_some() {
                why.insert(0, "already staged together".to_string());
            }
            let why = summarise_why(why);
            Group {
                title: super::title::title(
                    hunks,
                    &indices,
                    &facts.functions(),
                    &facts.introduced_in(&indices),
                ),
                why,
                hunks: indices,
            }
        })
        .collect();
    Grouping {
        groups,
        coarse_note: None,
    }
}

/// The groups every plan starts from: hunks that cannot be applied apart joined, and the staged
/// hunks joined (unless `staged` is off).
fn starting_sets(hunks: &[PlanHunk], options: &GroupOptions) -> UnionFind {
    let n = hunks.len();
    let mut sets = UnionFind::new(n);
    join_inseparable(hunks, &mut sets);
    if options.weights.staged > 0.0 {
        let staged: Vec<usize> = (0..n).filter(|i| hunks[*i].staged).collect();
        for pair in staged.windows(2) {
            sets.union(pair[0], pair[1]);
        }
    }
    sets
}

/// What the model sees of some work, for the benchmark's fit (`plan --features`): the
/// starting group of each hunk and the features of every pair of hunks.
#[derive(Debug, Clone)]
pub(crate) struct FeatureDump {
    pub features: Vec<&'static str>,
    /// The root hunk of each hunk's starting group.
    pub units: Vec<usize>,
    /// `[a, b, features...]` for every pair `a < b`, features rounded to four decimals.
    pub pairs: Vec<Vec<f64>>,
}

/// The features of every pair of `hunks` (see `FeatureDump`).
pub(crate) fn feature_dump(
    hunks: &[PlanHunk],
    signals: &Signals<'_>,
    options: &GroupOptions,
) -> FeatureDump {
    let facts = Facts::new(hunks, signals, options.weights.comments > 0.0);
    let n = hunks.len();
    let mut sets = starting_sets(hunks, options);
    let mut pairs = Vec::new();
    for a in 0..n {
        for b in a + 1..n {
            let (features, _) = pair_features(hunks, &facts, signals, a, b);
            let mut row = vec![a as f64, b as f64];
            row.extend(features.iter().map(|x| (x * 1e4).round() / 1e4));
            pairs.push(row);
        }
    }
    FeatureDump {
        features: FEATURES.to_vec(),
        units: (0..n).map(|i| sets.find(i)).collect(),
        pairs,
    }
}

/// Past this many starting groups the link is always single linkage (its merge takes
/// O(pairs), average linkage's O(groups³)).
const MAX_UNITS_FOR_AVERAGE: usize = 400;

/// The groups being formed, and the record's episode of each (groups of two episodes never
/// merge).
struct Parts {
    sets: UnionFind,
    episode_of_root: HashMap<usize, u32>,
}

impl Parts {
    /// Whether the groups of roots `ra` and `rb` may merge (not two episodes of the record).
    fn may_join(&self, ra: usize, rb: usize) -> bool {
        !matches!(
            (self.episode_of_root.get(&ra), self.episode_of_root.get(&rb)),
            (Some(x), Some(y)) if x != y
        )
    }

    /// Merges the groups of roots `ra` and `rb` unless they are two episodes; whether it did.
    fn join(&mut self, ra: usize, rb: usize) -> bool {
        if !self.may_join(ra, rb) {
            return false;
        }
        let episode = self
            .episode_of_root
            .get(&ra)
            .or(self.episode_of_root.get(&rb))
            .copied();
        let root = self.sets.union(ra, rb);
        if let Some(episode) = episode {
            self.episode_of_root.insert(root, episode);
        }
        true
    }
}

/// The prior of one commit per file: hunks of one file at most `gap` lines apart start as one
/// group (never joining the staged group, or two episodes of the record, to another).
fn join_nearby_in_file(
    hunks: &[PlanHunk],
    parts: &mut Parts,
    staged_root: Option<usize>,
    gap: u32,
) {
    if gap == 0 {
        return;
    }
    let mut by_file: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, hunk) in hunks.iter().enumerate() {
        by_file.entry(hunk.path.as_str()).or_default().push(i);
    }
    let staged = staged_root.map(|r| parts.sets.find(r));
    for indices in by_file.values() {
        for window in indices.windows(2) {
            let (x, y) = (&hunks[window[0]], &hunks[window[1]]);
            let (ra, rb) = (parts.sets.find(window[0]), parts.sets.find(window[1]));
            if ra == rb || staged == Some(ra) || staged == Some(rb) {
                continue;
            }
            if old_span(y).0.saturating_sub(old_span(x).1) <= gap {
                parts.join(ra, rb);
            }
        }
    }
}

/// Merges groups, best link first, while the link is at least the threshold (and past it while
/// there are more than `max_groups` and some link is left). The link of two groups mixes their
/// strongest pair and the mean of all their pairs (`linkage`), so that one strong pair does not
/// chain two large groups together. Calls `joined` with the strongest pair of each merge;
/// returns the number of groups.
fn merge_by_linkage(
    parts: &mut Parts,
    staged_root: Option<usize>,
    pairs: &[(f64, usize, usize)],
    options: &GroupOptions,
    mut joined: impl FnMut(usize, usize),
) -> usize {
    let n = parts.sets.parent.len();
    let mut roots: Vec<usize> = (0..n).filter(|x| parts.sets.find(*x) == *x).collect();
    let unit_of: HashMap<usize, usize> = roots.iter().enumerate().map(|(u, r)| (*r, u)).collect();
    let g = roots.len();
    let mut size = vec![0.0f64; g];
    for x in 0..n {
        size[unit_of[&parts.sets.find(x)]] += 1.0;
    }
    // Sum and strongest pair of every two groups, with the hunks of that pair.
    let mut sum = vec![0.0f64; g * g];
    let mut best: Vec<(f64, usize, usize)> = vec![(0.0, 0, 0); g * g];
    for (weight, a, b) in pairs {
        let (ua, ub) = (unit_of[&parts.sets.find(*a)], unit_of[&parts.sets.find(*b)]);
        if ua == ub {
            continue;
        }
        for (p, q) in [(ua, ub), (ub, ua)] {
            sum[p * g + q] += weight;
            if *weight > best[p * g + q].0 {
                best[p * g + q] = (*weight, *a, *b);
            }
        }
    }
    let staged = staged_root.map(|r| unit_of[&parts.sets.find(r)]);
    let mut alive = vec![true; g];
    let mut count = g;
    loop {
        let mut choice: Option<(f64, usize, usize)> = None;
        for p in (0..g).filter(|p| alive[*p] && Some(*p) != staged) {
            for q in (p + 1..g).filter(|q| alive[*q] && Some(*q) != staged) {
                let strongest = best[p * g + q].0;
                if strongest <= 0.0 || !parts.may_join(roots[p], roots[q]) {
                    continue;
                }
                let mean = sum[p * g + q] / (size[p] * size[q]);
                let link = options.linkage * strongest + (1.0 - options.linkage) * mean;
                if choice.is_none_or(|(l, _, _)| link > l) {
                    choice = Some((link, p, q));
                }
            }
        }
        let Some((link, p, q)) = choice else { break };
        if link < options.threshold && count <= options.max_groups {
            break;
        }
        let (_, a, b) = best[p * g + q];
        parts.join(roots[p], roots[q]);
        joined(a, b);
        roots[p] = parts.sets.find(roots[p]);
        roots_merge(&mut sum, &mut best, g, p, q);
        size[p] += size[q];
        alive[q] = false;
        count -= 1;
    }
    count
}

/// Folds group `q`'s row and column of links into group `p`'s.
fn roots_merge(sum: &mut [f64], best: &mut [(f64, usize, usize)], g: usize, p: usize, q: usize) {
    for k in 0..g {
        if k == p || k == q {
            continue;
        }
        let s = sum[p * g + k] + sum[q * g + k];
        sum[p * g + k] = s;
        sum[k * g + p] = s;
        if best[q * g + k].0 > best[p * g + k].0 {
            best[p * g + k] = best[q * g + k];
            best[k * g + p] = best[q * g + k];
        }
    }
}

/// A bounded-time plan for very large work: one group per top directory.
fn by_directory(hunks: &[PlanHunk], options: &GroupOptions) -> Grouping {
    let mut order: Vec<String> = Vec::new();
    let mut members: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, hunk) in hunks.iter().enumerate() {
        let dir = top_dir(&hunk.path);
        if !members.contains_key(&dir) {
            order.push(dir.clone());
        }
        members.entry(dir).or_default().push(i);
    }
    let groups = order
        .into_iter()
        .filter_map(|dir| members.remove(&dir))
        .map(|indices| Group {
            title: super::title::title(hunks, &indices, &[], &[]),
            why: "same directory (the work is too large to plan hunk by hunk)".to_string(),
            hunks: indices,
        })
        .collect();
    Grouping {
        groups,
        coarse_note: Some(format!(
            "{} hunks is more than {} to plan finely: this plan groups by directory",
            hunks.len(),
            options.max_hunks
        )),
    }
}

/// The first directory of a path (or `.` for a file at the root).
fn top_dir(path: &str) -> String {
    match path.split_once('/') {
        Some((first, _)) => first.to_string(),
        None => ".".to_string(),
    }
}

/// Hunks of one file whose old sides touch or overlap cannot be applied apart.
fn join_inseparable(hunks: &[PlanHunk], sets: &mut UnionFind) {
    let mut by_file: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, hunk) in hunks.iter().enumerate() {
        by_file.entry(hunk.path.as_str()).or_default().push(i);
    }
    for indices in by_file.values() {
        for window in indices.windows(2) {
            let (a, b) = (&hunks[window[0]], &hunks[window[1]]);
            if a.kind != HunkKind::Text || b.kind != HunkKind::Text {
                sets.union(window[0], window[1]);
                continue;
            }
            let a_end = old_span(a).1;
            let b_start = old_span(b).0;
            if b_start <= a_end {
                sets.union(window[0], window[1]);
            }
        }
    }
}

/// Orders groups so that a group providing identifiers others use comes before them; the staged
/// group comes first; otherwise the order of the hunks.
fn dependency_order(
    groups: &[Vec<usize>],
    hunks: &[PlanHunk],
    facts: &Facts,
    staged: Option<usize>,
) -> Vec<usize> {
    let g = groups.len();
    let mut owner = vec![0usize; hunks.len()];
    for (n, members) in groups.iter().enumerate() {
        for i in members {
            owner[*i] = n;
        }
    }
    // before[x] holds the groups that must precede group x.
    let mut before: Vec<HashSet<usize>> = vec![HashSet::new(); g];
    for a in 0..hunks.len() {
        for b in 0..hunks.len() {
            if owner[a] != owner[b] && facts.provides(a, b) {
                before[owner[b]].insert(owner[a]);
            }
        }
    }
    let mut placed = vec![false; g];
    let mut order = Vec::with_capacity(g);
    if let Some(s) = staged.filter(|s| *s < g) {
        placed[s] = true;
        order.push(s);
    }
    while order.len() < g {
        // The first group whose providers are all placed; on a cycle, the first unplaced.
        let next = (0..g)
            .find(|x| !placed[*x] && before[*x].iter().all(|p| placed[*p]))
            .or_else(|| (0..g).find(|x| !placed[*x]));
        match next {
            Some(x) => {
                placed[x] = true;
                order.push(x);
            }
            None => break,
        }
    }
    order
}

/// Up to three distinct reasons, in one sentence.
fn summarise_why(reasons: Vec<String>) -> String {
    let mut distinct: Vec<String> = Vec::new();
    for reason in reasons {
        if !distinct.contains(&reason) {
            distinct.push(reason);
        }
    }
    if distinct.is_empty() {
        return "nearby changes".to_string();
    }
    distinct.truncate(3);
    distinct.join("; ")
}

/// Disjoint sets of hunk indices.
struct UnionFind {
    parent: Vec<usize>,
}

impl UnionFind {
    fn new(n: usize) -> UnionFind {
        UnionFind {
            parent: (0..n).collect(),
        }
    }

    fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }

    /// Joins two sets; the smaller root number stays the root.
    fn union(&mut self, a: usize, b: usize) -> usize {
        let (ra, rb) = (self.find(a), self.find(b));
        let (keep, gone) = if ra <= rb { (ra, rb) } else { (rb, ra) };
        self.parent[gone] = keep;
        keep
    }

    fn count(&mut self) -> usize {
        (0..self.parent.len())
            .filter(|x| self.find(*x) == *x)
            .count()
    }
}

#[cfg(test)]
mod tests;
