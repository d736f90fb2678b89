#pragma once
// The `compare` use case (docs/compare.md): inputs — result files, suite outputs, runs of the
// history database — loaded, their workload fingerprints checked, each BASE-against-NEW
// comparison computed by metrics/ and the gates applied. `cli/` parses argv into a
// CompareRequest and prints the CompareReport.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "report/compare_report.h"
#include "report/result_reader.h"

namespace llmbench::app {

// The options as given (text), checked by resolve_compare.
struct CompareRequest {
  std::vector<std::string> inputs;  // BASE NEW, or one suite output
  std::string figures;              // "ttft.p99,itl.p50"; "" = metrics::default_figures()
  std::string alpha = "0.05";
  std::string noise = "2%";
  std::vector<std::string> max_regression;  // "5%", "ttft.p99=10%,output_token_throughput=3%"
  std::vector<std::string> slo;             // "ttft.p99<=500ms,…"
  bool force = false;
  std::filesystem::path db;  // empty: store::default_db_path()
};

struct CompareSpec {
  std::vector<std::string> inputs;
  std::vector<metrics::ComparedFigure> figures;
  bool default_figures = false;  // no --figures: measured cost figures are added per section
  metrics::ComparisonOptions options;
  metrics::RegressionGate gate;
  std::vector<metrics::FigureGate> slos;
  bool force = false;
  std::filesystem::path db;
};

// Throws Failure (exit 2) naming the option and its bound.
CompareSpec resolve_compare(const CompareRequest& request);

// One run of one side as loaded.
struct LoadedRun {
  report::ResultFigures figures;
  std::string engine;  // the suite's engine name, else the result's engine
  std::string group;   // a suite's "scenario / variant", "" otherwise
};

// One side: comma-separated items, each a result file, a suite output (folder or suite.json,
// `:ENGINE` to pick one engine's runs), or a history reference ("42", "latest", a tag) in
// `db`. Throws Failure (exit 2) naming a missing file or unknown reference. Notes about runs
// skipped go to `warnings`.
std::vector<LoadedRun> load_side(const std::string& side, const std::filesystem::path& db,
                                 std::vector<std::string>& warnings);

// The whole use case. Throws Failure (exit 2) for bad inputs and, without --force, for
// different workload fingerprints.
report::CompareReport run_compare(const CompareSpec& spec);

}  // namespace llmbench::app
