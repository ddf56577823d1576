#!/usr/bin/env python3
"""Fits the planner's pair model (src/plan/model.rs) on the corpus, leave one history out.

For every prepared sample of bench/plan.py (the same samples, seed and bounds), asks
`commit-nudge plan --features` for the features of every pair of hunks, labels each pair by
whether git blame puts both hunks in one real commit (pairs with an unscored hunk are left out),
and fits a logistic regression of "same commit" on the features. The grouping is then simulated
here exactly as src/plan/group.rs does it (the starting groups from the dump, average linkage on
the model's probabilities, merging while the mean is at least the threshold, and past it while
there are more than 8 groups), and scored as bench/plan.py scores a plan.

Every feature also enters the model times the work's number of files (its size term,
`files:<feature>`). A second, small regression then refines each pair's probability by how alike
the two hunks' probabilities with every hunk of the work are (their agreement, src/plan/model.rs's
`agree`): fitted on the same pairs, after the first, as the binary applies it (--no-agreement
leaves it out). Each history is reported under a model and threshold fitted on the other five,
never on itself; the coefficients printed last are the fit on all six (what src/plan/model.rs
ships). With --ablate, each feature group is dropped in turn and refitted, and the leave-one-out
medians per history show what it is worth. With --fit-ns 1 (and --fit-weight), works of one
commit are fitted on too, never scored (bench/RESULTS.md, the size terms: each weight costs a
target).

    /tmp/v/bin/python bench/fit.py --corpus /work/shared/corpus --samples 120 --json-out /tmp/fit.json
    python3 bench/plan.py --corpus /work/shared/corpus --samples 120 --jobs 2 --apply-samples 20 \
        --fitted /tmp/fit.json                # the binary's plans under those fits, scored
    /tmp/v/bin/python bench/fit.py --corpus /work/shared/corpus --samples 60 --ablate --threshold 0.4

Needs numpy (a venv for the bench only: `python3 -m venv /tmp/v && /tmp/v/bin/pip install numpy`).
To ship a new fit, copy its "all six" line into src/plan/model.rs (the `files:` values into
FITTED_BY_FILES).
Features are cached under ~/.cache/cn-bench/features/ by binary and sample.
"""

import argparse
import concurrent.futures
import hashlib
import json
import os
import statistics
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plan as bench  # noqa: E402

FEATURE_CACHE = os.path.expanduser("~/.cache/cn-bench/features")
MAX_GROUPS = 8
# A sample's pairs in the fit, at most (drawn at random, the same each run): they share one
# sample's weight anyway.
MAX_FIT_PAIRS = 3000


def features_of(binary, bin_id, where):
    """The `plan --features` dump of one sample, from the cache or made now."""
    key = hashlib.sha256(f"{bin_id}:{where}".encode()).hexdigest()[:24]
    path = os.path.join(FEATURE_CACHE, bin_id, key + ".json")
    if os.path.exists(path):
        with open(path) as f:
            return json.load(f)
    out = subprocess.run([binary, "plan", "--features", "--no-record", os.path.join(where, "work")],
                         capture_output=True)
    if out.returncode != 0:
        raise RuntimeError(out.stderr.decode(errors="replace"))
    dump = json.loads(out.stdout)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "w") as f:
        json.dump(dump, f)
    os.replace(path + ".tmp", path)
    return dump


# The feature the size terms multiply: each other feature also enters the model times the work's
# number of files (`files:<feature>`), as src/plan/model.rs's FITTED_BY_FILES does, so that what a
# signal is worth can change with the size of the work (a test beside its code says more in a work of
# thirty files than in one of three, a name used less).
SIZE = "work_files"


def with_size_terms(x, names):
    """The features and, after them, each feature but SIZE times SIZE."""
    size = names.index(SIZE)
    others = [i for i, n in enumerate(names) if n != SIZE]
    terms = x[:, others] * x[:, [size]] if len(x) else np.zeros((0, len(others)))
    return np.hstack([x, terms]), list(names) + [f"files:{names[i]}" for i in others]


