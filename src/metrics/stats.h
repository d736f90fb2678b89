#pragma once
// Descriptive statistics over samples, computed exactly from the sorted values.

#include <cstddef>
#include <vector>

namespace llmbench::metrics {

struct Stats {
  std::size_t count = 0;
  double mean = 0, std = 0, min = 0, p50 = 0, p90 = 0, p95 = 0, p99 = 0, p999 = 0, max = 0;
  // Percentiles computed from every sample (true) or from a histogram whose buckets are
  // at most 0.1 % wide (false: the run had more samples than are kept; see distribution.h).
  bool exact = true;
};

// Percentile q in [0, 1] of sorted values, interpolating linearly between the two nearest
// order statistics (the "type 7" definition used by NumPy and R). Empty input gives 0.
double percentile_sorted(const std::vector<double>& sorted, double q);

// Stats of `values` (taken by value: sorted in place). std is the sample standard deviation
// (n − 1); 0 for fewer than two values.
Stats compute_stats(std::vector<double> values);

}  // namespace llmbench::metrics
