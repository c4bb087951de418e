#!/usr/bin/env bash
# Runs the engine locally on its embedded defaults (SQLite file under data/,
# in-memory cache) and publishes the demo site through the management API.
set -euo pipefail
cd "$(dirname "$0")/.."

mkdir -p data
key_file=data/.system-key
if [ -z "${FRONTBASE_SYSTEM_KEY:-}" ]; then
  # One key per checkout, kept across runs so the printed key stays valid.
  [ -s "$key_file" ] || (umask 077 && od -An -tx1 -N24 /dev/urandom | tr -d ' \n' > "$key_file")
  FRONTBASE_SYSTEM_KEY=$(cat "$key_file")
  export FRONTBASE_SYSTEM_KEY
fi
export PORT="${PORT:-3001}"
url="http://127.0.0.1:${PORT}"

bin/frontbase-server &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true' EXIT INT TERM

for _ in $(seq 1 100); do
  if curl -fsS -o /dev/null "$url/api/health" 2>/dev/null; then break; fi
  if ! kill -0 "$server" 2>/dev/null; then echo "the engine did not start (see the log above)" >&2; exit 1; fi
  sleep 0.1
done

bin/frontbase publish --url "$url" --settings scripts/demo/settings.json scripts/demo/pages

# The demo's workflows (the contact page's form and button run them).
for wf in scripts/demo/workflows/*.json; do
  if curl -fsS -o /dev/null -H "x-system-key: $FRONTBASE_SYSTEM_KEY" -H "Content-Type: application/json" \
      --data-binary "@$wf" "$url/api/deploy"; then
    echo "ok   $(basename "$wf")  workflow deployed"
  else
    echo "FAIL $(basename "$wf")  workflow not deployed" >&2
  fi
done

cat <<MSG

  Frontbase Edge is running at $url/
  Management key (x-system-key): $FRONTBASE_SYSTEM_KEY
  Try: curl -H "x-system-key: $FRONTBASE_SYSTEM_KEY" $url/api/manage/pages
  Press Ctrl-C to stop.

MSG
wait "$server"
