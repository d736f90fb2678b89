// `llmbench monitor`: the monitors' readings live, without a benchmark (docs/monitors.md).

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <iostream>
#include <mutex>

#include "app/monitoring.h"
#include "app/resolve.h"
#include "app/secrets.h"
#include "cli/app.h"
#include "cli/commands.h"
#include "core/duration_text.h"
#include "report/output_file.h"
#include "report/report.h"

namespace llmbench::cli {

namespace {

struct MonitorArgs {
  std::string url;
  std::string engine = "auto";
  std::string duration;
  std::string interval = "100ms";
  std::string scrape_interval = "1s";
  std::string refresh = "1s";
  std::string metrics_url;
  std::string engine_pid;
  std::string output;
  bool no_gpu = false;
  bool insecure = false;
};

Duration duration_of(std::string_view option, const std::string& text) {
  auto d = parse_duration(text);
  if (!d) throw CommandError{kExitUsage, std::string(option) + ": " + d.error().message};
  return *d;
}

std::size_t terminal_width() {
  winsize size{};
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return 0;
}

}  // namespace

Action add_monitor_command(CLI::App& app) {
  auto args = std::make_shared<MonitorArgs>();
  CLI::App* cmd = app.add_subcommand(
      "monitor", "The GPUs, the host, the engine's process and /metrics, live, without a run");
  cmd->footer(
      "Examples:\n"
      "  llmbench monitor                                   # GPUs and host until Ctrl-C\n"
      "  llmbench monitor --url http://localhost:8000 --duration 5s\n"
      "  llmbench monitor --url http://localhost:8080 --engine-pid 4242 --output m.json\n"
      "  llmbench monitor --url http://tgi:8080 --metrics-url http://tgi:9000/metrics\n");
  cmd->add_option("--url", args->url,
                  "The engine: its /metrics (Ollama: /api/ps) and, when local, its process");
  cmd->add_option("--engine", args->engine,
                  "auto, openai, vllm, llamacpp, sglang, tgi, ollama (the metric names' dialect)")
      ->capture_default_str();
  cmd->add_option("--duration,-d", args->duration, "Stop after this long (default: Ctrl-C)");
  cmd->add_option("--monitor-interval", args->interval,
                  "Sample the GPUs, the host and the engine's process this often (10ms-1h)")
      ->capture_default_str();
  cmd->add_option("--scrape-interval", args->scrape_interval,
                  "Scrape the engine's metrics this often (100ms-1h)")
      ->capture_default_str();
  cmd->add_option("--refresh", args->refresh, "Redraw the table this often (100ms-1h)")
      ->capture_default_str();
  cmd->add_option("--metrics-url", args->metrics_url,
                  "The engine's Prometheus metrics, when not at the URL's /metrics");
  cmd->add_option("--engine-pid", args->engine_pid,
                  "The engine's process (default: the one listening on the URL's port)");
  cmd->add_option("--output,-o", args->output,
                  "Write every reading and their summary here (JSON) at the end");
  cmd->add_flag("--no-gpu-monitor", args->no_gpu, "Do not read the GPUs (NVML)");
  cmd->add_flag("--insecure", args->insecure, "Do not verify TLS certificates");
  return [args]() -> int {
    const MonitorArgs& a = *args;
    // Every option is checked before anything is opened or sent.
    app::RunSpec spec;
    spec.tls_verify = !a.insecure;
    spec.monitors.gpu = !a.no_gpu;
    spec.monitors.interval = duration_of("--monitor-interval", a.interval);
    spec.monitors.scrape_interval = duration_of("--scrape-interval", a.scrape_interval);
    app::check_bound(app::bounds::kMonitorInterval, to_seconds(spec.monitors.interval));
    app::check_bound(app::bounds::kScrapeInterval, to_seconds(spec.monitors.scrape_interval));
    const Duration refresh = duration_of("--refresh", a.refresh);
    app::check_bound({"--refresh", 0.1, 3600, "s"}, to_seconds(refresh));
    std::optional<Duration> duration;
    if (!a.duration.empty()) {
      duration = duration_of("--duration", a.duration);
      app::check_bound(app::bounds::kDuration, to_seconds(*duration));
    }
    if (!a.engine_pid.empty()) {
      spec.monitors.engine_pid = app::parse_whole(app::bounds::kEnginePid, a.engine_pid);
    }
    if (!a.metrics_url.empty()) {
      auto url = net::parse_url(a.metrics_url);
      if (!url) throw CommandError{kExitUsage, "--metrics-url: " + url.error().message};
      spec.monitors.metrics_url = std::move(*url);
    }
    if (spec.monitors.metrics_url) {  // its query kept out of every message
      app::register_secrets(std::nullopt, {}, *spec.monitors.metrics_url);
    }
    if (const char* library = std::getenv("LLMBENCH_NVML_LIBRARY"); library && *library) {
      spec.monitors.nvml_library = library;
    }
    if (!a.output.empty()) {
      if (auto checked = report::check_output(a.output); !checked) {
        throw CommandError{kExitUsage, "--output: " + checked.error().message};
      }
    }
    std::string engine;
    if (!a.url.empty()) {
      const ResolvedEngine found = resolve_engine(a.url, a.engine, !a.insecure);
      engine = found.engine;
      spec.url = *net::parse_url(a.url);
    } else {
      spec.monitors.scrape = spec.monitors.metrics_url.has_value();
      if (a.engine != "auto") engine = a.engine;
    }
    monitor::MonitorOptions options = app::monitor_options(spec, engine);
    if (a.url.empty()) options.engine_url.reset();

    std::mutex mutex;
    std::condition_variable wake;
    std::atomic<bool> stop{false};
    SignalBridge signals([&] {
      stop = true;
      wake.notify_all();
    });
    const TimePoint origin = SteadyClock::now();
    monitor::ResourceMonitor monitors(options, origin);
    std::cerr << app::describe_monitors(monitors.status()) << "\n";
    monitors.start();
    const bool tty = isatty(STDOUT_FILENO) != 0;
    std::size_t drawn_lines = 0;
    auto next = origin + refresh;
    for (;;) {
      {
        std::unique_lock lock(mutex);
        const TimePoint until = duration ? std::min(next, origin + *duration) : next;
        wake.wait_until(lock, until, [&] { return stop.load(); });
      }
      const TimePoint now = SteadyClock::now();
      const bool done = stop || (duration && now >= origin + *duration);
      std::vector<report::MonitorRow> rows;
      for (const monitor::LiveReading& r : monitors.latest()) {
        if (r.name.starts_with("host_core_percent.")) continue;  // the busiest core is shown
        rows.push_back({r.name, r.unit, r.value});
      }
      const std::string table =
          report::monitor_table(rows, to_seconds(now - origin), tty ? terminal_width() : 0);
      if (tty && drawn_lines > 0) std::cout << "\x1b[" << drawn_lines << "F\x1b[J";
      std::cout << table << std::flush;
      drawn_lines = static_cast<std::size_t>(std::count(table.begin(), table.end(), '\n'));
      if (done) break;
      next += refresh;
    }
    MonitorData data = monitors.stop();
    const double end = to_seconds(SteadyClock::now() - origin);
    // From the first sample: a counter's increase needs readings at both ends of the span.
    double first = end;
    for (const MonitorSeries& series : data.series) {
      if (!series.points.empty()) first = std::min(first, series.points.front().t);
    }
    const MonitorSummary summary = monitor::summarize(data, first, end, std::nullopt, std::nullopt);
    if (!a.output.empty()) {
      if (auto written = report::write_output(a.output, report::monitor_json(data, summary));
          !written) {
        std::cerr << "error: " << written.error().message << "\n";
        return app::kExitNotWritten;
      }
      std::cerr << "wrote " << a.output << "\n";
    }
    return signals.fired() ? kExitInterrupted : kExitOk;
  };
}

}  // namespace llmbench::cli
