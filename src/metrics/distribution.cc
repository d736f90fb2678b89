#include "metrics/distribution.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cmath>

namespace llmbench::metrics {

Histogram::Histogram(int precision_bits) : precision_(std::clamp(precision_bits, 2, 20)) {}

void Histogram::Side::add(std::uint32_t index, std::uint64_t n) {
  if (counts.empty()) {
    first = index;
    counts.assign(1, 0);
  } else if (index < first) {
    counts.insert(counts.begin(), first - index, 0);
    first = index;
  } else if (index >= first + counts.size()) {
    counts.resize(index - first + 1, 0);
  }
  counts[index - first] += n;
}

std::uint32_t Histogram::index_of(std::uint64_t ns) const {
  const auto bits = static_cast<std::uint32_t>(precision_);
  if (ns < (std::uint64_t{1} << bits)) return static_cast<std::uint32_t>(ns);
  const auto width = static_cast<std::uint32_t>(std::bit_width(ns));
  const std::uint32_t shift = width - bits;                  // ≥ 1: keeps the top `bits` bits
  const auto top = static_cast<std::uint32_t>(ns >> shift);  // in [2^(bits−1), 2^bits)
  const std::uint32_t half = 1U << (bits - 1);
  return (1U << bits) + (shift - 1) * half + (top - half);
}

double Histogram::representative(std::uint32_t index) const {
  const auto bits = static_cast<std::uint32_t>(precision_);
  if (index < (1U << bits)) return static_cast<double>(index);
  const std::uint32_t half = 1U << (bits - 1);
  const std::uint32_t above = index - (1U << bits);
  const std::uint32_t shift = above / half + 1;
  const std::uint64_t top = (above % half) + half;
  const double low = std::ldexp(static_cast<double>(top), static_cast<int>(shift));
  const double width = std::ldexp(1.0, static_cast<int>(shift));
  return low + (width - 1) / 2;
}

double Histogram::relative_precision() const { return std::ldexp(1.0, 1 - precision_); }

void Histogram::add(double seconds, std::uint64_t count) {
  if (count == 0 || !std::isfinite(seconds)) return;
  const double ns = std::min(std::fabs(seconds) * 1e9, 9.0e18);
  const auto magnitude = static_cast<std::uint64_t>(std::llround(ns));
  (seconds < 0 ? negative_ : positive_).add(index_of(magnitude), count);
  count_ += count;
}

void Histogram::merge(const Histogram& other) {
  assert(other.precision_ == precision_);
  for (std::size_t i = 0; i < other.negative_.counts.size(); ++i) {
    if (other.negative_.counts[i] == 0) continue;
    negative_.add(other.negative_.first + static_cast<std::uint32_t>(i), other.negative_.counts[i]);
  }
  for (std::size_t i = 0; i < other.positive_.counts.size(); ++i) {
    if (other.positive_.counts[i] == 0) continue;
    positive_.add(other.positive_.first + static_cast<std::uint32_t>(i), other.positive_.counts[i]);
  }
  count_ += other.count_;
}

double Histogram::value_at_rank(std::uint64_t rank) const {
  // Negative values, most negative first: the highest magnitude index comes first.
  for (std::size_t i = negative_.counts.size(); i-- > 0;) {
    const std::uint64_t n = negative_.counts[i];
    if (rank < n) return -representative(negative_.first + static_cast<std::uint32_t>(i));
    rank -= n;
  }
  for (std::size_t i = 0; i < positive_.counts.size(); ++i) {
    const std::uint64_t n = positive_.counts[i];
    if (rank < n) return representative(positive_.first + static_cast<std::uint32_t>(i));
    rank -= n;
  }
  return 0;
}

double Histogram::quantile(double q) const {
  if (count_ == 0) return 0;
  return type7_quantile(count_, q, [this](std::uint64_t r) { return value_at_rank(r); }) / 1e9;
}

Distribution::Distribution(std::size_t exact_limit, int precision_bits)
    : exact_limit_(exact_limit), histogram_(precision_bits) {}

void Distribution::add(double value) {
  if (!std::isfinite(value)) return;
  ++count_;
  if (count_ == 1) {
    min_ = max_ = value;
  } else {
    min_ = std::min(min_, value);
    max_ = std::max(max_, value);
  }
  const double delta = value - mean_;
  mean_ += delta / static_cast<double>(count_);
  m2_ += delta * (value - mean_);
  histogram_.add(value);
  if (exact_kept_) {
    if (samples_.size() < exact_limit_) {
      samples_.push_back(value);
    } else {
      exact_kept_ = false;
      std::vector<double>().swap(samples_);
    }
  }
}

void Distribution::merge(const Distribution& other) {
  if (other.count_ == 0) return;
  if (count_ == 0) {
    min_ = other.min_;
    max_ = other.max_;
  } else {
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
  }
  // Chan et al.'s pairwise update of mean and sum of squared deviations.
  const double n_a = static_cast<double>(count_);
  const double n_b = static_cast<double>(other.count_);
  const double delta = other.mean_ - mean_;
  const double n = n_a + n_b;
  mean_ += delta * n_b / n;
  m2_ += other.m2_ + delta * delta * n_a * n_b / n;
  count_ += other.count_;
  histogram_.merge(other.histogram_);
  if (exact_kept_ && other.exact_kept_ && samples_.size() + other.samples_.size() <= exact_limit_) {
    samples_.insert(samples_.end(), other.samples_.begin(), other.samples_.end());
  } else {
    exact_kept_ = false;
    std::vector<double>().swap(samples_);
  }
}

double Distribution::quantile(double q) const {
  if (count_ == 0) return 0;
  if (exact_kept_) {
    std::vector<double> sorted = samples_;
    std::sort(sorted.begin(), sorted.end());
    return percentile_sorted(sorted, q);
  }
  return std::clamp(histogram_.quantile(q), min_, max_);
}

Stats Distribution::stats() const {
  if (exact_kept_) {
    Stats s = compute_stats(samples_);
    s.exact = true;
    return s;
  }
  Stats s;
  s.count = count_;
  s.mean = mean_;
  s.std = count_ > 1 ? std::sqrt(m2_ / static_cast<double>(count_ - 1)) : 0;
  s.min = min_;
  s.max = max_;
  auto at = [this](double q) { return std::clamp(histogram_.quantile(q), min_, max_); };
  s.p50 = at(0.50);
  s.p90 = at(0.90);
  s.p95 = at(0.95);
  s.p99 = at(0.99);
  s.p999 = at(0.999);
  // The same ranks on the histogram: each end is the representative of the bucket holding
  // that order statistic.
  fill_percentile_cis(
      s, [this](std::uint64_t k) { return std::clamp(histogram_.order_statistic(k), min_, max_); });
  s.exact = false;
  return s;
}

}  // namespace llmbench::metrics
