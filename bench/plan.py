#!/usr/bin/env python3
"""Benchmark of the commit plan, after SmartCommit (FSE 2021).

Take N = 2, 3 and 5 consecutive commits by one author from a real history, leave their combined
change uncommitted (HEAD = the parent of the first, index = HEAD, working tree = the last commit's
tree), run `commit-nudge plan --json`, and score hunk accuracy: the share of hunks in the right
group under the best one-to-one matching of planned groups to real commits. git blame over the
range tells which commit made each added line (and `blame --reverse` which removed each removed
line); a hunk whose lines come from several commits is not scored. The baselines "one group per
file" and "everything in one group" are scored on the same samples. Each plan is then applied in
the scratch clone and checked for losslessness: a clean tree, one commit per group, each commit's
files exactly the parent's with its group's hunks and those of the groups before it applied, the
final tree equal to the last real commit's.

    python3 bench/plan.py --repo ~/.cache/cn-bench/ripgrep --samples 30
    python3 bench/plan.py --repo . --samples 30          # this project's own history
    python3 bench/plan.py --timing                       # 2,000 lines in 30 files, warm and cold
    python3 bench/plan.py --corpus /work/shared/corpus --samples 100 --jobs 2
                                                         # all six histories, per repository and per N
    python3 bench/plan.py --corpus /work/shared/corpus --samples 100 --jobs 2 \
        --loo bench/weights-grid.txt                     # leave one repository out over a weights grid
    python3 bench/plan.py --corpus /work/shared/corpus --samples 60 --jobs 2 \
        --fitted /tmp/fit.json                           # each history under the pair model that
                                                         # bench/fit.py fitted without it

With --corpus each bundle is cloned once under ~/.cache/cn-bench/<name> (kept between runs), the
samples of each history are drawn once from a seed made of --seed, the history's name and N (the
same samples for every weights candidate and every run), and histories are planned in parallel, at
most two at a time (one scratch clone each). With --loo, each line of the file is one weights
candidate (`--weights` syntax; an empty line is the defaults); every candidate is scored on every
history, and each history is reported under the candidate that scores best on the other five (mean
of their medians), never under one fitted on itself. Per-candidate results are cached under
~/.cache/cn-bench/results/ by binary, history, candidate and sampling, so a rerun only plans what
changed.

Run by hand; nothing here is a test. Figures go in bench/RESULTS.md.
"""

import argparse
import concurrent.futures
import hashlib
import itertools
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def git(cwd, *args, check=True):
    out = subprocess.run(["git", *args], cwd=cwd, capture_output=True,
                         env={**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "LC_ALL": "C"})
    if check and out.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)}: {out.stderr.decode(errors='replace')}")
    return out.stdout.decode(errors="replace")


def chains(repo, n, max_lines, max_files):
    """Windows of n consecutive first-parent, non-merge commits by one author."""
    log = git(repo, "log", "--first-parent", "--format=%H %P%x09%ae", "--numstat", "HEAD")
    commits = []  # newest first: (sha, parents, email, lines, files)
    for block in log.split("\n\n"):
        pass
    current = None
    for line in log.splitlines():
        if not line.strip():
            continue
        m = re.match(r"^([0-9a-f]{40})((?: [0-9a-f]{40})*)\t(.*)$", line)
        if m:
            current = [m.group(1), m.group(2).split(), m.group(3), 0, 0]
            commits.append(current)
        elif current is not None:
            parts = line.split("\t")
            if len(parts) >= 3:
                a = int(parts[0]) if parts[0].isdigit() else 0
                d = int(parts[1]) if parts[1].isdigit() else 0
                current[3] += a + d
                current[4] += 1
    commits.reverse()  # oldest first
    windows = []
    for i in range(1, len(commits) - n + 1):
        window = commits[i:i + n]
        if any(len(c[1]) != 1 for c in window):
            continue
        if any(window[k][1][0] != (window[k - 1][0] if k else commits[i - 1][0]) for k in range(n)):
            continue
        if len({c[2] for c in window}) != 1:
            continue
        if any(c[3] == 0 for c in window):
            continue
        if sum(c[3] for c in window) > max_lines or sum(c[4] for c in window) > max_files:
            continue
        windows.append([c[0] for c in window])
    return windows


