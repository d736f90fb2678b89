#!/usr/bin/env bash
# Runs every libFuzzer target of the fuzz build (cmake --build --preset fuzz) for a bounded time.
#   scripts/run-fuzzers.sh [SECONDS_EACH] [BUILD_DIR]       (defaults: 60, build/fuzz)
# FUZZ_JOBS targets run at once (default 2). Seeds: fuzz/corpus/TARGET (read only: reproducers
# of fixed bugs live there too, so every run replays them first); what a run finds is kept in
# BUILD_DIR/fuzz-work/corpus/TARGET for the next run. Inputs are at most 64 KiB, 2 GB of memory
# and 10 s each. A crash, leak, UB report, timeout or broken invariant fails the script, and the
# reproducer's path and the command that replays it are printed.
set -euo pipefail
cd "$(dirname "$0")/.."

# Stack traces with file:line (llvm-14 from scripts/setup.sh).
if [ -z "${ASAN_SYMBOLIZER_PATH:-}" ] && [ -x /usr/bin/llvm-symbolizer-14 ]; then
  export ASAN_SYMBOLIZER_PATH=/usr/bin/llvm-symbolizer-14
fi

if [ "${1:-}" = "--one" ]; then  # one target (run by xargs below)
  target=$2 seconds=$3 build=$4
  work=$build/fuzz-work
  mkdir -p "$work/corpus/$target" "$work/artifacts"
  log=$work/$target.log
  start=$(date +%s)
  if "$build/fuzz/$target" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 \
      -timeout=10 -print_final_stats=1 -artifact_prefix="$work/artifacts/$target-" \
      "$work/corpus/$target" "fuzz/corpus/$target" >"$log" 2>&1; then
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
    echo "fuzz: $target ok: ${runs:-?} inputs in $(($(date +%s) - start)) s"
    exit 0
  fi
  echo "fuzz: $target FAILED; last lines of $log:" >&2
  tail -n 40 "$log" >&2
  grep -o 'Test unit written to .*' "$log" | sed 's/^Test unit written to /fuzz: reproducer: /' >&2 || true
  for f in $(grep -o 'Test unit written to .*' "$log" | sed 's/^Test unit written to //'); do
    echo "fuzz: replay with: $build/fuzz/$target $f" >&2
  done
  exit 1
fi

seconds=${1:-60}
build=${2:-build/fuzz}
list=$build/fuzz/targets.txt
[ -f "$list" ] || { echo "fuzz: $list missing: cmake --preset fuzz first" >&2; exit 2; }
echo "fuzz: $(wc -l <"$list") targets, $seconds s each, ${FUZZ_JOBS:-2} at a time"
if ! xargs -P "${FUZZ_JOBS:-2}" -I{} "$0" --one {} "$seconds" "$build" <"$list"; then
  echo "fuzz: a target failed (reproducers above)" >&2
  exit 1
fi
