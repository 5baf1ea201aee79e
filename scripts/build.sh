#!/usr/bin/env bash
# Configures and builds into build/ (idempotent, incremental) with the tuned
# wolfSSL (Debian's source package, fetched once into ~/.cache/ussl and
# built once). USSL_WOLFSSL=system builds against Debian's libwolfssl instead.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
WOLFSSL="${USSL_WOLFSSL:-tuned}"
[ "$WOLFSSL" = tuned ] && ./scripts/fetch-wolfssl-source.sh >/dev/null
# The interop peers newer than Debian 12's (OpenSSL 3.5, curl from trixie): cached after the
# first run. Without them the build still works; the interop cells that need them fail naming them.
./scripts/fetch-peers.sh >/dev/null || echo "build: scripts/fetch-peers.sh failed: no OpenSSL 3.5 peer" >&2
cmake --preset release -DUSSL_WOLFSSL="$WOLFSSL" >/dev/null
cmake --build build -j "$(nproc)"
