//! Entry point of the Commit Nudge extension: starts `commit-nudge lsp`, passes the settings,
//! shows the status bar item and registers the commands.

import * as vscode from 'vscode';
import {
  DidChangeConfigurationNotification,
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
} from 'vscode-languageclient/node';
import { absorb, commitStaged, runHunkAction, splitIntoCommits } from './commands';
import { describeSource, discoverServer, serverExecutable } from './discovery';
import { CONFIG_SECTION, RepoStatus, STATUS_NOTIFICATION } from './protocol';
import { serverSettings } from './settings';
import { StatusBar } from './statusBar';
import { StatusStore } from './statusView';

let client: LanguageClient | undefined;
let output: vscode.OutputChannel;
let statusBar: StatusBar;
const store = new StatusStore();

function currentSettings() {
  return serverSettings(vscode.workspace.getConfiguration(CONFIG_SECTION));
}

function createClient(context: vscode.ExtensionContext): LanguageClient | undefined {
  const config = vscode.workspace.getConfiguration(CONFIG_SECTION);
  const found = discoverServer({
    configuredPath: config.get<string | null>('serverPath'),
    pathEnv: process.env.PATH,
    extensionPath: context.extensionPath,
    cargoHome: process.env.CARGO_HOME,
  });
  if (found.kind === 'missing') {
    output.appendLine(found.message);
    void vscode.window.showErrorMessage(`Commit Nudge: ${found.message}`, 'Open Settings').then((choice) => {
      if (choice) void vscode.commands.executeCommand('workbench.action.openSettings', 'commitNudge.serverPath');
    });
    return undefined;
  }
  output.appendLine(`Commit Nudge server: ${found.path} (from ${describeSource(found.source)}).`);

  const serverOptions: ServerOptions = serverExecutable(found.path);
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: 'file' }],
    initializationOptions: currentSettings(),
    synchronize: { configurationSection: CONFIG_SECTION },
    outputChannel: output,
    middleware: {
      workspace: {
        // Answer pulls of `commitNudge` with the documented shape rather than VS Code's raw section.
        configuration: async (params, token, next) => {
          const answers = await next(params, token);
          if (!Array.isArray(answers)) return answers;
          return params.items.map((item, i) => (item.section === CONFIG_SECTION ? currentSettings() : answers[i]));
        },
        // Push the same shape as `initializationOptions`, under the key `commitNudge`.
        didChangeConfiguration: async (_sections, _next) => {
          await client?.sendNotification(DidChangeConfigurationNotification.type, {
            settings: { [CONFIG_SECTION]: currentSettings() },
          });
        },
      },
    },
  };
  const created = new LanguageClient('commitNudge', 'Commit Nudge', serverOptions, clientOptions);
  created.onNotification(STATUS_NOTIFICATION, (status: RepoStatus) => {
    store.update(status);
    statusBar.refresh();
  });
  return created;
}

async function startClient(context: vscode.ExtensionContext): Promise<void> {
  client = createClient(context);
  if (!client) return;
  try {
    await client.start();
  } catch (error) {
    output.appendLine(`Failed to start the server: ${String(error)}`);
    void vscode.window.showErrorMessage(`Commit Nudge: the server failed to start: ${String(error)}`);
  }
}

async function stopClient(): Promise<void> {
  const old = client;
  client = undefined;
  store.clear();
  statusBar.refresh();
  if (old) {
    try {
      await old.stop();
    } catch (error) {
      output.appendLine(`Stopping the server: ${String(error)}`);
    }
  }
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel('Commit Nudge');
  statusBar = new StatusBar(store);
  context.subscriptions.push(output, statusBar);

  context.subscriptions.push(
    vscode.commands.registerCommand('commitNudge.commitStaged', () => commitStaged(client, store)),
    vscode.commands.registerCommand('commitNudge.splitIntoCommits', () => splitIntoCommits(client, store)),
    vscode.commands.registerCommand('commitNudge.absorb', () => absorb(client, store)),
    vscode.commands.registerCommand('commitNudge.stageHunk', () => runHunkAction(client, 'Stage hunk')),
    vscode.commands.registerCommand('commitNudge.unstageHunk', () => runHunkAction(client, 'Unstage hunk')),
    vscode.commands.registerCommand('commitNudge.restart', async () => {
      await stopClient();
      await startClient(context);
    }),
    vscode.commands.registerCommand('commitNudge.showOutput', () => output.show(true)),
    vscode.window.onDidChangeActiveTextEditor(() => statusBar.refresh()),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration(`${CONFIG_SECTION}.serverPath`)) {
        await stopClient();
        await startClient(context);
      }
    }),
  );
  await startClient(context);
}

export async function deactivate(): Promise<void> {
  await stopClient();
}
