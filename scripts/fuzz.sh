#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan), records seed corpora from
# real handshakes, and runs each target for SECONDS (default 30).
#   scripts/fuzz.sh            # the bounded run the test command does
#   scripts/fuzz.sh 3600       # a longer campaign
# A crash leaves its input in build-fuzz/artifacts/<target>/; copy it into
# tests/fuzz/regressions/<target>/ once fixed, so ctest replays it forever.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET="${1:-30}"
./scripts/setup.sh
./scripts/fetch-wolfssl-source.sh >/dev/null
if ! dpkg-query -W -f='${Status}' clang libclang-rt-14-dev 2>/dev/null | grep -c "install ok installed" | grep -q 2; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends clang libclang-rt-14-dev
fi
cmake --preset fuzz >/dev/null
cmake --build build-fuzz -j "$(nproc)"
CORPUS=build-fuzz/corpus
./build-fuzz/tests/fuzz/record_seeds "$CORPUS" >/dev/null
mkdir -p "$CORPUS/fuzz_cli_parsers"
printf '%s\n' 'verify.result=ok' 'connections.1.resumed=true' 'peer_certificate.subject=CN=localhost' \
  'a.example:certs/server-chain.pem:certs/server.key' '[::1]' '127.0.0.1' \
  'TLS_AES_128_GCM_SHA256:TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256' 'TLS13-AES128-GCM-SHA256' \
  > "$CORPUS/fuzz_cli_parsers/seed-1"
export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
status=0
for target in fuzz_load_files fuzz_server_handshake fuzz_client_handshake fuzz_cli_parsers; do
  mkdir -p "$CORPUS/$target" "build-fuzz/artifacts/$target"
  echo "fuzz: $target for ${SECONDS_PER_TARGET}s" >&2
  if ! ./build-fuzz/tests/fuzz/$target "$CORPUS/$target" -max_total_time="$SECONDS_PER_TARGET" \
       -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
       -artifact_prefix="build-fuzz/artifacts/$target/" 2> "build-fuzz/$target.log"; then
    echo "fuzz: $target FAILED; see build-fuzz/$target.log and build-fuzz/artifacts/$target/" >&2
    tail -40 "build-fuzz/$target.log" >&2
    status=1
  else
    grep -E "stat::number_of_executed_units|cov:" "build-fuzz/$target.log" | tail -2 >&2
  fi
done
# Replay the regression inputs.
ctest --test-dir build-fuzz --output-on-failure || status=1
exit $status
