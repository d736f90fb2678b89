// The runner against an in-process simulator on a real loopback socket: closed-loop
// concurrency, open-loop pacing from the schedule, retries and their back-off (Retry-After
// included), warm-up/cool-down tagging and cancellation. Assertions are on what the input
// determines (counts, ids, phases, t_sched against the schedule, orderings, lower bounds set
// by the back-off); the few upper time bounds are wide and say so, so the tests hold on a
// busy 2-core machine under the sanitizers.

#include "runner/runner.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <fstream>
#include <functional>
#include <future>
#include <thread>

#include "engines/openai.h"
#include "sim/sim_server.h"

namespace llmbench::runner {
namespace {

using std::chrono::milliseconds;

constexpr const char* kModel = "llmbench-sim";

// A simulator on its own thread for the object's lifetime.
class Sim {
 public:
  explicit Sim(sim::SimOptions options) : server_(io_, std::move(options)) {
    auto port = server_.start();
    if (!port) throw std::runtime_error("simulator did not start");
    url_ = *net::parse_url("http://127.0.0.1:" + std::to_string(*port));
    thread_ = std::thread([this] { io_.run(); });
  }
  ~Sim() {
    server_.stop();
    io_.stop();
    thread_.join();
  }
  [[nodiscard]] const net::Url& url() const { return url_; }
  // Read on the simulator's thread: its coroutines update the counters there (after the
  // client has its response), so a read from the test's thread raced them (found by TSan).
  [[nodiscard]] sim::SimCounters counters() const {
    std::promise<sim::SimCounters> read;
    boost::asio::post(io_, [this, &read] { read.set_value(server_.counters()); });
    return read.get_future().get();
  }

 private:
  mutable boost::asio::io_context io_{1};  // mutable: counters() posts to it
  sim::SimServer server_;
  net::Url url_;
  std::thread thread_;
};

sim::SimOptions sim_options(milliseconds ttft, milliseconds itl = milliseconds(1)) {
  sim::SimOptions o;
  o.ttft = ttft;
  o.itl = itl;
  o.model = kModel;
  return o;
}

// Request i is a 3-token completion with id i.
class FixedWorkload final : public workload::Workload {
 public:
  [[nodiscard]] RequestSpec make(std::uint64_t index) const override {
    RequestSpec s;
    s.id = index;
    s.model = kModel;
    s.prompt = "one two three";
    s.max_tokens = 3;
    return s;
  }
};

// Keeps records and the origin the runner announced.
class Sink final : public RecordSink {
 public:
  void begin(TimePoint origin) override { origin_ = origin; }
  void consume(RequestRecord&& record) override { memory_.consume(std::move(record)); }
  std::vector<RequestRecord> take() { return memory_.take(); }
  [[nodiscard]] TimePoint origin() const { return origin_; }

