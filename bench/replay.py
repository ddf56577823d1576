#!/usr/bin/env python3
"""Replay benchmark of the commit plan from the record of how the work was done.

Take N consecutive commits by one author (bench/plan.py's windows), check out the parent of the
first, and replay the work through the real server over LSP (stdio JSON-RPC), as an editor would:
for each of the N commits in turn, for each hunk of the final work that commit made (the hunks of
`git diff -U0 parent last`, labelled by git blame as bench/plan.py does), write the file, send
`didOpen` the first time, then `didChange` (full text) and `didSave`; a short gap between hunks of
one commit and a longer pause between commits. Nothing is committed. Then execute
`commit-nudge.openPlan`, read the plan document it wrote, and score it as bench/plan.py does (hunk
accuracy under the best one-to-one matching; every hunk of `git diff` once).

Variants:
  sequence     the commits one after the other
  interleaved  the first fifth of each next commit's hunks made before the last hunks of the
               previous one (then the pause, then the rest of the next commit)
  restart      as sequence, with the server shut down and started anew midway (after commit
               N // 2, before the pause)

Hunks whose lines come from several commits are replayed with the last of them and not scored.

    python3 bench/replay.py --repo ~/.cache/cn-bench/jq --samples 10
    python3 bench/replay.py --all --samples 5 --variants sequence,interleaved,restart
    python3 bench/replay.py --all --samples 20 --jobs 2 --json-out /tmp/replay.json
    python3 bench/replay.py --all --samples 20 --variants interleaved --simulate --no-apply

--simulate runs no server: it writes the record the same saves would make, on a clock of its own
(no waiting), and plans with `commit-nudge plan --json`: a quick way to try a method; the figures
in bench/RESULTS.md come from the real replay. --jobs replays that many histories at once.

Run by hand; nothing here is a test. Figures go in bench/RESULTS.md.
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
from pathlib import Path

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import plan as planbench  # noqa: E402 - bench/plan.py's sampling and scoring
from lsp_client import Lsp  # noqa: E402 - the benchmarks' one LSP client

git = planbench.git
CORPUS = ["ripgrep", "requests", "cobra", "jq", "axios", "jsoup"]


class Editor:
    """Open documents and their versions, over one server at a time."""

    def __init__(self, binary, work):
        self.binary, self.work = binary, work
        self.lsp = Lsp(binary, Path(work), show_document=True, name="replay")
        self.versions = {}

    def restart(self):
        self.lsp.close()
        self.lsp = Lsp(self.binary, Path(self.work), show_document=True, name="replay")
        self.versions = {}

    def edit(self, path, text):
        full = os.path.join(self.work, path)
        uri = Path(full).as_uri()
        if text is None:
            if os.path.exists(full):
                os.remove(full)
            return
        if path not in self.versions:
            before = open(full, encoding="utf-8", errors="replace").read() if os.path.exists(full) else ""
            self.versions[path] = 1
            self.lsp.notify("textDocument/didOpen", {"textDocument": {
                "uri": uri, "languageId": "plaintext", "version": 1, "text": before}})
        os.makedirs(os.path.dirname(full) or ".", exist_ok=True)
        with open(full, "wb") as f:
            f.write(text)
        self.versions[path] += 1
        self.lsp.notify("textDocument/didChange", {
            "textDocument": {"uri": uri, "version": self.versions[path]},
            "contentChanges": [{"text": text.decode("utf-8", errors="replace")}]})
        self.lsp.notify("textDocument/didSave", {"textDocument": {"uri": uri}})


FNV_OFFSET, FNV_PRIME = 0xcbf29ce484222325, 0x100000001b3


def line_hash(line):
    """The record's hash of a line (FNV-1a 64 of its bytes without the line end)."""
    if line.endswith(b"\n"):
        line = line[:-1]
    if line.endswith(b"\r"):
        line = line[:-1]
    h = FNV_OFFSET
    for byte in line:
        h = ((h ^ byte) * FNV_PRIME) & 0xFFFFFFFFFFFFFFFF
    return h


