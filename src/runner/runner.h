#pragma once
// Executes a workload against an engine, in one of two load modes:
//  - closed loop: `concurrency` virtual users, each sending its next request as soon as the
//    previous one finished;
//  - open loop: requests sent at the times of a schedule built before the run (see
//    workload/arrival.h). An arrival is never skipped or delayed for lack of a connection:
//    each due request gets a connection (an idle kept-alive one, else a new one), so when the
//    client falls behind it shows as schedule lag (t_send − t_sched), not as a lower rate.
// Work is spread over `threads` worker threads. Each worker owns an io_context, its
// connections, timers and RNG; the only shared state is the request counter, the stop flag
// and (with --max-error-rate) the outcome window.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/record.h"
#include "engines/engine.h"
#include "net/http_client.h"
#include "net/url.h"
#include "workload/workload.h"

namespace llmbench::runner {

// A warm-up or cool-down: the first/last `requests` requests, or those due within the
// first/last `time` of the run.
struct PhaseLimit {
  std::optional<std::uint64_t> requests;
  std::optional<Duration> time;
  [[nodiscard]] bool any() const { return requests || time; }
};

// Retries of failed requests, off unless max_retries > 0. Only failures where the engine did
// not start answering are retried: connect errors, connect timeouts, 429 and 502/503/504.
// Delay before retry k (0-based): base·2^k capped at `cap`, with equal jitter (half fixed,
// half uniform), and never shorter than the engine's Retry-After (itself capped at
// `max_wait`).
struct RetryPolicy {
  int max_retries = 0;
  Duration base = std::chrono::milliseconds(100);
  Duration cap = std::chrono::seconds(10);
  Duration max_wait = std::chrono::seconds(60);
};

// Stop the run when more than `max_rate` of the last `window` finished requests failed.
struct ErrorLimit {
  double max_rate = 1;
  std::size_t window = 100;
};

struct RunOptions {
  net::Url url;
  // Closed loop: number of users. Ignored in open loop.
  int concurrency = 1;
  // Open loop when not empty: when each request is due, counted from the run start,
  // ascending. The run ends when every scheduled request has finished.
  std::vector<Duration> schedule;
  std::optional<std::uint64_t> requests;  // closed loop: stop after this many were started
  std::optional<Duration> duration;       // closed loop: stop starting requests after this
  int threads = 1;
  net::Timeouts timeouts;
  net::TlsOptions tls;
  PhaseLimit warmup;
  PhaseLimit cooldown;
  RetryPolicy retry;
  std::optional<ErrorLimit> error_limit;
  std::uint32_t level = 0;     // written into every record
  std::uint64_t first_id = 0;  // request ids (and workload indices) start here
  std::uint64_t seed = 0;      // for retry jitter
  // Open loop: how long before the first arrival the workers start, so the first requests
  // are not late because threads were still being created.
  Duration lead = std::chrono::milliseconds(20);
  // Stop the run after this many consecutive requests that could not connect (connect
  // errors, connect timeouts; retries included), none in between having reached the engine:
  // the engine is down, and going on would only write failure records. Closed loop: at
  // least `concurrency`, so that every user has failed about once. 0: never.
  std::uint64_t connect_failure_limit = kConnectFailureLimit;
  static constexpr std::uint64_t kConnectFailureLimit = 100;
};

// kStable: end_early() once the statistic --until-stable watches was stable.
enum class StopReason { kCompleted, kInterrupted, kErrorLimit, kConnectFailures, kStable };
std::string_view to_string(StopReason reason);

struct RunTimes {
  TimePoint started{};   // the run's zero: first user start, or the schedule's zero
  TimePoint finished{};  // when the last request ended
  bool cancelled = false;
  StopReason stop_reason = StopReason::kCompleted;
  std::uint64_t requests_started = 0;
  std::uint64_t connections_opened = 0;
  // kConnectFailures: the streak of consecutive connect failures that stopped the run.
  std::uint64_t connect_failure_streak = 0;
  std::vector<double> worker_cpu;  // CPU time / wall time of each worker thread (0..1)
  double process_cpu = 0;          // cores used by the whole process during the run
};

class Runner {
 public:
  // All references must outlive run(). The sink receives records from worker threads.
  Runner(RunOptions options, const engines::Engine& engine, const workload::Workload& workload,
         RecordSink& sink, const Clock& clock);
  ~Runner();

  // Blocks until the run ends (limit reached, schedule done, error limit or cancel()).
  // Errors only when the run could not start (host does not resolve).
  Expected<RunTimes> run();

  // Stops starting requests and aborts those in flight (they are recorded as cancelled).
  // Thread-safe; not async-signal-safe.
  void cancel();

  // Starts no new request and lets those in flight finish (a graceful end, as a --duration
  // ends), recording `reason`. Thread-safe; for --until-stable.
  void end_early(StopReason reason);

 private:
  struct Worker;
  class Execution;
  struct Prepared {  // a request ready to write
    RequestSpec spec;
    std::string bytes;
  };
  [[nodiscard]] Prepared prepare(std::uint64_t index) const;
  void stop(StopReason reason);
  // The first reason wins; no request starts after it. `abort_in_flight`: those in flight are
  // cancelled too (stop), else they finish and only pacing and back-off waits end (end_early).
  void halt(StopReason reason, bool abort_in_flight);
  // A closed-loop user's place in its conversation: indices [next, end) are still its own.
  struct Conversation {
    std::uint64_t next = 0, end = 0;
  };
  [[nodiscard]] std::optional<std::uint64_t> claim_next(Conversation& conversation);
  [[nodiscard]] Phase phase_of(std::uint64_t index, TimePoint due) const;
  void finish(RequestRecord&& record);

  RunOptions options_;
  const engines::Engine& engine_;
  const workload::Workload& workload_;
  RecordSink& sink_;
  const Clock& clock_;

  std::atomic<std::uint64_t> next_index_{0};
  std::atomic<bool> stop_{false};
  std::atomic<StopReason> stop_reason_{StopReason::kCompleted};
  TimePoint start_{};
  TimePoint deadline_ = TimePoint::max();
  std::uint64_t total_requests_ = 0;  // known in advance (open loop, --requests), else 0
  std::mutex workers_mutex_;          // guards workers_ against cancel() during start-up/teardown
  std::vector<std::unique_ptr<Worker>> workers_;
  std::mutex outcomes_mutex_;  // the error-limit window
  std::vector<bool> outcomes_;
  std::size_t outcome_next_ = 0, outcome_failures_ = 0, outcome_seen_ = 0;
  std::uint64_t connect_failure_limit_ = 0;               // in effect for this run; 0: none
  std::atomic<std::uint64_t> connect_failures_{0};        // consecutive, as records finish
  std::atomic<std::uint64_t> connect_failure_streak_{0};  // the streak that stopped the run
};

// Keeps every record in memory; safe to share between workers (one short lock per finished
// request, never per token). For tests and small tools; benchmark runs stream records out.
class MemorySink final : public RecordSink {
 public:
  void consume(RequestRecord&& record) override;
  // Records ordered by id. Call after the run.
  std::vector<RequestRecord> take();

 private:
  std::mutex mutex_;
  std::vector<RequestRecord> records_;
};

}  // namespace llmbench::runner
