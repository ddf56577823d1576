//! Settings → the server's settings object (initializationOptions and `settings.commitNudge`).

import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import * as vscode from 'vscode';
import { DEFAULT_SETTINGS, serverSettings } from '../../src/settings';
import { stub } from '../stubs/vscode';

describe('serverSettings', () => {
  beforeEach(() => stub.reset());

  it('gives the documented defaults when nothing is set', () => {
    const settings = serverSettings(vscode.workspace.getConfiguration('commitNudge'));
    assert.deepEqual(settings, {
      thresholds: { lines: 200, files: 15, minutes: 60 },
      countUntracked: true,
      countUnsaved: true,
      exclude: ['**/*.lock', '**/package-lock.json'],
      severity: 'information',
      codeLens: true,
      askOnWarning: true,
      snoozeMinutes: 30,
      maxFileBytes: 52428800,
      recordWork: true,
    });
  });

  it('maps the flat commitNudge.* settings to the nested shape of docs/architecture.md', () => {
    stub.config.set('commitNudge.thresholds.lines', 50);
    stub.config.set('commitNudge.thresholds.files', 3);
    stub.config.set('commitNudge.thresholds.minutes', 5);
    stub.config.set('commitNudge.countUntracked', false);
    stub.config.set('commitNudge.countUnsaved', false);
    stub.config.set('commitNudge.exclude', ['dist/**']);
    stub.config.set('commitNudge.severity', 'warning');
    stub.config.set('commitNudge.codeLens', false);
    stub.config.set('commitNudge.askOnWarning', false);
    stub.config.set('commitNudge.snoozeMinutes', 10);
    stub.config.set('commitNudge.maxFileBytes', 0);
    stub.config.set('commitNudge.recordWork', false);
    stub.config.set('commitNudge.serverPath', '/bin/commit-nudge');
    const settings = serverSettings(vscode.workspace.getConfiguration('commitNudge'));
    assert.deepEqual(settings, {
      thresholds: { lines: 50, files: 3, minutes: 5 },
      countUntracked: false,
      countUnsaved: false,
      exclude: ['dist/**'],
      severity: 'warning',
      codeLens: false,
      askOnWarning: false,
      snoozeMinutes: 10,
      maxFileBytes: 0,
      recordWork: false,
    });
    assert.equal('serverPath' in settings, false, 'the client-only setting is not sent');
  });

  it('sends "auto" for the line threshold as written', () => {
    stub.config.set('commitNudge.thresholds.lines', 'auto');
    const settings = serverSettings(vscode.workspace.getConfiguration('commitNudge'));
    assert.equal(settings.thresholds.lines, 'auto');
  });

  it('passes a value of the wrong type through for the server to report', () => {
    stub.config.set('commitNudge.thresholds.lines', 'lots');
    const settings = serverSettings(vscode.workspace.getConfiguration('commitNudge'));
    assert.equal(settings.thresholds.lines as unknown, 'lots');
  });

  it('does not share the default exclude array between calls', () => {
    const a = serverSettings(vscode.workspace.getConfiguration('commitNudge'));
    a.exclude.push('x');
    assert.deepEqual(DEFAULT_SETTINGS.exclude, ['**/*.lock', '**/package-lock.json']);
  });
});
