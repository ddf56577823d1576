#!/usr/bin/env bash
# Checks `commit-nudge editor-config helix` with a TOML parser other than the generator's own
# (Python's tomllib): on the excerpt of Helix's languages.toml in tests/fixtures, the snippet
# defines the server with the documented defaults and, for exactly the languages asked for, keeps
# each language's servers in order with commit-nudge appended. Helix itself is not installable here.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$here/../../.." && pwd)"
bin="${COMMIT_NUDGE_BIN:-$repo_root/target/debug/commit-nudge}"
if [[ ! -x "$bin" ]]; then
  echo "== building the server (cargo build)"
  (cd "$repo_root" && cargo build --quiet)
fi
snippet="$(mktemp "${TMPDIR:-/tmp}/commit-nudge-helix.XXXXXX.toml")"
trap 'rm -f "$snippet"' EXIT
env -u HELIX_RUNTIME HOME="$(mktemp -d)" "$bin" editor-config helix rust markdown erlang git-commit \
  --defaults "$repo_root/tests/fixtures/helix/languages.toml" > "$snippet"
python3 - "$snippet" <<'PY'
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
    "codeLens": True, "askOnWarning": True, "snoozeMinutes": 30, "maxFileBytes": 52428800,
    "recordWork": True,
}, settings)

# Each language's servers in Helix's excerpt, then commit-nudge.
expected = {
    "rust": ["rust-analyzer", "commit-nudge"],
    "markdown": ["marksman", "markdown-oxide", "rumdl", "commit-nudge"],
    "erlang": [
        {"name": "erlang-ls", "except-features": ["document-symbols", "workspace-symbols"]},
        {"name": "elp", "except-features": ["document-symbols", "workspace-symbols"]},
        "commit-nudge",
    ],
    "git-commit": ["commit-lsp", "commit-nudge"],
}
languages = [entry["name"] for entry in doc["language"]]
check("only the languages asked for, in order", languages == list(expected), languages)
for entry in doc["language"]:
    check(f"{entry['name']}: its servers, commit-nudge last",
          entry.get("language-servers") == expected.get(entry["name"]), entry)
    check(f"{entry['name']}: only language-servers overridden", set(entry) == {"name", "language-servers"}, entry)
print(f"helix: {n_passed} passed, {n_failed} failed")
sys.exit(1 if n_failed else 0)
PY
