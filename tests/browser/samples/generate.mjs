// Writes the sample report models (schema 1) the browser self-test renders:
//   node tests/browser/samples/generate.mjs [OUT_DIR]   (default: this directory)
// The samples are committed; rerun this only to change them. A seeded generator, so the output
// is the same on every run. Between them the samples hold every field of the schema, nulls where
// a figure may be missing, model text that looks like markup, and a run as large as the C++ side
// lets one get (512-point CDFs, an hour of 1 s windows), so the render time is the worst case.
import {writeFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

const out_dir = process.argv[2] || dirname(fileURLToPath(import.meta.url));

// mulberry32: small, seeded, good enough for plausible-looking data.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = rng(20261201);
function normal() {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}
function lognormal(median, sigma) {
  return median * Math.exp(sigma * normal());
}
const round = (v, digits = 2) => Math.round(v * 10 ** digits) / 10 ** digits;

function percentile(sorted, p) {
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
}

function histogram(values, bins) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const width = (hi - lo) / bins || 1;
  const edges = Array.from({length: bins + 1}, (_, i) => round(lo + i * width, 3));
  const counts = new Array(bins).fill(0);
  for (const v of values) counts[Math.min(Math.floor((v - lo) / width), bins - 1)]++;
  return {edges, counts};
}

// `count` is the number the model states; the figures come from a sample of at most 20,000.
function distribution(metric, label, unit, count, median, sigma) {
  const n = Math.min(count, 20000);
  const values = Array.from({length: n}, () => lognormal(median, sigma)).sort((a, b) => a - b);
  const points = Math.min(512, n);
  const cdf = [];
  for (let i = 0; i < points; i++) {
    const index = Math.round(((i + 1) / points) * n) - 1;
    cdf.push([round(values[index], 3), round((index + 1) / n, 5)]);
  }
  const percentiles = [50, 90, 95, 99, 99.9].map((p) => {
    const value = round(percentile(values, p), 2);
    const exact = p < 99.9;
    return {
      p,
      value,
      low: exact ? round(value * 0.97, 2) : null,
      high: exact ? round(value * 1.04, 2) : null
    };
  });
  return {metric, label, unit, count, cdf, histogram: histogram(values, 60), percentiles};
}

function time_series(seconds, options) {
  const rate = options.rate || 10;
  const t = Array.from({length: seconds}, (_, i) => i);
  const wave = (i, base, amplitude) =>
      base + amplitude * Math.sin(i / 90) + normal() * amplitude * 0.3;
  const gap = (i) => options.gaps && i % 600 >= 300 && i % 600 < 305;  // scrape gaps: null
  const series = [
    {
      name: 'request_throughput',
      label: 'Requests/s',
      unit: 'req/s',
      group: 'throughput',
      values: t.map((i) => gap(i) ? null : round(Math.max(0, wave(i, rate, 1)), 2))
    },
    {
      name: 'output_token_throughput',
      label: 'Output tok/s',
      unit: 'tok/s',
      group: 'throughput',
      values: t.map((i) => round(Math.max(0, wave(i, rate * 140, 90)), 1))
    },
    {
      name: 'in_flight',
      label: 'In flight',
      unit: 'requests',
      group: 'in_flight',
      values: t.map((i) => Math.max(0, Math.round(wave(i, 8, 2))))
    },
    {
      name: 'ttft_p50',
      label: 'TTFT p50',
      unit: 'ms',
      group: 'latency',
      values: t.map((i) => round(Math.max(1, wave(i, 42, 6)), 1))
    },
    {
      name: 'ttft_p99',
      label: 'TTFT p99',
      unit: 'ms',
      group: 'latency',
      values: t.map((i) => round(Math.max(1, wave(i, 120, 25)), 1))
    },
    {
      name: 'itl_p50',
      label: 'ITL p50',
      unit: 'ms',
      group: 'latency',
      values: t.map((i) => round(Math.max(0.5, wave(i, 6.5, 0.6)), 2))
    },
    {
      name: 'itl_p99',
      label: 'ITL p99',
      unit: 'ms',
      group: 'latency',
      values: t.map((i) => round(Math.max(0.5, wave(i, 14, 2)), 2))
    },
    {
      name: 'errors_timeout',
      label: 'timeout',
      unit: 'count',
      group: 'errors',
      values: t.map(() => random() < 0.01 ? 1 : 0)
    },
    {
      name: 'errors_http_5xx',
      label: 'http_5xx',
      unit: 'count',
      group: 'errors',
      values: t.map(() => random() < 0.004 ? Math.ceil(random() * 3) : 0)
    },
  ];
  if (options.open_loop) {
    series.push({
      name: 'schedule_lag_p99',
      label: 'Schedule lag p99',
      unit: 'ms',
      group: 'schedule',
      values: t.map((i) => round(Math.max(0, wave(i, 0.8, 0.4)), 3))
    });
  }
  if (options.gpu) {
    series.push(
        {
          name: 'gpu_utilization',
          label: 'GPU 0 utilization',
          unit: '%',
          group: 'gpu',
          values:
              t.map((i) => gap(i) ? null : round(Math.min(100, Math.max(0, wave(i, 78, 10))), 1))
        },
        {
          name: 'gpu_power',
          label: 'GPU 0 power',
          unit: 'W',
          group: 'gpu',
          values: t.map((i) => gap(i) ? null : round(wave(i, 410, 40), 1))
        },
        {
          name: 'kv_cache_usage',
          label: 'KV cache',
          unit: '%',
          group: 'engine:kv_cache',
          values: t.map((i) => round(Math.min(100, Math.max(0, wave(i, 35, 12))), 1))
        },
        {
          name: 'host_cpu',
          label: 'Host CPU',
          unit: '%',
          group: 'host',
          values: t.map((i) => round(Math.max(0, wave(i, 22, 5)), 1))
        });
  }
  return {window_s: 1.0, t, series};
}

