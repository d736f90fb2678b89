// Opens llmbench HTML reports in headless Chromium and checks that each one draws, by itself,
// without the network and without errors.
//
//   node tests/browser/check_report.mjs [--screenshots DIR] [--max-render-ms N] REPORT.html...
//
// For every report: offline, every request other than the report's own file: URL is failed and
// recorded; console errors and uncaught page errors are collected; the page must set
// <html data-rendered="true"> within --max-render-ms (default 10000) of navigation; then every
// <details> is opened and the page must settle again; every .chart must hold a canvas (or svg)
// with drawn pixels, and there must be at least one chart. The checks repeat in the dark colour
// scheme. With --screenshots, DIR/<name>.png and DIR/<name>-dark.png are full-page screenshots.
//
// stdout: one JSON line per report {report, render_ms, charts, requests_blocked, console_errors,
// page_errors, ok, failures}; stderr: each failure with its reason. Exit status: 0 when every
// report passed, 1 when one failed, 2 on a usage error or when the browser could not start.
// Chromium: $CHROMIUM, else /usr/bin/chromium. puppeteer-core comes from third_party/npm
// (npm ci --prefix third_party/npm).
import {mkdirSync} from 'node:fs';
import {createRequire} from 'node:module';
import {basename, dirname, extname, resolve} from 'node:path';
import {fileURLToPath, pathToFileURL} from 'node:url';

const repo_root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const kDefaultMaxRenderMs = 10000;
// Pixels of a chart's canvases that must differ from its background for it to count as drawn:
// more than an empty frame's stray anti-aliasing, less than the axes of the sparsest real chart.
const kMinDrawnPixels = 200;
// How long past --max-render-ms to keep waiting (at most as long again), so that a slow page
// reports its real time.
const kRenderGraceMs = 5000;
const kViewport = {
  width: 1366,
  height: 900,
  deviceScaleFactor: 1
};

function usage(message) {
  process.stderr.write(
      (message ? 'check_report: ' + message + '\n' : '') +
      'usage: node tests/browser/check_report.mjs [--screenshots DIR] [--max-render-ms N] ' +
      'REPORT.html...\n');
  process.exit(2);
}

function parse_args(argv) {
  const options = {screenshots: null, max_render_ms: kDefaultMaxRenderMs, reports: []};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--screenshots') {
      options.screenshots = argv[++i];
      if (!options.screenshots) usage('--screenshots needs a directory');
    } else if (arg === '--max-render-ms') {
      options.max_render_ms = Number(argv[++i]);
      if (!Number.isFinite(options.max_render_ms) || options.max_render_ms <= 0) {
        usage('--max-render-ms needs a positive number of milliseconds');
      }
    } else if (arg === '-h' || arg === '--help') {
      usage();
    } else if (arg.startsWith('--')) {
      usage('unknown option ' + arg);
    } else {
      options.reports.push(arg);
    }
  }
  if (options.reports.length === 0) usage('no report given');
  return options;
}

function load_puppeteer() {
  const require = createRequire(resolve(repo_root, 'third_party/npm/package.json'));
  try {
    return require('puppeteer-core');
  } catch (err) {
    process.stderr.write(
        'check_report: puppeteer-core not found under third_party/npm ' +
        '(run: npm ci --prefix third_party/npm): ' + err.message + '\n');
    process.exit(2);
  }
}

// Runs in the page before any of its scripts: notes when data-rendered first becomes "true",
// in milliseconds since navigation started (performance.now()'s origin).
function install_render_clock() {
  window.__check_report = {rendered_at: null};
  new MutationObserver(() => {
    if (window.__check_report.rendered_at === null && document.documentElement &&
        document.documentElement.dataset.rendered === 'true') {
      window.__check_report.rendered_at = performance.now();
    }
  }).observe(document, {attributes: true, attributeFilter: ['data-rendered'], subtree: true});
}

// Runs in the page: opens every closed <details> (and the ones that opening reveals) and sends
// it the 'toggle' event at once, as a reader's click would (the browser's own comes later).
function open_all_details() {
  let opened = 0;
  for (;;) {
    const closed = Array.from(document.querySelectorAll('details:not([open])'));
    if (closed.length === 0) return opened;
    for (const details of closed) {
      details.open = true;
      details.dispatchEvent(new Event('toggle'));
      opened++;
    }
  }
}

