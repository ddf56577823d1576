//! Binary discovery: the setting, then PATH, then the bundled copy.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { BINARY_NAME, discoverServer, isExecutableFile, serverExecutable } from '../../src/discovery';

const ext = '/ext';
const bundled = path.join(ext, 'server', BINARY_NAME);

function only(...files: string[]) {
  return (file: string) => files.includes(file);
}

describe('discoverServer', () => {
  it('uses commitNudge.serverPath before PATH and the bundled copy', () => {
    const found = discoverServer({
      configuredPath: '/opt/cn/commit-nudge',
      pathEnv: '/usr/bin',
      extensionPath: ext,
      isExecutable: only('/opt/cn/commit-nudge', `/usr/bin/${BINARY_NAME}`, bundled),
    });
    assert.deepEqual(found, { kind: 'found', path: '/opt/cn/commit-nudge', source: 'setting' });
  });

  it('expands a leading ~ in the setting', () => {
    const found = discoverServer({
      configuredPath: '~/bin/commit-nudge',
      extensionPath: ext,
      homeDir: '/home/me',
      isExecutable: only('/home/me/bin/commit-nudge'),
    });
    assert.deepEqual(found, { kind: 'found', path: '/home/me/bin/commit-nudge', source: 'setting' });
  });

  it('reports a setting that names no executable instead of falling back', () => {
    const found = discoverServer({
      configuredPath: '/nope/commit-nudge',
      pathEnv: '/usr/bin',
      extensionPath: ext,
      isExecutable: only(`/usr/bin/${BINARY_NAME}`),
    });
    assert.equal(found.kind, 'missing');
    assert.match((found as { message: string }).message, /commitNudge\.serverPath.*\/nope\/commit-nudge/);
  });

  it('searches PATH in order when the setting is empty', () => {
    const found = discoverServer({
      configuredPath: '  ',
      pathEnv: ['/a', '', '/b', '/c'].join(path.delimiter),
      extensionPath: ext,
      isExecutable: only(`/b/${BINARY_NAME}`, `/c/${BINARY_NAME}`, bundled),
    });
    assert.deepEqual(found, { kind: 'found', path: `/b/${BINARY_NAME}`, source: 'path' });
  });

  it('falls back to the copy bundled in <extension>/server/', () => {
    const found = discoverServer({ configuredPath: null, pathEnv: '/a:/b', extensionPath: ext, homeDir: '/home/me', isExecutable: only(bundled) });
    assert.deepEqual(found, { kind: 'found', path: bundled, source: 'bundled' });
  });

  it('looks in ~/.cargo/bin (or $CARGO_HOME/bin) after PATH and before the bundled copy', () => {
    const cargo = `/home/me/.cargo/bin/${BINARY_NAME}`;
    const fromHome = discoverServer({ pathEnv: '/a', extensionPath: ext, homeDir: '/home/me', isExecutable: only(cargo, bundled) });
    assert.deepEqual(fromHome, { kind: 'found', path: cargo, source: 'cargo' });
    const custom = `/opt/cargo/bin/${BINARY_NAME}`;
    const fromCargoHome = discoverServer({
      pathEnv: '/a',
      extensionPath: ext,
      homeDir: '/home/me',
      cargoHome: '/opt/cargo',
      isExecutable: only(cargo, custom, bundled),
    });
    assert.deepEqual(fromCargoHome, { kind: 'found', path: custom, source: 'cargo' });
    const onPath = discoverServer({ pathEnv: '/a', extensionPath: ext, homeDir: '/home/me', isExecutable: only(`/a/${BINARY_NAME}`, cargo) });
    assert.equal(onPath.kind === 'found' && onPath.source, 'path');
  });

  it('says what to do when nothing is found: the platform .vsix, cargo install, or the setting', () => {
    const found = discoverServer({ pathEnv: '/a', extensionPath: ext, homeDir: '/home/me', isExecutable: () => false });
    assert.equal(found.kind, 'missing');
    const message = (found as { message: string }).message;
    assert.match(message, /\.vsix for your platform/);
    assert.match(message, /cargo install --locked --path \./);
    assert.match(message, /serverPath/);
    assert.match(message, /\/home\/me\/\.cargo\/bin/);
  });

  it('checks the real file system by default: executables only', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cn-discovery-'));
    try {
      const exe = path.join(dir, BINARY_NAME);
      fs.writeFileSync(exe, '#!/bin/sh\n');
      fs.chmodSync(exe, 0o644);
      assert.equal(isExecutableFile(exe), false);
      assert.equal(discoverServer({ pathEnv: dir, extensionPath: ext, homeDir: dir }).kind, 'missing');
      fs.chmodSync(exe, 0o755);
      assert.equal(isExecutableFile(exe), true);
      assert.equal(isExecutableFile(dir), false);
      assert.deepEqual(discoverServer({ pathEnv: dir, extensionPath: ext, homeDir: dir }), { kind: 'found', path: exe, source: 'path' });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('serverExecutable', () => {
  it('starts `<binary> lsp` over stdio with no extra arguments', () => {
    const exe = serverExecutable('/opt/commit-nudge');
    assert.equal(exe.command, '/opt/commit-nudge');
    assert.deepEqual(exe.args, ['lsp']);
    assert.equal('transport' in exe, false, 'a transport would make vscode-languageclient append --stdio');
  });
});
