#!/usr/bin/env python3
"""Benchmark of absorb: does each fix go to the commit it fixes?

From real histories: a follow-up commit F whose every changed line was introduced by one of the
same author's previous <= 10 commits (the consecutive commits of F's author just before it, never
past a merge or another author's commit: absorb's candidates), as `git blame` at F's parent says
of each removed line. Each such F is undone (HEAD = its parent on a branch of its own, the working
tree = F applied, the index = HEAD, user.email = F's author), `commit-nudge absorb --dry-run
--json` runs, and each hunk with removed lines is scored against git blame: its true target is the
one candidate all its removed lines come from (none when they come from two). Precision: hunks
given a target whose target is the true one, over hunks given a target. Recall: hunks given their
true target, over hunks that have one. Pure additions have no blame of their own; how many absorb
targeted is counted, not scored.

Each sample is then applied (`commit-nudge absorb`) and checked lossless: one fix-up per target
on top of the parent, nothing left staged, the working tree still F, and the fix-ups' lines
exactly the targeted hunks' lines.

    python3 bench/absorb.py --corpus /work/shared/corpus --samples 40
    python3 bench/absorb.py --timing        # 50 hunks over 10 candidate commits, median of 7

Bundles are cloned once under ~/.cache/cn-bench/<name> (as bench/plan.py does). Run by hand;
nothing here is a test. Figures go in bench/RESULTS.md.
"""

import argparse
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
CACHE = os.path.expanduser("~/.cache/cn-bench")
ENV = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "LC_ALL": "C"}


def git(cwd, *args, check=True, stdin=None):
    out = subprocess.run(["git", *args], cwd=cwd, capture_output=True, env=ENV, input=stdin)
    if check and out.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)}: {out.stderr.decode(errors='replace')}")
    return out.stdout.decode(errors="replace")


def history(repo, limit):
    """First-parent commits, newest first: (sha, parents, email)."""
    out = git(repo, "log", "--first-parent", f"-n{limit}", "--format=%H %P%x09%ae", "HEAD")
    commits = []
    for line in out.splitlines():
        head, _, email = line.partition("\t")
        sha, *parents = head.split()
        commits.append((sha, parents, email))
    return commits


def candidates_of(commits, i):
    """The candidates absorb would see for commits[i]: its author's consecutive commits before
    it, at most 10, never a merge."""
    sha, parents, email = commits[i]
    out = []
    for c, ps, e in commits[i + 1:]:
        if len(ps) != 1 or e != email or len(out) >= 10:
            break
        out.append(c)
    return out


HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def hunks_of(repo, parent, sha):
    """(path, old_start, old_lines, new_start, new_lines) of `git diff -U0 --no-renames`; None
    when the commit holds a binary, a new or deleted file, or a mode change."""
    out = git(repo, "diff", "-U0", "--no-renames", "--no-ext-diff", parent, sha)
    hunks, path = [], None
    for line in out.splitlines():
        if line.startswith(("new file", "deleted file", "old mode", "Binary files")):
            return None
        if line.startswith("+++ "):
            path = line[6:] if line.startswith("+++ b/") else None
        m = HUNK.match(line)
        if m and path:
            hunks.append((path, int(m.group(1)), int(m.group(2) or 1), int(m.group(3)),
                          int(m.group(4) or 1)))
    return hunks or None


def blame_lines(repo, rev, path, start, count):
    out = git(repo, "blame", "--porcelain", "-L", f"{start},{start + count - 1}", rev, "--",
              path, check=False)
    return [l.split()[0] for l in out.splitlines() if re.match(r"^[0-9a-f]{40} \d+ \d+", l)]


def truth(repo, parent, hunk, cands):
    """The one candidate a hunk's removed lines come from; None for two; 'before' when some come
    from before the candidates; 'addition' for a pure addition."""
    path, old_start, old_lines, _, _ = hunk
    if old_lines == 0:
        return "addition"
    shas = set(blame_lines(repo, parent, path, old_start, old_lines))
    if not shas <= set(cands):
        return "before"
    return shas.pop() if len(shas) == 1 else None


