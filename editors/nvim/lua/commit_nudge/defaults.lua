--- The default `commitNudge` settings, as documented in docs/architecture.md.
local M = {}

--- Returns a fresh copy of the default settings table.
---@return table
function M.settings()
  return {
    thresholds = { lines = 200, files = 15, minutes = 60 },
    countUntracked = true,
    countUnsaved = true,
    exclude = { '**/*.lock', '**/package-lock.json' },
    severity = 'information',
    codeLens = true,
    -- Neovim's window/showMessageRequest is a modal inputlist that would stop typing: the
    -- diagnostic and the statusline nudge instead.
    askOnWarning = false,
    snoozeMinutes = 30,
  }
end

return M
