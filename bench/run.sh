#!/usr/bin/env bash
# bench/run.sh [--json] [FIGURE ...]: each figure measured beside its peer in the same run
# (cli-contract.md, Benchmarks). Prints a markdown table (figure, ours, peer, ratio, target,
# met) or, with --json, one object per figure; writes docs/benchmarks.md either way.
#
# Every figure runs BENCH_REPEAT times (default 3) on freshly made files and reports medians;
# ours and the peer run on the same files in the same folder (BENCH_DIR, default /var/tmp: a real
# disk, not tmpfs). BENCH_MIB sets the image size (default 256).
#
# Ratio: how many times better ours is (peer time / our time for durations, ours / peer for
# rates, peer / ours for sizes); the target is on that ratio, except where `unit` says a bound
# (latency ratio ≤ 2, memory ≤ 16 B).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
JSON=0
FIGS=()
for a in "$@"; do
  case $a in
    --json) JSON=1 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) FIGS+=("$a") ;;
  esac
done
ALL=(cow-first-write-qd16 cow-first-write-qd1 rewrite snapshot-read hydration-64k hydration-1m hydration-read-p99 merge memory activation nbd-write dashboard)
[ ${#FIGS[@]} -gt 0 ] || FIGS=("${ALL[@]}")

[ -x build/app/loopsnapctl/loopsnapctl ] || scripts/setup.sh >&2
CTL=$ROOT/build/app/loopsnapctl/loopsnapctl
EB=$ROOT/build/bench/engine_bench
REPEAT=${BENCH_REPEAT:-3}
MIB=${BENCH_MIB:-256}
W=$(mktemp -d "${BENCH_DIR:-/var/tmp}/loopsnap-bench-XXXXXX")
export LOOPSNAP_WORKSPACE=$W/workspace
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$W"; }
trap cleanup EXIT
log() { echo "bench: $*" >&2; }

now() { date +%s.%N; }
elapsed() { local t0; t0=$(now); "$@" >/dev/null 2>&1 || { log "failed: $*"; return 1; }; awk -v a="$t0" -v b="$(now)" 'BEGIN {printf "%.3f\n", b - a}'; }
median() { sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
wait_nbd() { for _ in $(seq 100); do nbdinfo --size "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done; log "no NBD server at $1"; return 1; }
# start CMD...: runs a server in the background of this shell (not a subshell, so that stop can
# wait for it to exit and release its files); its pid is in $LASTPID.
start() { "$@" >/dev/null 2>&1 & LASTPID=$!; PIDS+=("$LASTPID"); }
stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

base_image() { [ -f "$W/base.img" ] || head -c "${MIB}M" /dev/urandom > "$W/base.img"; }

# An origin with one 64 KiB-chunk snapshot, served by loopsnapctl: o = origin, s = snapshot.
serve_ours() {
  rm -f "$W"/o.img "$W"/s.cow* "$W"/o.img.loopsnap* "$W/ours.sock"*
  cp "$W/base.img" "$W/o.img"
  "$CTL" snapshot create --origin "$W/o.img" --cow "$W/s.cow" --cow-size "$((MIB + MIB / 8 + 8))M" --chunk 64K >/dev/null
  start "$CTL" serve --socket "$W/ours.sock" --export "o=origin:$W/o.img:$W/s.cow" --export "s=snapshot:$W/o.img:$W/s.cow"; OURS=$LASTPID
  wait_nbd "nbd+unix:///o?socket=$W/ours.sock"
}
# qemu-nbd serving a qcow2 overlay (64 KiB clusters) of the same image.
serve_qemu() {
  rm -f "$W/ov.qcow2" "$W/qemu.sock"
  qemu-img create -q -f qcow2 -F raw -b "$W/base.img" -o cluster_size=65536 "$W/ov.qcow2"
  start qemu-nbd -t -k "$W/qemu.sock" -f qcow2 -x o "$W/ov.qcow2"; PEER=$LASTPID
  wait_nbd "nbd+unix:///o?socket=$W/qemu.sock"
}
# nbdkit's file plugin on a plain copy of the image.
serve_nbdkit() {
  rm -f "$W/nbdkit.sock"; cp "$W/base.img" "$W/plain.img"
  start nbdkit -f --unix "$W/nbdkit.sock" file "$W/plain.img"; PEER=$LASTPID
  wait_nbd "nbd+unix:///?socket=$W/nbdkit.sock"
}
writes() { echo $((MIB * 16)); }  # one 4 KiB write per 64 KiB chunk of the image
qbench() { qemu-img bench -f raw -w -c "$(writes)" -d "$1" -s 4k -S 65536 "$2"; }

# Each figure prints: OURS PEER UNIT RATIO TARGET MET   (one run; medians are taken outside)
ratio_ge() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN {r = (b > 0) ? a / b : 0; printf "%.3f %s %s\n", r, "≥" t, (r >= t) ? "yes" : "no"}'; }
ratio_le() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN {r = (b > 0) ? a / b : 0; printf "%.3f %s %s\n", r, "≤" t, (r <= t) ? "yes" : "no"}'; }
# For the activation figure the ratio is our time ÷ the peer's (the target is "at most 1.5× one read").

fig_cow_first_write() {  # $1 = queue depth
  local d=$1 ours peer
  base_image; serve_ours; ours=$(elapsed qbench "$d" "nbd+unix:///o?socket=$W/ours.sock"); stop "$OURS"
  serve_qemu; peer=$(elapsed qbench "$d" "nbd+unix:///o?socket=$W/qemu.sock"); stop "$PEER"
  local target=1.5; [ "$d" = 1 ] && target=1.0
  echo "$ours $peer s $(ratio_ge "$peer" "$ours" $target)"
}
fig_cow_first_write_qd16() { fig_cow_first_write 16; }
fig_cow_first_write_qd1() { fig_cow_first_write 1; }
fig_rewrite() {
  local ours peer
  base_image; serve_ours; qbench 16 "nbd+unix:///o?socket=$W/ours.sock" >/dev/null
  ours=$(elapsed qbench 16 "nbd+unix:///o?socket=$W/ours.sock"); stop "$OURS"
  serve_nbdkit; peer=$(elapsed qbench 16 "nbd+unix:///?socket=$W/nbdkit.sock"); stop "$PEER"
  echo "$ours $peer s $(ratio_ge "$peer" "$ours" 0.95)"
}
fig_snapshot_read() {  # half the chunks copied, half read from the origin
  local ours peer
  base_image; serve_ours
  qemu-img bench -f raw -w -c "$(( $(writes) / 2 ))" -d 16 -s 4k -S 131072 "nbd+unix:///o?socket=$W/ours.sock" >/dev/null
  ours=$(elapsed nbdcopy "nbd+unix:///s?socket=$W/ours.sock" null:); stop "$OURS"
  serve_nbdkit; peer=$(elapsed nbdcopy "nbd+unix:///?socket=$W/nbdkit.sock" null:); stop "$PEER"
  echo "$ours $peer s $(ratio_ge "$peer" "$ours" 1.0)"
}
fig_hydration() {  # $1 = region size, $2 threshold, $3 batch
  local ours peer
  base_image; rm -f "$W/d.img" "$W/c.meta" "$W/cp.img"
  "$CTL" clone create --source "$W/base.img" --dest "$W/d.img" --meta "$W/c.meta" --region "$1" >/dev/null
  ours=$(elapsed "$CTL" clone hydrate --meta "$W/c.meta" --threshold "$2" --batch "$3")
  peer=$(elapsed sh -c "cp '$W/base.img' '$W/cp.img' && sync '$W/cp.img'")
  echo "$ours $peer s $(ratio_ge "$peer" "$ours" 0.95)"
}
fig_hydration_64k() { fig_hydration 64K 64 16; }
fig_hydration_1m() { fig_hydration 1M 4 1; }
fig_merge() {
  local ours peer chunks
  base_image; serve_ours; qbench 16 "nbd+unix:///o?socket=$W/ours.sock" >/dev/null; stop "$OURS"
  chunks=$("$CTL" --json snapshot status --cow "$W/s.cow" | sed -n 's/.*"exceptions":\([0-9]*\).*/\1/p')
  ours=$(elapsed "$CTL" merge --origin "$W/o.img" --cow "$W/s.cow")
  cp "$W/base.img" "$W/o2.img"
  peer=$(elapsed dd if="$W/s.cow" of="$W/o2.img" bs=64K skip=2 count="$chunks" conv=notrunc,fsync)
  echo "$ours $peer s $(ratio_ge "$peer" "$ours" 0.95)"
}
# Memory: the target is a bound on ours (≤ 16 B); the ratio says how many times smaller than the peer.
fig_memory() { local r; r=$("$EB" memory 1000000); set -- $r; awk -v o="$2" -v p="$3" 'BEGIN {printf "%s %s B %.3f ≤16B %s\n", o, p, p / o, (o <= 16) ? "yes" : "no"}'; }
# Foreground read p99 during hydration: the ratio is ours ÷ the paused peer's (bound ≤ 2).
fig_hydration_read_p99() { local r; r=$("$EB" hydration-read "$W" "$MIB" 2>/dev/null); set -- $r; echo "$2 $3 ms $(ratio_le "$2" "$3" 2)"; }
fig_activation() { local r; r=$("$EB" activation "$W" 1000000); set -- $r; echo "$2 $3 s $(ratio_le "$2" "$3" 1.5)"; }
fig_nbd_write() {
  local ours peer
  base_image; serve_ours; nbdcopy "$W/base.img" "nbd+unix:///o?socket=$W/ours.sock"
  ours=$(elapsed nbdcopy "$W/base.img" "nbd+unix:///o?socket=$W/ours.sock"); stop "$OURS"
  serve_nbdkit; peer=$(elapsed nbdcopy "$W/base.img" "nbd+unix:///?socket=$W/nbdkit.sock"); stop "$PEER"
  echo "$ours $peer s $(ratio_ge "$peer" "$ours" 1.0)"
}
# The dashboard group measures several figures in one offscreen run (bench/dashboard/) and does
# its own repeats (--runs); it prints one flat JSON object per figure, turned into rows below.
dashboard_json() {
  [ -x "$ROOT/build/bench/bench_dashboard" ] || ninja -C "$ROOT/build" -j2 bench_dashboard >&2
  QT_QPA_PLATFORM=offscreen "$ROOT/build/bench/bench_dashboard" --runs "$REPEAT" --seconds "${BENCH_SECONDS:-5}" | grep '^{'
}
field() { sed -E 's/.*"'"$1"'":("([^"]*)"|([^,}]*)).*/\2\3/'; }

declare -A WHY=(
  [cow-first-write-qd16]="4 KiB writes, one per fresh 64 KiB chunk, 16 in flight (qemu-img bench) over NBD to an origin with one snapshot; peer: qemu-nbd serving a qcow2 overlay with 64 KiB clusters"
  [cow-first-write-qd1]="the same at queue depth 1"
  [rewrite]="the same writes again, all chunks already copied; peer: nbdkit file on a plain copy"
  [snapshot-read]="nbdcopy of the snapshot to null, half its chunks copied; peer: nbdkit file"
  [hydration-64k]="clone hydrate of the image, 64 KiB regions (threshold 64, batch 16); peer: cp + sync of the same bytes"
  [hydration-1m]="the same with 1 MiB regions (threshold 4)"
  [hydration-read-p99]="p99 latency of random 4 KiB reads of a clone (64 KiB regions, threshold 64, batch 16) while background hydration runs (engine_bench, in-process); peer: the same reads with hydration paused; ratio = ours ÷ peer, bound ≤ 2"
  [merge]="merge (rollback) of every chunk written by the first-write figure; peer: dd of the same bytes with conv=fsync"
  [memory]="bytes per exception of the exception table at 1,000,000 exceptions in random order; peer: the kernel's 32-byte struct dm_exception (its hash buckets come on top)"
  [activation]="open of a 1,000,000-exception store (4 KiB chunks, 3,907 metadata areas), page cache dropped; peer: one sequential pread pass over the same metadata chunks"
  [nbd-write]="nbdcopy of the image onto the origin export, chunks already copied; peer: nbdkit file"
  [dashboard]="the hydration dashboard offscreen at 1,000,000 regions of 64 KiB with 100,000 engine events per second pushed into a real EventRing by another thread, drained by the 60 Hz frame timer; frame time is the GUI thread's busy time per frame, as wall time and as thread CPU time (wall time includes preemption on a loaded machine); peer: the 16.7 ms frame budget. Memory: one byte per region plus one per pixel bin. Input: a mouse move over the map every 20 ms, posted to handled, p99"
)

ROWS=()
for f in "${FIGS[@]}"; do
  if [ "$f" = dashboard ]; then
    log "dashboard ..."
    while IFS= read -r line; do
      ROWS+=("$(field figure <<<"$line")|$(field ours <<<"$line")|$(field peer <<<"$line")|$(field unit <<<"$line")|$(field ratio <<<"$line")|$(field target <<<"$line")|$( [ "$(field met <<<"$line")" = true ] && echo yes || echo no)")
    done < <(dashboard_json)
    continue
  fi
  fn=fig_${f//-/_}
  declare -F "$fn" >/dev/null || { log "unknown figure $f (known: ${ALL[*]})"; exit 2; }
  log "$f ..."
  runs=()
  for _ in $(seq "$REPEAT"); do runs+=("$($fn)"); [ "$f" = dashboard ] && break; done
  ours=$(printf '%s\n' "${runs[@]}" | awk '{print $1}' | median)
  peer=$(printf '%s\n' "${runs[@]}" | awk '{print $2}' | median)
  unit=$(echo "${runs[0]}" | awk '{print $3}')
  ratio=$(printf '%s\n' "${runs[@]}" | awk '{print $4}' | median)
  target=$(echo "${runs[0]}" | awk '{print $5}')
  # met: on the median ratio; a bound on ours (target ending in the unit, e.g. ≤16B) on the median of ours.
  met=$(awk -v r="$ratio" -v o="$ours" -v t="$target" -v u="$unit" 'BEGIN { v = substr(t, length("≥") + 1) + 0;
        x = (u != "" && substr(t, length(t) - length(u) + 1) == u) ? o : r;
        if (t ~ /^≥/) print (x >= v) ? "yes" : "no"; else print (x <= v) ? "yes" : "no" }')
  [ "$ratio" = "-" ] && met=no
  ROWS+=("$f|$ours|$peer|$unit|$ratio|$target|$met")
done

table() {
  echo "| figure | ours | peer | unit | ratio | target | met |"
  echo "|---|---|---|---|---|---|---|"
  for r in "${ROWS[@]}"; do IFS='|' read -r f o p u ra t m <<<"$r"; echo "| $f | $o | $p | $u | $ra | $t | $m |"; done
}
if [ "$JSON" = 1 ]; then
  for r in "${ROWS[@]}"; do IFS='|' read -r f o p u ra t m <<<"$r"
    printf '{"figure":"%s","ours":%s,"peer":%s,"unit":"%s","ratio":%s,"target":"%s","met":%s}\n' \
      "$f" "${o/-/null}" "${p/-/null}" "$u" "${ra/-/null}" "$t" "$([ "$m" = yes ] && echo true || echo false)"
  done
else
  table
fi
{
  echo "# Benchmarks"
  echo
  echo "Written by \`bash bench/run.sh\` on $(date -u +%Y-%m-%d) — $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r), files in ${BENCH_DIR:-/var/tmp} ($(df -T "$W" | awk 'NR==2 {print $2}')); medians of $REPEAT runs, ${MIB} MiB images."
  echo "Ratio: how many times better ours is than the peer (peer time ÷ our time; for memory peer bytes ÷ our bytes, and the target bounds our bytes; for activation and hydration-read-p99 our time ÷ the peer's, bounded)."
  echo
  echo "The machine is shared: other agents were building (compilers on both cores) during this run, so absolute times are noisy; compare the ratios."
  echo
  table
  echo
  echo "## What each figure measures"
  for f in "${FIGS[@]}"; do echo "- **$f**: ${WHY[$f]}"; done
} > "$ROOT/docs/benchmarks.md.new"
# A partial run (named figures) keeps the full table of the last full run.
if [ ${#FIGS[@]} -eq ${#ALL[@]} ] || [ ! -f "$ROOT/docs/benchmarks.md" ]; then mv "$ROOT/docs/benchmarks.md.new" "$ROOT/docs/benchmarks.md"; else rm -f "$ROOT/docs/benchmarks.md.new"; fi
