#!/usr/bin/env bash
# README command (2): installs what is missing, builds, runs every test:
#  1. the default build (tuned wolfSSL): unit, program, fault and doc tests;
#  2. the same suite on Debian's system libwolfssl, under ASan + UBSan;
#  3. the program and fault tests again under ThreadSanitizer (ussl-server runs
#     one event loop per thread; the tests run it with up to four);
#  4. a bounded fuzzing run (30 s per target) plus the crash regressions.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh
ctest --test-dir build --output-on-failure --timeout 600 -j 2

cmake --preset asan-ubsan >/dev/null
cmake --build build-asan -j "$(nproc)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure --timeout 900 -j 2

cmake --preset tsan >/dev/null
cmake --build build-tsan -j "$(nproc)" --target ussl-server ussl-client ussl-bench
# GCC 12's TSan cannot start on kernels with high mmap randomization
# (vm.mmap_rnd_bits > 28): say so plainly and skip only in that case.
if tsan_probe="$(build-tsan/apps/ussl-server --version 2>&1 >/dev/null)" ||
   ! grep -q "unexpected memory mapping" <<<"$tsan_probe"; then
  TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
    ctest --test-dir build-tsan --output-on-failure --timeout 900 -j 2 -L 'apps|faults'
else
  echo "test.sh: SKIPPED the ThreadSanitizer stage: TSan cannot map its shadow memory on this kernel" >&2
  echo "test.sh: ($tsan_probe); sysctl vm.mmap_rnd_bits=28 enables it" >&2
fi

./scripts/fuzz.sh 30
