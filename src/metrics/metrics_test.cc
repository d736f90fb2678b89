#include <gtest/gtest.h>

#include "metrics/stats.h"
#include "metrics/summary.h"
#include "metrics/sweep.h"

namespace llmbench::metrics {
namespace {

TimePoint ms(double v) {
  return TimePoint(
      std::chrono::duration_cast<Duration>(std::chrono::duration<double, std::milli>(v)));
}

TEST(Stats, PercentilesInterpolateBetweenOrderStatistics) {
  std::vector<double> values;
  for (int i = 100; i >= 1; --i) values.push_back(i);  // unsorted input
  const Stats s = compute_stats(values);
  EXPECT_EQ(s.count, 100u);
  EXPECT_DOUBLE_EQ(s.min, 1);
  EXPECT_DOUBLE_EQ(s.max, 100);
  EXPECT_DOUBLE_EQ(s.mean, 50.5);
  EXPECT_DOUBLE_EQ(s.p50, 50.5);
  EXPECT_DOUBLE_EQ(s.p90, 90.1);
  EXPECT_DOUBLE_EQ(s.p99, 99.01);
  EXPECT_NEAR(s.std, 29.011491975882016, 1e-12);
}

TEST(Stats, EmptyAndSingle) {
  EXPECT_EQ(compute_stats({}).count, 0u);
  const Stats one = compute_stats({3.0});
  EXPECT_DOUBLE_EQ(one.p50, 3);
  EXPECT_DOUBLE_EQ(one.p999, 3);
  EXPECT_DOUBLE_EQ(one.std, 0);
}

RequestRecord streamed(std::uint64_t id, double send, std::vector<double> arrivals, double end) {
  RequestRecord r;
  r.id = id;
  r.sent = true;
  r.t_send = ms(send);
  r.t_end = ms(end);
  for (const double a : arrivals) r.events.push_back(TokenEvent{ms(a), 1});
  r.completed = true;
  return r;
}

TEST(Derive, TtftItlTpotE2eFromTimestamps) {
  RequestRecord r = streamed(1, 100, {150, 160, 175}, 180);
  r.usage.output_tokens = 3;
  const RequestMetrics m = derive(r);
  EXPECT_NEAR(*m.ttft, 0.050, 1e-9);
  EXPECT_NEAR(*m.e2e, 0.080, 1e-9);
  ASSERT_EQ(m.itl.size(), 2u);
  EXPECT_NEAR(m.itl[0], 0.010, 1e-9);
  EXPECT_NEAR(m.itl[1], 0.015, 1e-9);
  EXPECT_NEAR(*m.tpot, 0.030 / 2, 1e-9);  // (end − first) / (3 − 1)
}

TEST(Derive, EngineCountWinsOverClientCountForTpot) {
  // One frame carried 4 tokens: TPOT divides by 4 − 1, not by frames − 1.
  RequestRecord r = streamed(1, 0, {10}, 40);
  r.events[0].tokens = 4;
  EXPECT_EQ(r.client_output_tokens(), 4);
  const RequestMetrics m = derive(r);
  EXPECT_NEAR(*m.tpot, 0.030 / 3, 1e-9);
  EXPECT_TRUE(m.itl.empty());
}

TEST(Derive, SingleTokenHasNoTpot) { EXPECT_FALSE(derive(streamed(1, 0, {10}, 12)).tpot); }

TEST(Summary, FailuresAreCountedByCategoryAndExcludedFromLatency) {
  std::vector<RequestRecord> records;
  records.push_back(streamed(0, 0, {50, 60}, 70));
  records.push_back(streamed(1, 0, {40, 45}, 1000));
  RequestRecord failed = streamed(2, 10, {}, 20);
  failed.error = RequestError{ErrorCategory::kHttp5xx, "HTTP 500"};
  records.push_back(failed);
  RequestRecord refused;
  refused.id = 3;
  refused.t_end = ms(5);
  refused.error = RequestError{ErrorCategory::kConnect, "refused"};
  records.push_back(refused);

  const RunSummary s = summarize(records, ms(0));
  EXPECT_EQ(s.requests, 4u);
  EXPECT_EQ(s.succeeded, 2u);
  EXPECT_DOUBLE_EQ(s.success_rate, 0.5);
  EXPECT_EQ(s.errors.at("http_5xx"), 1u);
  EXPECT_EQ(s.errors.at("connect"), 1u);
  EXPECT_EQ(s.ttft.count, 2u);
  EXPECT_NEAR(s.ttft.min, 0.040, 1e-9);
  EXPECT_NEAR(s.duration, 1.0, 1e-9);
  EXPECT_NEAR(s.request_throughput, 2.0, 1e-9);
  EXPECT_EQ(s.output_tokens, 4);
  EXPECT_NEAR(s.output_token_throughput, 4.0, 1e-9);
}

}  // namespace
}  // namespace llmbench::metrics