// Runs in the page: for every .chart, how many of its pixels differ from its background.
// The background is the chart's top-left pixel when that one is opaque, else transparency.
function measure_charts() {
  const results = [];
  document.querySelectorAll('.chart').forEach((chart, index) => {
    const figure = chart.closest('figure');
    const caption = figure && figure.querySelector('figcaption');
    const result = {
      index,
      name: caption ? caption.textContent : '',
      width: chart.clientWidth,
      height: chart.clientHeight,
      canvases: 0,
      svgs: 0,
      drawn: 0,
      points: null,
      error: null
    };
    // Axes alone draw enough pixels to pass; where the chart is an echarts one, also count the
    // points its series can place (an item whose value is a finite number, or an array of them).
    const instance = window.echarts && window.echarts.getInstanceByDom(chart);
    if (instance) {
      const finite = (v) => typeof v === 'number' && Number.isFinite(v);
      result.points = 0;
      for (const series of instance.getOption().series || []) {
        for (const item of Array.isArray(series.data) ? series.data : []) {
          const value =
              item !== null && typeof item === 'object' && !Array.isArray(item) ? item.value : item;
          if (finite(value) || (Array.isArray(value) && value.length > 0 && value.every(finite))) {
            result.points++;
          }
        }
      }
    }
    for (const canvas of chart.querySelectorAll('canvas')) {
      result.canvases++;
      if (canvas.width === 0 || canvas.height === 0) continue;
      try {
        const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        const opaque_corner = pixels[3] === 255;
        for (let i = 0; i < pixels.length; i += 4) {
          const differs = opaque_corner ? pixels[i] !== pixels[0] || pixels[i + 1] !== pixels[1] ||
                  pixels[i + 2] !== pixels[2] || pixels[i + 3] !== pixels[3] :
                                          pixels[i + 3] !== 0;
          if (differs) result.drawn++;
        }
      } catch (err) {
        result.error = String(err && err.message);
      }
    }
    for (const svg of chart.querySelectorAll('svg')) {
      result.svgs++;
      // An svg chart counts one "pixel" per 10 shapes: an axis-only frame stays under the bar.
      result.drawn +=
          svg.querySelectorAll('path, rect, circle, line, polyline, polygon, text').length * 10;
    }
    results.push(result);
  });
  return results;
}

function chart_failures(charts, scheme) {
  const failures = [];
  if (charts.length === 0) failures.push(scheme + ': no .chart element in the page');
  for (const c of charts) {
    const name = 'chart #' + c.index + (c.name ? ' "' + c.name + '"' : '');
    if (c.width === 0 || c.height === 0) {
      failures.push(scheme + ': ' + name + ' has no size (' + c.width + 'x' + c.height + ')');
    } else if (c.canvases === 0 && c.svgs === 0) {
      failures.push(scheme + ': ' + name + ' holds no canvas or svg: never drawn');
    } else if (c.error) {
      failures.push(scheme + ': ' + name + ' could not be read: ' + c.error);
    } else if (c.points === 0) {
      failures.push(scheme + ': ' + name + ' has no data point to draw (only axes)');
    } else if (c.drawn <= kMinDrawnPixels) {
      failures.push(
          scheme + ': ' + name + ' drew ' + c.drawn + ' pixels (needs more than ' +
          kMinDrawnPixels + ')');
    }
  }
  return failures;
}

async function wait_rendered(page, timeout_ms) {
  try {
    await page.waitForFunction(
        () => document.documentElement.dataset.rendered === 'true',
        {timeout: timeout_ms, polling: 'raf'});
    return true;
  } catch {
    return false;
  }
}

// Two frames: whatever a handler scheduled for the next frame has run.
async function settle(page) {
  await page.evaluate(
      () =>
          new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(() => done()))));
}

