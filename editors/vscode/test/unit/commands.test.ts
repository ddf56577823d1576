//! The client commands: commit arguments, the untrusted refusal, errors, and hunk actions.

import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { absorb, alreadyShown, commitStaged, commitStagedParams, RequestSender, runHunkAction, splitIntoCommits, UNTRUSTED_COMMIT_MESSAGE } from '../../src/commands';
import type { RepoStatus } from '../../src/protocol';
import { StatusStore } from '../../src/statusView';
import { stub, Uri, workspace } from '../stubs/vscode';

interface Sent {
  method: string;
  params: any;
}

/** A fake client that records requests and answers from a table by method (or throws). */
function fakeClient(answers: Record<string, unknown | ((params: any) => unknown)> = {}): RequestSender & { sent: Sent[] } {
  const sent: Sent[] = [];
  return {
    sent,
    async sendRequest<R>(method: string, params: unknown): Promise<R> {
      sent.push({ method, params });
      const answer = answers[method];
      const value = typeof answer === 'function' ? (answer as (p: unknown) => unknown)(params) : answer;
      return value as R;
    },
  };
}

function repo(root: string, stagedFiles = 1): RepoStatus {
  const counts = { files: stagedFiles, added: 3, removed: 1 };
  return { root, staged: counts, unstaged: counts, untracked: counts, total: counts, nudges: [] };
}

describe('commitStagedParams', () => {
  it('builds the documented executeCommand params with a file URI root', () => {
    assert.deepEqual(commitStagedParams('/work/my repo', 'Add parser'), {
      command: 'commit-nudge.commitStaged',
      arguments: [{ root: 'file:///work/my%20repo', message: 'Add parser' }],
    });
  });
});

describe('splitIntoCommits', () => {
  beforeEach(() => stub.reset());

  it('asks the server to open the plan of the active file\'s repository', async () => {
    const store = new StatusStore();
    store.update(repo('/w/one'));
    store.update(repo('/w/two', 2));
    stub.openEditor('/w/two/src/lib.rs', 4, 2);
    const client = fakeClient({ 'workspace/executeCommand': { document: '/w/two/.git/COMMIT_PLAN', commits: 3 } });
    const result = await splitIntoCommits(client, store);
    assert.deepEqual(client.sent, [
      { method: 'workspace/executeCommand', params: { command: 'commit-nudge.openPlan', arguments: [{ root: 'file:///w/two' }] } },
    ]);
    assert.deepEqual(result, { document: '/w/two/.git/COMMIT_PLAN', commits: 3 });
  });

  it('refuses in an untrusted workspace: applying a plan runs the hooks', async () => {
    workspace.isTrusted = false;
    const client = fakeClient();
    const store = new StatusStore();
    store.update(repo('/w/r'));
    assert.equal(await splitIntoCommits(client, store), undefined);
    assert.deepEqual(client.sent, []);
  });
});

describe('absorb', () => {
  beforeEach(() => stub.reset());

  it('asks the server to open the absorb document of the active file\'s repository', async () => {
    const store = new StatusStore();
    store.update(repo('/w/one'));
    stub.openEditor('/w/one/src/lib.rs', 4, 2);
    const client = fakeClient({ 'workspace/executeCommand': { document: '/w/one/.git/COMMIT_ABSORB', hunks: 2, commits: 2 } });
    const result = await absorb(client, store);
    assert.deepEqual(client.sent, [
      { method: 'workspace/executeCommand', params: { command: 'commit-nudge.openAbsorb', arguments: [{ root: 'file:///w/one' }] } },
    ]);
    assert.deepEqual(result, { document: '/w/one/.git/COMMIT_ABSORB', hunks: 2, commits: 2 });
  });

  it('refuses in an untrusted workspace: the fix-ups run the hooks', async () => {
    workspace.isTrusted = false;
    const client = fakeClient();
    const store = new StatusStore();
    store.update(repo('/w/r'));
    assert.equal(await absorb(client, store), undefined);
    assert.deepEqual(client.sent, []);
  });
});

