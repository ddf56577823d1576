#!/usr/bin/env bash
# Checks editors/helix/languages.toml: it parses as TOML (Python's tomllib), defines the
# commit-nudge server with the documented defaults, and every language keeps its default
# server first with commit-nudge added. Helix itself is not installable here.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python3 - "$here/../languages.toml" <<'PY'
import sys, tomllib

with open(sys.argv[1], "rb") as f:
    doc = tomllib.load(f)

n_passed = n_failed = 0
def check(name, ok, detail=""):
    global n_passed, n_failed
    if ok:
        n_passed += 1; print("ok  ", name)
    else:
        n_failed += 1; print("FAIL", name, detail)

server = doc["language-server"]["commit-nudge"]
check("server command", server["command"] == "commit-nudge" and server["args"] == ["lsp"], server)
settings = server["config"]["commitNudge"]
check("default settings", settings == {
    "thresholds": {"lines": 200, "files": 15, "minutes": 60},
    "countUntracked": True, "countUnsaved": True,
    "exclude": ["**/*.lock", "**/package-lock.json"], "severity": "information",
    "codeLens": True, "snoozeMinutes": 30,
}, settings)

# Helix's own first server per language (helix-editor/helix languages.toml, 25.x).
default_first = {
    "rust": "rust-analyzer", "python": "ty", "javascript": "typescript-language-server",
    "typescript": "typescript-language-server", "go": "gopls", "c": "clangd", "cpp": "clangd",
    "java": "jdtls", "markdown": "marksman", "toml": "taplo", "yaml": "yaml-language-server",
    "json": "vscode-json-language-server", "lua": "lua-language-server",
    "bash": "bash-language-server",
}
languages = {entry["name"]: entry for entry in doc["language"]}
for name, first in default_first.items():
    servers = languages.get(name, {}).get("language-servers", [])
    check(f"{name}: default server first, commit-nudge added",
          servers[:1] == [first] and servers.count("commit-nudge") == 1, servers)
for name, entry in languages.items():
    check(f"{name}: only language-servers overridden", set(entry) == {"name", "language-servers"}, entry)
print(f"helix: {n_passed} passed, {n_failed} failed")
sys.exit(1 if n_failed else 0)
PY
