#!/usr/bin/env bash
# README command (1): installs what is missing, builds, and runs the main
# job on the bundled test PKI: ussl-server on a free loopback port, then
# ussl-client --cert-reqs required against it, printing the report.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh >/dev/null
BIN=build/apps
CERTS=certs
OUT="$(mktemp -d)"
trap 'kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; rm -rf "$OUT"' EXIT

"$BIN/ussl-server" --certfile "$CERTS/server-chain.pem" --keyfile "$CERTS/server.key" \
  --bind 127.0.0.1 --port 0 --accept 2 --json >"$OUT/server.jsonl" 2>"$OUT/server.log" &
SERVER_PID=$!
PORT=""
for _ in $(seq 1 100); do
  PORT="$(sed -n 's/.*"event":"listening".*"port":\([0-9]*\).*/\1/p' "$OUT/server.jsonl" | head -1)"
  [ -n "$PORT" ] && break
  sleep 0.05
done
[ -n "$PORT" ] || { echo "demo: ussl-server did not start:" >&2; cat "$OUT/server.log" >&2; exit 1; }

echo "== ussl-server listening on 127.0.0.1:$PORT (certs/server-chain.pem)"
echo "== ussl-client --host localhost --port $PORT --cert-reqs required --ca-certs certs/root-ca.pem --send 'hello, ussl'"
"$BIN/ussl-client" --host localhost --port "$PORT" --cert-reqs required --ca-certs "$CERTS/root-ca.pem" \
  --send "hello, ussl" --read-bytes 11
echo
echo "== the same connection as JSON (--json), with a client certificate:"
"$BIN/ussl-client" --host localhost --port "$PORT" --cert-reqs required --ca-certs "$CERTS/root-ca.pem" \
  --certfile "$CERTS/client-chain.pem" --keyfile "$CERTS/client.key" --send "ping" --read-bytes 4 --json
wait "$SERVER_PID"
SERVER_PID=""
echo "== server events:"
cat "$OUT/server.jsonl"
