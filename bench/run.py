#!/usr/bin/env python3
"""The commit-nudge benchmark: synthetic repositories, every figure beside git's.

    python3 bench/run.py                       # 10k and 100k files, writes bench/RESULTS.md
    python3 bench/run.py --sizes 10000 --runs 3
    python3 bench/run.py --sizes 10000,100000,1000000 --runs 5   # also a million files
    python3 bench/run.py --scalar --sizes 1000000 --runs 3       # set up as Scalar sets one up

With --scalar the repository is set up the way Scalar (and `feature.manyFiles`) sets up a large
one: a sparse index (`index.sparse`) whose cone holds a tenth of the directories, the untracked
cache, index version 4 and `index.skipHash`; the changes of each run are made inside the cone
(1% of all the files, so a tenth of those checked out). Every row is the same, against git in
the same repository.

Builds (once, cached under ~/.cache/commit-nudge-bench) repositories of N files in directories of
100, commits them, then for each run modifies 1% of the files, stages a tenth of those and adds 100
untracked files. (Building the million-file repository takes a few minutes, once.) Measures, with
the release binary (built if missing):
  - cold `commit-nudge status --json` against `git status --porcelain` + `git diff --numstat HEAD`
  - `commit-nudge prompt` against `git status --porcelain`: cold (daemon off, as the first prompt
    in a repository is), and answered by its prompt daemon with nothing changed and right after a
    write, a `git add` and a `git commit`; the daemon's peak RSS and idle CPU
  - with `commit-nudge lsp` running: time from a write on disk to the updated `commitNudge/status`,
    time from the end of a `git commit` in a terminal to the status with the new head,
    time from a `didChange` of a 2,000-line file to the updated status, peak RSS (VmHWM), CPU while
    idle for 10 s; the server's memory per tracked file (its peak RSS, and the RSS it keeps once the
    first scan is done, divided by the number of tracked files).
Each timed figure is a median, with the fastest and slowest run beside it. Targets (issues 4 and
15) are printed next to each figure. This is a benchmark, not a test: it asserts nothing and the
machine's noise shows in the spread.
"""

import argparse
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lsp_client import Lsp  # noqa: E402 - the benchmarks' one LSP client

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path.home() / ".cache" / "commit-nudge-bench"


def git(repo, *args, **kw):
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, **kw).stdout


def cone_dirs(n):
    """The directories of a Scalar-style repository's sparse-checkout cone: the first tenth."""
    return [f"dir{d:04d}" for d in range(max(n // 100 // 10, 1))]


def build_repo(n, scalar=False):
    repo = CACHE / (f"repo-scalar-{n}" if scalar else f"repo-{n}")
    if (repo / ".git").exists():
        return repo
    repo.mkdir(parents=True, exist_ok=True)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "bench@example.com")
    git(repo, "config", "user.name", "Bench")
    for i in range(n):
        d = repo / f"dir{i // 100:04d}"
        d.mkdir(exist_ok=True)
        (d / f"file{i:06d}.txt").write_text("".join(f"file {i} line {j}\n" for j in range(20)))
    big = repo / "big.txt"
    big.write_text("".join(f"big line {j}\n" for j in range(2000)))
    print(f"  committing {n} files...", file=sys.stderr)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "seed")
    if scalar:
        print("  setting it up as Scalar does...", file=sys.stderr)
        for key, value in [("feature.manyFiles", "true"), ("index.version", "4"), ("index.skipHash", "true"),
                           ("core.untrackedCache", "true"), ("index.sparse", "true")]:
            git(repo, "config", key, value)
        subprocess.run(["git", "sparse-checkout", "set", "--cone", "--stdin"], cwd=repo, check=True,
                       capture_output=True, input="\n".join(cone_dirs(n)).encode())
        git(repo, "update-index", "--index-version", "4")
        git(repo, "status", "--porcelain")
    return repo


def dirty(repo, n, scalar=False):
    """Resets to HEAD, then modifies 1% of files, stages a tenth of those, adds 100 untracked.
    In a Scalar-style repository the files modified are in the cone (every tenth file there)."""
    git(repo, "reset", "-q", "--hard")
    git(repo, "clean", "-fdq")
    step = 10 if scalar else 100
    end = len(cone_dirs(n)) * 100 if scalar else n
    modified = 0
    staged = []
    for i in range(0, min(end, n), step):
        f = repo / f"dir{i // 100:04d}" / f"file{i:06d}.txt"
        with f.open("a") as out:
            out.write(f"appended to {i}\n")
        modified += 1
        if modified % 10 == 0:
            staged.append(str(f.relative_to(repo)))
    # One `git add` for all of them: a million-file index is 85 MB, written once, not per file.
    subprocess.run(["git", "add", "--pathspec-from-file=-"], cwd=repo, check=True, capture_output=True,
                   input="\n".join(staged).encode())
    untracked = repo / "untracked"
    untracked.mkdir(exist_ok=True)
    for i in range(100):
        (untracked / f"new{i}.txt").write_text("new\n" * 5)


class Spread(float):
    """A median that also carries the fastest and slowest sample."""

    def __new__(cls, samples):
        value = super().__new__(cls, statistics.median(samples) if samples else float("nan"))
        value.low = min(samples) if samples else float("nan")
        value.high = max(samples) if samples else float("nan")
        return value


def timed(cmd, cwd, runs, env=None):
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, check=False, capture_output=True, env=env)
        samples.append(time.perf_counter() - start)
    return Spread(samples)


