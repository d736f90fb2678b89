#pragma once
// Reads back what `compare` needs from a result file (docs/results.md): the summary's figures
// by name and, from the per-request records, each figure's values per time window for the
// block bootstrap of single runs.

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/error.h"
#include "metrics/comparison.h"

namespace llmbench::report {

struct ResultFigures {
  std::string source;  // the file, as given
  std::string engine, model, started_at;
  metrics::RunFigures figures;  // "ttft.p99", "output_token_throughput"…; unmeasured absent
  // Per figure base name ("ttft", "itl", "tpot", "e2e_latency"): the values of the successful
  // requests, by the window of `window` seconds their end falls in. Empty without records
  // (--request-detail none).
  std::map<std::string, std::vector<std::vector<double>>> windows;
};

// A result file of at most 1 GiB; an error names the file and what is wrong with it.
Expected<ResultFigures> read_result_figures(const std::filesystem::path& path, double window = 1.0);

}  // namespace llmbench::report
