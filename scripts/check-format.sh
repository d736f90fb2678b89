#!/usr/bin/env bash
# Fails when a tracked C++ file differs from clang-format's output (.clang-format).
set -euo pipefail
cd "$(dirname "$0")/.."
bad=0
while IFS= read -r f; do
  if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
    echo "not clang-formatted: $f (run: make format)"
    bad=1
  fi
done < <(git ls-files '*.cc' '*.h')
exit $bad
