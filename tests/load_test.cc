// Load profiles end to end: open-loop arrivals measured from the schedule, sweeps, limits,
// warm-up, retries, time series and scale, with the real binary against `llmbench sim`.

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "support/process.h"
#include "support/run_llmbench.h"

namespace llmbench {
namespace {

#ifdef LLMBENCH_SANITIZED
constexpr bool kSanitized = true;  // ASan/UBSan build: several times slower per frame
#else
constexpr bool kSanitized = false;
#endif

using nlohmann::json;
using testing::ms;
using testing::run;
using testing::RunOutcome;
using testing::Sim;

// At 1,000 req/s from one client thread the client sends on time. Tests assert medians (a
// busy 2-core machine moves tails far more); the acceptance p99 (≤ 1 ms) is measured by
// bench/load_accuracy.
TEST(LoadProfiles, OpenLoopAtAThousandPerSecondSendsOnSchedule) {
  Sim sim({"--ttft", "50ms", "--itl", "5ms"});
  const RunOutcome r = run(sim.url(), {"--rate", "1000", "--arrival", "constant", "--requests",
                                       "3000", "--max-tokens", "8", "--threads", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json& s = r.result["summary"];
  EXPECT_EQ(s["success_rate"], 1.0) << s["errors"].dump();
  EXPECT_EQ(r.result["context"]["config"]["load_mode"], "open_loop");
  EXPECT_EQ(s["schedule_lag"]["count"], 3000);
  EXPECT_LE(ms(s["schedule_lag"]["p50"]), 1.0);
  // The schedule was kept: 3,000 requests due 1 ms apart.
  double first = 1e9, last = 0;
  for (const json& req : r.result["requests"]) {
    first = std::min(first, req["timestamps"]["sched"].get<double>());
    last = std::max(last, req["timestamps"]["sched"].get<double>());
  }
  EXPECT_NEAR(last - first, 2.999, 1e-6);
  // At 1,000 requests a second a busy simulator is late with first tokens (TTFT accuracy is
  // tested at lighter load elsewhere); the client never reports one earlier than scripted.
  EXPECT_GE(ms(s["ttft"]["p50"]), 49.9);
  // From the schedule = from the send plus the lag.
  EXPECT_GE(s["ttft_sched"]["p50"].get<double>(), s["ttft"]["p50"].get<double>());
  EXPECT_EQ(s["client"]["worker_cpu"].size(), 1u);
}

// 256 concurrent streams keep the inter-token timing. The simulator shares this machine's
// cores with the client and is itself late now and then, so besides the script the client
// is judged against what the simulator actually did — the gaps between its writes, from its
// /sim/metrics — which isolates the error the client adds. The acceptance tail (ITL p99) is
// measured by bench/load_accuracy.
TEST(LoadProfiles, TwoHundredFiftySixStreamsKeepTheInterTokenTiming) {
  // An ASan-built simulator cannot write 256 streams × 200 frames/s on time; it gets 20 ms
  // gaps there.
  const double itl_ms = kSanitized ? 20 : 5;
  Sim sim({"--ttft", "50ms", "--itl", kSanitized ? "20ms" : "5ms"});
  const RunOutcome r = run(sim.url(), {"--concurrency", "256", "--requests", "768", "--max-tokens",
                                       kSanitized ? "24" : "64"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json& s = r.result["summary"];
  EXPECT_EQ(s["success_rate"], 1.0);
  EXPECT_EQ(s["itl"]["count"], 768 * ((kSanitized ? 24 : 64) - 1));
  // Against the script: under ASan on a busy machine the simulator's own writes drift by a
  // few tenths of a millisecond, hence the wider bound there.
  EXPECT_NEAR(ms(s["itl"]["p50"]), itl_ms, kSanitized ? 1.0 : 0.3);
  const double written_p50 = sim.metric("llmbench_sim_token_gap_seconds{quantile=\"0.5\"}") * 1e3;
  EXPECT_NEAR(ms(s["itl"]["p50"]), written_p50, 0.3);
}

// Acceptance: 10,000 concurrent streams complete with no errors.
TEST(LoadProfiles, TenThousandConcurrentStreams) {
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);  // inherited by both child processes
  if (limit.rlim_max < 10'100) GTEST_SKIP() << "file-descriptor hard limit " << limit.rlim_max;
  Sim sim({"--ttft", "1s", "--itl", "50ms"});
  const RunOutcome r =
      run(sim.url(), {"--concurrency", "10000", "--requests", "10000", "--max-tokens", "4",
                      "--threads", "2", "--connect-timeout", "60s"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json& s = r.result["summary"];
  EXPECT_EQ(s["requests"], 10000);
  EXPECT_EQ(s["success_rate"], 1.0) << s["errors"].dump();
  // They really were in flight together: every request waited out the 1 s TTFT at once.
  EXPECT_GT(s["mean_concurrency"].get<double>(), 3000);
}

// Acceptance: the sweep finds the saturation point of the simulator's model. With 8 slots
// and a request holding one for 50 ms + 31 × 5 ms, the simulator serves 8 / 0.205 s =
// 39.0 req/s at most.
TEST(LoadProfiles, SweepFindsTheSaturationPointOfTheModel) {
  Sim sim({"--ttft", "50ms", "--itl", "5ms", "--max-batch", "8"});
  const RunOutcome r =
      run(sim.url(), {"--sweep", "--sweep-steps", "6", "--duration", "3s", "--max-tokens", "32",
                      "--arrival", "constant", "--concurrency", "32"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json& levels = r.result["levels"];
  ASSERT_EQ(levels.size(), 8u);
  EXPECT_EQ(levels[0]["kind"], "synchronous");
  EXPECT_EQ(levels[1]["kind"], "throughput");
  const double capacity = 8 / 0.205;
  EXPECT_NEAR(levels[0]["summary"]["completion_rate"].get<double>(), 1 / 0.205, 0.5);
  EXPECT_NEAR(levels[1]["summary"]["completion_rate"].get<double>(), capacity, 2.0);
  const double step =
      levels[3]["offered_rate"].get<double>() - levels[2]["offered_rate"].get<double>();
  ASSERT_FALSE(r.result["sweep"]["max_sustainable_rate"].is_null()) << r.out;
  EXPECT_NEAR(r.result["sweep"]["max_sustainable_rate"].get<double>(), capacity, step) << r.out;
  EXPECT_NE(r.out.find("max sustainable rate"), std::string::npos);
  // Request ids are unique across levels.
  std::set<std::uint64_t> ids;
  for (const json& req : r.result["requests"]) ids.insert(req["id"].get<std::uint64_t>());
  EXPECT_EQ(ids.size(), r.result["requests"].size());
}

TEST(LoadProfiles, RetriesHonourRetryAfterAndAreCounted) {
  Sim sim(
      {"--ttft", "10ms", "--itl", "2ms", "--fault", "429", "--fault-rate", "0.4", "--seed", "3"});
  const RunOutcome r = run(sim.url(), {"--requests", "12", "--max-tokens", "4", "--retries", "5",
                                       "--retry-backoff", "10ms"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json& s = r.result["summary"];
  EXPECT_EQ(s["success_rate"], 1.0) << s["errors"].dump();
  ASSERT_GT(s["retries"].get<int>(), 0);
  std::size_t retried = 0;
  for (const json& req : r.result["requests"]) {
    if (req["retries"].get<int>() == 0) continue;
    ++retried;
    // Each retry waited out the simulator's Retry-After: 1 second, not the 10 ms back-off.
    EXPECT_GE(req["e2e_sched"].get<double>(), 1.0 * req["retries"].get<int>());
  }
  EXPECT_EQ(retried, s["requests_retried"].get<std::size_t>());
  // Without --retries the same failures are outcomes, counted as http_429.
  const RunOutcome plain = run(sim.url(), {"--requests", "12", "--max-tokens", "4"});
  EXPECT_GT(plain.result["summary"]["errors"]["http_429"].get<int>(), 0);
  EXPECT_EQ(plain.result["summary"]["retries"], 0);
}

TEST(LoadProfiles, MaxErrorRateStopsTheRunAndTheResultSaysWhy) {
  Sim sim({"--ttft", "5ms", "--itl", "1ms", "--fail-rate", "0.9"});
  const RunOutcome r = run(sim.url(), {"--requests", "2000", "--max-tokens", "4",
                                       "--max-error-rate", "0.5", "--error-window", "20"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.result["context"]["stop_reason"], "max_error_rate");
  EXPECT_LT(r.result["requests"].size(), 200u);
  EXPECT_NE(r.out.find("--max-error-rate"), std::string::npos);
}

TEST(LoadProfiles, WarmupIsRecordedButLeftOutOfTheStatistics) {
  Sim sim({"--ttft", "10ms", "--itl", "2ms"});
  const RunOutcome r = run(sim.url(), {"--requests", "20", "--max-tokens", "4", "--warmup", "5",
                                       "--cooldown", "3", "--csv", "/dev/null"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json& s = r.result["summary"];
  EXPECT_EQ(s["requests"], 12);
  EXPECT_EQ(s["warmup_requests"], 5);
  EXPECT_EQ(s["cooldown_requests"], 3);
  ASSERT_EQ(r.result["requests"].size(), 20u);
  std::map<std::string, int> phases;
  for (const json& req : r.result["requests"]) ++phases[req["phase"].get<std::string>()];
  EXPECT_EQ(phases["warmup"], 5);
  EXPECT_EQ(phases["cooldown"], 3);
  std::uint64_t started = 0;
  for (const json& w : r.result["time_series"]["windows"])
    started += w["requests_started"].get<std::uint64_t>();
  EXPECT_EQ(started, 20u);
}

TEST(LoadProfiles, TraceReplaySendsAtTheTracedTimes) {
  const auto trace = std::filesystem::temp_directory_path() /
                     ("llmbench_trace_" + std::to_string(::getpid()) + ".txt");
  std::ofstream(trace) << "# seconds\n10.0\n10.2\n10.2\n10.7\n11.0\n";
  Sim sim({"--ttft", "10ms", "--itl", "2ms"});
  const RunOutcome r = run(sim.url(), {"--trace", trace.string(), "--max-tokens", "4"});
  std::filesystem::remove(trace);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<double> sched;
  for (const json& req : r.result["requests"]) sched.push_back(req["timestamps"]["sched"]);
  std::sort(sched.begin(), sched.end());
  ASSERT_EQ(sched.size(), 5u);
  const std::vector<double> expected = {0, 0.2, 0.2, 0.7, 1.0};
  for (std::size_t i = 0; i < 5; ++i) EXPECT_NEAR(sched[i] - sched[0], expected[i], 1e-6);
}

TEST(LoadProfiles, ConcurrencyListRunsOneLevelEach) {
  Sim sim({"--ttft", "10ms", "--itl", "2ms"});
  const RunOutcome r =
      run(sim.url(), {"--concurrency", "1,4", "--requests", "8", "--max-tokens", "4"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(r.result["levels"].size(), 2u);
  EXPECT_EQ(r.result["levels"][1]["concurrency"], 4);
  EXPECT_EQ(r.result["levels"][1]["summary"]["requests"], 8);
  EXPECT_EQ(r.result["summary"]["requests"], 16);
  EXPECT_GT(r.result["levels"][1]["summary"]["mean_concurrency"].get<double>(),
            r.result["levels"][0]["summary"]["mean_concurrency"].get<double>() * 2);
}

// Ctrl-C in open loop: pacing stops, the requests in flight are cancelled, the partial
// result is valid, and every level after the current one is skipped.
TEST(LoadProfiles, CtrlCStopsAnOpenLoopRunWithAValidPartialResult) {
  Sim sim({"--ttft", "10ms", "--itl", "50ms"});
  const auto path = std::filesystem::temp_directory_path() /
                    ("llmbench_e2e_open_sigint_" + std::to_string(::getpid()) + ".json");
  testing::Child child({LLMBENCH_BINARY, "run", "--url", sim.url(), "--rate", "20", "--duration",
                        "60s", "--max-tokens", "20", "--output", path.string(), "--no-progress"});
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  child.signal(SIGINT);
  ASSERT_EQ(child.wait(), 130) << child.err();
  const json result = json::parse(testing::slurp(path));
  std::filesystem::remove(path);
  EXPECT_EQ(result["context"]["stop_reason"], "interrupted");
  const json& s = result["summary"];
  EXPECT_GT(s["succeeded"].get<int>(), 10);
  // Cancelled requests are counted apart from the errors (issue 9 A9).
  EXPECT_GT(s["cancelled"].get<int>(), 5) << "about 20 in flight (1 s each at 20/s)";
  EXPECT_FALSE(s["errors"].contains("cancelled"));
  EXPECT_LT(s["requests"].get<int>(), 200);
  EXPECT_EQ(result["requests"].size(), s["requests"]);
}

TEST(LoadProfiles, OptionErrorsNameTheOption) {
  Sim sim({"--ttft", "1ms", "--itl", "1ms"});
  for (const auto& [options, expected] :
       std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"--rate", "5", "--trace", "x"}, "one of --rate"},
           {{"--rate-schedule", "5s:10"}, "first point must be at 0"},
           {{"--slo", "ttft:p99<=soon"}, "--slo"},
           {{"--concurrency", "1,0"}, "--concurrency"},
           {{"--sweep", "--rate", "4"}, "--sweep"},
           {{"--arrival", "bursty", "--rate", "3"}, "--arrival"},
           {{"--cooldown", "5s", "--requests", "10"}, "--cooldown"}}) {
    const RunOutcome r = run(sim.url(), options);
    EXPECT_EQ(r.exit_code, 2) << options[0];
    EXPECT_NE(r.err.find(expected), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace llmbench
