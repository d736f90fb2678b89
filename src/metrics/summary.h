#pragma once
// Per-request figures (METRICS.md M9–M12) derived from RequestRecords, and the run summary
// (M16, M17, M31, M32) over them. Computed once here; reporters only format.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/record.h"
#include "metrics/stats.h"

namespace llmbench::metrics {

// One figure the engine reported, beside the client's measurement of the same thing
// (METRICS.md M43: delta = native − client).
struct NativeComparison {
  std::string name;  // "prompt_eval_duration", "eval_duration", "total_duration", "ttft"…
  double native = 0;
  std::optional<double> client;
  std::optional<double> delta;
};

// Client-measured figures of one request, in seconds.
struct RequestMetrics {
  std::optional<double> ttft;      // M9: first content arrival − send
  std::optional<double> e2e;       // M11: end − send
  std::optional<double> tpot;      // M12: (end − first) / (output tokens − 1), ≥ 2 tokens
  std::vector<double> itl;         // M10: gaps between consecutive content arrivals
  std::int64_t output_tokens = 0;  // M5 (engine count, else client count)
  std::vector<NativeComparison> native;  // every native timing the engine reported
  // M35: the request asked for an exact length and the output differs from it.
  bool output_length_mismatch = false;
};

// `forced_length`: the run asked the engine for exactly max_tokens (ignore_eos).
RequestMetrics derive(const RequestRecord& record, bool forced_length = false);

struct RunSummary {
  std::size_t requests = 0;  // records in the run (sent or attempted)
  std::size_t succeeded = 0;
  std::size_t failed = 0;
  double duration = 0;                 // s: first send to last end
  Stats ttft, itl, tpot, e2e;          // over successful requests
  double request_throughput = 0;       // M16: successful requests / duration
  double output_token_throughput = 0;  // M17: Σ output tokens of successful requests / duration
  double success_rate = 0;             // M31: succeeded / requests (0..1)
  std::int64_t output_tokens = 0;
  std::int64_t prompt_tokens = 0;             // engine-reported, where reported
  std::map<std::string, std::size_t> errors;  // M32: count per category name
  // M35: of successful requests that forced an exact length, the fraction that got it;
  // nullopt when no request forced one.
  std::optional<double> output_length_accuracy;
  std::size_t output_length_mismatches = 0;
  std::size_t cold_starts = 0;  // requests that loaded the model (Ollama)
  // Native figures beside client ones, over successful requests that reported them.
  struct NativeSummary {
    Stats native, client, delta;
  };
  std::map<std::string, NativeSummary> native;
};

// `started` is when the run began; the measured duration runs from the earliest send (or
// `started` if nothing was sent) to the latest end.
RunSummary summarize(const std::vector<RequestRecord>& records, TimePoint started,
                     bool forced_length = false);

}  // namespace llmbench::metrics
