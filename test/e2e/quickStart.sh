#!/usr/bin/env bash
# The README's main command, run the way a user runs it: `npm start` in a terminal (through npm, so
# npm's environment is exported to everything below it). Waits for the address it prints, loads
# that plain address in headless Chromium (test/e2e/startCheck.mjs: the folder, Model Lab's
# commands, a normal window title), then presses Ctrl-C (SIGINT to the terminal's foreground
# process group) and checks that npm start ended and left no code-server behind.
#   bash test/e2e/quickStart.sh            (CI runs it after `npm install`)
# Output: the `npm start` log in test-artifacts/quick-start.log, a screenshot beside it.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ART="$ROOT/test-artifacts"
mkdir -p "$ART"
LOG="$ART/quick-start.log"
TOOLS=${MODEL_LAB_TOOLS:-$HOME/.cache/model-lab-e2e}
T0=$(date +%s)
say() { echo "[quick-start $(( $(date +%s) - T0 ))s] $*"; }

# A terminal's foreground job: its own process group, so one SIGINT reaches npm and its children.
cd "$ROOT"
setsid bash -c 'echo $$ > "$0"; exec npm start' "$ART/quick-start.pid" > "$LOG" 2>&1 < /dev/null &
for _ in $(seq 1 50); do [ -s "$ART/quick-start.pid" ] && break; sleep 0.1; done
PGID=$(cat "$ART/quick-start.pid")
finish() { kill -KILL -- "-$PGID" 2>/dev/null || true; }
trap finish EXIT
say "npm start running (process group $PGID), log: $LOG"

URL=""
deadline=$(( $(date +%s) + 1500 )) # a fresh machine installs Debian packages, Node 24 and code-server first
while [ -z "$URL" ]; do
  URL=$(grep -Eo 'http://127\.0\.0\.1:[0-9]+/' "$LOG" | head -1 || true)
  if [ -z "$URL" ]; then
    if ! kill -0 -- "-$PGID" 2>/dev/null; then tail -40 "$LOG"; echo "npm start ended before printing an address" >&2; exit 1; fi
    if [ "$(date +%s)" -gt "$deadline" ]; then tail -40 "$LOG"; echo "npm start printed no address in time" >&2; exit 1; fi
    sleep 1
  fi
done
say "npm start prints $URL"

node "$ROOT/test/e2e/startCheck.mjs" --url "$URL" --folder "$ROOT/examples" --screenshot "$ART/quick-start.png"
say "the plain address shows examples/ with Model Lab"

# Ctrl-C: SIGINT to the foreground process group, as a terminal sends it.
kill -INT -- "-$PGID"
for _ in $(seq 1 60); do kill -0 -- "-$PGID" 2>/dev/null || break; sleep 0.5; done
if kill -0 -- "-$PGID" 2>/dev/null; then echo "npm start still running 30 s after Ctrl-C" >&2; exit 1; fi
left=$(pgrep -f "$TOOLS/start-profile" || true)
if [ -n "$left" ]; then ps -o pid,args -p $left >&2 || true; echo "Ctrl-C left processes of npm start behind" >&2; exit 1; fi
if curl -sf -o /dev/null "$URL/healthz"; then echo "$URL still answers after Ctrl-C" >&2; exit 1; fi
say "Ctrl-C stopped npm start and everything it started"
trap - EXIT
echo "quick start: 1 passed, 0 failed"
