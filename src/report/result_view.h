#pragma once
// Reads a result file (docs/results.md) into the report model's view of one run
// (metrics/report_model.h). The file is read once, its requests and windows one at a time
// (simdjson On-Demand), so a million-request result costs its own size in memory, not a
// document tree of it.

#include <filesystem>
#include <string>

#include "core/error.h"
#include "metrics/report_model.h"

namespace llmbench::report {

// A result file of at most 4 GiB. `label` names the run in the report ("" = the engine and
// the file's name). An error names the file and what is wrong with it.
Expected<metrics::RunView> read_run_view(const std::filesystem::path& path,
                                         const std::string& label = "",
                                         const metrics::ReportBudget& budget = {});

// The same from the result's JSON text (tests, and results not in a file); `source` names it.
Expected<metrics::RunView> parse_run_view(std::string_view json, const std::string& source,
                                          const std::string& label = "",
                                          const metrics::ReportBudget& budget = {});

}  // namespace llmbench::report
