#pragma once
// The monitors beside a run (docs/monitors.md): one sampler thread reads the GPUs (NVML), the
// host and the engine's process tree every `interval`; one scraper thread reads the engine's
// /metrics (Ollama: /api/ps) every `scrape_interval`. Neither ever blocks a benchmark worker:
// they share nothing with the workers, and what they read is copied out under their own lock.
// Every sample is on the run's clock (seconds from `origin`).

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/monitor_data.h"
#include "net/http_client.h"
#include "net/url.h"

namespace llmbench::monitor {

// Defaults and bounds, in docs/monitors.md.
inline constexpr Duration kDefaultMonitorInterval = std::chrono::milliseconds(100);
inline constexpr Duration kMinMonitorInterval = std::chrono::milliseconds(10);
inline constexpr Duration kDefaultScrapeInterval = std::chrono::seconds(1);
inline constexpr Duration kMinScrapeInterval = std::chrono::milliseconds(100);
inline constexpr Duration kDefaultScrapeTimeout = std::chrono::seconds(2);
inline constexpr std::size_t kMaxScrapeBytes = std::size_t{16} * 1024 * 1024;
inline constexpr std::size_t kMaxPointsPerSeries = 200'000;

struct MonitorOptions {
  Duration interval = kDefaultMonitorInterval;  // GPU, host and process
  bool gpu = true;
  bool host = true;
  std::string nvml_library = "libnvidia-ml.so.1";
  std::string proc_root = "/proc";
  // The engine's process: given, or found by the port of `engine_url` when its host is this
  // machine (loopback, or an address of this host).
  std::optional<pid_t> engine_pid;
  std::optional<net::Url> engine_url;
  bool find_engine_process = true;
  // The engine's metrics: nullopt = not scraped.
  std::optional<net::Url> metrics_url;  // the full URL of /metrics (or of Ollama's /api/ps)
  std::string engine;                   // as engines/ names it: the dialect of the names
  Duration scrape_interval = kDefaultScrapeInterval;
  Duration scrape_timeout = kDefaultScrapeTimeout;
  std::vector<net::Header> metrics_headers;  // e.g. the engine's API key
  net::TlsOptions tls;
  std::size_t max_points_per_series = kMaxPointsPerSeries;
};

// The latest value of one series, for a live table.
struct LiveReading {
  std::string name, unit;
  double t = 0, value = 0;
};

class ResourceMonitor {
 public:
  // Opens what can be opened (NVML, /proc, the engine's process); a monitor that cannot run
  // says why in its status, never throws.
  ResourceMonitor(MonitorOptions options, TimePoint origin);
  ~ResourceMonitor();  // stops the threads
  ResourceMonitor(const ResourceMonitor&) = delete;
  ResourceMonitor& operator=(const ResourceMonitor&) = delete;

  // Reads the GPUs' power for `duration` before the run (the idle baseline, samples at
  // negative times), returning early when `stop_early` turns true. Call before start().
  void measure_idle_baseline(Duration duration, const std::atomic<bool>& stop_early);
  // Starts sampling and scraping (a first scrape at once, so the run's deltas have a start).
  void start();
  // A last sample and scrape (so deltas cover the run's end), then the threads stop. Once.
  MonitorData stop();

  // The latest reading of every series, in a fixed order (any thread).
  [[nodiscard]] std::vector<LiveReading> latest() const;
  // What is monitored and why not (any thread).
  [[nodiscard]] std::vector<MonitorStatus> status() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// The monitors' figures per time-series window (window i covers [i·w, (i+1)·w) s): a gauge's
// mean, a counter's rate (its increase / w), and the engine's latency percentiles from the
// histograms' bucket deltas. One list per window, names as "group.member"; a window without a
// sample of a series has no figure for it.
std::vector<std::vector<std::pair<std::string, double>>> window_figures(const MonitorData& data,
                                                                        double window_s,
                                                                        std::size_t windows);

// Figures over [t0, t1] s: mean and max of every gauge, increase of every counter, the energy
// (from the counters, not integrated power) and the engine's latency percentiles from the
// histograms' deltas. Output tokens and requests, when given, divide the energy.
MonitorSummary summarize(const MonitorData& data, double t0, double t1,
                         std::optional<double> output_tokens, std::optional<double> requests);

}  // namespace llmbench::monitor
