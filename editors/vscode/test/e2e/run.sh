#!/usr/bin/env bash
# End-to-end test of the Commit Nudge extension in real VS Code (code-server + headless
# Chromium driven by playwright-core) against the real commit-nudge binary and real git.
# It installs the platform-specific .vsix, which carries the server, as a user would: code-server
# runs with no commit-nudge on PATH, an empty ~/.cargo/bin and no commitNudge.serverPath, so the
# nudge can only come from the bundled server (the output channel must say so).
#
#   editors/vscode/test/e2e/run.sh
#
# Environment:
#   COMMIT_NUDGE_VSIX  the linux-x64 .vsix to install (default: packaged here by package-vsix.sh
#                      from COMMIT_NUDGE_BIN)
#   COMMIT_NUDGE_BIN   server binary for that .vsix and for the harness's own checks (default:
#                      <repo>/target/debug/commit-nudge, built if missing)
#   COMMIT_NUDGE_SCREENSHOTS=1  write vscode.png to docs/screenshots/ (the README's picture);
#                      without it the picture goes to the temp dir, and a plain run leaves the
#                      checkout clean
#   SCREENSHOT_DIR     where vscode.png goes (overrides the two above)
#   E2E_KEEP=1         keep the temp dir (code-server data, logs, the test repository)
#   E2E_TIMEOUT_MS     per-step timeout for the browser driver (default 90000)
# Heavy installs are cached under $HOME/.cache/commit-nudge-ci/ (see setup.sh).
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
EXT_DIR="$(cd "$SCRIPT_DIR/../.." && pwd)"
REPO_ROOT="$(cd "$EXT_DIR/../.." && pwd)"
COMMIT_NUDGE_BIN="${COMMIT_NUDGE_BIN:-$REPO_ROOT/target/debug/commit-nudge}"
if [[ -z "${SCREENSHOT_DIR:-}" && "${COMMIT_NUDGE_SCREENSHOTS:-}" == 1 ]]; then
  SCREENSHOT_DIR="$REPO_ROOT/docs/screenshots"
fi

log() { printf '[e2e] %s\n' "$*" >&2; }

# shellcheck source=setup.sh
source "$SCRIPT_DIR/setup.sh"

if [[ ! -x "$COMMIT_NUDGE_BIN" ]]; then
  log "no server binary at $COMMIT_NUDGE_BIN: cargo build"
  (cd "$REPO_ROOT" && cargo build --quiet --bin commit-nudge)
