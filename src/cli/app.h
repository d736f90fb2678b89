#pragma once
// Shared pieces of the commands: exit codes, the benchmark pipeline used by `run` and
// `demo`, and the one process-wide object, the signal → cancellation bridge.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/engine_info.h"
#include "core/run_spec.h"
#include "metrics/slo.h"
#include "net/http_client.h"
#include "report/report.h"
#include "runner/runner.h"
#include "workload/arrival.h"

namespace llmbench::cli {

enum ExitCode : int {
  kExitOk = 0,
  kExitCheckFailed = 1,
  kExitUsage = 2,
  kExitUnreachable = 3,
  kExitInterrupted = 130,
};

// An error that ends the command with `code` after printing `message` on one line.
struct CommandError {
  int code;
  std::string message;
};

// What `run` and `demo` need to execute and report one benchmark.
struct BenchmarkJob {
  ResolvedRunSpec spec;  // spec.engine is resolved (never "auto"), spec.api an --api value
  std::optional<EngineInfo> engine_info;
  std::optional<std::string> keep_alive;  // Ollama
  std::vector<net::Header> headers;       // from an engine config
  net::Timeouts timeouts;
  // Open loop (spec.load_mode "open_loop"): the arrival process, or a trace's offsets.
  std::optional<workload::ArrivalOptions> arrival;
  std::vector<double> trace;
  runner::PhaseLimit warmup;
  runner::PhaseLimit cooldown;
  runner::RetryPolicy retry;
  std::optional<runner::ErrorLimit> error_limit;
  std::vector<metrics::Slo> slos;
  report::RequestDetail request_detail = report::RequestDetail::kFull;
  std::optional<std::string> api_key;  // never printed or written
  std::vector<std::string> command_line;
  std::filesystem::path output_json;
  std::optional<std::filesystem::path> requests_csv;
  std::optional<std::filesystem::path> summary_csv;
  bool progress = true;
  bool quiet = false;
};

// Runs the job: checks the engine is reachable, runs, prints the summary, writes results.
// Returns the exit code (0, 3 or 130) or throws CommandError.
int run_benchmark(const BenchmarkJob& job);

// Installs SIGINT/SIGTERM handling for the lifetime of the object: the first signal calls
// `on_signal` (on a private thread), so long operations can stop cleanly.
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

// The engine behind a URL: `requested` as given, or, for "auto", what detection found (the
// probes' answers are kept for the result). Throws CommandError(3) when unreachable.
struct ResolvedEngine {
  std::string engine;  // never "auto"
  std::optional<EngineInfo> info;
};
ResolvedEngine resolve_engine(const std::string& url, const std::string& requested,
                              bool tls_verify);

// Engines that honour ignore_eos, so a run can demand exact output lengths (M35).
bool forces_exact_length(std::string_view engine);

std::string default_output_path(std::string_view engine);
// UTC now as 20261130T051500Z, for file names.
std::string timestamp_for_files();
std::string iso8601_now();
std::string hostname();

}  // namespace llmbench::cli
