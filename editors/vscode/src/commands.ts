//! The client-side commands: commit the staged hunks, stage or unstage the hunk at the cursor.

import * as vscode from 'vscode';
import {
  CommitStagedArgs,
  CommitStagedResult,
  OpenAbsorbResult,
  OpenPlanResult,
  RepoStatus,
  SERVER_COMMAND_COMMIT_STAGED,
  SERVER_COMMAND_OPEN_ABSORB,
  SERVER_COMMAND_OPEN_PLAN,
} from './protocol';
import { StatusStore } from './statusView';

/** The part of the language client the commands use (so tests can pass a fake). */
export interface RequestSender {
  sendRequest<R>(method: string, params: unknown): Promise<R>;
}

/** A command as it travels in LSP: in a code action, or on its own. */
interface LspCommand {
  title: string;
  command: string;
  arguments?: unknown[];
}

interface LspCodeAction {
  title: string;
  command?: LspCommand;
  edit?: unknown;
  data?: unknown;
  disabled?: { reason: string };
}

export const UNTRUSTED_COMMIT_MESSAGE =
  'Commit Nudge will not commit in an untrusted workspace: a commit runs the repository\'s git hooks. ' +
  'Trust the workspace to commit from here.';

/** Turns an error from a request into the words to show: the server's (and git's) message. */
/** Whether the server has already shown this error to the user (`data.shown`, see docs/architecture.md). */
export function alreadyShown(error: unknown): boolean {
  const data = error && typeof error === 'object' ? (error as { data?: unknown }).data : undefined;
  return !!data && typeof data === 'object' && (data as { shown?: unknown }).shown === true;
}

export function errorText(error: unknown): string {
  if (error && typeof error === 'object' && 'message' in error) {
    const message = String((error as { message: unknown }).message).trim();
    if (message) return message;
  }
  return String(error);
}

/** The `workspace/executeCommand` params that commit the index of the repository at `rootPath`. */
export function commitStagedParams(rootPath: string, message: string): {
  command: string;
  arguments: [CommitStagedArgs];
} {
  return {
    command: SERVER_COMMAND_COMMIT_STAGED,
    arguments: [{ root: vscode.Uri.file(rootPath).toString(), message }],
  };
}

function activeFilePath(): string | undefined {
  const uri = vscode.window.activeTextEditor?.document.uri;
  return uri && uri.scheme === 'file' ? uri.fsPath : undefined;
}

/** Which repository to commit in: the active file's, the only one known, or the user's pick. */
export async function chooseRepository(store: StatusStore): Promise<string | undefined> {
  const file = activeFilePath();
  const forFile = file ? store.forFile(file) : undefined;
  if (forFile) return forFile.root;
  const known: RepoStatus[] = store.all();
  if (known.length === 1) return known[0].root;
  if (known.length > 1) {
    const picked = await vscode.window.showQuickPick(
      known.map((s) => ({ label: s.root, description: `${s.staged.files} staged` })),
      { placeHolder: 'Commit the staged hunks of which repository?' },
    );
    return picked?.label;
  }
  // No status received yet: let the server find the repository of a workspace folder.
  const folder = (file && vscode.workspace.getWorkspaceFolder(vscode.Uri.file(file))) ||
    vscode.workspace.workspaceFolders?.[0];
  return folder?.uri.fsPath;
}

/**
 * The worktree a committing command acts on, or `undefined` after saying why there is none: the
 * workspace is not trusted (committing runs hooks), the server is not running, or no repository
 * is found.
 */
async function committingRoot(client: RequestSender | undefined, store: StatusStore): Promise<string | undefined> {
  if (!vscode.workspace.isTrusted) {
    await vscode.window.showWarningMessage(UNTRUSTED_COMMIT_MESSAGE);
    return undefined;
  }
  if (!client) {
    await vscode.window.showErrorMessage('Commit Nudge: the language server is not running.');
    return undefined;
  }
  const root = await chooseRepository(store);
  if (!root) {
    await vscode.window.showErrorMessage('Commit Nudge: no git repository found in this workspace.');
  }
  return root;
}

/** `commitNudge.commitStaged`: asks for a message and has the server run `git commit`. */
export async function commitStaged(client: RequestSender | undefined, store: StatusStore): Promise<CommitStagedResult | undefined> {
  const root = await committingRoot(client, store);
  if (!client || !root) return undefined;
  const staged = store.forFile(root)?.staged;
  const message = await vscode.window.showInputBox({
    title: 'Commit Staged Hunks',
    prompt: staged
      ? `Commit message for ${staged.files} staged file${staged.files === 1 ? '' : 's'} (+${staged.added} \u2212${staged.removed})`
      : 'Commit message',
    placeHolder: 'What does this change do?',
    ignoreFocusOut: true,
    validateInput: (value) => (value.trim() ? undefined : 'The commit message is empty.'),
  });
  if (message === undefined || !message.trim()) return undefined;
  try {
    const result = await client.sendRequest<CommitStagedResult | null>(
      'workspace/executeCommand',
      commitStagedParams(root, message),
    );
    const summary = result?.summary || (result?.commit ? `Committed ${result.commit.slice(0, 7)}` : 'Committed.');
    void vscode.window.showInformationMessage(summary);
    return result ?? undefined;
  } catch (error) {
    if (!alreadyShown(error)) void vscode.window.showErrorMessage(`Commit failed: ${errorText(error)}`);
    return undefined;
  }
}