 private:
  TimePoint origin_{};
  MemorySink memory_;
};

struct Outcome {
  RunTimes times;
  std::vector<RequestRecord> records;
  TimePoint origin;
};

Outcome run(RunOptions options, const std::function<void(Runner&)>& during = nullptr,
            const Clock* test_clock = nullptr) {
  const engines::OpenAiEngine engine(engines::OpenAiOptions{});
  const FixedWorkload workload;
  Sink sink;
  const SteadyClockSource steady;
  Runner runner(std::move(options), engine, workload, sink, test_clock ? *test_clock : steady);
  std::thread helper;
  if (during) helper = std::thread([&] { during(runner); });
  auto times = runner.run();
  if (helper.joinable()) helper.join();
  if (!times) throw std::runtime_error("run did not start");
  return {*times, sink.take(), sink.origin()};
}

// The most requests in flight at once, from their [t_send, t_end] intervals.
int max_in_flight(const std::vector<RequestRecord>& records) {
  std::vector<std::pair<TimePoint, int>> edges;
  for (const RequestRecord& r : records) {
    edges.emplace_back(r.t_send, +1);
    edges.emplace_back(r.t_end, -1);
  }
  std::sort(edges.begin(), edges.end());  // an end sorts before a start at the same instant
  int now = 0, most = 0;
  for (const auto& [at, step] : edges) most = std::max(most, now += step);
  return most;
}

void expect_ids(const std::vector<RequestRecord>& records, std::size_t n) {
  ASSERT_EQ(records.size(), n);
  for (std::size_t i = 0; i < n; ++i) EXPECT_EQ(records[i].id, i);
}

TEST(Runner, ClosedLoopKeepsConcurrencyUsersOnOneConnectionEach) {
  const Sim sim(sim_options(milliseconds(20), milliseconds(2)));
  RunOptions o;
  o.url = sim.url();
  o.concurrency = 3;
  o.threads = 2;
  o.requests = 12;
  const Outcome out = run(o);
  expect_ids(out.records, 12);
  for (const RequestRecord& r : out.records) {
    EXPECT_TRUE(r.ok()) << r.error->message;
    EXPECT_EQ(r.phase, Phase::kMeasure);
    EXPECT_EQ(r.retries, 0u);
    EXPECT_EQ(r.client_output_tokens(), 3);
    // Closed loop: due the moment its user is free, so sent at once.
    EXPECT_LE(r.t_sched, r.t_send);
  }
  EXPECT_LE(max_in_flight(out.records), 3);
  EXPECT_EQ(out.times.requests_started, 12u);
  EXPECT_EQ(out.times.connections_opened, 3u);
  EXPECT_EQ(out.times.stop_reason, StopReason::kCompleted);
  EXPECT_FALSE(out.times.cancelled);
  EXPECT_EQ(sim.counters().requests, 12u);
}

TEST(Runner, OpenLoopSendsInScheduleOrderAndMeasuresFromTheSchedule) {
  const Sim sim(sim_options(milliseconds(5)));
  RunOptions o;
  o.url = sim.url();
  for (int i = 0; i < 8; ++i) o.schedule.push_back(milliseconds(40 * i));
  const Outcome out = run(o);
  expect_ids(out.records, 8);
  EXPECT_EQ(out.times.started, out.origin);
  std::vector<double> lags;
  for (std::size_t i = 0; i < out.records.size(); ++i) {
    const RequestRecord& r = out.records[i];
    EXPECT_TRUE(r.ok());
    // t_sched is the schedule's instant exactly, not when the client got round to it.
    EXPECT_EQ(r.t_sched, out.origin + o.schedule[i]);
    EXPECT_GE(r.t_send, r.t_sched);
    if (i > 0) {
      EXPECT_GT(r.t_send, out.records[i - 1].t_send) << "sent out of schedule order";
    }
    lags.push_back(to_seconds(r.t_send - r.t_sched));
  }
  std::nth_element(lags.begin(), lags.begin() + 4, lags.end());
  // Median schedule lag: well under the 40 ms spacing (tolerance 20 ms for a busy machine).
  EXPECT_LT(lags[4], 0.020);
  EXPECT_EQ(out.times.requests_started, 8u);
}

// A clock whose instants are the steady clock's shifted by `offset`.
class OffsetClock final : public Clock {
 public:
  explicit OffsetClock(Duration offset) : offset_(offset) {}
  [[nodiscard]] TimePoint now() const override { return SteadyClock::now() + offset_; }

