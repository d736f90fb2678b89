#include "metrics/time_series.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "metrics/stats.h"
#include "metrics/summary.h"

namespace llmbench::metrics {
namespace {

TimePoint ms(double v) {
  return TimePoint(
      std::chrono::duration_cast<Duration>(std::chrono::duration<double, std::milli>(v)));
}

// A streamed request: `chunks` arrivals spaced evenly from `first` to `end` (ms), each
// carrying `per_chunk` tokens as the adapter recorded them.
RequestRecord streamed(std::uint64_t id, double send, double first, double end, int chunks,
                       std::uint32_t per_chunk) {
  RequestRecord r;
  r.id = id;
  r.sent = true;
  r.t_sched = r.t_send = ms(send);
  r.t_end = ms(end);
  const double gap = chunks > 1 ? (end - first) / (chunks - 1) : 0;
  for (int i = 0; i < chunks; ++i) r.events.push_back(TokenEvent{ms(first + gap * i), per_chunk});
  r.completed = true;
  return r;
}

std::int64_t series_tokens(const RunSummary& s) {
  std::int64_t n = 0;
  for (const TimeWindow& w : s.time_series) n += w.output_tokens;
  return n;
}

TEST(TimeSeriesTokens, AChunkOfThreeTokensCountsThree) {
  // 4 arrivals of 3 tokens each (per-chunk usage), at 0.5, 0.9, 1.3, 1.7 s.
  const RunSummary s = summarize({streamed(0, 0, 500, 1700, 4, 3)}, ms(0));
  ASSERT_EQ(s.time_series.size(), 2u);
  EXPECT_EQ(s.time_series[0].output_tokens, 6);
  EXPECT_EQ(s.time_series[1].output_tokens, 6);
  EXPECT_EQ(s.output_tokens, 12);
}

TEST(TimeSeriesTokens, TheEnginesFinalCountIsSpreadOverTheArrivals) {
  // A stream that did not say how many tokens each chunk held: 4 chunks (counted 1 each)
  // whose final usage said 20. Today's main put 4 tokens in the series against 20 in the
  // summary.
  RequestRecord r = streamed(0, 0, 500, 1700, 4, 1);
  r.usage.output_tokens = 20;
  const RunSummary s = summarize({r}, ms(0));
  ASSERT_EQ(s.time_series.size(), 2u);
  EXPECT_EQ(s.output_tokens, 20);
  EXPECT_EQ(s.time_series[0].output_tokens, 10);  // 2 of the 4 arrivals
  EXPECT_EQ(s.time_series[1].output_tokens, 10);
}

TEST(TimeSeriesTokens, WindowsSumToTheSummaryWhateverTheRecords) {
  std::vector<RequestRecord> records;
  std::mt19937_64 rng(7);
  for (std::uint64_t id = 0; id < 200; ++id) {
    const double send = static_cast<double>(id) * 37.0;
    const int chunks = 1 + static_cast<int>(rng() % 9);
    RequestRecord r =
        streamed(id, send, send + 80, send + 80 + 30.0 * chunks, chunks, 1 + rng() % 4);
    switch (id % 5) {
      case 0:  // an engine count that is not a multiple of the chunks
        r.usage.output_tokens = static_cast<std::int64_t>(7 * chunks + 3);
        break;
      case 1:
        r.phase = Phase::kWarmup;  // not in the summary, so not in the windows' tokens
        break;
      case 2:
        r.error = RequestError{ErrorCategory::kTruncated, "cut"};
        break;
      case 3:
        r.usage.output_tokens = 1;  // fewer than the arrivals
        break;
      default:
        break;
    }
    records.push_back(std::move(r));
  }
  const RunSummary s = summarize(records, ms(0));
  EXPECT_GT(s.output_tokens, 0);
  EXPECT_EQ(series_tokens(s), s.output_tokens);
}

TEST(TimeSeries, AFinishedSummaryKeepsItsWindowsWhenTheAggregatorGoesOn) {
  Aggregator aggregator(ms(0), AggregatorOptions{});
  const RequestRecord first = streamed(0, 0, 100, 400, 4, 1);
  aggregator.add(first, derive(first));
  const RunSummary before = aggregator.finish();
  const RequestRecord second = streamed(1, 0, 200, 2500, 4, 1);
  aggregator.add(second, derive(second));
  const RunSummary after = aggregator.finish();
  ASSERT_EQ(before.time_series.size(), 1u);
  EXPECT_EQ(before.time_series[0].output_tokens, 4);
  EXPECT_EQ(after.time_series.size(), 3u);
  EXPECT_EQ(after.time_series[0].output_tokens, 6);  // 4 + arrivals at 0.2 s and 0.97 s
  // A copy of a summary shares the windows rather than copying them.
  const RunSummary copy = after;
  EXPECT_EQ(&copy.time_series[0], &after.time_series[0]);
}

TEST(TimeSeries, AnAggregatorCanSkipIt) {
  AggregatorOptions options;
  options.time_series = false;
  Aggregator aggregator(ms(0), options);
  const RequestRecord r = streamed(0, 0, 100, 2400, 4, 1);
  aggregator.add(r, derive(r));
  const RunSummary s = aggregator.finish();
  EXPECT_TRUE(s.time_series.empty());
  EXPECT_EQ(s.output_tokens, 4);
}

// Issue 10 (class 4): the windows a series keeps are bounded whatever the window width
// (--window 1ns grew by 0.4 GB/s): later ones are a scratch window outside the series.
TEST(TimeSeries, ACutSeriesIsReportedAndAWholeOneIsNot) {
  TimeSeries series(0.5, 4);
  (void)series.at(3);
  EXPECT_FALSE(series_cut_warning(series));
  (void)series.at(4);
  const auto warning = series_cut_warning(series);
  ASSERT_TRUE(warning);
  EXPECT_NE(warning->find("4 windows of 0.5 s"), std::string::npos) << *warning;
  EXPECT_NE(warning->find("after 2 s"), std::string::npos) << *warning;
}

TEST(TimeSeries, KeepsAtMostItsMaximumOfWindows) {
  TimeSeries series(1e-9, 1000);
  series.at(10).requests_started = 1;
  TimeWindow& far = series.at(1'000'000'000);
  far.requests_started = 7;
  EXPECT_EQ(series.size(), 11u);
  EXPECT_EQ(series.beyond(), 1u);
  (void)series.at(999);
  EXPECT_EQ(series.size(), 1000u);
  (void)series.at(1000);
  EXPECT_EQ(series.size(), 1000u);
  EXPECT_EQ(series.beyond(), 2u);
  std::uint64_t started = 0;
  for (const TimeWindow& w : series) started += w.requests_started;
  EXPECT_EQ(started, 1u);
  EXPECT_EQ(TimeSeries(1).max_windows(), TimeSeries::kMaxWindows);
}

TEST(WindowHistogram, QuantilesWithinTheStatedRelativeError) {
  std::mt19937_64 rng(3);
  std::lognormal_distribution<double> itl(std::log(0.02), 0.6);
  for (int round = 0; round < 20; ++round) {
    WindowHistogram h;
    std::vector<double> values;
    const int n = 1 + static_cast<int>(rng() % 3000);
    for (int i = 0; i < n; ++i) {
      const double v = itl(rng);
      values.push_back(v);
      h.add(v);
    }
    std::sort(values.begin(), values.end());
    ASSERT_EQ(h.count(), values.size());
    for (const double q : {0.0, 0.5, 0.9, 0.99, 1.0}) {
      const double exact = percentile_sorted(values, q);
      EXPECT_NEAR(h.quantile(q), exact, exact * WindowHistogram::relative_precision() * 1.001)
          << "q " << q << " n " << n;
    }
  }
}

TEST(WindowHistogram, SmallNegativeAndNonFiniteValues) {
  WindowHistogram h;
  EXPECT_EQ(h.quantile(0.5), 0);
  h.add(std::nan(""));
  h.add(INFINITY);
  EXPECT_EQ(h.count(), 0u);
  h.add(-1);  // counts as 0 (a clock step): never below zero
  h.add(30e-9);
  EXPECT_EQ(h.count(), 2u);
  EXPECT_DOUBLE_EQ(h.quantile(0), 0);
  EXPECT_NEAR(h.quantile(1), 30e-9, 1e-12);  // the largest: exact
}

TEST(WindowHistogram, ABucketFullerThanItsCounterContinues) {
  WindowHistogram h;
  for (int i = 0; i < 70000; ++i) h.add(0.010);
  h.add(0.020);
  h.add(0.005);
  EXPECT_EQ(h.count(), 70002u);
  EXPECT_NEAR(h.quantile(0.5), 0.010, 0.010 * WindowHistogram::relative_precision());
  EXPECT_NEAR(h.quantile(1), 0.020, 1e-12);
  EXPECT_NEAR(h.quantile(0), 0.005, 1e-12);
  EXPECT_EQ(h.buckets(), 4u);  // 0.010 s took two entries of one bucket
}

// The memory bound: a window's state does not grow with the samples it holds. 5,000 gaps a
// second (50 requests/s × 100 tokens) from a wide distribution stay within a few hundred
// bytes; even a million samples over five decades stay under 4 KiB.
TEST(WindowHistogram, BytesDoNotGrowWithSamples) {
  std::mt19937_64 rng(11);
  std::lognormal_distribution<double> itl(std::log(0.02), 0.3);
  WindowHistogram h;
  for (int i = 0; i < 5000; ++i) h.add(itl(rng));
  const std::size_t after_5k = h.heap_bytes();
  EXPECT_LE(after_5k, 640u);
  for (int i = 0; i < 200000; ++i) h.add(itl(rng));
  EXPECT_LE(h.heap_bytes(), after_5k + 200);
  std::uniform_real_distribution<double> decades(-6, -1);
  WindowHistogram wide;
  for (int i = 0; i < 1000000; ++i) wide.add(std::pow(10.0, decades(rng)));
  EXPECT_LE(wide.heap_bytes(), 4096u + 1024u);
  EXPECT_LE(sizeof(TimeWindow), 128u);
}

}  // namespace
}  // namespace llmbench::metrics
