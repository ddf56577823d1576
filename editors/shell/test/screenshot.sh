#!/usr/bin/env bash
# Draws the commit-nudge segment in a real bash prompt (in tmux) and renders the screen to a PNG:
#   $SCREENSHOT_DIR/prompt.png   (default <repo>/docs/screenshots)
# Run by hand, never by test/run.sh. Uses editors/nvim/test/render_screen.py with Pillow (in the
# venv of the Neovim tests) and the server of COMMIT_NUDGE_BIN.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
shell_dir="$(dirname "$here")"
repo_root="$(cd "$shell_dir/../.." && pwd)"
venv="${HOME}/.cache/commit-nudge-ci/nvim-venv"
out_dir="${SCREENSHOT_DIR:-$repo_root/docs/screenshots}"
cols=100 rows=8

source "$repo_root/editors/nvim/test/screenshot_setup.sh"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/commit-nudge-prompt-shot.XXXXXX")"
socket="commit-nudge-prompt-shot-$$"
trap 'tmux -L "$socket" kill-server >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT

# A repository with a commit 80 minutes old and work on top of it.
repo="$tmp/inventory"
mkdir -p "$repo" "$tmp/home"
export GIT_CONFIG_NOSYSTEM=1 HOME="$tmp/home" COMMIT_NUDGE_PROMPT_DAEMON=0
git -C "$repo" init --quiet --initial-branch=main
git -C "$repo" config user.name "Ada"
git -C "$repo" config user.email "ada@example.invalid"
seq 1 200 | sed 's/^/line /' >"$repo/stock.py"
git -C "$repo" add stock.py
GIT_AUTHOR_DATE="$(date -d '-80 minutes' -R)" GIT_COMMITTER_DATE="$(date -d '-80 minutes' -R)" \
  git -C "$repo" commit --quiet -m "Add stock levels"
seq 1 200 | sed 's/^/changed line /' >"$repo/stock.py"
seq 1 120 | sed 's/^/supplier /' >"$repo/suppliers.py"
touch -d '-75 minutes' "$repo/stock.py" "$repo/suppliers.py"

cat >"$tmp/bashrc" <<RC
PS1='\[\e[1;34m\]~/inventory\[\e[0m\] \$ '
export COMMIT_NUDGE_BIN='$bin'
source '$shell_dir/commit-nudge.bash'
RC
tmux -L "$socket" new-session -d -s shot -x "$cols" -y "$rows" -c "$repo" \
  "env HOME='$HOME' TERM=tmux-256color COMMIT_NUDGE_PROMPT_DAEMON=0 bash --rcfile '$tmp/bashrc' -i"
for _ in $(seq 1 100); do
  sleep 0.2
  [[ "$(tmux -L "$socket" capture-pane -p -t shot)" == *"✎"* ]] && break
done
tmux -L "$socket" send-keys -t shot 'git status --short' Enter
for _ in $(seq 1 100); do
  sleep 0.2
  screen="$(tmux -L "$socket" capture-pane -p -t shot)"
  [[ "$(grep -c '✎' <<<"$screen")" -ge 2 ]] && break
done
sleep 0.5
tmux -L "$socket" capture-pane -e -p -t shot >"$tmp/screen.ansi"
tmux -L "$socket" capture-pane -p -t shot
mkdir -p "$out_dir"
"$venv/bin/python" "$repo_root/editors/nvim/test/render_screen.py" "$tmp/screen.ansi" "$out_dir/prompt.png" "$cols" "$rows"
echo "wrote $out_dir/prompt.png"
