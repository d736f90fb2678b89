#pragma once
// Descriptive statistics over samples, computed exactly from the sorted values.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace llmbench::metrics {

// The percentiles every statistic reports, in the order of Stats::ci.
inline constexpr std::array<double, 5> kReportedQuantiles = {0.50, 0.90, 0.95, 0.99, 0.999};
inline constexpr std::array<std::string_view, 5> kReportedPercentiles = {"p50", "p90", "p95", "p99",
                                                                         "p99.9"};
// Confidence of the interval given for each percentile (METRICS.md M42).
inline constexpr double kCiLevel = 0.95;
// A percentile with fewer samples than this beyond it is marked in tables: its value is
// decided by a handful of requests.
inline constexpr std::uint64_t kSparseTail = 10;

// Distribution-free confidence interval of one percentile: two order statistics of the
// sample that enclose the true percentile with probability ≥ kCiLevel whatever the
// distribution. An end is nullopt when the sample is too small to bound it (p99.9 of 64
// values has no upper bound: the largest value is not beyond it with 95 % confidence).
struct PercentileCi {
  std::optional<double> low, high;
  std::uint64_t beyond = 0;  // samples above the percentile's order statistic
  [[nodiscard]] bool sparse() const { return beyond < kSparseTail; }
};

struct Stats {
  std::size_t count = 0;
  double mean = 0, std = 0, min = 0, p50 = 0, p90 = 0, p95 = 0, p99 = 0, p999 = 0, max = 0;
  // Percentiles computed from every sample (true) or from a histogram whose buckets are
  // at most 0.1 % wide (false: the run had more samples than are kept; see distribution.h).
  bool exact = true;
  // Per kReportedQuantiles (p50, p90, p95, p99, p99.9); meaningless when count == 0.
  std::array<PercentileCi, 5> ci{};
};

// 0-based ranks of the order statistics bounding percentile q of n samples with confidence
// `level`, equal-tailed: low is the largest k with P(B ≤ k) ≤ (1 − level)/2 and high the
// smallest k with P(B ≤ k) ≥ (1 + level)/2, B ~ Binomial(n, q) being the number of samples
// at or below the true percentile. nullopt where no such rank exists among the n samples.
struct RankInterval {
  std::optional<std::uint64_t> low, high;
};
RankInterval percentile_ci_ranks(std::uint64_t n, double q, double level = kCiLevel);

// Samples above the lower order statistic of the type-7 percentile q of n samples:
// n − 1 − ⌊q (n − 1)⌋ (0 for an empty sample).
std::uint64_t samples_beyond(std::uint64_t n, double q);

// Percentile q in [0, 1] of sorted values, interpolating linearly between the two nearest
// order statistics (the "type 7" definition used by NumPy and R). Empty input gives 0.
double percentile_sorted(const std::vector<double>& sorted, double q);

// Stats of `values` (taken by value: sorted in place). std is the sample standard deviation
// (n − 1); 0 for fewer than two values.
Stats compute_stats(std::vector<double> values);

// Fills `s.ci` for s.count samples whose k-th smallest (0-based) is `at(k)`.
template <class OrderStatistic>
void fill_percentile_cis(Stats& s, const OrderStatistic& at) {
  for (std::size_t i = 0; i < kReportedQuantiles.size(); ++i) {
    const RankInterval ranks = percentile_ci_ranks(s.count, kReportedQuantiles[i]);
    PercentileCi& ci = s.ci[i];
    ci.low = ranks.low ? std::optional<double>(at(*ranks.low)) : std::nullopt;
    ci.high = ranks.high ? std::optional<double>(at(*ranks.high)) : std::nullopt;
    ci.beyond = samples_beyond(s.count, kReportedQuantiles[i]);
  }
}

}  // namespace llmbench::metrics
