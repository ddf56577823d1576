#!/usr/bin/env bash
# Tests the zsh, bash and fish prompt snippets in their real shells, interactive under tmux:
# in a dirty repo the prompt shows the numbers, in a clean repo and outside a repo nothing.
#
#   editors/shell/test/run.sh
#
# COMMIT_NUDGE_BIN: server binary (default <repo>/target/debug/commit-nudge, built if missing).
# Installs zsh, fish and tmux from Debian with apt-get when they are missing.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
shell_dir="$(dirname "$here")"
repo_root="$(cd "$shell_dir/../.." && pwd)"

missing=()
for tool in zsh fish tmux; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if ((${#missing[@]})); then
  echo "== apt-get install ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

bin="${COMMIT_NUDGE_BIN:-$repo_root/target/debug/commit-nudge}"
if [[ ! -x "$bin" ]]; then
  echo "== building the server (cargo build)"
  (cd "$repo_root" && cargo build --quiet)
fi
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/commit-nudge-shell.XXXXXX")"
socket="commit-nudge-test-$$"
cleanup() {
  tmux -L "$socket" kill-server >/dev/null 2>&1 || true
  # The prompt daemons these shells started (each lock file names its daemon's pid).
  for lock in "$tmp"/run/commit-nudge/*.lock; do
    [[ -s "$lock" ]] && kill "$(cut -d' ' -f1 "$lock")" 2>/dev/null || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT

# The binary on PATH as `commit-nudge`, as users have it.
# Prompt daemons get a runtime directory of their own, so they can be found and stopped.
mkdir -p "$tmp/bin" "$tmp/home" "$tmp/run"
chmod 700 "$tmp/run"
ln -s "$bin" "$tmp/bin/commit-nudge"
export PATH="$tmp/bin:$PATH" HOME="$tmp/home" GIT_CONFIG_NOSYSTEM=1 LANG=C.UTF-8 LC_ALL=C.UTF-8
export XDG_RUNTIME_DIR="$tmp/run"

new_repo() {
  git init --quiet --initial-branch=main "$1"
  git -C "$1" config user.name "Nudge Tester"
  git -C "$1" config user.email "tester@example.invalid"
  git -C "$1" config commit.gpgsign false
  seq 1 20 >"$1/numbers.txt"
  git -C "$1" add numbers.txt
  git -C "$1" commit --quiet -m "Add numbers"
}
dirty="$tmp/dirty" clean="$tmp/clean" outside="$tmp/outside"
new_repo "$dirty"
new_repo "$clean"
mkdir -p "$outside"
# 12 lines added and 3 removed in one tracked file.
{ seq 1 5; seq 9 20; seq 101 112; } >"$dirty/numbers.txt"
read -r n_added n_removed _ < <(git -C "$dirty" diff --numstat)
echo "fixture: +$n_added -$n_removed; commit-nudge prompt in the dirty repo says: $(cd "$dirty" && commit-nudge prompt)"

n_passed=0 n_failed=0
pass() { n_passed=$((n_passed + 1)); echo "ok   $1"; }
fail() { n_failed=$((n_failed + 1)); echo "FAIL $1"; [[ -z "${2:-}" ]] || printf '%s\n' "$2" | sed 's/^/     | /'; }

# The bare functions, non-interactively.
check_function() {
  local shell="$1" dir="$2" want="$3" out
  case "$shell" in
    zsh) out="$(cd "$dir" && zsh -f -c "source $shell_dir/commit-nudge.zsh; commit_nudge_prompt")" || true ;;
    bash) out="$(cd "$dir" && bash --norc --noprofile -c "source $shell_dir/commit-nudge.bash; commit_nudge_prompt")" || true ;;
    fish) out="$(cd "$dir" && fish --no-config -c "source $shell_dir/commit-nudge.fish; commit_nudge_prompt")" || true ;;
  esac
  if [[ "$want" == numbers ]]; then
    [[ "$out" == *"+$n_added "[-−]"$n_removed"* ]] &&
      pass "$shell: commit_nudge_prompt prints the numbers" || fail "$shell: commit_nudge_prompt in the dirty repo" "$out"
  else
    [[ -z "$out" ]] && pass "$shell: commit_nudge_prompt is silent ($want)" || fail "$shell: commit_nudge_prompt should be empty ($want)" "$out"
  fi
}

# The prompt a person sees: an interactive shell in tmux, the snippet sourced as one line.
start_shell() {
  local shell="$1" cmd
  case "$shell" in
    zsh) cmd="zsh -f -i" ;;
    bash) cmd="bash --norc --noprofile -i" ;;
    fish) cmd="fish --no-config -i" ;;
  esac
  tmux -L "$socket" new-session -d -s "$shell" -x 160 -y 12 -c "$outside" \
    "env PATH='$PATH' HOME='$HOME' XDG_RUNTIME_DIR='$XDG_RUNTIME_DIR' TERM=xterm-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 GIT_CONFIG_NOSYSTEM=1 $cmd"
  sleep 0.5
  case "$shell" in
    zsh) tmux -L "$socket" send-keys -t "$shell" "PROMPT='CN> '; source $shell_dir/commit-nudge.zsh" Enter ;;
    bash) tmux -L "$socket" send-keys -t "$shell" "PS1='CN> '; source $shell_dir/commit-nudge.bash" Enter ;;
    fish) tmux -L "$socket" send-keys -t "$shell" "function fish_prompt; echo -n 'CN> '; end; source $shell_dir/commit-nudge.fish" Enter ;;
  esac
}

# Runs `cd DIR; clear; echo MARK` (or `COMMAND; clear; echo MARK`) and prints the prompt line
# drawn after MARK.
step=0
prompt_after_cd() {
  prompt_after "$1" "cd $2"
}
prompt_after() {
  local shell="$1" command="$2" screen line
  step=$((step + 1))
  tmux -L "$socket" send-keys -t "$shell" "$command; clear; echo STEP$step" Enter
  for _ in $(seq 1 100); do
    sleep 0.1
    screen="$(tmux -L "$socket" capture-pane -p -t "$shell")"
    line="$(printf '%s\n' "$screen" | awk -v mark="STEP$step" '$0 == mark {found=1; next} found && /CN>/ {print; exit}')"
    if [[ -n "$line" ]]; then
      sleep 0.3 # the right prompt may be drawn a moment after the left one
      screen="$(tmux -L "$socket" capture-pane -p -t "$shell")"
      printf '%s\n' "$screen" | awk -v mark="STEP$step" '$0 == mark {found=1; next} found && /CN>/ {print; exit}'
      return 0
    fi
  done
  echo "(no prompt after STEP$step; screen:)"
  printf '%s\n' "$screen"
  return 1
}

check_prompt() {
  local shell="$1"
  start_shell "$shell"
  local line
  line="$(prompt_after_cd "$shell" "$dirty")" || true
  if [[ "$line" == *"+$n_added "[-−]"$n_removed"* ]]; then
    pass "$shell: interactive prompt in a dirty repo shows the numbers: $(tr -s ' ' <<<"$line")"
  else
    fail "$shell: interactive prompt in a dirty repo should show +$n_added and $n_removed" "$line"
  fi
  line="$(prompt_after_cd "$shell" "$clean")" || true
  if [[ "$line" == *"CN>"* && "$line" != *"✎"* && "$line" != *"+"* ]]; then
    pass "$shell: interactive prompt in a clean repo shows nothing"
  else
    fail "$shell: interactive prompt in a clean repo should show no segment" "$line"
  fi
  line="$(prompt_after_cd "$shell" "$outside")" || true
  if [[ "$line" == *"CN>"* && "$line" != *"✎"* && "$line" != *"+"* && "$line" != *commit-nudge* ]]; then
    pass "$shell: interactive prompt outside a repo shows nothing (no stderr)"
  else
    fail "$shell: interactive prompt outside a repo should show no segment" "$line"
  fi
  # Back into the dirty repo: the segment comes back (it is refreshed at each prompt).
  line="$(prompt_after_cd "$shell" "$dirty")" || true
  [[ "$line" == *"+$n_added"* ]] && pass "$shell: the segment is refreshed at each prompt" ||
    fail "$shell: segment should come back in the dirty repo" "$line"

  # Changes made at this prompt show at the next one (from the prompt daemon after the first).
  local live="$tmp/live-$shell"
  new_repo "$live"
  prompt_after_cd "$shell" "$live" >/dev/null || true
  line="$(prompt_after "$shell" "seq 1 7 >new.txt")" || true
  [[ "$line" == *"+7 "[-−]"0"* ]] && pass "$shell: a new file shows at the next prompt" ||
    fail "$shell: the prompt after writing a 7-line file should show +7" "$line"
  line="$(prompt_after "$shell" "seq 8 10 >>new.txt")" || true
  [[ "$line" == *"+10 "[-−]"0"* ]] && pass "$shell: a write shows at the next prompt" ||
    fail "$shell: the prompt after adding 3 lines should show +10" "$line"
  line="$(prompt_after "$shell" "git add new.txt && git commit -q -m new")" || true
  [[ "$line" == *"CN>"* && "$line" != *"✎"* ]] && pass "$shell: a commit clears the segment at the next prompt" ||
    fail "$shell: the prompt after a commit should show no segment" "$line"
  line="$(prompt_after "$shell" "git reset -q --soft HEAD~1")" || true
  [[ "$line" == *"+10 "[-−]"0"* ]] && pass "$shell: a reset brings it back at the next prompt" ||
    fail "$shell: the prompt after reset --soft should show +10" "$line"
  tmux -L "$socket" kill-session -t "$shell" >/dev/null 2>&1 || true
}

for shell in zsh bash fish; do
  echo "== $shell ($("$shell" --version | head -n 1))"
  check_function "$shell" "$dirty" numbers
  check_function "$shell" "$clean" "clean repo"
  check_function "$shell" "$outside" "outside a repo"
  check_prompt "$shell"
done

# bash keeps $? for what follows in PROMPT_COMMAND, and never runs text of the segment.
out="$(cd "$dirty" && bash --norc --noprofile -c "
  source $shell_dir/commit-nudge.bash
  false; __commit_nudge_update; echo \"status=\$?\"
  echo \"ps1=\${PS1@P}\"")"
[[ "$out" == *"status=1"* ]] && pass "bash: PROMPT_COMMAND hook keeps \$?" || fail "bash: \$? should survive the hook" "$out"

# The prompts above started prompt daemons, which answered the later prompts.
if compgen -G "$tmp/run/commit-nudge/*.sock" >/dev/null; then
  pass "prompt daemons listen in \$XDG_RUNTIME_DIR/commit-nudge"
else
  fail "no prompt daemon was started" "$(ls -la "$tmp/run" 2>&1)"
fi

echo "shell: $n_passed passed, $n_failed failed"
((n_failed == 0))
