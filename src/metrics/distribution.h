#pragma once
// Mergeable distributions with bounded memory. A run of a million requests produces over a
// hundred million inter-token gaps; keeping them all would need gigabytes, so every figure
// is also folded into a log-linear histogram whose buckets are at most 2^(1−precision)
// wide relative to their value. Exact samples are kept too, up to a cap: runs below it get
// exact percentiles (type 7), larger ones fall back to the histogram.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "metrics/stats.h"

namespace llmbench::metrics {

// Type-7 quantile (q in [0, 1]) of `count` > 0 ranked values: interpolates between the
// values at the two ranks around q·(count − 1). `value_at_rank(r)` is the r-th smallest.
template <class ValueAtRank>
double type7_quantile(std::uint64_t count, double q, const ValueAtRank& value_at_rank) {
  const double rank = std::clamp(q, 0.0, 1.0) * static_cast<double>(count - 1);
  const auto lower = static_cast<std::uint64_t>(std::floor(rank));
  const std::uint64_t upper = std::min(lower + 1, count - 1);
  const double fraction = rank - static_cast<double>(lower);
  const double a = value_at_rank(lower);
  const double b = upper == lower ? a : value_at_rank(upper);
  return a + (b - a) * fraction;
}

// Log-linear histogram of values in seconds, stored as signed nanoseconds. Values below
// 2^precision ns are exact; above, each power of two is split into 2^(precision−1)
// buckets. Only the index range actually touched is allocated.
class Histogram {
 public:
  explicit Histogram(int precision_bits = 11);

  void add(double seconds, std::uint64_t count = 1);
  // Both histograms must have the same precision.
  void merge(const Histogram& other);

  [[nodiscard]] std::uint64_t count() const { return count_; }
  // Type-7 quantile (q in [0, 1]) over bucket representatives (bucket midpoints, exact for
  // small values); 0 when empty.
  [[nodiscard]] double quantile(double q) const;
  // Largest relative error of a representative against any value in its bucket.
  [[nodiscard]] double relative_precision() const;
  [[nodiscard]] int precision_bits() const { return precision_; }
  // The k-th smallest value (0-based, k < count()) as its bucket representative, in s: the
  // order statistic a confidence interval of a percentile is read from.
  [[nodiscard]] double order_statistic(std::uint64_t rank) const {
    return value_at_rank(rank) / 1e9;
  }

 private:
  struct Side {  // one sign's buckets, dense over [first, first + counts.size())
    std::uint32_t first = 0;
    std::vector<std::uint64_t> counts;
    void add(std::uint32_t index, std::uint64_t n);
  };
  [[nodiscard]] std::uint32_t index_of(std::uint64_t ns) const;
  [[nodiscard]] double representative(std::uint32_t index) const;  // ns
  // Value of the k-th smallest sample (0-based) as its bucket representative, in ns.
  [[nodiscard]] double value_at_rank(std::uint64_t rank) const;

  int precision_;
  std::uint64_t count_ = 0;
  Side negative_;  // magnitudes of negative values
  Side positive_;
};

// Summary statistics of a stream of values: count, mean and std exact (Welford), min and
// max exact, percentiles exact while at most `exact_limit` samples were seen, from the
// histogram afterwards.
class Distribution {
 public:
  static constexpr std::size_t kDefaultExactLimit = 1 << 18;
  explicit Distribution(std::size_t exact_limit = kDefaultExactLimit, int precision_bits = 11);

  void add(double value);
  void merge(const Distribution& other);

  [[nodiscard]] std::uint64_t count() const { return count_; }
  [[nodiscard]] bool exact() const { return exact_kept_; }
  [[nodiscard]] Stats stats() const;
  [[nodiscard]] double quantile(double q) const;

 private:
  std::size_t exact_limit_;
  bool exact_kept_ = true;
  std::vector<double> samples_;  // cleared for good once the limit is passed
  Histogram histogram_;
  std::uint64_t count_ = 0;
  double mean_ = 0, m2_ = 0, min_ = 0, max_ = 0;
};

}  // namespace llmbench::metrics
