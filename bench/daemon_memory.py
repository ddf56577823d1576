#!/usr/bin/env python3
"""The prompt daemon's memory with `thresholds.lines = "auto"` (which reads the author's history).

    python3 bench/daemon_memory.py                 # 5,000 files, 3,000 commits
    python3 bench/daemon_memory.py --files 5000 --commits 3000 --bin target/release/commit-nudge

Builds (once, cached under ~/.cache/commit-nudge-bench) a repository of N files whose history has
C commits by the user (each changing a few files, made with `git fast-import`), turns "auto" on in
`.commit-nudge.toml`, runs one prompt (which starts the daemon), asks again until the daemon
answers, and reports the daemon's RSS: right after it answered with "auto" on, its peak (VmHWM),
and after "auto" is turned off again. Target (issue 11): at most 40 MB, memory given back after
the history is read. A benchmark, not a test: it asserts nothing.
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path.home() / ".cache" / "commit-nudge-bench"
EMAIL = "bench@example.com"


def git(repo, *args, **kw):
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, **kw).stdout


def build_repo(n_files, n_commits):
    repo = CACHE / f"history-{n_files}-{n_commits}"
    if (repo / ".git").exists():
        return repo
    repo.mkdir(parents=True, exist_ok=True)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", EMAIL)
    git(repo, "config", "user.name", "Bench")
    # One fast-import stream: a seed commit with every file, then commits of 1-20 changed files.
    lines = []
    contents = {}
    for i in range(n_files):
        contents[i] = [f"file {i} line {j}" for j in range(20)]
    def blob(i):
        data = ("\n".join(contents[i]) + "\n").encode()
        return b"M 100644 inline dir%04d/file%06d.txt\ndata %d\n" % (i // 100, i, len(data)) + data + b"\n"
    out = bytearray()
    when = 1_700_000_000
    for c in range(n_commits + 1):
        message = b"seed" if c == 0 else b"change %d" % c
        out += b"commit refs/heads/main\n"
        out += b"author Bench <%s> %d +0000\n" % (EMAIL.encode(), when + c * 600)
        out += b"committer Bench <%s> %d +0000\n" % (EMAIL.encode(), when + c * 600)
        out += b"data %d\n%s\n" % (len(message), message)
        changed = range(n_files) if c == 0 else [(c * 7919 + k * 104729) % n_files for k in range(1 + c % 20)]
        for i in changed:
            if c > 0:
                contents[i][c % 20] = f"file {i} line {c % 20} changed in {c}"
            out += blob(i)
        out += b"\n"
    subprocess.run(["git", "fast-import", "--quiet"], cwd=repo, input=bytes(out), check=True)
    git(repo, "checkout", "-q", "-f", "main")
    return repo


def status_kb(pid, field):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def daemon_pid(repo, env):
    """The pid of the daemon serving `repo`, from its lock file."""
    runtime = env.get("XDG_RUNTIME_DIR")
    dirs = [Path(runtime) / "commit-nudge"] if runtime else []
    dirs.append(Path(os.environ.get("TMPDIR", "/tmp")) / f"commit-nudge-{os.getuid()}")
    for d in dirs:
        for lock in d.glob("*.lock") if d.is_dir() else []:
            parts = lock.read_text().split(" ", 1)
            if len(parts) == 2 and parts[1].strip() == str(repo):
                return int(parts[0])
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--commits", type=int, default=3000)
    parser.add_argument("--bin", default=str(ROOT / "target" / "release" / "commit-nudge"))
    args = parser.parse_args()
    repo = build_repo(args.files, args.commits)
    (repo / ".commit-nudge.toml").write_text('[thresholds]\nlines = "auto"\n')
    env = dict(os.environ, COMMIT_NUDGE_PROMPT_DAEMON_IDLE_SECS="120")
    subprocess.run([args.bin, "prompt"], cwd=repo, env=env, capture_output=True)
    pid = None
    for _ in range(200):
        pid = daemon_pid(repo, env)
        if pid:
            break
        time.sleep(0.05)
    if not pid:
        sys.exit("no daemon started")
    # Ask until the daemon answers by itself (its first count and the history are done).
    for _ in range(100):
        run = subprocess.run([args.bin, "prompt"], cwd=repo, env=dict(env, RUST_LOG="commit_nudge=debug"), capture_output=True, text=True)
        if "answered by the prompt daemon" in run.stderr:
            break
        time.sleep(0.2)
    time.sleep(1)
    with_auto = status_kb(pid, "VmRSS") / 1024
    peak = status_kb(pid, "VmHWM") / 1024
    (repo / ".commit-nudge.toml").unlink()
    for _ in range(3):
        subprocess.run([args.bin, "prompt"], cwd=repo, env=env, capture_output=True)
        time.sleep(0.5)
    without = status_kb(pid, "VmRSS") / 1024
    os.kill(pid, 15)
    print(f"{args.files} files, {args.commits} commits by the user, daemon pid {pid}")
    print(f"  RSS with \"auto\" on, after answering:  {with_auto:6.1f} MB   (target <= 40 MB)")
    print(f"  peak RSS (VmHWM):                     {peak:6.1f} MB")
    print(f"  RSS after \"auto\" is turned off:       {without:6.1f} MB")


if __name__ == "__main__":
    main()