 private:
  Duration offset_;
};

TEST(Runner, OpenLoopPacesByTheClockItWasGiven) {
  // An hour behind the steady clock: every due instant is in the steady clock's past, so a
  // runner that waited for steady-clock instants would send the whole schedule at once.
  const OffsetClock clock(-std::chrono::hours(1));
  const Sim sim(sim_options(milliseconds(2)));
  RunOptions o;
  o.url = sim.url();
  for (int i = 0; i < 6; ++i) o.schedule.push_back(milliseconds(40 * i));
  const Outcome out = run(o, nullptr, &clock);
  expect_ids(out.records, 6);
  for (std::size_t i = 0; i < out.records.size(); ++i) {
    const RequestRecord& r = out.records[i];
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r.t_sched, out.origin + o.schedule[i]);
    EXPECT_GE(r.t_send, r.t_sched) << "request " << i << " sent before it was due";
    // Timestamps are the given clock's too (wide bound: within 1 s of the schedule).
    EXPECT_LT(r.t_send - r.t_sched, std::chrono::seconds(1));
  }
}

TEST(Runner, RetryWaitsAtLeastTheEnginesRetryAfter) {
  sim::SimOptions s = sim_options(milliseconds(1));
  s.fault = sim::Fault::kRateLimit;  // every request: 429 with Retry-After: 1
  const Sim sim(s);
  RunOptions o;
  o.url = sim.url();
  o.requests = 1;
  o.retry.max_retries = 2;
  o.retry.base = milliseconds(1);
  const Outcome out = run(o);
  expect_ids(out.records, 1);
  const RequestRecord& r = out.records[0];
  EXPECT_EQ(r.retries, 2u);
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->category, ErrorCategory::kHttp429);
  EXPECT_EQ(r.retry_after, 1.0);
  // Two waits of at least Retry-After (1 s each) although the back-off alone is ~1 ms.
  EXPECT_GE(r.t_end - r.t_sched, std::chrono::seconds(2));
  EXPECT_EQ(sim.counters().requests, 3u);
}

TEST(Runner, RetryAfterIsCappedByMaxWait) {
  sim::SimOptions s = sim_options(milliseconds(1));
  s.fault = sim::Fault::kRateLimit;
  const Sim sim(s);
  RunOptions o;
  o.url = sim.url();
  o.requests = 1;
  o.retry.max_retries = 2;
  o.retry.base = milliseconds(1);
  o.retry.max_wait = milliseconds(100);
  const Outcome out = run(o);
  expect_ids(out.records, 1);
  const RequestRecord& r = out.records[0];
  EXPECT_EQ(r.retries, 2u);
  EXPECT_GE(r.t_end - r.t_sched, milliseconds(200));
  // Well below the 2 s an uncapped Retry-After would take (wide for a busy machine).
  EXPECT_LT(r.t_end - r.t_sched, milliseconds(1500));
}

TEST(Runner, BackOffDoublesWithoutRetryAfter) {
  sim::SimOptions s = sim_options(milliseconds(1));
  s.fault = sim::Fault::kUnavailable;  // 503 without Retry-After
  const Sim sim(s);
  RunOptions o;
  o.url = sim.url();
  o.requests = 1;
  o.retry.max_retries = 2;
  o.retry.base = milliseconds(50);
  const Outcome out = run(o);
  expect_ids(out.records, 1);
  const RequestRecord& r = out.records[0];
  EXPECT_EQ(r.retries, 2u);
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->category, ErrorCategory::kHttp5xx);
  EXPECT_EQ(r.http_status, 503);
  // Equal jitter: retry 0 waits 25–50 ms, retry 1 waits 50–100 ms.
  EXPECT_GE(r.t_end - r.t_sched, milliseconds(75));
  EXPECT_EQ(sim.counters().requests, 3u);
}

TEST(Runner, Http500IsNotRetried) {
  sim::SimOptions s = sim_options(milliseconds(1));
  s.fail_rate = 1;
  const Sim sim(s);
  RunOptions o;
  o.url = sim.url();
  o.requests = 2;
  o.retry.max_retries = 3;
  const Outcome out = run(o);
  expect_ids(out.records, 2);
  for (const RequestRecord& r : out.records) {
    EXPECT_EQ(r.retries, 0u);
    EXPECT_EQ(r.http_status, 500);
  }
  EXPECT_EQ(sim.counters().requests, 2u);
}

