#include "runner/runner.h"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <thread>
#include <unordered_set>

#include "engines/response_assembler.h"

namespace llmbench::runner {

namespace asio = boost::asio;

struct Runner::Worker {
  asio::io_context io{1};
  std::unordered_set<net::HttpConnection*> connections;  // touched only on io's thread
  std::uint64_t connects = 0;
};

Runner::Runner(RunOptions options, const engines::Engine& engine,
               const workload::Workload& workload, RecordSink& sink, const Clock& clock)
    : options_(std::move(options)),
      engine_(engine),
      workload_(workload),
      sink_(sink),
      clock_(clock) {}

Runner::~Runner() = default;

std::optional<std::uint64_t> Runner::claim_next() {
  if (stop_.load(std::memory_order_relaxed)) return std::nullopt;
  if (clock_.now() >= deadline_) return std::nullopt;
  const std::uint64_t index = next_index_.fetch_add(1, std::memory_order_relaxed);
  if (options_.requests && index >= *options_.requests) return std::nullopt;
  return index;
}

Expected<RunTimes> Runner::run() {
  auto endpoints = net::resolve(options_.url);
  if (!endpoints) return tl::unexpected(endpoints.error());
  std::shared_ptr<asio::ssl::context> tls =
      options_.url.tls() ? net::make_tls_context(options_.tls) : nullptr;

  const int users = std::max(1, options_.concurrency);
  const int threads = std::clamp(options_.threads, 1, users);
  {
    std::lock_guard lock(workers_mutex_);
    for (int t = 0; t < threads; ++t) workers_.push_back(std::make_unique<Worker>());
  }

  RunTimes times;
  times.started = clock_.now();
  if (options_.duration) deadline_ = times.started + *options_.duration;

  auto user = [this, &endpoints, &tls](Worker& worker) -> asio::awaitable<void> {
    net::HttpConnection connection(worker.io.get_executor(), options_.url, *endpoints, tls, clock_);
    worker.connections.insert(&connection);
    while (auto index = claim_next()) {
      const RequestSpec spec = workload_.make(*index);
      const std::string bytes = net::serialize_request(engine_.build_request(spec), options_.url);
      RequestRecord record;
      record.id = spec.id;
      record.prompt_tokens_target = spec.prompt_tokens_target;
      record.max_tokens = spec.max_tokens;
      record.stream = spec.stream;
      record.events.reserve(static_cast<std::size_t>(std::max<std::int64_t>(spec.max_tokens, 1)));
      // Closed loop: the request is due the moment its user is free.
      record.t_sched = clock_.now();
      {
        const auto reader = engine_.make_reader(spec, record);
        engines::ResponseAssembler assembler(*reader, record);
        const net::ExchangeResult result =
            co_await connection.exchange(bytes, assembler, options_.timeouts);
        assembler.finish(result);
      }
      sink_.consume(std::move(record));
    }
    worker.connects += connection.connects();
    worker.connections.erase(&connection);
  };

  for (int u = 0; u < users; ++u) {
    Worker& worker = *workers_[static_cast<std::size_t>(u % threads)];
    asio::co_spawn(worker.io, user(worker), asio::detached);
  }
  std::vector<std::thread> pool;
  pool.reserve(workers_.size());
  for (auto& worker : workers_) {
    pool.emplace_back([&io = worker->io] { io.run(); });
  }
  for (std::thread& t : pool) t.join();

  times.finished = clock_.now();
  times.cancelled = stop_.load();
  times.requests_started = std::min<std::uint64_t>(
      next_index_.load(), options_.requests.value_or(std::numeric_limits<std::uint64_t>::max()));
  std::lock_guard lock(workers_mutex_);
  for (auto& worker : workers_) times.connections_opened += worker->connects;
  workers_.clear();
  return times;
}

void Runner::cancel() {
  stop_.store(true);
  std::lock_guard lock(workers_mutex_);
  for (auto& worker : workers_) {
    asio::post(worker->io, [w = worker.get()] {
      for (net::HttpConnection* c : w->connections) c->cancel();
    });
  }
}

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
