#pragma once
// The benchmark use case: one resolved run → levels → runner → sink → RunReport, with the
// result files written. Shared by `run`, `demo`, `suite`, the tests and bench/.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "app/cancellation.h"
#include "app/observer.h"
#include "app/outcome.h"
#include "app/run_spec.h"
#include "report/report.h"

namespace llmbench::app {

struct BenchmarkResult {
  // The whole result as written (requests are in the file, not in memory).
  report::RunReport report;
  std::vector<std::filesystem::path> written;  // every file written, in order
  // Why an output could not be written, one line each; the last names where the run's
  // records were kept (kept_records) when they were.
  std::vector<std::string> write_errors;
  std::optional<std::filesystem::path> kept_records;
  // The results history (spec.history_db): the run's id there, or why it could not be stored
  // (that never changes exit_code: the result files have the run).
  std::optional<std::int64_t> history_id;
  std::string history_error;
  // 0, 1 (error limit), 4 (every request failed), 5 (an output not written) or 130
  int exit_code = kExitOk;
};

// Runs `run` to the end or until `cancel` fires (then in-flight requests are cancelled and a
// valid partial result is written). Throws Failure before the run (the workload cannot be
// built). An output that cannot be written at the end is not thrown: the others are still
// written, write_errors says why, the spill file is kept, and exit_code is kExitNotWritten.
BenchmarkResult run_benchmark(const ResolvedRun& run, CancellationToken& cancel,
                              RunObserver& observer);

// results/<UTC timestamp>-<engine>.json, the default result path.
std::filesystem::path default_output_path(std::string_view engine);
// UTC now as 20261130T051500Z, for file names.
std::string timestamp_for_files();
// Now as ISO 8601 UTC ("2026-12-01T12:00:00Z"), as a result's start_time is written.
std::string utc_now_iso8601();

}  // namespace llmbench::app
