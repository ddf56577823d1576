// The plan follows the work as it was done, in real VS Code: after drive.mjs has committed
// everything, edit hunks.txt and save (twice), pause, edit app.txt and save (twice), then open
// the plan. The server recorded the saves (.git/commit-nudge/record): the plan has two commits,
// hunks.txt's first, though git's diff lists app.txt first. The plan is then closed unapplied.
// Run by run.sh after drive.mjs, against the same code-server and repository.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { TIMEOUT, checker, launch, until, workbench } from './workbench.mjs';

const URL = process.env.E2E_URL;
const REPO = process.env.E2E_REPO;
const WORK = process.env.E2E_WORK;
const RECORD = path.join(REPO, '.git', 'commit-nudge', 'record');

const git = (...args) => execFileSync('git', ['-C', REPO, ...args], { encoding: 'utf8' });
const log = (msg) => console.error(`[e2e plan-replay] ${msg}`);
const check = checker(log);

/** The times of the record's snapshots (`s <unix ms>` lines). */
function snapshotTimes() {
  if (!existsSync(RECORD)) return [];
  return readFileSync(RECORD, 'utf8').split('\n').filter((l) => l.startsWith('s ')).map((l) => Number(l.slice(2)));
}

const { browser, page } = await launch(log);
const { runCommand, openFile, gotoLine } = workbench(page);

/** Opens `file`, replaces line `line` with `text`, saves, and waits for the record's snapshot. */
async function editAndSave(file, line, text) {
  await openFile(file);
  await gotoLine(line);
  await page.keyboard.press('Home');
  await page.keyboard.press('Shift+End');
  await page.keyboard.type(text, { delay: 5 });
  // The newest snapshot's time, not their number: the first write after a commit (absorb's
  // fix-up, at the end of drive.mjs) drops the snapshots that commit took, so the number of
  // snapshots may stay the same while a new one is written.
  const newest = () => Math.max(0, ...snapshotTimes());
  const before = newest();
  await runCommand('File: Save');
  await until(`the save of ${file} in the record`, () => newest() > before);
}

try {
  check(git('status', '--porcelain').trim() === '', 'the repository starts clean');
  await page.goto(URL);
  await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: TIMEOUT * 2 });
  await until('the explorer', () => page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'hunks.txt' }).count());

  await editAndSave('hunks.txt', 5, 'replayed first a');
  await editAndSave('hunks.txt', 45, 'replayed first b');
  // A pause long against the gaps between the saves so far (measured: a loaded machine spaces
  // them out); the record cuts the work where the pause is over 4 times the usual one.
  const times = snapshotTimes();
  const gap = Math.max(...times.slice(1).map((t, i) => t - times[i]));
  await new Promise((r) => setTimeout(r, 1500 + 10 * gap));
  await editAndSave('app.txt', 3, 'replayed second a');
  await editAndSave('app.txt', 8, 'replayed second b');

  await runCommand('Commit Nudge: Split into Commits…');
  await page.locator('.tab.active', { hasText: 'COMMIT_PLAN' }).waitFor();
  const planPath = path.join(REPO, '.git', 'COMMIT_PLAN');
  const plan = readFileSync(planPath, 'utf8');
  const commits = [];
  for (const line of plan.split('\n')) {
    if (line.startsWith('commit ')) commits.push([]);
    const hunk = /^\s+(\S+) @@ /.exec(line);
    if (hunk && commits.length && !commits[commits.length - 1].includes(hunk[1])) commits[commits.length - 1].push(hunk[1]);
  }
  log(`planned: ${JSON.stringify(commits)}`);
  check(JSON.stringify(commits) === JSON.stringify([['hunks.txt'], ['app.txt']]), 'two commits in the order of the work: hunks.txt, then app.txt');
  // Closed unapplied: nothing is committed.
  await runCommand('View: Close Editor');
  check(git('status', '--porcelain').trim() === 'M app.txt\n M hunks.txt'.trim(), 'the work is left uncommitted');
  log('all checks passed');
} catch (error) {
  console.error(`[e2e plan-replay] FAILED: ${error.message}`);
  await page.screenshot({ path: path.join(WORK, 'plan-replay-failure.png') }).catch(() => {});
  await browser.close();
  process.exit(1);
}
await browser.close();
