#include "metrics/comparison.h"

#include <gtest/gtest.h>

#include <random>

namespace llmbench::metrics {
namespace {

// `count` repetitions with TTFT p50 near `ttft` (1 % jitter) and a throughput near 1000.
std::vector<RunFigures> runs(std::mt19937_64& rng, std::size_t count, double ttft) {
  std::normal_distribution<double> jitter(1.0, 0.01);
  std::vector<RunFigures> out;
  for (std::size_t i = 0; i < count; ++i) {
    out.push_back(
        {{"ttft.p50", ttft * jitter(rng)}, {"output_token_throughput", 1000 * jitter(rng)}});
  }
  return out;
}

const FigureComparison& row(const Comparison& c, const std::string& name) {
  for (const FigureComparison& f : c.figures) {
    if (f.figure.name == name) return f;
  }
  throw std::runtime_error("no row " + name);
}

const std::vector<ComparedFigure> kFigures = {{"ttft.p50", Better::kLower},
                                              {"output_token_throughput", Better::kHigher}};

TEST(Comparison, TenPercentSlowerIsARegressionAndTheRestIsNot) {
  std::mt19937_64 rng(1);
  const Comparison c = compare_repetitions(runs(rng, 6, 0.100), runs(rng, 6, 0.110), kFigures);
  const FigureComparison& ttft = row(c, "ttft.p50");
  EXPECT_EQ(ttft.verdict, Verdict::kRegressed);
  EXPECT_NEAR(*ttft.relative_change, 0.10, 0.02);
  EXPECT_LT(*ttft.p_adjusted, 0.01);  // 6 a side fully separated: 2/924, ×2 for Holm
  EXPECT_EQ(row(c, "output_token_throughput").verdict, Verdict::kNoSignificantDifference);
  ASSERT_TRUE(c.geomean_ratio_lower_better);
  EXPECT_NEAR(*c.geomean_ratio_lower_better, 1.10, 0.02);
  EXPECT_TRUE(c.warnings.empty());
}

TEST(Comparison, ThreeRepetitionsASideWarnThatNothingCanBeSignificant) {
  std::mt19937_64 rng(2);
  const Comparison c = compare_repetitions(runs(rng, 3, 0.100), runs(rng, 3, 0.200), kFigures);
  EXPECT_EQ(row(c, "ttft.p50").verdict, Verdict::kNoSignificantDifference);
  EXPECT_NEAR(c.smallest_possible_p, 0.1, 1e-12);
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_NE(c.warnings[0].find("--repeat 5"), std::string::npos) << c.warnings[0];
}

TEST(Comparison, AFigureOneSideDidNotMeasureHasNoTest) {
  std::mt19937_64 rng(3);
  std::vector<RunFigures> base = runs(rng, 4, 0.1), next = runs(rng, 4, 0.1);
  for (RunFigures& r : base) r.erase("ttft.p50");  // e.g. a --no-stream base
  const Comparison c = compare_repetitions(base, next, kFigures);
  const FigureComparison& ttft = row(c, "ttft.p50");
  EXPECT_FALSE(ttft.base);
  EXPECT_TRUE(ttft.next);
  EXPECT_FALSE(ttft.p);
  EXPECT_EQ(ttft.note, "not measured by the base");
  // One test in the family: Holm leaves its p as it is.
  const FigureComparison& throughput = row(c, "output_token_throughput");
  EXPECT_EQ(*throughput.p, *throughput.p_adjusted);
}

TEST(Comparison, SingleRunsGetChangesButNoTest) {
  std::mt19937_64 rng(4);
  const Comparison c = compare_repetitions(runs(rng, 1, 0.1), runs(rng, 1, 0.2), kFigures);
  const FigureComparison& ttft = row(c, "ttft.p50");
  EXPECT_NEAR(*ttft.relative_change, 1.0, 0.05);
  EXPECT_FALSE(ttft.p);
  EXPECT_NE(ttft.note.find("block bootstrap"), std::string::npos);
}

TEST(Comparison, DirectionsOfTheDefaultFigures) {
  EXPECT_EQ(better_for("ttft.p99"), Better::kLower);
  EXPECT_EQ(better_for("e2e_latency.p50"), Better::kLower);
  EXPECT_EQ(better_for("output_token_throughput"), Better::kHigher);
  EXPECT_EQ(better_for("success_rate"), Better::kHigher);
  EXPECT_EQ(better_for("cost_per_million_output_tokens"), Better::kLower);
  EXPECT_EQ(better_for("cost_per_thousand_requests"), Better::kLower);
  EXPECT_EQ(better_for("output_tokens_per_gpu_second"), Better::kHigher);
  EXPECT_EQ(default_figures().size(), 15u);
}

// Windows of 20 latencies each around `level` (lognormal, 30 % spread).
MetricWindows latency_windows(std::mt19937_64& rng, double level) {
  std::lognormal_distribution<double> noise(0, 0.3);
  std::vector<std::vector<double>> windows(60);
  for (auto& w : windows) {
    for (int i = 0; i < 20; ++i) w.push_back(level * noise(rng));
  }
  return {{"ttft", windows}};
}

TEST(Comparison, SingleRunsAreTestedByTheBlockBootstrap) {
  std::mt19937_64 rng(5);
  const MetricWindows base = latency_windows(rng, 0.100);
  const MetricWindows slower = latency_windows(rng, 0.110);
  const MetricWindows same = latency_windows(rng, 0.100);
  const RunFigures figures = {{"ttft.p50", 0.1}, {"output_token_throughput", 1000}};
  const RunFigures slower_figures = {{"ttft.p50", 0.11}, {"output_token_throughput", 1000}};
  const Comparison regressed =
      compare_single_runs(figures, base, slower_figures, slower, kFigures, {}, 1000);
  const FigureComparison& ttft = row(regressed, "ttft.p50");
  EXPECT_EQ(ttft.method, "block_bootstrap");
  EXPECT_EQ(ttft.verdict, Verdict::kRegressed);
  EXPECT_GT(*ttft.ci_low, 0);
  EXPECT_FALSE(row(regressed, "output_token_throughput").p);  // one value a run: no test
  EXPECT_FALSE(regressed.warnings.empty());
  const Comparison none = compare_single_runs(figures, base, figures, same, kFigures, {}, 1000);
  EXPECT_NE(row(none, "ttft.p50").verdict, Verdict::kRegressed);
  // Without per-request records there is nothing to resample.
  const Comparison bare = compare_single_runs(figures, {}, slower_figures, {}, kFigures, {}, 100);
  EXPECT_FALSE(row(bare, "ttft.p50").p);
  EXPECT_NE(row(bare, "ttft.p50").note.find("--request-detail none"), std::string::npos);
}

TEST(RegressionGate, FailsOnlySignificantRegressionsBeyondTheirThreshold) {
  std::mt19937_64 rng(6);
  const Comparison c = compare_repetitions(runs(rng, 6, 0.100), runs(rng, 6, 0.110), kFigures);
  RegressionGate five;
  five.all = 0.05;
  EXPECT_EQ(gate_failures(c, five), std::vector<std::string>{"ttft.p50"});
  RegressionGate lenient;
  lenient.all = 0.05;
  lenient.per_figure["ttft.p50"] = 0.15;  // its own threshold wins
  EXPECT_TRUE(gate_failures(c, lenient).empty());
  EXPECT_TRUE(gate_failures(c, RegressionGate{}).empty());  // no threshold: not gated
  // A 2 % regression passes a 5 % gate.
  std::mt19937_64 rng2(7);
  const Comparison small =
      compare_repetitions(runs(rng2, 8, 0.100), runs(rng2, 8, 0.102), kFigures);
  EXPECT_TRUE(gate_failures(small, five).empty());
}

}  // namespace
}  // namespace llmbench::metrics