const hostile_prompt = 'Summarise this page: <script>alert(1)</script> and keep "</script>" ' +
    'literally; also <img src=x onerror=alert(2)> & <!-- a comment --> &amp; ' +
    '\u00e9\u00e8 \u4f60\u597d ' +
    // Unescaped, "<!--" then "<script" would keep the model's <script> element open past its end.
    'and <!--<script>x</script>-->';
const samples = [
  {prompt: hostile_prompt, output: 'The page holds a <script> element; "</script>" ends it.'},
  {
    prompt: 'Write a haiku about GPUs.',
    output: 'Silicon rivers\nwarm tensors flow through the night\nfans hum the answer'
  },
  {prompt: 'x'.repeat(300) + '\u2026', output: ''},
];

function details(engine, extra) {
  return {
    command_line: 'llmbench run --url http://127.0.0.1:8000/v1 --engine ' + engine +
        ' --model meta-llama/Llama-3.1-8B-Instruct --rate 10 --duration 3600s --seed 7 ' +
        '--prompt \'<b>not bold</b>\'',
    spec: Object.assign(
        {
          engine,
          model: 'meta-llama/Llama-3.1-8B-Instruct',
          load: {kind: 'rate', rate: 10, arrival: 'poisson'},
          duration_s: 3600,
          seed: 7,
          slo: {ttft_p99_ms: 500, tpot_p99_ms: 50},
          warmup_s: 30
        },
        extra || {}),
    context: {
      schema_version: 3,
      tool: 'llmbench 0.9.0',
      git_sha: '0123abcd',
      host: 'bench-01',
      cpu: 'AMD EPYC 9354 (32 cores)',
      gpu: ['NVIDIA H200'],
      engine_version: '0.11.0',
      started_at: '2026-12-01T11:00:00Z',
      seed: 7
    },
  };
}

