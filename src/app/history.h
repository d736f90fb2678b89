#pragma once
// The results history use cases (issue 11, docs/history.md): a finished run into the
// database, and the queries of `llmbench history` (list, show, trend, tag, rm). The storage
// itself is store::ResultsDb; this file decides what of a run is stored and how a figure is
// named.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "report/report.h"
#include "store/results_db.h"

namespace llmbench::app {

// Opens (creating and migrating) the database a run will be stored in. Throws
// Failure(kExitUsage) naming --db and the path when it cannot be opened, so a run is refused
// before any traffic rather than measured and then not stored.
void check_history_db(const std::filesystem::path& path);

// A finished (or interrupted) run as the history stores it: `requests_jsonl`, the run's
// per-request JSON lines, is streamed into the database unless empty or the run kept no
// request detail. The `engine` column is the spec's engine label (a suite's name for the
// engine) when set, else the resolved engine.
store::NewRun history_record(const report::RunReport& report,
                             const std::filesystem::path& requests_jsonl);

// Stores the run in one transaction; returns its id or why not (never throws).
Expected<std::int64_t> store_run(const std::filesystem::path& db, const report::RunReport& report,
                                 const std::filesystem::path& requests_jsonl);

// For the read commands: an error naming the path when there is no database there (the read
// commands never create one).
Expected<store::ResultsDb> open_history(const std::filesystem::path& path);

// A figure of a stored summary by the name it has in the result file's summary:
// "ttft.p99" is summary.ttft.p99, "output_token_throughput" summary.output_token_throughput.
// nullopt when the run did not measure it (null there); an error when `name` names no figure
// of this summary (absent, or not a number).
Expected<std::optional<double>> summary_figure(std::string_view summary_json,
                                               std::string_view name);

struct TrendPoint {
  store::RunRow row;
  std::optional<double> value;  // nullopt: not measured by that run, never 0
};

// One point per run matching `filter`, oldest first. An error (kInvalidArgument, naming the
// metric) when no run of the history has that figure in its summary.
Expected<std::vector<TrendPoint>> history_trend(store::ResultsDb& db, std::string_view figure,
                                                const store::RunFilter& filter);

// --since: YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ, as stored (UTC), else an error naming it.
Expected<std::string> parse_since(std::string_view text);

}  // namespace llmbench::app