fi
[[ -x "$COMMIT_NUDGE_BIN" ]] || { log "still no server binary at $COMMIT_NUDGE_BIN"; exit 1; }
log "server: $COMMIT_NUDGE_BIN ($("$COMMIT_NUDGE_BIN" --version 2>&1 | head -1))"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/commit-nudge-e2e.XXXXXX")"
CS_PID=""
cleanup() {
  local rc=$?
  if [[ -n "$CS_PID" ]] && kill -0 "$CS_PID" 2>/dev/null; then
    # code-server runs in its own process group (setsid): end the group, then wait.
    kill -TERM -- "-$CS_PID" 2>/dev/null || kill -TERM "$CS_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$CS_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$CS_PID" 2>/dev/null || true
  fi
  if ((rc != 0)); then
    log "FAILED (exit $rc); logs follow"
    [[ -f "$WORK/code-server.log" ]] && { echo '--- code-server.log (tail)'; tail -n 40 "$WORK/code-server.log"; } >&2
    while IFS= read -r f; do
      { echo "--- $f (tail)"; tail -n 60 "$f"; } >&2
    done < <(find "$WORK/data/logs" -name '*Commit Nudge*' 2>/dev/null)
  fi
  if [[ "${E2E_KEEP:-}" == 1 || $rc -ne 0 ]]; then
    log "kept $WORK"
  else
    rm -rf "$WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The platform-specific extension, with its server inside.
cd "$EXT_DIR"
if [[ -z "${COMMIT_NUDGE_VSIX:-}" ]]; then
  log "package-vsix.sh linux-x64 $COMMIT_NUDGE_BIN"
  COMMIT_NUDGE_VSIX="$(bash "$EXT_DIR/package-vsix.sh" linux-x64 "$COMMIT_NUDGE_BIN" "$WORK" | tail -n 1)"
fi
[[ -f "$COMMIT_NUDGE_VSIX" ]] || { log "no .vsix at $COMMIT_NUDGE_VSIX"; exit 1; }
log "extension: $COMMIT_NUDGE_VSIX ($(du -k "$COMMIT_NUDGE_VSIX" | cut -f1) KB)"
vsix_listing="$(unzip -l "$COMMIT_NUDGE_VSIX")"
grep -q 'extension/server/commit-nudge$' <<< "$vsix_listing" \
  || { log "the .vsix carries no server/commit-nudge"; exit 1; }

# code-server sees no commit-nudge anywhere but inside the extension: a PATH without it, a fresh
# HOME (no ~/.cargo/bin) and no CARGO_HOME.
CLEAN_PATH=""
IFS=: read -r -a path_dirs <<< "$PATH"
for dir in "${path_dirs[@]}"; do
  [[ -n "$dir" && ! -e "$dir/commit-nudge" ]] && CLEAN_PATH="${CLEAN_PATH:+$CLEAN_PATH:}$dir"
done
CS_HOME="$WORK/home"
mkdir -p "$CS_HOME"
if PATH="$CLEAN_PATH" command -v commit-nudge >/dev/null; then
  log "commit-nudge is still on the PATH given to code-server"; exit 1
fi

# code-server runs on Node 24; nothing else needs it on PATH.
code_server() { env -u CARGO_HOME HOME="$CS_HOME" PATH="$NODE24_DIR/bin:$CLEAN_PATH" "$CODE_SERVER" "$@"; }
mkdir -p "$WORK/data/User" "$WORK/extensions"
echo 'auth: none' > "$WORK/config.yaml"
log "install the extension"
code_server --config "$WORK/config.yaml" --user-data-dir "$WORK/data" --extensions-dir "$WORK/extensions" \
  --install-extension "$COMMIT_NUDGE_VSIX" >&2
cat > "$WORK/data/User/settings.json" <<JSON
{
  "commitNudge.thresholds.lines": 250,
  "commitNudge.thresholds.files": 15,
  "commitNudge.thresholds.minutes": 600,
  "commitNudge.severity": "warning",
  "security.workspace.trust.enabled": false,
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "workbench.enableExperiments": false,
  "workbench.welcomePage.walkthroughs.openOnInstall": false,
  "telemetry.telemetryLevel": "off",
  "update.mode": "none",
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "extensions.ignoreRecommendations": true,
  "git.enabled": false,
  "files.autoSave": "off",
  "editor.codeLens": true,
  "window.restoreWindows": "none",
  "chat.disableAIFeatures": true,
  "workbench.secondarySideBar.defaultVisibility": "hidden"
}
JSON

# A dirty repository: committed files, ~300 added lines across two files (past the 250-line
# threshold), and hunks.txt with three separated hunks.
REPO="$WORK/repo"
mkdir -p "$REPO"
git -C "$REPO" init -q -b main
git -C "$REPO" config user.name 'E2E Tester'
git -C "$REPO" config user.email 'e2e@example.invalid'
git -C "$REPO" config commit.gpgsign false
printf 'line %d\n' $(seq 1 60) > "$REPO/hunks.txt"
printf 'app %d\n' $(seq 1 10) > "$REPO/app.txt"
printf '# demo\n' > "$REPO/README.md"
git -C "$REPO" add -A
git -C "$REPO" commit -q -m 'Initial commit'
sed -i -e 's/^line 10$/changed 10/' -e 's/^line 30$/changed 30/' -e 's/^line 50$/changed 50/' "$REPO/hunks.txt"
printf 'more app %d\n' $(seq 1 150) >> "$REPO/app.txt"
printf 'new %d\n' $(seq 1 150) > "$REPO/new.txt"
log "repository at $REPO: $(git -C "$REPO" diff --shortstat), plus new.txt (150 lines, untracked)"
"$COMMIT_NUDGE_BIN" status "$REPO" --json > "$WORK/status-before.json" 2>"$WORK/status-before.err" \
  && log "commit-nudge status --json: $(tr -d '\n' < "$WORK/status-before.json" | cut -c1-400)" \
  || log "commit-nudge status failed: $(cat "$WORK/status-before.err")"

PORT="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
log "start code-server on 127.0.0.1:$PORT"
RUST_LOG="${RUST_LOG:-debug}" setsid env -u CARGO_HOME HOME="$CS_HOME" PATH="$NODE24_DIR/bin:$CLEAN_PATH" "$CODE_SERVER" \
  --config "$WORK/config.yaml" --auth none --bind-addr "127.0.0.1:$PORT" \
  --disable-workspace-trust --disable-telemetry --disable-update-check \
  --user-data-dir "$WORK/data" --extensions-dir "$WORK/extensions" "$REPO" \
  > "$WORK/code-server.log" 2>&1 < /dev/null &
CS_PID=$!

for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  kill -0 "$CS_PID" 2>/dev/null || { log "code-server exited"; exit 1; }
  sleep 0.5
done
curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null || { log "code-server did not come up"; exit 1; }

SCREENSHOT_DIR="${SCREENSHOT_DIR:-$WORK/screenshots}"
mkdir -p "$SCREENSHOT_DIR"
log "drive VS Code with playwright-core"
COMMIT_NUDGE_BIN="$COMMIT_NUDGE_BIN" E2E_URL="http://127.0.0.1:$PORT/" E2E_REPO="$REPO" E2E_WORK="$WORK" SCREENSHOT_DIR="$SCREENSHOT_DIR" \
  PW_DIR="$PW_DIR" node "$SCRIPT_DIR/drive.mjs"
# A plan that follows a replayed history: saves in two pieces of work, then the plan.
log "a plan that follows a replayed history (plan_replay.mjs)"
E2E_URL="http://127.0.0.1:$PORT/" E2E_REPO="$REPO" E2E_WORK="$WORK" \
  PW_DIR="$PW_DIR" node "$SCRIPT_DIR/plan_replay.mjs"

# The output channel names the binary that ran: the one inside the installed extension.
channel_log="$(find "$WORK/data/logs" -name '*Commit Nudge*' -print0 2>/dev/null | xargs -0 cat 2>/dev/null || true)"
server_line="$(grep -m1 'Commit Nudge server:' <<< "$channel_log" || true)"
log "output channel: ${server_line:-(no server line)}"
[[ "$server_line" == *"$WORK/extensions/"*"/server/commit-nudge (from the server bundled with this extension)."* ]] \
  || { log "the server that ran is not the bundled one"; exit 1; }
log "PASS"