std::vector<Phase> phases(const std::vector<RequestRecord>& records) {
  std::vector<Phase> out;
  for (const RequestRecord& r : records) out.push_back(r.phase);
  return out;
}

constexpr Phase W = Phase::kWarmup, M = Phase::kMeasure, C = Phase::kCooldown;

TEST(Runner, WarmupAndCooldownByRequestCount) {
  const Sim sim(sim_options(milliseconds(1)));
  RunOptions o;
  o.url = sim.url();
  o.concurrency = 2;
  o.requests = 10;
  o.warmup.requests = 2;
  o.cooldown.requests = 3;
  const Outcome out = run(o);
  expect_ids(out.records, 10);
  EXPECT_EQ(phases(out.records), (std::vector<Phase>{W, W, M, M, M, M, M, C, C, C}));
}

TEST(Runner, WarmupAndCooldownByTimeFollowTheSchedule) {
  const Sim sim(sim_options(milliseconds(1)));
  RunOptions o;
  o.url = sim.url();
  for (int i = 0; i < 10; ++i) o.schedule.push_back(milliseconds(20 * i));  // 0 … 180 ms
  o.warmup.time = milliseconds(50);    // due before 50 ms: 0, 20, 40
  o.cooldown.time = milliseconds(50);  // due at or after 180 − 50 = 130 ms: 140, 160, 180
  const Outcome out = run(o);
  expect_ids(out.records, 10);
  EXPECT_EQ(phases(out.records), (std::vector<Phase>{W, W, W, M, M, M, M, C, C, C}));
}

// Cancels once the simulator holds `in_flight` requests (or after 20 s).
std::function<void(Runner&)> cancel_when(const Sim& sim, std::uint64_t in_flight) {
  return [&sim, in_flight](Runner& runner) {
    const auto until = SteadyClock::now() + std::chrono::seconds(20);
    while (sim.counters().requests < in_flight && SteadyClock::now() < until) {
      std::this_thread::sleep_for(milliseconds(5));
    }
    runner.cancel();
  };
}

void expect_all_cancelled(const Outcome& out, std::size_t n) {
  EXPECT_TRUE(out.times.cancelled);
  EXPECT_EQ(out.times.stop_reason, StopReason::kInterrupted);
  // None lost: every request that was started has its record.
  EXPECT_EQ(out.times.requests_started, n);
  ASSERT_EQ(out.records.size(), n);
  for (const RequestRecord& r : out.records) {
    ASSERT_TRUE(r.error.has_value()) << "request " << r.id;
    EXPECT_EQ(r.error->category, ErrorCategory::kCancelled);
    EXPECT_FALSE(r.has_first_token());
  }
}

