#include <gtest/gtest.h>

#include <cmath>

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
  ASSERT_TRUE(s.slos[0].actual);
  EXPECT_NEAR(*s.slos[0].actual, 0.125, 1e-9);
  EXPECT_FALSE(s.slos[1].met);  // p90 TPOT ≈ 38 ms
}

// Issue 9 A1: a non-streamed request is one arrival at the end of the body; it shows no
// decode, so TPOT, ITL and the client decode/prefill times are absent, not 0.
TEST(Derive, NonStreamedRequestHasNoTpotItlOrClientDecode) {
  RequestRecord r = timed(0, 0, 0, 130, 130, 1);
  r.stream = false;
  r.events[0].tokens = 21;
  r.native.time_per_output_token = 0.005;  // TGI x-time-per-token
  r.native.eval_duration = 0.100;
  r.native.prompt_eval_duration = 0.030;
  r.native.total_duration = 0.129;
  const RequestMetrics m = derive(r);
  ASSERT_TRUE(m.ttft && m.e2e);
  EXPECT_DOUBLE_EQ(*m.ttft, *m.e2e);  // the user saw the first token with the whole body
  EXPECT_FALSE(m.tpot);
  EXPECT_TRUE(m.itl.empty());
  for (const NativeComparison& c : m.native) {
    if (c.name == "total_duration") {
      EXPECT_TRUE(c.client) << "E2E is measured";
    } else {
      EXPECT_FALSE(c.client) << c.name;
      EXPECT_FALSE(c.delta) << c.name;
    }
  }
  // Streamed, the same timestamps give a TPOT: the guard is the request's mode.
  r.stream = true;
  EXPECT_TRUE(derive(r).tpot);

  std::vector<RequestRecord> records(3, r);
  for (RequestRecord& x : records) x.stream = false;
  const RunSummary s = summarize(records, ms(0));
  EXPECT_EQ(s.tpot.count, 0u);
  EXPECT_EQ(s.itl.count, 0u);
  EXPECT_EQ(s.e2e.count, 3u);
  EXPECT_EQ(s.native.at("time_per_output_token").client.count, 0u);
  EXPECT_EQ(s.native.at("time_per_output_token").native.count, 3u);
}

// Issue 9 A3: failed requests violate every latency objective; they are not left out.
TEST(Aggregator, FailedRequestsViolateEveryObjective) {
  AggregatorOptions options;
  options.slos = *parse_slos("ttft:p99<=10s,e2e:p50<=10s,itl:p99<=10s,tpot:p99<=10s");
  Aggregator aggregator(ms(0), options);
  for (std::uint64_t i = 0; i < 10; ++i) {
    RequestRecord r = timed(i, 0, 0, 50, 100, 11);
    r.max_tokens = 11;
    if (i % 10 < 4) r.error = RequestError{ErrorCategory::kHttp5xx, "HTTP 500"};
    aggregator.add(r, derive(r));
  }
  const RunSummary s = aggregator.finish();
  ASSERT_EQ(s.slos.size(), 4u);
  // p99 of 10 values with 4 infinite: falls on a failure, unbounded.
  EXPECT_FALSE(s.slos[0].met);
  EXPECT_FALSE(s.slos[0].actual);
  EXPECT_EQ(s.slos[0].failures, 4u);
  EXPECT_EQ(s.slos[0].samples, 10u);
  // p50 of 6 × 100 ms and 4 × ∞: ranks 4 and 5 are both finite, so it is met.
  EXPECT_TRUE(s.slos[1].met);
  ASSERT_TRUE(s.slos[1].actual);
  EXPECT_NEAR(*s.slos[1].actual, 0.100, 1e-9);
  // ITL: each failed request stands for the 10 gaps it did not deliver.
  EXPECT_EQ(s.slos[2].failures, 40u);
  EXPECT_EQ(s.slos[2].samples, 100u);
  EXPECT_FALSE(s.slos[2].met);
  EXPECT_FALSE(s.slos[3].met);
  EXPECT_EQ(s.good_requests, 6u);  // failed requests are never good
  // The sweep inherits the verdict: a level with these SLOs is not sustained.
  RunSummary sustained = s;
  sustained.completion_rate = 100;
  EXPECT_FALSE(sustains(LevelOutcome{10.0, &sustained}));
}

