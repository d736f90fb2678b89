#pragma once
// The live view of a run in progress: what a dashboard shows while the run goes, as a plain
// value (LiveSnapshot), and the rolling windows it is computed from (LiveWindows). Unlike the
// run's TimeSeries, LiveWindows keeps only the last few windows, so its memory is constant
// however long the run; its figures are for watching, never for a result.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "core/record.h"
#include "metrics/summary.h"
#include "metrics/time_series.h"

namespace llmbench::metrics {

// The load level running now (sweeps and stepped runs).
struct LiveLevel {
  std::uint32_t index = 0;             // 0-based
  std::optional<std::uint32_t> count;  // levels in the run, when known yet
  std::string kind;                    // "synchronous", "throughput", "rate", "concurrency"
  std::optional<int> concurrency;      // closed loop
  std::optional<double> rate;          // open loop at a constant rate, req/s
};

// Which run of a suite this is.
struct LiveRunPosition {
  std::size_t index = 0;  // 0-based
  std::size_t count = 0;
  std::string engine;             // empty when the suite has one engine
  std::optional<int> repetition;  // 1-based, when the suite repeats its runs
};

// Everything a dashboard draws, at one instant. An optional figure is absent when nothing
// measured it (no window completed yet, no request finished in the window): never 0 for
// "unmeasured". Durations in seconds.
struct LiveSnapshot {
  double elapsed = 0;                           // since the run's start (its first level's origin)
  std::uint64_t done = 0;                       // requests finished, every phase and outcome
  std::uint64_t failed = 0;                     // of done, not successful (cancelled included)
  std::uint64_t in_flight = 0;                  // started and not yet finished
  std::optional<std::uint64_t> total_requests;  // the run's requests, when known in advance
  std::optional<double> planned_duration;       // the run's planned length, when known
  bool open_loop = false;                       // the level running now
  double window = 1;                            // s, the width of the windows below
  // Over the last completed window: successful completions and output tokens per second.
  std::optional<double> request_rate;
  std::optional<double> output_token_rate;
  // Over the last completed window, successful requests only.
  std::optional<double> ttft_p50, ttft_p99, itl_p50, itl_p99;
  // Open loop only: p99 of send − scheduled over the requests sent in the last window.
  std::optional<double> schedule_lag_p99;
  // Failed requests so far per category (core/error.h names), in taxonomy order; only
  // categories seen.
  std::vector<std::pair<std::string, std::uint64_t>> errors;
  // CPU time of this process over wall time, in % of one core, over the last sampling period.
  std::optional<double> client_cpu_percent;
  std::optional<LiveLevel> level;
  std::optional<LiveRunPosition> run;
};

// Windows of `window` seconds from `origin`, the last few only. Records are placed by when
// things happened: completions and failures in the window of t_end, output tokens in the
// windows their frames arrived in, TTFT in the window of the first token, ITL gaps in the
// window of the arrival that closed them, schedule lag in the window of the send. A record
// whose window was already dropped (older than kKept windows behind the newest) is counted
// in the error totals only.
// Not thread-safe: one thread adds and fills (the caller serialises).
class LiveWindows {
 public:
  static constexpr std::int64_t kKept = 4;

  LiveWindows(TimePoint origin, double window);

  void add(const RequestRecord& record, const RequestMetrics& metrics);

  // Sets the window figures and errors of `s` from the last window that ended at or before
  // `now` (none before a whole window has passed: the figures stay absent).
  void fill(LiveSnapshot& s, TimePoint now) const;

 private:
  struct Window {
    std::uint64_t completed = 0;  // successful
    std::int64_t output_tokens = 0;
    WindowHistogram ttft, itl, lag;
  };
  [[nodiscard]] std::int64_t index_of(TimePoint t) const;
  Window* at(TimePoint t);  // nullptr when too old

  TimePoint origin_;
  double window_;
  std::int64_t newest_ = 0;
  std::map<std::int64_t, Window> windows_;
  std::map<ErrorCategory, std::uint64_t> errors_;
};

}  // namespace llmbench::metrics