async function check_report(browser, report_path, options) {
  const absolute = resolve(report_path);
  const own_url = pathToFileURL(absolute).href;
  const result = {
    report: report_path,
    render_ms: null,
    charts: 0,
    requests_blocked: [],
    console_errors: [],
    page_errors: [],
    ok: false,
    failures: []
  };
  const requests = [];
  const grace_ms = Math.min(kRenderGraceMs, options.max_render_ms);
  const page = await browser.newPage();
  try {
    await page.setViewport(kViewport);
    await page.emulateMediaFeatures([{name: 'prefers-color-scheme', value: 'light'}]);
    await page.setOfflineMode(true);
    await page.setRequestInterception(true);
    page.on('request', (request) => {
      const url = request.url();
      requests.push(url);
      if (url.split('#')[0] === own_url) {
        request.continue();
      } else {
        result.requests_blocked.push(url);
        request.abort('blockedbyclient');
      }
    });
    // Interception does not see WebSockets; the protocol's own events do.
    const cdp = await page.createCDPSession();
    await cdp.send('Network.enable');
    cdp.on('Network.webSocketCreated', (event) => result.requests_blocked.push(event.url));
    page.on('console', (message) => {
      if (message.type() === 'error') {
        const where =
            message.location() && message.location().url ? ' (' + message.location().url + ')' : '';
        result.console_errors.push(message.text() + where);
      }
    });
    // The first uncaught error ends the wait for data-rendered: the report has failed already.
    let page_error_seen;
    const page_error = new Promise((done) => {
      page_error_seen = done;
    });
    page.on('pageerror', (error) => {
      result.page_errors.push(String(error && error.stack || error));
      page_error_seen();
    });
    // Model text inserted as markup would most likely show itself here (onerror=alert(…)).
    page.on('dialog', (dialog) => {
      result.failures.push('the page opened a ' + dialog.type() + ' dialog: ' + dialog.message());
      dialog.dismiss().catch(() => {});
    });
    page.on('requestfailed', (request) => {
      if (request.url().split('#')[0] === own_url) {
        result.failures.push(
            'the report itself failed to load: ' +
            (request.failure() && request.failure().errorText));
      }
    });
    await page.evaluateOnNewDocument(install_render_clock);

    const started = Date.now();
    let loaded = true;
    try {
      await page.goto(own_url, {waitUntil: 'load', timeout: options.max_render_ms + grace_ms});
    } catch (err) {
      loaded = false;
      result.failures.push('navigation failed: ' + err.message);
    }
    if (loaded) {
      const remaining = Math.max(options.max_render_ms + grace_ms - (Date.now() - started), 1);
      const rendered =
          await Promise.race([wait_rendered(page, remaining), page_error.then(() => false)]);
      if (rendered) {
        const rendered_at = await page.evaluate(() => window.__check_report.rendered_at);
        result.render_ms = Math.round(rendered_at === null ? Date.now() - started : rendered_at);
        if (result.render_ms > options.max_render_ms) {
          result.failures.push(
              'rendered in ' + result.render_ms + ' ms, over --max-render-ms ' +
              options.max_render_ms);
        }
      } else {
        result.failures.push(
            result.page_errors.length ? 'data-rendered="true" not set before the first page error' :
                                        'data-rendered="true" never set (waited ' +
                    (options.max_render_ms + grace_ms) + ' ms)');
      }
    }

    if (loaded && result.render_ms !== null) {
      await page.evaluate(open_all_details);
      await settle(page);
      if (!await wait_rendered(page, options.max_render_ms)) {
        result.failures.push('after opening every <details>, data-rendered="true" never came back');
      }
      await settle(page);
      const light = await page.evaluate(measure_charts);
      result.charts = light.length;
      result.failures.push(...chart_failures(light, 'light'));
      const name = basename(absolute, extname(absolute));
      if (options.screenshots) {
        await page.screenshot({path: resolve(options.screenshots, name + '.png'), fullPage: true});
      }

      await page.emulateMediaFeatures([{name: 'prefers-color-scheme', value: 'dark'}]);
      await settle(page);
      if (!await wait_rendered(page, options.max_render_ms)) {
        result.failures.push(
            'after switching to the dark scheme, data-rendered="true" never came back');
      }
      await settle(page);
      result.failures.push(...chart_failures(await page.evaluate(measure_charts), 'dark'));
      if (options.screenshots) {
        await page.screenshot(
            {path: resolve(options.screenshots, name + '-dark.png'), fullPage: true});
      }
    }
  } catch (err) {
    result.failures.push('checker error: ' + (err && err.stack || err));
  } finally {
    await page.close().catch(() => {});
  }

  const own_loads = requests.filter((url) => url.split('#')[0] === own_url).length;
  if (own_loads !== 1 && result.render_ms !== null) {
    result.failures.push('the report was requested ' + own_loads + ' times (expected once)');
  }
  for (const url of result.requests_blocked) result.failures.push('blocked a request to ' + url);
  for (const text of result.console_errors) result.failures.push('console error: ' + text);
  for (const text of result.page_errors) result.failures.push('page error: ' + text);
  result.ok = result.failures.length === 0;
  return result;
}

async function main() {
  const options = parse_args(process.argv.slice(2));
  if (options.screenshots) mkdirSync(options.screenshots, {recursive: true});
  const puppeteer = load_puppeteer();
  let browser;
  try {
    browser = await puppeteer.launch({
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-gpu'],
    });
  } catch (err) {
    process.stderr.write('check_report: could not start Chromium: ' + err.message + '\n');
    process.exit(2);
  }
  let all_ok = true;
  try {
    for (const report of options.reports) {
      const result = await check_report(browser, report, options);
      process.stdout.write(JSON.stringify(result) + '\n');
      for (const failure of result.failures) {
        process.stderr.write('FAIL ' + report + ': ' + failure + '\n');
      }
      all_ok = all_ok && result.ok;
    }
  } finally {
    await browser.close();
  }
  process.exit(all_ok ? 0 : 1);
}

await main();