TEST(Aggregator, PercentileBelowTheFailuresIsTheSurvivorsValue) {
  AggregatorOptions options;
  options.slos = *parse_slos("ttft:p90<=60ms");
  Aggregator aggregator(ms(0), options);
  // 99 successes, TTFT 1..99 ms, and one failure: p90 over 100 values is rank 89.1, between
  // the 90th and 91st smallest values (90 ms, 91 ms).
  for (int i = 1; i <= 99; ++i) {
    RequestRecord r = timed(static_cast<std::uint64_t>(i), 0, 0, i, i + 10, 2);
    aggregator.add(r, derive(r));
  }
  RequestRecord failed = timed(100, 0, 0, 1, 11, 2);
  failed.error = RequestError{ErrorCategory::kTimeoutTotal, "timeout"};
  aggregator.add(failed, derive(failed));
  const RunSummary s = aggregator.finish();
  ASSERT_TRUE(s.slos[0].actual);
  EXPECT_NEAR(*s.slos[0].actual, 0.0901, 1e-9);
  EXPECT_FALSE(s.slos[0].met);
}

// Issue 9 A9: Ctrl-C is no verdict on the engine.
TEST(Aggregator, CancelledRequestsAreApartFromFailures) {
  AggregatorOptions options;
  options.slos = *parse_slos("ttft:p99<=1s");
  Aggregator aggregator(ms(0), options);
  for (std::uint64_t i = 0; i < 6; ++i) {
    RequestRecord r = timed(i, 0, 0, 50, 100, 3);
    if (i >= 4) r.error = RequestError{ErrorCategory::kCancelled, "cancelled"};
    aggregator.add(r, derive(r));
  }
  const RunSummary s = aggregator.finish();
  EXPECT_EQ(s.requests, 6u);
  EXPECT_EQ(s.succeeded, 4u);
  EXPECT_EQ(s.failed, 0u);
  EXPECT_EQ(s.cancelled, 2u);
  EXPECT_DOUBLE_EQ(s.success_rate, 1.0);
  EXPECT_TRUE(s.errors.empty());
  EXPECT_EQ(s.slos[0].samples, 4u);
  EXPECT_TRUE(s.slos[0].met);
}

// Issue 9 A8: distribution-free confidence intervals from the binomial law of the ranks.
TEST(PercentileCi, RanksMatchTheBinomialTables) {
  // n = 100, median: the classic 95 % interval is X(40)..X(61), 1-based.
  RankInterval median = percentile_ci_ranks(100, 0.5);
  ASSERT_TRUE(median.low && median.high);
  EXPECT_EQ(*median.low, 39u);
  EXPECT_EQ(*median.high, 60u);
  // p99.9 of 64 samples: not even the largest is above it with 95 % confidence.
  const RankInterval tail = percentile_ci_ranks(64, 0.999);
  EXPECT_FALSE(tail.high);
  ASSERT_TRUE(tail.low);
  EXPECT_EQ(*tail.low, 62u);
  EXPECT_FALSE(percentile_ci_ranks(0, 0.5).low);
  EXPECT_FALSE(percentile_ci_ranks(3, 0.5).low);  // P(B = 0) = 1/8 > 2.5 %
}

