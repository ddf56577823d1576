#!/usr/bin/env python3
"""A repository with a long history, made offline by `git fast-import`, to time the commit plan in.

git's own history (about 80,000 commits) is where a first plan once took 3.3 s, for the co-change
history; it cannot be fetched here, so this makes one of that length from a generated stream:
3,000 files in 100 directories (60 of them large `.rs` files, for bench/plan.py --timing to edit),
one commit adding them all, then `--commits` commits by one author, each changing a line in one to
three small files, one in fifty a merge of a one-commit side branch (git's history has many).
fast-import deltifies trees and blobs against their previous versions, as a packed clone does.

    python3 bench/big_history.py --out /tmp/big80k --commits 80000
    python3 bench/big_history.py --time /tmp/big80k --bin target/release/commit-nudge

`--time` runs bench/plan.py --timing's change (2,000 lines in 30 files) and reports, beside the
wall time, the CPU time (user + system) of each plan: on a shared, loaded machine the wall time
measures the load as much as the plan.

Run by hand; nothing here is a test. Figures go in bench/RESULTS.md.
"""

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plan as planbench  # noqa: E402 - bench/plan.py's timing change

DIRS, PER_DIR, BIG = 100, 30, 60


def paths():
    return [f"src/mod{d:03}/file{f:02}.rs" for d in range(DIRS) for f in range(PER_DIR)]


def small_text(path, version):
    lines = [f"// {path}"] + [f"pub fn item_{i}() -> u32 {{ {i} }}" for i in range(18)]
    lines[1 + version % 18] = f"pub fn item_{version % 18}() -> u32 {{ {version} }}"
    return ("\n".join(lines) + "\n").encode()


def big_text(path):
    body = [f"    let value_{i} = helper({i}) + offset_{i % 7};" for i in range(150)]
    return ("\n".join([f"// {path}", "pub fn big() {"] + body + ["}"]) + "\n").encode()


def stream(out, commits, seed):
    rng = random.Random(seed)
    files = paths()
    big = set(files[:: len(files) // BIG][:BIG])
    small = [p for p in files if p not in big]
    versions = {p: 0 for p in small}
    when = 1_000_000_000
    mark = 0

    def data(blob):
        out.write(b"data %d\n" % len(blob))
        out.write(blob)
        out.write(b"\n")

    def commit(ref, message, changes, parent=None, merge=None):
        nonlocal when, mark
        mark += 1
        when += 600
        out.write(b"commit %s\nmark :%d\n" % (ref, mark))
        ident = b"Big History <big@example.invalid> %d +0000\n" % when
        out.write(b"author " + ident + b"committer " + ident)
        data(message.encode())
        if parent:
            out.write(b"from :%d\n" % parent)
        if merge:
            out.write(b"merge :%d\n" % merge)
        for path, blob in changes:
            out.write(b"M 100644 inline %s\n" % path.encode())
            data(blob)
        return mark

    head = commit(b"refs/heads/main", "start", [(p, big_text(p) if p in big else small_text(p, 0)) for p in files])
    for n in range(1, commits + 1):
        touched = rng.sample(small, rng.randint(1, 3))
        changes = []
        for p in touched:
            versions[p] += 1
            changes.append((p, small_text(p, versions[p])))
        if n % 50 == 0:
            side = commit(b"refs/heads/side", f"side {n}", changes, parent=head)
            head = commit(b"refs/heads/main", f"merge side {n}", changes, parent=head, merge=side)
        else:
            head = commit(b"refs/heads/main", f"change {n}", changes, parent=head)
        if n % 10000 == 0:
            print(f"  {n} commits", file=sys.stderr)


def cpu_timing(repo, binary, runs=5):
    """bench/plan.py's timing of a 2,000-line change, with each plan's CPU time beside its wall time."""
    measured = {"cold": ([], []), "warm": ([], [])}
    real_run = subprocess.run
    calls = [0]

    def timed(args, **kw):
        if not args or args[0] != binary:
            return real_run(args, **kw)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        out = real_run(args, **kw)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu, walls = measured["cold" if calls[0] % 2 == 0 else "warm"]
        calls[0] += 1
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        walls.append(wall)
        return out

    planbench.subprocess.run = timed
    try:
        shortstat = planbench.timing_bench(argparse.Namespace(repo=repo, bin=binary, runs=runs))[0]
    finally:
        planbench.subprocess.run = real_run
    print(shortstat)
    for kind, (cpu, walls) in measured.items():
        print(f"{kind}: CPU {1000 * statistics.median(cpu):.0f} ms, wall {1000 * statistics.median(walls):.0f} ms "
              f"(median of {runs})")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out")
    parser.add_argument("--time", metavar="REPO", help="time plans in REPO instead of making one")
    parser.add_argument("--bin", default=os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                                      "target", "release", "commit-nudge"))
    parser.add_argument("--commits", type=int, default=80000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.time:
        cpu_timing(args.time, os.path.abspath(args.bin))
        return
    if not args.out:
        parser.error("--out or --time")
    os.makedirs(args.out)
    subprocess.run(["git", "init", "-q", "-b", "main", args.out], check=True)
    importer = subprocess.Popen(["git", "fast-import", "--quiet"], cwd=args.out, stdin=subprocess.PIPE)
    stream(importer.stdin, args.commits, args.seed)
    importer.stdin.close()
    if importer.wait() != 0:
        sys.exit("git fast-import failed")
    subprocess.run(["git", "checkout", "-q", "main"], cwd=args.out, check=True)
    count = subprocess.run(["git", "rev-list", "--count", "HEAD"], cwd=args.out, capture_output=True, text=True)
    print(f"{args.out}: {count.stdout.strip()} commits")


if __name__ == "__main__":
    main()
