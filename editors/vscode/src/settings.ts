//! Reads the `commitNudge.*` settings and shapes them as the server's settings object.
//!
//! The settings and their defaults are those `package.json` declares (checked against the server's
//! own table by `tests/it/settings_everywhere.rs`), so every declared setting is sent, and a new one
//! needs no code here.

import manifest from '../package.json';
import type { ServerSettings } from './protocol';

/** The part of `vscode.WorkspaceConfiguration` this module reads (so tests can pass a map). */
export interface ConfigReader {
  get<T>(key: string): T | undefined;
}

/** Settings that configure the extension itself and are not sent to the server. */
export const CLIENT_ONLY_SETTINGS = ['serverPath'];

interface DeclaredSetting {
  default?: unknown;
}

/** The `commitNudge.*` keys (without the prefix) that go to the server, with their defaults. */
export function declaredSettings(): Array<[string, unknown]> {
  const properties = manifest.contributes.configuration.properties as Record<string, DeclaredSetting>;
  return Object.entries(properties)
    .filter(([key]) => key.startsWith('commitNudge.'))
    .map(([key, spec]): [string, unknown] => [key.slice('commitNudge.'.length), spec.default])
    .filter(([key]) => !CLIENT_ONLY_SETTINGS.includes(key));
}

function setPath(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const parts = dotted.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    if (typeof node[part] !== 'object' || node[part] === null) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1]] = value;
}

function copy<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

/** The documented defaults, shaped as the server's settings object. */
export const DEFAULT_SETTINGS: ServerSettings = (() => {
  const settings: Record<string, unknown> = {};
  for (const [key, fallback] of declaredSettings()) setPath(settings, key, copy(fallback));
  return settings as unknown as ServerSettings;
})();

/**
 * Builds the object passed as `initializationOptions` and as `settings.commitNudge`.
 *
 * Values are passed through as the user wrote them, even of the wrong type: the server owns
 * validation and answers a bad value with a clear message and its default. Only a missing
 * value is filled with the documented default.
 */
export function serverSettings(config: ConfigReader): ServerSettings {
  const settings: Record<string, unknown> = {};
  for (const [key, fallback] of declaredSettings()) {
    const value = config.get<unknown>(key);
    setPath(settings, key, value === undefined || value === null ? copy(fallback) : value);
  }
  return settings as unknown as ServerSettings;
}
