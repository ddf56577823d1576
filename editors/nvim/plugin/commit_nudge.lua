--- commit-nudge user commands and code lens upkeep; the server config itself is
--- lsp/commit_nudge.lua, enabled with `vim.lsp.enable('commit_nudge')`.
if vim.g.loaded_commit_nudge then
  return
end
vim.g.loaded_commit_nudge = true

require('commit_nudge').create_commands()
