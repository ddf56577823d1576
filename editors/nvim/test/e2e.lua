--- End-to-end test of the Neovim client against the real commit-nudge server.
--- Run by test/run.sh as `nvim --headless --clean ... -c 'luafile e2e.lua'` with
--- CN_BIN (server binary), CN_REPO (dirty temp repo) and CN_FILE (file with three hunks).

local bin = assert(os.getenv('CN_BIN'), 'CN_BIN not set')
local repo = assert(os.getenv('CN_REPO'), 'CN_REPO not set')
local file = assert(os.getenv('CN_FILE'), 'CN_FILE not set')
local TIMEOUT_MS = tonumber(os.getenv('CN_TIMEOUT_MS') or '20000')

local n_passed, n_failed = 0, 0

local function log(msg)
  io.stdout:write(msg .. '\n')
  io.stdout:flush()
end

local function git(args)
  local result = vim.system(vim.list_extend({ 'git', '-C', repo }, args), { text = true }):wait()
  if result.code ~= 0 then
    error(string.format('git %s failed: %s', table.concat(args, ' '), result.stderr))
  end
  return result.stdout
end

--- Parses `git diff -U0` output into hunks: { header, new_start, body = {'+x', '-y'} }.
local function parse_hunks(diff)
  local hunks = {}
  for line in vim.gsplit(diff, '\n', { plain = true }) do
    local new_start = line:match('^@@ %-%d+,?%d* %+(%d+),?%d* @@')
    if new_start then
      table.insert(hunks, { header = line, new_start = tonumber(new_start), body = {} })
    elseif #hunks > 0 and (line:sub(1, 1) == '+' or line:sub(1, 1) == '-') then
      if not line:match('^%+%+%+ ') and not line:match('^%-%-%- ') then
        table.insert(hunks[#hunks].body, line)
      end
    end
  end
  return hunks
end

local function read_file(path)
  local fd = assert(io.open(path, 'rb'))
  local data = fd:read('*a')
  fd:close()
  return data
end

local function check(name, ok, detail)
  if ok then
    n_passed = n_passed + 1
    log('ok   ' .. name)
  else
    n_failed = n_failed + 1
    log('FAIL ' .. name .. (detail and ('\n     ' .. detail) or ''))
  end
  return ok
end

--- Waits for `pred` to return true; returns whether it did before the timeout.
local function wait_for(pred, timeout)
  return vim.wait(timeout or TIMEOUT_MS, function()
    local ok, value = pcall(pred)
    return ok and value
  end, 50)
end

local function nudge_diagnostics(bufnr)
  return vim.tbl_filter(function(d)
    return d.source == 'commit-nudge' and d.code == 'uncommitted-lines'
  end, vim.diagnostic.get(bufnr))
end

local function main()
  require('commit_nudge').setup({
    cmd = { bin, 'lsp' },
    settings = { thresholds = { lines = 5, files = 100, minutes = 1000000 } },
  })

  local disk_before = read_file(file)
  local hunks_before = parse_hunks(git({ 'diff', '-U0' }))
  assert(#hunks_before == 3, 'fixture should have three hunks, has ' .. #hunks_before)

  vim.cmd.edit(vim.fn.fnameescape(file))
  local bufnr = vim.api.nvim_get_current_buf()

  local attached = wait_for(function()
    local client = require('commit_nudge').client(bufnr)
    return client ~= nil and client.initialized
  end)
  if not check('server starts and attaches to the buffer', attached) then
    return
  end
  local client = assert(require('commit_nudge').client(bufnr))
  check(
    'root is the worktree',
    vim.uv.fs_realpath(client.root_dir) == vim.uv.fs_realpath(repo),
    tostring(client.root_dir)
  )

  local got_nudge = wait_for(function()
    return #nudge_diagnostics(bufnr) > 0
  end)
  local all = vim.diagnostic.get(bufnr)
  check(
    'nudge diagnostic (source commit-nudge, code uncommitted-lines) arrives',
    got_nudge,
    'diagnostics: ' .. vim.inspect(all)
  )
  if got_nudge then
    local nudge = nudge_diagnostics(bufnr)[1]
    log('     nudge: line ' .. (nudge.lnum + 1) .. ': ' .. nudge.message)
  end

  local got_status = wait_for(function()
    return require('commit_nudge').statusline(bufnr) ~= ''
  end)
  local segment = require('commit_nudge').statusline(bufnr)
  check(
    'commitNudge/status feeds statusline()',
    got_status and segment:match('^✎ %+%d+ −%d+') ~= nil,
    'statusline: ' .. vim.inspect(segment) .. ' status: ' .. vim.inspect(require('commit_nudge').status)
  )
  log('     statusline: ' .. segment)

  -- :CommitNudgeStatus shows the stored numbers.
  local shown = nil
  local real_notify = vim.notify
  vim.notify = function(msg)
    shown = msg
  end
  vim.cmd('CommitNudgeStatus')
  vim.notify = real_notify
  check(
    ':CommitNudgeStatus shows the totals',
    type(shown) == 'string' and shown:find('total', 1, true) ~= nil and shown:find('+9', 1, true) ~= nil,
    vim.inspect(shown)
  )

  -- Stage the middle hunk from the cursor.
  local middle = hunks_before[2]
  vim.api.nvim_win_set_cursor(0, { middle.new_start + 1, 0 })
  local stage_done, stage_err = false, nil
  require('commit_nudge').stage_hunk({
    on_done = function(err)
      stage_done, stage_err = true, err
    end,
  })
  wait_for(function()
    return stage_done
  end)
  check(':CommitNudgeStageHunk path completes', stage_done and stage_err == nil, vim.inspect(stage_err))

  local staged = parse_hunks(git({ 'diff', '--cached', '-U0' }))
  check(
    'git diff --cached holds exactly the middle hunk',
    #staged == 1 and vim.deep_equal(staged[1].body, middle.body),
    'staged: ' .. vim.inspect(staged) .. '\nexpected body: ' .. vim.inspect(middle.body)
  )
  local unstaged = parse_hunks(git({ 'diff', '-U0' }))
  check(
    'the other two hunks stay unstaged',
    #unstaged == 2
      and vim.deep_equal(unstaged[1].body, hunks_before[1].body)
      and vim.deep_equal(unstaged[2].body, hunks_before[3].body),
    vim.inspect(unstaged)
  )

  -- The user command itself, in the first hunk (exercises the :command wiring).
  vim.api.nvim_win_set_cursor(0, { hunks_before[1].new_start, 0 })
  vim.cmd('CommitNudgeStageHunk')
  local both = wait_for(function()
    return #parse_hunks(git({ 'diff', '--cached', '-U0' })) == 2
  end)
  check(':CommitNudgeStageHunk stages the first hunk', both, git({ 'diff', '--cached', '-U0' }))
  vim.cmd('CommitNudgeUnstageHunk')
  local back = wait_for(function()
    return #parse_hunks(git({ 'diff', '--cached', '-U0' })) == 1
  end)
  check(':CommitNudgeUnstageHunk unstages it again', back, git({ 'diff', '--cached', '-U0' }))

  -- Commit through :CommitNudgeCommit with a stubbed prompt.
  local message = 'Commit the middle hunk from Neovim'
  local prompted = nil
  vim.ui.input = function(opts, on_confirm)
    prompted = opts.prompt
    on_confirm(message)
  end
  vim.cmd('CommitNudgeCommit')
  local committed = wait_for(function()
    return vim.trim(git({ 'log', '-1', '--format=%s' })) == message
  end)
  check('vim.ui.input asked for the message', prompted ~= nil)
  check(
    ':CommitNudgeCommit makes the commit (git log -1)',
    committed,
    git({ 'log', '-3', '--format=%h %s' })
  )
  check('index is clean after the commit', vim.trim(git({ 'diff', '--cached', '--name-only' })) == '')
  check('working tree file unchanged on disk', read_file(file) == disk_before)
  check('buffer not modified', not vim.bo[bufnr].modified)
  local left = parse_hunks(git({ 'diff', 'HEAD', '-U0' }))
  check(
    'the outer hunks are still uncommitted',
    #left == 2
      and vim.deep_equal(left[1].body, hunks_before[1].body)
      and vim.deep_equal(left[2].body, hunks_before[3].body),
    vim.inspect(left)
  )
  local commit_files = vim.trim(git({ 'show', '--format=', '--name-only', 'HEAD' }))
  check('the commit touches only the fixture file', commit_files == vim.fs.basename(file), commit_files)

  -- A commit with nothing staged: the error is reported, not swallowed.
  local err_seen = nil
  require('commit_nudge').commit({
    message = 'nothing to commit',
    on_done = function(err)
      err_seen = err or false
    end,
  })
  wait_for(function()
    return err_seen ~= nil
  end)
  check(
    'committing with nothing staged returns an error',
    type(err_seen) == 'table' and type(err_seen.message) == 'string',
    vim.inspect(err_seen)
  )
  if type(err_seen) == 'table' then
    log('     error: ' .. tostring(err_seen.message))
  end

  -- Split what is left into commits: :CommitNudgeSplit opens the plan document; the user
  -- gives the last hunk a commit of its own and writes; the commits are made.
  local plan_path = repo .. '/.git/COMMIT_PLAN'
  local head_before = vim.trim(git({ 'rev-list', '--count', 'HEAD' }))
  vim.cmd('CommitNudgeSplit')
  local plan_shown = wait_for(function()
    return vim.fs.basename(vim.api.nvim_buf_get_name(0)) == 'COMMIT_PLAN'
  end)
  check(':CommitNudgeSplit opens the plan document', plan_shown, vim.api.nvim_buf_get_name(0))
  if plan_shown then
    local plan_buf = vim.api.nvim_get_current_buf()
    wait_for(function()
      return #vim.lsp.get_clients({ bufnr = plan_buf, name = 'commit_nudge' }) > 0
    end)
    local lines = vim.api.nvim_buf_get_lines(plan_buf, 0, -1, false)
    local hunk_rows = {}
    for i, line in ipairs(lines) do
      if line:match('^%s+%S+ @@ ') then
        table.insert(hunk_rows, i)
      end
    end
    check('the plan lists both remaining hunks', #hunk_rows == 2, table.concat(lines, '\n'))
    -- A new commit line right before the last hunk line: that hunk becomes its own commit.
    local title = 'Add the tail values on their own'
    vim.api.nvim_buf_set_lines(plan_buf, hunk_rows[#hunk_rows] - 1, hunk_rows[#hunk_rows] - 1, false, { 'commit ' .. title })
    local edited = vim.api.nvim_buf_get_lines(plan_buf, 0, -1, false)
    local n_commits, pending = 0, false
    for _, line in ipairs(edited) do
      if line:match('^commit ') then
        pending = true
      elseif pending and line:match('^%s+%S+ @@ ') then
        n_commits, pending = n_commits + 1, false
      end
    end
    vim.cmd('write')
    local made = wait_for(function()
      return vim.trim(git({ 'log', '-1', '--format=%s' })) == title
    end)
    check(
      'writing the plan makes its commits (git log)',
      made and tonumber(vim.trim(git({ 'rev-list', '--count', 'HEAD' }))) == tonumber(head_before) + n_commits,
      git({ 'log', '--format=%h %s' }) .. '\n' .. table.concat(edited, '\n')
    )
    check('nothing is left uncommitted', vim.trim(git({ 'status', '--porcelain' })) == '', git({ 'status', '--porcelain' }))
    check('the file on disk is unchanged by the plan', read_file(file) == disk_before)
    check('the plan document was written where the server reads it', vim.uv.fs_stat(plan_path) ~= nil)
    vim.cmd('buffer ' .. bufnr)

    -- Absorb: a fix of a line the last commit made. The dry run names that commit; the absorb
    -- document lists it; writing it makes one fixup! commit and nothing else moves.
    local fixed_row
    for i, line in ipairs(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)) do
      if line == 'value_55b = 55.5' then
        fixed_row = i
      end
    end
    check('the tail commit made value_55b', fixed_row ~= nil)
    if fixed_row then
      vim.api.nvim_buf_set_lines(bufnr, fixed_row - 1, fixed_row, false, { 'value_55b = 55.55' })
      vim.cmd('write')
      local tip = vim.trim(git({ 'rev-parse', 'HEAD' }))
      local dry = vim.system({ bin, 'absorb', '--dry-run', '--json', repo }, { text = true }):wait()
      local report = dry.code == 0 and vim.json.decode(dry.stdout) or {}
      local hunk = (report.hunks or {})[1]
      check(
        'absorb --dry-run names the last commit as the target',
        hunk ~= nil and hunk.target == tip and #report.hunks == 1,
        dry.stdout .. dry.stderr
      )
      vim.cmd('CommitNudgeAbsorb')
      local absorb_shown = wait_for(function()
        return vim.fs.basename(vim.api.nvim_buf_get_name(0)) == 'COMMIT_ABSORB'
      end)
      check(':CommitNudgeAbsorb opens the absorb document', absorb_shown, vim.api.nvim_buf_get_name(0))
      if absorb_shown then
        local doc_buf = vim.api.nvim_get_current_buf()
        wait_for(function()
          return #vim.lsp.get_clients({ bufnr = doc_buf, name = 'commit_nudge' }) > 0
        end)
        local doc = table.concat(vim.api.nvim_buf_get_lines(doc_buf, 0, -1, false), '\n')
        check('the absorb document folds the fix into that commit', doc:find('\nfixup ' .. tip:sub(1, 7) .. ' ' .. title, 1, true) ~= nil, doc)
        vim.cmd('write')
        local absorbed = wait_for(function()
          return vim.trim(git({ 'log', '-1', '--format=%s' })) == 'fixup! ' .. title
        end)
        check(
          'writing the absorb document makes the fixup! commit on top and nothing else moves (git log)',
          absorbed and vim.trim(git({ 'rev-parse', 'HEAD~1' })) == tip,
          git({ 'log', '--format=%h %s' })
        )
        check('the fix is committed, nothing left', vim.trim(git({ 'status', '--porcelain' })) == '', git({ 'status', '--porcelain' }))
        check('the fix-up holds the fix', git({ 'show', 'HEAD:app.py' }):find('value_55b = 55.55', 1, true) ~= nil)
        vim.cmd('buffer ' .. bufnr)
      end
    end
  end

  -- Code lenses (optional in the contract's sense: reported, not required).
  vim.lsp.codelens.refresh({ bufnr = bufnr })
  vim.wait(1500, function()
    return #vim.lsp.codelens.get(bufnr) > 0
  end, 50)
  local lenses = vim.lsp.codelens.get(bufnr)
  log(string.format('info %d code lens(es) after the commit', #lenses))
  for _, lens in ipairs(lenses) do
    log('     lens: line ' .. (lens.range.start.line + 1) .. ': ' .. (lens.command and lens.command.title or '?'))
  end
end

local ok, err = xpcall(main, debug.traceback)
if not ok then
  n_failed = n_failed + 1
  log('FAIL test script error: ' .. tostring(err))
end
log(string.format('nvim: %d passed, %d failed', n_passed, n_failed))
if n_failed > 0 then
  vim.cmd('cquit 1')
else
  vim.cmd('qall!')
end
