#pragma once
// What the commands share: the exit codes and Failure of the core (app/outcome.h), the one
// process-wide object — the signal → cancellation bridge — and the terminal observer that
// prints the core's notes and the live progress line.

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/cancellation.h"
#include "app/observer.h"
#include "app/outcome.h"
#include "app/resolve.h"
#include "core/clock.h"
#include "core/engine_info.h"
#include "metrics/live.h"

namespace CLI {
class App;
}

namespace llmbench::cli {

using app::kExitAllFailed;
using app::kExitCheckFailed;
using app::kExitInterrupted;
using app::kExitOk;
using app::kExitUnreachable;
using app::kExitUsage;
using CommandError = app::Failure;

// Installs SIGINT/SIGTERM/SIGHUP handling for the lifetime of the object: the first signal
// calls `on_signal` (on a private thread), so long operations can stop cleanly.
class SignalBridge {
 public:
  explicit SignalBridge(std::function<void()> on_signal);
  ~SignalBridge();
  SignalBridge(const SignalBridge&) = delete;
  SignalBridge& operator=(const SignalBridge&) = delete;
  [[nodiscard]] bool fired() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// --progress-interval's default: a plain progress line this often when stderr is not a
// terminal (a run shorter than this prints none).
inline constexpr Duration kDefaultProgressInterval = std::chrono::seconds(10);

// How a run shows its progress on stderr.
struct ProgressOptions {
  bool enabled = true;  // false with --no-progress or --quiet
  // Not a terminal: one plain line this often.
  Duration plain_interval = kDefaultProgressInterval;
  // A suite's run: which one, for the dashboard's first line.
  std::optional<metrics::LiveRunPosition> run;
};

// --progress-interval D on `cmd` (run, demo, suite), and its text → a duration, checked
// against app::bounds::kProgressInterval. Throws CommandError(2).
void add_progress_interval_option(CLI::App* cmd, std::string* text);
Duration progress_interval(const std::string& text);

// Prints the core's notes on stderr (unless quiet) and, while a run goes, its progress: on a
// terminal a dashboard redrawn in place at most 4 times a second (report/live_dashboard.h),
// erased when the run ends; otherwise one plain line every plain_interval.
class TerminalObserver final : public app::RunObserver {
 public:
  explicit TerminalObserver(bool quiet);  // notes only
  TerminalObserver(bool quiet, ProgressOptions progress);
  ~TerminalObserver() override;
  TerminalObserver(const TerminalObserver&) = delete;
  TerminalObserver& operator=(const TerminalObserver&) = delete;
  void note(std::string_view line) override;
  void started(const app::RunProgress& progress) override;
  void finished() override;

 private:
  bool quiet_;
  ProgressOptions progress_;
  bool tty_;
  struct Line;
  std::unique_ptr<Line> line_;
};

// Runs one resolved benchmark with Ctrl-C/SIGTERM/SIGHUP cancelling it, prints the summary
// and the files written (on stderr when an output is stdout), and each output that could not
// be written as "llmbench: cannot write …" on stderr; returns the exit code.
// `verbose`: the run's figures the way `ollama run --verbose` prints them follow the summary.
int run_and_print(const app::ResolvedRun& run, bool quiet, const ProgressOptions& progress,
                  bool verbose = false);

// The same with the caller's token (a suite cancels all its runs with one SignalBridge).
struct PrintedRun {
  int exit_code = kExitOk;
  std::vector<std::filesystem::path> written;
  std::vector<std::string> errors;  // outputs not written
};
PrintedRun run_and_print(const app::ResolvedRun& run, bool quiet, const ProgressOptions& progress,
                         app::CancellationToken& cancel, bool verbose = false);

// The engine behind a URL (for the inspection commands): `requested` as given, or what
// detection found for "auto". Throws CommandError(2) for a bad URL or name, (3) when
// unreachable.
struct ResolvedEngine {
  std::string engine;  // never "auto"
  std::optional<EngineInfo> info;
};
ResolvedEngine resolve_engine(const std::string& url, const std::string& requested,
                              bool tls_verify);

std::string iso8601_now();

// --db PATH and --no-store (run, demo; a suite passes them to its runs).
void add_history_options(CLI::App* cmd, std::string* db, bool* no_store);
// Where a run is stored: --db, else the default database (store::default_db_path(), which
// reads XDG_DATA_HOME and HOME here, in cli/), or nowhere with --no-store. Throws
// CommandError(2) when both are given.
std::optional<std::filesystem::path> history_db(const std::string& db, bool no_store);

}  // namespace llmbench::cli