TEST(Runner, CancelClosedLoopRecordsEveryInFlightRequestAsCancelled) {
  const Sim sim(sim_options(milliseconds(30'000)));  // first token never comes in time
  RunOptions o;
  o.url = sim.url();
  o.concurrency = 4;
  o.threads = 2;
  o.requests = 100;
  const Outcome out = run(o, cancel_when(sim, 4));
  expect_all_cancelled(out, 4);
  expect_ids(out.records, 4);
}

TEST(Runner, CancelOpenLoopStopsTheScheduleAndKeepsEveryStartedRequest) {
  const Sim sim(sim_options(milliseconds(30'000)));
  RunOptions o;
  o.url = sim.url();
  o.threads = 2;
  for (int i = 0; i < 40; ++i) o.schedule.push_back(milliseconds(50 * i));  // 2 s
  const Outcome out = run(o, cancel_when(sim, 3));
  ASSERT_GE(out.times.requests_started, 3u);
  ASSERT_LT(out.times.requests_started, 40u);
  expect_all_cancelled(out, out.times.requests_started);
}

// A loopback port nobody listens on: every connect is refused at once.
net::Url refusing_url() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(
      io, boost::asio::ip::tcp::endpoint(boost::asio::ip::address_v4::loopback(), 0));
  const auto port = acceptor.local_endpoint().port();
  return *net::parse_url("http://127.0.0.1:" + std::to_string(port));
}

// Issue 10 (class 7): against an engine that is down, the run stops after a streak of
// connect failures instead of writing records as fast as connections are refused.
TEST(Runner, ClosedLoopStopsAfterAStreakOfConnectFailures) {
  RunOptions o;
  o.url = refusing_url();
  o.concurrency = 4;
  o.threads = 2;
  o.duration = std::chrono::seconds(60);
  const auto began = std::chrono::steady_clock::now();
  const Outcome out = run(o);
  EXPECT_LT(std::chrono::steady_clock::now() - began, std::chrono::seconds(30));  // wide
  EXPECT_EQ(out.times.stop_reason, StopReason::kConnectFailures);
  EXPECT_EQ(to_string(out.times.stop_reason), "connection_failures");
  EXPECT_EQ(out.times.connect_failure_streak, RunOptions::kConnectFailureLimit);
  EXPECT_EQ(out.times.connections_opened, 0u);
  // The streak, and what the other users had in flight when it was reached.
  EXPECT_GE(out.records.size(), 100u);
  EXPECT_LE(out.records.size(), 104u);
}

TEST(Runner, OpenLoopStopsAfterAStreakOfConnectFailures) {
  RunOptions o;
  o.url = refusing_url();
  o.threads = 2;
  for (int i = 0; i < 20'000; ++i) o.schedule.push_back(std::chrono::microseconds(500 * i));
  const Outcome out = run(o);
  EXPECT_EQ(out.times.stop_reason, StopReason::kConnectFailures);
  EXPECT_LT(out.times.requests_started, 1'000u);  // of 20,000 due over 10 s
}

TEST(Runner, TheConnectFailureStreakCanBeTurnedOff) {
  RunOptions o;
  o.url = refusing_url();
  o.concurrency = 2;
  o.requests = 150;
  o.connect_failure_limit = 0;
  const Outcome out = run(o);
  EXPECT_EQ(out.times.stop_reason, StopReason::kCompleted);
  EXPECT_EQ(out.records.size(), 150u);
}

// The closed-loop streak is at least one failure per user: 300 users each failing once as
// an engine restarts are not yet a streak.
TEST(Runner, TheClosedLoopStreakIsAtLeastTheUsers) {
  RunOptions o;
  o.url = refusing_url();
  o.concurrency = 300;
  o.threads = 2;
  o.duration = std::chrono::seconds(60);
  const Outcome out = run(o);
  EXPECT_EQ(out.times.stop_reason, StopReason::kConnectFailures);
  EXPECT_EQ(out.times.connect_failure_streak, 300u);
  EXPECT_GE(out.records.size(), 300u);
}

// Peak resident memory of this process so far, in bytes (Linux).
std::uint64_t peak_rss() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  }
  return 0;
}

// Issue 10 (class 4): state is made for the work in flight, not for the concurrency asked:
// 100,000 users for 2 requests make 2 users (before: 100,000 coroutines and connections).
TEST(Runner, UsersBeyondTheRequestsAreNeverMade) {
  const Sim sim(sim_options(milliseconds(1)));
  RunOptions o;
  o.url = sim.url();
  o.concurrency = 100'000;
  o.threads = 2;
  o.requests = 2;
  const std::uint64_t before = peak_rss();
  const auto began = std::chrono::steady_clock::now();
  const Outcome out = run(o);
  EXPECT_LT(std::chrono::steady_clock::now() - began, std::chrono::seconds(20));  // wide
  expect_ids(out.records, 2);
  EXPECT_EQ(out.times.connections_opened, 2u);
  EXPECT_LT(peak_rss() - before, std::uint64_t{64} << 20)
      << "peak RSS grew by " << static_cast<double>(peak_rss() - before) / 1e6 << " MB";
}

}  // namespace
}  // namespace llmbench::runner