def find_samples(repo, n, seed, limit):
    commits = history(repo, limit)
    order = list(range(len(commits) - 1))
    random.Random(seed).shuffle(order)
    samples = []
    for i in order:
        sha, parents, email = commits[i]
        if len(parents) != 1:
            continue
        cands = candidates_of(commits, i)
        if not cands:
            continue
        hunks = hunks_of(repo, parents[0], sha)
        if not hunks or len(hunks) > 60:
            continue
        truths = [truth(repo, parents[0], h, cands) for h in hunks]
        if "before" in truths or all(t == "addition" for t in truths):
            continue
        samples.append({"sha": sha, "parent": parents[0], "email": email, "cands": cands,
                        "truth": {key(h): t for h, t in zip(hunks, truths)}})
        if len(samples) >= n:
            break
    return samples


def key(h):
    return f"{h[0]} @@ -{h[1]},{h[2]} +{h[3]},{h[4]} @@"


def undo(work, s):
    git(work, "reset", "-q", "--hard")
    git(work, "clean", "-qfdx")
    git(work, "checkout", "-q", "-B", "absorb-bench", s["parent"])
    git(work, "config", "user.email", s["email"])
    patch = subprocess.run(["git", "diff", "--binary", "--no-renames", s["parent"], s["sha"]],
                           cwd=work, capture_output=True, env=ENV).stdout
    git(work, "apply", "--whitespace=nowarn", stdin=patch)


def run_sample(binary, work, s):
    undo(work, s)
    t0 = time.perf_counter()
    out = subprocess.run([binary, "absorb", "--dry-run", "--json", work], capture_output=True)
    ms = (time.perf_counter() - t0) * 1000
    if out.returncode != 0:
        return {"error": out.stderr.decode(errors="replace").strip(), "ms": ms}
    report = json.loads(out.stdout)
    score = {"given": 0, "right": 0, "has": 0, "found": 0, "additions": 0, "additions_given": 0,
             "unscored": 0}
    for h in report["hunks"]:
        t = s["truth"].get(f"{h['path']} {h['range']}", "unknown")
        given = h["target"]
        if t == "addition":
            score["additions"] += 1
            score["additions_given"] += given is not None
            continue
        if t == "unknown":
            score["unscored"] += 1
            continue
        if given is not None:
            score["given"] += 1
            score["right"] += given == t
        if t is not None:
            score["has"] += 1
            score["found"] += given == t
    score["ms"] = ms
    score["lossless"] = check_apply(binary, work, s, report)
    return score


def check_apply(binary, work, s, report):
    """Applies the sample's absorb and checks nothing was lost or moved."""
    targeted = [h for h in report["hunks"] if h["target"]]
    if not targeted:
        return None
    out = subprocess.run([binary, "absorb", work], capture_output=True)
    if out.returncode != 0:
        return f"apply failed: {out.stderr.decode(errors='replace').strip()[:200]}"
    n_targets = len({h["target"] for h in targeted})
    if git(work, "rev-parse", f"HEAD~{n_targets}").strip() != s["parent"]:
        return "the fix-ups are not one per target on the parent"
    subjects = git(work, "log", "--format=%s", f"HEAD~{n_targets}..HEAD").splitlines()
    if not all(x.startswith("fixup! ") for x in subjects):
        return f"not fix-ups: {subjects}"
    if git(work, "diff", "--cached", "--name-only").strip():
        return "something is left staged"
    if git(work, "diff", "--name-only", s["sha"]).strip():
        return "the working tree is no longer the follow-up"
    want = sum(int(re.match(r"@@ -\d+,(\d+) \+\d+,(\d+)", h["range"]).group(1))
               + int(re.match(r"@@ -\d+,(\d+) \+\d+,(\d+)", h["range"]).group(2))
               for h in targeted)
    got = 0
    for line in git(work, "diff", "--numstat", s["parent"], "HEAD").splitlines():
        a, d, _ = line.split("\t", 2)
        got += int(a) + int(d)
    if got != want:
        return f"the fix-ups hold {got} lines, the targeted hunks {want}"
    return "ok"


def clone(bundle):
    name = os.path.basename(bundle).removesuffix(".bundle")
    path = os.path.join(CACHE, name)
    if not os.path.isdir(path):
        os.makedirs(CACHE, exist_ok=True)
        git(CACHE, "clone", "-q", bundle, path)
    return name, path