def timed_pair(cmds, cwd, runs):
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        for cmd in cmds:
            subprocess.run(cmd, cwd=cwd, check=False, capture_output=True)
        samples.append(time.perf_counter() - start)
    return Spread(samples)


def cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def peak_rss_mb(pid):
    return status_kb(pid, "VmHWM") / 1024


def status_kb(pid, field):
    """A memory figure of /proc/PID/status (VmHWM: peak RSS, VmRSS: RSS now), in kB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return float("nan")


def bench_prompt(binary, repo, runs):
    """`commit-nudge prompt` cold (daemon off), then answered by its daemon: with nothing changed,
    right after a write to a file, right after `git add`, and right after `git commit` (each
    change made just before the prompt, only the prompt timed). The daemon's peak RSS and its CPU
    while idle too. The daemon gets a private runtime directory and is stopped at the end."""
    runtime = Path(tempfile.mkdtemp(prefix="cn-bench-runtime-"))
    env = dict(os.environ, XDG_RUNTIME_DIR=str(runtime), COMMIT_NUDGE_PROMPT_DAEMON_IDLE_SECS="120")
    cold_env = dict(env, COMMIT_NUDGE_PROMPT_DAEMON="0")
    r = {"prompt": timed([binary, "prompt"], repo, runs, env=cold_env)}

    def prompt_after(change=None):
        samples = []
        for i in range(runs):
            if change:
                change(i)
            start = time.perf_counter()
            out = subprocess.run([binary, "prompt"], cwd=repo, env=env, capture_output=True)
            samples.append(time.perf_counter() - start)
            cold = subprocess.run([binary, "prompt"], cwd=repo, env=cold_env, capture_output=True)
            if out.stdout != cold.stdout:
                print(f"  the daemon said {out.stdout!r}, a cold count {cold.stdout!r}", file=sys.stderr)
        return Spread(samples)

    # The first prompt starts the daemon; wait until it answers.
    deadline = time.time() + 300
    while time.time() < deadline:
        out = subprocess.run([binary, "prompt"], cwd=repo, env=dict(env, RUST_LOG="commit_nudge=debug"), capture_output=True)
        if b"answered by the prompt daemon" in out.stderr:
            break
        time.sleep(0.2)
    target = repo / "dir0000" / "file000002.txt"

    def write(i):
        with target.open("a") as f:
            f.write(f"prompt write {i}\n")

    def add(i):
        write(i)
        git(repo, "add", str(target.relative_to(repo)))

    def commit(i):
        write(i)
        git(repo, "commit", "-q", "-m", f"bench {i}", "--", str(target.relative_to(repo)))

    r["prompt_daemon_idle"] = prompt_after()
    r["prompt_daemon_write"] = prompt_after(write)
    r["prompt_daemon_add"] = prompt_after(add)
    r["prompt_daemon_commit"] = prompt_after(commit)
    # Leave HEAD where the fixture had it.
    git(repo, "reset", "-q", "--soft", f"HEAD~{runs}")

    lock = next(runtime.glob("commit-nudge/*.lock"), None)
    pid = int(lock.read_text().split()[0]) if lock else None
    if pid:
        time.sleep(2.0)
        c0 = cpu_seconds(pid)
        time.sleep(10.0)
        r["daemon_idle_cpu_percent"] = (cpu_seconds(pid) - c0) / 10.0 * 100
        r["daemon_peak_rss_mb"] = peak_rss_mb(pid)
        os.kill(pid, signal.SIGTERM)
    else:
        r["daemon_idle_cpu_percent"] = r["daemon_peak_rss_mb"] = float("nan")
    shutil.rmtree(runtime, ignore_errors=True)
    return r


def bench_size(binary, n, runs, scalar=False):
    print(f"== {n} files{' (Scalar-style)' if scalar else ''}", file=sys.stderr)
    repo = build_repo(n, scalar)
    dirty(repo, n, scalar)
    # Warm the page cache and git's index stat data equally for both sides.
    subprocess.run(["git", "status", "--porcelain"], cwd=repo, capture_output=True)
    subprocess.run([binary, "status"], cwd=repo, capture_output=True)
    r = {}
    r["status"] = timed([binary, "status", "--json"], repo, runs)
    r["git_status_numstat"] = timed_pair([["git", "status", "--porcelain"], ["git", "diff", "--numstat", "HEAD"]], repo, runs)
    r["git_status"] = timed(["git", "status", "--porcelain"], repo, runs)
    r.update(bench_prompt(binary, repo, runs))

    lsp = Lsp(binary, repo)
    start = time.perf_counter()
    first = lsp.wait_status(0, lambda p: p["total"]["files"] > 0, timeout=600)
    r["first_scan"] = (first - start) if first else float("nan")
    # Memory per tracked file: the peak (the first scan's transient memory included) and what
    # the server keeps once the scan is done and its memory given back (after a second, idle).
    tracked = n + 1
    time.sleep(1.0)
    r["peak_bytes_per_file"] = status_kb(lsp.proc.pid, "VmHWM") * 1024 / tracked
    r["kept_bytes_per_file"] = status_kb(lsp.proc.pid, "VmRSS") * 1024 / tracked

    # Write on disk → updated status.
    target = repo / "dir0000" / "file000001.txt"
    samples = []
    for i in range(max(runs * 2, 10)):
        time.sleep(0.3)
        before = lsp.statuses[-1][1]["total"]["added"] if lsp.statuses else 0
        t0 = time.perf_counter()
        with target.open("a") as out:
            out.write(f"write {i}\n")
        t1 = lsp.wait_status(t0, lambda p, b=before: p["total"]["added"] != b)
        if t1:
            samples.append(t1 - t0)
    r["write_to_status"] = Spread(samples)

    # `git commit` in a terminal → updated status (a new head in it).
    samples = []
    commits = max(runs, 5)
    for i in range(commits):
        time.sleep(0.3)
        with target.open("a") as out:
            out.write(f"commit {i}\n")
        time.sleep(0.3)
        head_before = lsp.statuses[-1][1]["head"] if lsp.statuses else None
        t0 = time.perf_counter()
        git(repo, "commit", "-q", "-m", f"bench commit {i}", "--", str(target.relative_to(repo)))
        done = time.perf_counter()
        t1 = lsp.wait_status(t0, lambda p, h=head_before: p["head"] != h)
        if t1:
            samples.append(max(t1 - done, 0.0))
    git(repo, "reset", "-q", "--soft", f"HEAD~{commits}")
    r["commit_to_status"] = Spread(samples)

    # didChange of a 2,000-line file → updated status.
    big = repo / "big.txt"
    text = big.read_text()
    uri = big.as_uri()
    lsp.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "plaintext", "version": 1, "text": text}})
    time.sleep(1.0)
    samples = []
    for i in range(max(runs * 3, 20)):
        time.sleep(0.15)
        t0 = time.perf_counter()
        edited = text + "".join(f"typed {k}\n" for k in range(i + 1))
        lsp.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": i + 2}, "contentChanges": [{"text": edited}]})
        t1 = lsp.wait_status(t0, lambda p: p["unsaved_files"] == 1 and True)
        # Wait for the status that reflects exactly this edit.
        t1 = lsp.wait_status(t0, lambda p, want=i + 1: p["unstaged"]["added"] >= want and p["unsaved_files"] == 1)
        if t1:
            samples.append(t1 - t0)
    r["keystroke_to_status"] = Spread(samples)

    time.sleep(2.0)
    c0 = cpu_seconds(lsp.proc.pid)
    time.sleep(10.0)
    c1 = cpu_seconds(lsp.proc.pid)
    r["idle_cpu_percent"] = (c1 - c0) / 10.0 * 100
    r["peak_rss_mb"] = peak_rss_mb(lsp.proc.pid)
    lsp.close()
    git(repo, "reset", "-q", "--hard")
    git(repo, "clean", "-fdq")
    return r


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--bin", default=str(ROOT / "target" / "release" / "commit-nudge"))
    parser.add_argument("--out", default=str(ROOT / "bench" / "RESULTS.md"))
    parser.add_argument("--scalar", action="store_true",
                        help="repositories set up as Scalar sets one up (sparse index, a cone of a tenth)")
    args = parser.parse_args()
    # The binary runs in each repository: a relative path is taken from here.
    args.bin = str(Path(args.bin).resolve())
    if not Path(args.bin).exists():
        subprocess.run(["cargo", "build", "--release"], cwd=ROOT, check=True)
    sizes = [int(s) for s in args.sizes.split(",")]
    results = {n: bench_size(args.bin, n, args.runs, args.scalar) for n in sizes}

    def ms(value):
        """A median in ms, with the fastest and slowest run when there were several."""
        text = f"{value * 1000:.0f} ms"
        low, high = getattr(value, "low", None), getattr(value, "high", None)
        if low is not None and high is not None and high > low:
            text += f" ({low * 1000:.0f}–{high * 1000:.0f})"
        return text

    lines = []
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    scalar = " --scalar" if args.scalar else ""
    lines.append(f"## {time.strftime('%Y-%m-%d')} · `python3 bench/run.py{scalar} --sizes {args.sizes} --runs {args.runs}`")
    lines.append("")
    lines.append(f"Machine: {os.cpu_count()} cores ({cpu}), Linux {platform.release()}, git {git(ROOT, '--version').decode().split()[-1]}; "
                 "medians, with the fastest and slowest run in parentheses.")
    if args.scalar:
        lines.append("")
        lines.append("Scalar-style repositories: a sparse index whose cone holds a tenth of the directories, the "
                     "untracked cache, index version 4, `index.skipHash`; the changes are in the cone.")
    lines.append("")
    lines.append("| figure | " + " | ".join(f"{n:,} files" for n in sizes) + " | target |")
    lines.append("| --- | " + " | ".join("---" for _ in sizes) + " | --- |")
    def row(name, key, fmt, target):
        lines.append(f"| {name} | " + " | ".join(fmt(results[n][key]) for n in sizes) + f" | {target} |")
    row("cold `commit-nudge status --json`", "status", ms, "")
    row("`git status --porcelain` + `git diff --numstat HEAD`", "git_status_numstat", ms, "")
    lines.append("| ratio | " + " | ".join(f"{results[n]['status'] / results[n]['git_status_numstat']:.2f}×" for n in sizes) + " | ≤ 1.0 (≤ 0.8 at 1M) |")
    row("`git status --porcelain`", "git_status", ms, "")
    def prompt_row(name, key, target):
        lines.append(f"| {name} | " + " | ".join(f"{ms(results[n][key])}, {results[n][key] / results[n]['git_status']:.2f}×" for n in sizes) + f" | {target} |")
    prompt_row("`commit-nudge prompt`, cold (daemon off; also the first prompt)", "prompt", "≤ 1.0× git status")
    prompt_row("`commit-nudge prompt` from its daemon, nothing changed", "prompt_daemon_idle", "≤ 1.0× git status")
    prompt_row("… right after a write to a file", "prompt_daemon_write", "≤ 1.0× git status")
    prompt_row("… right after `git add` of a file", "prompt_daemon_add", "≤ 0.3× git status")
    prompt_row("… right after `git commit` of a file", "prompt_daemon_commit", "≤ 1.0× git status")
    mb = lambda v: f"{v:.0f} MB"
    row("prompt daemon: peak RSS", "daemon_peak_rss_mb", mb, "≤ 40 MB at 100k, ≤ 200 MB at 1M")
    row("prompt daemon: CPU while idle (10 s)", "daemon_idle_cpu_percent", lambda v: f"{v:.2f} %", "≈ 0")
    row("server: first scan to first status", "first_scan", ms, "")
    row("server: write on disk → status", "write_to_status", ms, "≤ 150 ms, flat")
    row("server: `git commit` in a terminal (from its end) → status", "commit_to_status", ms, "≤ 150 ms")
    row("server: `didChange` (2,000-line file) → status", "keystroke_to_status", ms, "≤ 15 ms, flat")
    row("server: peak RSS", "peak_rss_mb", mb, "≤ 40 MB at 100k, ≤ 200 MB at 1M")
    row("server: peak RSS after the first scan ÷ tracked files", "peak_bytes_per_file", lambda v: f"{v:.0f} B", "")
    row("server: RSS kept after the first scan ÷ tracked files", "kept_bytes_per_file", lambda v: f"{v:.0f} B", "")
    row("server: CPU while idle (10 s)", "idle_cpu_percent", lambda v: f"{v:.2f} %", "≈ 0")
    text = "\n".join(lines) + "\n"
    print(text)
    out = Path(args.out)
    header = "# Benchmark results\n\nEach section is one run of `bench/run.py` (newest first).\n\n"
    old = out.read_text() if out.exists() else header
    body = old[len(header):] if old.startswith(header) else old
    out.write_text(header + text + "\n" + body)


if __name__ == "__main__":
    main()
