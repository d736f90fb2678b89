#include "metrics/stats.h"

#include <algorithm>
#include <cmath>

namespace llmbench::metrics {

RankInterval percentile_ci_ranks(std::uint64_t n, double q, double level) {
  RankInterval out;
  if (n == 0 || !(q > 0) || !(q < 1) || !(level > 0) || !(level < 1)) return out;
  const double tail = (1 - level) / 2;
  const double nd = static_cast<double>(n);
  // P(B ≤ k) summed in log space from well below the mean: the mass more than 40 standard
  // deviations below it is under 1e-300, so the sum is exact and costs O(√n) terms.
  const double sd = std::sqrt(nd * q * (1 - q));
  const double start = std::floor(nd * q - 40 * sd - 1);
  const auto first = start > 0 ? static_cast<std::uint64_t>(start) : std::uint64_t{0};
  const double log_q = std::log(q);
  const double log_p = std::log1p(-q);
  const double log_n = std::lgamma(nd + 1);
  double cdf = 0;
  for (std::uint64_t k = first; k < n; ++k) {
    const double kd = static_cast<double>(k);
    cdf += std::exp(log_n - std::lgamma(kd + 1) - std::lgamma(nd - kd + 1) + kd * log_q +
                    (nd - kd) * log_p);
    if (cdf <= tail) out.low = k;
    if (cdf >= 1 - tail) {
      out.high = k;
      break;
    }
  }
  return out;
}

std::uint64_t samples_beyond(std::uint64_t n, double q) {
  if (n == 0) return 0;
  const double rank = std::clamp(q, 0.0, 1.0) * static_cast<double>(n - 1);
  return n - 1 - static_cast<std::uint64_t>(std::floor(rank));
}

double percentile_sorted(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  const double rank = q * static_cast<double>(sorted.size() - 1);
  const auto lower = static_cast<std::size_t>(std::floor(rank));
  const std::size_t upper = std::min(lower + 1, sorted.size() - 1);
  const double fraction = rank - static_cast<double>(lower);
  return sorted[lower] + (sorted[upper] - sorted[lower]) * fraction;
}

Stats compute_stats(std::vector<double> values) {
  Stats s;
  s.count = values.size();
  if (values.empty()) return s;
  std::sort(values.begin(), values.end());
  double sum = 0;
  for (const double v : values) sum += v;
  s.mean = sum / static_cast<double>(values.size());
  if (values.size() > 1) {
    double squares = 0;
    for (const double v : values) squares += (v - s.mean) * (v - s.mean);
    s.std = std::sqrt(squares / static_cast<double>(values.size() - 1));
  }
  s.min = values.front();
  s.max = values.back();
  s.p50 = percentile_sorted(values, 0.50);
  s.p90 = percentile_sorted(values, 0.90);
  s.p95 = percentile_sorted(values, 0.95);
  s.p99 = percentile_sorted(values, 0.99);
  s.p999 = percentile_sorted(values, 0.999);
  fill_percentile_cis(s, [&values](std::uint64_t k) { return values[k]; });
  return s;
}

}  // namespace llmbench::metrics
