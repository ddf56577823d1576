#!/usr/bin/env bash
# What the hardened git-CLI backend costs (docs/architecture.md, "Every repository git makes"):
# 10,000 files of 20 lines, 10 modified, in a SHA-1, a SHA-256 (served by the CLI backend) and a
# reftable (libgit2, HEAD through git) repository; median of 7 runs of commit-nudge's cold status
# and of the git commands the backend runs.
# Usage: bash bench/cli_backend_cost.sh [path to the release binary]
set -e
B=${1:-$(cd "$(dirname "$0")/.." && pwd)/target/release/commit-nudge}
work=$(mktemp -d)
cd "$work"
export HOME=$work GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=a GIT_AUTHOR_EMAIL=a@b GIT_COMMITTER_NAME=a GIT_COMMITTER_EMAIL=a@b
for fmt in sha1 sha256 reftable; do
  case $fmt in
    reftable) init="--ref-format=reftable" ;;
    *) init="--object-format=$fmt" ;;
  esac
  rm -rf r$fmt; git init -q $init r$fmt; cd r$fmt
  python3 -c "
import os
for i in range(10000):
    d='d%03d'%(i%100); os.makedirs(d,exist_ok=True)
    open(f'{d}/f{i}.txt','w').write(''.join(f'line {j} of {i}\n' for j in range(20)))
"
  git add -A; git commit -qm init
  for i in 1 2 3 4 5 6 7 8 9 10; do echo change >> d00$((i%10))/f$i.txt 2>/dev/null || echo change >> d001/f1.txt; done
  git status --porcelain >/dev/null
  t() { python3 - "$@" <<'PY'
import subprocess,sys,time
cmd=sys.argv[1:]; ts=[]
for _ in range(7):
    s=time.perf_counter(); subprocess.run(cmd,stdout=subprocess.DEVNULL,stderr=subprocess.DEVNULL,shell=True); ts.append(time.perf_counter()-s)
ts.sort(); print(f"{ts[3]*1000:.0f} ms  ", cmd[0])
PY
  }
  echo "== $fmt (10k files, 10 modified)"
  t "$B status --json >/dev/null"
  t "git -c core.fsmonitor=false -c core.untrackedCache=false status --porcelain=v2 -z --untracked-files=all >/dev/null && git -c core.fsmonitor=false diff --numstat -z --no-ext-diff --no-textconv HEAD >/dev/null"
  t "git -c core.fsmonitor=false diff --numstat -z --no-ext-diff --no-textconv >/dev/null && git -c core.fsmonitor=false diff --cached --numstat -z --no-ext-diff --no-textconv >/dev/null && git -c core.fsmonitor=false ls-files -z --others --exclude-standard >/dev/null"
  cd ..
done