class SimulatedEditor:
    """--simulate: no server; writes the record the server would write for the same saves (each
    file's lines gained and lost against HEAD, as multisets, first seen at each save) on a clock
    of its own, so a sample takes no waiting. For trying a method quickly; the figures are the
    real replay's."""

    def __init__(self, work):
        self.work = work
        self.clock_ms = 1_000_000
        self.seen = set()
        head = git(work, "rev-parse", "HEAD").strip()
        self.out = [f"commit-nudge record 1 {head}\n"]
        self.head_text = {}

    def wait(self, seconds):
        self.clock_ms += int(seconds * 1000)

    def restart(self):
        pass

    def edit(self, path, text):
        full = os.path.join(self.work, path)
        if path not in self.head_text:
            self.head_text[path] = open(full, "rb").read() if os.path.exists(full) else b""
        if text is None:
            if os.path.exists(full):
                os.remove(full)
            return
        os.makedirs(os.path.dirname(full) or ".", exist_ok=True)
        with open(full, "wb") as f:
            f.write(text)
        def counts(data):
            c = {}
            for line in split_lines(data):
                h = line_hash(line)
                c[h] = c.get(h, 0) + 1
            return c
        old, new = counts(self.head_text[path]), counts(text)
        lines = [f"+ {h:016x} {path}\n" for h in new if new[h] > old.get(h, 0)]
        lines += [f"- {h:016x} {path}\n" for h in old if old[h] > new.get(h, 0)]
        fresh = [line for line in lines if line not in self.seen]
        if fresh:
            self.seen.update(fresh)
            self.out.append(f"s {self.clock_ms}\n")
            self.out.extend(fresh)

    def finish(self):
        directory = os.path.join(self.work, ".git", "commit-nudge")
        os.makedirs(directory, exist_ok=True)
        with open(os.path.join(directory, "record"), "w") as f:
            f.writelines(self.out)


def split_lines(data):
    return data.splitlines(keepends=True)


def apply_hunks(old, hunks, new_lines_of):
    """`old` (bytes) with a subset of -U0 hunks (against `old`) applied."""
    lines = split_lines(old)
    for h in sorted(hunks, key=lambda h: h[1], reverse=True):
        _, os_, ol, _, _ = h
        start = os_ - 1 if ol > 0 else os_
        lines[start:start + ol] = new_lines_of[h]
    return b"".join(lines)


def final_hunks(work, parent, last):
    """The -U0 hunks of parent..last for text files, with their new lines; binary paths apart."""
    out = subprocess.run(["git", "diff", "-U0", "--no-renames", "--no-ext-diff", parent, last],
                         cwd=work, capture_output=True).stdout
    hunks, new_lines, path = [], {}, None
    lines = out.split(b"\n")
    i = 0
    current = None
    while i < len(lines):
        line = lines[i]
        if line.startswith(b"+++ "):
            name = line[4:].decode(errors="replace")
            path = name[2:] if name != "/dev/null" else path
        elif line.startswith(b"--- "):
            name = line[4:].decode(errors="replace")
            path = name[2:] if name != "/dev/null" else None
        elif line.startswith(b"@@ "):
            m = re.match(rb"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@", line)
            current = (path, int(m.group(1)), int(m.group(2) or 1), int(m.group(3)), int(m.group(4) or 1))
            hunks.append(current)
            new_lines[current] = []
        elif current is not None and line.startswith(b"+"):
            body = line[1:] + b"\n"
            if i + 1 < len(lines) and lines[i + 1].startswith(b"\\ No newline"):
                body = line[1:]
            new_lines[current].append(body)
        i += 1
    return hunks, new_lines