describe('commitStaged', () => {
  beforeEach(() => stub.reset());

  it('refuses in an untrusted workspace without asking the server', async () => {
    workspace.isTrusted = false;
    const client = fakeClient();
    const store = new StatusStore();
    store.update(repo('/w/r'));
    stub.inputBoxAnswers.push('msg');
    assert.equal(await commitStaged(client, store), undefined);
    assert.deepEqual(client.sent, []);
    assert.deepEqual(stub.inputBoxOptions, [], 'no prompt for a message');
    assert.deepEqual(stub.messages, [{ kind: 'warning', text: UNTRUSTED_COMMIT_MESSAGE }]);
  });

  it('asks for a message and sends commit-nudge.commitStaged for the active file\'s repository', async () => {
    const store = new StatusStore();
    store.update(repo('/w/one'));
    store.update(repo('/w/two', 2));
    stub.openEditor('/w/two/src/lib.rs', 4, 2);
    stub.inputBoxAnswers.push('Fix the off-by-one');
    const client = fakeClient({ 'workspace/executeCommand': { commit: 'abc1234def', summary: '[main abc1234] Fix the off-by-one' } });
    const result = await commitStaged(client, store);
    assert.deepEqual(client.sent, [
      {
        method: 'workspace/executeCommand',
        params: { command: 'commit-nudge.commitStaged', arguments: [{ root: 'file:///w/two', message: 'Fix the off-by-one' }] },
      },
    ]);
    assert.deepEqual(result, { commit: 'abc1234def', summary: '[main abc1234] Fix the off-by-one' });
    assert.match(stub.inputBoxOptions[0].prompt, /2 staged files/);
    assert.equal(stub.inputBoxOptions[0].validateInput('  '), 'The commit message is empty.');
    assert.deepEqual(stub.messages, [{ kind: 'info', text: '[main abc1234] Fix the off-by-one' }]);
  });

  it('sends nothing when the message prompt is cancelled', async () => {
    const store = new StatusStore();
    store.update(repo('/w/one'));
    stub.inputBoxAnswers.push(undefined);
    const client = fakeClient();
    await commitStaged(client, store);
    assert.deepEqual(client.sent, []);
  });

  it('asks which repository when several are known and none holds the active file', async () => {
    const store = new StatusStore();
    store.update(repo('/w/one'));
    store.update(repo('/w/two'));
    stub.quickPickAnswers.push('/w/two');
    stub.inputBoxAnswers.push('m');
    const client = fakeClient({ 'workspace/executeCommand': null });
    await commitStaged(client, store);
    assert.equal(client.sent[0].params.arguments[0].root, 'file:///w/two');
  });

  it('falls back to the workspace folder before any status has arrived', async () => {
    workspace.workspaceFolders = [{ uri: Uri.file('/w/folder'), name: 'folder', index: 0 }];
    stub.inputBoxAnswers.push('m');
    const client = fakeClient({ 'workspace/executeCommand': null });
    await commitStaged(client, new StatusStore());
    assert.equal(client.sent[0].params.arguments[0].root, 'file:///w/folder');
  });

  it('shows git\'s own words when the commit fails', async () => {
    const store = new StatusStore();
    store.update(repo('/w/one'));
    stub.inputBoxAnswers.push('m');
    const client = fakeClient({
      'workspace/executeCommand': () => {
        throw Object.assign(new Error('pre-commit hook failed: trailing whitespace in a.rs'), { code: -32603 });
      },
    });
    assert.equal(await commitStaged(client, store), undefined);
    assert.deepEqual(stub.messages, [{ kind: 'error', text: 'Commit failed: pre-commit hook failed: trailing whitespace in a.rs' }]);
  });
});

