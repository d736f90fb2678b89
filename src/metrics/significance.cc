#include "metrics/significance.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace llmbench::metrics {

namespace {

// Counts of each value 0 … m·n of U over all C(m+n, m) equally likely rankings, by the
// recurrence f(i, j, u) = f(i − 1, j, u − j) + f(i, j − 1, u): the largest of the i + j
// values belongs to the first side (it beats all j of the other) or to the second. Rolled
// over i, so memory is n + 1 vectors of at most m·n + 1 counts. Doubles: C(100, 50) ≈ 1e29.
std::vector<double> u_counts(std::size_t m, std::size_t n) {
  std::vector<std::vector<double>> previous(n + 1, std::vector<double>{1.0});  // i = 0
  for (std::size_t i = 1; i <= m; ++i) {
    std::vector<std::vector<double>> current(n + 1);
    current[0] = {1.0};  // j = 0: U is 0
    for (std::size_t j = 1; j <= n; ++j) {
      std::vector<double>& f = current[j];
      f.assign(i * j + 1, 0.0);
      const std::vector<double>& first_side_largest = previous[j];  // f(i − 1, j, ·)
      for (std::size_t u = 0; u < first_side_largest.size(); ++u) f[u + j] += first_side_largest[u];
      const std::vector<double>& second_side_largest = current[j - 1];  // f(i, j − 1, ·)
      for (std::size_t u = 0; u < second_side_largest.size(); ++u) f[u] += second_side_largest[u];
    }
    previous = std::move(current);
  }
  return previous[n];
}

// Type-7 quantile of `values`, reordering them (two nth_element passes, no full sort).
double quantile_in_place(std::vector<double>& values, double q) {
  const double h = q * static_cast<double>(values.size() - 1);
  const auto lower = static_cast<std::size_t>(std::floor(h));
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(lower),
                   values.end());
  const double at_lower = values[lower];
  if (lower + 1 >= values.size()) return at_lower;
  const double at_upper =
      *std::min_element(values.begin() + static_cast<std::ptrdiff_t>(lower) + 1, values.end());
  return at_lower + (h - static_cast<double>(lower)) * (at_upper - at_lower);
}

double quantile_of_sorted(const std::vector<double>& sorted, double q) {
  const double h = q * static_cast<double>(sorted.size() - 1);
  const auto lower = static_cast<std::size_t>(std::floor(h));
  if (lower + 1 >= sorted.size()) return sorted[lower];
  return sorted[lower] + (h - static_cast<double>(lower)) * (sorted[lower + 1] - sorted[lower]);
}

std::vector<double> all_values(const std::vector<std::vector<double>>& windows) {
  std::vector<double> out;
  for (const auto& w : windows) out.insert(out.end(), w.begin(), w.end());
  return out;
}

// One moving-block resample of `windows`: ⌈k / block⌉ runs of `block` consecutive windows.
void resample(const std::vector<std::vector<double>>& windows, std::size_t block,
              std::mt19937_64& rng, std::vector<double>& out) {
  out.clear();
  const std::size_t k = windows.size();
  const std::size_t draws = (k + block - 1) / block;
  std::uniform_int_distribution<std::size_t> start(0, k - block);
  for (std::size_t d = 0; d < draws; ++d) {
    const std::size_t first = start(rng);
    for (std::size_t w = first; w < first + block; ++w) {
      out.insert(out.end(), windows[w].begin(), windows[w].end());
    }
  }
}

}  // namespace

std::optional<RankTest> mann_whitney_u(std::span<const double> a, std::span<const double> b) {
  const std::size_t m = a.size();
  const std::size_t n = b.size();
  if (m == 0 || n == 0) return std::nullopt;
  // Mid-ranks over both sides; `tie_term` is Σ (t³ − t) over groups of t equal values.
  struct Value {
    double x;
    bool first;
  };
  std::vector<Value> all;
  all.reserve(m + n);
  for (const double x : a) all.push_back({x, true});
  for (const double x : b) all.push_back({x, false});
  std::sort(all.begin(), all.end(), [](const Value& l, const Value& r) { return l.x < r.x; });
  double rank_sum_first = 0;
  double tie_term = 0;
  for (std::size_t i = 0; i < all.size();) {
    std::size_t j = i;
    while (j < all.size() && all[j].x == all[i].x) ++j;
    const double mid_rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2.0;
    const auto t = static_cast<double>(j - i);
    tie_term += t * t * t - t;
    for (std::size_t k = i; k < j; ++k) {
      if (all[k].first) rank_sum_first += mid_rank;
    }
    i = j;
  }
  const auto md = static_cast<double>(m);
  const auto nd = static_cast<double>(n);
  RankTest test;
  test.u = rank_sum_first - md * (md + 1) / 2;
  if (tie_term == 0 && m <= kExactMannWhitneyMax && n <= kExactMannWhitneyMax) {
    const std::vector<double> counts = u_counts(m, n);
    const double total = std::accumulate(counts.begin(), counts.end(), 0.0);
    const auto u = static_cast<std::ptrdiff_t>(std::llround(test.u));
    const double at_or_below = std::accumulate(counts.begin(), counts.begin() + u + 1, 0.0);
    const double at_or_above = std::accumulate(counts.begin() + u, counts.end(), 0.0);
    test.p = std::min(1.0, 2 * std::min(at_or_below, at_or_above) / total);
    test.exact = true;
    return test;
  }
  test.exact = false;
  const double total = md + nd;
  const double variance = md * nd / 12.0 * ((total + 1) - tie_term / (total * (total - 1)));
  if (variance <= 0) {  // every value equal: nothing tells the sides apart
    test.p = 1;
    return test;
  }
  const double z = std::max(0.0, std::abs(test.u - md * nd / 2) - 0.5) / std::sqrt(variance);
  test.p = std::min(1.0, std::erfc(z / std::sqrt(2.0)));
  return test;
}

