#include "metrics/stability.h"

#include <gtest/gtest.h>

#include <random>

#include "metrics/stats.h"

namespace llmbench::metrics {
namespace {

TEST(StabilityTarget, ParsesFigureWithinAndMinimum) {
  auto t = parse_stability_target("ttft.p99:5%");
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->metric, "ttft");
  EXPECT_DOUBLE_EQ(t->quantile, 0.99);
  EXPECT_DOUBLE_EQ(t->within, 0.05);
  EXPECT_EQ(t->min_requests, 100u);
  auto e = parse_stability_target("e2e.p99.9:2.5%:500");
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ(e->metric, "e2e_latency");
  EXPECT_DOUBLE_EQ(e->quantile, 0.999);
  EXPECT_DOUBLE_EQ(e->within, 0.025);
  EXPECT_EQ(e->min_requests, 500u);
  for (const char* bad :
       {"ttft", "ttft:5%", "ttfx.p99:5%", "ttft.p98:5%", "ttft.p99:5", "ttft.p99:0%",
        "ttft.p99:100%", "ttft.p99:nan%", "ttft.p99:5%:9", "ttft.p99:5%:1.5", "ttft.p99:5%:x"}) {
    auto r = parse_stability_target(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().message.find(bad), std::string::npos) << r.error().message;
  }
}

RequestRecord ok_record(Phase phase = Phase::kMeasure) {
  RequestRecord r;
  r.phase = phase;
  return r;
}

TEST(StabilityWatch, StableOnceTheIntervalFitsAndTheMinimumIsMet) {
  auto target = parse_stability_target("ttft.p50:5%:50");
  ASSERT_TRUE(target);
  StabilityWatch watch(*target);
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> around(0.09, 0.11);  // ±10 % around 100 ms
  std::vector<double> seen;
  std::uint64_t first_stable = 0;
  for (std::uint64_t n = 1; n <= 2000; ++n) {
    RequestMetrics m;
    m.ttft = around(rng);
    seen.push_back(*m.ttft);
    watch.add(ok_record(), m);
    const StabilityReading r = watch.reading();
    ASSERT_EQ(r.requests, n);
    if (r.stable && first_stable == 0) {
      first_stable = n;
      // The reading is the summary's own percentile and interval over the same values.
      const Stats s = compute_stats(seen);
      EXPECT_DOUBLE_EQ(*r.value, s.p50);
      EXPECT_DOUBLE_EQ(*r.low, *s.ci[0].low);
      EXPECT_DOUBLE_EQ(*r.high, *s.ci[0].high);
      EXPECT_LE(*r.high - *r.value, 0.05 * *r.value);
      EXPECT_LE(*r.value - *r.low, 0.05 * *r.value);
    }
  }
  EXPECT_GE(first_stable, 50u);  // never before the minimum
  EXPECT_LT(first_stable, 400u);
}

TEST(StabilityWatch, WarmupFailuresAndMissingFiguresAreLeftOut) {
  auto target = parse_stability_target("tpot.p99:50%:10");
  ASSERT_TRUE(target);
  StabilityWatch watch(*target);
  RequestMetrics with;
  with.tpot = 0.01;
  watch.add(ok_record(Phase::kWarmup), with);
  RequestRecord failed = ok_record();
  failed.error = RequestError{};
  watch.add(failed, with);
  watch.add(ok_record(), RequestMetrics{});  // one token: no tpot
  const StabilityReading r = watch.reading();
  EXPECT_EQ(r.requests, 1u);
  EXPECT_EQ(r.samples, 0u);
  EXPECT_FALSE(r.value);
  EXPECT_FALSE(r.stable);
}

TEST(StabilityWatch, TheUpperEndOfAHighPercentileNeedsEnoughSamples) {
  auto target = parse_stability_target("itl.p99:50%:10");
  ASSERT_TRUE(target);
  StabilityWatch watch(*target);
  RequestMetrics m;
  m.itl.assign(100, 0.02);  // 100 equal gaps: p99 has no upper bound at 95 % yet
  watch.add(ok_record(), m);
  for (int i = 0; i < 20; ++i) watch.add(ok_record(), RequestMetrics{});
  StabilityReading r = watch.reading();
  EXPECT_EQ(r.samples, 100u);
  EXPECT_FALSE(r.high);
  EXPECT_FALSE(r.stable);
  m.itl.assign(400, 0.02);
  watch.add(ok_record(), m);
  r = watch.reading();
  ASSERT_TRUE(r.high);
  EXPECT_TRUE(r.stable);
  EXPECT_NE(describe_stable_stop(*target, r).find("itl.p99 = 20.00 ms"), std::string::npos)
      << describe_stable_stop(*target, r);
}

}  // namespace
}  // namespace llmbench::metrics

namespace llmbench::metrics {
namespace {

TEST(Cost, SpendOverTheMeasuredThroughputs) {
  RunSummary s;
  s.output_token_throughput = 1000;  // tokens/s
  s.request_throughput = 4;          // req/s
  add_cost(s, 3.6, 2);               // 2 GPUs at 3.6/h: 0.002 per second
  EXPECT_DOUBLE_EQ(s.cost_per_million_output_tokens.value_or(-1), 2.0);
  EXPECT_DOUBLE_EQ(s.cost_per_thousand_requests.value_or(-1), 0.5);
  EXPECT_DOUBLE_EQ(s.output_tokens_per_gpu_second.value_or(-1), 500);
}

TEST(Cost, AbsentInputsGiveAbsentFigures) {
  RunSummary none;
  none.output_token_throughput = 1000;
  none.request_throughput = 4;
  add_cost(none, std::nullopt, std::nullopt);
  EXPECT_FALSE(none.cost_per_million_output_tokens);
  EXPECT_FALSE(none.output_tokens_per_gpu_second);  // a GPU count nobody gave is not assumed
  RunSummary gpus_only = none;
  add_cost(gpus_only, std::nullopt, 4);
  EXPECT_FALSE(gpus_only.cost_per_thousand_requests);
  EXPECT_DOUBLE_EQ(gpus_only.output_tokens_per_gpu_second.value_or(-1), 250);
  RunSummary nothing_made;  // every request failed: no cost per token, not an infinite one
  add_cost(nothing_made, 2.5, 1);
  EXPECT_FALSE(nothing_made.cost_per_million_output_tokens);
  EXPECT_FALSE(nothing_made.cost_per_thousand_requests);
  EXPECT_FALSE(nothing_made.output_tokens_per_gpu_second);
}

}  // namespace
}  // namespace llmbench::metrics