namespace llmbench::metrics {
namespace {

TEST(MedianInterval, HighestLevelAtMostNinetyFivePercent) {
  EXPECT_FALSE(median_interval({1.0}));
  const auto two = median_interval({2.0, 1.0});
  ASSERT_TRUE(two);
  EXPECT_EQ(two->method, "min-max");
  EXPECT_DOUBLE_EQ(two->level, 0.5);
  const auto five = median_interval({5, 1, 4, 2, 3});
  ASSERT_TRUE(five);
  EXPECT_EQ(five->method, "min-max");
  EXPECT_DOUBLE_EQ(five->low, 1);
  EXPECT_DOUBLE_EQ(five->high, 5);
  EXPECT_DOUBLE_EQ(five->level, 1 - 2.0 / 32);
  // 7 values: min–max covers 98.4 %, above 95 %; the next pair 1 − 2·8/128 = 87.5 %.
  const auto seven = median_interval({7, 1, 6, 2, 5, 3, 4});
  ASSERT_TRUE(seven);
  EXPECT_EQ(seven->method, "order statistics");
  EXPECT_DOUBLE_EQ(seven->low, 2);
  EXPECT_DOUBLE_EQ(seven->high, 6);
  EXPECT_DOUBLE_EQ(seven->level, 0.875);
  // 20 values: k = 6 gives 1 − 2·P(B ≤ 5) = 0.9586 > 0.95; k = 7 gives 0.8847.
  std::vector<double> twenty;
  for (int i = 1; i <= 20; ++i) twenty.push_back(i);
  const auto big = median_interval(twenty);
  ASSERT_TRUE(big);
  EXPECT_DOUBLE_EQ(big->low, 7);
  EXPECT_DOUBLE_EQ(big->high, 14);
  EXPECT_NEAR(big->level, 0.8847, 1e-4);
}

TEST(MedianInterval, RepetitionsGetOneEachSide) {
  const Comparison c = compare_repetitions({{{"ttft.p50", 1}}, {{"ttft.p50", 3}}},
                                           {{{"ttft.p50", 2}}}, {{"ttft.p50", Better::kLower}});
  ASSERT_TRUE(c.figures[0].base_interval);
  EXPECT_DOUBLE_EQ(c.figures[0].base_interval->low, 1);
  EXPECT_FALSE(c.figures[0].new_interval);  // one run: no interval of the median
}

TEST(FigureGates, ParseEveryForm) {
  const auto gates = parse_figure_gates(
      "ttft.p99<=500ms,itl:p50<=0.02,output_token_throughput>=100,"
      "success_rate>=99%");
  ASSERT_TRUE(gates) << gates.error().message;
  ASSERT_EQ(gates->size(), 4u);
  EXPECT_EQ((*gates)[0].figure, "ttft.p99");
  EXPECT_DOUBLE_EQ((*gates)[0].threshold, 0.5);
  EXPECT_TRUE((*gates)[0].at_most);
  EXPECT_EQ((*gates)[1].figure, "itl.p50");
  EXPECT_DOUBLE_EQ((*gates)[1].threshold, 0.02);
  EXPECT_FALSE((*gates)[2].at_most);
  EXPECT_DOUBLE_EQ((*gates)[2].threshold, 100);
  EXPECT_DOUBLE_EQ((*gates)[3].threshold, 0.99);
  for (const char* bad : {"", "ttft.p99", "ttft.p99<=", "ttft.p99<=fast", "<=5ms",
                          "output_token_throughput>=-1", "a<=1,,b<=2"}) {
    const auto r = parse_figure_gates(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().message.find("--slo"), std::string::npos);
  }
}

TEST(FigureGates, CheckedOnTheNewSideAndUnmeasuredFails) {
  const Comparison c =
      compare_repetitions({{{"ttft.p99", 0.1}}}, {{{"ttft.p99", 0.6}}},
                          {{"ttft.p99", Better::kLower}, {"itl.p50", Better::kLower}});
  const auto gates = parse_figure_gates("ttft.p99<=500ms,ttft.p99<=1s,itl.p50<=1s");
  ASSERT_TRUE(gates);
  const auto outcome = check_figure_gates(c, *gates);
  ASSERT_EQ(outcome.size(), 3u);
  EXPECT_FALSE(outcome[0].passed);
  EXPECT_TRUE(outcome[1].passed);
  EXPECT_FALSE(outcome[2].passed);  // not measured
  EXPECT_FALSE(outcome[2].value);
}

}  // namespace
}  // namespace llmbench::metrics

namespace llmbench::metrics {
namespace {

TEST(SingleRuns, TooFewWindowsAreNotTested) {
  const MetricWindows one = {{"ttft", {{0.1, 0.1, 0.1}}}};
  const MetricWindows other = {{"ttft", {{0.2, 0.2, 0.2}}}};
  const Comparison c = compare_single_runs({{"ttft.p50", 0.1}}, one, {{"ttft.p50", 0.2}}, other,
                                           {{"ttft.p50", Better::kLower}});
  EXPECT_FALSE(c.figures[0].p);  // one window: every replicate is the run itself
  EXPECT_NE(c.figures[0].note.find("fewer than 10 time windows"), std::string::npos);
  EXPECT_EQ(c.figures[0].verdict, Verdict::kNoSignificantDifference);
}

}  // namespace
}  // namespace llmbench::metrics
