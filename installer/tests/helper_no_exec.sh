#!/usr/bin/env bash
# loopsnap-helper never runs another program: its executable imports none of the C library's
# ways to start one (system, popen, the exec family, posix_spawn, fork) and no QProcess.
#   helper_no_exec.sh LOOPSNAP_HELPER
set -uo pipefail
bin=$1
command -v nm >/dev/null || { echo "FAIL: nm missing (package binutils)"; exit 1; }
found=$(nm -D --undefined-only "$bin" | awk '{print $NF}' | sed 's/@.*//' |
        grep -xE 'system|popen|execv|execve|execvp|execvpe|execl|execle|execlp|fexecve|posix_spawn|posix_spawnp|fork|vfork|clone3?')
qprocess=$(nm -DC --undefined-only "$bin" | grep -c 'QProcess')
if [ -n "$found" ] || [ "$qprocess" != 0 ]; then
  echo "FAIL: $bin imports: $found $( [ "$qprocess" != 0 ] && echo QProcess)"
  exit 1
fi
echo "loopsnap-helper starts no programs: ok"
