#include "cli/app.h"

#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <iostream>
#include <thread>

#include "engines/openai.h"
#include "engines/registry.h"
#include "metrics/summary.h"
#include "report/report.h"
#include "runner/discovery.h"
#include "runner/runner.h"
#include "workload/workload.h"

#ifndef LLMBENCH_VERSION
#define LLMBENCH_VERSION "0.0.0"
#endif
#ifndef LLMBENCH_GIT_SHA
#define LLMBENCH_GIT_SHA "unknown"
#endif

namespace llmbench::cli {

namespace asio = boost::asio;

struct SignalBridge::Impl {
  asio::io_context io;
  asio::signal_set signals{io, SIGINT, SIGTERM};
  std::atomic<bool> fired{false};
  std::thread thread;
};

SignalBridge::SignalBridge(std::function<void()> on_signal) : impl_(std::make_unique<Impl>()) {
  impl_->signals.async_wait(
      [this, on_signal = std::move(on_signal)](const boost::system::error_code& ec, int) {
        if (ec) return;
        impl_->fired = true;
        on_signal();
      });
  impl_->thread = std::thread([this] { impl_->io.run(); });
}

SignalBridge::~SignalBridge() {
  impl_->io.stop();
  impl_->thread.join();
}

bool SignalBridge::fired() const { return impl_->fired.load(); }

std::string iso8601_now() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buffer;
}

std::string hostname() {
  char buffer[256] = {};
  if (gethostname(buffer, sizeof buffer - 1) != 0) return "unknown";
  return buffer;
}

std::string default_output_path(std::string_view engine) {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &utc);
  return fmt::format("results/{}-{}.json", stamp, engine);
}

namespace {

// Counts finished requests for the progress line while keeping every record.
class ProgressSink final : public RecordSink {
 public:
  void consume(RequestRecord&& record) override {
    if (!record.ok()) failed_.fetch_add(1, std::memory_order_relaxed);
    done_.fetch_add(1, std::memory_order_relaxed);
    inner_.consume(std::move(record));
  }
  std::uint64_t done() const { return done_.load(std::memory_order_relaxed); }
  std::uint64_t failed() const { return failed_.load(std::memory_order_relaxed); }
  std::vector<RequestRecord> take() { return inner_.take(); }

 private:
  runner::MemorySink inner_;
  std::atomic<std::uint64_t> done_{0};
  std::atomic<std::uint64_t> failed_{0};
};

}  // namespace

ResolvedEngine resolve_engine(const std::string& url_text, const std::string& requested,
                              bool tls_verify) {
  auto url = net::parse_url(url_text);
  if (!url) throw CommandError{kExitUsage, "--url: " + url.error().message};
  auto kind = engines::parse_engine_kind(requested);
  if (!kind) throw CommandError{kExitUsage, "--engine: " + kind.error().message};
  net::TlsOptions tls;
  tls.verify = tls_verify;
  if (*kind != engines::EngineKind::kAuto) {
    if (auto reachable = net::probe_reachable(*url, std::chrono::seconds(5), tls); !reachable) {
      throw CommandError{kExitUnreachable, reachable.error().message};
    }
    return {requested, std::nullopt};
  }
  auto info = runner::discover_engine(*url, tls, std::chrono::seconds(5));
  if (!info) throw CommandError{kExitUnreachable, info.error().message};
  return {info->engine, *info};
}

bool forces_exact_length(std::string_view engine) {
  return engine == "vllm" || engine == "llamacpp" || engine == "sglang";
}