# Past this many hunks the binary skips the agreement stage (its cost is cubic in the hunks), and
# under MIN_HUNKS too (two hunks' rows always correlate at -1: a prior to split every work of two
# hunks, not a signal).
MAX_HUNKS_FOR_AGREEMENT = 400
MIN_HUNKS_FOR_AGREEMENT = 3
AGREEMENT = ["pair", "alike", "alike_size"]


def logit(p):
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def agreement_terms(sample, p):
    """Per pair, what the agreement stage weighs (src/plan/model.rs's `agree`): the first
    probability's log-odds, how alike the two hunks' rows of probabilities are (Pearson's
    correlation of the rows of the matrix of every pair's probability, 1 on its diagonal), and that
    times ln(hunks) / 4. None where the binary skips the stage."""
    n = len(sample.hunks)
    if not len(sample.a) or not MIN_HUNKS_FOR_AGREEMENT <= n <= MAX_HUNKS_FOR_AGREEMENT:
        return None
    m = np.eye(n)
    m[sample.a, sample.b] = p
    m[sample.b, sample.a] = p
    r = m - m.mean(1, keepdims=True)
    norm = np.sqrt((r * r).sum(1))
    norm[norm == 0] = 1.0
    alike = (r[sample.a] * r[sample.b]).sum(1) / (norm[sample.a] * norm[sample.b])
    return np.column_stack([logit(p), alike, alike * np.log(n) / 4])


def agreed(z, gamma, p):
    """The refined probabilities (`p` unchanged where the stage is skipped)."""
    if z is None:
        return p
    return 1 / (1 + np.exp(-np.clip(gamma[0] + z @ gamma[1:], -30, 30)))


def fit_agreement(samples, firsts, l2=1.0):
    """The agreement stage's regression on the labelled pairs of `samples` (each sample weighs the
    same), given each one's first probabilities."""
    xs, ys, ws = [], [], []
    for s, p in zip(samples, firsts):
        z = agreement_terms(s, p)
        k = s.known
        if z is None or not k.any():
            continue
        xs.append(z[k])
        ys.append(s.y[k])
        ws.append(np.full(int(k.sum()), 1.0 / k.sum()))
    return logistic(np.vstack(xs), np.concatenate(ys), np.concatenate(ws), l2, 50, 1e-8)


def logistic(x, y, w, l2, iterations, tolerance):
    """Weighted logistic regression by Newton's method, L2 on the coefficients, not the
    intercept (the first of those returned)."""
    w = w / w.mean()
    x1 = np.hstack([np.ones((len(x), 1)), x])
    beta = np.zeros(x1.shape[1])
    reg = np.full(x1.shape[1], l2)
    reg[0] = 0.0
    for _ in range(iterations):
        p = 1 / (1 + np.exp(-np.clip(x1 @ beta, -30, 30)))
        grad = x1.T @ (w * (p - y)) + reg * beta
        hess = (x1 * (w * p * (1 - p))[:, None]).T @ x1 + np.diag(reg + 1e-9)
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.abs(step).max() < tolerance:
            break
    return beta


def base_name(name):
    """The feature a column is of (`same_dir` for `files:same_dir`)."""
    return name.split(":", 1)[-1]


def in_group(name, group):
    """Whether an ablation group drops column `name`: its feature, or its feature's size term
    (`files:*` is every size term, and dropping SIZE drops them all)."""
    size_term = name.startswith("files:")
    return (base_name(name) in group or name in group
            or (size_term and ("files:*" in group or SIZE in group)))


