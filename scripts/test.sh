#!/usr/bin/env bash
# Sets up (packages + builds), then runs the whole test suite: the normal build's suites (engine,
# CLI, desktop app offscreen, packaging), the engine's suites again under ASan + UBSan, and the
# kernel-backend suites inside a VM booted from Debian's own kernel. Exits non-zero if anything
# fails. Each phase prints how long it took.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
phase_start=$start
phase() {  # NAME: closes the previous phase with its duration, opens NAME
  local now; now=$(date +%s)
  [ -n "${PHASE:-}" ] && echo "== $PHASE took $(( now - phase_start )) s"
  PHASE=$1; phase_start=$now
  [ -n "$1" ] && echo "== $1"
  return 0
}
phase "packages"
LOOPSNAP_SETUP_NO_BUILD=1 scripts/setup.sh
# The VM's kernel, its dm-clone.ko and initramfs (downloads, one small module build) are made in
# the background while the project compiles; the VM phase below waits for them.
mkdir -p build
LOOPSNAP_KERNEL_PREPARE_ONLY=1 bash scripts/test-kernel.sh > build/kernel-prepare.log 2>&1 &
kernel_prepare=$!
phase "builds (RelWithDebInfo, then ASan + UBSan)"
LOOPSNAP_ASAN=1 scripts/setup.sh
phase "tests (RelWithDebInfo)"
ctest --test-dir build --output-on-failure -j2
phase "engine tests under AddressSanitizer + UndefinedBehaviorSanitizer"
# The sanitizer pass runs the crash suites on a smaller sample: same states per point, fewer points.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  LOOPSNAP_CRASH_SANITIZER=1 ctest --test-dir build-asan --output-on-failure -j2
phase "kernel backend: real dm targets in a VM"
# A failed background preparation is not fatal here: test-kernel.sh redoes what is not cached.
wait "$kernel_prepare" || { echo "kernel preparation in the background failed (retried now):"; tail -5 build/kernel-prepare.log; }
bash scripts/test-kernel.sh
phase ""
echo "== all tests passed in $(( $(date +%s) - start )) s"
