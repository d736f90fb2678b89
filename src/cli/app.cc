#include "cli/app.h"

#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
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
#include "store/results_db.h"

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
  if (result.history_id && !quiet) {
    out << fmt::format("stored as run {} in {} (llmbench history show {})\n", *result.history_id,
                       run.spec.history_db->string(), *result.history_id);
  }
  out << std::flush;
  for (const std::string& error : result.write_errors) std::cerr << "llmbench: " << error << "\n";
  // The run is in its result files all the same: a warning, never a different exit code.
  if (!result.history_error.empty()) {
    std::cerr << "llmbench: warning: the run was not stored in the results history: "
              << redact(result.history_error) << "\n";
  }
  return {result.exit_code, result.written, result.write_errors};
}

int run_and_print(const app::ResolvedRun& run, bool quiet, bool progress) {
  app::CancellationToken cancel;
  const SignalBridge signals([&cancel] { cancel.cancel(); });
  return run_and_print(run, quiet, progress, cancel).exit_code;
}

void add_history_options(CLI::App* cmd, std::string* db, bool* no_store) {
  cmd->add_option("--db", *db,
                  "Store the run in this results history database (default "
                  "$XDG_DATA_HOME/llmbench/results.db, else ~/.local/share/llmbench/results.db)");
  cmd->add_flag("--no-store", *no_store, "Do not store the run in the results history");
}

std::optional<std::filesystem::path> history_db(const std::string& db, bool no_store) {
  if (no_store && !db.empty()) {
    throw CommandError{kExitUsage, "--no-store and --db " + db + ": give one of them"};
  }
  if (no_store) return std::nullopt;
  return db.empty() ? store::default_db_path() : std::filesystem::path(db);
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
