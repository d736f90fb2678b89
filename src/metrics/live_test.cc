#include "metrics/live.h"

#include <gtest/gtest.h>

#include <chrono>

namespace llmbench::metrics {
namespace {

TimePoint ms(double v) {
  return TimePoint(
      std::chrono::duration_cast<Duration>(std::chrono::duration<double, std::milli>(v)));
}

// A streamed request sent at `send`, first token at `first`, then one token every 10 ms
// until `end` (ms from the origin at 0).
RequestRecord streamed(double send, double first, double end) {
  RequestRecord r;
  r.sent = true;
  r.t_sched = r.t_send = ms(send);
  r.t_end = ms(end);
  for (double t = first; t <= end; t += 10) r.events.push_back(TokenEvent{ms(t), 1});
  r.completed = true;
  return r;
}

RequestRecord failed(ErrorCategory category, double at) {
  RequestRecord r;
  r.sent = true;
  r.t_sched = r.t_send = ms(at);
  r.t_end = ms(at + 1);
  r.error = RequestError{category, "x"};
  return r;
}

void add(LiveWindows& live, const RequestRecord& r) { live.add(r, derive(r)); }

TEST(LiveWindows, NothingBeforeTheFirstWindowEnds) {
  LiveWindows live(ms(0), 1.0);
  add(live, streamed(0, 100, 200));
  LiveSnapshot s;
  live.fill(s, ms(900));
  EXPECT_FALSE(s.request_rate);
  EXPECT_FALSE(s.output_token_rate);
  EXPECT_FALSE(s.ttft_p50);
  EXPECT_FALSE(s.itl_p99);
}

TEST(LiveWindows, FiguresOfTheLastCompletedWindow) {
  LiveWindows live(ms(0), 1.0);
  add(live, streamed(0, 100, 200));       // 11 tokens, TTFT 100 ms
  add(live, streamed(300, 350, 400));     // 6 tokens, TTFT 50 ms
  add(live, streamed(1100, 1500, 1600));  // the window in progress: not shown yet
  LiveSnapshot s;
  live.fill(s, ms(1700));
  ASSERT_TRUE(s.request_rate);
  EXPECT_DOUBLE_EQ(*s.request_rate, 2.0);
  ASSERT_TRUE(s.output_token_rate);
  EXPECT_DOUBLE_EQ(*s.output_token_rate, 17.0);
  ASSERT_TRUE(s.ttft_p50 && s.ttft_p99);
  EXPECT_NEAR(*s.ttft_p99, 0.100, 0.100 / 32);
  EXPECT_NEAR(*s.itl_p50, 0.010, 0.010 / 32);
  EXPECT_FALSE(s.schedule_lag_p99);  // closed loop

  // One window later the third request's window is the last completed one.
  LiveSnapshot next;
  live.fill(next, ms(2100));
  EXPECT_DOUBLE_EQ(*next.request_rate, 1.0);
  EXPECT_NEAR(*next.ttft_p50, 0.400, 0.400 / 32);
}

TEST(LiveWindows, AQuietWindowIsARateOfZeroButNoLatency) {
  LiveWindows live(ms(0), 0.5);
  add(live, streamed(0, 100, 200));
  LiveSnapshot s;
  live.fill(s, ms(1200));  // window [0.5, 1) had nothing in it
  ASSERT_TRUE(s.request_rate);
  EXPECT_EQ(*s.request_rate, 0.0);
  EXPECT_EQ(*s.output_token_rate, 0.0);
  EXPECT_FALSE(s.ttft_p50);
  EXPECT_FALSE(s.itl_p50);
}

TEST(LiveWindows, ErrorsByCategoryInTaxonomyOrder) {
  LiveWindows live(ms(0), 1.0);
  add(live, failed(ErrorCategory::kHttp5xx, 10));
  add(live, failed(ErrorCategory::kConnect, 20));
  add(live, failed(ErrorCategory::kHttp5xx, 30));
  LiveSnapshot s;
  live.fill(s, ms(100));
  ASSERT_EQ(s.errors.size(), 2U);
  EXPECT_EQ(s.errors[0].first, "connect");
  EXPECT_EQ(s.errors[0].second, 1U);
  EXPECT_EQ(s.errors[1].first, "http_5xx");
  EXPECT_EQ(s.errors[1].second, 2U);
}

TEST(LiveWindows, ScheduleLagInOpenLoopOnly) {
  LiveWindows live(ms(0), 1.0);
  RequestRecord late = streamed(30, 100, 200);
  late.t_sched = ms(10);  // sent 20 ms late
  add(live, late);
  LiveSnapshot closed;
  live.fill(closed, ms(1500));
  EXPECT_FALSE(closed.schedule_lag_p99);
  LiveSnapshot open;
  open.open_loop = true;
  live.fill(open, ms(1500));
  ASSERT_TRUE(open.schedule_lag_p99);
  EXPECT_NEAR(*open.schedule_lag_p99, 0.020, 0.020 / 32);
}

TEST(LiveWindows, OldWindowsAreDroppedAndLateRecordsIgnored) {
  LiveWindows live(ms(0), 1.0);
  add(live, streamed(9000, 9100, 9200));  // window 9
  add(live, streamed(0, 100, 200));       // window 0: too old to be shown again
  LiveSnapshot s;
  live.fill(s, ms(1500));  // asks for window 0, which was dropped: a quiet window
  EXPECT_EQ(*s.request_rate, 0.0);
  LiveSnapshot later;
  live.fill(later, ms(10'500));
  EXPECT_DOUBLE_EQ(*later.request_rate, 1.0);
}

}  // namespace
}  // namespace llmbench::metrics
