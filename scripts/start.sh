#!/usr/bin/env bash
# `npm start`: build Model Lab, then open examples/ in a real VS Code with Model Lab:
#   - the desktop `code` when it is on PATH (Model Lab loaded from this working tree as an
#     extension under development);
#   - otherwise a local code-server (VS Code in the browser, set up by scripts/setup-e2e.sh) on
#     127.0.0.1:8080 or the next free port, with Model Lab packaged from this working tree and
#     installed into its profile as a user would install it; prints the address, runs until Ctrl-C.
# Options:
#   --check        start the code-server, load the printed address in headless Chromium, verify the
#                  folder and Model Lab's commands are there, print OK and exit (CI; always code-server)
#   --port N       first port to try (default 8080; also MODEL_LAB_PORT)
#   --folder DIR   folder to open (default examples/)
#   --no-build     skip `npm run build`
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CHECK=0 BUILD=1 PORT_FIRST=${MODEL_LAB_PORT:-8080} FOLDER="$ROOT/examples"
while [ $# -gt 0 ]; do
  case "$1" in
    --check) CHECK=1 ;;
    --no-build) BUILD=0 ;;
    --port) PORT_FIRST=$2; shift ;;
    --folder) FOLDER=$2; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
FOLDER=$(cd "$FOLDER" && pwd)
[ "${MODEL_LAB_CHECK:-}" = 1 ] && CHECK=1

if [ "$BUILD" = 1 ]; then (cd "$ROOT" && npm run build --silent); fi

# A desktop VS Code; not the `code` that code-server and VS Code Remote put in their terminals.
CODE_BIN=$(command -v code 2>/dev/null || true)
if [ "$CHECK" = 0 ] && [ -n "$CODE_BIN" ] && [[ "$CODE_BIN" != */remote-cli/* ]]; then
  echo "Opening $FOLDER in VS Code with Model Lab loaded from $ROOT"
  exec "$CODE_BIN" --extensionDevelopmentPath="$ROOT" "$FOLDER"
fi

# From here on nothing may inherit npm's own configuration (see scripts/lib/cleanNpmEnv.sh): not
# the tool installs, not code-server, not the extension host and the trainers it starts.
source "$ROOT/scripts/lib/cleanNpmEnv.sh"
ml_clean_npm_env
bash "$ROOT/scripts/setup-e2e.sh"
source "$ROOT/test/e2e/codeServer.sh"
ml_cs_check_installed

# The profile (settings, window state, installed extensions) persists between runs, as a user's
# would; --check uses a throwaway one. code-server's IPC sockets go to a short folder under /tmp:
# socket paths max out at 107 bytes.
RUNTIME=$(mktemp -d /tmp/model-lab-start-XXXXXX)
if [ "$CHECK" = 1 ]; then STATE="$RUNTIME"; else STATE="$ML_TOOLS/start-profile"; ML_CS_TMPDIR="$RUNTIME"; fi
PORT=$(ml_free_port "$PORT_FIRST")
ml_cs_profile "$STATE" "$PORT"

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [ -n "$ML_CS_PID" ] && echo "Stopping code-server and everything it started…" >&2
  ml_cs_stop
  rm -rf "$RUNTIME"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Packaged from this working tree with its runtime dependencies (tfjs, the wasm backend, esbuild)
# and installed into the profile, so the plain address shows Model Lab in a normal window.
echo "Packaging Model Lab and installing it into code-server…"
(cd "$ROOT" && npx --no-install vsce package --out "$RUNTIME/model-lab.vsix") > "$RUNTIME/package.log" 2>&1 \
  || { tail -30 "$RUNTIME/package.log"; echo "vsce package failed" >&2; exit 1; }
ml_cs_install "$STATE" "$RUNTIME/model-lab.vsix" > "$RUNTIME/install.log" 2>&1 \
  || { cat "$RUNTIME/install.log"; echo "installing the .vsix into code-server failed" >&2; exit 1; }

LOG="$STATE/code-server.log"
ml_cs_start "$STATE" "$PORT" "$LOG" "$FOLDER"
URL="http://127.0.0.1:$PORT/"

if [ "$CHECK" = 1 ]; then
  mkdir -p "$ROOT/test-artifacts"
  node "$ROOT/test/e2e/startCheck.mjs" --url "$URL" --folder "$FOLDER" --screenshot "$ROOT/test-artifacts/start-check.png" \
    || { echo "--- code-server log"; tail -20 "$LOG"; exit 1; }
  echo "OK: npm start serves $FOLDER with Model Lab in VS Code (code-server) at $URL"
  exit 0
fi

cat <<MSG

  Model Lab is running in VS Code (code-server), with $FOLDER open:

    $URL

  Open that address in a browser, open mnist-cnn.model.ts and press ▶ (or F1 → "Model Lab: Train Model").
  Ctrl-C here stops code-server and everything it started. Its log: $LOG

MSG
while kill -0 "$ML_CS_PID" 2>/dev/null; do sleep 1; done
echo "code-server exited; its log: $LOG" >&2
exit 1
