# commit-nudge.bash: the uncommitted diff of the current git worktree in your bash prompt.
#
#   source /path/to/commit-nudge/editors/shell/commit-nudge.bash    # in ~/.bashrc
#
# Shows `commit-nudge prompt` (e.g. `✎ +312 −40 · 7 files · 75m`) in front of PS1, refreshed by
# PROMPT_COMMAND and empty in a clean worktree or outside one. To place it yourself instead, set
# COMMIT_NUDGE_NO_PS1=1 before sourcing and put '${COMMIT_NUDGE_SEGMENT}' (single quotes) in PS1.
# Prompt frameworks that rewrite PS1 on every prompt (starship, oh-my-bash themes) need that.
# COMMIT_NUDGE_BIN overrides the binary.
# After the first prompt in a repository, a background `commit-nudge prompt-daemon` keeps the
# counts live and answers in a few ms (exactly; see the README). COMMIT_NUDGE_PROMPT_DAEMON=0
# turns it off.

# Prints the prompt line for the current directory; prints nothing outside a repository.
commit_nudge_prompt() {
  command "${COMMIT_NUDGE_BIN:-commit-nudge}" prompt 2>/dev/null
}

# Runs from PROMPT_COMMAND; keeps $? for the commands and prompt that follow.
__commit_nudge_update() {
  local exit_status=$?
  COMMIT_NUDGE_SEGMENT="$(commit_nudge_prompt)" || COMMIT_NUDGE_SEGMENT=''
  return "$exit_status"
}

if [[ "${PROMPT_COMMAND-}" != *__commit_nudge_update* ]]; then
  PROMPT_COMMAND="__commit_nudge_update${PROMPT_COMMAND:+;$PROMPT_COMMAND}"
fi

# The segment is expanded from the variable at prompt time (promptvars), so text in it is never
# run as a command substitution.
if [[ -z "${COMMIT_NUDGE_NO_PS1-}" && "$PS1" != *COMMIT_NUDGE_SEGMENT* ]]; then
  PS1='${COMMIT_NUDGE_SEGMENT:+\[\e[33m\]${COMMIT_NUDGE_SEGMENT}\[\e[0m\] }'"$PS1"
fi