def parse_json_hunks(plan):
    groups = []
    for commit in plan["commits"]:
        groups.append([(h["path"], h["old_start"], h["old_lines"], h["new_start"], h["new_lines"])
                       for h in commit["hunks"]])
    return groups


def reference_hunks(work):
    """The hunks of `git diff -U0 --no-renames HEAD`, plus one per untracked file (git itself)."""
    out = git(work, "diff", "-U0", "--no-renames", "--no-ext-diff", "--no-textconv", "HEAD")
    hunks = []
    path = None
    binary_paths = set()
    for line in out.splitlines():
        if line.startswith("diff --git "):
            path = None
        elif line.startswith("+++ ") or line.startswith("--- "):
            name = line[4:]
            if name != "/dev/null":
                path = name[2:]
        elif line.startswith("Binary files "):
            m = re.match(r"Binary files (?:a/(.*)|/dev/null) and (?:b/(.*)|/dev/null) differ", line)
            if m:
                binary_paths.add(m.group(2) or m.group(1))
        elif line.startswith("@@ "):
            m = re.match(r"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@", line)
            hunks.append((path, int(m.group(1)), int(m.group(2) or 1), int(m.group(3)), int(m.group(4) or 1)))
    for p in binary_paths:
        hunks.append((p, 0, 0, 0, 0))
    for p in git(work, "ls-files", "--others", "--exclude-standard", "-z").split("\0"):
        if p:
            n = count_lines(os.path.join(work, p))
            hunks.append((p, 0, 0, 1 if n else 0, n) if n is not None else (p, 0, 0, 0, 0))
    return hunks


def count_lines(path):
    try:
        data = open(path, "rb").read()
    except OSError:
        return None
    if b"\0" in data[:8000]:
        return None
    if not data:
        return 0
    return data.count(b"\n") + (0 if data.endswith(b"\n") else 1)


def blame_lines(work, rev_range, rev, path, reverse=False):
    """For each line of `path` at `rev`: the commit git blame gives it within `rev_range`."""
    args = ["blame", "--porcelain"]
    if reverse:
        args.append("--reverse")
    args += [rev_range, "--", path] if reverse else [rev_range, "--", path]
    out = git(work, *args, check=False)
    owner = {}
    for line in out.splitlines():
        m = re.match(r"^([0-9a-f]{40}) (\d+) (\d+)", line)
        if m:
            owner[int(m.group(3))] = m.group(1)
    return owner


def label_hunks(work, chain, parent, hunks):
    """The set of chain commits that made each hunk's lines."""
    index = {sha: i for i, sha in enumerate(chain)}
    last = chain[-1]
    forward = {}
    backward = {}
    labels = {}
    for h in hunks:
        path, os_, ol, ns, nl = h
        made = set()
        if nl > 0:
            if path not in forward:
                forward[path] = blame_lines(work, f"{parent}..{last}", last, path)
            for line in range(ns, ns + nl):
                sha = forward[path].get(line)
                if sha in index:
                    made.add(index[sha])
        if ol > 0:
            if path not in backward:
                backward[path] = blame_lines(work, f"{parent}..{last}", parent, path, reverse=True)
            for line in range(os_, os_ + ol):
                sha = backward[path].get(line)
                if sha == parent:
                    made.add(0)
                elif sha in index and index[sha] + 1 < len(chain):
                    made.add(index[sha] + 1)
        if ol == 0 and nl == 0:
            touched = git(work, "log", "--format=%H", f"{parent}..{last}", "--", path).split()
            made = {index[s] for s in touched if s in index}
        labels[h] = made
    return labels


