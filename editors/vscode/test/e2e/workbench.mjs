// What the e2e drivers (drive.mjs, plan_replay.mjs) share: the browser, polling, checks, and the
// VS Code workbench's command palette and quick open, so that both drive code-server the same way.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { chromium } = require(process.env.PW_DIR);

export const TIMEOUT = Number(process.env.E2E_TIMEOUT_MS || 90_000);

/** Polls `fn` until it returns a truthy value (no fixed sleeps); gives that value. */
export async function until(what, fn, timeout = TIMEOUT, interval = 100) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeout} ms waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}

/** A `check(cond, what)` that throws on failure and logs each success with `log`. */
export function checker(log) {
  return (cond, what) => {
    if (!cond) throw new Error(`check failed: ${what}`);
    log(`ok - ${what}`);
  };
}

/** Headless Chromium and one page, its default timeout set. */
export async function launch(log) {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(TIMEOUT);
  page.on('pageerror', (e) => log(`page error: ${e.message}`));
  return { browser, page };
}

/** The workbench's quick input on `page`: the palette, quick open, go to line, and saving. */
export function workbench(page) {
  /** Opens the quick input (F1) with `prefix` as its text ('>' commands, '' files, ':' lines). */
  async function palette(prefix) {
    const widget = page.locator('.quick-input-widget');
    const input = widget.locator('.quick-input-box input');
    // Start from a closed widget: one still closing from the last command would eat the keys.
    if (await widget.isVisible().catch(() => false)) await page.keyboard.press('Escape');
    await widget.waitFor({ state: 'hidden' });
    await page.keyboard.press('F1');
    await input.waitFor({ state: 'visible' });
    await input.fill(prefix);
    return input;
  }

  /** Runs a command from the palette by its exact label. */
  async function runCommand(label) {
    const input = await palette('>');
    await input.pressSequentially(label.replace(/…$/, ''), { delay: 5 });
    const rows = page.locator('.quick-input-list .monaco-list-row');
    const row = await until(`"${label}" in the command palette`, async () => {
      for (let i = 0; i < (await rows.count()); i++) {
        if ((await rows.nth(i).locator('.label-name').innerText()).trim() === label) return rows.nth(i);
      }
      return null;
    });
    await row.click();
  }

  /** Opens `file` with quick open and waits for its tab. */
  async function openFile(file) {
    const quick = await palette('');
    await quick.pressSequentially(file, { delay: 5 });
    await until(`${file} in quick open`, () => page.locator('.quick-input-list .monaco-list-row', { hasText: file }).count());
    await page.keyboard.press('Enter');
    await page.locator('.tab.active', { hasText: file }).waitFor();
    await page.locator('.monaco-editor .view-lines').first().waitFor();
  }

  /** Puts the cursor on `line` of the active editor (Go to Line) and waits for the status bar. */
  async function gotoLine(line) {
    await page.locator('.monaco-editor .view-lines').first().click();
    const goto = await palette(':');
    await goto.pressSequentially(String(line), { delay: 5 });
    await page.keyboard.press('Enter');
    await until(`the cursor on line ${line}`, async () => new RegExp(`Ln ${line},`).test(await page.locator('.statusbar').innerText()));
  }

  return { palette, runCommand, openFile, gotoLine };
}
