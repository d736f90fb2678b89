#include "cli/app.h"

#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <ctime>
#include <iostream>
#include <mutex>
#include <thread>

#include "app/benchmark.h"
#include "app/plan.h"
#include "core/redact.h"
#include "engines/registry.h"
#include "net/url.h"
#include "report/report.h"

namespace llmbench::cli {

namespace asio = boost::asio;

struct SignalBridge::Impl {
  asio::io_context io;
  asio::signal_set signals{io, SIGINT, SIGTERM, SIGHUP};
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

// The live line: a thread that redraws until stopped (or destroyed, so an exception cannot
// leave it running).
struct TerminalObserver::Line {
  std::mutex mutex;
  std::condition_variable cv;
  bool stop = false;
  std::thread thread;

  explicit Line(const app::RunProgress& progress) {
    thread = std::thread([this, &progress] {
      std::unique_lock lock(mutex);
      while (!cv.wait_for(lock, std::chrono::milliseconds(500), [this] { return stop; })) {
        std::cerr << fmt::format("\r{} requests done, {} failed   ", progress.done(),
                                 progress.failed())
                  << std::flush;
      }
      std::cerr << "\r" << std::string(60, ' ') << "\r" << std::flush;
    });
  }
  ~Line() {
    {
      std::lock_guard lock(mutex);
      stop = true;
    }
    cv.notify_all();
    thread.join();
  }
};

TerminalObserver::TerminalObserver(bool quiet, bool progress)
    : quiet_(quiet), progress_(progress && !quiet && isatty(STDERR_FILENO)) {}

TerminalObserver::~TerminalObserver() = default;

void TerminalObserver::note(std::string_view line) {
  if (!quiet_) std::cerr << redact(line) << "\n";
}

void TerminalObserver::started(const app::RunProgress& progress) {
  if (progress_) line_ = std::make_unique<Line>(progress);
}

void TerminalObserver::finished() { line_.reset(); }

PrintedRun run_and_print(const app::ResolvedRun& run, bool quiet, bool progress,
                         app::CancellationToken& cancel) {
  TerminalObserver observer(quiet, progress);
  const app::BenchmarkResult result = app::run_benchmark(run, cancel, observer);
  // With an output on stdout, stdout is that file's alone. A closed stdout (EPIPE; SIGPIPE is
  // ignored) only fails these prints: the files are written all the same.
  std::ostream& out = app::writes_to_stdout(run.spec.outputs) ? std::cerr : std::cout;
  if (!quiet) {
    report::print_summary(out, result.report);
    for (const auto& path : result.written) out << "wrote " << path.string() << "\n";
  }
  out << std::flush;
  for (const std::string& error : result.write_errors) std::cerr << "llmbench: " << error << "\n";
  return {result.exit_code, result.written, result.write_errors};
}

int run_and_print(const app::ResolvedRun& run, bool quiet, bool progress) {
  app::CancellationToken cancel;
  const SignalBridge signals([&cancel] { cancel.cancel(); });
  return run_and_print(run, quiet, progress, cancel).exit_code;
}

ResolvedEngine resolve_engine(const std::string& url_text, const std::string& requested,
                              bool tls_verify) {
  auto url = net::parse_url(url_text);
  if (!url) throw CommandError{kExitUsage, "--url: " + url.error().message};
  auto kind = engines::parse_engine_kind(requested);
  if (!kind) throw CommandError{kExitUsage, "--engine: " + kind.error().message};
  net::TlsOptions tls;
  tls.verify = tls_verify;
  app::NetworkDiscovery discovery;
  app::IdentifiedEngine found = app::identify_engine(*url, *kind, tls, discovery);
  return {std::string(engines::to_string(found.kind)), std::move(found.info)};
}

}  // namespace llmbench::cli
