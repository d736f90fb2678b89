#include "app/monitoring.h"

#include <fmt/format.h>

#include <utility>

namespace llmbench::app {

monitor::MonitorOptions monitor_options(const RunSpec& spec, const std::string& engine) {
  const MonitorSpec& m = spec.monitors;
  monitor::MonitorOptions options;
  options.interval = m.interval;
  options.gpu = m.gpu;
  options.nvml_library = m.nvml_library;
  options.engine_url = spec.url;
  if (m.engine_pid) options.engine_pid = static_cast<pid_t>(*m.engine_pid);
  options.engine = engine;
  options.scrape_interval = m.scrape_interval;
  options.tls.verify = spec.tls_verify;
  if (m.scrape) {
    if (m.metrics_url) {
      options.metrics_url = *m.metrics_url;
    } else {
      // The metrics are served at the server's root, whatever base path its API has.
      net::Url url = spec.url;
      url.base_path = engine == "ollama" ? "/api/ps" : "/metrics";
      url.query.clear();
      options.metrics_url = std::move(url);
      // The engine's own headers (an API key a proxy in front of it checks) go with a scrape
      // of its own URL, never to another one.
      options.metrics_headers = spec.headers;
      if (spec.api_key)
        options.metrics_headers.push_back({"Authorization", "Bearer " + *spec.api_key});
    }
  }
  return options;
}

std::string describe_monitors(const std::vector<MonitorStatus>& status) {
  std::vector<std::string> parts;
  parts.reserve(status.size());
  for (const MonitorStatus& s : status) {
    parts.push_back(s.available ? s.monitor + ": " + s.detail : s.detail);
  }
  return fmt::format("monitors: {}", fmt::join(parts, " · "));
}

void shift_times(MonitorData& data, double seconds) {
  for (MonitorSeries& series : data.series) {
    for (MonitorPoint& p : series.points) p.t += seconds;
  }
  for (MonitorHistogram& h : data.histograms) {
    for (HistogramSnapshot& s : h.snapshots) s.t += seconds;
  }
}

namespace {

std::optional<double> output_tokens_of(const metrics::RunSummary& s) {
  if (s.duration <= 0) return std::nullopt;
  return s.output_token_throughput * s.duration;
}

std::optional<double> requests_of(const metrics::RunSummary& s) {
  if (s.succeeded == 0) return std::nullopt;
  return static_cast<double>(s.succeeded);
}

}  // namespace

void attach_monitors(report::RunReport& report, MonitorData data,
                     const std::optional<MonitorSpan>& run_span,
                     const std::vector<std::optional<MonitorSpan>>& level_spans) {
  report.monitor_windows =
      monitor::window_figures(data, report.summary.window, report.summary.time_series.size());
  if (run_span) {
    report.monitor_summary =
        monitor::summarize(data, run_span->t0, run_span->t1, output_tokens_of(report.summary),
                           requests_of(report.summary));
  }
  for (std::size_t i = 0; i < report.levels.size() && i < level_spans.size(); ++i) {
    if (!level_spans[i]) continue;
    report::LevelReport& level = report.levels[i];
    level.monitors =
        monitor::summarize(data, level_spans[i]->t0, level_spans[i]->t1,
                           output_tokens_of(level.summary), requests_of(level.summary));
  }
  for (const std::string& warning : data.warnings) report.warnings.push_back("monitor: " + warning);
  report.monitors = std::move(data);
}

}  // namespace llmbench::app
