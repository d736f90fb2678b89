#include "runner/runner.h"

#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <random>
#include <thread>
#include <unordered_set>

#include "engines/response_assembler.h"

namespace llmbench::runner {

namespace asio = boost::asio;

namespace {

// RNG stream numbers of the workers' retry jitter, far from any request index.
constexpr std::uint64_t kJitterStream = 0xB0FF'0000'0000'0000;

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double process_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// Failures where the engine did not start answering, so sending again is safe and may work.
bool retryable(const RequestRecord& r) {
  if (!r.error) return false;
  switch (r.error->category) {
    case ErrorCategory::kConnect:
    case ErrorCategory::kTimeoutConnect:
    case ErrorCategory::kHttp429:
      return true;
    case ErrorCategory::kHttp5xx:
      return r.http_status == 502 || r.http_status == 503 || r.http_status == 504;
    default:
      return false;
  }
}

// The request never reached the engine: nothing was connected to send it on.
bool connect_failure(const RequestRecord& r) {
  return r.error && (r.error->category == ErrorCategory::kConnect ||
                     r.error->category == ErrorCategory::kTimeoutConnect);
}

}  // namespace

std::string_view to_string(StopReason reason) {
  switch (reason) {
    case StopReason::kConnectFailures:
      return "connection_failures";
    case StopReason::kInterrupted:
      return "interrupted";
    case StopReason::kErrorLimit:
      return "max_error_rate";
    case StopReason::kStable:
      return "stable";
    case StopReason::kCompleted:
      break;
  }
  return "completed";
}

struct Runner::Worker {
  asio::io_context io{1};
  std::unordered_set<net::HttpConnection*> connections;    // in use; touched only on io's thread
  std::unordered_set<asio::steady_timer*> timers;          // pacing and back-off timers
  std::vector<std::unique_ptr<net::HttpConnection>> idle;  // open loop: kept-alive, free
  std::uint64_t connects = 0;
  std::mt19937_64 rng;  // retry jitter
  double cpu = 0;       // CPU time / wall time while io ran

  void cancel_all() {
    for (net::HttpConnection* c : connections) c->cancel();
    cancel_timers();
  }
  // Pacing and back-off waits end at once; requests in flight go on.
  void cancel_timers() {
    for (asio::steady_timer* t : timers) t->cancel();
  }
};

Runner::Runner(RunOptions options, const engines::Engine& engine,
               const workload::Workload& workload, RecordSink& sink, const Clock& clock)
    : options_(std::move(options)),
      engine_(engine),
      workload_(workload),
      sink_(sink),
      clock_(clock) {}

Runner::~Runner() = default;

std::optional<std::uint64_t> Runner::claim_next(Conversation& conversation) {
  if (stop_.load(std::memory_order_relaxed)) return std::nullopt;
  if (clock_.now() >= deadline_) return std::nullopt;
  if (conversation.next == conversation.end) {
    // A whole conversation at a time, so its turns go out in order on this user.
    const std::uint64_t turns = workload_.turns();
    conversation.next = next_index_.fetch_add(turns, std::memory_order_relaxed);
    conversation.end = conversation.next + turns;
  }
  const std::uint64_t index = conversation.next++;
  if (options_.requests && index >= *options_.requests) return std::nullopt;
  return index;
}

Phase Runner::phase_of(std::uint64_t index, TimePoint due) const {
  const PhaseLimit& warm = options_.warmup;
  if (warm.requests && index < *warm.requests) return Phase::kWarmup;
  if (warm.time && due < start_ + *warm.time) return Phase::kWarmup;
  const PhaseLimit& cool = options_.cooldown;
  if (cool.requests && total_requests_ > 0 && index + *cool.requests >= total_requests_) {
    return Phase::kCooldown;
  }
  if (cool.time && deadline_ != TimePoint::max() && due >= deadline_ - *cool.time) {
    return Phase::kCooldown;
  }
  return Phase::kMeasure;
}

void Runner::finish(RequestRecord&& record) {
  if (connect_failure_limit_ > 0) {
    if (connect_failure(record)) {
      const std::uint64_t streak = connect_failures_.fetch_add(1) + 1;
      if (streak >= connect_failure_limit_ && !stop_.load(std::memory_order_relaxed)) {
        std::uint64_t none = 0;
        connect_failure_streak_.compare_exchange_strong(none, streak);
        stop(StopReason::kConnectFailures);
      }
    } else if (record.ok() || record.error->category != ErrorCategory::kCancelled) {
      connect_failures_.store(0);  // it reached the engine
    }
  }
  if (options_.error_limit && options_.error_limit->window > 0) {
    const ErrorLimit& limit = *options_.error_limit;
    bool exceeded = false;
    {
      std::lock_guard lock(outcomes_mutex_);
      if (outcomes_.empty()) outcomes_.assign(limit.window, false);
      const bool failed = !record.ok() && record.error->category != ErrorCategory::kCancelled;
      if (outcomes_[outcome_next_]) --outcome_failures_;
      outcomes_[outcome_next_] = failed;
      if (failed) ++outcome_failures_;
      outcome_next_ = (outcome_next_ + 1) % limit.window;
      outcome_seen_ = std::min(outcome_seen_ + 1, limit.window);
      exceeded =
          outcome_seen_ == limit.window && static_cast<double>(outcome_failures_) >
                                               limit.max_rate * static_cast<double>(limit.window);
    }
    if (exceeded) stop(StopReason::kErrorLimit);
  }
  sink_.consume(std::move(record));
}

Runner::Prepared Runner::prepare(std::uint64_t index) const {
  Prepared prepared;
  prepared.spec = workload_.make(options_.first_id + index);
  prepared.bytes = net::serialize_request(engine_.build_request(prepared.spec), options_.url);
  return prepared;
}

// One request from its due time to its final record, retries included. Lives on one
// worker's thread.
class Runner::Execution {
 public:
  Execution(Runner& runner, Worker& worker) : runner_(runner), worker_(worker) {}

