//! The status bar item built from `commitNudge/status` objects.

import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import type { RepoStatus } from '../../src/protocol';
import { StatusBar } from '../../src/statusBar';
import { renderStatus, StatusStore } from '../../src/statusView';
import { stub, ThemeColor } from '../stubs/vscode';

const NOW = 1_764_100_000;

function status(overrides: Partial<RepoStatus> = {}): RepoStatus {
  return {
    root: '/work/repo',
    branch: 'main',
    head: '0123456789abcdef',
    staged: { files: 1, added: 10, removed: 2 },
    unstaged: { files: 2, added: 262, removed: 38 },
    untracked: { files: 1, added: 40, removed: 0 },
    total: { files: 4, added: 312, removed: 40 },
    last_commit_unix: NOW - 75 * 60,
    minutes_since_commit: 144000,
    minutes_of_work: 75,
    nudges: [],
    unsaved_files: 0,
    snoozed_until_unix: null,
    ...overrides,
  };
}

describe('renderStatus', () => {
  it('shows total added/removed and minutes since the last commit', () => {
    const view = renderStatus(status(), NOW);
    assert.equal(view.text, '$(git-commit) +312 \u221240 \u00b7 1 h 15 min');
    assert.equal(view.warning, false);
  });

  it('lists staged, unstaged and untracked numbers in the tooltip', () => {
    const view = renderStatus(status({ unsaved_files: 2 }), NOW);
    assert.match(view.tooltip, /main @ 0123456/);
    assert.match(view.tooltip, /Staged: 1 file, \+10 \u22122/);
    assert.match(view.tooltip, /Unstaged: 2 files, \+262 \u221238/);
    assert.match(view.tooltip, /Untracked: 1 file, \+40/);
    assert.match(view.tooltip, /Unsaved: 2 files/);
    assert.match(view.tooltip, /Uncommitted work: 1 h 15 min old/);
    assert.match(view.tooltip, /Last commit: 100 days ago/);
  });

  it('turns to warning and lists the nudges while there are nudges', () => {
    const view = renderStatus(
      status({
        nudges: [
          { code: 'uncommitted-lines', severity: 'warning', message: '352 uncommitted lines: time to commit' },
          { code: 'uncommitted-age', severity: 'warning', message: 'No commit for 75 minutes' },
        ],
      }),
      NOW,
    );
    assert.equal(view.warning, true);
    assert.match(view.tooltip, /\u2022 352 uncommitted lines: time to commit\n\u2022 No commit for 75 minutes/);
  });

  it('says "snoozed" while snoozed and not after', () => {
    assert.equal(renderStatus(status({ snoozed_until_unix: NOW + 600 }), NOW).text, '$(git-commit) +312 \u221240 \u00b7 1 h 15 min \u00b7 snoozed');
    assert.match(renderStatus(status({ snoozed_until_unix: NOW + 600 }), NOW).tooltip, /snoozed until/);
    assert.doesNotMatch(renderStatus(status({ snoozed_until_unix: NOW - 1 }), NOW).text, /snoozed/);
  });

  it('handles an unborn branch and a clean tree', () => {
    const unborn = renderStatus(status({ head: null, minutes_since_commit: null, last_commit_unix: null, minutes_of_work: null }), NOW);
    assert.equal(unborn.text, '$(git-commit) +312 \u221240');
    assert.match(unborn.tooltip, /no commits yet/);
    const zero = { files: 0, added: 0, removed: 0 };
    const clean = renderStatus(status({ staged: zero, unstaged: zero, untracked: zero, total: zero }), NOW);
    assert.equal(clean.text, '$(git-commit) clean');
  });
});

describe('StatusStore', () => {
  it('keeps the latest status per root and picks the innermost one holding the file', () => {
    const store = new StatusStore();
    store.update(status({ root: '/w/outer' }));
    store.update(status({ root: '/w/outer/vendor/inner', total: { files: 1, added: 1, removed: 0 } }));
    store.update(status({ root: '/w/outer', total: { files: 9, added: 9, removed: 9 } }));
    assert.equal(store.size, 2);
    assert.equal(store.pick('/w/outer/vendor/inner/a.rs')?.root, '/w/outer/vendor/inner');
    assert.equal(store.pick('/w/outer/src/a.rs')?.total.added, 9);
    assert.equal(store.pick('/w/outerish/a.rs')?.root, '/w/outer', 'falls back to the first root');
    assert.equal(store.forFile('/w/outerish/a.rs'), undefined, 'a sibling with a common prefix is not inside');
    assert.equal(store.pick()?.root, '/w/outer');
  });
});

describe('StatusBar', () => {
  beforeEach(() => stub.reset());

  it('is hidden until a status arrives, then shows it with the warning colour and the commit command', () => {
    const store = new StatusStore();
    const bar = new StatusBar(store);
    try {
      bar.refresh();
      const item = stub.statusBarItems[0];
      assert.equal(item.visible, false);
      assert.equal(item.command, 'commitNudge.commitStaged');

      store.update(status({ nudges: [{ code: 'uncommitted-lines', severity: 'warning', message: 'Commit!' }] }));
      bar.refresh();
      assert.equal(item.visible, true);
      assert.equal(item.text, '$(git-commit) +312 \u221240 \u00b7 1 h 15 min');
      assert.deepEqual(item.backgroundColor, new ThemeColor('statusBarItem.warningBackground'));

      store.update(status({ nudges: [] }));
      bar.refresh();
      assert.equal(item.backgroundColor, undefined);
    } finally {
      bar.dispose();
    }
  });

  it('follows the active editor between repositories', () => {
    const store = new StatusStore();
    const bar = new StatusBar(store);
    try {
      store.update(status({ root: '/w/a', total: { files: 1, added: 1, removed: 0 } }));
      store.update(status({ root: '/w/b', total: { files: 2, added: 2, removed: 0 } }));
      stub.openEditor('/w/b/x.rs');
      bar.refresh();
      assert.match(stub.statusBarItems[0].text, /\+2 /);
      stub.openEditor('/w/a/x.rs');
      bar.refresh();
      assert.match(stub.statusBarItems[0].text, /\+1 /);
    } finally {
      bar.dispose();
    }
  });
});
