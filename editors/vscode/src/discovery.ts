//! Finds the `commit-nudge` binary: the `commitNudge.serverPath` setting, then `PATH`, then
//! Cargo's bin folder (`cargo install` puts it there, but an editor started from a desktop
//! launcher often lacks it on `PATH`), then the copy bundled in the extension's `server/` folder
//! (the platform-specific `.vsix` carries one).

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export const BINARY_NAME = process.platform === 'win32' ? 'commit-nudge.exe' : 'commit-nudge';

/** Everything discovery looks at, passed in so that tests need no real file system. */
export interface DiscoveryInput {
  /** The `commitNudge.serverPath` setting, if set. */
  configuredPath?: string | null;
  /** The `PATH` environment variable. */
  pathEnv?: string;
  /** The extension's install folder. */
  extensionPath: string;
  /** Whether a file exists and is executable. */
  isExecutable?: (file: string) => boolean;
  /** The home folder, for expanding a leading `~` in the setting and finding `~/.cargo/bin`. */
  homeDir?: string;
  /** The `CARGO_HOME` environment variable (default `~/.cargo`). */
  cargoHome?: string;
}

export type Discovered =
  | { kind: 'found'; path: string; source: 'setting' | 'path' | 'cargo' | 'bundled' }
  | { kind: 'missing'; message: string };

export function isExecutableFile(file: string): boolean {
  try {
    if (!fs.statSync(file).isFile()) return false;
    if (process.platform === 'win32') return true;
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Resolves the server binary in the documented order. */
export function discoverServer(input: DiscoveryInput): Discovered {
  const isExecutable = input.isExecutable ?? isExecutableFile;
  const configured = input.configuredPath?.trim();
  const home = input.homeDir ?? os.homedir();
  if (configured) {
    const expanded = configured === '~' || configured.startsWith('~/')
      ? path.join(home, configured.slice(1))
      : configured;
    if (isExecutable(expanded)) return { kind: 'found', path: expanded, source: 'setting' };
    // A setting that names a missing file is an error, not a reason to quietly use another binary.
    return {
      kind: 'missing',
      message: `commitNudge.serverPath is set to "${configured}", which is not an executable file.`,
    };
  }
  for (const dir of (input.pathEnv ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, BINARY_NAME);
    if (isExecutable(candidate)) return { kind: 'found', path: candidate, source: 'path' };
  }
  const cargoBin = path.join(input.cargoHome || path.join(home, '.cargo'), 'bin', BINARY_NAME);
  if (isExecutable(cargoBin)) return { kind: 'found', path: cargoBin, source: 'cargo' };
  const bundled = path.join(input.extensionPath, 'server', BINARY_NAME);
  if (isExecutable(bundled)) return { kind: 'found', path: bundled, source: 'bundled' };
  return {
    kind: 'missing',
    message:
      `Could not find the commit-nudge server: not on PATH, not in ${path.dirname(cargoBin)}, and this ` +
      'extension carries none (it is the platform-neutral build). Install the .vsix for your platform ' +
      '(commit-nudge-<platform>.vsix), or run `cargo install --locked --path .` in the commit-nudge ' +
      'repository, or set commitNudge.serverPath to the binary.',
  };
}

/** How the output channel names where the binary came from. */
export function describeSource(source: 'setting' | 'path' | 'cargo' | 'bundled'): string {
  switch (source) {
    case 'setting':
      return 'the commitNudge.serverPath setting';
    case 'path':
      return 'PATH';
    case 'cargo':
      return "Cargo's bin folder";
    case 'bundled':
      return 'the server bundled with this extension';
  }
}

/**
 * How to start the server: `commit-nudge lsp`, speaking LSP on stdin/stdout. No `transport` is
 * set on purpose: with `TransportKind.stdio` vscode-languageclient appends `--stdio`, which the
 * server's command line rejects.
 */
export function serverExecutable(binary: string): { command: string; args: string[]; options: { env: NodeJS.ProcessEnv } } {
  return { command: binary, args: ['lsp'], options: { env: { ...process.env } } };
}
