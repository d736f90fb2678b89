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
  EXPECT_EQ(default_figures().size(), 15u);
}

}  // namespace
}  // namespace llmbench::metrics
