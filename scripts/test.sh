#!/usr/bin/env bash
# Sets up (packages + builds), then runs the whole test suite: the normal build's suites (engine,
# CLI, desktop app offscreen, packaging), the engine's suites again under ASan + UBSan, and the
# kernel-backend suites inside a VM booted from Debian's own kernel. Exits non-zero if anything
# fails.
set -euo pipefail
cd "$(dirname "$0")/.."
LOOPSNAP_ASAN=1 scripts/setup.sh
start=$(date +%s)
echo "== tests (RelWithDebInfo)"
ctest --test-dir build --output-on-failure -j2
echo "== engine tests under AddressSanitizer + UndefinedBehaviorSanitizer"
# The sanitizer pass runs the crash suites on a smaller sample: same states per point, fewer points.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  LOOPSNAP_CRASH_SANITIZER=1 ctest --test-dir build-asan --output-on-failure -j2
echo "== kernel backend: real dm targets in a VM"
bash scripts/test-kernel.sh
echo "== all tests passed in $(( $(date +%s) - start )) s"
