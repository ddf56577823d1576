--- The plan follows the work as it was done, in real Neovim: zz.txt is edited and written twice,
--- then after a pause aa.txt twice; :CommitNudgeSplit then plans two commits, zz.txt's first,
--- though git's diff lists aa.txt first (the server recorded the writes in
--- .git/commit-nudge/record). The plan is left unapplied.
--- Run by test/run.sh as `nvim --headless --clean ... -c 'luafile plan_replay.lua'` with CN_BIN
--- (server binary) and CN_REPO (a clean repository holding aa.txt and zz.txt of 60 lines).

local bin = assert(os.getenv('CN_BIN'), 'CN_BIN not set')
local repo = assert(os.getenv('CN_REPO'), 'CN_REPO not set')
local TIMEOUT_MS = tonumber(os.getenv('CN_TIMEOUT_MS') or '20000')
local record = repo .. '/.git/commit-nudge/record'

local failed = 0
local function log(msg)
  io.stdout:write(msg .. '\n')
  io.stdout:flush()
end
local function check(name, ok, detail)
  if ok then
    log('ok   ' .. name)
  else
    failed = failed + 1
    log('FAIL ' .. name .. (detail and ('\n     ' .. detail) or ''))
  end
  return ok
end

--- The times of the record's snapshots (its `s <unix ms>` lines).
local function snapshot_times()
  local times = {}
  local fd = io.open(record, 'r')
  if fd then
    for line in fd:lines() do
      local t = line:match('^s (%-?%d+)$')
      if t then
        table.insert(times, tonumber(t))
      end
    end
    fd:close()
  end
  return times
end

--- Opens `name`, replaces line `line` with `text`, writes, and waits for the record's snapshot.
local function edit_and_write(name, line, text)
  vim.cmd.edit(vim.fn.fnameescape(repo .. '/' .. name))
  local bufnr = vim.api.nvim_get_current_buf()
  assert(vim.wait(TIMEOUT_MS, function()
    local client = require('commit_nudge').client(bufnr)
    return client ~= nil and client.initialized
  end, 50), 'the server attaches to ' .. name)
  vim.api.nvim_buf_set_lines(bufnr, line - 1, line, false, { text })
  local before = #snapshot_times()
  vim.cmd('write')
  assert(vim.wait(TIMEOUT_MS, function()
    return #snapshot_times() > before
  end, 50), 'the write of ' .. name .. ' in the record')
end

local function main()
  require('commit_nudge').setup({ cmd = { bin, 'lsp' } })
  edit_and_write('zz.txt', 5, 'replayed first a')
  edit_and_write('zz.txt', 45, 'replayed first b')
  -- A pause long against the gaps between the writes so far (measured: a loaded machine spaces
  -- them out); the record cuts the work where a pause is over 4 times the usual one.
  local times = snapshot_times()
  vim.wait(1500 + 10 * (times[#times] - times[1]), function()
    return false
  end, 50)
  edit_and_write('aa.txt', 3, 'replayed second a')
  edit_and_write('aa.txt', 8, 'replayed second b')

  vim.cmd('CommitNudgeSplit')
  local shown = vim.wait(TIMEOUT_MS, function()
    return vim.fs.basename(vim.api.nvim_buf_get_name(0)) == 'COMMIT_PLAN'
  end, 50)
  if not check(':CommitNudgeSplit opens the plan document', shown, vim.api.nvim_buf_get_name(0)) then
    return
  end
  local commits = {}
  for _, line in ipairs(vim.api.nvim_buf_get_lines(0, 0, -1, false)) do
    if line:match('^commit ') then
      table.insert(commits, {})
    end
    local path = line:match('^%s+(%S+) @@ ')
    if path and #commits > 0 and not vim.tbl_contains(commits[#commits], path) then
      table.insert(commits[#commits], path)
    end
  end
  check(
    'two commits in the order of the work: zz.txt, then aa.txt',
    vim.deep_equal(commits, { { 'zz.txt' }, { 'aa.txt' } }),
    vim.inspect(commits)
  )
end

local ok, err = xpcall(main, debug.traceback)
if not ok then
  failed = failed + 1
  log('FAIL test script error: ' .. tostring(err))
end
log(string.format('nvim plan replay: %d failed', failed))
if failed > 0 then
  vim.cmd('cquit 1')
else
  vim.cmd('qall!')
end
