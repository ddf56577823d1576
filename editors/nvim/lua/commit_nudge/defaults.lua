--- The default `commitNudge` settings, as documented in docs/architecture.md.
local M = {}

--- Returns a fresh copy of the default settings table.
---@return table
function M.settings()
  -- askOnWarning is off here: Neovim's window/showMessageRequest is a modal inputlist that would
  -- stop typing, so the diagnostic and the statusline nudge instead.
  -- BEGIN generated settings: from src/config/table.rs (cargo test --test it settings_everywhere).
  return {
    thresholds = { lines = 200, files = 15, minutes = 60 },
    countUntracked = true,
    countUnsaved = true,
    exclude = { '**/*.lock', '**/package-lock.json' },
    severity = 'information',
    codeLens = true,
    askOnWarning = false,
    snoozeMinutes = 30,
    maxFileBytes = 52428800,
    recordWork = true,
  }
  -- END generated settings
end

return M
