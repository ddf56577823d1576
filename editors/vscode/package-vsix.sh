#!/usr/bin/env bash
# Packages the platform-specific extension: the given commit-nudge server binary goes into
# server/, and `vsce package --target TARGET` makes commit-nudge-TARGET-<version>.vsix, which
# VS Code installs only on that platform. Prints the .vsix path as its last line.
#
#   editors/vscode/package-vsix.sh <target> <binary> [output dir]
#
# Targets (a release builds one per line of its matrix, each with the server built for it):
#   linux-x64     x86_64-unknown-linux-gnu   (built and tested by .ci/run)
#   linux-arm64   aarch64-unknown-linux-gnu
#   darwin-x64    x86_64-apple-darwin
#   darwin-arm64  aarch64-apple-darwin
#   win32-x64     x86_64-pc-windows-msvc     (the binary is commit-nudge.exe)
# The binary should be the stripped release build (`cargo build --release --locked`).
set -euo pipefail

if [[ $# -lt 2 ]]; then
  echo "usage: $0 <target> <commit-nudge binary> [output dir]" >&2
  echo "targets: linux-x64 linux-arm64 darwin-x64 darwin-arm64 win32-x64" >&2
  exit 2
fi
target="$1"
binary="$2"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out_dir="${3:-$here}"

case "$target" in
  linux-x64 | linux-arm64 | darwin-x64 | darwin-arm64) exe=commit-nudge ;;
  win32-x64) exe=commit-nudge.exe ;;
  *)
    echo "unknown target '$target' (known: linux-x64 linux-arm64 darwin-x64 darwin-arm64 win32-x64)" >&2
    exit 2
    ;;
esac
[[ -f "$binary" ]] || { echo "no server binary at $binary" >&2; exit 2; }
mkdir -p "$out_dir"
out_dir="$(cd "$out_dir" && pwd)"

cd "$here"
if [[ ! -d node_modules ]]; then
  npm ci --no-audit --no-fund >&2
fi
# The server, in the folder the extension looks in (src/discovery.ts). Removed afterwards so that
# a development checkout never starts a stale bundled copy.
rm -rf server
mkdir -p server
cp "$binary" "server/$exe"
chmod 755 "server/$exe"
trap 'rm -rf "$here/server"' EXIT

version="$(node -p "require('./package.json').version")"
vsix="$out_dir/commit-nudge-$target-$version.vsix"
rm -f "$vsix"
npx --no-install vsce package --no-dependencies --target "$target" -o "$vsix" </dev/null >&2
echo "$vsix"