def best_matching(groups, labels, n):
    """Hunks placed right under the best one-to-one matching of groups to commits."""
    counts = [[0] * n for _ in groups]
    for g, members in enumerate(groups):
        for h in members:
            made = labels.get(h)
            if made is not None and len(made) == 1:
                counts[g][next(iter(made))] += 1
    g = len(groups)
    if g == 0:
        return 0
    best = 0
    if g <= 9:
        if g >= n:
            for perm in itertools.permutations(range(g), n):
                # perm[c] is the group matched to commit c.
                best = max(best, sum(counts[perm[c]][c] for c in range(n)))
        else:
            for perm in itertools.permutations(range(n), g):
                # perm[a] is the commit matched to group a.
                best = max(best, sum(counts[a][perm[a]] for a in range(g)))
        return best
    # Many groups: greedy on the largest cells.
    cells = sorted(((counts[a][b], a, b) for a in range(g) for b in range(n)), reverse=True)
    used_g, used_c = set(), set()
    for value, a, b in cells:
        if a not in used_g and b not in used_c:
            used_g.add(a)
            used_c.add(b)
            best += value
    return best


def check_lossless(work, plan, last, weights="", record=False):
    """Applies the plan (made again with the same weights, and with the record of the work when
    `record`: bench/replay.py's) in the sample's work tree and checks it lost nothing."""
    head_before = git(work, "rev-parse", "HEAD").strip()
    binary = os.environ.get("COMMIT_NUDGE_BIN")
    command = [binary, "plan", "--apply", work] + ([] if record else ["--no-record"])
    if weights:
        command.append(f"--weights={weights}")
    out = subprocess.run(command, capture_output=True)
    if out.returncode != 0:
        return False, "apply failed: " + out.stderr.decode(errors="replace")[:300]
    status = git(work, "status", "--porcelain", "--untracked-files=all")
    if status.strip():
        return False, "not clean: " + status[:200]
    n_made = int(git(work, "rev-list", "--count", f"{head_before}..HEAD").strip())
    if n_made != len(plan["commits"]):
        return False, f"{n_made} commits for {len(plan['commits'])} groups"
    if git(work, "diff", "--name-only", last, "HEAD").strip():
        return False, "final tree differs from the last commit"
    # Each commit's files are the parent's with exactly the hunks of its group and the groups
    # before it applied (the work's own lines, numbered as `git diff -U0` numbers them). Compared
    # by content, not by the commit's numstat: git's diff of an intermediate commit may align a
    # change differently from the work's hunks (two hunks that meet, a repeated line) and count a
    # line more on each side without any line being lost or added.
    paths = sorted({h["path"] for c in plan["commits"] for h in c["hunks"]})
    old = {p: blob_at(work, head_before, p) for p in paths}
    new = {p: blob_at(work, last, p) for p in paths}
    every = {p: [h for c in plan["commits"] for h in c["hunks"] if h["path"] == p] for p in paths}
    chosen = {p: [] for p in paths}
    for k, commit in enumerate(plan["commits"]):
        for h in commit["hunks"]:
            chosen[h["path"]].append(h)
        rev = f"HEAD~{n_made - 1 - k}"
        for p in paths:
            want = with_hunks(old[p], new[p], chosen[p], len(chosen[p]) == len(every[p]))
            if blob_at(work, rev, p) != want:
                return False, f"commit {k + 1}: {p} is not the parent's with its group's hunks"
    return True, ""


def blob_at(work, rev, path):
    """The bytes of `path` at `rev`, or None where it does not exist."""
    out = subprocess.run(["git", "-C", work, "cat-file", "blob", f"{rev}:{path}"], capture_output=True)
    return out.stdout if out.returncode == 0 else None


def with_hunks(old, new, hunks, all_of_them):
    """`old` with `hunks` of the work applied (their new lines taken from `new`): all of a file's
    hunks give the final file (a new, deleted or binary file included), none the old one."""
    if all_of_them:
        return new
    if not hunks:
        return old
    old_lines = (old or b"").splitlines(keepends=True)
    new_lines = (new or b"").splitlines(keepends=True)
    out, at = [], 0
    for h in sorted(hunks, key=lambda h: h["old_start"]):
        start = h["old_start"] if h["old_lines"] == 0 else h["old_start"] - 1
        out += old_lines[at:start]
        out += new_lines[h["new_start"] - 1:h["new_start"] - 1 + h["new_lines"]] if h["new_lines"] else []
        at = start + h["old_lines"]
    out += old_lines[at:]
    return b"".join(out)