class Sample:
    """One sample: its pairs' features and labels, and what scoring a grouping needs."""

    def __init__(self, name, n, meta, dump):
        self.name, self.n = name, n
        self.hunks = [tuple(h) for h in dump["hunks"]]
        self.units = dump["units"]
        labels = {tuple(h): set(made) for h, made in meta["hunks"]}
        self.labels = labels
        self.scored = sum(1 for made in labels.values() if len(made) == 1)
        pairs = np.array(dump["pairs"], dtype=float).reshape(-1, 2 + len(dump["features"]))
        self.a = pairs[:, 0].astype(int)
        self.b = pairs[:, 1].astype(int)
        self.x, self.feature_names = with_size_terms(pairs[:, 2:], dump["features"])
        label = [labels.get(h) for h in self.hunks]
        one = [next(iter(m)) if m is not None and len(m) == 1 else -1 for m in label]
        one = np.array(one)
        known = (one[self.a] >= 0) & (one[self.b] >= 0) if len(self.a) else np.zeros(0, bool)
        self.known = known
        self.y = (one[self.a] == one[self.b]).astype(float)
        reference = [tuple(h) for h, _ in meta["hunks"]]
        per_file = {}
        for h in reference:
            per_file.setdefault(h[0], []).append(h)
        self.per_file = bench.best_matching(list(per_file.values()), labels, n) / self.scored
        self.one_group = bench.best_matching([reference], labels, n) / self.scored

    def merges(self, probability):
        """The merges of src/plan/group.rs's average linkage from the starting groups, best
        link first, to one group: (link, p, q) each, the groups' starting numbers. Where to stop
        (the threshold) does not change the order, so one run serves every threshold."""
        roots = sorted(set(self.units))
        unit = {r: k for k, r in enumerate(roots)}
        g = len(roots)
        out = []
        if g > 1:
            ua = np.array([unit[self.units[i]] for i in self.a])
            ub = np.array([unit[self.units[i]] for i in self.b])
            cross = ua != ub
            total = np.zeros((g, g))
            np.add.at(total, (ua[cross], ub[cross]), probability[cross])
            total = total + total.T
            size = np.zeros(g)
            for r in self.units:
                size[unit[r]] += 1
            mean = total / np.outer(size, size)
            np.fill_diagonal(mean, -1.0)
            for _ in range(g - 1):
                flat = int(np.argmax(mean))
                p, q = divmod(flat, g)
                p, q = min(p, q), max(p, q)
                out.append((float(mean[p, q]), p, q))
                total[p, :] += total[q, :]
                total[:, p] += total[:, q]
                size[p] += size[q]
                size[q] = 0.0
                with np.errstate(divide="ignore", invalid="ignore"):
                    row = total[p, :] / (size[p] * size)
                row[size == 0] = -1.0
                row[p] = -1.0
                mean[p, :] = row
                mean[:, p] = row
                mean[q, :] = -1.0
                mean[:, q] = -1.0
        return out

    def merges_by_sum(self, probability, offset):
        """The alternative tried: merge the two groups whose pairs' log-odds (less `offset`)
        sum highest, while the sum is positive (the partition's likelihood grows)."""
        roots = sorted(set(self.units))
        unit = {r: k for k, r in enumerate(roots)}
        g = len(roots)
        out = []
        if g > 1:
            ua = np.array([unit[self.units[i]] for i in self.a])
            ub = np.array([unit[self.units[i]] for i in self.b])
            cross = ua != ub
            p = np.clip(probability[cross], 1e-6, 1 - 1e-6)
            total = np.zeros((g, g))
            np.add.at(total, (ua[cross], ub[cross]), np.log(p / (1 - p)) - offset)
            total = total + total.T
            # Starting groups with no pair between them sum to 0 less the offset per pair.
            size = np.zeros(g)
            for r in self.units:
                size[unit[r]] += 1
            link = total.copy()
            np.fill_diagonal(link, -np.inf)
            alive = np.ones(g, bool)
            for _ in range(g - 1):
                flat = int(np.argmax(link))
                a, b = divmod(flat, g)
                a, b = min(a, b), max(a, b)
                out.append((float(link[a, b]), a, b))
                total[a, :] += total[b, :]
                total[:, a] += total[:, b]
                alive[b] = False
                row = total[a, :].copy()
                row[~alive] = -np.inf
                row[a] = -np.inf
                link[a, :] = row
                link[:, a] = row
                link[b, :] = -np.inf
                link[:, b] = -np.inf
        return out

    def cut(self, merges, threshold):
        """The groups where group.rs stops: at the first merge below the threshold once there
        are at most MAX_GROUPS groups."""
        roots = sorted(set(self.units))
        unit = {r: k for k, r in enumerate(roots)}
        members = [[] for _ in roots]
        for i, r in enumerate(self.units):
            members[unit[r]].append(i)
        count = len(roots)
        for link, p, q in merges:
            if link < threshold and count <= MAX_GROUPS:
                break
            members[p] += members[q]
            members[q] = []
            count -= 1
        return [[self.hunks[i] for i in m] for m in members if m]

    def accuracy_of(self, groups):
        return bench.best_matching(groups, self.labels, self.n) / self.scored

    def accuracy(self, probability, threshold):
        return self.accuracy_of(self.cut(self.merges(probability), threshold))