function run_view(label, options) {
  const count = options.count;
  const distributions = [
    distribution('ttft', 'TTFT', 'ms', count, options.ttft || 42, 0.45),
    distribution('itl', 'ITL', 'ms', count * 20, 6.5, 0.3),
    distribution('tpot', 'TPOT', 'ms', count, 7.1, 0.2),
    distribution('e2e_latency', 'E2E latency', 'ms', count, 1450, 0.5),
  ];
  if (options.open_loop) {
    distributions.push(
        distribution('ttft_sched', 'TTFT (scheduled)', 'ms', count, 44, 0.5),
        distribution('e2e_latency_sched', 'E2E latency (scheduled)', 'ms', count, 1460, 0.5));
  }
  const view = {
    label,
    source: options.source,
    cards: [
      {label: 'Engine', text: options.engine + ' 0.11.0'},
      {label: 'Model', text: 'meta-llama/Llama-3.1-8B-Instruct'},
      {label: 'Requests', value: count, unit: ''},
      {label: 'Output throughput', value: 1523.4, unit: 'tok/s', detail: '95 % CI 1490\u20131550'},
      {label: 'Request throughput', value: 9.98, unit: 'req/s'},
      {label: 'Success rate', value: 99.5, unit: '%'},
      {
        label: 'Goodput',
        value: options.goodput === undefined ? null : options.goodput,
        unit: 'req/s',
        detail: options.goodput === undefined ? 'no SLO given' : undefined
      },
      {label: 'Energy per token', value: null, unit: 'J/token', detail: 'no GPU energy counter'},
    ],
    slo: [
      {gate: 'ttft.p99<=500ms', passed: true, value: 412.3, unit: 'ms'},
      {gate: 'tpot.p99<=8ms', passed: false, value: 9.4, unit: 'ms'},
      {gate: 'queue_time.p99<=100ms', passed: null, value: null, unit: 'ms'},
    ],
    alerts: options.alerts || [],
    distributions,
    time_series: options.seconds ? time_series(options.seconds, options) : null,
    levels: options.levels || [],
    sweep: options.sweep || null,
    native: options.native === false ?
        [] :
        [
          {
            metric: 'ttft',
            label: 'TTFT',
            unit: 'ms',
            count,
            client_p50: 40.1,
            native_p50: 38.0,
            client_p99: 55.0,
            native_p99: 50.2,
            delta_p50: 2.1,
            delta_histogram: histogram(Array.from({length: count}, () => 2.1 + normal() * 0.8), 40)
          },
          {
            metric: 'e2e_latency',
            label: 'E2E latency',
            unit: 'ms',
            count,
            client_p50: 1450.2,
            native_p50: 1441.7,
            client_p99: 2980.0,
            native_p99: null,
            delta_p50: 8.5,
            delta_histogram:
                histogram(Array.from({length: count}, () => 8.5 + normal() * 3 - 2), 40)
          },
          {
            metric: 'prompt_eval_duration',
            label: 'Prefill',
            unit: 'ms',
            count: 0,
            client_p50: null,
            native_p50: 12.0,
            client_p99: null,
            native_p99: 19.5,
            delta_p50: null,
            delta_histogram: {edges: [], counts: []}
          },
        ],
    workload: {
      token_counting: options.token_counting || 'exact: tokenizer.json',
      prompt_lengths: histogram(Array.from({length: count}, () => lognormal(512, 0.6)), 50),
      output_lengths: histogram(Array.from({length: count}, () => lognormal(180, 0.4)), 50),
      target_vs_engine: options.targets === false ?
          [] :
          Array.from(
              {length: 500},
              () => {
                const target = Math.round(lognormal(512, 0.6));
                return [target, Math.round(target * (1 + normal() * 0.02))];
              }),
      samples,
    },
    details: details(options.engine),
  };
  return view;
}

function top(kind, title, fields) {
  return Object.assign(
      {
        schema: 1,
        kind,
        title,
        generated_by: 'llmbench 0.9.0',
        generated_at: '2026-12-01T12:00:00Z',
        warnings: [],
        notes: [],
        comparison: null,
        trend: null,
        runs: [],
      },
      fields);
}

function write(name, model) {
  writeFileSync(join(out_dir, name), JSON.stringify(model) + '\n');
}