def bench_corpus(args):
    bundles = sorted(os.path.join(args.corpus, b) for b in os.listdir(args.corpus)
                     if b.endswith(".bundle"))
    rows = []
    for bundle in bundles:
        name, repo = clone(bundle)
        samples = find_samples(repo, args.samples, f"{args.seed}-{name}", args.history)
        work = tempfile.mkdtemp(prefix=f"cn-absorb-{name}-")
        try:
            git(work, "clone", "-q", "--shared", repo, work + "/w")
            w = work + "/w"
            git(w, "config", "user.name", "Bench")
            git(w, "config", "commit.gpgsign", "false")
            git(w, "config", "core.hooksPath", "/dev/null")
            total = {"given": 0, "right": 0, "has": 0, "found": 0, "additions": 0,
                     "additions_given": 0, "unscored": 0}
            ms, lossless, errors = [], {"ok": 0, "bad": []}, []
            for s in samples:
                r = run_sample(args.bin, w, s)
                if "error" in r:
                    errors.append(r["error"])
                    continue
                for k in total:
                    total[k] += r[k]
                ms.append(r["ms"])
                if r["lossless"] == "ok":
                    lossless["ok"] += 1
                elif r["lossless"]:
                    lossless["bad"].append((s["sha"][:8], r["lossless"]))
        finally:
            shutil.rmtree(work, ignore_errors=True)
        p = total["right"] / total["given"] if total["given"] else float("nan")
        rc = total["found"] / total["has"] if total["has"] else float("nan")
        rows.append((name, len(samples), total, p, rc, ms, lossless, errors))
        print(f"{name}: {len(samples)} samples, {total['has']} hunks with a target, "
              f"precision {p:.1%} ({total['right']}/{total['given']}), "
              f"recall {rc:.1%} ({total['found']}/{total['has']}), "
              f"additions targeted {total['additions_given']}/{total['additions']}, "
              f"lossless {lossless['ok']} applied, {len(lossless['bad'])} not: {lossless['bad'][:3]}, "
              f"refused {len(errors)} {errors[:2]}, "
              f"median {statistics.median(ms) if ms else 0:.0f} ms", flush=True)
    return rows


def bench_timing(args):
    """50 hunks over 10 candidate commits: 10 commits each adding 5 blocks to 5 files, then a
    one-line fix in every block."""
    work = tempfile.mkdtemp(prefix="cn-absorb-timing-")
    try:
        git(work, "init", "-q", "-b", "main")
        git(work, "config", "user.email", "t@example.com")
        git(work, "config", "user.name", "T")
        git(work, "config", "commit.gpgsign", "false")
        files = [f"src/f{i}.txt" for i in range(5)]
        os.makedirs(os.path.join(work, "src"))
        texts = {f: [f"base {f} {n}\n" for n in range(200)] for f in files}
        for f in files:
            open(os.path.join(work, f), "w").writelines(texts[f])
        git(work, "add", "-A")
        git(work, "commit", "-qm", "base")
        for c in range(10):
            for f in files:
                at = 20 * c + 10
                texts[f][at:at] = [f"commit {c} {f} line {k}\n" for k in range(3)]
                open(os.path.join(work, f), "w").writelines(texts[f])
            git(work, "commit", "-qam", f"commit {c}")
        for f in files:
            texts[f] = [l.replace("line 1\n", "line ONE\n") for l in texts[f]]
            open(os.path.join(work, f), "w").writelines(texts[f])
        runs = []
        for _ in range(7):
            t0 = time.perf_counter()
            out = subprocess.run([args.bin, "absorb", "--dry-run", "--json", work],
                                 capture_output=True, check=True)
            runs.append((time.perf_counter() - t0) * 1000)
        report = json.loads(out.stdout)
        targeted = sum(1 for h in report["hunks"] if h["target"])
        print(f"timing: {len(report['hunks'])} hunks ({targeted} targeted) over "
              f"{len(report['candidates'])} candidates: median {statistics.median(runs):.0f} ms, "
              f"min {min(runs):.0f}, max {max(runs):.0f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", help="a directory of .bundle files")
    ap.add_argument("--samples", type=int, default=40, help="follow-ups per history")
    ap.add_argument("--history", type=int, default=4000, help="commits of each history to search")
    ap.add_argument("--seed", default="absorb")
    ap.add_argument("--timing", action="store_true")
    ap.add_argument("--bin", default=os.environ.get(
        "COMMIT_NUDGE_BIN", os.path.join(ROOT, "target", "release", "commit-nudge")))
    args = ap.parse_args()
    args.bin = os.path.abspath(args.bin)
    if args.timing:
        bench_timing(args)
    if args.corpus:
        bench_corpus(args)
    if not (args.timing or args.corpus):
        ap.error("give --corpus DIR and/or --timing")


if __name__ == "__main__":
    sys.exit(main())
