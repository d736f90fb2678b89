#pragma once
// Reads back what `compare` needs from a result (docs/results.md), whether a result file or a
// run stored in the history database: the summary's figures by name with their own confidence
// intervals, the workload fingerprint and, from the per-request records, each figure's values
// per time window for the block bootstrap of single runs. One parser serves both.

#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "metrics/comparison.h"

namespace llmbench::report {

// `workload.fingerprint` of a result (workload/fingerprint.h), as text.
struct FingerprintParts {
  std::string workload, prompts, lengths, load;  // "sha256:…"; only `workload` for stored runs
  std::uint64_t requests_hashed = 0;
};

// The largest memory a run used, from its summary's `resources` (docs/monitors.md): GPU
// memory summed over the GPUs' maxima, the engine's share of it, the engine's RSS; each absent
// when not measured. Read by comparisons and by the report alike.
struct MemoryMaxima {
  std::optional<double> gpu_used_bytes, gpu_engine_bytes, engine_rss_bytes;
};
MemoryMaxima memory_maxima(const nlohmann::json& resources);

struct ResultFigures {
  std::string source;  // the file, as given, or "history run 42"
  std::string engine, model, started_at;
  metrics::RunFigures figures;  // "ttft.p99", "output_token_throughput"…; unmeasured absent
  // The summary's own confidence interval of each percentile figure ("ttft.p99"), method
  // "summary"; absent where the summary has none.
  std::map<std::string, metrics::ValueInterval> intervals;
  // nullopt for results written before the fingerprint existed (or a null one).
  std::optional<FingerprintParts> fingerprint;
  // Per figure base name ("ttft", "itl", "tpot", "e2e_latency"): the values of the successful
  // requests, by the window of `window` seconds their end falls in. Empty without records
  // (--request-detail none).
  std::map<std::string, std::vector<std::vector<double>>> windows;
};

// A result file of at most 1 GiB; an error names the file and what is wrong with it.
Expected<ResultFigures> read_result_figures(const std::filesystem::path& path, double window = 1.0);

// A stored run (store::StoredRun's parts): the summary and context as JSON text, one request
// object per line, and the workload fingerprint ("sha256:…", "" when unknown). `source` names
// it in errors.
Expected<ResultFigures> stored_result_figures(const std::string& source,
                                              std::string_view summary_json,
                                              std::string_view context_json,
                                              const std::string& fingerprint,
                                              const std::vector<std::string>& request_lines,
                                              double window = 1.0);

}  // namespace llmbench::report