// run: open loop, an hour of 1 s windows, every optional group, client-bound.
write('run.json', top('run', 'vllm \u00b7 Llama-3.1-8B \u00b7 rate 10 req/s <open loop>', {
        warnings: ['the engine restarted 2 times during the run (HTTP 5xx at 00:41:10)'],
        notes: [
          'per-request data downsampled: CDFs at 512 points, histograms 60 bins',
          'time series: 1 s windows'
        ],
        runs: [run_view('vllm r1', {
          source: 'results/01-chat-default-vllm-r1.json',
          engine: 'vllm',
          count: 36000,
          open_loop: true,
          gpu: true,
          gaps: true,
          seconds: 3600,
          goodput: 9.1,
          alerts:
              ['client-bound: the client used 97 % of a core; figures may be the client\'s limit'],
        })],
      }));

// sweep: concurrency levels with a knee; one level without a p99; no GPU; no target points.
const sweep_levels = [1, 2, 4, 8, 16, 32, 64, 128].map((c, index) => {
  const throughput = 3.2 * Math.min(c, 24) ** 0.9;
  const saturated = c > 24;
  return {
    index,
    label: 'c=' + c,
    kind: 'concurrency',
    offered_rate: null,
    concurrency: c,
    request_throughput: round(throughput, 2),
    output_token_throughput: round(throughput * 128, 1),
    ttft_p50: round(40 * (saturated ? c / 16 : 1 + c / 64), 1),
    ttft_p99: index === 6 ? null : round(55 * (saturated ? (c / 16) ** 1.4 : 1 + c / 40), 1),
    itl_p50: round(4 + c * 0.05, 2),
    itl_p99: round(6.1 + c * 0.09, 2),
    e2e_p50: round(500 + c * 12, 1),
    e2e_p99: round(620 + c * 25 * (saturated ? 3 : 1), 1),
    success_rate: c >= 128 ? 97.5 : 100.0,
    stop_reason: c >= 128 ? 'slo exceeded' : 'completed',
  };
});
write('sweep.json', top('sweep', 'tgi \u00b7 concurrency sweep 1\u2013128', {
        notes: ['per-request data downsampled: CDFs at 512 points, histograms 60 bins'],
        runs: [run_view('tgi sweep', {
          source: 'results/sweep-tgi.json',
          engine: 'tgi',
          count: 4000,
          seconds: 480,
          levels: sweep_levels,
          targets: false,
          token_counting: 'estimate',
          native: false,
          sweep: {
            knee_level: 4,
            max_sustainable_level: 3,
            max_sustainable_rate: 12.5,
            note: 'knee: where added load stopped adding throughput'
          },
        })],
      }));

// comparison model shared by the suite and the comparison samples.
function comparison(failed) {
  const row = (figure, label, unit, base, change, p, verdict, gate_failed) => {
    const nu = base === null || change === null ? null : round(base * (1 + change / 100), 2);
    return {
      figure,
      label,
      unit,
      base,
      base_low: base === null ? null : round(base * 0.95, 2),
      base_high: base === null ? null : round(base * 1.05, 2),
      new: nu,
      new_low: nu === null ? null : round(nu * 0.95, 2),
      new_high: nu === null ? null : round(nu * 1.05, 2),
      change_pct: change,
      p,
      p_adjusted: p === null ? null : Math.min(1, p * 4),
      verdict,
      gate_failed
    };
  };
  const curves = (metric, label, median) => ({
    metric,
    label,
    unit: 'ms',
    curves: [
      {label: 'vllm', cdf: distribution(metric, label, 'ms', 2000, median, 0.4).cdf},
      {label: 'tgi <new>', cdf: distribution(metric, label, 'ms', 2000, median * 1.25, 0.45).cdf}
    ],
  });
  const spread = (figure, label, unit, base, change) => ({
    figure,
    label,
    unit,
    base: [base * 0.98, base, base * 1.03].map((v) => round(v)),
    new: [base * (1 + change / 100) * 0.99, null, base * (1 + change / 100) * 1.02].map(
        (v) => v === null ? null : round(v)),
  });
  return {
    sections: [
      {
        title: 'chat / default: tgi vs vllm',
        base: 'vllm',
        new: 'tgi <new>',
        base_sources: ['a1.json', 'a2.json', 'a3.json'],
        new_sources: ['b1.json', 'b2.json', 'b3.json'],
        method: 'Mann\u2013Whitney U over 3 repetitions a side, Holm-adjusted',
        rows: [
          row('ttft.p99', 'TTFT p99', 'ms', 120.0, 25.0, 0.01, 'regressed', failed),
          row('ttft.p50', 'TTFT p50', 'ms', 40.2, -8.0, 0.03, 'improved', false),
          row('itl.p99', 'ITL p99', 'ms', 14.0, 1.2, 0.4, 'within noise', false),
          row('output_token_throughput', 'Output throughput', 'tok/s', 1523.4, -0.4, 0.8,
              'no significant difference', false),
          row('energy_per_token', 'Energy per token', 'J/token', null, null, null, 'not measured',
              false),
        ],
        geomeans: [
          {label: 'lower is better', change_pct: 3.1}, {label: 'higher is better', change_pct: -0.4}
        ],
        overlay: [curves('ttft', 'TTFT', 42), curves('e2e_latency', 'E2E latency', 1450)],
        spread: [
          spread('ttft.p99', 'TTFT p99', 'ms', 120, 25),
          spread('ttft.p50', 'TTFT p50', 'ms', 40, -8),
          spread('output_token_throughput', 'Output throughput', 'tok/s', 1523, -0.4)
        ],
      },
      {
        title: '',
        base: 'vllm',
        new: 'llama.cpp',
        base_sources: ['a1.json'],
        new_sources: ['c1.json'],
        method: 'one repetition a side: differences beyond the CIs',
        rows: [row('e2e_latency.p99', 'E2E p99', 'ms', 2980.0, 4.0, null, 'within noise', false)],
        geomeans: [],
        overlay: [],
        spread: [],
      }
    ],
    gate: {
      failed,
      lines: failed ? ['ttft.p99 regressed +25.0 % (limit 5 %)'] :
                      ['every gated figure within its limit']
    },
  };
}

