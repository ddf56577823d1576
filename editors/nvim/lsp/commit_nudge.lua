--- commit-nudge: a language server that keeps the uncommitted git diff in view.
---
--- Neovim 0.11+ picks this file up from 'runtimepath' for `vim.lsp.config` and
--- `vim.lsp.enable('commit_nudge')`. There is no `filetypes` list: the server is
--- useful in every buffer of a git worktree, whatever its language.
---
--- The file stands alone (as nvim-lspconfig ships it, without the rest of
--- editors/nvim): it then sends only what differs from the server's defaults
--- and asks for a commit message with `vim.ui.input`. With the plugin on the
--- runtime path it uses the plugin's defaults, statusline and commit command.

local has_plugin, plugin = pcall(require, 'commit_nudge')
local settings = function()
  local ok, defaults = pcall(require, 'commit_nudge.defaults')
  if ok then
    return defaults.settings()
  end
  -- Neovim's window/showMessageRequest is a modal list that would stop typing.
  return { askOnWarning = false }
end

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
  init_options = { commitNudge = settings() },
  settings = { commitNudge = settings() },
  handlers = {
    ['commitNudge/status'] = function(err, result, ctx)
      if has_plugin and err == nil and result ~= nil then
        plugin.on_status(result, ctx)
      end
    end,
  },
  -- Commands the server may put in code lenses and that need the client:
  -- `commitStaged` without a message asks for one here instead of opening a
  -- COMMIT_EDITMSG document. Every other `commit-nudge.*` command goes to the
  -- server, which advertises it in `executeCommandProvider`.
  commands = {
    ['commit-nudge.commitStaged'] = function(command, ctx)
      if has_plugin then
        plugin.run_commit_command(command, ctx)
        return
      end
      local client = vim.lsp.get_client_by_id(ctx.client_id)
      local args = vim.deepcopy((command.arguments and command.arguments[1]) or {})
      args.root = args.root or (client and client.root_dir and vim.uri_from_fname(client.root_dir))
      vim.ui.input({ prompt = 'Commit message: ' }, function(message)
        if client and message and vim.trim(message) ~= '' then
          args.message = message
          client:request('workspace/executeCommand', { command = command.command, arguments = { args } }, function(err, result)
            if err then
              vim.notify('commit-nudge: ' .. err.message, vim.log.levels.ERROR)
            else
              vim.notify('commit-nudge: ' .. ((type(result) == 'table' and result.summary) or 'committed'))
            end
          end)
        end
      end)
    end,
  },
}
