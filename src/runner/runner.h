#pragma once
// Executes a workload against an engine. Closed loop: `concurrency` virtual users, each
// sending its next request as soon as the previous one finished, spread over `threads`
// worker threads. Each worker owns an io_context, its users' connections and nothing else;
// the only shared state is the request counter and the stop flag.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "core/clock.h"
#include "core/record.h"
#include "engines/engine.h"
#include "net/http_client.h"
#include "net/url.h"
#include "workload/workload.h"

namespace llmbench::runner {

struct RunOptions {
  net::Url url;
  int concurrency = 1;
  std::optional<std::uint64_t> requests;  // stop after this many requests were started
  std::optional<Duration> duration;       // stop starting requests after this long
  int threads = 1;
  net::Timeouts timeouts;
  net::TlsOptions tls;
};

struct RunTimes {
  TimePoint started{};   // when the first worker began
  TimePoint finished{};  // when the last request ended
  bool cancelled = false;
  std::uint64_t requests_started = 0;
  std::uint64_t connections_opened = 0;
};

class Runner {
 public:
  // All references must outlive run(). The sink receives records from worker threads.
  Runner(RunOptions options, const engines::Engine& engine, const workload::Workload& workload,
         RecordSink& sink, const Clock& clock);
  ~Runner();

  // Blocks until the run ends (limit reached or cancel()). Errors only when the run could
  // not start (host does not resolve).
  Expected<RunTimes> run();

  // Stops starting requests and aborts those in flight (they are recorded as cancelled).
  // Thread-safe and async-signal-unsafe; call it from a normal thread.
  void cancel();

 private:
  struct Worker;
  void cancel_workers();
  [[nodiscard]] std::optional<std::uint64_t> claim_next();

  RunOptions options_;
  const engines::Engine& engine_;
  const workload::Workload& workload_;
  RecordSink& sink_;
  const Clock& clock_;

  std::atomic<std::uint64_t> next_index_{0};
  std::atomic<bool> stop_{false};
  TimePoint deadline_ = TimePoint::max();
  std::mutex workers_mutex_;  // guards workers_ against cancel() during start-up/teardown
  std::vector<std::unique_ptr<Worker>> workers_;
};

// Keeps every record in memory; safe to share between workers (one short lock per finished
// request, never per token).
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
