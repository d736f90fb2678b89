#pragma once
// What the user asked for, typed (app::RunSpec), and what will run (app::ResolvedRun).
//
// Every command, test and benchmark builds a RunSpec — from argv (cli/), from a suite file,
// or in code — and hands it to resolve(), which fills every default, asks the engine what it
// is where needed, and returns an immutable ResolvedRun. Nothing after resolve() reads flags,
// environment variables or global state.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/engine_info.h"
#include "core/run_spec.h"
#include "engines/registry.h"
#include "metrics/slo.h"
#include "metrics/stability.h"
#include "net/http_client.h"
#include "net/url.h"
#include "report/report.h"
#include "runner/runner.h"
#include "workload/arrival.h"
#include "workload/dataset.h"
#include "workload/lengths.h"

namespace llmbench::app {

// How prompt lengths are made exact (--token-counting).
enum class TokenCounting { kAuto, kEngine, kTokenizer, kProbe, kEstimate };
Expected<TokenCounting> parse_token_counting(std::string_view name);
std::string_view to_string(TokenCounting counting);

struct DatasetChoice {
  std::filesystem::path path;
  workload::DatasetFormat format = workload::DatasetFormat::kText;
  workload::OnBadRecord on_bad_record = workload::OnBadRecord::kSkip;
  std::uint64_t sample = 10'000;
};

// Where results go. The JSON result is always written; empty means the default
// results/<timestamp>-<engine>.json.
struct OutputPaths {
  std::filesystem::path json;
  std::optional<std::filesystem::path> requests_csv;
  std::optional<std::filesystem::path> summary_csv;
  // The report (docs/reports.md), rendered from the JSON result once it is written.
  std::optional<std::filesystem::path> html, markdown;
};

// The monitors beside the run (docs/monitors.md).
struct MonitorSpec {
  bool enabled = true;                                 // --no-monitor: none at all
  Duration interval = std::chrono::milliseconds(100);  // --monitor-interval: GPU, host, process
  bool gpu = true;                                     // --no-gpu-monitor
  bool scrape = true;                                  // --no-scrape: not the engine's /metrics
  Duration scrape_interval = std::chrono::seconds(1);  // --scrape-interval
  std::optional<net::Url> metrics_url;     // --metrics-url; default: the engine's URL + /metrics
  std::optional<std::int64_t> engine_pid;  // --engine-pid; default: found by the port
  Duration idle_baseline{};                // --idle-baseline: GPU power at rest, before the run
  std::string nvml_library = "libnvidia-ml.so.1";  // tests load a fake one
};

struct RunSpec {
  // The engine.
  net::Url url;
  engines::EngineKind engine = engines::EngineKind::kAuto;
  std::optional<engines::ApiChoice> api;  // default: the engine's (engines::default_api)
  std::string model;                      // empty: the first model the engine serves
  std::optional<std::string> keep_alive;  // Ollama
  std::vector<net::Header> headers;       // from an engine config, on every request
  std::optional<std::string> api_key;     // never printed or written
  bool tls_verify = true;
  net::Timeouts timeouts;

  // The load.
  LoadMode mode = LoadMode::kClosedLoop;
  // Closed loop: users; a list gives one level each (kConcurrencySteps); a sweep's
  // throughput level uses the first.
  std::vector<int> concurrency{1};
  // Open loop: the arrival process (rates from --rate or a rate schedule) or a trace.
  std::optional<workload::ArrivalOptions> arrival;
  std::string rate_schedule_text;  // as given, for the result
  std::vector<double> trace;       // arrival offsets (s)
  std::filesystem::path trace_path;
  int sweep_steps = 8;
  std::optional<std::uint64_t> requests;  // default: 100 unless a duration or trace is given
  std::optional<Duration> duration;       // default with a sweep: 30 s
  int threads = 0;                        // 0: one per CPU core (closed loop: at most users)
  runner::PhaseLimit warmup, cooldown;
  std::string warmup_text, cooldown_text;  // as given, for the result
  runner::RetryPolicy retry;
  std::optional<runner::ErrorLimit> error_limit;
  std::vector<metrics::Slo> slos;
  Duration window = std::chrono::seconds(1);  // time-series window
  report::RequestDetail request_detail = report::RequestDetail::kFull;

  // The workload.
  workload::LengthDistribution prompt_tokens = workload::fixed_length(128);
  workload::LengthDistribution max_tokens = workload::fixed_length(128);
  std::filesystem::path tokenizer;  // empty: none
  TokenCounting token_counting = TokenCounting::kAuto;
  std::int64_t prefix_tokens = 0;
  int prefix_groups = 1;
  int turns = 1;
  std::optional<DatasetChoice> dataset;
  bool stream = true;
  bool ignore_eos = true;
  std::optional<double> temperature;
  std::uint64_t seed = 0;

  // Results.
  OutputPaths outputs;
  // The results history (issue 11): the database this run is stored in, none with --no-store.
  std::optional<std::filesystem::path> history_db;
  std::string engine_label;  // a multi-engine suite's name for the engine, "" otherwise
  std::string scenario;      // a suite's "scenario/variant", "" for a plain run
  // --until-stable: end a level once this statistic's CI is within `within` of it.
  std::optional<metrics::StabilityTarget> until_stable;
  std::optional<double> gpu_hourly_cost;  // per GPU and hour
  std::optional<int> gpus;                // as given; cost figures take 1 when absent
  MonitorSpec monitors;
  std::filesystem::path config_path;      // --config, an input no output may overwrite
  std::vector<std::string> command_line;  // as typed, for the result (argv or a description)
};

// The run as it will execute: the spec with every default filled, the engine named, and the
// text form written into the result. Immutable once made; passed by const&.
struct ResolvedRun {
  RunSpec spec;            // engine never kAuto, api and model set, threads > 0
  ResolvedRunSpec record;  // the same, as written into the result
  std::optional<EngineInfo> engine_info;
};

}  // namespace llmbench::app
