#include <gtest/gtest.h>

#include "metrics/stats.h"
#include "metrics/summary.h"

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
