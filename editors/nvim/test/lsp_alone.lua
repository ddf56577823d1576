-- The lsp/commit_nudge.lua file alone, as nvim-lspconfig would ship it: nothing of editors/nvim
-- on the runtime path (`require('commit_nudge')` must fail), the config given to
-- vim.lsp.config from the file itself; the server must attach and publish its nudge.
local lsp_file, bin, file = os.getenv('CN_LSP_FILE'), os.getenv('CN_BIN'), os.getenv('CN_FILE')
local function fail(msg)
  io.stderr:write('FAIL lsp_alone: ' .. msg .. '\n')
  vim.cmd('cquit 1')
end
if pcall(require, 'commit_nudge') then
  fail('the plugin is on the runtime path; this test is about the file alone')
end
local config = dofile(lsp_file)
config.cmd = { bin, 'lsp' }
-- The test's work is 11 lines: a limit below that, as a user would set one.
local limits = { lines = 5, files = 100, minutes = 1000000 }
config.init_options.commitNudge.thresholds = limits
config.settings.commitNudge.thresholds = limits
vim.lsp.config('commit_nudge', config)
vim.lsp.enable('commit_nudge')
vim.cmd.edit(file)
local ok = vim.wait(60000, function()
  for _, d in ipairs(vim.diagnostic.get(0)) do
    if d.source == 'commit-nudge' and d.code == 'uncommitted-lines' then
      return true
    end
  end
  return false
end, 50)
if not ok then
  fail('no uncommitted-lines diagnostic from the server started by lsp/commit_nudge.lua')
end
local client = vim.lsp.get_clients({ bufnr = 0, name = 'commit_nudge' })[1]
if not client or client.config.init_options.commitNudge.askOnWarning ~= false then
  fail('the client did not send askOnWarning = false')
end
io.stdout:write('ok lsp_alone: the file alone attaches and the nudge arrives\n')
vim.cmd('qall!')
