# Sourced by the screenshot scripts (editors/nvim/test/screenshot.sh,
# editors/shell/test/screenshot.sh): what drawing a terminal screen to a PNG needs, installed when
# missing — Pillow in the Neovim tests' venv ($venv), tmux, a monospace font — and the server
# binary resolved to an absolute path in $bin (COMMIT_NUDGE_BIN, else a debug build of
# $repo_root). Expects $venv and $repo_root to be set.
[[ -x "$venv/bin/python" ]] || python3 -m venv "$venv"
"$venv/bin/python" -c 'import PIL' 2>/dev/null ||
  "$venv/bin/pip" install --quiet --disable-pip-version-check pillow
command -v tmux >/dev/null || { apt-get update -qq && apt-get install -y -qq tmux >/dev/null; }
[[ -f /usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf ]] ||
  { apt-get update -qq && apt-get install -y -qq fonts-dejavu-core >/dev/null; }

bin="${COMMIT_NUDGE_BIN:-$repo_root/target/debug/commit-nudge}"
[[ -x "$bin" ]] || (cd "$repo_root" && cargo build --quiet)
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