namespace llmbench::metrics {
namespace {

TEST(Histogram, QuantilesWithinTheBucketPrecision) {
  Histogram h(11);
  std::vector<double> values;
  for (int i = 1; i <= 20000; ++i) values.push_back(0.001 + 1e-6 * i * (i % 7 + 1));
  for (const double v : values) h.add(v);
  std::sort(values.begin(), values.end());
  for (const double q : {0.0, 0.5, 0.9, 0.99, 0.999, 1.0}) {
    const double exact = percentile_sorted(values, q);
    EXPECT_NEAR(h.quantile(q), exact, exact * h.relative_precision()) << q;
  }
  EXPECT_LT(h.relative_precision(), 0.001);
}

TEST(Histogram, SmallValuesExactAndNegativesOrdered) {
  Histogram h(11);
  for (const double v : {-0.002, -0.001, 0.0, 1e-9 * 5, 0.003}) h.add(v);
  EXPECT_NEAR(h.quantile(0), -0.002, 0.002 * h.relative_precision());
  EXPECT_NEAR(h.quantile(0.25), -0.001, 0.001 * h.relative_precision());
  EXPECT_DOUBLE_EQ(h.quantile(0.5), 0.0);
  EXPECT_DOUBLE_EQ(h.quantile(0.75), 5e-9);  // below 2^11 ns: exact
  EXPECT_NEAR(h.quantile(1), 0.003, 0.003 * h.relative_precision());
}

TEST(Histogram, MergeEqualsAddingEverything) {
  Histogram a(9), b(9), all(9);
  for (int i = 0; i < 1000; ++i) {
    const double v = 0.0001 * (i % 97) + 0.01 * (i % 3);
    (i % 2 ? a : b).add(v);
    all.add(v);
  }
  a.merge(b);
  EXPECT_EQ(a.count(), all.count());
  for (const double q : {0.1, 0.5, 0.9, 0.99}) EXPECT_DOUBLE_EQ(a.quantile(q), all.quantile(q));
}

TEST(Distribution, ExactBelowTheLimitHistogramAbove) {
  Distribution small(100);
  for (int i = 1; i <= 100; ++i) small.add(i * 0.001);
  EXPECT_TRUE(small.exact());
  EXPECT_DOUBLE_EQ(small.stats().p99, compute_stats([] {
                                        std::vector<double> v;
                                        for (int i = 1; i <= 100; ++i) v.push_back(i * 0.001);
                                        return v;
                                      }())
                                          .p99);
  Distribution big(100);
  std::vector<double> all;
  for (int i = 1; i <= 5000; ++i) {
    big.add(i * 0.001);
    all.push_back(i * 0.001);
  }
  EXPECT_FALSE(big.exact());
  const Stats exact = compute_stats(all);
  const Stats approx = big.stats();
  EXPECT_FALSE(approx.exact);
  EXPECT_EQ(approx.count, 5000u);
  EXPECT_NEAR(approx.mean, exact.mean, 1e-9);
  EXPECT_NEAR(approx.std, exact.std, 1e-9);
  EXPECT_DOUBLE_EQ(approx.min, exact.min);
  EXPECT_DOUBLE_EQ(approx.max, exact.max);
  EXPECT_NEAR(approx.p50, exact.p50, exact.p50 * 0.001);
  EXPECT_NEAR(approx.p99, exact.p99, exact.p99 * 0.001);
}

TEST(Distribution, MergeKeepsMeanAndStd) {
  Distribution a, b;
  std::vector<double> all;
  for (int i = 0; i < 300; ++i) {
    const double v = 0.01 + 0.0003 * (i * 37 % 101);
    (i < 100 ? a : b).add(v);
    all.push_back(v);
  }
  a.merge(b);
  const Stats s = a.stats();
  const Stats e = compute_stats(all);
  EXPECT_NEAR(s.mean, e.mean, 1e-12);
  EXPECT_NEAR(s.std, e.std, 1e-12);
  EXPECT_DOUBLE_EQ(s.p90, e.p90);
}

TEST(Slo, ParsesObjectivesAndNamesBadOnes) {
  auto slos = parse_slos("ttft:p99<=200ms, tpot:p90<=50ms,e2e:p99.9<=2s");
  ASSERT_TRUE(slos) << slos.error().message;
  ASSERT_EQ(slos->size(), 3u);
  EXPECT_EQ((*slos)[0].metric, "ttft");
  EXPECT_DOUBLE_EQ((*slos)[0].quantile, 0.99);
  EXPECT_DOUBLE_EQ((*slos)[0].threshold, 0.2);
  EXPECT_EQ((*slos)[2].metric, "e2e_latency");
  EXPECT_DOUBLE_EQ((*slos)[2].quantile, 0.999);
  EXPECT_EQ(to_string((*slos)[1]), "tpot:p90<=50ms");
  for (const char* bad :
       {"ttft<=2s", "latency:p99<=1s", "ttft:q99<=1s", "ttft:p99<=soon", "ttft:p101<=1s", ""}) {
    auto r = parse_slos(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().message.find("--slo"), std::string::npos);
  }
}

RequestRecord timed(std::uint64_t id, double sched, double send, double first, double end,
                    int tokens) {
  RequestRecord r;
  r.id = id;
  r.sent = true;
  r.t_sched = ms(sched);
  r.t_send = ms(send);
  r.t_end = ms(end);
  const double gap = tokens > 1 ? (end - first) / (tokens - 1) : 0;
  for (int i = 0; i < tokens; ++i) r.events.push_back(TokenEvent{ms(first + gap * i), 1});
  r.completed = true;
  return r;
}

TEST(Aggregator, ScheduleLagAndLatencyFromTheSchedule) {
  std::vector<RequestRecord> records;
  // Due at 0 / 100 / 200 ms, sent 1 / 5 / 2 ms late.
  records.push_back(timed(0, 0, 1, 51, 91, 5));
  records.push_back(timed(1, 100, 105, 155, 195, 5));
  records.push_back(timed(2, 200, 202, 252, 292, 5));
  const RunSummary s = summarize(records, ms(0));
  EXPECT_EQ(s.schedule_lag.count, 3u);
  EXPECT_NEAR(s.schedule_lag.p50, 0.002, 1e-9);
  EXPECT_NEAR(s.schedule_lag.max, 0.005, 1e-9);
  EXPECT_NEAR(s.ttft.p50, 0.050, 1e-9);
  EXPECT_NEAR(s.ttft_sched.max, 0.055, 1e-9);  // the late one: 50 ms + 5 ms lag
  EXPECT_NEAR(s.e2e_sched.min, 0.091, 1e-9);
  // Completions at 91, 195, 292 ms: 2 intervals over 201 ms.
  EXPECT_NEAR(s.completion_rate, 2 / 0.201, 1e-6);
  // 90 ms in flight each over the 291 ms from first send to last end.
  EXPECT_NEAR(s.mean_concurrency, 0.270 / 0.291, 1e-6);
}

TEST(Aggregator, WarmupAndCooldownAreCountedButNotMeasured) {
  std::vector<RequestRecord> records;
  records.push_back(timed(0, 0, 0, 500, 600, 2));  // slow warm-up request
  records.back().phase = Phase::kWarmup;
  records.push_back(timed(1, 0, 0, 50, 60, 2));
  records.push_back(timed(2, 0, 0, 50, 60, 2));
  records.push_back(timed(3, 0, 0, 900, 990, 2));
  records.back().phase = Phase::kCooldown;
  const RunSummary s = summarize(records, ms(0));
  EXPECT_EQ(s.requests, 2u);
  EXPECT_EQ(s.warmup_requests, 1u);
  EXPECT_EQ(s.cooldown_requests, 1u);
  EXPECT_NEAR(s.ttft.max, 0.050, 1e-9);
  // The time series shows every request, warm-up included.
  std::uint64_t started = 0;
  for (const TimeWindow& w : s.time_series) started += w.requests_started;
  EXPECT_EQ(started, 4u);
}

TEST(Aggregator, TimeSeriesPlacesEventsInTheirWindows) {
  std::vector<RequestRecord> records;
  records.push_back(timed(0, 0, 500, 900, 1500, 7));  // tokens at 0.9,1.0,…,1.5 s
  records.push_back(timed(1, 0, 2100, 2200, 2300, 2));
  records.back().error = RequestError{ErrorCategory::kEngineError, "boom"};
  AggregatorOptions options;
  Aggregator aggregator(ms(0), options);
  for (const RequestRecord& r : records) aggregator.add(r, derive(r));
  const RunSummary s = aggregator.finish();
  ASSERT_EQ(s.time_series.size(), 3u);
  EXPECT_EQ(s.time_series[0].requests_started, 1u);
  EXPECT_EQ(s.time_series[0].output_tokens, 1);  // 0.9 s
  EXPECT_EQ(s.time_series[1].output_tokens, 6);  // 1.0 s (a window is [start, start + 1 s))
  EXPECT_EQ(s.time_series[1].itl.count(), 6u);
  EXPECT_EQ(s.time_series[1].requests_completed, 1u);
  EXPECT_EQ(s.time_series[2].requests_failed, 1u);
  EXPECT_EQ(s.time_series[2].requests_started, 1u);
  EXPECT_NEAR(s.time_series[0].busy, 0.5, 1e-9);  // 0.5–1.0 s
  EXPECT_NEAR(s.time_series[1].busy, 0.5, 1e-9);  // 1.0–1.5 s
  EXPECT_NEAR(s.time_series[2].busy, 0.2, 1e-9);  // 2.1–2.3 s
  EXPECT_EQ(s.time_series[0].ttft.count(), 1u);
  EXPECT_NEAR(s.time_series[0].ttft.quantile(0.5), 0.4, 0.4 * 0.01);
}

TEST(Aggregator, GoodputCountsRequestsMeetingEveryObjective) {
  std::vector<RequestRecord> records;
  records.push_back(timed(0, 0, 0, 100, 200, 11));  // ttft 100 ms, tpot 10 ms: good
  records.push_back(timed(1, 0, 0, 300, 400, 11));  // ttft 300 ms: bad
  records.push_back(timed(2, 0, 0, 100, 600, 11));  // tpot 50 ms: bad
  records.push_back(timed(3, 0, 0, 150, 250, 11));  // good
  AggregatorOptions options;
  options.slos = *parse_slos("ttft:p50<=200ms,tpot:p90<=20ms");
  Aggregator aggregator(ms(0), options);
  for (const RequestRecord& r : records) aggregator.add(r, derive(r));
  const RunSummary s = aggregator.finish();
  EXPECT_EQ(s.good_requests, 2u);
  ASSERT_TRUE(s.goodput);
  EXPECT_NEAR(*s.goodput, 2 / 0.6, 1e-9);
  ASSERT_EQ(s.slos.size(), 2u);
  EXPECT_TRUE(s.slos[0].met);  // p50 TTFT 125 ms
  EXPECT_NEAR(s.slos[0].actual, 0.125, 1e-9);
  EXPECT_FALSE(s.slos[1].met);  // p90 TPOT ≈ 38 ms
}

}  // namespace
}  // namespace llmbench::metrics

