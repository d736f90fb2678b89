#!/usr/bin/env bash
# The HTML reports of the real binary in a real browser (issue 12): llmbench runs against its
# simulator make each kind of report — a single run (open loop, with an SLO), a stepped
# concurrency run, a sweep, a suite of three engines (vLLM, TGI and Ollama dialects, two
# repetitions), a comparison, a history trend, and `llmbench report` re-rendering a result —
# and tests/browser/check_report.mjs opens each from file:// in headless Chromium with the
# network off: no console error, no request leaving the page, every chart drawn. Screenshots
# go to OUT_DIR/screenshots (<report>.png and <report>-dark.png).
#
#   tests/browser/report_e2e.sh LLMBENCH OUT_DIR
set -euo pipefail
bin=${1:?usage: $0 LLMBENCH OUT_DIR}
out=${2:?usage: $0 LLMBENCH OUT_DIR}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
rm -rf "$out"
mkdir -p "$out/screenshots"
cd "$out"
export XDG_DATA_HOME="$out/xdg"

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

# A simulator on a free port; its URL in the named variable.
start_sim() {
  local var=$1
  shift
  "$bin" sim --port 0 "$@" > "sim-$var.log" 2>&1 &
  pids+=($!)
  local url=""
  for _ in $(seq 100); do
    url=$(grep -o 'http://127.0.0.1:[0-9]*' "sim-$var.log" | head -1 || true)
    [ -n "$url" ] && break
    sleep 0.1
  done
  [ -n "$url" ] || { echo "report_e2e: the $var simulator did not start" >&2; cat "sim-$var.log"; exit 1; }
  printf -v "$var" '%s' "$url"
}

start_sim vllm --dialect vllm --ttft 20ms --itl 4ms --jitter 1ms --max-batch 8
start_sim tgi --dialect tgi --ttft 25ms --itl 5ms --jitter 1ms --max-batch 8
start_sim ollama --dialect ollama --ttft 30ms --itl 5ms --jitter 1ms --fail-rate 0.05 --seed 3

common=(--max-tokens 24 --prompt-tokens 64 --no-progress --quiet)
"$bin" run --url "$vllm" --rate 40 --requests 120 --slo 'ttft:p99<=200ms' "${common[@]}" \
  -o run.json --html run.html
"$bin" run --url "$ollama" --concurrency 1,4,8 --requests 40 "${common[@]}" \
  -o steps.json --html steps.html --markdown steps.md
"$bin" run --url "$vllm" --sweep --sweep-steps 3 --duration 6s "${common[@]}" \
  -o sweep.json --html sweep.html
cat > suite.yaml <<'YAML'
name: report-e2e
defaults:
  requests: 24
  concurrency: 4
  prompt_tokens: 48
  max_tokens: 16
scenarios:
  - type: streaming
    modes: [streaming]
YAML
"$bin" suite suite.yaml --url "$vllm" --url "$tgi" --url "$ollama" --repeat 2 \
  --output-dir suite --html suite.html --no-progress --quiet > suite.log
base=$(ls suite/*-r1.json | head -1)
other=$(ls suite/*-r1.json | sed -n 2p)
"$bin" compare "$base" "$other" --force --html compare.html --format json --output compare.json
"$bin" report compare.json --html compare-again.html
"$bin" history trend ttft.p99 --html trend.html > trend.txt
"$bin" report run.json --html rerendered.html --markdown rerendered.md --csv rerendered.csv

# The same report whichever command made it: `run --html` and `report run.json --html` differ
# only in when they were generated.
strip() { sed -E 's/"generated_at":"[^"]*"//' "$1"; }
cmp <(strip run.html) <(strip rerendered.html) ||
  { echo "report_e2e: run --html and report run.json --html differ" >&2; exit 1; }

node "$here/check_report.mjs" --screenshots "$out/screenshots" --max-render-ms "${MAX_RENDER_MS:-15000}" \
  run.html steps.html sweep.html suite.html compare.html compare-again.html trend.html
