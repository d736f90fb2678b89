#pragma once
// Reporters: they format a RunReport, never compute one. Every figure they print comes from
// metrics/.

#include <filesystem>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "core/engine_info.h"
#include "core/error.h"
#include "core/monitor_data.h"
#include "core/record.h"
#include "core/run_spec.h"
#include "metrics/ollama_figures.h"
#include "metrics/summary.h"
#include "metrics/sweep.h"
#include "report/output_file.h"

namespace llmbench::report {

inline constexpr int kSchemaVersion = 1;

// One load level of a sweep or of a stepped-concurrency run.
struct LevelReport {
  std::uint32_t index = 0;
  // "synchronous", "throughput", "rate" (sweep); "concurrency" (stepped closed loop).
  std::string kind;
  std::optional<double> offered_rate;  // req/s, open-loop levels
  std::optional<int> concurrency;      // closed-loop levels
  std::string stop_reason = "completed";
  std::string stop_detail;  // why it stopped, in words ("stopped when stable after…"), or ""
  metrics::RunSummary summary;
  std::optional<MonitorSummary> monitors;  // over the level's measured requests
};

struct RunReport {
  RunContext context;
  ResolvedRunSpec spec;
  std::optional<EngineInfo> engine;  // what the engine said about itself, when asked
  WorkloadInfo workload;             // how prompts were made and their lengths made exact
  TimePoint origin{};                // steady-clock zero for the raw timestamps written per request
  bool interrupted = false;
  // completed | interrupted | max_error_rate | connection_failures | stable
  std::string stop_reason = "completed";
  std::string stop_detail;  // why it stopped, in words, or ""
  std::vector<std::string> warnings;
  // A few requests' prompts and outputs, each cut to kSampleBytes at a character and valid
  // UTF-8, for the report's workload section (written as workload.samples).
  struct TextSample {
    std::uint64_t id = 0;
    std::string prompt, output;
  };
  static constexpr std::size_t kSampleBytes = 240;
  std::vector<TextSample> samples;
  metrics::RunSummary summary;  // every measured request of every level
  // What the monitors read (docs/monitors.md): nullopt with --no-monitor. `monitor_summary`
  // is over the measured requests' span; `monitor_windows` holds, per time-series window of
  // `summary`, the monitors' figures named "group.member".
  std::optional<MonitorData> monitors;
  std::optional<MonitorSummary> monitor_summary;
  std::vector<std::vector<std::pair<std::string, double>>> monitor_windows;
  std::vector<LevelReport> levels;  // empty for a single-level run
  std::optional<metrics::SweepAnalysis> sweep;
  // The requests: in memory (records + per_request, same order), or already written one JSON
  // object per line (record_json_line) to this file, which bounds memory on long runs.
  std::vector<RequestRecord> records;
  std::vector<metrics::RequestMetrics> per_request;
  std::optional<std::filesystem::path> requests_jsonl;
};

// Whole result as JSON text (schema in docs/results.md), requests from `records`.
std::string to_json(const RunReport& report);

// Writes the result atomically to `path`, copying the requests from `requests_jsonl` when
// set (streamed, never all in memory), else from `records`.
Expected<void> write_json(const RunReport& report, const std::filesystem::path& path);

// The parts of a result that the results history stores (docs/history.md), each compact JSON
// text redacted as the result file is: `spec` is the file's context.config; `context` its
// context without config, with its workload block (and levels and sweep of a multi-level
// run) added; `summary` its summary; `windows` the elements of its time_series.windows.
struct HistoryParts {
  std::string spec, context, summary;
  std::vector<std::string> windows;
};
HistoryParts history_parts(const RunReport& report);

// How much of each request a result keeps: everything (full); no per-token lists, i.e. no
// `itl` and no `token_arrivals` (compact: a few hundred bytes a request however long the
// output); or no requests at all (none: summary and time series only).
enum class RequestDetail { kFull, kCompact, kNone };
Expected<RequestDetail> parse_request_detail(std::string_view name);

// One request as compact JSON on one line (the `requests[]` element), for streaming.
std::string record_json_line(const RequestRecord& record, const metrics::RequestMetrics& metrics,
                             TimePoint origin, RequestDetail detail = RequestDetail::kFull);

// Per-request CSV, one row per request, fixed columns.
std::string requests_csv(const RunReport& report);
std::string requests_csv_header();
std::string requests_csv_row(const RequestRecord& record, const metrics::RequestMetrics& metrics);
// Summary CSV in long form: metric,stat,value — a new metric never changes the header.
std::string summary_csv(const RunReport& report);

// Human summary table, latencies in milliseconds.
void print_summary(std::ostream& out, const RunReport& report);

// One request in full: every client and native figure with its source (`request`).
std::string request_table(const RequestRecord& record, const metrics::RequestMetrics& metrics);
// The figures as `ollama run --verbose` prints them ("total duration:       1.234s"), each
// followed by where it came from ("engine", or "client-measured" when derived from the
// client's timings); "—" for a figure nobody measured.
std::string ollama_verbose_block(const metrics::OllamaFigures& figures);
// Go's time.Duration style as Ollama prints it: "1.234s", "12.3ms", "850µs".
std::string go_duration(double seconds);

std::string request_json(const RequestRecord& record, const metrics::RequestMetrics& metrics,
                         TimePoint origin);

// `llmbench monitor --output`: the readings and their summary as a result's `monitors` block
// and `summary.resources` / `energy` / `server_latency` are written (docs/monitors.md).
std::string monitor_json(const MonitorData& data, const std::optional<MonitorSummary>& summary);

// One reading of the live monitor table.
struct MonitorRow {
  std::string name, unit;
  double value = 0;
};
// The live table of `llmbench monitor`: one line per group ("gpu_power_w  gpu0 412 W  gpu1 …"),
// values in readable units (GiB, MB/s), each line cut to `width` columns.
std::string monitor_table(const std::vector<MonitorRow>& rows, double t, std::size_t width);

// Engine information as JSON (`engines info --format json`).
std::string engine_info_json(const EngineInfo& info);

// Writes `content` to `path` as write_output() does (output_file.h): atomically (a temporary
// file in the same folder, then rename) over a regular file or a new path, so a reader never
// sees half a file; in place to a device, FIFO or "-", which are never replaced. Creates
// missing parent folders.
Expected<void> write_file_atomically(const std::filesystem::path& path, const std::string& content);
// The same for content produced piece by piece into the stream.
Expected<void> write_file_atomically(const std::filesystem::path& path,
                                     const std::function<void(std::ostream&)>& produce);

}  // namespace llmbench::report
