#!/usr/bin/env bash
# `npm run test:e2e` (which builds first): Model Lab in a real VS Code, here code-server 1.139 driven
# by headless Chromium.
#   1. scripts/setup-e2e.sh (apt packages, Node 24, code-server; quick when already done)
#   2. package the extension with vsce (production dependencies inside the .vsix) and install it
#      into a fresh code-server profile
#   3. start code-server on a free 127.0.0.1 port
#   4. (a) the integration suite inside code-server's extension host, Model Lab loaded from this
#      working tree, on a copy of test/fixtures/workspace
#      (b) the UI test on a copy of examples/ with the packaged extension: palette -> Train ->
#      chart plots -> Stop -> stopped, run folder checked, screenshots; two spiral runs trained and
#      compared ("Compare Runs…"), screenshots in light, dark and both high-contrast themes
#      (c) code-server again with `--locale zh-cn`: the zh-cn part of the integration suite, then the
#      UI test's zh-cn part (palette, Runs view, panel, compare pane in Chinese, screenshots)
#   5. stop code-server and remove its state (trap)
# MODEL_LAB_VSIX=path/to.vsix tests that package instead of packaging the working tree;
# E2E_DEBUG_DIR=dir keeps a screenshot of every failed command-palette attempt.
# Artifacts (screenshots, logs, result JSON, run folders): test-artifacts/e2e/
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ARTIFACTS="$ROOT/test-artifacts/e2e"
# npm's environment must not reach the tool installs, code-server or the trainers it starts.
source "$ROOT/scripts/lib/cleanNpmEnv.sh"
ml_clean_npm_env
source "$ROOT/test/e2e/codeServer.sh"
T0=$(date +%s)
step() { echo "[e2e $(( $(date +%s) - T0 ))s] $*"; }

rm -rf "$ARTIFACTS" && mkdir -p "$ARTIFACTS"
bash "$ROOT/scripts/setup-e2e.sh"
ml_cs_check_installed
for f in dist/extension.js dist/trainer.js dist/test/suite.js; do
  [ -f "$ROOT/$f" ] || { echo "$ROOT/$f is missing: run \`npm run build\` first" >&2; exit 1; }
done

# A short path: code-server's IPC sockets live under STATE/tmp and socket paths max out at 107 bytes.
STATE=$(mktemp -d /tmp/model-lab-e2e-XXXXXX)
cleanup() {
  local rc=$?
  ml_cs_stop
  [ -f "$STATE/code-server.log" ] && cp "$STATE/code-server.log" "$ARTIFACTS/" || true
  [ -f "$STATE/code-server-zh-cn.log" ] && cp "$STATE/code-server-zh-cn.log" "$ARTIFACTS/" || true
  [ -d "$STATE/ud/logs" ] && cp -r "$STATE/ud/logs" "$ARTIFACTS/vscode-logs" || true
  for ws in fixture-ws examples-ws fixture-zh-ws; do
    [ -d "$STATE/$ws/.modellab/runs" ] && mkdir -p "$ARTIFACTS/runs" && cp -r "$STATE/$ws/.modellab/runs" "$ARTIFACTS/runs/$ws" || true
  done
  rm -rf "$STATE"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -n "${MODEL_LAB_VSIX:-}" ]; then # e.g. the output of `npm run package`
  cp "$MODEL_LAB_VSIX" "$STATE/model-lab.vsix"
  step "using $MODEL_LAB_VSIX"
else
  step "packaging the extension (vsce, with its production dependencies)"
  (cd "$ROOT" && npx --no-install vsce package --out "$STATE/model-lab.vsix") > "$ARTIFACTS/package.log" 2>&1 \
    || { tail -40 "$ARTIFACTS/package.log"; echo "vsce package failed (log: $ARTIFACTS/package.log)" >&2; exit 1; }
  step "packaged $(du -h "$STATE/model-lab.vsix" | cut -f1) $(grep -Eo '[0-9]+ files' "$ARTIFACTS/package.log" | tail -1)"
fi

PORT=$(ml_free_port)
ml_cs_profile "$STATE" "$PORT"
ml_cs_install "$STATE" "$STATE/model-lab.vsix" > "$ARTIFACTS/install.log" 2>&1 \
  || { cat "$ARTIFACTS/install.log"; exit 1; }
step "installed into a fresh profile"

# Temporary copies, so runs written by the tests never land in the repository.
mkdir -p "$STATE/fixture-ws" "$STATE/examples-ws"
cp -r "$ROOT/test/fixtures/workspace/." "$STATE/fixture-ws/"
(cd "$ROOT/examples" && tar cf - --exclude=.modellab --exclude=node_modules .) | (cd "$STATE/examples-ws" && tar xf -)

ml_cs_start "$STATE" "$PORT" "$STATE/code-server.log"
BASE="http://127.0.0.1:$PORT"
step "code-server up at $BASE (pid $ML_CS_PID)"