SAMPLES = os.path.expanduser("~/.cache/cn-bench/samples")


def history_clone(repo):
    """A clone of `repo` to hang sample work trees on: the corpus clone itself, else one under
    ~/.cache/cn-bench keyed by the path (never the user's own repository)."""
    repo = os.path.abspath(repo)
    if repo.startswith(os.path.expanduser("~/.cache/cn-bench") + os.sep):
        return repo
    target = os.path.join(os.path.expanduser("~/.cache/cn-bench"),
                          "clone-" + hashlib.sha256(repo.encode()).hexdigest()[:12])
    if not os.path.isdir(target):
        git(os.path.dirname(target), "clone", "-q", "--no-checkout", repo, target)
    return target


def prepare_sample(clone, chain, where):
    """One sample made once: a work tree (HEAD = the parent of the first commit, index = HEAD,
    files = the last commit's) and the label of each hunk of `git diff`, kept in sample.json."""
    meta_path = os.path.join(where, "sample.json")
    if os.path.exists(meta_path):
        with open(meta_path) as f:
            return json.load(f)
    work = os.path.join(where, "work")
    if os.path.exists(where):
        git(clone, "worktree", "remove", "--force", work, check=False)
        shutil.rmtree(where, ignore_errors=True)
    os.makedirs(where)
    parent = git(clone, "rev-parse", f"{chain[0]}~1").strip()
    last = chain[-1]
    git(clone, "worktree", "add", "-q", "--detach", work, last)
    for key, value in [("user.email", "bench@example.com"), ("user.name", "Bench"),
                       ("commit.gpgsign", "false")]:
        git(work, "config", key, value)
    git(work, "reset", "-q", parent)
    reference = reference_hunks(work)
    labels = label_hunks(work, chain, parent, reference)
    meta = {"chain": chain, "parent": parent, "last": last,
            "hunks": [[list(h), sorted(labels[h])] for h in reference]}
    with open(meta_path + ".tmp", "w") as f:
        json.dump(meta, f)
    os.replace(meta_path + ".tmp", meta_path)
    return meta


def restore_sample(work, meta):
    """Puts a sample's work tree back as prepared (after the lossless check committed in it)."""
    git(work, "checkout", "-qf", "--detach", meta["last"])
    git(work, "clean", "-qfdx")
    git(work, "reset", "-q", meta["parent"])


def prepared_samples(args, name, repo):
    """For each N, up to --samples samples of `repo`, drawn from a seed of --seed, the history's
    name and N, prepared once under ~/.cache/cn-bench/samples/<name>/ and reused by every run."""
    clone = history_clone(repo)
    out = {}
    for n in args.ns:
        windows = chains(clone, n, args.max_lines, args.max_files)
        random.Random(f"{args.seed}:{name}:{n}").shuffle(windows)
        index_path = os.path.join(SAMPLES, name, f"{args.seed}-{n}-index.json")
        skipped = set()
        if os.path.exists(index_path):
            with open(index_path) as f:
                skipped = set(json.load(f)["skipped"])
        rows = []
        for chain in windows:
            if len(rows) >= args.samples:
                break
            if chain[0] in skipped:
                continue
            where = os.path.join(SAMPLES, name, f"{args.seed}-{n}-{chain[0][:12]}")
            try:
                meta = prepare_sample(clone, chain, where)
            except Exception as error:  # noqa: BLE001 - a broken sample is reported and skipped
                print(f"  skipped {chain[0][:8]}: {error}", file=sys.stderr)
                skipped.add(chain[0])
                continue
            if not any(len(made) == 1 for _, made in meta["hunks"]):
                skipped.add(chain[0])
                continue
            rows.append((where, meta))
        os.makedirs(os.path.dirname(index_path), exist_ok=True)
        with open(index_path, "w") as f:
            json.dump({"skipped": sorted(skipped)}, f)
        out[n] = rows
    return out


