#pragma once
// What the monitors read beside a run (docs/monitors.md): named series of samples on the run's
// clock, the engine's histograms as scraped, and what each monitor could not do. Plain values:
// monitor/ fills them, app/ attaches them to a result, report/ writes them.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace llmbench {

struct MonitorPoint {
  double t = 0;  // s from the run's origin (negative: before it, e.g. the idle baseline)
  double value = 0;
};

// One named series. The name is "group.member" ("gpu_power_w.gpu0", "server_requests.waiting"):
// a report draws one chart per group, so a group holds one unit.
struct MonitorSeries {
  std::string name;
  std::string unit;    // "W", "%", "bytes", "bytes/s", "requests", "fraction", "J", "MHz", "°C"
  std::string source;  // "nvml nvmlDeviceGetPowerUsage", "/proc/stat", "vllm:num_requests_waiting"
  // A counter is cumulative (an energy counter, an engine's token count): a window shows its
  // increase over the window, a summary its increase over the run. A gauge is averaged.
  bool counter = false;
  std::vector<MonitorPoint> points;
  // 1 while every sample is kept; k once the series reached its bound and every k-th is kept.
  std::uint32_t stride = 1;
};

// A cumulative histogram as one scrape read it.
struct HistogramSnapshot {
  double t = 0;
  std::vector<std::pair<double, double>> buckets;  // (le, cumulative count), +Inf last
  double sum = 0, count = 0;
};
struct MonitorHistogram {
  std::string name;    // ttft, itl, e2e, queue_time
  std::string family;  // "vllm:time_to_first_token_seconds"
  std::vector<HistogramSnapshot> snapshots;
  std::uint32_t resets = 0;  // the engine's counts went down between scrapes (a restart)
};

// A metric family of the last scrape, kept as the engine exposed it.
struct RawMetricFamily {
  std::string name, type, help;
  struct Sample {
    std::string name;
    std::vector<std::pair<std::string, std::string>> labels;
    double value = 0;
  };
  std::vector<Sample> samples;
};

// Whether a monitor ran, and why not.
struct MonitorStatus {
  std::string monitor;  // gpu, host, engine_process, engine_metrics
  bool available = false;
  std::string detail;  // "NVIDIA H200 (driver 580.159.04)", "GPU monitor not available: …"
};

struct GpuIdentity {
  std::uint32_t index = 0;
  std::string name, uuid;
  std::optional<double> memory_total_bytes, power_limit_w;
};

struct MonitorData {
  double interval_s = 0.1;       // NVML, host and process sampling
  double scrape_interval_s = 1;  // the engine's /metrics
  std::vector<MonitorStatus> status;
  std::vector<GpuIdentity> gpus;
  std::optional<std::int64_t> engine_pid;
  std::string engine_process;   // its command name, and how it was found
  std::string metrics_url;      // redacted
  std::string metrics_dialect;  // vllm, tgi, sglang, llamacpp, ollama
  std::uint64_t scrapes = 0, scrape_failures = 0;
  std::string last_scrape_error;
  std::vector<MonitorSeries> series;
  std::vector<MonitorHistogram> histograms;
  std::vector<RawMetricFamily> families;  // of the last scrape
  std::uint32_t energy_resets = 0;        // GPU energy counters that went down
  // The GPUs' power at rest, measured before the run (--idle-baseline): W summed over GPUs.
  std::optional<double> idle_power_w;
  double idle_baseline_s = 0;
  std::vector<std::string> warnings;

  [[nodiscard]] const MonitorSeries* find(std::string_view name) const {
    for (const MonitorSeries& s : series) {
      if (s.name == name) return &s;
    }
    return nullptr;
  }
};

// Figures over one span of the run (the run's measured requests, or one level's).
struct ResourceFigure {
  std::string name, unit, source;
  std::optional<double> mean, max;  // a gauge
  std::optional<double> increase;   // a counter: its increase over the span
};
struct EnergyFigures {
  double joules = 0;  // every GPU, from the energy counters' difference
  double seconds = 0;
  std::optional<double> average_power_w;
  std::optional<double> joules_per_output_token, joules_per_request, output_tokens_per_joule;
  // With an idle baseline: energy above what the GPUs draw at rest over the same span.
  std::optional<double> idle_power_w, joules_above_idle, joules_above_idle_per_output_token;
  std::uint32_t counter_resets = 0;
  std::string source = "nvml energy counter (nvmlDeviceGetTotalEnergyConsumption)";
};
// The engine's own latency histogram over the span, as percentiles of its bucket deltas.
struct ServerLatency {
  std::string name, family;
  double count = 0;                           // observations in the span
  std::optional<double> mean, p50, p90, p99;  // s
  // The bucket holding each percentile: [lower, upper] s, so a reader sees the resolution.
  std::optional<std::pair<double, double>> p50_bucket, p90_bucket, p99_bucket;
  std::string warning;  // the buckets too coarse to say anything, or ""
};
struct MonitorSummary {
  double t0 = 0, t1 = 0;  // s from the run's origin
  std::vector<ResourceFigure> figures;
  std::optional<EnergyFigures> energy;
  std::vector<ServerLatency> server_latency;
};

}  // namespace llmbench
