#include "metrics/report_model.h"

#include <gtest/gtest.h>

#include <numeric>

namespace llmbench::metrics {
namespace {

TEST(ReportHistogram, EqualBinsOverTheRangeWithTheMaximumInTheLastBin) {
  const std::vector<double> values{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  const BinCounts h = make_histogram(values, 5);
  ASSERT_EQ(h.edges.size(), 6u);
  ASSERT_EQ(h.counts.size(), 5u);
  EXPECT_DOUBLE_EQ(h.edges.front(), 0);
  EXPECT_DOUBLE_EQ(h.edges.back(), 10);
  EXPECT_EQ(h.counts, (std::vector<std::uint64_t>{2, 2, 2, 2, 3}));
  EXPECT_EQ(std::accumulate(h.counts.begin(), h.counts.end(), std::uint64_t{0}), values.size());
}

TEST(ReportHistogram, AllEqualValuesAreOneBinAndNoValuesNoBins) {
  const std::vector<double> same(7, 3.5);
  const BinCounts h = make_histogram(same, 60);
  EXPECT_EQ(h.counts, (std::vector<std::uint64_t>{7}));
  EXPECT_TRUE(make_histogram({}, 60).edges.empty());
}

TEST(ReportCdf, SmallSamplesKeepEveryDistinctValueWithItsFraction) {
  const std::vector<double> sorted{1, 2, 2, 3};
  const auto cdf = make_cdf(sorted, 512);
  ASSERT_EQ(cdf.size(), 3u);  // the two 2s are one step, at the fraction of the last
  EXPECT_EQ(cdf[0], (std::pair<double, double>{1, 0.25}));
  EXPECT_EQ(cdf[1], (std::pair<double, double>{2, 0.75}));
  EXPECT_EQ(cdf[2], (std::pair<double, double>{3, 1.0}));
}

TEST(ReportCdf, LargeSamplesAreCutToTheBudgetKeepingBothEnds) {
  std::vector<double> sorted(100'000);
  std::iota(sorted.begin(), sorted.end(), 1.0);
  const auto cdf = make_cdf(sorted, 512);
  ASSERT_LE(cdf.size(), 512u);
  ASSERT_GE(cdf.size(), 500u);
  EXPECT_DOUBLE_EQ(cdf.front().first, 1);
  EXPECT_DOUBLE_EQ(cdf.back().first, 100'000);
  EXPECT_DOUBLE_EQ(cdf.back().second, 1.0);
  for (std::size_t i = 1; i < cdf.size(); ++i) {
    EXPECT_GT(cdf[i].first, cdf[i - 1].first);
    // Uniform values: the fraction at a value is value / n.
    EXPECT_NEAR(cdf[i].second, cdf[i].first / 100'000, 1e-9);
  }
}

TEST(ReportValueSample, KeepsAllUpToItsCapacityThenAUniformSample) {
  ValueSample small(10);
  for (int i = 0; i < 5; ++i) small.add(5 - i);
  EXPECT_FALSE(small.sampled());
  EXPECT_EQ(std::vector<double>(small.sorted().begin(), small.sorted().end()),
            (std::vector<double>{1, 2, 3, 4, 5}));

  ValueSample big(1000, 42);
  for (int i = 0; i < 100'000; ++i) big.add(i);
  EXPECT_TRUE(big.sampled());
  EXPECT_EQ(big.seen(), 100'000u);
  const auto kept = big.sorted();
  ASSERT_EQ(kept.size(), 1000u);
  // A uniform sample of 0..99,999: its median is near 50,000 (± 5 % is > 3 standard errors).
  EXPECT_NEAR(kept[500], 50'000, 5'000);
  EXPECT_LT(kept.front(), 1'000);
  EXPECT_GT(kept.back(), 99'000);
}

RunOverview overview() {
  RunOverview o;
  o.label = "vllm";
  o.engine = "vllm";
  o.engine_version = "0.11.0";
  o.model = "m";
  o.load = "closed loop, concurrency 4";
  o.requests = 3;
  o.succeeded = 2;
  o.failed = 1;
  o.success_rate = 2.0 / 3.0;
  o.request_throughput = 1.5;
  return o;
}

TEST(ReportRunView, DistributionsInMillisecondsCoverMeasuredSuccessesOnly) {
  RunViewBuilder builder;
  builder.set_window(1.0);
  const std::vector<double> gaps{0.01, 0.02};
  RequestFacts ok;
  ok.end = 0.5;
  ok.ttft = 0.040;
  ok.e2e_latency = 0.070;
  ok.tpot = 0.015;
  ok.itl = gaps;
  builder.add_request(ok);
  RequestFacts warmup = ok;
  warmup.measured = false;
  warmup.ttft = 9.0;  // not in the distributions
  builder.add_request(warmup);
  RequestFacts failed;
  failed.succeeded = false;
  failed.error_category = "http_5xx";
  failed.end = 1.5;
  builder.add_request(failed);
  builder.add_window({0.0, 1, 0, 10, 1, 0.04, 0.04, 0.01, 0.02, {}});
  builder.add_window({1.0,
                      0,
                      1,
                      std::nullopt,
                      0.5,
                      std::nullopt,
                      std::nullopt,
                      std::nullopt,
                      std::nullopt,
                      {{"gpu.power_w", 310}}});
  const RunView view = builder.finish(overview(), false, true);

  ASSERT_EQ(view.distributions.size(), 4u);  // ttft, itl, tpot, e2e: no _sched in closed loop
  EXPECT_EQ(view.distributions[0].metric, "ttft");
  EXPECT_EQ(view.distributions[0].count, 1u);
  EXPECT_DOUBLE_EQ(view.distributions[0].cdf.front().first, 40.0);
  EXPECT_EQ(view.distributions[1].metric, "itl");
  EXPECT_EQ(view.distributions[1].count, 2u);

  ASSERT_TRUE(view.time_series);
  const auto find = [&view](const std::string& name) -> const Series* {
    for (const Series& s : view.time_series->series) {
      if (s.name == name) return &s;
    }
    return nullptr;
  };
  const Series* errors = find("errors_http_5xx");
  ASSERT_NE(errors, nullptr);
  EXPECT_EQ(errors->group, "errors");
  EXPECT_EQ(errors->values, (std::vector<std::optional<double>>{0.0, 1.0}));
  const Series* tokens = find("output_token_throughput");
  ASSERT_NE(tokens, nullptr);
  EXPECT_FALSE(tokens->values[1].has_value());  // not measured stays absent, never 0
  const Series* power = find("gpu.power_w");
  ASSERT_NE(power, nullptr);
  EXPECT_EQ(power->group, "gpu");
  EXPECT_FALSE(power->values[0].has_value());
  EXPECT_EQ(power->values[1], 310.0);
  EXPECT_EQ(find("schedule_lag_p99"), nullptr);  // closed loop

  // Cards: a goodput nobody measured is absent, with the reason.
  bool saw_goodput = false;
  for (const Card& card : view.cards) {
    if (card.label != "Goodput") continue;
    saw_goodput = true;
    EXPECT_FALSE(card.value.has_value());
    EXPECT_EQ(card.detail, "no SLO given");
  }
  EXPECT_TRUE(saw_goodput);
}

TEST(ReportRunView, WindowsBeyondTheBudgetAreMergedAndSaySo) {
  ReportBudget budget;
  budget.max_windows = 10;
  RunViewBuilder builder(budget);
  for (int i = 0; i < 100; ++i) {
    WindowFacts w;
    w.t = i;
    w.requests_completed = 1;
    w.ttft_p99 = i == 37 ? 9.0 : 0.1;  // one bad window
    builder.add_window(w);
  }
  const RunView view = builder.finish(overview(), false, true);
  ASSERT_TRUE(view.time_series);
  EXPECT_EQ(view.time_series->merged, 10u);
  EXPECT_EQ(view.time_series->t.size(), 10u);
  for (const Series& s : view.time_series->series) {
    EXPECT_EQ(s.values.size(), 10u) << s.name;
    if (s.name == "ttft_p99") {
      EXPECT_DOUBLE_EQ(*s.values[3], 9000.0);  // the max survives
    }
    if (s.name == "request_throughput") {
      EXPECT_DOUBLE_EQ(*s.values[0], 1.0);
    }
  }
  ASSERT_FALSE(view.notes.empty());
  EXPECT_NE(view.notes.back().find("merged 10 to a point"), std::string::npos);
}

TEST(ReportRunView, SampledDistributionsSaySoAndLengthsAreDrawn) {
  ReportBudget budget;
  budget.sample_values = 100;
  budget.scatter_points = 50;
  RunViewBuilder builder(budget);
  for (int i = 0; i < 1000; ++i) {
    RequestFacts r;
    r.ttft = 0.001 * (i + 1);
    r.prompt_tokens = 128 + i % 3;
    r.prompt_tokens_target = 128;
    r.output_tokens = 64;
    builder.add_request(r);
  }
  const RunView view = builder.finish(overview(), false, false);
  ASSERT_EQ(view.distributions.size(), 1u);
  EXPECT_EQ(view.distributions[0].count, 1000u);
  EXPECT_LE(view.distributions[0].cdf.size(), 100u);
  ASSERT_TRUE(view.workload);
  EXPECT_EQ(view.workload->target_vs_engine.size(), 50u);
  EXPECT_EQ(std::accumulate(view.workload->output_lengths.counts.begin(),
                            view.workload->output_lengths.counts.end(), std::uint64_t{0}),
            100u);  // the sample's
  bool said = false;
  for (const std::string& note : view.notes)
    said = said || note.find("uniform sample") != std::string::npos;
  EXPECT_TRUE(said);
}

TEST(ReportComparisonRow, ScalesToDisplayUnitsAndWordsMissingVerdicts) {
  ComparisonFacts facts;
  facts.figure = "ttft.p99";
  facts.base = 0.1;
  facts.next = 0.12;
  facts.relative_change = 0.2;
  const ComparisonRow untested = comparison_row(facts);
  EXPECT_EQ(untested.label, "TTFT p99");
  EXPECT_EQ(untested.unit, "ms");
  EXPECT_DOUBLE_EQ(*untested.base, 100);
  EXPECT_DOUBLE_EQ(*untested.change_pct, 20);
  EXPECT_EQ(untested.verdict, "no test");
  facts.next.reset();
  EXPECT_EQ(comparison_row(facts).verdict, "not measured");
  facts.figure = "success_rate";
  facts.next = 0.5;
  facts.verdict = "regressed";
  const ComparisonRow rate = comparison_row(facts);
  EXPECT_EQ(rate.unit, "%");
  EXPECT_DOUBLE_EQ(*rate.next, 50);
  EXPECT_EQ(rate.verdict, "regressed");
}

}  // namespace
}  // namespace llmbench::metrics