def load(args):
    """Every sample of every history of the corpus, with its features."""
    repos = bench.corpus_clones(args.corpus)
    bin_id = bench.binary_id(args.bin)
    prep = argparse.Namespace(ns=args.ns + args.fit_ns, samples=args.samples, seed=args.seed,
                              max_lines=args.max_lines, max_files=args.max_files)
    out = {}
    for name, repo in repos.items():
        prepared = bench.prepared_samples(prep, name, repo)
        items = [(n, where, meta) for n, rows in prepared.items() for where, meta in rows]
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
            dumps = list(pool.map(lambda item: features_of(args.bin, bin_id, item[1]), items))
        out[name] = [Sample(name, n, meta, dump) for (n, _, meta), dump in zip(items, dumps)]
        print(f"  {name}: {len(out[name])} samples", file=sys.stderr)
    return out


def fit(samples, columns, l2=1.0, per_sample=True, weight_of=lambda s: 1.0):
    """Logistic regression (Newton's method, L2 on the coefficients, not the intercept) on the
    labelled pairs of `samples`, features `columns` only. Each sample weighs the same in all (its
    pairs share a weight of 1) with `per_sample`, else each pair weighs 1."""
    xs, ys, ws = [], [], []
    rng = np.random.default_rng(1)
    for s in samples:
        k = s.known.copy()
        if not k.any():
            continue
        if k.sum() > MAX_FIT_PAIRS:
            keep = rng.choice(np.flatnonzero(k), MAX_FIT_PAIRS, replace=False)
            k[:] = False
            k[keep] = True
        xs.append(s.x[k][:, columns])
        ys.append(s.y[k])
        ws.append(np.full(int(k.sum()), (1.0 / k.sum() if per_sample else 1.0) * weight_of(s)))
    return logistic(np.vstack(xs), np.concatenate(ys), np.concatenate(ws), l2, 30, 1e-7)


def sample_weight(args):
    """What a sample weighs in the fit: 1, or --fit-weight for the N of --fit-ns."""
    return lambda s: args.fit_weight if s.n in args.fit_ns and s.n not in args.ns else 1.0


def first_probabilities(sample, beta, columns):
    z = beta[0] + sample.x[:, columns] @ beta[1:] if len(sample.x) else np.zeros(0)
    return 1 / (1 + np.exp(-np.clip(z, -30, 30)))


def probabilities(sample, model, columns):
    """Each pair's probability under `model`, (the first regression, the agreement stage or
    None), as the binary computes it."""
    beta, gamma = model
    p = first_probabilities(sample, beta, columns)
    return p if gamma is None else agreed(agreement_terms(sample, p), gamma, p)


def fit_model(samples, columns, args):
    """The first regression and, unless --no-agreement, the agreement stage after it."""
    beta = fit(samples, columns, args.l2, args.per_sample, sample_weight(args))
    if not args.agreement:
        return beta, None
    gamma = fit_agreement(samples, [first_probabilities(s, beta, columns) for s in samples])
    return beta, gamma


def score(samples, model, columns, threshold):
    """Per N, the accuracy of each sample."""
    out = {}
    for s in samples:
        out.setdefault(s.n, []).append(s.accuracy(probabilities(s, model, columns), threshold))
    return out


def history_score(by_n):
    return statistics.mean(statistics.median(v) for v in by_n.values())


THRESHOLDS = [0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6]


