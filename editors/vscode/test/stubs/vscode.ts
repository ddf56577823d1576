//! A small stand-in for the `vscode` module, so unit tests run under plain Node. The unit-test
//! bundle maps every `import 'vscode'` to this file; tests steer it through `stub`.

/* eslint-disable @typescript-eslint/no-explicit-any */
import * as path from 'path';

export class Uri {
  private constructor(readonly scheme: string, readonly path: string) {}
  static file(fsPath: string): Uri {
    return new Uri('file', path.resolve(fsPath));
  }
  static parse(value: string): Uri {
    const m = /^([a-z][a-z0-9+.-]*):\/\/([^/]*)(.*)$/i.exec(value);
    if (!m) throw new Error(`stub Uri.parse cannot parse ${value}`);
    return new Uri(m[1], decodeURIComponent(m[3]));
  }
  get fsPath(): string {
    return this.path;
  }
  toString(): string {
    const encoded = this.path.split('/').map((seg) => encodeURIComponent(seg)).join('/');
    return `${this.scheme}://${encoded}`;
  }
}

export enum StatusBarAlignment {
  Left = 1,
  Right = 2,
}

export class ThemeColor {
  constructor(readonly id: string) {}
}

export class Disposable {
  constructor(private readonly fn: () => void = () => {}) {}
  dispose(): void {
    this.fn();
  }
}

export interface RecordedMessage {
  kind: 'info' | 'warning' | 'error' | 'status';
  text: string;
}

class FakeStatusBarItem {
  text = '';
  tooltip: string | undefined;
  command: string | undefined;
  name: string | undefined;
  color: ThemeColor | undefined;
  backgroundColor: ThemeColor | undefined;
  visible = false;
  constructor(readonly id: string, readonly alignment: StatusBarAlignment, readonly priority: number) {}
  show(): void {
    this.visible = true;
  }
  hide(): void {
    this.visible = false;
  }
  dispose(): void {
    this.visible = false;
  }
}

/** The knobs and records tests use. */
export const stub = {
  messages: [] as RecordedMessage[],
  inputBoxAnswers: [] as (string | undefined)[],
  inputBoxOptions: [] as any[],
  quickPickAnswers: [] as (string | undefined)[],
  config: new Map<string, unknown>(),
  statusBarItems: [] as FakeStatusBarItem[],
  reset(): void {
    stub.messages = [];
    stub.inputBoxAnswers = [];
    stub.inputBoxOptions = [];
    stub.quickPickAnswers = [];
    stub.config = new Map();
    stub.statusBarItems = [];
    workspace.isTrusted = true;
    workspace.workspaceFolders = undefined;
    window.activeTextEditor = undefined;
  },
  /** Makes `window.activeTextEditor` a file editor with the cursor at `line`:`character`. */
  openEditor(fsPath: string, line = 0, character = 0): void {
    const pos = { line, character };
    window.activeTextEditor = {
      document: { uri: Uri.file(fsPath) },
      selection: { start: pos, end: pos, active: pos, anchor: pos },
    };
  },
};

function record(kind: RecordedMessage['kind'], text: string): Promise<undefined> {
  stub.messages.push({ kind, text });
  return Promise.resolve(undefined);
}

export const window = {
  activeTextEditor: undefined as any,
  showInformationMessage: (text: string, ..._items: any[]) => record('info', text),
  showWarningMessage: (text: string, ..._items: any[]) => record('warning', text),
  showErrorMessage: (text: string, ..._items: any[]) => record('error', text),
  setStatusBarMessage: (text: string, _timeout?: number) => {
    stub.messages.push({ kind: 'status', text });
    return new Disposable();
  },
  showInputBox: async (options?: any) => {
    stub.inputBoxOptions.push(options);
    return stub.inputBoxAnswers.shift();
  },
  showQuickPick: async (items: any[], _options?: any) => {
    const label = stub.quickPickAnswers.shift();
    return (await items).find((i: any) => i.label === label);
  },
  createStatusBarItem: (id: string, alignment: StatusBarAlignment, priority: number) => {
    const item = new FakeStatusBarItem(id, alignment, priority);
    stub.statusBarItems.push(item);
    return item;
  },
  createOutputChannel: (name: string) => ({
    name,
    lines: [] as string[],
    appendLine(line: string) {
      this.lines.push(line);
    },
    show() {},
    dispose() {},
  }),
  onDidChangeActiveTextEditor: () => new Disposable(),
};

export const workspace = {
  isTrusted: true,
  workspaceFolders: undefined as { uri: Uri; name: string; index: number }[] | undefined,
  getWorkspaceFolder(uri: Uri) {
    return workspace.workspaceFolders?.find((f) => uri.fsPath === f.uri.fsPath || uri.fsPath.startsWith(f.uri.fsPath + '/'));
  },
  getConfiguration(section?: string) {
    const prefix = section ? `${section}.` : '';
    return {
      get<T>(key: string, fallback?: T): T | undefined {
        const full = prefix + key;
        return stub.config.has(full) ? (stub.config.get(full) as T) : fallback;
      },
      has(key: string) {
        return stub.config.has(prefix + key);
      },
    };
  },
  onDidChangeConfiguration: () => new Disposable(),
};

const registered = new Map<string, (...args: any[]) => any>();
export const commands = {
  registerCommand(id: string, fn: (...args: any[]) => any) {
    registered.set(id, fn);
    return new Disposable(() => registered.delete(id));
  },
  async executeCommand(id: string, ...args: any[]) {
    const fn = registered.get(id);
    if (!fn) throw new Error(`command '${id}' not found`);
    return fn(...args);
  },
};
