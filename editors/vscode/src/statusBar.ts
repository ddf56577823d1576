//! The status bar item: the active repository's diff size, coloured while a nudge is due.

import * as vscode from 'vscode';
import { renderStatus, StatusStore } from './statusView';

export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly timer: ReturnType<typeof setInterval>;
  private visible = false;

  constructor(private readonly store: StatusStore) {
    this.item = vscode.window.createStatusBarItem('commitNudge.status', vscode.StatusBarAlignment.Left, 50);
    this.item.name = 'Commit Nudge';
    this.item.command = 'commitNudge.commitStaged';
    // A snooze ends without a new status from the server: re-render now and then.
    this.timer = setInterval(() => this.refresh(), 60_000);
  }

  refresh(): void {
    const uri = vscode.window.activeTextEditor?.document.uri;
    const status = this.store.pick(uri?.scheme === 'file' ? uri.fsPath : undefined);
    if (!status) {
      this.item.hide();
      this.visible = false;
      return;
    }
    const view = renderStatus(status, Date.now() / 1000);
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.backgroundColor = view.warning ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.color = view.warning ? new vscode.ThemeColor('statusBarItem.warningForeground') : undefined;
    this.item.show();
    this.visible = true;
  }

  /** What the item shows now (for tests). */
  get shown(): { text: string; tooltip: string; backgroundColor?: vscode.ThemeColor; visible: boolean } {
    return {
      text: this.item.text,
      tooltip: String(this.item.tooltip ?? ''),
      backgroundColor: this.item.backgroundColor,
      visible: this.visible,
    };
  }

  dispose(): void {
    clearInterval(this.timer);
    this.item.dispose();
  }
}
