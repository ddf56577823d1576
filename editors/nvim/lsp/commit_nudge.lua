--- commit-nudge: a language server that keeps the uncommitted git diff in view.
---
--- Neovim 0.11+ picks this file up from 'runtimepath' for `vim.lsp.config` and
--- `vim.lsp.enable('commit_nudge')`. There is no `filetypes` list: the server is
--- useful in every buffer of a git worktree, whatever its language.

local defaults = require('commit_nudge.defaults')

---@type vim.lsp.Config
return {
  cmd = { 'commit-nudge', 'lsp' },
  root_markers = { '.git' },
  -- Start only inside a git worktree: `root_markers` alone would start a
  -- root-less server for every file outside a repository.
  root_dir = function(bufnr, on_dir)
    local root = vim.fs.root(bufnr, '.git')
    if root then
      on_dir(root)
    end
  end,
  init_options = { commitNudge = defaults.settings() },
  settings = { commitNudge = defaults.settings() },
  handlers = {
    ['commitNudge/status'] = function(err, result, ctx)
      if err == nil and result ~= nil then
        require('commit_nudge').on_status(result, ctx)
      end
    end,
  },
  -- Commands the server may put in code lenses and that need the client:
  -- `commitStaged` without a message asks for one here instead of opening a
  -- COMMIT_EDITMSG document. Every other `commit-nudge.*` command goes to the
  -- server, which advertises it in `executeCommandProvider`.
  commands = {
    ['commit-nudge.commitStaged'] = function(command, ctx)
      require('commit_nudge').run_commit_command(command, ctx)
    end,
  },
}
