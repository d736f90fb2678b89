#pragma once
// Reporters: they format a RunReport, never compute one. Every figure they print comes from
// metrics/.

#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "core/engine_info.h"
#include "core/error.h"
#include "core/record.h"
#include "core/run_spec.h"
#include "metrics/summary.h"

namespace llmbench::report {

inline constexpr int kSchemaVersion = 1;

struct RunReport {
  RunContext context;
  ResolvedRunSpec spec;
  std::optional<EngineInfo> engine;  // what the engine said about itself, when asked
  TimePoint origin{};                // steady-clock zero for the raw timestamps written per request
  bool interrupted = false;
  std::vector<std::string> warnings;
  metrics::RunSummary summary;
  std::vector<RequestRecord> records;
  std::vector<metrics::RequestMetrics> per_request;  // same order as records
};

// Whole result as JSON text (schema in docs/results.md).
std::string to_json(const RunReport& report);

// Per-request CSV, one row per request, fixed columns.
std::string requests_csv(const RunReport& report);
// Summary CSV in long form: metric,stat,value — a new metric never changes the header.
std::string summary_csv(const RunReport& report);

// Human summary table, latencies in milliseconds.
void print_summary(std::ostream& out, const RunReport& report);

// One request in full: every client and native figure with its source (`request`).
std::string request_table(const RequestRecord& record, const metrics::RequestMetrics& metrics);
std::string request_json(const RequestRecord& record, const metrics::RequestMetrics& metrics,
                         TimePoint origin);

// Engine information as JSON (`engines info --format json`).
std::string engine_info_json(const EngineInfo& info);

// Writes `content` to `path` atomically: a temporary file in the same folder, then rename,
// so a reader never sees half a file. Creates missing parent folders.
Expected<void> write_file_atomically(const std::filesystem::path& path, const std::string& content);

}  // namespace llmbench::report
