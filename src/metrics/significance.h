#pragma once
// Whether two sets of measurements differ: the tests `llmbench compare` rests on
// (docs/compare.md). Repetitions of a run are compared with the Mann–Whitney U test, since a
// run's requests are autocorrelated (batching, queueing) and a test over them would overstate
// significance; a single run per side is compared by a moving-block bootstrap over its time
// windows, which keeps the autocorrelation inside each block. A verdict pairs significance
// with a practical noise threshold, as criterion.rs does.

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace llmbench::metrics {

// Two-sided Mann–Whitney U test of `a` against `b`. `u` is the statistic of `a` (the number
// of pairs with a's value above b's, ties counting one half). The p-value is exact (the
// distribution of U enumerated) when there are no ties and both sides have at most
// kExactMannWhitneyMax values; otherwise it is the normal approximation with the tie
// correction of the variance and a continuity correction of 0.5.
inline constexpr std::size_t kExactMannWhitneyMax = 50;
struct RankTest {
  double u = 0;
  double p = 1;
  bool exact = true;
};
// nullopt when either side is empty.
std::optional<RankTest> mann_whitney_u(std::span<const double> a, std::span<const double> b);

// The smallest two-sided p-value the exact test can reach with m and n values: with three
// repetitions a side it is 0.1, so no difference is significant at α = 0.05.
double smallest_mann_whitney_p(std::size_t m, std::size_t n);

// Holm–Bonferroni step-down adjustment of a family of p-values (same order as given): the
// family-wise error rate stays at α when each adjusted value is compared with α.
std::vector<double> holm_adjust(std::span<const double> p);

// Which way is better for a metric: lower latency, higher throughput.
enum class Better { kLower, kHigher };

enum class Verdict {
  kImproved,                 // significant and beyond the noise threshold, the better way
  kRegressed,                // significant and beyond the noise threshold, the worse way
  kWithinNoise,              // significant, but the change is within the noise threshold
  kNoSignificantDifference,  // not significant at α
};
std::string_view to_string(Verdict verdict);

// `relative_change` = (new − base) / base; `p` already adjusted for the family.
Verdict judge(double relative_change, double p, double alpha, double noise, Better better);

// Moving-block bootstrap of the relative difference of one statistic between two runs. Each
// side is its time windows in order, each window the values of the requests that ended in it.
// A replicate draws ⌈k / L⌉ runs of L consecutive windows (L = block_windows, or ⌈k^(1/3)⌉
// when 0) from each side independently and computes the statistic over the values drawn.
struct BootstrapOptions {
  double quantile = 0.5;          // the statistic: this quantile (type 7) of the values
  std::size_t replicates = 2000;  // bootstrap replicates
  std::size_t block_windows = 0;  // L; 0: ⌈k^(1/3)⌉ for k windows
  double level = 0.95;            // of the interval
  std::uint64_t seed = 0x5eed;    // the same inputs give the same interval
};
struct BootstrapDifference {
  double relative_change = 0;     // of the statistic over all values, (new − base) / base
  double low = 0, high = 0;       // percentile interval of the replicates' relative change
  double p = 1;                   // two-sided: 2 · min(share of replicates ≤ 0, share ≥ 0)
  std::size_t block_windows = 0;  // L used
};
// nullopt when a side has no value or the base statistic is 0.
std::optional<BootstrapDifference> block_bootstrap_difference(
    const std::vector<std::vector<double>>& base, const std::vector<std::vector<double>>& next,
    const BootstrapOptions& options = {});

}  // namespace llmbench::metrics
