#!/usr/bin/env bash
# Restricted Mode in a real VS Code (code-server): workspace trust on, no startup prompt, the test
# folder never trusted; runs test/integration/restrictedSuite.ts in the extension host with Model Lab
# loaded from this working tree (no packaging). Usage: npm run build && bash test/e2e/restricted.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ARTIFACTS="$ROOT/test-artifacts/e2e-restricted"
source "$ROOT/scripts/lib/cleanNpmEnv.sh"
ml_clean_npm_env
source "$ROOT/test/e2e/codeServer.sh"
rm -rf "$ARTIFACTS" && mkdir -p "$ARTIFACTS"
ml_cs_check_installed
[ -f "$ROOT/dist/test/restrictedSuite.js" ] || { echo "run \`npm run build\` first" >&2; exit 1; }
STATE=$(mktemp -d /tmp/model-lab-rm-XXXXXX)
cleanup() {
  local rc=$?
  ml_cs_stop
  [ -f "$STATE/code-server.log" ] && cp "$STATE/code-server.log" "$ARTIFACTS/" || true
  rm -rf "$STATE"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM
PORT=$(ml_free_port)
ml_cs_profile "$STATE" "$PORT"
# Trust on (the shared profile turns it off), and no modal asking to trust the folder.
node -e '
  const f = process.argv[1]; const s = JSON.parse(require("fs").readFileSync(f, "utf8"));
  Object.assign(s, { "security.workspace.trust.enabled": true, "security.workspace.trust.startupPrompt": "never", "security.workspace.trust.banner": "never" });
  require("fs").writeFileSync(f, JSON.stringify(s, null, 2));' "$STATE/ud/User/settings.json"
mkdir -p "$STATE/untrusted-ws"
ML_CS_TRUST=1 ml_cs_start "$STATE" "$PORT" "$STATE/code-server.log"
timeout 300 node "$ROOT/test/e2e/runSuiteInCodeServer.mjs" --base "http://127.0.0.1:$PORT" --folder "$STATE/untrusted-ws" \
  --extension "$ROOT" --suite "$ROOT/dist/test/restrictedSuite.js" --result "$ARTIFACTS/restricted.json" \
  --screenshot "$ARTIFACTS/restricted.png" --timeout 240 || true
node -e 'const r = require(process.argv[1]); console.log(`Restricted Mode: ${r.passed} passed, ${r.failed} failed`); process.exit(r.failed === 0 && r.passed > 0 ? 0 : 1)' "$ARTIFACTS/restricted.json"
