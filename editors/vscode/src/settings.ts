//! Reads the `commitNudge.*` settings and shapes them as the server's settings object.

import type { ServerSettings } from './protocol';

/** The part of `vscode.WorkspaceConfiguration` this module reads (so tests can pass a map). */
export interface ConfigReader {
  get<T>(key: string): T | undefined;
}

export const DEFAULT_SETTINGS: ServerSettings = {
  thresholds: { lines: 200, files: 15, minutes: 60 },
  countUntracked: true,
  countUnsaved: true,
  exclude: ['**/*.lock', '**/package-lock.json'],
  severity: 'information',
  codeLens: true,
  askOnWarning: true,
  snoozeMinutes: 30,
};

/**
 * Builds the object passed as `initializationOptions` and as `settings.commitNudge`.
 *
 * Values are passed through as the user wrote them, even of the wrong type: the server owns
 * validation and answers a bad value with a clear message and its default. Only a missing
 * value is filled with the documented default.
 */
export function serverSettings(config: ConfigReader): ServerSettings {
  const pick = <T>(key: string, fallback: T): T => {
    const value = config.get<T>(key);
    return value === undefined || value === null ? fallback : value;
  };
  const d = DEFAULT_SETTINGS;
  return {
    thresholds: {
      lines: pick('thresholds.lines', d.thresholds.lines),
      files: pick('thresholds.files', d.thresholds.files),
      minutes: pick('thresholds.minutes', d.thresholds.minutes),
    },
    countUntracked: pick('countUntracked', d.countUntracked),
    countUnsaved: pick('countUnsaved', d.countUnsaved),
    exclude: pick('exclude', [...d.exclude]),
    severity: pick('severity', d.severity),
    codeLens: pick('codeLens', d.codeLens),
    askOnWarning: pick('askOnWarning', d.askOnWarning),
    snoozeMinutes: pick('snoozeMinutes', d.snoozeMinutes),
  };
}