TEST(PercentileCi, EveryIntervalCoversWithAtLeastItsLevel) {
  for (std::uint64_t n = 1; n <= 300; n += 7) {
    for (const double q : kReportedQuantiles) {
      // Binomial pmf by the textbook recurrence, independently of the implementation,
      // started from the likelier end so that nothing underflows (0.5^300 is 5e-91).
      std::vector<double> pmf(n + 1);
      const auto nd = static_cast<double>(n);
      if (q < 0.5) {
        pmf[0] = std::pow(1 - q, nd);
        for (std::uint64_t k = 0; k < n; ++k) {
          pmf[k + 1] =
              pmf[k] * (nd - static_cast<double>(k)) / static_cast<double>(k + 1) * q / (1 - q);
        }
      } else {
        pmf[n] = std::pow(q, nd);
        for (std::uint64_t k = n; k > 0; --k) {
          pmf[k - 1] =
              pmf[k] * static_cast<double>(k) / (nd - static_cast<double>(k) + 1) * (1 - q) / q;
        }
      }
      auto cdf = [&pmf](std::uint64_t k) {
        double sum = 0;
        for (std::uint64_t i = 0; i <= k; ++i) sum += pmf[i];
        return sum;
      };
      const RankInterval r = percentile_ci_ranks(n, q);
      const double below = r.low ? cdf(*r.low) : 0;
      const double above = r.high ? 1 - cdf(*r.high) : 0;
      EXPECT_LE(below, 0.025 + 1e-9) << n << " " << q;
      EXPECT_LE(above, 0.025 + 1e-9) << n << " " << q;
      // And the interval is the tightest such: one rank further in would break a tail.
      if (r.low) {
        EXPECT_GT(cdf(*r.low + 1), 0.025 - 1e-9) << n << " " << q;
      } else {
        EXPECT_GT(pmf[0], 0.025 - 1e-9) << n << " " << q;
      }
      if (!r.high) {
        EXPECT_LT(cdf(n - 1), 0.975 + 1e-9) << n << " " << q;
      } else if (*r.high > 0) {
        EXPECT_LT(cdf(*r.high - 1), 0.975 + 1e-9) << n << " " << q;
      }
    }
  }
}

TEST(PercentileCi, StatsCarryTheIntervalAndTheSparseTail) {
  std::vector<double> values;
  for (int i = 1; i <= 100; ++i) values.push_back(i);
  const Stats s = compute_stats(values);
  ASSERT_TRUE(s.ci[0].low && s.ci[0].high);
  EXPECT_DOUBLE_EQ(*s.ci[0].low, 40);
  EXPECT_DOUBLE_EQ(*s.ci[0].high, 61);
  EXPECT_LE(*s.ci[0].low, s.p50);
  EXPECT_GE(*s.ci[0].high, s.p50);
  EXPECT_EQ(s.ci[0].beyond, 50u);
  EXPECT_FALSE(s.ci[0].sparse());
  EXPECT_EQ(s.ci[2].beyond, 5u);  // p95 of 100: 5 samples above
  EXPECT_TRUE(s.ci[2].sparse());
  EXPECT_FALSE(s.ci[4].high);  // p99.9 of 100 has no upper bound
  EXPECT_EQ(samples_beyond(1000, 0.99), 10u);
  EXPECT_EQ(samples_beyond(900, 0.99), 9u);
  // From the histogram (more samples than kept), the same ranks within its precision.
  Distribution big(100);
  std::vector<double> all;
  for (int i = 1; i <= 20000; ++i) {
    big.add(i * 1e-4);
    all.push_back(i * 1e-4);
  }
  const Stats approx = big.stats();
  const Stats exact = compute_stats(all);
  ASSERT_FALSE(approx.exact);
  for (std::size_t i = 0; i < kReportedQuantiles.size(); ++i) {
    ASSERT_EQ(approx.ci[i].low.has_value(), exact.ci[i].low.has_value()) << i;
    ASSERT_EQ(approx.ci[i].high.has_value(), exact.ci[i].high.has_value()) << i;
    if (exact.ci[i].low) {
      EXPECT_NEAR(*approx.ci[i].low, *exact.ci[i].low, *exact.ci[i].low * 1e-3);
    }
    if (exact.ci[i].high) {
      EXPECT_NEAR(*approx.ci[i].high, *exact.ci[i].high, *exact.ci[i].high * 1e-3);
    }
  }
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
  SloResult late;
  late.slo = Slo{"ttft", "p99", 0.99, 0.05};
  late.actual = 0.09;
  missed.slos.push_back(late);
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
