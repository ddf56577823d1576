--- commit-nudge for Neovim: commands, a statusline helper and code lens upkeep
--- for the `commit_nudge` language server config in lsp/commit_nudge.lua.
local M = {}

local CLIENT_NAME = 'commit_nudge'
local COMMIT_STAGED = 'commit-nudge.commitStaged'

--- The latest `commitNudge/status` params, keyed by the real path of the worktree root.
---@type table<string, table>
M.status = {}

local augroup = vim.api.nvim_create_augroup('commit_nudge', { clear = true })

local function notify(msg, level)
  vim.notify('commit-nudge: ' .. msg, level or vim.log.levels.INFO)
end

--- Returns the real, normalised form of a path, or the path itself when it does not exist.
---@param path string
---@return string
local function real_path(path)
  local real = vim.uv.fs_realpath(path) or path
  return vim.fs.normalize(real)
end

--- Returns the commit-nudge client attached to a buffer.
---@param bufnr integer?
---@return vim.lsp.Client?
function M.client(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  return vim.lsp.get_clients({ bufnr = bufnr, name = CLIENT_NAME })[1]
end

--- Returns the worktree root a client serves.
---@param client vim.lsp.Client
---@return string?
local function client_root(client)
  if client.root_dir then
    return client.root_dir
  end
  local folder = client.workspace_folders and client.workspace_folders[1]
  return folder and vim.uri_to_fname(folder.uri) or nil
end

--- Returns the client of a buffer and its root, or notifies why there is none.
---@param bufnr integer
---@return vim.lsp.Client?, string?
local function client_and_root(bufnr)
  local client = M.client(bufnr)
  if not client then
    notify('no commit-nudge server is attached to this buffer', vim.log.levels.WARN)
    return nil, nil
  end
  local root = client_root(client)
  if not root then
    notify('the commit-nudge server has no workspace root', vim.log.levels.WARN)
    return nil, nil
  end
  return client, root
end

--- Returns the settings table the user configured (under `commitNudge`) for a client.
---@param client vim.lsp.Client?
---@return table
local function client_settings(client)
  local settings = client and client.settings and client.settings.commitNudge
  return type(settings) == 'table' and settings or {}
end

--- Requests code lenses again for every buffer the client serves, if lenses are on.
---@param client vim.lsp.Client
function M.refresh_codelens(client)
  if client_settings(client).codeLens == false then
    return
  end
  if not client:supports_method('textDocument/codeLens') then
    return
  end
  for bufnr in pairs(client.attached_buffers) do
    if vim.api.nvim_buf_is_loaded(bufnr) then
      vim.lsp.codelens.refresh({ bufnr = bufnr })
    end
  end
end

--- Handles the `commitNudge/status` notification: stores it for the statusline,
--- redraws, refreshes code lenses and fires `User CommitNudgeStatus`.
---@param status table the `status --json` object
---@param ctx lsp.HandlerContext
function M.on_status(status, ctx)
  if type(status) ~= 'table' or type(status.root) ~= 'string' then
    return
  end
  M.status[real_path(status.root)] = status
  vim.schedule(function()
    vim.cmd.redrawstatus({ bang = true })
    local client = vim.lsp.get_client_by_id(ctx.client_id)
    if client then
      M.refresh_codelens(client)
    end
    vim.api.nvim_exec_autocmds('User', {
      pattern = 'CommitNudgeStatus',
      modeline = false,
      data = { status = status, client_id = ctx.client_id },
    })
  end)
end

--- Sets up per-buffer upkeep when the server attaches: code lenses on attach and BufEnter.
---@param client vim.lsp.Client
---@param bufnr integer
function M.on_attach(client, bufnr)
  if client_settings(client).codeLens == false then
    return
  end
  vim.lsp.codelens.refresh({ bufnr = bufnr })
  vim.api.nvim_clear_autocmds({ group = augroup, buffer = bufnr })
  vim.api.nvim_create_autocmd({ 'BufEnter', 'InsertLeave', 'BufWritePost' }, {
    group = augroup,
    buffer = bufnr,
    desc = 'commit-nudge: refresh code lenses',
    callback = function(args)
      if M.client(args.buf) then
        vim.lsp.codelens.refresh({ bufnr = args.buf })
      end
    end,
  })
end

--- Returns the stored status for the worktree of a buffer.
---@param bufnr integer?
---@return table?
function M.get_status(bufnr)
  local client = M.client(bufnr)
  local root = client and client_root(client)
  if not root then
    return nil
  end
  return M.status[real_path(root)]
end

--- Formats a number of minutes as a short age like the CLI's prompt: `75m`, `5h`, `3d`.
---@param minutes number
---@return string
--- A duration as every commit-nudge output writes it: "45 min", "2 h 5 min", "100 days".
local function format_age(minutes)
  if minutes >= 48 * 60 then
    return string.format('%d days', math.floor(minutes / (24 * 60)))
  end
  local h, m = math.floor(minutes / 60), minutes % 60
  if h == 0 then
    return string.format('%d min', m)
  elseif m == 0 then
    return string.format('%d h', h)
  end
  return string.format('%d h %d min', h, m)
end

--- A statusline segment for the current buffer's worktree, e.g. `✎ +312 −40 · 75m`;
--- empty when the worktree is clean or no status has arrived yet.
---@param bufnr integer?
---@return string
function M.statusline(bufnr)
  local status = M.get_status(bufnr)
  local total = status and status.total
  if type(total) ~= 'table' or (total.files or 0) == 0 then
    return ''
  end
  local text = string.format('✎ +%d −%d', total.added or 0, total.removed or 0)
  local minutes = status.minutes_of_work
  if type(minutes) == 'number' then
    text = text .. ' · ' .. format_age(minutes)
  end
  local snoozed = status.snoozed_until_unix
  if type(snoozed) == 'number' and snoozed > os.time() then
    text = text .. ' (snoozed)'
  end
  return text
end

--- Sends `workspace/executeCommand` to a client and reports errors in git's own words.
---@param client vim.lsp.Client
---@param command lsp.Command
---@param bufnr integer
---@param on_done fun(err: lsp.ResponseError?, result: any)?
local function execute(client, command, bufnr, on_done)
  if command.command == COMMIT_STAGED then
    M.run_commit_command(command, { client_id = client.id, bufnr = bufnr }, on_done)
    return
  end
  client:request('workspace/executeCommand', {
    command = command.command,
    arguments = command.arguments,
  }, function(err, result)
    if err then
      notify(err.message, vim.log.levels.ERROR)
    end
    if on_done then
      on_done(err, result)
    end
  end, bufnr)
end

--- Sends `commit-nudge.commitStaged` with a message and shows git's summary or error.
---@param client vim.lsp.Client
---@param args table `{root = <uri>, message = <text>}`
---@param bufnr integer
---@param on_done fun(err: lsp.ResponseError?, result: any)?
local function send_commit(client, args, bufnr, on_done)
  client:request('workspace/executeCommand', {
    command = COMMIT_STAGED,
    arguments = { args },
  }, function(err, result)
    if err then
      -- The server has already shown git's words when it marks the error as shown.
      if not (type(err.data) == 'table' and err.data.shown) then
        notify('commit failed: ' .. err.message, vim.log.levels.ERROR)
      end
    elseif type(result) == 'table' then
      notify(result.summary or ('committed ' .. tostring(result.commit)))
    else
      notify('committed')
    end
    if on_done then
      on_done(err, result)
    end
  end, bufnr)
end

--- Asks for a commit message (unless given) and then calls `on_message` with it.
---@param message string?
---@param on_message fun(message: string)
---@param on_cancel fun()?
local function with_message(message, on_message, on_cancel)
  if message and message ~= '' then
    on_message(message)
    return
  end
  vim.ui.input({ prompt = 'Commit message: ' }, function(input)
    if input == nil or vim.trim(input) == '' then
      notify('commit cancelled: empty message', vim.log.levels.WARN)
      if on_cancel then
        on_cancel()
      end
      return
    end
    on_message(input)
  end)
end

--- Runs a `commit-nudge.commitStaged` command that came from the server (a code lens or
--- code action): asks for the message when the command carries none.
---@param command lsp.Command
---@param ctx { client_id: integer, bufnr: integer? }
---@param on_done fun(err: lsp.ResponseError?, result: any)?
function M.run_commit_command(command, ctx, on_done)
  local client = vim.lsp.get_client_by_id(ctx.client_id)
  if not client then
    return
  end
  local bufnr = ctx.bufnr or vim.api.nvim_get_current_buf()
  local args = vim.deepcopy((command.arguments and command.arguments[1]) or {})
  if args.root == nil then
    local root = client_root(client)
    args.root = root and vim.uri_from_fname(root) or nil
  end
  with_message(args.message, function(message)
    args.message = message
    send_commit(client, args, bufnr, on_done)
  end, on_done and function()
    on_done({ code = 0, message = 'cancelled' }, nil)
  end)
end

--- Commits the staged changes of the current buffer's worktree.
---@param opts { message: string?, bufnr: integer?, on_done: fun(err, result)? }?
function M.commit(opts)
  opts = opts or {}
  local bufnr = opts.bufnr or vim.api.nvim_get_current_buf()
  local client, root = client_and_root(bufnr)
  if not client or not root then
    return
  end
  with_message(opts.message, function(message)
    send_commit(client, { root = vim.uri_from_fname(root), message = message }, bufnr, opts.on_done)
  end, opts.on_done and function()
    opts.on_done({ code = 0, message = 'cancelled' }, nil)
  end)
end

--- Builds `textDocument/codeAction` params for the cursor or for a line range.
---@param client vim.lsp.Client
---@param bufnr integer
---@param range { [1]: integer, [2]: integer }? 1-based first and last line
---@return table
local function code_action_params(client, bufnr, range)
  local encoding = client.offset_encoding
  local params
  local first_line
  if range then
    local last_text = vim.api.nvim_buf_get_lines(bufnr, range[2] - 1, range[2], false)[1] or ''
    params = vim.lsp.util.make_given_range_params(
      { range[1], 0 },
      { range[2], #last_text },
      bufnr,
      encoding
    )
    first_line = range[1] - 1
  else
    params = vim.lsp.util.make_range_params(0, encoding)
    first_line = vim.api.nvim_win_get_cursor(0)[1] - 1
  end
  local namespace = vim.lsp.diagnostic.get_namespace(client.id)
  local diagnostics = vim.diagnostic.get(bufnr, { namespace = namespace, lnum = first_line })
  params.context = {
    diagnostics = vim.lsp.diagnostic.from(diagnostics),
    triggerKind = 1, -- Invoked
  }
  return params
end

--- Asks the server for code actions at the cursor (or a line range) and runs the first
--- whose title begins with `prefix`, e.g. `Stage hunk`.
---@param prefix string
---@param opts { bufnr: integer?, range: integer[]?, on_done: fun(err, result)? }?
function M.code_action(prefix, opts)
  opts = opts or {}
  local bufnr = opts.bufnr or vim.api.nvim_get_current_buf()
  local on_done = opts.on_done
  local client = client_and_root(bufnr)
  if not client then
    return
  end
  local function fail(message)
    notify(message, vim.log.levels.WARN)
    if on_done then
      on_done({ code = 0, message = message }, nil)
    end
  end
  local function run(action)
    if action.edit then
      vim.lsp.util.apply_workspace_edit(action.edit, client.offset_encoding)
    end
    -- A Command and a CodeAction both have a title; only a Command has a string `command`.
    local command = type(action.command) == 'string' and action or action.command
    if type(command) == 'table' then
      execute(client, command, bufnr, on_done)
    elseif on_done then
      on_done(nil, nil)
    end
  end
  local params = code_action_params(client, bufnr, opts.range)
  client:request('textDocument/codeAction', params, function(err, actions)
    if err then
      fail(err.message)
      return
    end
    local chosen
    for _, action in ipairs(actions or {}) do
      if vim.startswith(action.title or '', prefix) then
        chosen = action
        break
      end
    end
    if not chosen then
      fail(string.format('no "%s" action here', prefix))
      return
    end
    local needs_resolve = chosen.edit == nil
      and chosen.command == nil
      and client:supports_method('codeAction/resolve')
    if needs_resolve then
      client:request('codeAction/resolve', chosen, function(resolve_err, resolved)
        if resolve_err then
          fail(resolve_err.message)
        else
          run(resolved or chosen)
        end
      end, bufnr)
    else
      run(chosen)
    end
  end, bufnr)
end

--- Stages the hunk under the cursor (or in a line range) through the server's code action.
---@param opts { bufnr: integer?, range: integer[]?, on_done: fun(err, result)? }?
function M.stage_hunk(opts)
  M.code_action('Stage hunk', opts)
end

--- Unstages the hunk under the cursor (or in a line range) through the server's code action.
---@param opts { bufnr: integer?, range: integer[]?, on_done: fun(err, result)? }?
function M.unstage_hunk(opts)
  M.code_action('Unstage hunk', opts)
end

--- Snoozes the nudges of the current worktree for `minutes` (server default when nil).
---@param minutes integer?
function M.snooze(minutes)
  local bufnr = vim.api.nvim_get_current_buf()
  local client, root = client_and_root(bufnr)
  if not client or not root then
    return
  end
  execute(client, {
    title = 'Snooze commit nudges',
    command = 'commit-nudge.snooze',
    arguments = { { root = vim.uri_from_fname(root), minutes = minutes } },
  }, bufnr, function(err)
    if not err then
      notify(minutes and string.format('nudges snoozed for %d minutes', minutes) or 'nudges snoozed')
    end
  end)
end

--- Runs `command` (openPlan or openAbsorb) for the current buffer's worktree; the server writes
--- a document and shows it. Attaches the server to that document's buffer (saving it must reach
--- this server) and tells the user what `summary(result)` says.
local function open_document(opts, title, command, summary)
  opts = opts or {}
  local bufnr = opts.bufnr or vim.api.nvim_get_current_buf()
  local client, root = client_and_root(bufnr)
  if not client or not root then
    return
  end
  execute(client, {
    title = title,
    command = command,
    arguments = { { root = vim.uri_from_fname(root) } },
  }, bufnr, function(err, result)
    if not err and type(result) == 'table' and type(result.document) == 'string' then
      local doc_buf = vim.fn.bufadd(result.document)
      if not vim.lsp.buf_is_attached(doc_buf, client.id) then
        vim.lsp.buf_attach_client(doc_buf, client.id)
      end
      notify(summary(result))
    end
    if opts.on_done then
      opts.on_done(err, result)
    end
  end)
end

local function plural(n, word)
  return string.format('%d %s%s', n, word, n == 1 and '' or 's')
end

--- Plans the uncommitted work of the current worktree as a few small commits and opens the
--- plan document (`.git/COMMIT_PLAN`, shown by the server with window/showDocument). Edit it
--- as `git rebase -i`'s todo list and `:write` to make the commits; close it unsaved to cancel.
---@param opts { bufnr: integer?, on_done: fun(err: lsp.ResponseError?, result: any)? }?
function M.split(opts)
  open_document(opts, 'Split into commits', 'commit-nudge.openPlan', function(result)
    return plural(result.commits or 0, 'commit')
      .. ' planned: edit, then :write to make them (close to cancel)'
  end)
end

--- Folds each uncommitted fix into the commit it fixes: the server works out the target of
--- each hunk (blame over the branch's own commits) and opens the absorb document
--- (`.git/COMMIT_ABSORB`): one `fixup <sha> <subject>` block per target with its hunks under it.
--- Move or delete hunk lines, then `:write` to make the `fixup!` commits; close it to cancel.
---@param opts { bufnr: integer?, on_done: fun(err: lsp.ResponseError?, result: any)? }?
function M.absorb(opts)
  open_document(opts, 'Absorb into earlier commits', 'commit-nudge.openAbsorb', function(result)
    return plural(result.hunks or 0, 'hunk')
      .. ' into '
      .. plural(result.commits or 0, 'commit')
      .. ': edit, then :write to make the fix-ups (close to cancel)'
  end)
end

--- Shows the latest status of the current buffer's worktree.
function M.show_status()
  local status = M.get_status()
  if not status then
    local client = M.client()
    notify(client and 'no status from the server yet' or 'no commit-nudge server in this buffer')
    return
  end
  local function part(name)
    local stat = status[name] or {}
    return string.format(
      '%-9s %3d files  +%d −%d',
      name,
      stat.files or 0,
      stat.added or 0,
      stat.removed or 0
    )
  end
  local lines = {
    string.format(
      '%s on %s (%s)',
      status.root or '?',
      status.branch or '(detached)',
      type(status.head) == 'string' and status.head:sub(1, 10) or 'no commits yet'
    ),
    part('staged'),
    part('unstaged'),
    part('untracked'),
    part('total'),
  }
  if type(status.minutes_since_commit) == 'number' then
    table.insert(lines, string.format('last commit %s ago', format_age(status.minutes_since_commit)))
  end
  for _, nudge in ipairs(status.nudges or {}) do
    table.insert(lines, string.format('[%s] %s', nudge.severity or '?', nudge.message or nudge.code))
  end
  vim.notify(table.concat(lines, '\n'), vim.log.levels.INFO)
end

--- Defines the :CommitNudge* user commands and the LspAttach upkeep (idempotent); called by
--- plugin/commit_nudge.lua and by setup(), for plugin managers that add the runtime path late.
function M.create_commands()
  local function range_of(opts)
    if opts.range and opts.range > 0 then
      return { opts.line1, opts.line2 }
    end
    return nil
  end

  vim.api.nvim_create_user_command('CommitNudgeCommit', function(opts)
    local message = opts.args ~= '' and opts.args or nil
    M.commit({ message = message })
  end, { nargs = '?', desc = 'commit-nudge: commit the staged changes (asks for a message)' })

  vim.api.nvim_create_user_command('CommitNudgeStageHunk', function(opts)
    M.stage_hunk({ range = range_of(opts) })
  end, { range = true, desc = 'commit-nudge: stage the hunk under the cursor' })

  vim.api.nvim_create_user_command('CommitNudgeUnstageHunk', function(opts)
    M.unstage_hunk({ range = range_of(opts) })
  end, { range = true, desc = 'commit-nudge: unstage the hunk under the cursor' })

  vim.api.nvim_create_user_command('CommitNudgeSplit', function()
    M.split()
  end, { desc = 'commit-nudge: split the uncommitted work into commits (opens the plan; :write applies it)' })

  vim.api.nvim_create_user_command('CommitNudgeAbsorb', function()
    M.absorb()
  end, { desc = 'commit-nudge: fold each fix into the commit it fixes (opens the absorb document; :write applies it)' })

  vim.api.nvim_create_user_command('CommitNudgeStatus', function()
    M.show_status()
  end, { desc = 'commit-nudge: show the uncommitted diff of this worktree' })

  vim.api.nvim_create_user_command('CommitNudgeSnooze', function(opts)
    M.snooze(tonumber(opts.args))
  end, { nargs = '?', desc = 'commit-nudge: snooze nudges for [minutes]' })

  -- The plan document has no filetype, so Neovim would not start or attach the server for it;
  -- however it was opened (:CommitNudgeSplit, the code action, a lens), `:write` must reach the
  -- server that wrote it.
  vim.api.nvim_create_autocmd('BufReadPost', {
    group = vim.api.nvim_create_augroup('commit_nudge_plan', { clear = true }),
    pattern = { '*/COMMIT_PLAN', '*/COMMIT_ABSORB' },
    desc = 'commit-nudge: attach the server to its plan and absorb documents',
    callback = function(args)
      local path = real_path(vim.api.nvim_buf_get_name(args.buf))
      local clients = vim.lsp.get_clients({ name = CLIENT_NAME })
      for _, client in ipairs(clients) do
        local root = client_root(client)
        if #clients == 1 or (root and vim.startswith(path, real_path(root) .. '/')) then
          vim.lsp.buf_attach_client(args.buf, client.id)
          return
        end
      end
    end,
  })

  vim.api.nvim_create_autocmd('LspAttach', {
    group = vim.api.nvim_create_augroup('commit_nudge_attach', { clear = true }),
    desc = 'commit-nudge: code lens upkeep',
    callback = function(args)
      local client = vim.lsp.get_client_by_id(args.data.client_id)
      if client and client.name == 'commit_nudge' then
        M.on_attach(client, args.buf)
      end
    end,
  })
end

--- Overrides settings and enables the server.
---
--- ```lua
--- require('commit_nudge').setup({
---   settings = { thresholds = { lines = 100 } },  -- merged into the defaults
---   cmd = { '/path/to/commit-nudge', 'lsp' },      -- optional
---   enable = true,                                  -- call vim.lsp.enable (default)
--- })
--- ```
---@param opts { settings: table?, cmd: string[]?, enable: boolean? }?
function M.setup(opts)
  opts = opts or {}
  local settings = vim.tbl_deep_extend(
    'force',
    require('commit_nudge.defaults').settings(),
    opts.settings or {}
  )
  -- An empty list merges as an empty map would, so `exclude = {}` is applied by hand.
  if opts.settings and opts.settings.exclude then
    settings.exclude = opts.settings.exclude
  end
  local override = {
    settings = { commitNudge = settings },
    init_options = { commitNudge = settings },
  }
  if opts.cmd then
    override.cmd = opts.cmd
  end
  vim.lsp.config(CLIENT_NAME, override)
  -- Running servers learn the new settings at once.
  for _, client in ipairs(vim.lsp.get_clients({ name = CLIENT_NAME })) do
    client.settings = override.settings
    client:notify('workspace/didChangeConfiguration', { settings = override.settings })
  end
  M.create_commands()
  if opts.enable ~= false then
    vim.lsp.enable(CLIENT_NAME)
  end
end

return M
