#!/usr/bin/env bash
# README command (2): installs what is missing, builds, runs every test —
# once on the normal build, once under AddressSanitizer + UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh
ctest --test-dir build --output-on-failure --timeout 600 -j 2

cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DUSSL_SANITIZE=ON >/dev/null
cmake --build build-asan -j "$(nproc)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure --timeout 900 -j 2

# Bounded fuzzing (issue 6): each target 30 s, plus the crash regressions.
./scripts/fuzz.sh 30
