#include "cli/app.h"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <ctime>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "app/benchmark.h"
#include "app/plan.h"
#include "core/duration_text.h"
#include "core/redact.h"
#include "engines/registry.h"
#include "metrics/ollama_figures.h"
#include "net/url.h"
#include "report/live_dashboard.h"
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

std::string iso8601_now() { return app::utc_now_iso8601(); }

namespace {

// The terminal's width in columns (stderr's), re-read at every redraw so that a resize is
// followed; 80 when it cannot be read.
std::size_t terminal_width() {
  winsize size{};
  if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return 80;
}

// At most 4 redraws a second.
constexpr auto kRedrawEvery = std::chrono::milliseconds(250);

}  // namespace

// The live progress: a thread that redraws until stopped (or destroyed, so an exception cannot
// leave it running). Everything it writes, and the notes printed while it runs, go through
// `mutex`, so a note never lands inside a half-drawn dashboard.
struct TerminalObserver::Line {
  std::mutex mutex;
  std::condition_variable cv;
  bool stop = false;
  std::thread thread;
  // On a terminal: the columns of each line drawn last.
  std::vector<std::size_t> drawn;

  Line(const app::RunProgress& progress, const ProgressOptions& options, bool tty) {
    thread = std::thread([this, &progress, options, tty] {
      std::unique_lock lock(mutex);
      const auto every = tty ? kRedrawEvery : options.plain_interval;
      while (!cv.wait_for(lock, every, [this] { return stop; })) {
        metrics::LiveSnapshot s = progress.snapshot();
        s.run = options.run;
        if (tty) {
          // One column short of the width: a line filling the last column leaves some
          // terminals waiting to wrap, and the next "cursor up" would count a row too few.
          const std::size_t width = terminal_width();
          draw(report::dashboard_lines(s, width > 1 ? width - 1 : 1), width);
        } else {
          std::cerr << report::progress_line(s) << "\n" << std::flush;
        }
      }
      if (tty) erase();
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
  Line(const Line&) = delete;
  Line& operator=(const Line&) = delete;

  // Rows the last drawing takes now: a terminal that reflows on a resize wraps a line drawn
  // wider than the new width onto several rows.
  [[nodiscard]] std::size_t drawn_rows(std::size_t width) const {
    std::size_t rows = 0;
    for (const std::size_t columns : drawn)
      rows += std::max<std::size_t>(1, (columns + width - 1) / width);
    return rows;
  }

  // Back to the first row of the last drawing (mutex held).
  [[nodiscard]] std::string home(std::size_t width) const {
    const std::size_t rows = drawn_rows(width);
    return rows == 0 ? std::string("\r") : fmt::format("\r\x1b[{}A", rows);
  }

  // `lines` already fit `width` (mutex held).
  void draw(const std::vector<std::string>& lines, std::size_t width) {
    std::string out = home(width);
    drawn.clear();
    for (const std::string& line : lines) {
      out += "\x1b[2K";
      out += line;
      out += '\n';
      drawn.push_back(report::display_columns(line));
    }
    out += "\x1b[J";  // a shorter dashboard leaves nothing of the longer one below it
    std::cerr << out << std::flush;
  }

  void erase() {
    if (drawn.empty()) return;
    std::cerr << home(terminal_width()) << "\x1b[J" << std::flush;
    drawn.clear();
  }

  // A note while the dashboard is up: the dashboard goes, the note stays, the next redraw
  // draws it again below.
  void print_above(std::string_view text) {
    std::lock_guard lock(mutex);
    erase();
    std::cerr << text << "\n" << std::flush;
  }
};

void add_progress_interval_option(CLI::App* cmd, std::string* text) {
  cmd->add_option(
      "--progress-interval", *text,
      fmt::format("When stderr is not a terminal, a progress line this often "
                  "(default {}; {}s to {}s); a terminal gets a live dashboard",
                  format_duration(kDefaultProgressInterval), app::bounds::kProgressInterval.min,
                  app::bounds::kProgressInterval.max));
}

Duration progress_interval(const std::string& text) {
  if (text.empty()) return kDefaultProgressInterval;
  auto d = parse_duration(text);
  if (!d) throw CommandError{kExitUsage, "--progress-interval: " + d.error().message};
  app::check_bound(app::bounds::kProgressInterval, to_seconds(*d));
  return *d;
}

namespace {
ProgressOptions no_progress() {
  ProgressOptions none;
  none.enabled = false;
  return none;
}
}  // namespace

TerminalObserver::TerminalObserver(bool quiet) : TerminalObserver(quiet, no_progress()) {}

TerminalObserver::TerminalObserver(bool quiet, ProgressOptions progress)
    : quiet_(quiet), progress_(std::move(progress)), tty_(isatty(STDERR_FILENO) != 0) {}

TerminalObserver::~TerminalObserver() = default;

void TerminalObserver::note(std::string_view line) {
  if (quiet_) return;
  if (line_) {
    line_->print_above(redact(line));
  } else {
    std::cerr << redact(line) << "\n";
  }
}

void TerminalObserver::started(const app::RunProgress& progress) {
  if (progress_.enabled) line_ = std::make_unique<Line>(progress, progress_, tty_);
}

void TerminalObserver::finished() { line_.reset(); }

PrintedRun run_and_print(const app::ResolvedRun& run, bool quiet, const ProgressOptions& progress,
                         app::CancellationToken& cancel, bool verbose) {
  TerminalObserver observer(quiet, progress);
  const app::BenchmarkResult result = app::run_benchmark(run, cancel, observer);
  // With an output on stdout, stdout is that file's alone. A closed stdout (EPIPE; SIGPIPE is
  // ignored) only fails these prints: the files are written all the same.
  std::ostream& out = app::writes_to_stdout(run.spec.outputs) ? std::cerr : std::cout;
  if (!quiet) {
    report::print_summary(out, result.report);
    if (verbose) {
      out << "\nper successful request, mean (as ollama run --verbose shows it):\n"
          << report::ollama_verbose_block(metrics::ollama_figures(result.report.summary));
    }
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

int run_and_print(const app::ResolvedRun& run, bool quiet, const ProgressOptions& progress,
                  bool verbose) {
  app::CancellationToken cancel;
  const SignalBridge signals([&cancel] { cancel.cancel(); });
  return run_and_print(run, quiet, progress, cancel, verbose).exit_code;
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
