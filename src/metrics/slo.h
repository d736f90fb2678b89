#pragma once
// Service-level objectives (`--slo ttft:p99<=200ms,tpot:p90<=50ms`): a percentile of a
// latency metric that must stay at or under a threshold.

#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace llmbench::metrics {

struct Slo {
  std::string metric;      // ttft, tpot, itl, e2e_latency, ttft_sched, e2e_sched
  std::string percentile;  // as written: p50, p90, p99, p99.9…
  double quantile = 0;     // the percentile as a fraction (0.99)
  double threshold = 0;    // s
};

// Parses a comma-separated list; errors name the objective that is wrong and why.
Expected<std::vector<Slo>> parse_slos(std::string_view text);

// "ttft:p99<=200ms", for messages and reports.
std::string to_string(const Slo& slo);

}  // namespace llmbench::metrics