def schedule(chain_len, labelled, variant):
    """The order of the hunks: a list of (commit, [hunks]) steps; a pause after each commit."""
    per_commit = [[h for h, c in labelled if c == k] for k in range(chain_len)]
    if variant != "interleaved":
        return per_commit
    steps = [list(c) for c in per_commit]
    for k in range(chain_len - 1):
        nxt = steps[k + 1]
        early = nxt[:len(nxt) // 5] if len(nxt) >= 5 else nxt[:1] if len(nxt) >= 2 else []
        if not early or len(steps[k]) < 1:
            continue
        steps[k + 1] = nxt[len(early):]
        cut = max(0, len(steps[k]) - max(1, len(early)))
        steps[k] = steps[k][:cut] + early + steps[k][cut:]
    return steps


def read_document(path):
    groups, current = [], None
    for line in open(path, encoding="utf-8", errors="replace"):
        if line.startswith("commit "):
            current = []
            groups.append(current)
        elif line.startswith("  ") and current is not None:
            m = re.match(r"^  (.*) @@ -(\d+),(\d+) \+(\d+),(\d+) @@", line.rstrip("\n"))
            if m:
                current.append((m.group(1), int(m.group(2)), int(m.group(3)), int(m.group(4)), int(m.group(5))))
    return groups


def run_sample(binary, work, chain, variant, gap, pause, simulate=False, apply=True):
    parent = git(work, "rev-parse", f"{chain[0]}~1").strip()
    last = chain[-1]
    git(work, "checkout", "-qf", "--detach", parent)
    git(work, "clean", "-qfdx")
    shutil.rmtree(os.path.join(work, ".git", "commit-nudge"), ignore_errors=True)
    hunks, new_lines = final_hunks(work, parent, last)
    if not hunks:
        return None
    # Label the final hunks by commit in a scratch state (blame needs only the history).
    labels = planbench.label_hunks(work, chain, parent, hunks)
    labelled = [(h, max(labels[h]) if labels[h] else len(chain) - 1) for h in hunks]
    old_text = {}
    for h in hunks:
        if h[0] not in old_text:
            full = os.path.join(work, h[0])
            old_text[h[0]] = open(full, "rb").read() if os.path.exists(full) else b""
    deleted = set(git(work, "diff", "--name-only", "--no-renames", "--diff-filter=D", parent, last).split("\n")) - {""}
    editor = SimulatedEditor(work) if simulate else Editor(binary, work)
    wait = editor.wait if simulate else time.sleep
    applied = {p: [] for p in old_text}
    steps = schedule(len(chain), labelled, variant)
    started = time.perf_counter()
    for k, step in enumerate(steps):
        for h in step:
            applied[h[0]].append(h)
            if h[0] in deleted and len(applied[h[0]]) == sum(1 for x in hunks if x[0] == h[0]):
                editor.edit(h[0], None)
            else:
                editor.edit(h[0], apply_hunks(old_text[h[0]], applied[h[0]], new_lines))
            wait(gap)
        if variant == "restart" and k == len(steps) // 2 - 1 + (len(steps) % 2):
            wait(gap)
            editor.restart()
        wait(pause)
    # Binary files and anything the text replay could not make: the last commit's bytes.
    git(work, "checkout", last, "--", ".")
    git(work, "reset", "-q", parent)
    for p in deleted:
        if os.path.exists(os.path.join(work, p)):
            os.remove(os.path.join(work, p))
    wait(pause)
    if simulate:
        editor.finish()
    else:
        answer = editor.lsp.request("workspace/executeCommand", {
            "command": "commit-nudge.openPlan", "arguments": [{"root": Path(work).as_uri()}]})
    replay_seconds = time.perf_counter() - started
    record = os.path.join(work, ".git", "commit-nudge", "record")
    record_bytes = os.path.getsize(record) if os.path.exists(record) else 0
    if simulate:
        groups = planbench.parse_json_hunks(json.loads(subprocess.run(
            [binary, "plan", "--json", work], capture_output=True, check=True).stdout))
    else:
        editor.lsp.close()
        if not answer or "result" not in answer or not answer["result"]:
            raise RuntimeError(f"openPlan: {answer}")
        groups = read_document(answer["result"]["document"])
    planned = [h for g in groups for h in g]
    reference = planbench.reference_hunks(work)
    every_once = sorted(planned) == sorted(reference)
    plan_labels = planbench.label_hunks(work, chain, parent, planned)
    scored = [h for h in planned if len(plan_labels[h]) == 1]
    if not scored:
        return None
    per_file = {}
    for h in planned:
        per_file.setdefault(h[0], []).append(h)
    n = len(chain)
    # The plan as the command line makes it from the same record: the same groups, then applied
    # (bench/plan.py's lossless check: every commit holds its group's lines, the last tree is
    # the last commit's, nothing left over).
    cli = json.loads(subprocess.run([binary, "plan", "--json", work], capture_output=True, check=True).stdout)
    same_plan = [sorted(g) for g in planbench.parse_json_hunks(cli)] == [sorted(g) for g in groups]
    os.environ["COMMIT_NUDGE_BIN"] = binary
    lossless = None
    if apply:
        lossless, why = planbench.check_lossless(work, cli, last, record=True)
        if not lossless:
            print(f"  NOT LOSSLESS {chain[-1][:8]} {variant}: {why}", file=sys.stderr)
    return {
        "chain": chain,
        "lossless": lossless,
        "same_plan": same_plan,
        "variant": variant,
        "hunks": len(planned),
        "groups": len(groups),
        "accuracy": planbench.best_matching(groups, plan_labels, n) / len(scored),
        "per_file": planbench.best_matching(list(per_file.values()), plan_labels, n) / len(scored),
        "every_hunk_once": every_once,
        "record_bytes": record_bytes,
        "seconds": replay_seconds,
    }


def bench_repo(args, repo):
    scratch = tempfile.mkdtemp(prefix="cn-replay-")
    work = os.path.join(scratch, "work")
    git(scratch, "clone", "-q", "--no-checkout", os.path.abspath(repo), work)
    work = os.path.realpath(work)
    rng = random.Random(args.seed)
    windows = []
    for n in args.ns:
        ws = planbench.chains(work, n, args.max_lines, args.max_files)
        rng.shuffle(ws)
        windows += ws[:args.samples * 3]
    rng.shuffle(windows)
    rows = {v: [] for v in args.variants}
    tried = 0
    for chain in windows:
        if min(len(r) for r in rows.values()) >= args.samples:
            break
        tried += 1
        for variant in args.variants:
            try:
                row = run_sample(args.bin, work, chain, variant, args.gap, args.pause, args.simulate, not args.no_apply)
            except Exception as error:  # noqa: BLE001 - a broken sample is reported and skipped
                print(f"  skipped {chain[0][:8]} {variant}: {error}", file=sys.stderr)
                continue
            if row is None:
                continue
            rows[variant].append(row)
            if args.verbose:
                print(f"  {os.path.basename(repo)} N={len(chain)} {variant:11} {chain[-1][:8]} hunks={row['hunks']} "
                      f"groups={row['groups']} acc={row['accuracy']:.2f} file={row['per_file']:.2f} "
                      f"once={row['every_hunk_once']} lossless={row['lossless']} same={row['same_plan']} "
                      f"record={row['record_bytes']}B",
                      file=sys.stderr)
    shutil.rmtree(scratch, ignore_errors=True)
    return rows


def pct(x):
    return f"{100 * x:.1f} %"


def summary_row(name, variant, rows):
    if not rows:
        return f"| {name} | {variant} | 0 | | | | | |"
    acc = [r["accuracy"] for r in rows]
    file_ = [r["per_file"] for r in rows]
    once = sum(r["every_hunk_once"] for r in rows)
    lossless = sum(bool(r["lossless"]) for r in rows)
    return (f"| {name} | {variant} | {len(rows)} | **{pct(statistics.median(acc))}** (mean {pct(statistics.mean(acc))}) "
            f"| {pct(statistics.median(file_))} | {once}/{len(rows)} | {lossless}/{len(rows)} "
            f"| {max(r['record_bytes'] for r in rows)} B |")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repo", action="append", help="a repository (repeatable)")
    parser.add_argument("--all", action="store_true", help="the six histories under ~/.cache/cn-bench")
    parser.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "commit-nudge"))
    parser.add_argument("--ns", default="2,3,5", type=lambda s: [int(x) for x in s.split(",")])
    parser.add_argument("--variants", default="sequence,interleaved,restart", type=lambda s: s.split(","))
    parser.add_argument("--samples", type=int, default=5, help="samples per variant and repository")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--max-lines", type=int, default=400)
    parser.add_argument("--max-files", type=int, default=20)
    parser.add_argument("--gap", type=float, default=0.1, help="seconds between hunks of a commit")
    parser.add_argument("--pause", type=float, default=1.0, help="seconds between commits")
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--simulate", action="store_true",
                        help="no server: write the record the saves would make, on a clock of its own (for trying a method)")
    parser.add_argument("--jobs", type=int, default=1, help="histories replayed at once (at most 2 on a shared machine)")
    parser.add_argument("--no-apply", action="store_true", help="skip the lossless apply check")
    parser.add_argument("--json-out")
    args = parser.parse_args()
    repos = args.repo or []
    if args.all:
        repos += [os.path.expanduser(f"~/.cache/cn-bench/{r}") for r in CORPUS]
    started = time.time()
    names = [os.path.basename(os.path.normpath(repo)) for repo in repos]
    if args.jobs > 1:
        from concurrent.futures import ProcessPoolExecutor
        with ProcessPoolExecutor(args.jobs) as pool:
            results = dict(zip(names, pool.map(bench_repo, [args] * len(repos), repos)))
    else:
        results = {name: bench_repo(args, repo) for name, repo in zip(names, repos)}
    print("| repository | variant | samples | hunk accuracy, median | one group per file, median | every hunk once | applied losslessly | largest record |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, rows in results.items():
        for variant in args.variants:
            print(summary_row(name, variant, rows[variant]))
    for variant in args.variants:
        print(summary_row("all", variant, [r for rows in results.values() for r in rows[variant]]))
    print(f"\n{time.time() - started:.0f} s in all")
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
