#include "app/benchmark.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <mutex>
#include <thread>

#include "app/history.h"
#include "app/monitoring.h"
#include "app/plan.h"
#include "app/report.h"
#include "app/result_sink.h"
#include "app/workload_setup.h"
#include "core/text.h"
#include "engines/registry.h"
#include "metrics/summary.h"
#include "metrics/sweep.h"
#include "runner/runner.h"
#include "workload/fingerprint.h"

#ifndef LLMBENCH_VERSION
#define LLMBENCH_VERSION "0.0.0"
#endif
#ifndef LLMBENCH_GIT_SHA
#define LLMBENCH_GIT_SHA "unknown"
#endif

namespace llmbench::app {

namespace {

std::string utc_now(const char* format) {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, format, &utc);
  return buffer;
}

std::string hostname() {
  char buffer[256] = {};
  if (gethostname(buffer, sizeof buffer - 1) != 0) return "unknown";
  return buffer;
}

// Removes the spill file however the use case ends (the result has copied it by then),
// unless kept because a result could not be written.
struct RemoveOnExit {
  const ResultSink& sink;
  bool keep = false;
  ~RemoveOnExit() {
    if (keep || sink.spill_path().empty()) return;
    std::error_code ignored;
    std::filesystem::remove(sink.spill_path(), ignored);
  }
};

// Where the spill file goes: beside a result written by rename (that folder was checked
// writable), else (a device, FIFO or stdout) in the temporary folder.
std::pair<std::filesystem::path, std::string> spill_place(const std::filesystem::path& output) {
  auto target = report::check_output(output);
  if (target && target->mode == report::OutputMode::kReplace) {
    const std::filesystem::path dir =
        target->target.has_parent_path() ? target->target.parent_path() : ".";
    return {dir, target->target.filename().string()};
  }
  std::error_code ec;
  std::filesystem::path dir = std::filesystem::temp_directory_path(ec);
  if (ec) dir = "/tmp";
  const std::string name = output.filename().string();
  return {dir, "llmbench-" + (name.empty() || name == "-" ? std::string("stdout") : name)};
}

// The whole run's client health: the worst of its levels.
void merge_client_health(report::RunReport& report) {
  metrics::ClientHealth& all = report.summary.client;
  for (const report::LevelReport& level : report.levels) {
    const metrics::ClientHealth& one = level.summary.client;
    all.worker_cpu.resize(std::max(all.worker_cpu.size(), one.worker_cpu.size()), 0);
    for (std::size_t w = 0; w < one.worker_cpu.size(); ++w) {
      all.worker_cpu[w] = std::max(all.worker_cpu[w], one.worker_cpu[w]);
    }
    all.process_cpu = std::max(all.process_cpu, one.process_cpu);
    if (one.client_bound && !all.client_bound) {
      all.client_bound = true;
      all.reason = one.reason;
    }
  }
}

// Cancelled requests are neither: a run cut short before anything finished did not fail.
bool every_request_failed(const metrics::RunSummary& s) { return s.succeeded == 0 && s.failed > 0; }

void add_warnings(report::RunReport& report, const ResolvedRun& run,
                  const std::vector<std::string>& workload_warnings) {
  const RunSpec& spec = run.spec;
  if (!engines::honours_ignore_eos(spec.engine)) {
    report.warnings.push_back(
        std::string(engines::to_string(spec.engine)) +
        " cannot be told to ignore end-of-sequence: output lengths are whatever it generated "
        "(see output_tokens per request)");
  }
  for (const std::string& warning : workload_warnings) report.warnings.push_back(warning);
  const metrics::RunSummary& s = report.summary;
  if (s.prompt_length_mismatch_rate && *s.prompt_length_mismatch_rate > 0) {
    report.warnings.push_back(fmt::format(
        "{:.1f}% of prompts were not their target length by the engine's count (most common "
        "difference {:+d} tokens{})",
        *s.prompt_length_mismatch_rate * 100, s.prompt_length_offset,
        spec.api->api == ApiKind::kChat ? ": the chat template's own tokens" : ""));
  }
  if (s.client.client_bound) report.warnings.push_back("client-bound: " + s.client.reason);
  if (auto cut = metrics::series_cut_warning(s.time_series)) report.warnings.push_back(*cut);
  if (report.stop_reason == "max_error_rate" && spec.error_limit) {
    report.warnings.push_back(fmt::format(
        "stopped early: more than {:.0f}% of the last {} requests failed (--max-error-rate)",
        spec.error_limit->max_rate * 100, spec.error_limit->window));
  }
  if (every_request_failed(s)) {
    report.warnings.push_back("every request failed; see the errors above and in the result file");
  }
}

// The run's workload fingerprint: its first requests (all of them up to 10,000, or the first
// 1,000 when the count is not known in advance) and its load as the result states it.
WorkloadFingerprint fingerprint_of(const ResolvedRun& run, const workload::Workload& workload,
                                   std::uint64_t known) {
  const ResolvedRunSpec& r = run.record;
  workload::LoadDescription load;
  load.mode = std::string(to_string(r.load_mode));
  if (r.load_mode == LoadMode::kConcurrencySteps) {
    load.concurrency = r.concurrency_levels;
  } else if (!r.rate && r.rate_schedule.empty() && run.spec.trace.empty()) {
    load.concurrency = {r.concurrency};
  }
  load.rate = r.rate ? fmt::format("{:g}", *r.rate) : r.rate_schedule;
  load.arrival = r.arrival;
  load.burstiness = r.burstiness;
  if (!run.spec.trace.empty()) {
    load.trace_sha256 = workload::sha256_hex(fmt::format("{}", fmt::join(run.spec.trace, ",")));
  }
  if (r.requests) load.requests = std::to_string(*r.requests);
  if (r.duration) load.duration = fmt::format("{:g}s", *r.duration);
  load.warmup = r.warmup;
  load.cooldown = r.cooldown;
  load.seed = r.seed;
  const std::uint64_t count = known > 0 ? std::min<std::uint64_t>(known, 10'000) : 1'000;
  const workload::Fingerprint f = workload::fingerprint(workload, count, load);
  return {f.workload, f.prompts, f.lengths, f.load, f.requests_hashed};
}

}  // namespace

std::string timestamp_for_files() { return utc_now("%Y%m%dT%H%M%SZ"); }

std::string utc_now_iso8601() { return utc_now("%Y-%m-%dT%H:%M:%SZ"); }

std::filesystem::path default_output_path(std::string_view engine) {
  return fmt::format("results/{}-{}.json", timestamp_for_files(), engine);
}

BenchmarkResult run_benchmark(const ResolvedRun& run, CancellationToken& cancel,
                              RunObserver& observer) {
  const RunSpec& spec = run.spec;
  const std::filesystem::path output_json =
      spec.outputs.json.empty() ? default_output_path(engines::to_string(spec.engine))
                                : spec.outputs.json;

  engines::EngineOptions engine_options;
  engine_options.kind = spec.engine;
  engine_options.route = spec.api->route;
  engine_options.base_path = spec.url.base_path;
  engine_options.api_key = spec.api_key;
  engine_options.keep_alive = spec.keep_alive;
  engine_options.headers = spec.headers;
  const auto engine = engines::make_engine(engine_options);

  // Prompts are made, counted and corrected before any clock starts.
  BuiltWorkload built =
      build_workload(run, *engine, requests_known_in_advance(spec), cancel, observer);
  const workload::Workload& workload = *built.workload;

  metrics::AggregatorOptions aggregation;
  aggregation.forced_length = spec.ignore_eos && engines::honours_ignore_eos(spec.engine);
  aggregation.slos = spec.slos;
  aggregation.window = to_seconds(spec.window);
  if (spec.outputs.json.empty()) {
    std::error_code ignored;  // a failure shows when the spill file is made
    std::filesystem::create_directories(output_json.parent_path(), ignored);
  }
  const bool several_levels =
      spec.mode == LoadMode::kSweep || spec.mode == LoadMode::kConcurrencySteps;
  auto [spill_dir, spill_stem] = spill_place(output_json);
  ResultSink sink(std::move(spill_dir), std::move(spill_stem), spec.outputs.requests_csv,
                  aggregation, spec.request_detail, several_levels);
  RemoveOnExit remove_spill{sink};
  sink.open();

  BenchmarkResult result;
  report::RunReport& report = result.report;
  report.context.tool_version = LLMBENCH_VERSION;
  report.context.git_sha = LLMBENCH_GIT_SHA;
  report.context.host = hostname();
  report.context.started_at = utc_now_iso8601();
  report.context.command_line = spec.command_line;
  report.context.clock_resolution = measure_clock_resolution();
  report.context.cpu_count = static_cast<int>(std::thread::hardware_concurrency());
  report.spec = run.record;
  report.engine = run.engine_info;
  report.workload = built.info;
  report.workload.fingerprint = fingerprint_of(run, workload, requests_known_in_advance(spec));

  SteadyClockSource clock;
  std::uint64_t next_id = 0;
  std::string stop_reason = "completed";
  std::uint64_t connections_opened = 0;
  std::uint64_t connect_failure_streak = 0;
  // What the live view measures progress against: the run's requests or its length, when
  // known before it starts (a sweep's rate levels are not).
  if (spec.mode != LoadMode::kSweep) {
    const double levels = spec.mode == LoadMode::kConcurrencySteps
                              ? static_cast<double>(spec.concurrency.size())
                              : 1.0;
    std::optional<std::uint64_t> total;
    if (spec.requests) total = requests_known_in_advance(spec);
    std::optional<double> length;
    if (spec.duration) length = to_seconds(*spec.duration) * levels;
    sink.set_plan(total, length);
  }
  // The monitors start before the first level (and its idle baseline before them); their
  // clock is moved onto the run's once the run's origin is known.
  std::optional<monitor::ResourceMonitor> monitors;
  const TimePoint monitors_origin = SteadyClock::now();
  if (spec.monitors.enabled) {
    monitors.emplace(monitor_options(spec, std::string(engines::to_string(spec.engine))),
                     monitors_origin);
    observer.note(describe_monitors(monitors->status()));
    if (spec.monitors.idle_baseline > Duration::zero()) {
      std::atomic<bool> stop_baseline{false};
      const auto registration = cancel.on_cancel([&stop_baseline] { stop_baseline = true; });
      observer.note(fmt::format("measuring the GPUs' idle power for {:g} s (--idle-baseline)",
                                to_seconds(spec.monitors.idle_baseline)));
      monitors->measure_idle_baseline(spec.monitors.idle_baseline, stop_baseline);
    }
    monitors->start();
  }
  std::vector<std::optional<ResultSink::Span>> level_spans;
  observer.started(sink);

  auto run_level = [&](const LevelPlan& plan) -> report::LevelReport {
    const auto level_index = static_cast<std::uint32_t>(report.levels.size());
    runner::RunOptions options = level_options(spec, plan, level_index, next_id);
    runner::Runner runner(options, *engine, workload, sink, clock);
    Expected<runner::RunTimes> times;
    std::optional<metrics::StabilityReading> stable;  // written on the drain thread
    if (spec.until_stable) {
      sink.watch_stability(*spec.until_stable, spec.window,
                           [&runner, &stable](const metrics::StabilityReading& reading) {
                             stable = reading;
                             runner.end_early(runner::StopReason::kStable);
                           });
    }
    {
      // Cancelling stops the level in progress; no later level starts.
      const auto registration = cancel.on_cancel([&runner] { runner.cancel(); });
      times = runner.run();
    }
    sink.stop_watching();  // from here on `stable` is ours to read
    if (!times) throw Failure{kExitUnreachable, times.error().message};
    report::LevelReport level;
    level.index = level_index;
    level.kind = std::string(to_string(plan.kind));
    level.offered_rate = plan.rate;
    if (!plan.open_loop()) level.concurrency = options.concurrency;
    level.stop_reason =
        cancel.cancelled() ? "interrupted" : std::string(runner::to_string(times->stop_reason));
    if (stable && level.stop_reason == "stable") {
      level.stop_detail = metrics::describe_stable_stop(*spec.until_stable, *stable);
      observer.note(level.stop_detail);
    }
    level.summary = sink.end_level();
    level_spans.push_back(sink.level_span());
    level.summary.client = metrics::assess_client(times->worker_cpu, times->process_cpu,
                                                  level.summary.schedule_lag, plan.open_loop());
    next_id += times->requests_started;
    connections_opened += times->connections_opened;
    connect_failure_streak = std::max(connect_failure_streak, times->connect_failure_streak);
    // A stable level ended as planned: the next level still runs.
    if (level.stop_reason != "completed" && level.stop_reason != "stable") {
      stop_reason = level.stop_reason;
    }
    return level;
  };

  std::vector<LevelPlan> plans = initial_levels(spec);
  for (std::size_t i = 0; i < plans.size() && stop_reason == "completed" && !cancel.cancelled();
       ++i) {
    std::optional<metrics::LiveLevel> live_level;
    if (several_levels) {
      live_level.emplace();
      live_level->index = static_cast<std::uint32_t>(i);
      // A sweep's rate levels are known once its first two were measured.
      if (spec.mode != LoadMode::kSweep || plans.size() > 2) {
        live_level->count = static_cast<std::uint32_t>(plans.size());
      }
      live_level->kind = std::string(to_string(plans[i].kind));
      live_level->concurrency = plans[i].open_loop() ? std::nullopt : plans[i].concurrency;
      live_level->rate = plans[i].rate;
    }
    sink.set_level(std::move(live_level), plans[i].open_loop());
    report.levels.push_back(run_level(plans[i]));
    if (spec.mode == LoadMode::kSweep && i == 1) {
      for (const LevelPlan& rate :
           sweep_rate_levels(report.levels[0].summary.completion_rate,
                             report.levels[1].summary.completion_rate, spec.sweep_steps)) {
        plans.push_back(rate);
      }
    }
  }
  observer.finished();

  report.origin = sink.origin();
  report.interrupted = cancel.cancelled() || stop_reason == "interrupted";
  report.stop_reason = report.interrupted ? "interrupted" : stop_reason;
  report.summary = sink.finish_run();
  // A few prompts beside what the engine answered, for the report; the same id is the same
  // prompt (the workload is seeded), so the prompt is made again rather than kept.
  for (const auto& [id, output] : sink.output_samples()) {
    const RequestSpec request = workload.make(id);
    const std::string& prompt =
        request.messages.empty() ? request.prompt : request.messages.back().content;
    std::uint64_t ignored = 0;
    report.samples.push_back(
        {id, valid_utf8(utf8_prefix(prompt, report::RunReport::kSampleBytes), ignored),
         valid_utf8(utf8_prefix(output, report::RunReport::kSampleBytes), ignored)});
  }
  metrics::add_cost(report.summary, spec.gpu_hourly_cost, spec.gpus);
  for (report::LevelReport& level : report.levels) {
    metrics::add_cost(level.summary, spec.gpu_hourly_cost, spec.gpus);
  }
  report.requests_jsonl = sink.spill_path();
  merge_client_health(report);
  if (monitors) {
    MonitorData data = monitors->stop();
    // No level ran (cancelled during the idle baseline): the run has no origin, the monitors'
    // clock stays.
    if (report.origin != TimePoint{})
      shift_times(data, to_seconds(monitors_origin - report.origin));
    const auto span_of = [&](const std::optional<ResultSink::Span>& span) {
      std::optional<MonitorSpan> out;
      if (span) {
        out = MonitorSpan{to_seconds(span->first_send - report.origin),
                          to_seconds(span->last_end - report.origin)};
      }
      return out;
    };
    std::vector<std::optional<MonitorSpan>> spans;
    spans.reserve(level_spans.size());
    for (const auto& span : level_spans) spans.push_back(span_of(span));
    // A single-level run's summary is its level's; its levels are cleared below.
    attach_monitors(report, std::move(data), span_of(sink.run_span()), spans);
  }
  if (spec.mode == LoadMode::kSweep) {
    std::vector<metrics::LevelOutcome> levels;
    for (const report::LevelReport& level : report.levels) {
      levels.push_back({level.offered_rate, &level.summary});
    }
    report.sweep = metrics::analyze_sweep(levels);
  }
  if (!several_levels) {
    if (!report.levels.empty() && report.levels.front().stop_reason == "stable" &&
        !report.interrupted) {
      report.stop_reason = "stable";
      report.stop_detail = report.levels.front().stop_detail;
    }
    report.levels.clear();  // a single run: its summary is the run's
  }
  add_warnings(report, run, built.info.warnings);
  if (report.stop_reason == "connection_failures") {
    const std::string stopped =
        fmt::format("stopped: {} consecutive connection failures to {} (is the engine down?)",
                    connect_failure_streak, spec.url.to_string());
    report.warnings.insert(report.warnings.begin(), stopped);
    observer.note(stopped);
  }

  // Every output is attempted; what fails is named, and the spill file is kept so the run's
  // records are not lost with it.
  if (sink.spill_error()) result.write_errors.push_back(*sink.spill_error());
  if (auto written = report::write_json(report, output_json); !written) {
    result.write_errors.push_back(written.error().message);
  } else {
    result.written.push_back(output_json);
  }
  if (spec.outputs.requests_csv) {
    if (sink.csv_error()) {
      result.write_errors.push_back(*sink.csv_error());
    } else {
      result.written.push_back(*spec.outputs.requests_csv);
    }
  }
  if (spec.outputs.summary_csv) {
    if (auto written = report::write_output(*spec.outputs.summary_csv, report::summary_csv(report));
        !written) {
      result.write_errors.push_back(written.error().message);
    } else {
      result.written.push_back(*spec.outputs.summary_csv);
    }
  }
  // The report is drawn from the result file just written, so it is the report `llmbench
  // report` makes of that file.
  if ((spec.outputs.html || spec.outputs.markdown) && !result.written.empty() &&
      result.written.front() == output_json) {
    try {
      const ReportOutputs outputs{spec.outputs.html, spec.outputs.markdown, std::nullopt, "", ""};
      for (auto& path :
           write_report_outputs(result_report(output_json), outputs, result.write_errors)) {
        result.written.push_back(std::move(path));
      }
    } catch (const Failure& f) {
      result.write_errors.push_back("--html: " + f.message);
    }
  }
  // Into the history while the spill file (the per-request lines) still exists; an interrupted
  // run is stored too, as the partial result its file holds.
  if (spec.history_db) {
    if (auto id = store_run(*spec.history_db, report,
                            sink.spill_error() ? std::filesystem::path() : sink.spill_path());
        id) {
      result.history_id = *id;
    } else {
      result.history_error = id.error().message;
    }
  }
  report.requests_jsonl.reset();  // the spill file goes with this function
  if (!result.write_errors.empty()) {
    if (!sink.spill_error() && spec.request_detail != report::RequestDetail::kNone) {
      remove_spill.keep = true;
      result.kept_records = sink.spill_path();
      result.write_errors.back() += fmt::format("; the run's {} records are kept in {}",
                                                sink.spilled(), sink.spill_path().string());
    }
    result.exit_code = kExitNotWritten;
    return result;
  }

  const metrics::RunSummary& s = report.summary;
  if (report.interrupted) {
    result.exit_code = kExitInterrupted;
  } else if (report.stop_reason == "connection_failures" && connections_opened == 0) {
    result.exit_code = kExitUnreachable;  // nothing ever connected
  } else if (every_request_failed(s)) {
    result.exit_code = kExitAllFailed;
  } else if (report.stop_reason == "max_error_rate") {
    result.exit_code = kExitCheckFailed;
  }
  return result;
}

}  // namespace llmbench::app
