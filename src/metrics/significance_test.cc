#include "metrics/significance.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace llmbench::metrics {
namespace {

// U of `a` against `b` by counting pairs: an implementation independent of the ranks.
double pair_count_u(const std::vector<double>& a, const std::vector<double>& b) {
  double u = 0;
  for (const double x : a) {
    for (const double y : b) u += x > y ? 1.0 : (x == y ? 0.5 : 0.0);
  }
  return u;
}

// The two-sided permutation p-value of U: every way of splitting the pooled values into
// sides of m and n, enumerated.
double permutation_p(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<double> pooled = a;
  pooled.insert(pooled.end(), b.begin(), b.end());
  const double observed = pair_count_u(a, b);
  std::vector<bool> in_a(pooled.size(), false);
  std::fill(in_a.begin(), in_a.begin() + static_cast<std::ptrdiff_t>(a.size()), true);
  std::sort(in_a.begin(), in_a.end());
  double below = 0, above = 0, total = 0;
  do {
    std::vector<double> x, y;
    for (std::size_t i = 0; i < pooled.size(); ++i) (in_a[i] ? x : y).push_back(pooled[i]);
    const double u = pair_count_u(x, y);
    below += u <= observed + 1e-9 ? 1 : 0;
    above += u >= observed - 1e-9 ? 1 : 0;
    ++total;
  } while (std::next_permutation(in_a.begin(), in_a.end()));
  return std::min(1.0, 2 * std::min(below, above) / total);
}

TEST(MannWhitney, ExactPValueIsThePermutationPValue) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> value(0, 100);
  for (std::size_t trial = 0; trial < 20; ++trial) {
    std::vector<double> a(3 + trial % 4), b(4 + trial % 3);
    for (double& x : a) x = value(rng);
    for (double& x : b) x = value(rng) + (trial % 2 == 0 ? 20 : 0);
    const auto test = mann_whitney_u(a, b);
    ASSERT_TRUE(test);
    EXPECT_TRUE(test->exact);
    EXPECT_DOUBLE_EQ(test->u, pair_count_u(a, b));
    EXPECT_NEAR(test->p, permutation_p(a, b), 1e-12) << "trial " << trial;
  }
}

TEST(MannWhitney, ThreeRepetitionsASideCanNeverBeSignificantAtFivePercent) {
  const std::vector<double> low = {1, 2, 3}, high = {10, 11, 12};
  const auto test = mann_whitney_u(low, high);
  ASSERT_TRUE(test);
  EXPECT_DOUBLE_EQ(test->u, 0);
  EXPECT_NEAR(test->p, 0.1, 1e-12);  // 2 of the 20 rankings are as extreme
  EXPECT_NEAR(smallest_mann_whitney_p(3, 3), 0.1, 1e-12);
  // Five a side reach 2 / 252 < 0.01.
  const std::vector<double> five_low = {1, 2, 3, 4, 5}, five_high = {6, 7, 8, 9, 10};
  EXPECT_NEAR(mann_whitney_u(five_high, five_low)->p, 2.0 / 252, 1e-12);
  EXPECT_DOUBLE_EQ(mann_whitney_u(five_high, five_low)->u, 25);
  EXPECT_NEAR(smallest_mann_whitney_p(5, 5), 2.0 / 252, 1e-12);
}

TEST(MannWhitney, TiesUseTheCorrectedNormalApproximation) {
  // Values on a coarse grid (ties), ten a side: the approximation is close to the
  // permutation p-value (184,756 splits enumerated).
  std::mt19937_64 rng(11);
  std::uniform_int_distribution<int> grid(0, 6);
  for (int trial = 0; trial < 4; ++trial) {
    std::vector<double> a(10), b(10);
    for (double& x : a) x = grid(rng);
    for (double& x : b) x = grid(rng) + trial * 0.5;
    const auto test = mann_whitney_u(a, b);
    ASSERT_TRUE(test);
    EXPECT_FALSE(test->exact);
    EXPECT_DOUBLE_EQ(test->u, pair_count_u(a, b));
    EXPECT_NEAR(test->p, permutation_p(a, b), 0.03) << "trial " << trial;
  }
}

TEST(MannWhitney, EdgeCases) {
  EXPECT_FALSE(mann_whitney_u({}, std::vector<double>{1.0}));
  const std::vector<double> same = {4, 4, 4};
  EXPECT_DOUBLE_EQ(mann_whitney_u(same, same)->p, 1);
  // Beyond the exact limit the approximation is used, and a clear shift is significant.
  std::vector<double> a(60), b(60);
  for (std::size_t i = 0; i < a.size(); ++i) {
    a[i] = static_cast<double>(i);
    b[i] = static_cast<double>(i) + 30.5;
  }
  const auto large = mann_whitney_u(a, b);
  EXPECT_FALSE(large->exact);
  EXPECT_LT(large->p, 1e-4);
}

TEST(Holm, AdjustsStepDownAndKeepsTheOrderGiven) {
  // Sorted: 0.005·4 = 0.02, 0.01·3 = 0.03, 0.03·2 = 0.06, 0.04·1 = 0.04 → kept at 0.06.
  const std::vector<double> p = {0.01, 0.04, 0.03, 0.005};
  const std::vector<double> adjusted = holm_adjust(p);
  ASSERT_EQ(adjusted.size(), 4u);
  EXPECT_NEAR(adjusted[0], 0.03, 1e-12);
  EXPECT_NEAR(adjusted[1], 0.06, 1e-12);
  EXPECT_NEAR(adjusted[2], 0.06, 1e-12);
  EXPECT_NEAR(adjusted[3], 0.02, 1e-12);
  EXPECT_DOUBLE_EQ(holm_adjust(std::vector<double>{0.7, 0.9})[1], 1.0);  // capped at 1
  EXPECT_TRUE(holm_adjust({}).empty());
}

