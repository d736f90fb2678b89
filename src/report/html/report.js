// llmbench HTML report: builds the page in #app from the model in #llmbench-data (schema 1,
// see the report model document). The C++ side inlines this file after echarts.min.js; there is
// no network and no module system, so `echarts` is the only global this code relies on.
//
// Contracts the browser test (tests/browser/check_report.mjs) relies on:
//  - every chart container has class "chart" and receives exactly one echarts instance;
//  - charts inside a closed <details> are created when it opens (the 'toggle' event);
//  - document.documentElement.dataset.rendered is "true" once every chart that can be seen has
//    finished drawing, and "false" while a chart is (re)drawing;
//  - an error is thrown (or logged with console.error) so that it reaches the console.
// Model text (prompts, outputs, labels, JSON) is only ever set as textContent, or escaped where
// echarts takes HTML (tooltips): it comes from the network and may hold markup.
(function() {
'use strict';

const kDash = '\u2014';
const kFontFamily =
    'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
// Above this many points a line drops its symbols and is downsampled (lttb) to the pixels.
const kManyPoints = 200;

// ---------------------------------------------------------------------------------------------
// DOM helpers: text only ever goes in through textContent / createTextNode.

function h(tag, props, ...children) {
  const node = document.createElement(tag);
  if (props) {
    for (const key of Object.keys(props)) {
      const value = props[key];
      if (value === null || value === undefined || value === false) continue;
      if (key === 'class')
        node.className = value;
      else if (key === 'text')
        node.textContent = String(value);
      else
        node.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append_children(node, children);
  return node;
}

function append_children(node, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child))
      append_children(node, child);
    else if (typeof child === 'string' || typeof child === 'number') {
      node.appendChild(document.createTextNode(String(child)));
    } else
      node.appendChild(child);
  }
}

// For the few places echarts takes an HTML string (tooltip formatters).
const kHtmlEscapes = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  '\'': '&#39;'
};
function escape_html(text) {
  return String(text).replace(/[&<>"']/g, (c) => kHtmlEscapes[c]);
}

// ---------------------------------------------------------------------------------------------
// Numbers. null (not measured) is shown as a dash, never as 0, and left out of charts.

function is_num(v) {
  return typeof v === 'number' && Number.isFinite(v);
}

const number_formats = new Map();
function number_format(key, options) {
  let format = number_formats.get(key);
  if (!format) {
    format = new Intl.NumberFormat('en-US', options);
    number_formats.set(key, format);
  }
  return format;
}

function fmt_num(v) {
  if (!is_num(v)) return kDash;
  const magnitude = Math.abs(v);
  if (magnitude >= 1000) return number_format('0', {maximumFractionDigits: 0}).format(v);
  if (magnitude >= 100) return number_format('1', {maximumFractionDigits: 1}).format(v);
  if (magnitude >= 1 || v === 0) return number_format('2', {maximumFractionDigits: 2}).format(v);
  return number_format('s3', {maximumSignificantDigits: 3}).format(v);
}

function fmt_value(v, unit) {
  if (!is_num(v)) return kDash;
  return unit ? fmt_num(v) + ' ' + unit : fmt_num(v);
}

function fmt_change(v) {
  if (!is_num(v)) return kDash;
  return (v > 0 ? '+' : '') + fmt_num(v) + ' %';
}

function fmt_p(v) {
  if (!is_num(v)) return kDash;
  return v < 0.001 ? '< 0.001' : number_format('p', {maximumFractionDigits: 3}).format(v);
}

function fmt_interval(low, high, unit) {
  if (!is_num(low) && !is_num(high)) return kDash;
  return fmt_num(low) + '\u2013' + fmt_num(high) + (unit ? ' ' + unit : '');
}

function text_or_dash(v) {
  return v === null || v === undefined || v === '' ? kDash : String(v);
}

function list(v) {
  return Array.isArray(v) ? v : [];
}

// ---------------------------------------------------------------------------------------------
// Page state: the log/linear switch and the colour scheme.

const state = {
  log_axes: true,
  dark_query: window.matchMedia ? window.matchMedia('(prefers-color-scheme: dark)') : null,
};

function is_dark() {
  return !!(state.dark_query && state.dark_query.matches);
}

function css_var(name, fallback) {
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value || fallback;
}

// ---------------------------------------------------------------------------------------------
// Chart registry. A chart is declared with a function building its option; it is created when
// it can be seen, and rebuilt (from the same function) when the theme or the log switch change.

const charts = [];       // {el, build, uses_log, group, instance, waiting}
let charts_waiting = 0;  // charts set up whose 'finished' event has not come yet

// Returns the container; `options.uses_log` marks a chart redrawn by the log/linear switch,
// `options.group` connects charts (shared zoom and hover), `options.size` picks the height.
function chart_box(build, options) {
  const opts = options || {};
  const el = h('div', {class: 'chart' + (opts.size ? ' chart-' + opts.size : '')});
  charts.push({
    el,
    build,
    uses_log: !!opts.uses_log,
    group: opts.group || null,
    instance: null,
    waiting: false
  });
  return el;
}

function figure(caption, chart_el, extra_class) {
  return h(
      'figure', {class: 'figure' + (extra_class ? ' ' + extra_class : '')},
      h('figcaption', {text: caption}), chart_el);
}

// What stands in for a chart that would have nothing to draw: a frame of bare axes would
// look like a measurement of nothing.
function no_data(caption) {
  return h(
      'div', {class: 'figure'}, h('div', {class: 'figcaption-like', text: caption}),
      h('p', {class: 'no-data muted', text: 'no measured values'}));
}

function has_cdf_points(cdf) {
  return list(cdf).some((p) => Array.isArray(p) && is_num(p[0]) && is_num(p[1]));
}

function has_counts(hist) {
  return !!hist && list(hist.edges).length >= 2 && list(hist.counts).some(is_num);
}

function set_rendered(done) {
  document.documentElement.dataset.rendered = done ? 'true' : 'false';
}

function chart_finished(entry) {
  if (!entry.waiting) return;
  entry.waiting = false;
  charts_waiting--;
  if (charts_waiting === 0) {
    // One frame later the canvases are on screen.
    requestAnimationFrame(() => {
      if (charts_waiting === 0) set_rendered(true);
    });
  }
}

function draw(entry) {
  if (!entry.waiting) {
    entry.waiting = true;
    charts_waiting++;
    set_rendered(false);
  }
  try {
    entry.instance.setOption(with_defaults(entry.build()), {notMerge: true});
  } catch (err) {
    // One broken chart should not take the page down; the console still carries the error
    // (and the browser test fails on it), the chart's place says what happened.
    console.error(
        'llmbench report: a chart could not be drawn: ' + String(err && err.stack || err));
    entry.instance.dispose();
    entry.instance = null;
    entry.el.textContent = 'This chart could not be drawn: ' + String(err && err.message);
    entry.el.classList.add('chart-error');
    chart_finished(entry);
  }
}

function create_chart(entry) {
  const instance = echarts.init(entry.el, is_dark() ? 'dark' : null, {renderer: 'canvas'});
  entry.instance = instance;
  instance.on('finished', () => chart_finished(entry));
  if (entry.group) {
    instance.group = entry.group;
    echarts.connect(entry.group);
  }
  draw(entry);
}

function is_visible(el) {
  return el.isConnected && !el.closest('details:not([open])');
}

function create_visible_charts() {
  for (const entry of charts) {
    if (!entry.instance && !entry.el.classList.contains('chart-error') && is_visible(entry.el)) {
      create_chart(entry);
    }
  }
  if (charts_waiting === 0) set_rendered(true);
}

function redraw_all() {
  for (const entry of charts) {
    if (!entry.instance) continue;
    entry.instance.dispose();
    entry.instance = null;
    if (entry.waiting) {
      entry.waiting = false;
      charts_waiting--;
    }
  }
  create_visible_charts();
}

function redraw_log_charts() {
  for (const entry of charts) {
    if (entry.instance && entry.uses_log) draw(entry);
  }
  if (charts_waiting === 0) set_rendered(true);
}

let resize_scheduled = false;
function resize_all() {
  if (resize_scheduled) return;
  resize_scheduled = true;
  requestAnimationFrame(() => {
    resize_scheduled = false;
    for (const entry of charts) {
      if (entry.instance && is_visible(entry.el)) entry.instance.resize();
    }
  });
}

// Every chart: no animation (the first frame is the final one), the page's background and
// font, and an aria-label describing the chart.
function with_defaults(option) {
  return Object.assign(
      {
        grid: {left: 16, right: 24, top: 40, bottom: 16},
        tooltip: {confine: true},
      },
      option, {
        animation: false,
        backgroundColor: 'transparent',
        textStyle: {fontFamily: kFontFamily},
        aria: {enabled: true},
      });
}

// ---------------------------------------------------------------------------------------------
// Option builders shared by several sections.

function value_axis(name, extra) {
  return Object.assign(
      {type: 'value', name: name || '', nameTextStyle: {color: css_var('--muted')}, scale: true},
      extra || {});
}

// A latency axis follows the log/linear switch; on a log axis only positive values can be
// placed, so `keep` filters the points.
function latency_axis(name, extra) {
  const axis = value_axis(name, extra);
  if (state.log_axes) {
    axis.type = 'log';
    axis.logBase = 10;
    delete axis.scale;
  }
  return axis;
}

function placeable(v) {
  return is_num(v) && (!state.log_axes || v > 0);
}

// curves: [{name, cdf: [[value, fraction], ...]}]
function cdf_option(unit, curves) {
  const series = curves.map((curve) => {
    const data = [];
    for (const point of list(curve.cdf)) {
      if (Array.isArray(point) && placeable(point[0]) && is_num(point[1])) {
        data.push([point[0], point[1] * 100]);
      }
    }
    // A curve of a few points shows them: a single point is no line at all.
    return {
      name: curve.name,
      type: 'line',
      data,
      showSymbol: data.length < 30,
      symbolSize: 4,
      lineStyle: {width: 1.5},
      emphasis: {disabled: true}
    };
  });
  return {
    legend: curves.length > 1 ? {top: 0, type: 'scroll'} : undefined,
    grid: {left: 16, right: 24, top: curves.length > 1 ? 48 : 32, bottom: 16},
    xAxis: latency_axis(unit, {nameLocation: 'end'}),
    yAxis: value_axis('cumulative %', {min: 0, max: 100, scale: false}),
    tooltip: {
      trigger: 'axis',
      confine: true,
      // echarts lists only the series nearest the pointer; a CDF has a value everywhere, so
      // every curve is read at the pointer's x (the last point at or left of it).
      formatter: (params) => {
        const items = list(params);
        if (items.length === 0) return '';
        const x = is_num(items[0].axisValue) ? items[0].axisValue : items[0].value[0];
        const lines = series.map((one) => {
          const fraction = cdf_at(one.data, x);
          return escape_html(
              one.name + ': ' + (fraction === null ? kDash : fmt_num(fraction) + ' %'));
        });
        return [escape_html('\u2264 ' + fmt_value(x, unit))].concat(lines).join('<br>');
      },
    },
    series,
  };
}

// The cumulative % at x of a CDF given as [value, %] points in ascending value; 0 left of
// the first point, null for a curve without points.
function cdf_at(points, x) {
  if (points.length === 0) return null;
  let low = 0;
  let high = points.length;  // first index whose value is > x
  while (low < high) {
    const mid = (low + high) >> 1;
    if (points[mid][0] <= x)
      low = mid + 1;
    else
      high = mid;
  }
  return low === 0 ? 0 : points[low - 1][1];
}

// A histogram whose bins may be uneven: each bin is a rectangle from edges[i] to edges[i+1].
function histogram_option(hist, x_name, options) {
  const opts = options || {};
  const edges = list(hist && hist.edges);
  const counts = list(hist && hist.counts);
  // A bin starting at 0 has no place on a log axis: such a histogram stays linear.
  const on_log = opts.log_x && state.log_axes && is_num(edges[0]) && edges[0] > 0;
  const data = [];
  for (let i = 0; i < counts.length && i + 1 < edges.length; i++) {
    const low = edges[i];
    const high = edges[i + 1];
    if (!is_num(counts[i]) || !is_num(low) || !is_num(high)) continue;
    if (on_log && low <= 0) continue;
    data.push([low, high, counts[i]]);
  }
  // The axis picks round bounds around the bins (encode.x names both edges).
  const x_axis = on_log ? latency_axis(x_name) : value_axis(x_name);
  const unit = opts.unit || '';
  return {
    grid: {left: 16, right: 32, top: 32, bottom: 16},
    xAxis: x_axis,
    // The count axis stays at the left edge even when the bins straddle zero (deltas).
    yAxis: value_axis(opts.y_name || 'count', {scale: false, min: 0, axisLine: {onZero: false}}),
    tooltip: {
      trigger: 'item',
      confine: true,
      formatter: (p) => escape_html(
          fmt_num(p.value[0]) + '\u2013' + fmt_value(p.value[1], unit) + ': ' +
          fmt_num(p.value[2])),
    },
    series: [{
      type: 'custom',
      name: x_name,
      encode: {x: [0, 1], y: 2, tooltip: [0, 1, 2]},
      data,
      renderItem: (params, api) => {
        const top_left = api.coord([api.value(0), api.value(2)]);
        const bottom_right = api.coord([api.value(1), 0]);
        const width = bottom_right[0] - top_left[0];
        return {
          type: 'rect',
          shape: {
            x: top_left[0],
            y: top_left[1],
            width: Math.max(width - (width > 3 ? 1 : 0), 1),
            height: Math.max(bottom_right[1] - top_left[1], 0)
          },
          style: api.style(),
        };
      },
    }],
  };
}

// ---------------------------------------------------------------------------------------------
// Tables.

// columns: [{title, cell: (row) => string | Node, class?: (row) => string, numeric?}]
function table(columns, rows, options) {
  const opts = options || {};
  const head = h(
      'tr', null,
      columns.map((c) => h('th', {class: c.numeric ? 'num' : null, scope: 'col', text: c.title})));
  const body = rows.map(
      (row) => h('tr', {class: opts.row_class ? opts.row_class(row) : null}, columns.map((c) => {
        const content = c.cell(row);
        const cls = [c.numeric ? 'num' : '', c.class ? c.class(row) : ''].filter(Boolean).join(' ');
        return h(
            'td', {class: cls || null},
            typeof content === 'object' && content !== null ? content : text_or_dash(content));
      })));
  return h(
      'div', {class: 'table-wrap'},
      h('table', {class: opts.class || null}, h('thead', null, head), h('tbody', null, body)));
}

function section(title, ...children) {
  return h('section', {class: 'section'}, h('h3', {text: title}), children);
}

function message_list(cls, items) {
  const entries = list(items).filter((m) => m !== null && m !== undefined && m !== '');
  if (entries.length === 0) return null;
  return h('ul', {class: 'messages ' + cls}, entries.map((m) => h('li', {text: String(m)})));
}

// ---------------------------------------------------------------------------------------------
// Run sections.

function render_summary(run) {
  const cards = list(run.cards).map((card) => {
    const has_value = Object.prototype.hasOwnProperty.call(card, 'value');
    const main = has_value ? fmt_value(card.value, card.unit) : text_or_dash(card.text);
    const cls = 'card' + (has_value ? is_num(card.value) ? '' : ' card-missing' : ' card-text');
    return h(
        'div', {class: cls}, h('div', {class: 'card-label', text: text_or_dash(card.label)}),
        h('div', {class: 'card-value', text: main}),
        card.detail ? h('div', {class: 'card-detail', text: String(card.detail)}) : null);
  });
  const slo = list(run.slo);
  const slo_table = slo.length === 0 ?
      null :
      table(
          [
            {title: 'SLO', cell: (g) => g.gate},
            {title: 'Value', numeric: true, cell: (g) => fmt_value(g.value, g.unit)},
            {
              title: 'Verdict',
              cell: (g) => g.passed === true ? 'met' :
                  g.passed === false         ? 'missed' :
                                               'not measured',
              class: (g) => g.passed === true ? 'good' :
                  g.passed === false          ? 'bad' :
                                                'muted'
            },
          ],
          slo, {class: 'slo'});
  return section(
      'Summary', message_list('alerts', run.alerts),
      cards.length ? h('div', {class: 'cards'}, cards) : null, slo_table);
}

function percentile_name(p) {
  return 'p' + String(p);
}

function render_distributions(run) {
  const distributions = list(run.distributions);
  if (distributions.length === 0) return null;
  const blocks = distributions.map((d) => {
    const unit = d.unit || '';
    const caption = text_or_dash(d.label) + (unit ? ' (' + unit + ')' : '') +
        (is_num(d.count) ? ' \u00b7 n = ' + fmt_num(d.count) : '');
    const name = text_or_dash(d.label);
    const cdf_caption = name + ': cumulative distribution';
    const cdf = has_cdf_points(d.cdf) ?
        figure(
            cdf_caption,
            chart_box(() => cdf_option(unit, [{name, cdf: d.cdf}]), {uses_log: true})) :
        no_data(cdf_caption);
    const hist_caption = name + ': histogram';
    const hist = has_counts(d.histogram) ?
        figure(
            hist_caption,
            chart_box(
                () => histogram_option(d.histogram, unit, {unit, log_x: true}), {uses_log: true})) :
        no_data(hist_caption);
    const percentiles = table(
        [
          {title: 'Percentile', cell: (p) => percentile_name(p.p)},
          {title: 'Value', numeric: true, cell: (p) => fmt_value(p.value, unit)},
          {title: '95 % CI', numeric: true, cell: (p) => fmt_interval(p.low, p.high, unit)},
        ],
        list(d.percentiles), {class: 'compact'});
    return h(
        'div', {class: 'distribution'}, h('h4', {text: caption}),
        h('div', {class: 'grid-3'}, cdf, hist,
          h('div', {class: 'figure'},
            h('div', {class: 'figcaption-like', text: name + ': percentiles'}), percentiles)));
  });
  return section('Latency distributions', blocks);
}

let next_group_id = 0;

function render_time_series(run) {
  const ts = run.time_series;
  if (!ts || list(ts.series).length === 0) return null;
  const t = list(ts.t);
  const groups = new Map();  // group name → series, in order of first appearance
  for (const s of ts.series) {
    const group = s.group || 'other';
    if (!groups.has(group)) groups.set(group, []);
    groups.get(group).push(s);
  }
  const connect_id = 'llmbench-ts-' + (next_group_id++);
  const figures = [];
  const empty_groups = [];
  for (const [group, series] of groups) {
    if (!series.some((s) => list(s.values).some(is_num))) {
      empty_groups.push(group);  // nothing measured: a note, not an empty frame
      continue;
    }
    const chart = chart_box(() => time_series_option(t, series), {group: connect_id});
    figures.push(figure(group, chart, 'figure-wide'));
  }
  if (empty_groups.length) {
    figures.push(
        h('p', {class: 'muted', text: 'No values measured for: ' + empty_groups.join(', ')}));
  }
  const window_note = is_num(ts.window_s) ?
      'windows of ' + fmt_value(ts.window_s, 's') + '; drag or scroll to zoom (all charts follow)' :
      null;
  return section(
      'Over time', window_note ? h('p', {class: 'muted', text: window_note}) : null, figures);
}

function time_series_option(t, series) {
  const units = [];
  for (const s of series)
    if (!units.includes(s.unit || '')) units.push(s.unit || '');
  const muted = css_var('--muted');
  const y_axes = units.map((unit, i) => ({
                             type: 'value',
                             name: unit,
                             nameTextStyle: {color: muted},
                             position: i === 0 ? 'left' : 'right',
                             offset: i >= 2 ? (i - 1) * 56 : 0,
                             splitLine: {show: i === 0},
                             min: 0,
                           }));
  const many = t.length > kManyPoints;
  const chart_series = series.map((s) => {
    const values = list(s.values);
    const data = new Array(t.length);
    for (let i = 0; i < t.length; i++) {
      data[i] = [t[i], is_num(values[i]) ? values[i] : null];
    }
    return {
      name: s.label || s.name,
      type: 'line',
      yAxisIndex: units.indexOf(s.unit || ''),
      data,
      showSymbol: !many,
      symbolSize: 4,
      sampling: many ? 'lttb' : undefined,
      lineStyle: {width: 1.25},
      emphasis: {disabled: true},
    };
  });
  const unit_of = new Map(series.map((s) => [s.label || s.name, s.unit || '']));
  const right_axes = Math.max(units.length - 1, 0);
  return {
    legend: {top: 0, type: 'scroll'},
    grid: {left: 16, right: 24 + Math.max(right_axes - 1, 0) * 56, top: 48, bottom: 56},
    xAxis: {
      type: 'value',
      min: 'dataMin',
      max: 'dataMax',
      axisLabel: {formatter: (v) => fmt_num(v) + ' s'}
    },
    yAxis: y_axes,
    dataZoom:
        [{type: 'inside', xAxisIndex: 0}, {type: 'slider', xAxisIndex: 0, bottom: 8, height: 20}],
    tooltip: {
      trigger: 'axis',
      confine: true,
      formatter: (params) => {
        const items = list(params);
        if (items.length === 0) return '';
        const head = 't = ' + fmt_value(items[0].value[0], 's');
        return [escape_html(head)]
            .concat(items.map(
                (p) => p.marker +
                    escape_html(
                           p.seriesName + ': ' + fmt_value(p.value[1], unit_of.get(p.seriesName)))))
            .join('<br>');
      },
    },
    series: chart_series,
  };
}

function render_levels(run) {
  const levels = list(run.levels);
  if (levels.length === 0) return null;
  const sweep = run.sweep || null;
  const knee = sweep && is_num(sweep.knee_level) ? sweep.knee_level : null;
  const max_level =
      sweep && is_num(sweep.max_sustainable_level) ? sweep.max_sustainable_level : null;
  const level_label = (l) => {
    const badges = [];
    if (l.index === knee) badges.push(h('span', {class: 'badge', text: 'knee'}));
    if (l.index === max_level)
      badges.push(h('span', {class: 'badge good-badge', text: 'max sustainable'}));
    return h('span', null, text_or_dash(l.label), badges);
  };
  const ms = (key) => (l) => fmt_num(l[key]);
  const levels_table = table(
      [
        {title: '#', numeric: true, cell: (l) => fmt_num(l.index)},
        {title: 'Level', cell: level_label},
        {title: 'Kind', cell: (l) => l.kind},
        {title: 'Offered (req/s)', numeric: true, cell: ms('offered_rate')},
        {title: 'Concurrency', numeric: true, cell: ms('concurrency')},
        {title: 'Req/s', numeric: true, cell: ms('request_throughput')},
        {title: 'Tok/s', numeric: true, cell: ms('output_token_throughput')},
        {title: 'TTFT p50 (ms)', numeric: true, cell: ms('ttft_p50')},
        {title: 'TTFT p99 (ms)', numeric: true, cell: ms('ttft_p99')},
        {title: 'ITL p50 (ms)', numeric: true, cell: ms('itl_p50')},
        {title: 'ITL p99 (ms)', numeric: true, cell: ms('itl_p99')},
        {title: 'E2E p50 (ms)', numeric: true, cell: ms('e2e_p50')},
        {title: 'E2E p99 (ms)', numeric: true, cell: ms('e2e_p99')},
        {title: 'Success (%)', numeric: true, cell: ms('success_rate')},
        {title: 'Stopped by', cell: (l) => l.stop_reason},
      ],
      levels, {row_class: (l) => l.index === knee || l.index === max_level ? 'highlight' : null});
  const chart_caption = 'Throughput vs latency (p99), one point per level';
  const plottable =
      levels.some((l) => is_num(l.request_throughput) && (is_num(l.ttft_p99) || is_num(l.e2e_p99)));
  const chart = plottable ?
      figure(
          chart_caption,
          chart_box(() => levels_option(levels, sweep), {uses_log: true, size: 'tall'}),
          'figure-wide') :
      no_data(chart_caption);
  const facts = [];
  if (sweep) {
    if (is_num(sweep.max_sustainable_rate)) {
      facts.push('Max sustainable rate: ' + fmt_value(sweep.max_sustainable_rate, 'req/s'));
    }
    if (sweep.note) facts.push(String(sweep.note));
  }
  return section(
      'Load levels', facts.length ? h('p', {class: 'muted', text: facts.join(' \u00b7 ')}) : null,
      levels_table, chart);
}

function levels_option(levels, sweep) {
  const lines = [{key: 'ttft_p99', name: 'TTFT p99'}, {key: 'e2e_p99', name: 'E2E p99'}];
  const knee = sweep && is_num(sweep.knee_level) ? sweep.knee_level : null;
  const max_level =
      sweep && is_num(sweep.max_sustainable_level) ? sweep.max_sustainable_level : null;
  const bad = css_var('--bad', '#c00');
  const good = css_var('--good', '#080');
  const series = lines.map((line, line_index) => {
    const data = [];
    for (const l of levels) {
      if (is_num(l.request_throughput) && placeable(l[line.key])) {
        data.push(
            {value: [l.request_throughput, l[line.key]], name: String(l.label), level: l.index});
      }
    }
    const mark_points = [];
    const mark_lines = [];
    if (line_index === 0) {
      const knee_point = data.find((d) => d.level === knee);
      if (knee_point) {
        mark_points.push(
            {name: 'knee', coord: knee_point.value, value: 'knee', itemStyle: {color: bad}});
      }
      const max_point = levels.find((l) => l.index === max_level);
      const max_x = max_point && is_num(max_point.request_throughput) ?
          max_point.request_throughput :
          sweep && is_num(sweep.max_sustainable_rate) ? sweep.max_sustainable_rate :
                                                        null;
      if (max_x !== null) {
        mark_lines.push({
          xAxis: max_x,
          name: 'max sustainable',
          lineStyle: {color: good, type: 'dashed'},
          label: {formatter: 'max sustainable', color: good}
        });
      }
    }
    return {
      name: line.name,
      type: 'line',
      data,
      symbolSize: 7,
      label:
          {show: data.length <= 30, position: 'top', formatter: (p) => p.data.name, fontSize: 10},
      markPoint: mark_points.length ? {data: mark_points, symbolSize: 40, label: {fontSize: 10}} :
                                      undefined,
      markLine: mark_lines.length ? {data: mark_lines, symbol: 'none', silent: true} : undefined,
    };
  });
  return {
    legend: {top: 0},
    grid: {left: 16, right: 32, top: 48, bottom: 16},
    xAxis: value_axis('req/s (achieved)'),
    yAxis: latency_axis('ms'),
    tooltip: {
      trigger: 'item',
      confine: true,
      formatter: (p) => escape_html(
          p.data && p.data.name !== undefined ? p.data.name + ' \u00b7 ' + p.seriesName + ': ' +
                  fmt_value(p.value[1], 'ms') + ' at ' + fmt_value(p.value[0], 'req/s') :
                                                String(p.name)),
    },
    series,
  };
}

function render_native(run) {
  const rows = list(run.native);
  if (rows.length === 0) return null;
  const native_table = table(
      [
        {title: 'Figure', cell: (r) => r.label || r.metric},
        {title: 'n', numeric: true, cell: (r) => fmt_num(r.count)},
        {title: 'Client p50', numeric: true, cell: (r) => fmt_value(r.client_p50, r.unit)},
        {title: 'Engine p50', numeric: true, cell: (r) => fmt_value(r.native_p50, r.unit)},
        {title: 'Client p99', numeric: true, cell: (r) => fmt_value(r.client_p99, r.unit)},
        {title: 'Engine p99', numeric: true, cell: (r) => fmt_value(r.native_p99, r.unit)},
        {
          title: 'Δ p50 (client − engine)',
          numeric: true,
          cell: (r) => fmt_value(r.delta_p50, r.unit)
        },
      ],
      rows);
  const figures = rows.filter((r) => has_counts(r.delta_histogram))
                      .map(
                          (r) => figure(
                              text_or_dash(r.label || r.metric) + ': client − engine' +
                                  (r.unit ? ' (' + r.unit + ')' : ''),
                              chart_box(
                                  () => histogram_option(
                                      r.delta_histogram, r.unit || '', {unit: r.unit || ''}))));
  return section(
      'Client vs engine', native_table,
      figures.length ? h('div', {class: 'grid-3'}, figures) : null);
}

function render_workload(run) {
  const w = run.workload;
  if (!w) return null;
  const figures = [];
  if (has_counts(w.prompt_lengths)) {
    figures.push(figure(
        'Prompt lengths (tokens)',
        chart_box(() => histogram_option(w.prompt_lengths, 'tokens', {unit: 'tokens'}))));
  }
  if (has_counts(w.output_lengths)) {
    figures.push(figure(
        'Output lengths (tokens)',
        chart_box(() => histogram_option(w.output_lengths, 'tokens', {unit: 'tokens'}))));
  }
  const pairs =
      list(w.target_vs_engine).filter((p) => Array.isArray(p) && is_num(p[0]) && is_num(p[1]));
  if (pairs.length) {
    figures.push(figure(
        'Prompt tokens: targeted vs counted by the engine',
        chart_box(() => target_vs_engine_option(pairs))));
  }
  const samples = list(w.samples).map(
      (s, i) =>
          h('div', {class: 'sample'},
            h('div', {class: 'sample-label', text: 'Sample ' + (i + 1) + ': prompt'}),
            sample_text(s.prompt), h('div', {class: 'sample-label', text: 'output'}),
            sample_text(s.output)));
  return section(
      'Workload',
      h('p', {class: 'muted', text: 'Token counting: ' + text_or_dash(w.token_counting)}),
      figures.length ? h('div', {class: 'grid-3'}, figures) : null,
      samples.length ? h('div', {class: 'samples'}, samples) : null);
}

// An empty string is text the model produced (nothing); null is text that was not kept.
function sample_text(text) {
  if (text === '') return h('pre', {class: 'model-text muted', text: '(empty)'});
  return h('pre', {class: 'model-text', text: text_or_dash(text)});
}

function target_vs_engine_option(pairs) {
  let low = Infinity;
  let high = -Infinity;
  for (const p of pairs) {
    low = Math.min(low, p[0], p[1]);
    high = Math.max(high, p[0], p[1]);
  }
  return {
    grid: {left: 16, right: 40, top: 32, bottom: 16},
    xAxis: value_axis('targeted'),
    yAxis: value_axis('engine'),
    tooltip: {
      trigger: 'item',
      confine: true,
      formatter: (p) => escape_html(
          'targeted ' + fmt_num(p.value[0]) + ', engine ' + fmt_num(p.value[1]) + ' tokens'),
    },
    series: [{
      type: 'scatter',
      data: pairs,
      symbolSize: 5,
      large: pairs.length > 2000,
      markLine: {
        silent: true,
        symbol: 'none',
        lineStyle: {type: 'dashed'},
        label: {formatter: 'equal'},
        data: [[{coord: [low, low]}, {coord: [high, high]}]]
      },
    }],
  };
}

function render_details(run) {
  const d = run.details;
  if (!d) return null;
  const parts = [];
  if (d.command_line !== undefined && d.command_line !== null) {
    parts.push(
        h('h4', {text: 'Command line'}),
        h('pre', {class: 'model-text', text: String(d.command_line)}));
  }
  for (const [key, title] of [['spec', 'Spec'], ['context', 'Context']]) {
    if (d[key] !== undefined && d[key] !== null) {
      parts.push(
          h('h4', {text: title}), h('pre', {class: 'json', text: JSON.stringify(d[key], null, 2)}));
    }
  }
  if (parts.length === 0) return null;
  return h(
      'details', {class: 'details-block'},
      h('summary', {text: 'Details: command line, spec, context'}), parts);
}

function render_run(run) {
  return [
    run.source ? h('p', {class: 'muted source', text: 'Source: ' + String(run.source)}) : null,
    render_summary(run),
    render_distributions(run),
    render_time_series(run),
    render_levels(run),
    render_native(run),
    render_workload(run),
    render_details(run),
  ];
}

// ---------------------------------------------------------------------------------------------
// Comparison.

const kVerdictClass = {
  'regressed': 'bad',
  'improved': 'good',
  'within noise': 'neutral',
  'no significant difference': 'neutral',
  'not measured': 'muted',
};

function render_comparison(comparison) {
  const parts = [];
  const gate = comparison.gate;
  if (gate) {
    const failed = gate.failed === true;
    parts.push(
        h('div', {class: 'gate ' + (failed ? 'gate-failed' : 'gate-passed')},
          h('strong', {text: failed ? 'Gate failed' : 'Gate passed'}),
          message_list('gate-lines', gate.lines)));
  }
  list(comparison.sections).forEach((s) => parts.push(render_comparison_section(s)));
  return h('section', {class: 'top-section'}, h('h2', {text: 'Comparison'}), parts);
}

function render_comparison_section(s) {
  const title = s.title ? String(s.title) : text_or_dash(s.new) + ' vs ' + text_or_dash(s.base);
  const sources = (label, names) => h(
      'div', null, h('span', {class: 'muted', text: label + ': '}),
      text_or_dash(label === 'base' ? s.base : s.new),
      list(names).length ? h('span', {class: 'muted', text: ' (' + list(names).join(', ') + ')'}) :
                           null);
  const verdict_table = table(
      [
        {title: 'Figure', cell: (r) => r.label || r.figure},
        {title: 'Base', numeric: true, cell: (r) => fmt_value(r.base, r.unit)},
        {title: 'Base 95 % CI', numeric: true, cell: (r) => fmt_interval(r.base_low, r.base_high)},
        {title: 'New', numeric: true, cell: (r) => fmt_value(r.new, r.unit)},
        {title: 'New 95 % CI', numeric: true, cell: (r) => fmt_interval(r.new_low, r.new_high)},
        {title: 'Change', numeric: true, cell: (r) => fmt_change(r.change_pct)},
        {title: 'p', numeric: true, cell: (r) => fmt_p(r.p)},
        {title: 'p (adjusted)', numeric: true, cell: (r) => fmt_p(r.p_adjusted)},
        {
          title: 'Verdict',
          cell: (r) => h('span', {
            class: 'verdict ' + (kVerdictClass[r.verdict] || 'neutral'),
            text: text_or_dash(r.verdict)
          })
        },
        {
          title: 'Gate',
          cell: (r) =>
              r.gate_failed ? h('span', {class: 'gate-mark', text: '\u2717 failed'}) : h('span')
        },
      ],
      list(s.rows), {row_class: (r) => r.gate_failed ? 'row-gate-failed' : null});
  const geomeans = list(s.geomeans);
  const geomean_list = geomeans.length === 0 ?
      null :
      h('p', null, h('span', {class: 'muted', text: 'Geometric mean of changes: '}),
        geomeans.map(
            (g, i) =>
                h('span', {class: 'geomean'}, i ? ' \u00b7 ' : '', text_or_dash(g.label) + ': ',
                  h('strong', {text: fmt_change(g.change_pct)}))));
  const overlays = list(s.overlay).map((o) => {
    const caption =
        text_or_dash(o.label) + (o.unit ? ' (' + o.unit + ')' : '') + ': cumulative distributions';
    const curves = list(o.curves);
    if (!curves.some((c) => has_cdf_points(c.cdf))) return no_data(caption);
    return figure(
        caption,
        chart_box(
            () => cdf_option(
                o.unit || '', curves.map((c) => ({name: text_or_dash(c.label), cdf: c.cdf}))),
            {uses_log: true}));
  });
  const spreads = list(s.spread).map((sp) => {
    const caption = text_or_dash(sp.label || sp.figure) + ': per repetition';
    if (!list(sp.base).some(is_num) && !list(sp.new).some(is_num)) return no_data(caption);
    return figure(
        caption,
        chart_box(
            () => spread_option(sp, text_or_dash(s.base), text_or_dash(s.new)), {size: 'small'}));
  });
  return h(
      'div', {class: 'comparison-section'}, h('h3', {text: title}),
      h('div', {class: 'meta'}, sources('base', s.base_sources), sources('new', s.new_sources),
        s.method ? h('div', null, h('span', {class: 'muted', text: 'method: '}), String(s.method)) :
                   null),
      verdict_table, geomean_list, overlays.length ? h('div', {class: 'grid-2'}, overlays) : null,
      spreads.length ? h('div', null, h('h4', {text: 'Spread over repetitions'}),
                         h('div', {class: 'grid-4'}, spreads)) :
                       null);
}

function spread_option(spread, base_name, new_name) {
  const unit = spread.unit || '';
  const points = (values, x) =>
      list(values).map((v, i) => is_num(v) ? {value: [x, v], rep: i + 1} : null).filter(Boolean);
  return {
    legend: {top: 0},
    grid: {left: 16, right: 16, top: 36, bottom: 16},
    xAxis: {type: 'category', data: ['base', 'new']},
    yAxis: value_axis(unit),
    tooltip: {
      trigger: 'item',
      confine: true,
      formatter: (p) => escape_html(
          p.seriesName + ', repetition ' + p.data.rep + ': ' + fmt_value(p.value[1], unit)),
    },
    series: [
      {name: base_name, type: 'scatter', data: points(spread.base, 0), symbolSize: 9},
      {name: new_name, type: 'scatter', data: points(spread.new, 1), symbolSize: 9},
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// Trend.

function render_trend(trend) {
  const points = list(trend.points);
  const unit = trend.unit || '';
  const name = text_or_dash(trend.label || trend.metric);
  const trend_table = table(
      [
        {title: 'Run', numeric: true, cell: (p) => fmt_num(p.id)},
        {title: 'Started', cell: (p) => p.started_at},
        {
          title: name + (unit ? ' (' + unit + ')' : ''),
          numeric: true,
          cell: (p) => fmt_num(p.value)
        },
        {title: 'Engine', cell: (p) => p.engine},
        {title: 'Model', cell: (p) => p.model},
        {title: 'Tags', cell: (p) => list(p.tags).join(', ')},
      ],
      points);
  const chart = points.some((p) => is_num(p.value)) ?
      figure(name + ' over runs', chart_box(() => trend_option(trend)), 'figure-wide') :
      h('p', {class: 'muted', text: 'No run has a value for this figure.'});
  return h(
      'section', {class: 'top-section'}, h('h2', {text: 'Trend: ' + name}), chart, trend_table);
}

function trend_option(trend) {
  const points = list(trend.points);
  const unit = trend.unit || '';
  const many = points.length > kManyPoints;
  const data = points.map((p) => {
    const tags = list(p.tags);
    return {
      value: is_num(p.value) ? p.value : null,
      point: p,
      label: tags.length ? {show: true, position: 'top', formatter: tags.join(', '), fontSize: 10} :
                           undefined,
    };
  });
  return {
    grid: {left: 16, right: 32, top: 40, bottom: 56},
    xAxis: {type: 'category', data: points.map((p) => '#' + text_or_dash(p.id)), name: 'run'},
    yAxis: value_axis(unit),
    dataZoom: many ? [{type: 'inside'}, {type: 'slider', bottom: 8, height: 20}] : undefined,
    tooltip: {
      trigger: 'item',
      confine: true,
      formatter: (p) => {
        const point = p.data.point;
        return [
          'run #' + text_or_dash(point.id) + ' \u00b7 ' + text_or_dash(point.started_at),
          fmt_value(point.value, unit),
          text_or_dash(point.engine) + ' \u00b7 ' + text_or_dash(point.model),
          list(point.tags).length ? 'tags: ' + list(point.tags).join(', ') : '',
        ].filter(Boolean)
            .map(escape_html)
            .join('<br>');
      },
    },
    series: [{
      type: 'line',
      name: text_or_dash(trend.label),
      data,
      connectNulls: true,
      showSymbol: true,
      symbolSize: many ? 3 : 7,
      sampling: many ? 'lttb' : undefined
    }],
  };
}

// ---------------------------------------------------------------------------------------------
// Page.

function render_header(model) {
  const log_switch = h('input', {type: 'checkbox', id: 'log-axes'});
  log_switch.checked = state.log_axes;
  log_switch.addEventListener('change', () => {
    state.log_axes = log_switch.checked;
    redraw_log_charts();
  });
  const stamp = [model.generated_by, model.generated_at].filter(Boolean).join(' \u00b7 ');
  return h(
      'header', {class: 'page-header'}, h('h1', {text: text_or_dash(model.title)}),
      h('div', {class: 'header-row'},
        h('span', {class: 'muted', text: stamp + (model.kind ? ' \u00b7 ' + model.kind : '')}),
        h('label', {class: 'control'}, log_switch, ' log scale on latency axes')),
      message_list('warnings', model.warnings), message_list('notes', model.notes));
}

function render_runs(runs) {
  if (runs.length === 0) return null;
  if (runs.length === 1) {
    const run = runs[0];
    return h(
        'section', {class: 'top-section run'}, h('h2', {text: text_or_dash(run.label)}),
        render_run(run));
  }
  return h(
      'section', {class: 'top-section'}, h('h2', {text: 'Runs (' + runs.length + ')'}),
      runs.map(
          (run) =>
              h('details', {class: 'run'},
                h('summary', null, h('span', {class: 'run-label', text: text_or_dash(run.label)}),
                  run.source ? h('span', {class: 'muted', text: ' \u00b7 ' + String(run.source)}) :
                               null,
                  list(run.alerts).length ? h('span', {class: 'badge bad-badge', text: 'alert'}) :
                                            null),
                render_run(run))));
}

function main() {
  set_rendered(false);
  if (typeof echarts === 'undefined') throw new Error('echarts is not loaded');
  const data_node = document.getElementById('llmbench-data');
  if (!data_node) throw new Error('no #llmbench-data in the page');
  const model = JSON.parse(data_node.textContent);
  if (model.schema !== 1) {
    console.warn('llmbench report: model schema ' + model.schema + ', this page knows schema 1');
  }
  const app = document.getElementById('app');
  const page = document.createDocumentFragment();
  append_children(page, [
    render_header(model),
    model.comparison ? render_comparison(model.comparison) : null,
    model.trend ? render_trend(model.trend) : null,
    render_runs(list(model.runs)),
  ]);
  app.replaceChildren(page);

  // 'toggle' does not bubble; a capturing listener sees every <details>.
  document.addEventListener('toggle', (event) => {
    const details = event.target;
    if (!(details instanceof HTMLDetailsElement) || !details.open) return;
    create_visible_charts();
    // A chart drawn before this <details> was last closed may have missed a window resize.
    for (const entry of charts) {
      if (entry.instance && details.contains(entry.el) &&
          entry.instance.getWidth() !== entry.el.clientWidth) {
        entry.instance.resize();
      }
    }
  }, true);
  window.addEventListener('resize', resize_all);
  window.addEventListener('beforeprint', () => {
    for (const entry of charts)
      if (entry.instance) entry.instance.resize();
  });
  if (state.dark_query) state.dark_query.addEventListener('change', redraw_all);

  create_visible_charts();
}

try {
  main();
} catch (err) {
  const app = document.getElementById('app');
  if (app) {
    app.replaceChildren(
        h('div',
          {class: 'fatal', text: 'The report could not be drawn: ' + String(err && err.message)}));
  }
  throw err;  // to the console, where the browser test sees it
}
})();
