//! Turns `commitNudge/status` objects into what the status bar item shows.

import * as path from 'path';
import type { DiffCounts, RepoStatus } from './protocol';

/** What the status bar item shows for one repository; `warning` selects the warning colours. */
export interface StatusBarView {
  text: string;
  tooltip: string;
  warning: boolean;
}

const MINUS = '\u2212';

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function countsLine(label: string, counts: DiffCounts | undefined, withRemoved = true): string {
  const c = counts ?? { files: 0, added: 0, removed: 0 };
  const lines = withRemoved ? `+${c.added} ${MINUS}${c.removed}` : `+${c.added}`;
  return `${label}: ${plural(c.files, 'file')}, ${lines}`;
}

export function isSnoozed(status: RepoStatus, nowUnix: number): boolean {
  const until = status.snoozed_until_unix;
  return typeof until === 'number' && until > nowUnix;
}

/**
 * A duration as every commit-nudge output writes it (the CLI's `duration_phrase`): "45 min",
 * "2 h", "2 h 5 min" below two days, then whole days ("100 days").
 */
export function durationPhrase(minutes: number): string {
  const day = 24 * 60;
  if (minutes >= 2 * day) return `${Math.floor(minutes / day)} days`;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  if (h === 0) return `${m} min`;
  return m === 0 ? `${h} h` : `${h} h ${m} min`;
}

function clockTime(unix: number): string {
  const d = new Date(unix * 1000);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

/** Renders one repository's status; `nowUnix` is the current time in seconds. */
export function renderStatus(status: RepoStatus, nowUnix: number): StatusBarView {
  const total = status.total ?? { files: 0, added: 0, removed: 0 };
  const parts: string[] = [];
  if (total.files === 0 && total.added === 0 && total.removed === 0) {
    parts.push('$(git-commit) clean');
  } else {
    parts.push(`$(git-commit) +${total.added} ${MINUS}${total.removed}`);
    // The age of the uncommitted work (what the age nudge measures), as the shell prompt shows it.
    if (typeof status.minutes_of_work === 'number') parts.push(durationPhrase(status.minutes_of_work));
  }
  const snoozed = isSnoozed(status, nowUnix);
  if (snoozed) parts.push('snoozed');

  const nudges = status.nudges ?? [];
  const head = status.head ? ` @ ${status.head.slice(0, 7)}` : status.head === null ? ' (no commits yet)' : '';
  const tooltip: string[] = [
    `Commit Nudge: ${status.branch ?? 'detached HEAD'}${head}`,
    status.root,
    '',
    countsLine('Staged', status.staged),
    countsLine('Unstaged', status.unstaged),
    countsLine('Untracked', status.untracked, false),
    countsLine('Total', status.total),
  ];
  if (status.unsaved_files) tooltip.push(`Unsaved: ${plural(status.unsaved_files, 'file')} counted from the editor`);
  if (typeof status.minutes_of_work === 'number' && total.files > 0) {
    tooltip.push(`Uncommitted work: ${durationPhrase(status.minutes_of_work)} old`);
  }
  if (typeof status.minutes_since_commit === 'number') {
    tooltip.push(`Last commit: ${durationPhrase(status.minutes_since_commit)} ago`);
  }
  if (snoozed) tooltip.push(`Nudges snoozed until ${clockTime(status.snoozed_until_unix as number)}`);
  if (nudges.length) {
    tooltip.push('');
    for (const nudge of nudges) tooltip.push(`\u2022 ${nudge.message}`);
  }
  tooltip.push('', 'Click to commit the staged hunks.');
  return { text: parts.join(' \u00b7 '), tooltip: tooltip.join('\n'), warning: nudges.length > 0 };
}

function isInside(file: string, root: string): boolean {
  const rel = path.relative(root, file);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** The latest status of each repository root, as the server announced them. */
export class StatusStore {
  private readonly byRoot = new Map<string, RepoStatus>();

  update(status: RepoStatus): void {
    if (!status || typeof status.root !== 'string') return;
    this.byRoot.set(status.root, status);
  }

  clear(): void {
    this.byRoot.clear();
  }

  get size(): number {
    return this.byRoot.size;
  }

  all(): RepoStatus[] {
    return [...this.byRoot.values()];
  }

  /** The status of the innermost repository holding `filePath`, or the first one known. */
  pick(filePath?: string): RepoStatus | undefined {
    if (filePath) {
      const match = this.forFile(filePath);
      if (match) return match;
    }
    return this.byRoot.values().next().value;
  }

  /** The status of the innermost repository holding `filePath`, if any. */
  forFile(filePath: string): RepoStatus | undefined {
    let best: RepoStatus | undefined;
    for (const status of this.byRoot.values()) {
      if (isInside(filePath, status.root) && (!best || status.root.length > best.root.length)) best = status;
    }
    return best;
  }
}