  // `prepared` was built before the request was due, so building it is never lag.
  asio::awaitable<RequestRecord> run(net::HttpConnection& connection, std::uint64_t index,
                                     TimePoint due, Prepared prepared) {
    const RunOptions& o = runner_.options_;
    const RequestSpec& spec = prepared.spec;
    const std::string& bytes = prepared.bytes;
    const Phase phase = runner_.phase_of(index, due);
    std::uint32_t resends = 0;  // of earlier attempts: a retry's record keeps counting them
    for (std::uint32_t attempt = 0;; ++attempt) {
      RequestRecord record;
      record.id = spec.id;
      record.level = o.level;
      record.phase = phase;
      record.retries = attempt;
      record.prompt_tokens_target = spec.prompt_tokens_target;
      record.max_tokens = spec.max_tokens;
      record.stream = spec.stream;
      record.events.reserve(static_cast<std::size_t>(std::max<std::int64_t>(spec.max_tokens, 1)));
      record.t_sched = due;
      {
        const auto reader = runner_.engine_.make_reader(spec, record);
        engines::ResponseAssembler assembler(*reader, record);
        const net::ExchangeResult result =
            co_await connection.exchange(bytes, assembler, o.timeouts);
        assembler.finish(result);
        resends += result.resends;
        record.resends = resends;
      }
      if (record.ok() || static_cast<int>(attempt) >= o.retry.max_retries ||
          runner_.stop_.load(std::memory_order_relaxed) || !retryable(record)) {
        co_return record;
      }
      asio::steady_timer timer(worker_.io);
      timer.expires_after(backoff(attempt, record.retry_after));
      worker_.timers.insert(&timer);
      boost::system::error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      worker_.timers.erase(&timer);
      if (runner_.stop_.load(std::memory_order_relaxed)) co_return record;
    }
  }

 private:
  Duration backoff(std::uint32_t attempt, std::optional<double> retry_after) {
    const RetryPolicy& p = runner_.options_.retry;
    const double base =
        to_seconds(p.base) * std::ldexp(1.0, static_cast<int>(std::min(attempt, 30U)));
    const double capped = std::min(base, to_seconds(p.cap));
    std::uniform_real_distribution<double> jitter(0.0, capped / 2);
    double wait = capped / 2 + jitter(worker_.rng);
    if (retry_after) wait = std::max(wait, std::min(*retry_after, to_seconds(p.max_wait)));
    return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(wait));
  }

