#!/usr/bin/env bash
# Checks the Zed extension: extension.toml parses and names the server, and src/lib.rs compiles
# against zed_extension_api (host target; Zed itself builds it for wasm32-wasip2).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ext="$(dirname "$here")/extension"
python3 - "$ext/extension.toml" <<'PY'
import sys, tomllib
doc = tomllib.load(open(sys.argv[1], "rb"))
server = doc["language_servers"]["commit-nudge"]
assert doc["id"] == "commit-nudge" and server["name"] == "commit-nudge", doc
assert {"Rust", "Python", "Go", "TypeScript"} <= set(server["languages"]), server
print("ok   extension.toml names the commit-nudge server for", len(server["languages"]), "languages")
PY
(cd "$ext" && CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${TMPDIR:-/tmp}/commit-nudge-zed-target}" cargo check --quiet)
echo "ok   the extension compiles (cargo check, host target)"
echo "zed: 2 passed, 0 failed"