passed=0 failed=0
tally() { # tally RESULT_JSON: adds its counts; a missing file counts as one failure
  local counts
  counts=$(node -e 'try { const r = require(process.argv[1]); console.log(`${r.passed} ${r.failed}`) } catch { console.log("0 1") }' "$1")
  passed=$(( passed + ${counts% *} )); failed=$(( failed + ${counts#* } ))
}

step "(a) integration suite in code-server's extension host"
timeout 900 node "$ROOT/test/e2e/runSuiteInCodeServer.mjs" --base "$BASE" --folder "$STATE/fixture-ws" \
  --extension "$ROOT" --suite "$ROOT/dist/test/suite.js" --result "$ARTIFACTS/integration.json" \
  --screenshot "$ARTIFACTS/integration.png" --timeout 780 || true
tally "$ARTIFACTS/integration.json"

step "(b) UI test: palette -> Train -> chart -> Stop; two runs compared"
timeout 600 node "$ROOT/test/e2e/uiTest.mjs" --base "$BASE" --workspace "$STATE/examples-ws" \
  --artifacts "$ARTIFACTS" --result "$ARTIFACTS/ui.json" || true
tally "$ARTIFACTS/ui.json"

# (c) The same editor in Simplified Chinese: code-server again, with `--locale zh-cn` (as a config
# key). VS Code takes a display language only from an installed language pack, and Microsoft's
# cannot be downloaded here, so test/e2e/zhCnLanguagePack is a test double of it: it contributes
# zh-cn and translates none of VS Code's own strings (the workbench stays English; Model Lab's own
# strings must be Chinese). code-server's `--install-extension` does not register a language pack
# the way installing one in a running VS Code does, so its entry in languagepacks.json (VS Code's
# own list of installed packs in the user-data folder) is written here.
step "(c) zh-cn: restarting code-server with --locale zh-cn and a zh-cn language pack (test double)"
ml_cs_stop
mkdir -p "$STATE/zh-cn-pack"
cp -r "$ROOT/test/e2e/zhCnLanguagePack/." "$STATE/zh-cn-pack/" && cp "$ROOT/LICENSE" "$STATE/zh-cn-pack/"
(cd "$STATE/zh-cn-pack" && node "$ROOT/node_modules/@vscode/vsce/vsce" package --no-dependencies --out "$STATE/zh-cn-pack.vsix") >> "$ARTIFACTS/package.log" 2>&1 \
  || { tail -20 "$ARTIFACTS/package.log"; echo "packaging the zh-cn language pack failed" >&2; exit 1; }
ml_cs_install "$STATE" "$STATE/zh-cn-pack.vsix" >> "$ARTIFACTS/install.log" 2>&1 || { cat "$ARTIFACTS/install.log"; exit 1; }
PACK_DIR=$(ls -d "$STATE"/ext/model-lab-test.model-lab-test-language-pack-zh-cn-*)
node -e '
  const [file, dir] = process.argv.slice(1);
  const version = require(dir + "/package.json").version;
  require("fs").writeFileSync(file, JSON.stringify({ "zh-cn": {
    hash: "model-lab-test-" + version, label: "中文(简体)",
    extensions: [{ extensionIdentifier: { id: "model-lab-test.model-lab-test-language-pack-zh-cn" }, version }],
    translations: { vscode: dir + "/translations/main.i18n.json" } } }));' "$STATE/ud/languagepacks.json" "$PACK_DIR"
echo 'locale: zh-cn' >> "$STATE/config.yaml"
mkdir -p "$STATE/fixture-zh-ws" && cp -r "$ROOT/test/fixtures/workspace/." "$STATE/fixture-zh-ws/"
ml_cs_start "$STATE" "$PORT" "$STATE/code-server-zh-cn.log"
step "code-server up in zh-cn (pid $ML_CS_PID)"

step "(c1) the zh-cn part of the integration suite"
timeout 400 node "$ROOT/test/e2e/runSuiteInCodeServer.mjs" --base "$BASE" --folder "$STATE/fixture-zh-ws" \
  --extension "$ROOT" --suite "$ROOT/dist/test/suite.js" --result "$ARTIFACTS/zh-cn-integration.json" \
  --screenshot "$ARTIFACTS/zh-cn-integration.png" --timeout 300 --env MODEL_LAB_SUITE=zh-cn || true
tally "$ARTIFACTS/zh-cn-integration.json"

step "(c2) UI test in zh-cn: palette, Runs view, panel, compare (on the runs (b) left)"
timeout 400 node "$ROOT/test/e2e/uiTest.mjs" --base "$BASE" --workspace "$STATE/examples-ws" \
  --artifacts "$ARTIFACTS" --result "$ARTIFACTS/ui-zh-cn.json" --only zh-cn || true
tally "$ARTIFACTS/ui-zh-cn.json"

step "done; artifacts in $ARTIFACTS"
echo "E2E: $passed passed, $failed failed"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
