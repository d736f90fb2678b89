// End-to-end, issue 13: the monitors beside a real run of the binary against `llmbench sim`
// (its /metrics per dialect, its process found by its port) and a fake NVML library.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "support/process.h"
#include "support/run_llmbench.h"

namespace llmbench {
namespace {

using nlohmann::json;
using testing::Child;
using testing::run;
using testing::RunOutcome;
using testing::Sim;

// Sets an environment variable for the children started while it lives.
struct ScopedEnv {
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() { ::unsetenv(name_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
};

const json& status_of(const json& result, const char* monitor) {
  return result["monitors"]["status"][monitor];
}

// Acceptance: at rising concurrency against an engine of 4 slots, the scraped waiting queue
// rises level by level, and the engine's own TTFT percentiles agree with the client's within
// the resolution of its buckets.
TEST(Monitors, WaitingQueueRisesWithConcurrencyAndServerTtftAgreesWithTheClient) {
  Sim sim({"--dialect", "vllm", "--max-batch", "4", "--ttft", "50ms", "--itl", "5ms"});
  const RunOutcome r =
      run(sim.url(), {"--engine", "vllm", "--concurrency", "2,8,16", "--requests", "48",
                      "--max-tokens", "32", "--scrape-interval", "200ms", "--no-gpu-monitor"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(status_of(r.result, "engine_metrics")["available"].get<bool>())
      << r.result["monitors"];
  EXPECT_EQ(r.result["monitors"]["engine_metrics"]["dialect"], "vllm");
  EXPECT_GT(r.result["monitors"]["engine_metrics"]["scrapes"].get<int>(), 5);
  const json& levels = r.result["levels"];
  ASSERT_EQ(levels.size(), 3u);
  std::vector<double> waiting;
  for (const json& level : levels) {
    const json& figure = level["summary"]["resources"]["server_requests.waiting"];
    ASSERT_TRUE(figure.is_object()) << level["summary"]["resources"];
    waiting.push_back(figure["mean"].get<double>());
  }
  // 2 users: nobody waits; 8: about 4; 16: about 12 (the edges of a level wait less).
  EXPECT_LT(waiting[0], 0.5);
  EXPECT_GT(waiting[1], waiting[0] + 1);
  EXPECT_GT(waiting[2], waiting[1] + 3);
  EXPECT_GT(waiting[2], 6);
  // The series is in the windows too, where the report draws it.
  bool in_windows = false;
  for (const json& w : r.result["time_series"]["windows"]) {
    in_windows =
        in_windows || (w.contains("server_requests") && w["server_requests"].contains("waiting"));
  }
  EXPECT_TRUE(in_windows);
  // Level 1 (2 users, no queue): the engine saw the client's TTFT.
  const json& client = levels[0]["summary"]["ttft"];
  const json& server = levels[0]["summary"]["server_latency"]["ttft"];
  ASSERT_TRUE(server.is_object()) << levels[0]["summary"];
  EXPECT_EQ(server["family"], "vllm:time_to_first_token_seconds");
  const double lower = server["p50_bucket"][0].get<double>();
  const double upper = server["p50_bucket"][1].get<double>();
  const double width = upper - lower;
  EXPECT_NEAR(server["p50"].get<double>(), client["p50"].get<double>(), width)
      << "server p50 in [" << lower << ", " << upper << "]";
  // The client's median lies in the engine's bucket, give or take the client's own overhead.
  EXPECT_GE(client["p50"].get<double>(), lower - 0.002);
  EXPECT_LE(client["p50"].get<double>(), upper + 0.005);
  // The engine counted about as many requests as the level's (scrapes straddle its edges).
  EXPECT_NEAR(server["count"].get<double>(), 48, 16);
}

TEST(Monitors, GpuEnergyFromTheCounterThroughAFakeNvml) {
  Sim sim({"--dialect", "vllm", "--ttft", "20ms", "--itl", "5ms"});
  ScopedEnv library("LLMBENCH_NVML_LIBRARY", FAKE_NVML_PATH);
  ScopedEnv live("FAKE_NVML_LIVE", "1");  // the counter advances at the fake's 250 W
  const RunOutcome r = run(sim.url(), {"--engine", "vllm", "--concurrency", "4", "--duration", "3s",
                                       "--max-tokens", "32", "--idle-baseline", "500ms"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(status_of(r.result, "gpu")["available"].get<bool>())
      << r.result["monitors"]["status"];
  const json& energy = r.result["summary"]["energy"];
  ASSERT_TRUE(energy.is_object()) << r.result["summary"]["resources"];
  EXPECT_NEAR(energy["average_power_w"].get<double>(), 250, 25);
  const double output_tokens = r.result["summary"]["output_token_throughput"].get<double>() *
                               r.result["summary"]["duration"].get<double>();
  EXPECT_NEAR(energy["joules_per_output_token"].get<double>(),
              energy["joules"].get<double>() / output_tokens, 1e-6);
  // The fake's power does not change at rest: energy above idle is about none.
  EXPECT_NEAR(energy["idle_power_w"].get<double>(), 250, 25);
  EXPECT_LT(std::abs(energy["joules_above_idle"].get<double>()),
            0.2 * energy["joules"].get<double>());
  EXPECT_EQ(energy["counter_resets"], 0);
  EXPECT_EQ(r.result["monitors"]["gpus"][0]["name"], "Fake GPU 0");
  EXPECT_TRUE(r.result["summary"]["resources"].contains("gpu_power_w.gpu0"));
  EXPECT_TRUE(r.result["summary"]["resources"].contains("gpu_utilization_percent.gpu0"));
  // The local engine's process tree was found by its port and sampled.
  EXPECT_EQ(r.result["monitors"]["engine_process"]["pid"], sim.pid());
  EXPECT_TRUE(r.result["summary"]["resources"].contains("engine_memory_bytes.rss"));
}

TEST(Monitors, NothingToMonitorIsStatedNeverAnError) {
  Sim sim({"--ttft", "10ms", "--itl", "2ms"});  // the generic dialect: /metrics answers 404
  ScopedEnv library("LLMBENCH_NVML_LIBRARY", "/nonexistent/libnvidia-ml.so.1");
  const RunOutcome r = run(sim.url(), {"--requests", "20", "--max-tokens", "8"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(status_of(r.result, "gpu")["available"].get<bool>());
  EXPECT_NE(
      status_of(r.result, "gpu")["detail"].get<std::string>().find("GPU monitor not available"),
      std::string::npos);
  EXPECT_FALSE(status_of(r.result, "engine_metrics")["available"].get<bool>());
  EXPECT_NE(status_of(r.result, "engine_metrics")["detail"].get<std::string>().find("HTTP 404"),
            std::string::npos);
  EXPECT_TRUE(r.result["summary"]["energy"].is_null());  // not measured: null, never 0
  EXPECT_TRUE(r.result["summary"]["server_latency"].empty());
  EXPECT_TRUE(status_of(r.result, "host")["available"].get<bool>());
  EXPECT_NE(r.err.find("GPU monitor not available"), std::string::npos) << r.err;
}

TEST(Monitors, NoMonitorMeansNoneAtAll) {
  Sim sim({"--ttft", "10ms", "--itl", "2ms"});
  const RunOutcome r = run(sim.url(), {"--requests", "10", "--max-tokens", "8", "--no-monitor"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.result["monitors"].is_null());
  EXPECT_TRUE(r.result["summary"]["energy"].is_null());
}

TEST(Monitors, OllamaVramFromApiPs) {
  Sim sim({"--dialect", "ollama", "--ttft", "10ms", "--itl", "2ms"});
  const RunOutcome r = run(sim.url(), {"--engine", "ollama", "--requests", "20", "--max-tokens",
                                       "8", "--scrape-interval", "200ms"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.result["monitors"]["engine_metrics"]["dialect"], "ollama");
  const json& vram = r.result["summary"]["resources"]["server_model_memory_bytes.vram"];
  ASSERT_TRUE(vram.is_object()) << r.result["summary"]["resources"];
  EXPECT_GT(vram["max"].get<double>(), 0);
}

TEST(Monitors, BadOptionsAreRefusedBeforeAnyTraffic) {
  Sim sim({"--dialect", "vllm"});
  for (const auto& [option, value] :
       std::vector<std::pair<std::string, std::string>>{{"--monitor-interval", "1ms"},
                                                        {"--scrape-interval", "10ms"},
                                                        {"--idle-baseline", "1h"},
                                                        {"--engine-pid", "0"}}) {
    const RunOutcome r = run(sim.url(), {"--engine", "vllm", "--requests", "5", option, value});
    EXPECT_EQ(r.exit_code, 2) << option << " " << r.err;
    EXPECT_NE(r.err.find(option), std::string::npos) << r.err;
  }
  EXPECT_EQ(sim.metric("llmbench_sim_requests_total"), 0);
}

TEST(Monitors, MonitorCommandShowsAndWritesTheReadings) {
  Sim sim({"--dialect", "sglang"});
  const auto output = std::filesystem::temp_directory_path() /
                      ("llmbench_monitor_" + std::to_string(::getpid()) + ".json");
  std::filesystem::remove(output);
  Child child({LLMBENCH_BINARY, "monitor", "--url", sim.url(), "--duration", "2s",
               "--scrape-interval", "200ms", "--refresh", "500ms", "--no-gpu-monitor", "--output",
               output.string()});
  ASSERT_EQ(child.wait(), 0) << child.err();
  EXPECT_NE(child.out().find("host_cpu_percent"), std::string::npos) << child.out();
  EXPECT_NE(child.out().find("server_requests"), std::string::npos) << child.out();
  const json written = json::parse(testing::slurp(output));
  std::filesystem::remove(output);
  EXPECT_EQ(written["monitors"]["engine_metrics"]["dialect"], "sglang");
  bool running = false;
  for (const json& series : written["monitors"]["series"]) {
    if (series["name"] == "server_requests.running") {
      running = true;
      EXPECT_EQ(series["t"].size(), series["v"].size());
      EXPECT_GE(series["t"].size(), 5u);
      EXPECT_EQ(series["source"], "sglang:num_running_reqs");
    }
  }
  EXPECT_TRUE(running);
  EXPECT_TRUE(written["summary"]["resources"].contains("host_cpu_percent.total"));
}

}  // namespace
}  // namespace llmbench