write('suite.json', top('suite', 'suite: chat-default \u00b7 4 runs', {
        warnings: ['1 run of 4 ended early: its figures cover 212 s of 300 s'],
        notes: ['per-request data downsampled: CDFs at 512 points, histograms 60 bins'],
        comparison: comparison(false),
        runs: ['vllm r1', 'vllm r2', 'tgi r1', 'tgi r2'].map(
            (label, i) => run_view(label, {
              source: 'results/0' + (i + 1) + '-chat-default-' + label.replace(' ', '-') + '.json',
              engine: label.split(' ')[0],
              count: 3000,
              seconds: 300,
              gpu: i === 0,
              alerts: i === 3 ? ['client-bound: the client used 91 % of a core'] : [],
              ttft: i >= 2 ? 52 : 42,
            })),
      }));

write(
    'comparison.json', top('comparison', 'compare: tgi vs vllm (chat / default)', {
      warnings: ['c2.json could not be read: not a llmbench result (no schema_version)'],
      comparison: comparison(true),
      runs: [
        run_view('vllm r1 (base)', {source: 'a1.json', engine: 'vllm', count: 2000, seconds: 120}),
        run_view(
            'tgi r1 (new)',
            {source: 'b1.json', engine: 'tgi', count: 2000, seconds: 120, ttft: 52, native: false})
      ],
    }));

const engines = ['vllm', 'vllm', 'tgi'];
write(
    'trend.json', top('trend', 'trend: ttft.p99 over the last 40 runs', {
      notes: ['3 runs have no TTFT p99 (failed before the first token)'],
      trend: {
        metric: 'ttft.p99',
        label: 'TTFT p99',
        unit: 'ms',
        points: Array.from(
            {length: 40},
            (_, i) => ({
              id: 100 + i,
              started_at: new Date(Date.UTC(2026, 10, 1 + i, 10)).toISOString().replace('.000', ''),
              value: i % 13 === 5 ?
                  null :
                  round(120 + 8 * Math.sin(i / 4) + (i > 30 ? 25 : 0) + normal() * 3, 1),
              engine: engines[i % 3],
              model: 'meta-llama/Llama-3.1-8B-Instruct',
              tags: i === 0 ? ['baseline'] :
                  i === 32  ? ['engine 0.11.0', '<b>upgrade</b>'] :
                              [],
            })),
      },
    }));
