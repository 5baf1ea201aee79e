#!/usr/bin/env bash
# README command (1): installs what is missing, builds, and runs the main
# job on the bundled test PKI: ussl-server on a free loopback port asking
# every client for a certificate (--cert-reqs optional), then ussl-client
# --cert-reqs required against it twice (without and with a client
# certificate), printing both sides' verdicts.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh >/dev/null
BIN=build/apps
CERTS=certs
OUT="$(mktemp -d)"
trap 'kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; rm -rf "$OUT"' EXIT

"$BIN/ussl-server" --certfile "$CERTS/server-chain.pem" --keyfile "$CERTS/server.key" \
  --cert-reqs optional --ca-certs "$CERTS/root-ca.pem" \
  --bind 127.0.0.1 --port 0 --accept 2 --json >"$OUT/server.jsonl" 2>"$OUT/server.log" &
SERVER_PID=$!
PORT=""
for _ in $(seq 1 100); do
  PORT="$(sed -n 's/.*"event":"listening".*"port":\([0-9]*\).*/\1/p' "$OUT/server.jsonl" | head -1)"
  [ -n "$PORT" ] && break
  sleep 0.05
done
[ -n "$PORT" ] || { echo "demo: ussl-server did not start:" >&2; cat "$OUT/server.log" >&2; exit 1; }

echo "== ussl-server listening on 127.0.0.1:$PORT (certs/server-chain.pem), asking clients for a certificate"
echo "   (--cert-reqs optional --ca-certs certs/root-ca.pem: a client without one is still served)"
echo "== ussl-client --host localhost --port $PORT --cert-reqs required --ca-certs certs/root-ca.pem --send 'hello, ussl'"
"$BIN/ussl-client" --host localhost --port "$PORT" --cert-reqs required --ca-certs "$CERTS/root-ca.pem" \
  --send "hello, ussl" --read-bytes 11
echo
echo "== the same connection as JSON (--json), with a client certificate:"
"$BIN/ussl-client" --host localhost --port "$PORT" --cert-reqs required --ca-certs "$CERTS/root-ca.pem" \
  --certfile "$CERTS/client-chain.pem" --keyfile "$CERTS/client.key" --send "ping" --read-bytes 4 --json \
  | tee "$OUT/client.json"
wait "$SERVER_PID"
SERVER_PID=""
echo "== server events (JSON lines):"
cat "$OUT/server.jsonl"
echo
echo "== both sides' verdicts, from the JSON above:"
python3 - "$OUT/client.json" "$OUT/server.jsonl" <<'PY'
import json, sys
client = json.load(open(sys.argv[1]))
v = client["verify"]
print("client, connection 2: server certificate %s for %s -> verify %s" % (
    client["peer_certificate"]["subject"], v["hostname"], v["result"]))
for line in open(sys.argv[2]):
    event = json.loads(line)
    if event.get("event") != "handshake":
        continue
    v = event["verify"]
    peer = event["peer_certificate"]
    if peer is None:
        print("server, connection %s: no client certificate sent -> not checked (--cert-reqs optional allows it)"
              % event["conn"])
    else:
        print("server, connection %s: client certificate %s -> verify %s" % (event["conn"], peer["subject"],
                                                                              v["result"]))
PY
