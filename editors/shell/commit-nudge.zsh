# commit-nudge.zsh: the uncommitted diff of the current git worktree in your zsh prompt.
#
#   source /path/to/commit-nudge/editors/shell/commit-nudge.zsh     # in ~/.zshrc
#
# Shows `commit-nudge prompt` (e.g. `✎ +312 −40 · 7 files · 75m`) in RPROMPT, refreshed before
# each prompt and empty in a clean worktree or outside one. To place it yourself instead, set
# COMMIT_NUDGE_NO_RPROMPT=1 before sourcing and put '${commit_nudge_segment}' in PROMPT
# (with `setopt prompt_subst`), or call `commit_nudge_prompt` from your own theme.
# COMMIT_NUDGE_BIN overrides the binary, COMMIT_NUDGE_COLOR the colour (default yellow).
# After the first prompt in a repository, a background `commit-nudge prompt-daemon` keeps the
# counts live and answers in a few ms (exactly; see the README). COMMIT_NUDGE_PROMPT_DAEMON=0
# turns it off.

# Prints the prompt line for the current directory; prints nothing outside a repository.
commit_nudge_prompt() {
  command "${COMMIT_NUDGE_BIN:-commit-nudge}" prompt 2>/dev/null
}

# Runs before each prompt: stores the segment with `%` escaped for prompt expansion.
_commit_nudge_precmd() {
  local line
  line="$(commit_nudge_prompt)" || line=''
  typeset -g commit_nudge_segment="${line//\%/%%}"
}

autoload -Uz add-zsh-hook
add-zsh-hook precmd _commit_nudge_precmd
setopt prompt_subst

if [[ -z "${COMMIT_NUDGE_NO_RPROMPT-}" && "$RPROMPT" != *commit_nudge_segment* ]]; then
  RPROMPT='%F{${COMMIT_NUDGE_COLOR:-yellow}}${commit_nudge_segment}%f'"${RPROMPT:+ $RPROMPT}"
fi
