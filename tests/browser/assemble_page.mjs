// Builds a report page from a model the way the C++ side does (the skeleton in the report model
// document): the CSS inlined in <head>, the model JSON with "</" written as "<\/", then
// echarts.min.js and report.js inlined, in that order.
//   node tests/browser/assemble_page.mjs MODEL.json OUT.html [--report-js FILE] [--append-js FILE]
// --report-js replaces report.js, --append-js adds a script after it: the self-test uses them to
// build pages the checker must reject.
import {readFileSync, writeFileSync} from 'node:fs';
import {dirname, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';

const repo_root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

function usage(message) {
  process.stderr.write(
      (message ? message + '\n' : '') +
      'usage: assemble_page.mjs MODEL.json OUT.html [--report-js FILE] [--append-js FILE]\n');
  process.exit(2);
}

const positional = [];
let report_js_path = resolve(repo_root, 'src/report/html/report.js');
let append_js_path = null;
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--report-js')
    report_js_path = args[++i] || usage('--report-js needs a file');
  else if (args[i] === '--append-js')
    append_js_path = args[++i] || usage('--append-js needs a file');
  else if (args[i].startsWith('--'))
    usage('unknown option ' + args[i]);
  else
    positional.push(args[i]);
}
if (positional.length !== 2) usage();
const [model_path, out_path] = positional;

const model_text = readFileSync(model_path, 'utf8');
const model = JSON.parse(model_text);  // refuse a sample that is not JSON before the browser does
const css = readFileSync(resolve(repo_root, 'src/report/html/report.css'), 'utf8');
const echarts_js = readFileSync(
    resolve(repo_root, 'third_party/npm/node_modules/echarts/dist/echarts.min.js'), 'utf8');
const report_js = readFileSync(report_js_path, 'utf8');
const append_js = append_js_path ? readFileSync(append_js_path, 'utf8') : null;

function escape_text(text) {
  return String(text).replace(/[&<>]/g, (c) => ({'&': '&amp;', '<': '&lt;', '>': '&gt;'})[c]);
}

// Inside <script>, "</" could close the element; "<\/" is the same JSON string. "<!--" would put
// the HTML tokenizer in its "script data escaped" state, where a later "<script" keeps the element
// open past its own end tag: "<\u0021--" is again the same JSON string. (Both can only occur
// inside JSON strings, where these escapes are valid.)
const model_script =
    JSON.stringify(model).replaceAll('</', '<\\/').replaceAll('<!--', '<\\u0021--');
// The scripts are ours, but the same rule keeps a "</script>" in a string literal harmless.
const inline_js = (js) => js.replaceAll('</script', '<\\/script');

const page = '<!doctype html><html lang="en"><head><meta charset="utf-8">\n' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n' +
    '<title>' + escape_text(model.title || 'llmbench report') + '</title><style>' + css +
    '</style></head>\n<body><div id="app"></div>\n' +
    '<script type="application/json" id="llmbench-data">' + model_script + '</script>\n' +
    '<script>' + inline_js(echarts_js) + '</script>\n' +
    '<script>' + inline_js(report_js) + '</script>\n' +
    (append_js === null ? '' : '<script>' + inline_js(append_js) + '</script>\n') +
    '</body></html>\n';
writeFileSync(out_path, page);