def leave_one_out(data, columns, args):
    """For each history: the model fitted on the other five, the threshold best on them, and
    its accuracies."""
    result = {}
    for held in data:
        train = [s for name, rows in data.items() if name != held for s in rows]
        model = fit_model(train, columns, args)
        scored = [s for s in train if s.n in args.ns]
        t = args.threshold if args.threshold is not None else best_threshold(scored, model, columns)
        result[held] = (model, t, score([s for s in data[held] if s.n in args.ns], model, columns, t))
    return result


def best_threshold(samples, model, columns):
    """The threshold of THRESHOLDS best on `samples` (mean over histories of the mean over N of
    the median accuracy)."""
    merges = [s.merges(probabilities(s, model, columns)) for s in samples]
    best = None
    for t in THRESHOLDS:
        by_name = {}
        for s, m in zip(samples, merges):
            by_name.setdefault(s.name, {}).setdefault(s.n, []).append(s.accuracy_of(s.cut(m, t)))
        value = statistics.mean(history_score(v) for v in by_name.values())
        if best is None or value > best[0]:
            best = (value, t)
    return best[1]


def weights_text(model, columns, names, threshold):
    """The `--weights` text of a model (features left out get 0; no agreement stage is
    `agree:bias=0,agree:pair=1`, which leaves every probability as it is)."""
    beta, gamma = model
    coef = dict.fromkeys(names, 0.0)
    for c, v in zip(columns, beta[1:]):
        coef[names[c]] = v
    gamma = [0.0, 1.0, 0.0, 0.0] if gamma is None else gamma
    agree = [f"agree:{k}={v:.4f}" for k, v in zip(["bias"] + AGREEMENT, gamma)]
    return ",".join([f"bias={beta[0]:.4f}"] + [f"{k}={v:.4f}" for k, v in coef.items()] + agree
                    + [f"threshold={threshold}"])