double smallest_mann_whitney_p(std::size_t m, std::size_t n) {
  // The two extreme rankings (all of one side above the other) are one of C(m + n, m) each.
  double rankings = 1;
  for (std::size_t i = 1; i <= m; ++i) {
    rankings = rankings * static_cast<double>(n + i) / static_cast<double>(i);
  }
  return std::min(1.0, 2 / rankings);
}

std::vector<double> holm_adjust(std::span<const double> p) {
  const std::size_t count = p.size();
  std::vector<std::size_t> order(count);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&p](std::size_t l, std::size_t r) { return p[l] < p[r]; });
  std::vector<double> adjusted(count);
  double running = 0;  // adjusted values never decrease along the order
  for (std::size_t k = 0; k < count; ++k) {
    const double scaled = std::min(1.0, static_cast<double>(count - k) * p[order[k]]);
    running = std::max(running, scaled);
    adjusted[order[k]] = running;
  }
  return adjusted;
}

std::string_view to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::kImproved:
      return "improved";
    case Verdict::kRegressed:
      return "regressed";
    case Verdict::kWithinNoise:
      return "within noise";
    case Verdict::kNoSignificantDifference:
      return "no significant difference";
  }
  return "no significant difference";
}

Verdict judge(double relative_change, double p, double alpha, double noise, Better better) {
  if (!(p < alpha)) return Verdict::kNoSignificantDifference;
  if (std::abs(relative_change) <= noise) return Verdict::kWithinNoise;
  const bool higher = relative_change > 0;
  return higher == (better == Better::kHigher) ? Verdict::kImproved : Verdict::kRegressed;
}

std::optional<BootstrapDifference> block_bootstrap_difference(
    const std::vector<std::vector<double>>& base, const std::vector<std::vector<double>>& next,
    const BootstrapOptions& options) {
  std::vector<double> base_values = all_values(base);
  std::vector<double> next_values = all_values(next);
  if (base_values.empty() || next_values.empty()) return std::nullopt;
  const double base_stat = quantile_in_place(base_values, options.quantile);
  const double next_stat = quantile_in_place(next_values, options.quantile);
  if (base_stat == 0) return std::nullopt;

  const auto block_for = [&options](std::size_t k) {
    const std::size_t wanted =
        options.block_windows > 0
            ? options.block_windows
            : static_cast<std::size_t>(std::ceil(std::cbrt(static_cast<double>(k))));
    return std::clamp<std::size_t>(wanted, 1, k);
  };
  const std::size_t base_block = block_for(base.size());
  const std::size_t next_block = block_for(next.size());

  std::mt19937_64 rng(options.seed);
  std::vector<double> changes;
  changes.reserve(options.replicates);
  std::vector<double> drawn;
  for (std::size_t r = 0; r < options.replicates; ++r) {
    resample(base, base_block, rng, drawn);
    if (drawn.empty()) continue;  // only empty windows drawn: no statistic
    const double b = quantile_in_place(drawn, options.quantile);
    resample(next, next_block, rng, drawn);
    if (drawn.empty() || b == 0) continue;
    changes.push_back((quantile_in_place(drawn, options.quantile) - b) / b);
  }
  if (changes.empty()) return std::nullopt;
  std::sort(changes.begin(), changes.end());

  BootstrapDifference out;
  out.relative_change = (next_stat - base_stat) / base_stat;
  out.low = quantile_of_sorted(changes, (1 - options.level) / 2);
  out.high = quantile_of_sorted(changes, (1 + options.level) / 2);
  const auto at_or_below =
      static_cast<double>(std::upper_bound(changes.begin(), changes.end(), 0.0) - changes.begin());
  const auto at_or_above =
      static_cast<double>(changes.end() - std::lower_bound(changes.begin(), changes.end(), 0.0));
  // (count + 1) / (B + 1): a bootstrap cannot say p is 0, only that it is below 1 / B.
  const auto replicates = static_cast<double>(changes.size());
  out.p = std::min(1.0, 2 * (std::min(at_or_below, at_or_above) + 1) / (replicates + 1));
  out.block_windows = std::max(base_block, next_block);
  return out;
}

}  // namespace llmbench::metrics
