#!/usr/bin/env bash
# Self-test of the HTML report and of its browser checker, so that neither can pass silently:
#  (a) the five sample models (tests/browser/samples/*.json), assembled as the C++ side does,
#      must all pass check_report.mjs within --max-render-ms;
#  (b) pages broken on purpose must each fail, for the reason they were broken: one whose
#      report.js fetches https://example.com/x.js, one whose report.js throws before drawing,
#      one whose report.js throws after drawing, one with an empty .chart div.
#
#   tests/browser/selftest.sh [OUT_DIR]      (default: a fresh temporary directory)
#
# Needs: node, Chromium ($CHROMIUM or /usr/bin/chromium), and npm ci --prefix third_party/npm.
# Writes OUT_DIR/pages/*.html, OUT_DIR/screenshots/*.png, OUT_DIR/*.jsonl (the checker's output).
# $MAX_RENDER_MS (default 3000) bounds the render time of the sample pages.
# Exit status 0 when every expectation held, 1 when one did not, 2 when it could not run.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${1:-$(mktemp -d "${TMPDIR:-/tmp}/llmbench-browser-selftest.XXXXXX")}
max_render_ms=${MAX_RENDER_MS:-3000}
pages="$out/pages"
shots="$out/screenshots"
mkdir -p "$pages" "$shots"

if [[ ! -f "$root/third_party/npm/node_modules/puppeteer-core/package.json" ||
      ! -f "$root/third_party/npm/node_modules/echarts/dist/echarts.min.js" ]]; then
  echo "selftest: third_party/npm/node_modules is missing: run npm ci --prefix third_party/npm" >&2
  exit 2
fi

failed=0
fail() {
  echo "selftest: FAIL: $*" >&2
  failed=1
}

samples=(run sweep suite comparison trend)
for kind in "${samples[@]}"; do
  node "$here/assemble_page.mjs" "$here/samples/$kind.json" "$pages/$kind.html"
done

# (b) the broken pages. Each report.js below is the real one plus (or instead of) the breakage.
report_js="$root/src/report/html/report.js"
{ cat "$report_js"; echo "fetch('https://example.com/x.js').catch(() => {});"; } \
    >"$out/fetches.js"
echo "throw new Error('selftest: report.js threw before drawing');" >"$out/throws-early.js"
{ cat "$report_js"; echo "throw new Error('selftest: report.js threw after drawing');"; } \
    >"$out/throws-late.js"
cat >"$out/empty-chart.js" <<'EOF'
document.getElementById('app').appendChild(document.createElement('div')).className = 'chart';
EOF
node "$here/assemble_page.mjs" "$here/samples/sweep.json" "$pages/bad-fetches.html" \
    --report-js "$out/fetches.js"
node "$here/assemble_page.mjs" "$here/samples/trend.json" "$pages/bad-throws-early.html" \
    --report-js "$out/throws-early.js"
node "$here/assemble_page.mjs" "$here/samples/trend.json" "$pages/bad-throws-late.html" \
    --report-js "$out/throws-late.js"
node "$here/assemble_page.mjs" "$here/samples/trend.json" "$pages/bad-empty-chart.html" \
    --append-js "$out/empty-chart.js"

# (a) every sample passes.
good_pages=()
for kind in "${samples[@]}"; do good_pages+=("$pages/$kind.html"); done
status=0
node "$root/tests/browser/check_report.mjs" --screenshots "$shots" \
    --max-render-ms "$max_render_ms" "${good_pages[@]}" >"$out/good.jsonl" 2>"$out/good.stderr" ||
    status=$?
if [[ $status -ne 0 ]]; then
  fail "check_report.mjs rejected the sample pages (exit $status):"
  cat "$out/good.stderr" >&2
fi

# (b) every broken page fails, for its own reason (a substring of one of its failures).
status=0
node "$root/tests/browser/check_report.mjs" --max-render-ms "$max_render_ms" \
    "$pages/bad-fetches.html" "$pages/bad-throws-early.html" "$pages/bad-throws-late.html" \
    "$pages/bad-empty-chart.html" >"$out/bad.jsonl" 2>"$out/bad.stderr" || status=$?
if [[ $status -ne 1 ]]; then
  fail "check_report.mjs should exit 1 on the broken pages, exited $status"
fi

# Reads both outputs; prints the summary; exits 1 on an unmet expectation.
node - "$out/good.jsonl" "$out/bad.jsonl" "$shots" "${#samples[@]}" <<'EOF' || failed=1
const {readFileSync, existsSync} = require('node:fs');
const {basename, join} = require('node:path');
const [good_path, bad_path, shots, sample_count] = process.argv.slice(2);
const read = (path) => readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
let ok = true;
const fail = (message) => { ok = false; console.error('selftest: FAIL: ' + message); };

const good = read(good_path);
if (good.length !== Number(sample_count)) fail('expected ' + sample_count + ' results for the samples, got ' + good.length);
for (const r of good) {
  const name = basename(r.report, '.html');
  console.log((r.ok ? 'ok   ' : 'FAIL ') + name.padEnd(11) + ' rendered in ' + String(r.render_ms).padStart(5) +
              ' ms, ' + String(r.charts).padStart(3) + ' charts');
  if (!r.ok) fail(name + ': ' + r.failures.join('; '));
  for (const suffix of ['', '-dark']) {
    const shot = join(shots, name + suffix + '.png');
    if (!existsSync(shot)) fail('no screenshot ' + shot);
  }
}

const expected = {
  'bad-fetches': 'blocked a request to https://example.com/x.js',
  'bad-throws-early': 'selftest: report.js threw before drawing',
  'bad-throws-late': 'selftest: report.js threw after drawing',
  'bad-empty-chart': 'holds no canvas or svg',
};
const bad = read(bad_path);
for (const [name, reason] of Object.entries(expected)) {
  const r = bad.find((x) => basename(x.report, '.html') === name);
  if (!r) { fail(name + ': no result'); continue; }
  const hit = r.failures.find((f) => f.includes(reason));
  console.log((!r.ok && hit ? 'ok   ' : 'FAIL ') + name.padEnd(17) + ' rejected: ' +
              (hit ? hit.split('\n')[0] : JSON.stringify(r.failures)));
  if (r.ok || !hit) fail(name + ' should fail with "' + reason + '"; failures: ' + JSON.stringify(r.failures));
}
process.exit(ok ? 0 : 1);
EOF

echo "selftest: pages in $pages, screenshots in $shots"
if [[ $failed -ne 0 ]]; then
  echo "selftest: FAILED" >&2
  exit 1
fi
echo "selftest: passed"
