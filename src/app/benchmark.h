#pragma once
// The benchmark use case: one resolved run → levels → runner → sink → RunReport, with the
// result files written. Shared by `run`, `demo`, `suite`, the tests and bench/.

#include <filesystem>
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
  int exit_code = kExitOk;  // 0, 1 (error limit), 4 (every request failed) or 130
};

// Runs `run` to the end or until `cancel` fires (then in-flight requests are cancelled and a
// valid partial result is written). Throws Failure before the run (the workload cannot be
// built) or when a result file cannot be written.
BenchmarkResult run_benchmark(const ResolvedRun& run, CancellationToken& cancel,
                              RunObserver& observer);

// results/<UTC timestamp>-<engine>.json, the default result path.
std::filesystem::path default_output_path(std::string_view engine);
// UTC now as 20261130T051500Z, for file names.
std::string timestamp_for_files();

}  // namespace llmbench::app
