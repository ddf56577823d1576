//! The wire types of the commit-nudge contract (see docs/architecture.md) that this extension relies on.

/** Line counts of one part of the diff, as `git diff --numstat` counts them. */
export interface DiffCounts {
  files: number;
  added: number;
  removed: number;
}

/** One nudge, as carried in the status object. */
export interface NudgeInfo {
  code: string;
  severity: 'hint' | 'information' | 'warning' | 'error' | string;
  message: string;
}

/** The params of `commitNudge/status` and the output of `commit-nudge status --json`. */
export interface RepoStatus {
  root: string;
  branch?: string | null;
  head?: string | null;
  staged: DiffCounts;
  unstaged: DiffCounts;
  untracked: DiffCounts;
  total: DiffCounts;
  last_commit_unix?: number | null;
  minutes_since_commit?: number | null;
  work_started_unix?: number | null;
  minutes_of_work?: number | null;
  nudges: NudgeInfo[];
  unsaved_files?: number;
  snoozed_until_unix?: number | null;
}

/** The settings object the server takes as `initializationOptions` and under `commitNudge`. */
export interface ServerSettings {
  thresholds: { lines: number | 'auto'; files: number; minutes: number };
  countUntracked: boolean;
  countUnsaved: boolean;
  exclude: string[];
  severity: 'hint' | 'information' | 'warning' | 'error';
  codeLens: boolean;
  askOnWarning: boolean;
  snoozeMinutes: number;
  maxFileBytes: number;
  recordWork: boolean;
}

/** The argument object of `commit-nudge.commitStaged`. */
export interface CommitStagedArgs {
  root: string;
  message: string;
}

/** The result of `commit-nudge.commitStaged`. */
export interface CommitStagedResult {
  commit: string;
  summary: string;
}

/** The result of `commit-nudge.openPlan`: the plan document the server opened, and its size. */
export interface OpenPlanResult {
  document: string;
  commits: number;
}

export const SERVER_COMMAND_OPEN_PLAN = 'commit-nudge.openPlan';

/** The result of `commit-nudge.openAbsorb`: the absorb document the server opened, and its size. */
export interface OpenAbsorbResult {
  document: string;
  hunks: number;
  commits: number;
}

export const SERVER_COMMAND_OPEN_ABSORB = 'commit-nudge.openAbsorb';
export const STATUS_NOTIFICATION = 'commitNudge/status';
export const SERVER_COMMAND_COMMIT_STAGED = 'commit-nudge.commitStaged';
export const CONFIG_SECTION = 'commitNudge';
