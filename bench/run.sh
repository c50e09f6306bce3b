#!/usr/bin/env bash
# bench/run.sh [--json] [FIGURE ...]: measures each figure beside its peer in the same run,
# prints a markdown table (figure, ours, peer, ratio, target, met) or, with --json, one JSON
# object per figure ({"figure","ours","peer","unit","ratio","target","met"}), and writes
# docs/benchmarks.md. FIGURE names a group (default: all of them).
#
# Adding a group: write a function `figure_NAME` that prints one JSON object per figure on
# stdout (flat, the fields above; progress goes to stderr) and add NAME to FIGURE_GROUPS, with a
# line of its design in `design_NAME`.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${LOOPSNAP_BUILD_DIR:-build}
FIGURE_GROUPS=(dashboard)

build_target() {
  [ -f "$BUILD/build.ninja" ] || cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  ninja -C "$BUILD" -j"${LOOPSNAP_JOBS:-2}" "$@" >&2
}

# ---- groups ----------------------------------------------------------------------------------
figure_dashboard() {
  build_target bench_dashboard
  QT_QPA_PLATFORM=offscreen "$BUILD/bench/bench_dashboard" --runs "${BENCH_RUNS:-3}" --seconds "${BENCH_SECONDS:-5}"
}
design_dashboard() {
  cat <<'TXT'
Hydration dashboard, offscreen, 1,000,000 regions of 64 KiB, 100,000 engine events per second
pushed into a real EventRing by another thread (hydration cursor plus 10 % user writes at random
regions), drained by the live views' 60 Hz frame timer (LiveFeed) into the visible page; medians
of 3 runs of 5 s. Frame time = the GUI thread's busy time between two frame ticks (drain, model,
only the changed bins of the map's Indexed8 image recoloured and repainted, the numbers, the
chart twice a second, input); the peer is the 16.7 ms frame budget of a 60 Hz display. The map
keeps one byte per region (RegionStateMap) plus one byte per pixel bin (the QImage).
Input: a mouse move over the map every 20 ms, timed from posting to handled (the hover names the
regions); p99, the maximum is printed on stderr.
TXT
}

# ---- driver ----------------------------------------------------------------------------------
json=0
selected=()
for arg in "$@"; do
  case "$arg" in
    --json) json=1 ;;
    -h|--help) sed -n 2,9p "$0"; exit 0 ;;
    *) selected+=("$arg") ;;
  esac
done
[ ${#selected[@]} -gt 0 ] || selected=("${FIGURE_GROUPS[@]}")
for g in "${selected[@]}"; do
  declare -F "figure_$g" >/dev/null || { echo "bench/run.sh: unknown figure group '$g' (known: ${FIGURE_GROUPS[*]})" >&2; exit 2; }
done

results=$(mktemp)
trap 'rm -f "$results"' EXIT
for g in "${selected[@]}"; do "figure_$g" | grep '^{' >>"$results"; done

field() {  # field NAME < one flat JSON object
  sed -E 's/.*"'"$1"'":("([^"]*)"|([^,}]*)).*/\2\3/'
}
table() {
  echo "| figure | ours | peer | ratio | target | met |"
  echo "|---|---|---|---|---|---|"
  while IFS= read -r line; do
    unit=$(field unit <<<"$line")
    printf '| %s | %s %s | %s %s | %s | %s | %s |\n' "$(field figure <<<"$line")" "$(field ours <<<"$line")" "$unit" \
      "$(field peer <<<"$line")" "$unit" "$(field ratio <<<"$line")" "$(field target <<<"$line")" \
      "$( [ "$(field met <<<"$line")" = true ] && echo yes || echo "**no**")"
  done <"$results"
}

if [ "$json" = 1 ]; then cat "$results"; else table; fi

{
  echo "# Benchmarks"
  echo
  echo "Written by \`bash bench/run.sh ${selected[*]}\` on $(date -u '+%Y-%m-%d %H:%M UTC')."
  echo "Machine: $(nproc) CPUs, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1), $(uname -sr)."
  echo "The machine may be shared: compare the ratios, not absolute times."
  echo
  table
  echo
  for g in "${selected[@]}"; do
    echo "## $g"
    echo
    "design_$g"
    echo
  done
} >docs/benchmarks.md
