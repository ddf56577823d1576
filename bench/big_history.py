#!/usr/bin/env python3
"""A repository with a long history, made offline by `git fast-import`, to time the commit plan in.

git's own history (about 80,000 commits) is where a first plan once took 3.3 s, for the co-change
history; it cannot be fetched here, so this makes one of that length from a generated stream:
3,000 files in 100 directories (60 of them large `.rs` files, for bench/plan.py --timing to edit),
one commit adding them all, then `--commits` commits by one author, each changing a line in one to
three small files, one in fifty a merge of a one-commit side branch (git's history has many).
fast-import deltifies trees and blobs against their previous versions, as a packed clone does.

    python3 bench/big_history.py --out /tmp/big80k --commits 80000
    python3 bench/plan.py --timing --repo /tmp/big80k

Run by hand; nothing here is a test. Figures go in bench/RESULTS.md.
"""

import argparse
import os
import random
import subprocess
import sys

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


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True)
    parser.add_argument("--commits", type=int, default=80000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
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