TEST(Verdicts, AreDirectionAwareAndPairSignificanceWithNoise) {
  EXPECT_EQ(judge(0.10, 0.001, 0.05, 0.02, Better::kLower), Verdict::kRegressed);
  EXPECT_EQ(judge(0.10, 0.001, 0.05, 0.02, Better::kHigher), Verdict::kImproved);
  EXPECT_EQ(judge(-0.10, 0.001, 0.05, 0.02, Better::kLower), Verdict::kImproved);
  EXPECT_EQ(judge(-0.10, 0.001, 0.05, 0.02, Better::kHigher), Verdict::kRegressed);
  EXPECT_EQ(judge(0.015, 0.001, 0.05, 0.02, Better::kLower), Verdict::kWithinNoise);
  EXPECT_EQ(judge(0.30, 0.05, 0.05, 0.02, Better::kLower), Verdict::kNoSignificantDifference);
  EXPECT_EQ(judge(0.30, std::nan(""), 0.05, 0.02, Better::kLower),
            Verdict::kNoSignificantDifference);
  EXPECT_EQ(to_string(Verdict::kWithinNoise), "within noise");
}

// Windows of `per_window` latencies around `level` whose level drifts as an AR(1) process
// from window to window (phi: 0 independent, near 1 strongly autocorrelated).
std::vector<std::vector<double>> windows(std::mt19937_64& rng, std::size_t count,
                                         std::size_t per_window, double level, double phi,
                                         double scale = 1.0) {
  std::normal_distribution<double> drift(0, 0.05);
  std::lognormal_distribution<double> noise(0, 0.3);
  std::vector<std::vector<double>> out(count);
  double offset = 0;
  for (auto& w : out) {
    offset = phi * offset + drift(rng);
    for (std::size_t i = 0; i < per_window; ++i) {
      w.push_back(scale * level * (1 + offset) * noise(rng));
    }
  }
  return out;
}

TEST(BlockBootstrap, FindsATenPercentShiftAndNotAnAbsentOne) {
  std::mt19937_64 rng(3);
  const auto base = windows(rng, 120, 20, 0.050, 0.5);
  const auto slower = windows(rng, 120, 20, 0.050, 0.5, 1.10);
  const auto same = windows(rng, 120, 20, 0.050, 0.5);
  const auto shifted = block_bootstrap_difference(base, slower);
  ASSERT_TRUE(shifted);
  EXPECT_LT(shifted->p, 0.01);
  EXPECT_GT(shifted->low, 0);
  EXPECT_NEAR(shifted->relative_change, 0.10, 0.05);
  EXPECT_EQ(shifted->block_windows, 5u);  // ⌈120^(1/3)⌉
  const auto none = block_bootstrap_difference(base, same);
  ASSERT_TRUE(none);
  EXPECT_LT(none->low, 0);
  EXPECT_GT(none->high, 0);
  // The same inputs and seed give the same interval.
  const auto again = block_bootstrap_difference(base, slower);
  EXPECT_EQ(again->low, shifted->low);
  EXPECT_EQ(again->high, shifted->high);
}

// Why blocks: with windows that drift together, resampling single windows (L = 1) treats
// them as independent and gives too narrow an interval.
TEST(BlockBootstrap, BlocksWidenTheIntervalOfAutocorrelatedWindows) {
  std::mt19937_64 rng(5);
  const auto a = windows(rng, 200, 10, 0.050, 0.97);
  const auto b = windows(rng, 200, 10, 0.050, 0.97);
  BootstrapOptions single;
  single.block_windows = 1;
  BootstrapOptions blocks;
  blocks.block_windows = 20;
  const auto narrow = block_bootstrap_difference(a, b, single);
  const auto wide = block_bootstrap_difference(a, b, blocks);
  ASSERT_TRUE(narrow && wide);
  EXPECT_GT(wide->high - wide->low, 1.3 * (narrow->high - narrow->low));
}

TEST(BlockBootstrap, FalsePositivesStayNearAlphaOnIndependentRuns) {
  std::mt19937_64 rng(9);
  int significant = 0;
  constexpr int kPairs = 100;
  for (int i = 0; i < kPairs; ++i) {
    const auto a = windows(rng, 60, 10, 0.050, 0.3);
    const auto b = windows(rng, 60, 10, 0.050, 0.3);
    BootstrapOptions options;
    options.replicates = 500;
    options.quantile = 0.9;
    significant += block_bootstrap_difference(a, b, options)->p < 0.05 ? 1 : 0;
  }
  EXPECT_LE(significant, 12) << significant << " of " << kPairs;  // α = 5 %, binomial slack
}

TEST(BlockBootstrap, EmptyOrZeroBaseHasNoAnswer) {
  EXPECT_FALSE(block_bootstrap_difference({}, {{1.0}}));
  EXPECT_FALSE(block_bootstrap_difference({{}, {}}, {{1.0}}));
  EXPECT_FALSE(block_bootstrap_difference({{0.0, 0.0}}, {{1.0}}));
  // Empty windows among full ones are fine.
  const auto sparse = block_bootstrap_difference({{1.0}, {}, {2.0}, {}}, {{1.5}, {2.5}, {}});
  EXPECT_TRUE(sparse);
}

}  // namespace
}  // namespace llmbench::metrics