/**
 * `commitNudge.splitIntoCommits`: the server plans the uncommitted work and opens the plan
 * document (`.git/COMMIT_PLAN`) with window/showDocument; saving it makes the commits, closing
 * it unsaved cancels.
 */
export async function splitIntoCommits(client: RequestSender | undefined, store: StatusStore): Promise<OpenPlanResult | undefined> {
  return openServerDocument<OpenPlanResult>(client, store, SERVER_COMMAND_OPEN_PLAN, (result) =>
    `Commit Nudge: ${result.commits} commit${result.commits === 1 ? '' : 's'} planned; edit, then save to make them (close to cancel)`,
  );
}

/**
 * `commitNudge.absorb`: the server works out which earlier commit each uncommitted hunk fixes
 * and opens the absorb document (`.git/COMMIT_ABSORB`, one `fixup <sha> <subject>` block per
 * target); saving it makes the `fixup!` commits, closing it unsaved cancels.
 */
export async function absorb(client: RequestSender | undefined, store: StatusStore): Promise<OpenAbsorbResult | undefined> {
  return openServerDocument<OpenAbsorbResult>(client, store, SERVER_COMMAND_OPEN_ABSORB, (result) =>
    `Commit Nudge: ${result.hunks} hunk${result.hunks === 1 ? '' : 's'} into ${result.commits} commit${result.commits === 1 ? '' : 's'}; edit, then save to make the fix-ups (close to cancel)`,
  );
}

/** Asks the server to write and show a document for the active repository (a plan, an absorb). */
async function openServerDocument<R>(
  client: RequestSender | undefined,
  store: StatusStore,
  command: string,
  describe: (result: R) => string,
): Promise<R | undefined> {
  const root = await committingRoot(client, store);
  if (!client || !root) return undefined;
  try {
    const result = await client.sendRequest<R | null>('workspace/executeCommand', {
      command,
      arguments: [{ root: vscode.Uri.file(root).toString() }],
    });
    if (result) vscode.window.setStatusBarMessage(describe(result), 10000);
    return result ?? undefined;
  } catch (error) {
    if (!alreadyShown(error)) void vscode.window.showErrorMessage(`Commit Nudge: ${errorText(error)}`);
    return undefined;
  }
}

function isCommand(item: unknown): item is LspCommand {
  return !!item && typeof (item as LspCommand).command === 'string';
}

/**
 * `commitNudge.stageHunk` / `commitNudge.unstageHunk`: asks the server for code actions at the
 * cursor and runs the one whose title begins with `titlePrefix` (`Stage hunk`, `Unstage hunk`).
 */
export async function runHunkAction(
  client: RequestSender | undefined,
  titlePrefix: string,
): Promise<boolean> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    void vscode.window.showWarningMessage(`Commit Nudge: open a file and put the cursor in a hunk to ${titlePrefix.toLowerCase()}.`);
    return false;
  }
  if (!client) {
    void vscode.window.showErrorMessage('Commit Nudge: the language server is not running.');
    return false;
  }
  const sel = editor.selection;
  const params = {
    textDocument: { uri: editor.document.uri.toString() },
    range: {
      start: { line: sel.start.line, character: sel.start.character },
      end: { line: sel.end.line, character: sel.end.character },
    },
    context: { diagnostics: [], triggerKind: 1 },
  };
  try {
    const actions = (await client.sendRequest<(LspCommand | LspCodeAction)[] | null>('textDocument/codeAction', params)) ?? [];
    let chosen = actions.find((a) => a.title.startsWith(titlePrefix) && !(a as LspCodeAction).disabled);
    if (!chosen) {
      void vscode.window.showInformationMessage(`Commit Nudge: no hunk to ${titlePrefix.toLowerCase().replace(/ hunk$/, '')} at the cursor.`);
      return false;
    }
    let command: LspCommand | undefined;
    if (typeof (chosen as LspCommand).command === 'string') {
      command = chosen as LspCommand;
    } else {
      let action = chosen as LspCodeAction;
      if (!action.command && !action.edit && action.data !== undefined) {
        action = await client.sendRequest<LspCodeAction>('codeAction/resolve', action);
        chosen = action;
      }
      command = isCommand(action.command) ? action.command : undefined;
      if (!command) {
        void vscode.window.showErrorMessage(`Commit Nudge: the action "${action.title}" carries no command.`);
        return false;
      }
    }
    await client.sendRequest('workspace/executeCommand', { command: command.command, arguments: command.arguments ?? [] });
    vscode.window.setStatusBarMessage(`Commit Nudge: ${chosen.title}`, 3000);
    return true;
  } catch (error) {
    if (!alreadyShown(error)) void vscode.window.showErrorMessage(`Commit Nudge: ${errorText(error)}`);
    return false;
  }
}
