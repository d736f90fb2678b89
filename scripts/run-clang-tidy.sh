#!/usr/bin/env bash
# clang-tidy (the repo's .clang-tidy) over the project's own sources, with the compile
# commands of a configured build tree (default build/ci-clang). Any finding fails the check.
# Usage: run-clang-tidy.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/ci-clang}
[ -f "$build/compile_commands.json" ] || { echo "clang-tidy: no $build/compile_commands.json" >&2; exit 1; }
mapfile -t files < <(git ls-files 'src/*.cc' | grep -v '_test\.cc$')
log=$(mktemp)
trap 'rm -f "$log"' EXIT
printf '%s\n' "${files[@]}" |
  xargs -P "$(nproc)" -n 1 clang-tidy -p "$build" --quiet --warnings-as-errors='*' >"$log" 2>&1 ||
  { grep -E "(warning|error):" "$log" | sort -u; echo "clang-tidy: findings above" >&2; exit 1; }
echo "clang-tidy: ${#files[@]} files clean"
