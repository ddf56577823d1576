# commit-nudge.fish: the uncommitted diff of the current git worktree in your fish prompt.
#
#   source /path/to/commit-nudge/editors/shell/commit-nudge.fish    # at the end of config.fish
#
# Shows `commit-nudge prompt` (e.g. `✎ +312 −40 · 7 files · 75m`) in the right prompt, in front
# of any fish_right_prompt you already have; empty in a clean worktree or outside one. To place
# it yourself instead, set COMMIT_NUDGE_NO_RIGHT_PROMPT before sourcing and call
# `commit_nudge_prompt` from your fish_prompt. COMMIT_NUDGE_BIN overrides the binary,
# COMMIT_NUDGE_COLOR the colour (default yellow).
# After the first prompt in a repository, a background `commit-nudge prompt-daemon` keeps the
# counts live and answers in a few ms (exactly; see the README). COMMIT_NUDGE_PROMPT_DAEMON=0
# turns it off.

function commit_nudge_prompt --description 'commit-nudge: one line about the uncommitted diff'
    set -l bin commit-nudge
    set -q COMMIT_NUDGE_BIN; and set bin $COMMIT_NUDGE_BIN
    command $bin prompt 2>/dev/null
end

if not set -q COMMIT_NUDGE_NO_RIGHT_PROMPT; and not set -q __commit_nudge_right_prompt_installed
    set -g __commit_nudge_right_prompt_installed 1
    if functions -q fish_right_prompt
        functions -c fish_right_prompt __commit_nudge_previous_right_prompt
    end
    function fish_right_prompt --description 'commit-nudge segment, then the previous right prompt'
        set -l segment (commit_nudge_prompt)
        if test -n "$segment"
            set -l colour yellow
            set -q COMMIT_NUDGE_COLOR; and set colour $COMMIT_NUDGE_COLOR
            set_color $colour
            echo -n "$segment"
            set_color normal
        end
        if functions -q __commit_nudge_previous_right_prompt
            test -n "$segment"; and echo -n ' '
            __commit_nudge_previous_right_prompt
        end
    end
end
