#include "monitor/resource_monitor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <thread>

namespace llmbench::monitor {
namespace {

MonitorSeries gauge(std::string name, std::vector<MonitorPoint> points) {
  return {std::move(name), "W", "test", false, std::move(points), 1};
}

MonitorSeries counter(std::string name, std::vector<MonitorPoint> points) {
  return {std::move(name), "J", "test", true, std::move(points), 1};
}

const std::pair<std::string, double>* find(const std::vector<std::pair<std::string, double>>& w,
                                           std::string_view name) {
  for (const auto& figure : w) {
    if (figure.first == name) return &figure;
  }
  return nullptr;
}

TEST(WindowFigures, AGaugeIsTheMeanOfItsSamplesInEachWindow) {
  MonitorData data;
  data.series.push_back(gauge("gpu_power_w.gpu0", {{0.1, 100}, {0.6, 200}, {1.2, 300}, {-0.5, 9}}));
  const auto windows = window_figures(data, 1.0, 3);
  ASSERT_EQ(windows.size(), 3u);
  ASSERT_NE(find(windows[0], "gpu_power_w.gpu0"), nullptr);
  EXPECT_DOUBLE_EQ(find(windows[0], "gpu_power_w.gpu0")->second, 150);  // the -0.5 s one is not
  EXPECT_DOUBLE_EQ(find(windows[1], "gpu_power_w.gpu0")->second, 300);
  EXPECT_EQ(find(windows[2], "gpu_power_w.gpu0"), nullptr);  // no sample: absent, never 0
}

TEST(WindowFigures, ACounterIsItsRateInterpolatedAtTheWindowEdges) {
  MonitorData data;
  // 10 tokens/s throughout, sampled off the window edges.
  data.series.push_back(
      counter("server_tokens_per_s.generation", {{0.5, 5}, {1.5, 15}, {2.5, 25}}));
  const auto windows = window_figures(data, 1.0, 3);
  EXPECT_EQ(find(windows[0], "server_tokens_per_s.generation"), nullptr);  // 0 s is not covered
  ASSERT_NE(find(windows[1], "server_tokens_per_s.generation"), nullptr);
  EXPECT_NEAR(find(windows[1], "server_tokens_per_s.generation")->second, 10, 1e-9);
  EXPECT_EQ(find(windows[2], "server_tokens_per_s.generation"), nullptr);  // 3 s is not either
}

TEST(WindowFigures, EnergyCountersAreLeftToTheSummary) {
  MonitorData data;
  data.series.push_back(counter("gpu_energy_j.gpu0", {{0, 0}, {1, 100}, {2, 200}}));
  for (const auto& w : window_figures(data, 1.0, 2)) EXPECT_TRUE(w.empty());
}

MonitorHistogram histogram(std::vector<HistogramSnapshot> snapshots) {
  return {"ttft", "vllm:time_to_first_token_seconds", std::move(snapshots), 0};
}

HistogramSnapshot snapshot(double t, double below_50ms, double below_100ms) {
  const double inf = std::numeric_limits<double>::infinity();
  return {t,
          {{0.05, below_50ms}, {0.1, below_100ms}, {inf, below_100ms}},
          0.06 * below_100ms,
          below_100ms};
}

TEST(WindowFigures, ServerPercentilesComeFromTheBucketDeltasOfTheWindow) {
  MonitorData data;
  // Before the run 1000 observations below 50 ms; in window 1, 10 more between 50 and 100 ms.
  data.histograms.push_back(
      histogram({snapshot(0.0, 1000, 1000), snapshot(0.9, 1000, 1000), snapshot(1.9, 1000, 1010)}));
  const auto windows = window_figures(data, 1.0, 2);
  EXPECT_EQ(find(windows[0], "server_ttft_s.p50"), nullptr);  // nothing observed in it
  ASSERT_NE(find(windows[1], "server_ttft_s.p50"), nullptr);
  // The delta alone: all 10 in (50, 100] ms, so the median interpolates to 75 ms, not to the
  // cumulative histogram's < 50 ms.
  EXPECT_NEAR(find(windows[1], "server_ttft_s.p50")->second, 0.075, 1e-9);
}

TEST(Summarize, GaugesGiveMeanAndMaxWithinTheSpanOnly) {
  MonitorData data;
  data.series.push_back(gauge("gpu_power_w.gpu0", {{0, 1000}, {1, 100}, {2, 300}, {3, 1000}}));
  const MonitorSummary s = summarize(data, 0.5, 2.5, std::nullopt, std::nullopt);
  ASSERT_EQ(s.figures.size(), 1u);
  EXPECT_DOUBLE_EQ(*s.figures[0].mean, 200);
  EXPECT_DOUBLE_EQ(*s.figures[0].max, 300);
  // The gauge is not an energy series; here, by its name, it is a GPU's power: integrated.
  ASSERT_TRUE(s.energy);
  EXPECT_NE(s.energy->source.find("integrated"), std::string::npos);
}

TEST(Summarize, EnergyIsTheCountersDifferenceDividedByTokensAndRequests) {
  MonitorData data;
  data.series.push_back(counter("gpu_energy_j.gpu0", {{0, 1000}, {10, 2000}}));
  data.series.push_back(counter("gpu_energy_j.gpu1", {{0, 50}, {10, 550}}));
  data.idle_power_w = 20;
  const MonitorSummary s = summarize(data, 2, 6, 400.0, 8.0);
  ASSERT_TRUE(s.energy);
  // GPU 0: 100 W, GPU 1: 50 W over 4 s.
  EXPECT_NEAR(s.energy->joules, 600, 1e-9);
  EXPECT_NEAR(*s.energy->average_power_w, 150, 1e-9);
  EXPECT_NEAR(*s.energy->joules_per_output_token, 1.5, 1e-9);
  EXPECT_NEAR(*s.energy->output_tokens_per_joule, 400.0 / 600, 1e-9);
  EXPECT_NEAR(*s.energy->joules_per_request, 75, 1e-9);
  EXPECT_NEAR(*s.energy->joules_above_idle, 600 - 20 * 4, 1e-9);
  EXPECT_EQ(s.energy->counter_resets, 0u);
}

TEST(Summarize, AnEnergyCounterResetIsCountedAndNotHidden) {
  MonitorData data;
  // 100 J/s; the driver reloads at 2.5 s and the counter restarts from 0.
  data.series.push_back(
      counter("gpu_energy_j.gpu0", {{0, 5000}, {1, 5100}, {2, 5200}, {3, 50}, {4, 150}}));
  const MonitorSummary s = summarize(data, 0, 4, std::nullopt, std::nullopt);
  ASSERT_TRUE(s.energy);
  EXPECT_EQ(s.energy->counter_resets, 1u);
  // The segments' increases: 200 J before the reset, 100 J after it. The step across it is
  // unknown (when in that second did the counter restart?) and left out, and said so.
  EXPECT_NEAR(s.energy->joules, 300, 1e-9);
}

TEST(Summarize, AGpuWithoutAnEnergyCounterHasItsPowerIntegratedAndSaysSo) {
  MonitorData data;
  // 100 W rising to 300 W linearly over 2 s: 400 J.
  data.series.push_back(gauge("gpu_power_w.gpu0", {{0, 100}, {1, 200}, {2, 300}}));
  const MonitorSummary s = summarize(data, 0, 2, std::nullopt, std::nullopt);
  ASSERT_TRUE(s.energy);
  EXPECT_NEAR(s.energy->joules, 400, 1e-9);
  EXPECT_NE(s.energy->source.find("integrated"), std::string::npos);
  // Within a span, the ends interpolated: 0.5 s → 1.5 s is 150..250 W, 200 J.
  EXPECT_NEAR(summarize(data, 0.5, 1.5, std::nullopt, std::nullopt).energy->joules, 200, 1e-9);
}

TEST(Summarize, AnEnergyCounterThatDoesNotCoverTheSpanGivesNoEnergy) {
  MonitorData data;
  data.series.push_back(counter("gpu_energy_j.gpu0", {{1, 0}, {2, 100}}));
  EXPECT_FALSE(summarize(data, 0, 2, std::nullopt, std::nullopt).energy);
}

TEST(Summarize, ServerLatencyFromTheScrapesAroundTheSpanWithItsBuckets) {
  MonitorData data;
  data.histograms.push_back(histogram({snapshot(-0.2, 500, 500), snapshot(5, 500, 600)}));
  const MonitorSummary s = summarize(data, 0, 4.8, std::nullopt, std::nullopt);
  ASSERT_EQ(s.server_latency.size(), 1u);
  const ServerLatency& l = s.server_latency[0];
  EXPECT_DOUBLE_EQ(l.count, 100);
  ASSERT_TRUE(l.p50);
  EXPECT_NEAR(*l.p50, 0.075, 1e-9);
  ASSERT_TRUE(l.p50_bucket);
  EXPECT_DOUBLE_EQ(l.p50_bucket->first, 0.05);
  EXPECT_DOUBLE_EQ(l.p50_bucket->second, 0.1);
  EXPECT_TRUE(l.warning.empty());
}

TEST(Summarize, BucketsTooCoarseToSayAnythingAreWarnedAbout) {
  MonitorData data;
  // Everything in the first bucket [0, 50 ms]: the engine cannot tell 1 ms from 49 ms.
  data.histograms.push_back(histogram({snapshot(0, 0, 0), snapshot(2, 100, 100)}));
  const MonitorSummary s = summarize(data, 0, 2, std::nullopt, std::nullopt);
  ASSERT_EQ(s.server_latency.size(), 1u);
  EXPECT_NE(s.server_latency[0].warning.find("too coarse"), std::string::npos);
  EXPECT_NE(s.server_latency[0].warning.find("[0, 0.05]"), std::string::npos);
}

TEST(Summarize, AFineFirstBucketAndAQueueOfNothingAreNoWarning) {
  const double inf = std::numeric_limits<double>::infinity();
  MonitorData data;
  // TGI's first bucket is 0.15 ms: "below 0.15 ms" says something.
  MonitorHistogram fine{
      "e2e",
      "tgi_request_duration",
      {{0, {{0.00015, 0}, {inf, 0}}, 0, 0}, {2, {{0.00015, 50}, {inf, 50}}, 0, 50}},
      0};
  MonitorHistogram queue = histogram({snapshot(0, 0, 0), snapshot(2, 100, 100)});
  queue.name = "queue_time";
  data.histograms = {fine, queue};
  const MonitorSummary s = summarize(data, 0, 2, std::nullopt, std::nullopt);
  ASSERT_EQ(s.server_latency.size(), 2u);
  EXPECT_EQ(s.server_latency[0].warning, "");
  EXPECT_EQ(s.server_latency[1].warning, "");
}

TEST(Summarize, OneScrapeSaysNothingAboutASpan) {
  MonitorData data;
  data.histograms.push_back(histogram({snapshot(0, 100, 100)}));
  EXPECT_TRUE(summarize(data, 0, 2, std::nullopt, std::nullopt).server_latency.empty());
}

TEST(ResourceMonitor, SamplesTheHostOnItsOwnThreadAndKeepsEverySeriesBounded) {
  MonitorOptions options;
  options.gpu = false;
  options.interval = std::chrono::milliseconds(10);
  options.engine_pid = ::getpid();  // this test's own process stands in for an engine
  options.max_points_per_series = 8;
  ResourceMonitor monitor(options, SteadyClock::now());
  monitor.start();
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  const auto live = monitor.latest();
  const MonitorData data = monitor.stop();
  bool saw_cpu = false;
  for (const LiveReading& r : live) saw_cpu = saw_cpu || r.name == "host_cpu_percent.total";
  EXPECT_TRUE(saw_cpu);
  const MonitorSeries* cpu = data.find("host_cpu_percent.total");
  ASSERT_NE(cpu, nullptr);
  // ~40 samples offered into 8 places: thinned, every kept sample in time order.
  EXPECT_LE(cpu->points.size(), 8u);
  EXPECT_GT(cpu->stride, 1u);
  for (std::size_t i = 1; i < cpu->points.size(); ++i) {
    EXPECT_LT(cpu->points[i - 1].t, cpu->points[i].t);
  }
  for (const MonitorPoint& p : cpu->points) {
    EXPECT_GE(p.value, 0);
    EXPECT_LE(p.value, 100.0 + 1e-9);
  }
  ASSERT_NE(data.find("engine_memory_bytes.rss"), nullptr);
  EXPECT_GT(data.find("engine_memory_bytes.rss")->points.back().value, 0);
  bool gpu_off = false;
  for (const MonitorStatus& s : data.status)
    gpu_off = gpu_off || (s.monitor == "gpu" && !s.available);
  EXPECT_TRUE(gpu_off);
}

TEST(WindowFigures, ThePrefixCacheHitRateIsTheCountersIncreasesRatio) {
  MonitorData data;
  data.series.push_back(
      counter("server_prefix_cache_tokens_per_s.hits", {{0, 0}, {1, 30}, {2, 30}}));
  data.series.push_back(
      counter("server_prefix_cache_tokens_per_s.queries", {{0, 0}, {1, 100}, {2, 200}}));
  const auto windows = window_figures(data, 1.0, 2);
  ASSERT_NE(find(windows[0], "server_prefix_cache_hit_percent.tokens"), nullptr);
  EXPECT_NEAR(find(windows[0], "server_prefix_cache_hit_percent.tokens")->second, 30, 1e-9);
  EXPECT_NEAR(find(windows[1], "server_prefix_cache_hit_percent.tokens")->second, 0, 1e-9);
}

TEST(Summarize, ACountersIncreaseIsACountNotARate) {
  MonitorData data;
  MonitorSeries tokens = counter("server_tokens_per_s.generation", {{0, 0}, {2, 200}});
  tokens.unit = "tokens/s";
  data.series.push_back(tokens);
  const MonitorSummary s = summarize(data, 0, 2, std::nullopt, std::nullopt);
  ASSERT_EQ(s.figures.size(), 1u);
  EXPECT_EQ(s.figures[0].unit, "tokens");
  EXPECT_NEAR(*s.figures[0].increase, 200, 1e-9);
}

TEST(Summarize, TheEnergyOfSomeGpusIsNotTheRuns) {
  MonitorData data;
  data.gpus = {{0, "A", "GPU-a", {}, {}}, {1, "B", "GPU-b", {}, {}}};
  data.series.push_back(counter("gpu_energy_j.gpu0", {{0, 0}, {2, 200}}));  // GPU 1: nothing
  EXPECT_FALSE(summarize(data, 0, 2, std::nullopt, std::nullopt).energy);
}

TEST(Summarize, ScrapesThatLeavePartOfTheSpanOutAreSaid) {
  MonitorData data;
  data.scrape_interval_s = 1;
  // The scrape at the end failed: the last one is at 3 s of a span that ends at 10 s.
  data.histograms.push_back(histogram({snapshot(0, 0, 0), snapshot(3, 10, 10)}));
  const MonitorSummary s = summarize(data, 0, 10, std::nullopt, std::nullopt);
  ASSERT_EQ(s.server_latency.size(), 1u);
  EXPECT_NE(s.server_latency[0].warning.find("cover [0.0, 3.0] s of the span"), std::string::npos)
      << s.server_latency[0].warning;
}

TEST(ResourceMonitor, ARemoteEnginesGpusAreNotThisMachines) {
  MonitorOptions options;
  options.nvml_library = FAKE_NVML_PATH;
  options.host = false;
  options.engine_url = *net::parse_url("http://192.0.2.1:8000");  // TEST-NET-1: not this host
  {
    ResourceMonitor monitor(options, SteadyClock::now());
    const auto status = monitor.status();
    const auto gpu = std::find_if(status.begin(), status.end(),
                                  [](const MonitorStatus& s) { return s.monitor == "gpu"; });
    ASSERT_NE(gpu, status.end());
    EXPECT_FALSE(gpu->available);
    EXPECT_NE(gpu->detail.find("another host"), std::string::npos) << gpu->detail;
  }
  options.engine_url = *net::parse_url("http://127.0.0.1:8000");
  ResourceMonitor local(options, SteadyClock::now());
  const auto status = local.status();
  const auto gpu = std::find_if(status.begin(), status.end(),
                                [](const MonitorStatus& s) { return s.monitor == "gpu"; });
  ASSERT_NE(gpu, status.end());
  EXPECT_TRUE(gpu->available) << gpu->detail;
}

TEST(ResourceMonitor, AMissingNvmlLibraryIsAStatusNeverAnError) {
  MonitorOptions options;
  options.nvml_library = "/nonexistent/libnvidia-ml.so.1";
  options.host = false;
  ResourceMonitor monitor(options, SteadyClock::now());
  monitor.start();
  const MonitorData data = monitor.stop();
  bool found = false;
  for (const MonitorStatus& s : data.status) {
    if (s.monitor != "gpu") continue;
    found = true;
    EXPECT_FALSE(s.available);
    EXPECT_NE(s.detail.find("GPU monitor not available"), std::string::npos) << s.detail;
  }
  EXPECT_TRUE(found);
  EXPECT_TRUE(data.gpus.empty());
}

}  // namespace
}  // namespace llmbench::monitor