int run_benchmark(const BenchmarkJob& job) {
  const ResolvedRunSpec& spec = job.spec;
  auto url = net::parse_url(spec.url);
  if (!url) throw CommandError{kExitUsage, url.error().message};

  net::TlsOptions tls;
  tls.verify = spec.tls_verify;
  if (auto reachable = net::probe_reachable(*url, std::chrono::seconds(5), tls); !reachable) {
    throw CommandError{kExitUnreachable, reachable.error().message};
  }

  auto kind = engines::parse_engine_kind(spec.engine);
  if (!kind) throw CommandError{kExitUsage, kind.error().message};
  auto api = engines::parse_api_choice(spec.api);
  if (!api) throw CommandError{kExitUsage, "--api: " + api.error().message};
  engines::EngineOptions engine_options;
  engine_options.kind = *kind;
  engine_options.route = api->route;
  engine_options.base_path = api->route == engines::RouteFamily::kOpenAi
                                 ? url->base_path
                                 : engines::strip_v1_suffix(url->base_path);
  engine_options.api_key = job.api_key;
  engine_options.keep_alive = job.keep_alive;
  engine_options.headers = job.headers;
  const auto engine = engines::make_engine(engine_options);

  workload::SyntheticOptions workload_options;
  workload_options.model = spec.model;
  workload_options.api = api->api;
  workload_options.prompt_tokens = spec.prompt_tokens;
  workload_options.max_tokens = spec.max_tokens;
  workload_options.stream = spec.stream;
  workload_options.ignore_eos = spec.ignore_eos;
  workload_options.temperature = spec.temperature;
  workload_options.seed = spec.seed;
  const workload::SyntheticWorkload workload(workload_options);

  runner::RunOptions run_options;
  run_options.url = *url;
  run_options.concurrency = spec.concurrency;
  run_options.requests = spec.requests;
  if (spec.duration) {
    run_options.duration =
        std::chrono::duration_cast<Duration>(std::chrono::duration<double>(*spec.duration));
  }
  run_options.threads = spec.threads;
  run_options.timeouts = job.timeouts;
  run_options.tls = tls;

  SteadyClockSource clock;
  ProgressSink sink;
  runner::Runner runner(run_options, *engine, workload, sink, clock);

  report::RunReport report;
  report.context.tool_version = LLMBENCH_VERSION;
  report.context.git_sha = LLMBENCH_GIT_SHA;
  report.context.host = hostname();
  report.context.started_at = iso8601_now();
  report.context.command_line = job.command_line;
  report.context.clock_resolution = measure_clock_resolution();
  report.context.cpu_count = static_cast<int>(std::thread::hardware_concurrency());
  report.spec = spec;
  report.engine = job.engine_info;

  SignalBridge signals([&runner] { runner.cancel(); });

  // Live progress on stderr, only for a terminal.
  std::mutex progress_mutex;
  std::condition_variable progress_cv;
  bool progress_stop = false;
  std::thread progress;
  const bool show_progress = job.progress && !job.quiet && isatty(STDERR_FILENO);
  if (show_progress) {
    progress = std::thread([&] {
      std::unique_lock lock(progress_mutex);
      while (!progress_cv.wait_for(lock, std::chrono::milliseconds(500),
                                   [&] { return progress_stop; })) {
        const std::string total = spec.requests ? std::to_string(*spec.requests) : "?";
        std::cerr << fmt::format("\r{} / {} requests done, {} failed   ", sink.done(), total,
                                 sink.failed())
                  << std::flush;
      }
      std::cerr << "\r" << std::string(60, ' ') << "\r" << std::flush;
    });
  }

  auto times = runner.run();
  if (show_progress) {
    {
      std::lock_guard lock(progress_mutex);
      progress_stop = true;
    }
    progress_cv.notify_all();
    progress.join();
  }
  if (!times) throw CommandError{kExitUnreachable, times.error().message};

  report.origin = times->started;
  report.interrupted = times->cancelled || signals.fired();
  report.records = sink.take();
  report.per_request.reserve(report.records.size());
  const bool forced = spec.ignore_eos && forces_exact_length(spec.engine);
  for (const RequestRecord& r : report.records) {
    report.per_request.push_back(metrics::derive(r, forced));
  }
  report.summary = metrics::summarize(report.records, times->started, forced);
  if (!forces_exact_length(spec.engine)) {
    report.warnings.push_back(spec.engine +
                              " cannot be told to ignore end-of-sequence: output "
                              "lengths are whatever it generated (see output_tokens per request)");
  }
  if (report.summary.requests > 0 && report.summary.failed == report.summary.requests) {
    report.warnings.push_back("every request failed; see the errors above and in the result file");
  }

  if (!job.quiet) report::print_summary(std::cout, report);

  auto write = [&](const std::filesystem::path& path, const std::string& content) {
    if (auto written = report::write_file_atomically(path, content); !written) {
      throw CommandError{kExitUsage, written.error().message};
    }
    if (!job.quiet) std::cout << "wrote " << path.string() << "\n";
  };
  write(job.output_json, report::to_json(report));
  if (job.requests_csv) write(*job.requests_csv, report::requests_csv(report));
  if (job.summary_csv) write(*job.summary_csv, report::summary_csv(report));
  std::cout << std::flush;
  return report.interrupted ? kExitInterrupted : kExitOk;
}

}  // namespace llmbench::cli
