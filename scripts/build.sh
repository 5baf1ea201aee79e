#!/usr/bin/env bash
# Configures and builds into build/ (idempotent, incremental) with the tuned
# wolfSSL (Debian's source package, fetched once into ~/.cache/ussl and
# built once). USSL_WOLFSSL=system builds against Debian's libwolfssl instead.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
WOLFSSL="${USSL_WOLFSSL:-tuned}"
[ "$WOLFSSL" = tuned ] && ./scripts/fetch-wolfssl-source.sh >/dev/null
cmake --preset release -DUSSL_WOLFSSL="$WOLFSSL" >/dev/null
cmake --build build -j "$(nproc)"