describe('runHunkAction', () => {
  beforeEach(() => stub.reset());

  const stageArgs = { root: 'file:///w/r', path: 'a.rs', hunk: { old_start: 3, old_lines: 1, new_start: 3, new_lines: 2 }, hash: 'ff', lines: null };

  it('asks for code actions at the cursor and runs the "Stage hunk" one', async () => {
    stub.openEditor('/w/r/a.rs', 3, 5);
    const client = fakeClient({
      'textDocument/codeAction': [
        { title: 'Snooze commit nudges for 30 minutes', command: { title: 's', command: 'commit-nudge.snooze', arguments: [{}] } },
        { title: 'Stage hunk (+2 \u22121)', kind: 'source', command: { title: 'Stage hunk', command: 'commit-nudge.stageHunk', arguments: [stageArgs] } },
        { title: 'Stage file a.rs', command: { title: 'f', command: 'commit-nudge.stageFile', arguments: [{}] } },
      ],
      'workspace/executeCommand': null,
    });
    assert.equal(await runHunkAction(client, 'Stage hunk'), true);
    assert.deepEqual(client.sent[0], {
      method: 'textDocument/codeAction',
      params: {
        textDocument: { uri: 'file:///w/r/a.rs' },
        range: { start: { line: 3, character: 5 }, end: { line: 3, character: 5 } },
        context: { diagnostics: [], triggerKind: 1 },
      },
    });
    assert.deepEqual(client.sent[1], {
      method: 'workspace/executeCommand',
      params: { command: 'commit-nudge.stageHunk', arguments: [stageArgs] },
    });
  });

  it('accepts bare commands and resolves actions that carry only data', async () => {
    stub.openEditor('/w/r/a.rs');
    const bare = fakeClient({
      'textDocument/codeAction': [{ title: 'Unstage hunk', command: 'commit-nudge.unstageHunk', arguments: [stageArgs] }],
    });
    assert.equal(await runHunkAction(bare, 'Unstage hunk'), true);
    assert.deepEqual(bare.sent[1].params, { command: 'commit-nudge.unstageHunk', arguments: [stageArgs] });

    const lazy = fakeClient({
      'textDocument/codeAction': [{ title: 'Stage hunk', data: { id: 1 } }],
      'codeAction/resolve': { title: 'Stage hunk', command: { title: 'Stage hunk', command: 'commit-nudge.stageHunk', arguments: [stageArgs] } },
    });
    assert.equal(await runHunkAction(lazy, 'Stage hunk'), true);
    assert.deepEqual(lazy.sent.map((s) => s.method), ['textDocument/codeAction', 'codeAction/resolve', 'workspace/executeCommand']);
  });

  it('tells the user when there is no such hunk at the cursor, and does not run "Unstage hunk" for "Stage hunk"', async () => {
    stub.openEditor('/w/r/a.rs');
    const client = fakeClient({
      'textDocument/codeAction': [{ title: 'Unstage hunk', command: { title: 'u', command: 'commit-nudge.unstageHunk' } }],
    });
    assert.equal(await runHunkAction(client, 'Stage hunk'), false);
    assert.equal(client.sent.length, 1);
    assert.equal(stub.messages[0].kind, 'info');
  });

  it('shows the server\'s refusal (for instance a hunk that changed meanwhile)', async () => {
    stub.openEditor('/w/r/a.rs');
    const client = fakeClient({
      'textDocument/codeAction': [{ title: 'Stage hunk', command: { title: 's', command: 'commit-nudge.stageHunk', arguments: [stageArgs] } }],
      'workspace/executeCommand': () => {
        throw new Error('the hunk changed since the action was offered; try again');
      },
    });
    assert.equal(await runHunkAction(client, 'Stage hunk'), false);
    assert.deepEqual(stub.messages, [{ kind: 'error', text: 'Commit Nudge: the hunk changed since the action was offered; try again' }]);
  });
});

it('errors the server has already shown (data.shown) are not shown again', () => {
  assert.equal(alreadyShown({ message: 'git refused', data: { shown: true } }), true);
  assert.equal(alreadyShown({ message: 'bad root' }), false);
  assert.equal(alreadyShown(new Error('x')), false);
  assert.equal(alreadyShown(undefined), false);
});