def score_sample(binary, where, meta, weights, apply):
    """Plans one prepared sample and scores it (and, with `apply`, checks the plan lossless)."""
    work = os.path.join(where, "work")
    args = [binary, "plan", "--json", "--no-record", work]
    if weights:
        args.append(f"--weights={weights}")
    start = time.perf_counter()
    out = subprocess.run(args, capture_output=True)
    elapsed = time.perf_counter() - start
    if out.returncode != 0:
        raise RuntimeError(out.stderr.decode(errors="replace"))
    plan = json.loads(out.stdout)
    groups = parse_json_hunks(plan)
    planned = [h for g in groups for h in g]
    reference = [tuple(h) for h, _ in meta["hunks"]]
    labels = {tuple(h): set(made) for h, made in meta["hunks"]}
    scored = [h for h in reference if len(labels[h]) == 1]
    n = len(meta["chain"])
    per_file = {}
    for h in reference:
        per_file.setdefault(h[0], []).append(h)
    row = {
        "chain": meta["chain"],
        "hunks": len(planned),
        "scored": len(scored),
        "groups": len(groups),
        "accuracy": best_matching(groups, labels, n) / len(scored),
        "per_file": best_matching(list(per_file.values()), labels, n) / len(scored),
        "one_group": best_matching([reference], labels, n) / len(scored),
        "seconds": elapsed,
        "every_hunk_once": sorted(planned) == sorted(reference),
    }
    if apply:
        os.environ["COMMIT_NUDGE_BIN"] = binary
        try:
            ok, why = check_lossless(work, plan, meta["last"], weights)
        finally:
            restore_sample(work, meta)
        row["lossless"] = ok and row["every_hunk_once"]
        if not row["lossless"]:
            print(f"  not lossless {meta['chain'][0][:8]}: {why or 'hunks differ from git diff'}",
                  file=sys.stderr)
    return row


def accuracy_bench(args, repo=None, weights=None, name=None):
    """Plan and score one history's prepared samples; `repo`, `weights` and `name` override the
    arguments. Samples are prepared once (work tree and labels); a run only plans and scores."""
    repo = repo or args.repo
    weights = args.weights if weights is None else weights
    name = name or os.path.basename(os.path.abspath(repo))
    samples = prepared_samples(args, name, repo)
    results = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, min(args.jobs, 2))) as pool:
        for n, prepared in samples.items():
            checked = args.apply_samples if args.apply_samples is not None else len(prepared)
            rows = list(pool.map(
                lambda item: score_sample(args.bin, item[1][0], item[1][1], weights,
                                          args.apply and item[0] < checked),
                enumerate(prepared)))
            if args.verbose:
                for row in rows:
                    print(f"  N={n} {row['chain'][-1][:8]} hunks={row['hunks']} groups={row['groups']} "
                          f"acc={row['accuracy']:.2f} file={row['per_file']:.2f} "
                          f"one={row['one_group']:.2f}", file=sys.stderr)
            results[n] = rows
    return results


CORPUS = ["ripgrep", "requests", "cobra", "jq", "axios", "jsoup"]


def corpus_clones(corpus):
    """Each bundle of the corpus cloned once under ~/.cache/cn-bench (to a temp name, then moved)."""
    cache = os.path.expanduser("~/.cache/cn-bench")
    os.makedirs(cache, exist_ok=True)
    repos = {}
    for name in CORPUS:
        bundle = os.path.join(corpus, f"{name}.bundle")
        if not os.path.exists(bundle):
            continue
        target = os.path.join(cache, name)
        if not os.path.isdir(target):
            temp = tempfile.mkdtemp(prefix=f".{name}-", dir=cache)
            git(cache, "clone", "-q", bundle, os.path.join(temp, name))
            try:
                os.rename(os.path.join(temp, name), target)
            except OSError:
                pass  # another run moved its clone first: use that one
            shutil.rmtree(temp, ignore_errors=True)
        repos[name] = target
    return repos


