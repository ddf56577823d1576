#!/usr/bin/env bash
# End-to-end test of editors/emacs/commit-nudge.el: emacs --batch with eglot, then with lsp-mode,
# the real server, a dirty temp repo; checks that a commit-nudge diagnostic arrives, then stages
# a hunk and commits.
#
#   editors/emacs/test/run.sh
#
# Installs Debian's emacs-nox, elpa-eglot (when Emacs has no built-in eglot) and elpa-lsp-mode
# if missing.
# COMMIT_NUDGE_BIN: server binary (default <repo>/target/debug/commit-nudge, built if missing).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
emacs_dir="$(dirname "$here")"
repo_root="$(cd "$emacs_dir/../.." && pwd)"

if ! command -v emacs >/dev/null 2>&1; then
  echo "== apt-get install emacs-nox"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq emacs-nox >/dev/null
fi
elpa_check() {
  emacs --batch -Q --eval "(progn (require 'package) (add-to-list 'package-directory-list \"/usr/share/emacs/site-lisp/elpa\") (package-initialize) (require '$1))" >/dev/null 2>&1
}
if ! elpa_check eglot; then
  echo "== apt-get install elpa-eglot (this Emacs has no built-in eglot)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq elpa-eglot >/dev/null
fi
if ! elpa_check lsp-mode; then
  echo "== apt-get install elpa-lsp-mode"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq elpa-lsp-mode >/dev/null
fi

bin="${COMMIT_NUDGE_BIN:-$repo_root/target/debug/commit-nudge}"
if [[ ! -x "$bin" ]]; then
  echo "== building the server (cargo build)"
  (cd "$repo_root" && cargo build --quiet)
fi
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/commit-nudge-emacs.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
export HOME="$tmp/home" GIT_CONFIG_NOSYSTEM=1
mkdir -p "$HOME"

# Two hunks: lines 2-4 rewritten, six lines added at the end.
make_repo() {
  local repo="$1"
  git init --quiet --initial-branch=main "$repo"
  git -C "$repo" config user.name "Nudge Tester"
  git -C "$repo" config user.email "tester@example.invalid"
  git -C "$repo" config commit.gpgsign false
  seq 1 40 | sed 's/^/note /' >"$repo/notes.txt"
  git -C "$repo" add notes.txt
  git -C "$repo" commit --quiet -m "Add notes"
  { echo "note 1"; echo "changed 2"; echo "changed 3"; echo "changed 4"; seq 5 40 | sed 's/^/note /'; seq 1 6 | sed 's/^/extra /'; } >"$repo/notes.txt"
}

run_emacs() {
  local script="$1" repo="$2"
  CN_BIN="$bin" CN_REPO="$repo" CN_FILE="$repo/notes.txt" CN_EL="$emacs_dir/commit-nudge.el" \
    timeout 180 emacs --batch -Q -l "$here/$script" 2>"$tmp/stderr.log" || {
      local status=$?
      echo "== emacs exited $status; its messages:"
      tail -n 40 "$tmp/stderr.log"
      return "$status"
    }
}

failed=0
echo "== eglot"
make_repo "$tmp/eglot-repo"
run_emacs e2e.el "$tmp/eglot-repo" || failed=1

echo "== lsp-mode (add-on client)"
make_repo "$tmp/lsp-mode-repo"
run_emacs e2e-lsp-mode.el "$tmp/lsp-mode-repo" || failed=1
exit "$failed"