  Runner& runner_;
  Worker& worker_;
};

Expected<RunTimes> Runner::run() {
  auto endpoints = net::resolve(options_.url);
  if (!endpoints) return tl::unexpected(endpoints.error());
  std::shared_ptr<asio::ssl::context> tls =
      options_.url.tls() ? net::make_tls_context(options_.tls) : nullptr;

  const bool open_loop = !options_.schedule.empty();
  // Users beyond those the requests can keep busy would never send one: they are not made
  // (each user claims whole conversations of turns() requests).
  int users = std::max(1, options_.concurrency);
  if (options_.requests) {
    const std::uint64_t turns = std::max<std::uint64_t>(1, workload_.turns());
    const std::uint64_t conversations =
        *options_.requests / turns + (*options_.requests % turns != 0 ? 1 : 0);
    users = static_cast<int>(std::min<std::uint64_t>(static_cast<std::uint64_t>(users),
                                                     std::max<std::uint64_t>(1, conversations)));
  }
  connect_failure_limit_ =
      options_.connect_failure_limit == 0
          ? 0
          : std::max(options_.connect_failure_limit,
                     open_loop ? std::uint64_t{0} : static_cast<std::uint64_t>(users));
  const int threads = std::max(1, open_loop ? options_.threads : std::min(options_.threads, users));
  {
    std::lock_guard lock(workers_mutex_);
    for (int t = 0; t < threads; ++t) {
      auto worker = std::make_unique<Worker>();
      worker->rng.seed(
          workload::mix_seed(options_.seed, kJitterStream + static_cast<std::uint64_t>(t)));
      workers_.push_back(std::move(worker));
    }
  }

  RunTimes times;
  start_ = clock_.now() + (open_loop ? options_.lead : Duration::zero());
  times.started = start_;
  if (open_loop) {
    total_requests_ = options_.schedule.size();
    deadline_ = options_.duration ? start_ + *options_.duration : start_ + options_.schedule.back();
  } else {
    total_requests_ = options_.requests.value_or(0);
    if (options_.duration) deadline_ = start_ + *options_.duration;
  }
  sink_.begin(start_);

  auto make_connection = [this, &endpoints, &tls](Worker& worker) {
    return std::make_unique<net::HttpConnection>(worker.io.get_executor(), options_.url, *endpoints,
                                                 tls, clock_);
  };

  // Closed loop: one coroutine per user, one connection each, made once the user has a
  // request to send.
  auto user = [this, &make_connection](Worker& worker) -> asio::awaitable<void> {
    Conversation conversation;
    auto first = claim_next(conversation);
    if (!first) co_return;
    const auto connection = make_connection(worker);
    worker.connections.insert(connection.get());
    Execution execution(*this, worker);
    for (auto index = first; index; index = claim_next(conversation)) {
      // Closed loop: the request is due the moment its user is free.
      Prepared prepared = prepare(*index);
      sink_.started();
      RequestRecord record =
          co_await execution.run(*connection, *index, clock_.now(), std::move(prepared));
      finish(std::move(record));
    }
    worker.connects += connection->connects();
    worker.connections.erase(connection.get());
  };

  // Open loop: one request, on an idle connection of its worker or a new one.
  auto scheduled = [this, &make_connection](Worker& worker, std::uint64_t index, TimePoint due,
                                            Prepared prepared) -> asio::awaitable<void> {
    std::unique_ptr<net::HttpConnection> connection;
    if (!worker.idle.empty()) {
      connection = std::move(worker.idle.back());
      worker.idle.pop_back();
    } else {
      connection = make_connection(worker);
    }
    worker.connections.insert(connection.get());
    Execution execution(*this, worker);
    sink_.started();
    RequestRecord record = co_await execution.run(*connection, index, due, std::move(prepared));
    worker.connections.erase(connection.get());
    worker.idle.push_back(std::move(connection));
    finish(std::move(record));
  };

  // Open loop: each worker paces its share of the schedule (every threads-th arrival).
  auto pacer = [this, threads, &scheduled](Worker& worker,
                                           std::size_t first) -> asio::awaitable<void> {
    asio::steady_timer timer(worker.io);
    worker.timers.insert(&timer);
    for (std::size_t i = first; i < options_.schedule.size();
         i += static_cast<std::size_t>(threads)) {
      if (stop_.load(std::memory_order_relaxed)) break;
      const TimePoint due = start_ + options_.schedule[i];
      Prepared prepared = prepare(i);
      if (clock_.now() < due) {
        // Relative to clock_, whose instants need not be the steady clock's (a test clock).
        timer.expires_after(due - clock_.now());
        boost::system::error_code ec;
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        if (stop_.load(std::memory_order_relaxed)) break;
      }
      next_index_.fetch_add(1, std::memory_order_relaxed);
      asio::co_spawn(worker.io, scheduled(worker, i, due, std::move(prepared)), asio::detached);
    }
    worker.timers.erase(&timer);
  };

  if (open_loop) {
    for (int t = 0; t < threads; ++t) {
      Worker& worker = *workers_[static_cast<std::size_t>(t)];
      asio::co_spawn(worker.io, pacer(worker, static_cast<std::size_t>(t)), asio::detached);
    }
  } else {
    for (int u = 0; u < users; ++u) {
      Worker& worker = *workers_[static_cast<std::size_t>(u % threads)];
      asio::co_spawn(worker.io, user(worker), asio::detached);
    }
  }
  const double process_cpu_before = process_cpu_seconds();
  const TimePoint wall_before = clock_.now();
  std::vector<std::thread> pool;
  pool.reserve(workers_.size());
  for (auto& worker : workers_) {
    pool.emplace_back([this, w = worker.get()] {
      const double cpu_before = thread_cpu_seconds();
      const TimePoint wall_start = clock_.now();
      w->io.run();
      const double wall = to_seconds(clock_.now() - wall_start);
      w->cpu = wall > 0 ? (thread_cpu_seconds() - cpu_before) / wall : 0;
    });
  }
  for (std::thread& t : pool) t.join();

  times.finished = clock_.now();
  const double wall = to_seconds(times.finished - wall_before);
  times.process_cpu = wall > 0 ? (process_cpu_seconds() - process_cpu_before) / wall : 0;
  times.cancelled = stop_.load() && stop_reason_.load() != StopReason::kStable;
  times.stop_reason = stop_reason_.load();
  times.connect_failure_streak = connect_failure_streak_.load();
  times.requests_started =
      open_loop ? next_index_.load()
                : std::min<std::uint64_t>(
                      next_index_.load(),
                      options_.requests.value_or(std::numeric_limits<std::uint64_t>::max()));
  std::lock_guard lock(workers_mutex_);
  for (auto& worker : workers_) {
    times.connections_opened += worker->connects;
    for (const auto& c : worker->idle) times.connections_opened += c->connects();
    times.worker_cpu.push_back(worker->cpu);
  }
  workers_.clear();
  return times;
}

void Runner::halt(StopReason reason, bool abort_in_flight) {
  StopReason expected = StopReason::kCompleted;
  stop_reason_.compare_exchange_strong(expected, reason);
  stop_.store(true);
  std::lock_guard lock(workers_mutex_);
  for (auto& worker : workers_) {
    asio::post(worker->io, [w = worker.get(), abort_in_flight] {
      if (abort_in_flight) {
        w->cancel_all();
      } else {
        w->cancel_timers();
      }
    });
  }
}

void Runner::stop(StopReason reason) { halt(reason, true); }

void Runner::cancel() { stop(StopReason::kInterrupted); }

void Runner::end_early(StopReason reason) { halt(reason, false); }

void MemorySink::consume(RequestRecord&& record) {
  std::lock_guard lock(mutex_);
  records_.push_back(std::move(record));
}

std::vector<RequestRecord> MemorySink::take() {
  std::lock_guard lock(mutex_);
  std::vector<RequestRecord> out = std::move(records_);
  records_.clear();
  std::sort(out.begin(), out.end(),
            [](const RequestRecord& a, const RequestRecord& b) { return a.id < b.id; });
  return out;
}

}  // namespace llmbench::runner
