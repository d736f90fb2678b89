#pragma once
// Early stopping (`--until-stable ttft.p99:5%`, MLPerf LoadGen's idea): a level may end once
// the confidence interval of one statistic is within a stated fraction of its value, so a run
// is as long as the figure needs and no longer. The interval is the summary's own
// distribution-free one (stats.h), so the figure the run stops on is the figure it reports.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/record.h"
#include "metrics/summary.h"

namespace llmbench::metrics {

struct StabilityTarget {
  std::string figure;  // as given: "ttft.p99"
  std::string metric;  // ttft | itl | tpot | e2e_latency
  double quantile = 0.99;
  double within = 0.05;              // relative half-width the interval must fit in
  std::uint64_t min_requests = 100;  // measured, successful requests before any check
};

// "METRIC.PERCENTILE:WITHIN%[:MIN_REQUESTS]", e.g. "ttft.p99:5%", "itl.p50:2%:500". METRIC is
// ttft, itl, tpot or e2e_latency (e2e), PERCENTILE one of p50 p90 p95 p99 p99.9, WITHIN in
// (0, 100) %, MIN_REQUESTS ≥ 10. The error names what is wrong.
Expected<StabilityTarget> parse_stability_target(std::string_view text);

struct StabilityReading {
  std::uint64_t requests = 0;  // measured, successful requests seen
  std::uint64_t samples = 0;   // values of the metric (ITL: one per gap)
  std::optional<double> value, low, high;
  bool stable = false;  // both ends known and within `within` of the value, min_requests met
};

// Not thread-safe: one thread adds and reads (the result sink's drain thread).
class StabilityWatch {
 public:
  explicit StabilityWatch(StabilityTarget target) : target_(std::move(target)) {}
  // Measured, successful requests only; the others are ignored.
  void add(const RequestRecord& record, const RequestMetrics& metrics);
  // The percentile and its interval now (sorts a copy of the values: O(n log n)).
  [[nodiscard]] StabilityReading reading() const;
  [[nodiscard]] const StabilityTarget& target() const { return target_; }

 private:
  StabilityTarget target_;
  std::vector<double> values_;
  std::uint64_t requests_ = 0;
};

// "stopped after 412 requests: ttft.p99 = 81.2 ms, 95% CI [78.0, 84.1] ms, within 5%".
std::string describe_stable_stop(const StabilityTarget& target, const StabilityReading& reading);

}  // namespace llmbench::metrics