namespace llmbench::metrics {
namespace {

TEST(Sweep, RatesAreEvenlySpacedUpToTheThroughputRate) {
  const std::vector<double> rates = sweep_rates(4, 40, 4);
  ASSERT_EQ(rates.size(), 4u);
  EXPECT_DOUBLE_EQ(rates[0], 13);
  EXPECT_DOUBLE_EQ(rates[3], 40);
  EXPECT_TRUE(sweep_rates(4, 0, 4).empty());
}

RunSummary level(double completion_rate, double ttft_p50) {
  RunSummary s;
  s.completion_rate = completion_rate;
  s.ttft.count = 10;
  s.ttft.p50 = ttft_p50;
  return s;
}

TEST(Sweep, MaxSustainableRateAndKnee) {
  // Offered 10/20/30/40 req/s against an engine that completes at most 31.
  const std::vector<RunSummary> summaries = {level(5, 0.05),    level(31, 2.0),  level(10, 0.05),
                                             level(19.8, 0.06), level(29, 0.09), level(31, 1.5)};
  const std::vector<std::optional<double>> offered = {std::nullopt, std::nullopt, 10, 20, 30, 40};
  std::vector<LevelOutcome> levels;
  for (std::size_t i = 0; i < summaries.size(); ++i) levels.push_back({offered[i], &summaries[i]});
  const SweepAnalysis a = analyze_sweep(levels);
  ASSERT_TRUE(a.max_sustainable_rate);
  EXPECT_DOUBLE_EQ(*a.max_sustainable_rate, 30);  // 29 ≥ 95 % of 30; 31 < 95 % of 40
  EXPECT_EQ(a.max_sustainable_level, 4u);
  EXPECT_EQ(a.knee_level, 4u);  // throughput still rising, latency not yet
  // A missed SLO disqualifies a level.
  RunSummary missed = summaries[4];
  missed.slos.push_back(SloResult{Slo{"ttft", "p99", 0.99, 0.05}, 0.09, false});
  levels[4].summary = &missed;
  EXPECT_DOUBLE_EQ(*analyze_sweep(levels).max_sustainable_rate, 20);
}

TEST(ClientHealth, BusyWorkerOrLateScheduleMarksTheRunClientBound) {
  Stats lag;
  lag.count = 100;
  lag.p99 = 0.0005;
  EXPECT_FALSE(assess_client({0.3, 0.5}, 0.8, lag, true).client_bound);
  const ClientHealth busy = assess_client({0.3, 0.85}, 1.2, lag, false);
  EXPECT_TRUE(busy.client_bound);
  EXPECT_NE(busy.reason.find("85%"), std::string::npos);
  lag.p99 = 0.025;
  EXPECT_TRUE(assess_client({0.2}, 0.2, lag, true).client_bound);
  EXPECT_FALSE(assess_client({0.2}, 0.2, lag, false).client_bound);  // closed loop: no schedule
}

}  // namespace
}  // namespace llmbench::metrics