def binary_id(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()[:16]


def cached_history(args, name, repo, weights):
    """One history's results for one weights candidate, from the cache or planned now."""
    key = json.dumps([binary_id(args.bin), name, git(repo, "rev-parse", "HEAD").strip(), weights,
                      args.ns, args.samples, args.seed, args.max_lines, args.max_files, args.apply]
                     + ([args.apply_samples] if args.apply and args.apply_samples is not None else []))
    cache = os.path.expanduser("~/.cache/cn-bench/results")
    os.makedirs(cache, exist_ok=True)
    path = os.path.join(cache, hashlib.sha256(key.encode()).hexdigest()[:24] + ".json")
    if os.path.exists(path):
        with open(path) as f:
            return {int(k): v for k, v in json.load(f).items()}
    start = time.perf_counter()
    results = accuracy_bench(args, repo=repo, weights=weights, name=name)
    print(f"  {name} [{weights or 'defaults'}]: {time.perf_counter() - start:.0f} s", file=sys.stderr)
    with open(path + ".tmp", "w") as f:
        json.dump({str(k): v for k, v in results.items()}, f)
    os.replace(path + ".tmp", path)
    return results


def corpus_bench(args, candidates):
    """Every candidate on every history of the corpus (samples planned --jobs at a time)."""
    repos = corpus_clones(args.corpus)
    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, min(args.jobs, 2))) as pool:
        list(pool.map(lambda item: prepared_samples(args, *item), repos.items()))
    print(f"  samples prepared (or found) in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    if args.prepare_only:
        return list(repos), {}
    out = {}
    for w in candidates:
        for name, repo in repos.items():
            out[(name, w)] = cached_history(args, name, repo, w)
    return list(repos), out


def history_score(results):
    """The figure a candidate is chosen by: the mean over N of the median accuracy."""
    medians = [statistics.median(r["accuracy"] for r in rows) for rows in results.values() if rows]
    return statistics.mean(medians) if medians else 0.0


def corpus_table(names, chosen, apply, loo=False):
    """Per history and per N: planner beside both baselines, under the weights `chosen` gives it."""
    lines = ["| history | weights | N | samples | median | mean | one group per file (median / mean) | "
             "everything in one group (median / mean) | lead over per file (medians) | lossless |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    every = {}
    for name in names:
        weights, results = chosen[name]
        rows_all = []
        for n, rows in sorted(results.items()):
            if not rows:
                continue
            rows_all += rows
            every.setdefault(n, []).extend(rows)
            lines.append(corpus_line(name, weights, str(n), rows, apply))
        if rows_all:
            lines.append(corpus_line(name, weights, "all", rows_all, apply))
    for n, rows in sorted(every.items()):
        lines.append(corpus_line("all", "each as above" if loo else "", str(n), rows, apply))
    return "\n".join(lines)


def corpus_line(name, weights, n, rows, apply):
    acc = statistics.median(r["accuracy"] for r in rows)
    pf = statistics.median(r["per_file"] for r in rows)
    one = statistics.median(r["one_group"] for r in rows)
    checked = [r for r in rows if "lossless" in r]
    lossless = f"{sum(1 for r in checked if r['lossless'])}/{len(checked)}" if apply else "not checked"
    return (f"| {name} | {weights or 'defaults'} | {n} | {len(rows)} | {pct(acc)} | "
            f"{pct(statistics.mean(r['accuracy'] for r in rows))} | "
            f"{pct(pf)} / {pct(statistics.mean(r['per_file'] for r in rows))} | "
            f"{pct(one)} / {pct(statistics.mean(r['one_group'] for r in rows))} | "
            f"{100 * (acc - pf):+.1f} | {lossless} |")


def candidate_table(names, out, candidates):
    """Every candidate's median per history (all N; and at N = 5), the figure it is chosen by."""
    head = " | ".join(f"{name} (all / N=5)" for name in names)
    lines = [f"| candidate | {head} | score (mean of the medians per history and N) |",
             "| --- |" + " --- |" * (len(names) + 1)]
    for w in candidates:
        cells = []
        for name in names:
            results = out[(name, w)]
            rows_all = [r for rows in results.values() for r in rows]
            five = results.get(5) or []
            cells.append(f"{pct(statistics.median(r['accuracy'] for r in rows_all))} / "
                         f"{pct(statistics.median(r['accuracy'] for r in five)) if five else '-'}")
        score = statistics.mean(history_score(out[(name, w)]) for name in names)
        lines.append(f"| {w or 'defaults'} | {' | '.join(cells)} | {pct(score)} |")
    return "\n".join(lines)


def leave_one_out(names, out, candidates):
    """For each history, the candidate best on the other five (never fitted on itself)."""
    chosen = {}
    for held in names:
        others = [n for n in names if n != held]
        best = max(candidates, key=lambda w: statistics.mean(history_score(out[(o, w)]) for o in others))
        chosen[held] = (best, out[(held, best)])
    return chosen


def summarise(results, apply):
    lines = ["| N | samples | median | mean | one group per file (median / mean) | everything in one group (median / mean) | groups (mean) | hunks (mean) | plan time (median / max) | lossless |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    all_rows = []
    for n, rows in results.items():
        if not rows:
            continue
        all_rows += rows
        lines.append(row_line(str(n), rows, apply))
    if all_rows:
        lines.append(row_line("all", all_rows, apply))
    return "\n".join(lines)


def pct(x):
    return f"{100 * x:.1f} %"


def row_line(name, rows, apply):
    acc = [r["accuracy"] for r in rows]
    pf = [r["per_file"] for r in rows]
    one = [r["one_group"] for r in rows]
    secs = [r["seconds"] for r in rows]
    lossless = f"{sum(1 for r in rows if r.get('lossless'))}/{len(rows)}" if apply else \
        f"{sum(1 for r in rows if r['every_hunk_once'])}/{len(rows)} (hunks only)"
    return (f"| {name} | {len(rows)} | {pct(statistics.median(acc))} | {pct(statistics.mean(acc))} | "
            f"{pct(statistics.median(pf))} / {pct(statistics.mean(pf))} | "
            f"{pct(statistics.median(one))} / {pct(statistics.mean(one))} | "
            f"{statistics.mean(r['groups'] for r in rows):.1f} | {statistics.mean(r['hunks'] for r in rows):.1f} | "
            f"{1000 * statistics.median(secs):.0f} / {1000 * max(secs):.0f} ms | {lossless} |")


def timing_bench(args):
    """A 2,000-line change in 30 files of ripgrep's tree, planned cold and warm."""
    scratch = tempfile.mkdtemp(prefix="cn-plan-timing-")
    work = os.path.join(scratch, "work")
    git(scratch, "clone", "-q", os.path.abspath(args.repo), work)
    files = [p for p in git(work, "ls-files", "*.rs").split() if os.path.getsize(os.path.join(work, p)) > 4000][:30]
    rng = random.Random(1)
    total = 0
    for k, path in enumerate(files):
        full = os.path.join(work, path)
        lines = open(full, encoding="utf-8", errors="replace").read().split("\n")
        per_file = 2000 // len(files) + (1 if k < 2000 % len(files) else 0)
        # Four places per file: some lines replaced, the rest inserted.
        for part in range(4):
            at = rng.randrange(1, max(2, len(lines) - 10))
            count = per_file // 4 + (1 if part < per_file % 4 else 0)
            new = [f"    let planned_{k}_{part}_{i} = helper_{k}({i});" for i in range(count)]
            replaced = min(3, count)
            lines[at:at + replaced] = new
            total += count + replaced
        open(full, "w", encoding="utf-8").write("\n".join(lines))
    numstat = git(work, "diff", "--shortstat")
    cache = os.path.join(work, ".git", "commit-nudge", "cochange")
    cold, warm = [], []
    for _ in range(args.runs):
        if os.path.exists(cache):
            os.remove(cache)
        start = time.perf_counter()
        subprocess.run([args.bin, "plan", "--json", work], capture_output=True, check=True)
        cold.append(time.perf_counter() - start)
        start = time.perf_counter()
        subprocess.run([args.bin, "plan", "--json", work], capture_output=True, check=True)
        warm.append(time.perf_counter() - start)
    shutil.rmtree(scratch, ignore_errors=True)
    return numstat.strip(), statistics.median(cold), statistics.median(warm)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repo", default=os.path.expanduser("~/.cache/cn-bench/ripgrep"))
    parser.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "commit-nudge"))
    parser.add_argument("--ns", default="2,3,5", type=lambda s: [int(x) for x in s.split(",")])
    parser.add_argument("--samples", type=int, default=30, help="samples per N")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--max-lines", type=int, default=1500, help="skip windows changing more lines")
    parser.add_argument("--max-files", type=int, default=60, help="skip windows changing more files")
    parser.add_argument("--weights", default="", help="signal weights passed to plan (ablation)")
    parser.add_argument("--no-apply", dest="apply", action="store_false", help="skip the lossless check")
    parser.add_argument("--timing", action="store_true", help="time a 2,000-line, 30-file change")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--json-out")
    parser.add_argument("--corpus", help="a directory of <name>.bundle histories: run on all of them")
    parser.add_argument("--jobs", type=int, default=2, help="histories planned at once (at most 2)")
    parser.add_argument("--apply-samples", type=int,
                        help="check only the first K samples per history and N lossless")
    parser.add_argument("--prepare-only", action="store_true",
                        help="only prepare the samples (work trees and labels) of --corpus")
    parser.add_argument("--loo", help="a file of weights candidates, one a line: leave one history out")
    parser.add_argument("--fitted", help="bench/fit.py's --json-out: each history planned under the "
                        "model fitted without it")
    args = parser.parse_args()
    if args.corpus and args.fitted:
        with open(args.fitted) as f:
            fitted = json.load(f)["loo"]
        start = time.perf_counter()
        names, _ = corpus_bench(argparse.Namespace(**{**vars(args), "apply": False, "prepare_only": True}), [])
        repos = corpus_clones(args.corpus)
        chosen = {name: ("fitted without it", cached_history(args, name, repos[name], fitted[name]))
                  for name in names}
        print(corpus_table(names, chosen, args.apply, loo=True))
        print(f"\n{len(names)} histories in {time.perf_counter() - start:.0f} s")
        return
    if args.corpus:
        candidates = [args.weights]
        if args.loo:
            with open(args.loo) as f:
                candidates = [line.strip() for line in f if not line.lstrip().startswith("#")]
            candidates = list(dict.fromkeys(candidates))
        start = time.perf_counter()
        # Candidates are compared without the lossless check (it does not change a score); the
        # check runs only on what is reported.
        names, out = corpus_bench(argparse.Namespace(**{**vars(args), "apply": False}), candidates)
        if args.prepare_only:
            return
        if args.loo:
            chosen = leave_one_out(names, out, candidates)
            if args.apply:
                repos = corpus_clones(args.corpus)
                chosen = {name: (w, cached_history(args, name, repos[name], w))
                          for name, (w, _) in chosen.items()}
        elif args.apply:
            repos = corpus_clones(args.corpus)
            chosen = {name: (args.weights, cached_history(args, name, repos[name], args.weights))
                      for name in names}
        else:
            chosen = {name: (args.weights, out[(name, args.weights)]) for name in names}
        if args.loo:
            print(candidate_table(names, out, candidates) + "\n")
        print(corpus_table(names, chosen, args.apply, loo=bool(args.loo)))
        print(f"\n{len(candidates)} candidate(s) x {len(names)} histories in "
              f"{time.perf_counter() - start:.0f} s (cached results count as 0)")
        if args.json_out:
            with open(args.json_out, "w") as f:
                json.dump({f"{k[0]}|{k[1]}": {str(n): v for n, v in r.items()} for k, r in out.items()}, f)
        return
    if args.timing:
        stat, cold, warm = timing_bench(args)
        print(f"{stat}: plan --json cold {1000 * cold:.0f} ms, warm {1000 * warm:.0f} ms (median of {args.runs})")
        return
    results = accuracy_bench(args)
    print(summarise(results, args.apply))
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump({str(k): v for k, v in results.items()}, f, indent=1)


if __name__ == "__main__":
    main()