def table(data, loo):
    lines = ["| history | N | samples | median | mean | one group per file (median) | everything in one "
             "group (median) | lead over per file | threshold |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    every = {}
    for name, (_, t, by_n) in loo.items():
        rows = {s.n: [] for s in data[name]}
        for s in data[name]:
            rows[s.n].append(s)
        allacc, allpf, allone = [], [], []
        for n in sorted(by_n):
            acc = by_n[n]
            pf = [s.per_file for s in rows[n]]
            one = [s.one_group for s in rows[n]]
            allacc += acc
            allpf += pf
            allone += one
            e = every.setdefault(n, ([], [], []))
            e[0].extend(acc)
            e[1].extend(pf)
            e[2].extend(one)
            lines.append(line(name, str(n), acc, pf, one, t))
        lines.append(line(name, "all", allacc, allpf, allone, t))
    for n, (acc, pf, one) in sorted(every.items()):
        lines.append(line("all", str(n), acc, pf, one, "each as above"))
    return "\n".join(lines)


def line(name, n, acc, pf, one, t):
    m, p = statistics.median(acc), statistics.median(pf)
    return (f"| {name} | {n} | {len(acc)} | {100 * m:.1f} % | {100 * statistics.mean(acc):.1f} % | "
            f"{100 * p:.1f} % | {100 * statistics.median(one):.1f} % | {100 * (m - p):+.1f} | {t} |")


# Feature groups for the ablation: each is dropped (and the model refitted) in turn.
GROUPS = {
    "place in the file (near, gap)": ["near", "gap"],
    "same function": ["same_function"],
    "enclosing block by indentation (same, shared, both at the top)": ["same_scope", "scope_shared",
                                                                       "both_top"],
    "name of the enclosing block used by the other": ["scope_use"],
    "file name used by the other": ["file_use"],
    "same directory / common path": ["same_dir", "path_common"],
    "same extension": ["same_ext"],
    "test pair": ["test_pair"],
    "manifest pair": ["manifest"],
    "co-change": ["cochange"],
    "shared new identifiers": ["shared_new"],
    "define-use": ["define_use"],
    "rare and common shared identifiers": ["rare", "common"],
    "same edit": ["same_edit"],
    "jaccard": ["jaccard"],
    "shape (new files, tests, insert/delete, size)": ["both_new_files", "one_new_file", "both_tests",
                                                      "one_test", "both_insert", "both_delete", "size"],
    "same file (all place-in-file features)": ["same_file", "near", "gap", "same_function",
                                               "same_scope", "scope_shared", "both_top",
                                               "file_hunks"],
    "comment-only hunks": ["both_comments", "one_comment"],
    "identical changed lines": ["same_lines"],
    "work and file size": ["work_files", "work_hunks", "file_hunks", "both_alone"],
    "size terms (each feature times the work's files)": ["files:*"],
}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--bin", default=os.path.join(bench.ROOT, "target", "release", "commit-nudge"))
    parser.add_argument("--ns", default="2,3,5", type=lambda s: [int(x) for x in s.split(",")])
    parser.add_argument("--fit-ns", default=[], type=lambda s: [int(x) for x in s.split(",") if x],
                        help="more N fitted on but not scored (1: works that are one commit)")
    parser.add_argument("--fit-weight", type=float, default=1.0,
                        help="what a sample of --fit-ns weighs against one scored")
    parser.add_argument("--samples", type=int, default=120)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--max-lines", type=int, default=1500)
    parser.add_argument("--max-files", type=int, default=60)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--l2", type=float, default=1.0)
    parser.add_argument("--per-pair", dest="per_sample", action="store_false")
    parser.add_argument("--no-agreement", dest="agreement", action="store_false",
                        help="the first regression alone, without the agreement stage")
    parser.add_argument("--drop", default="", help="features left out, comma-separated")
    parser.add_argument("--ablate", action="store_true")
    parser.add_argument("--only", default="",
                        help="with --ablate, the groups whose label starts with one of these (comma-separated)")
    parser.add_argument("--threshold", type=float,
                        help="a fixed threshold instead of the best on the other five (faster)")
    parser.add_argument("--json-out")
    args = parser.parse_args()
    data = load(args)
    names = next(s for rows in data.values() for s in rows).feature_names
    drop = set(filter(None, args.drop.split(",")))
    columns = [i for i, n in enumerate(names) if not in_group(n, drop)]
    loo = leave_one_out(data, columns, args)
    print(table(data, loo))
    print()
    for name, (model, t, _) in loo.items():
        print(f"without {name}: {weights_text(model, columns, names, t)}")
    everything = [s for rows in data.values() for s in rows]
    model = fit_model(everything, columns, args)
    best = best_threshold([s for s in everything if s.n in args.ns], model, columns)
    print(f"\nall six: {weights_text(model, columns, names, best)}")
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump({"loo": {name: weights_text(m, columns, names, t) for name, (m, t, _) in loo.items()},
                       "all": weights_text(model, columns, names, best)}, f, indent=1)
    if args.ablate:
        base = {name: statistics.median([a for v in by_n.values() for a in v]) for name, (_, _, by_n) in loo.items()}
        five = {name: statistics.median(by_n.get(5, [0])) for name, (_, _, by_n) in loo.items()}
        head = " | ".join(data)
        print(f"\n| dropped (refitted, leave one out) | {head} | N = 5 (all) |")
        print("| --- |" + " --- |" * (len(data) + 1))
        print("| nothing (medians) | " + " | ".join(f"{100 * base[n]:.1f} %" for n in data) + " | "
              f"{100 * statistics.median([a for _, _, b in loo.values() for a in b.get(5, [])]):.1f} % |")
        only = [o for o in args.only.split(",") if o]
        for label, group in GROUPS.items():
            if only and not any(label.startswith(o) for o in only):
                continue
            cols = [i for i in columns if not in_group(names[i], group)]
            res = leave_one_out(data, cols, args)
            cells = []
            for name, (_, _, by_n) in res.items():
                m = statistics.median([a for v in by_n.values() for a in v])
                cells.append(f"{100 * (m - base[name]):+.1f}")
            f5 = statistics.median([a for _, _, b in res.values() for a in b.get(5, [])])
            print(f"| {label} | " + " | ".join(cells) + f" | {100 * f5:.1f} % |", flush=True)


if __name__ == "__main__":
    main()
