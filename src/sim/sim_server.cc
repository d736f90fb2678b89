#include "sim/sim_server.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <deque>
#include <nlohmann/json.hpp>
#include <random>
#include <unordered_set>

namespace llmbench::sim {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using Json = nlohmann::json;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

namespace {

// Durations at 1 µs resolution up to 100 ms (larger ones in one overflow bucket): the
// simulator's record of its own timing, in fixed memory however long it runs.
class EmissionHistogram {
 public:
  void add(Duration d) {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
    const auto bucket = static_cast<std::size_t>(std::clamp<std::int64_t>(us, 0, kBuckets));
    ++counts_[bucket];
    ++count_;
  }
  [[nodiscard]] std::uint64_t count() const { return count_; }
  // Seconds, to the microsecond below.
  [[nodiscard]] double quantile(double q) const {
    if (count_ == 0) return 0;
    const auto rank = static_cast<std::uint64_t>(q * static_cast<double>(count_ - 1));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen > rank) return static_cast<double>(i) * 1e-6;
    }
    return static_cast<double>(kBuckets) * 1e-6;
  }

 private:
  static constexpr std::int64_t kBuckets = 100'000;
  std::vector<std::uint64_t> counts_ = std::vector<std::uint64_t>(kBuckets + 1, 0);
  std::uint64_t count_ = 0;
};

constexpr std::string_view kWords[] = {" the", " quick", " brown", " fox", " jumps", " over",
                                       " a",   " lazy",  " dog",   " and", " runs",  " far"};

struct FaultName {
  std::string_view name;
  Fault fault;
};
constexpr FaultName kFaults[] = {
    {"none", Fault::kNone},       {"malformed", Fault::kMalformedFrame},
    {"reset", Fault::kReset},     {"error-event", Fault::kErrorEvent},
    {"stall", Fault::kStall},     {"429", Fault::kRateLimit},
    {"503", Fault::kUnavailable},
};

}  // namespace

Expected<Fault> parse_fault(std::string_view name) {
  for (const auto& f : kFaults) {
    if (f.name == name) return f.fault;
  }
  return make_error(ErrorCode::kInvalidArgument,
                    "unknown fault '" + std::string(name) +
                        "'; expected none, malformed, reset, error-event, stall, 429 or 503");
}

std::int64_t sim_token_count(std::string_view text) {
  std::int64_t count = 1;  // a BOS token, as most engines add
  std::size_t run = 0;
  for (const char c : text) {
    const bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
    if (space) {
      count += static_cast<std::int64_t>((run + 4) / 5);
      run = 0;
    } else {
      ++run;
    }
  }
  return count + static_cast<std::int64_t>((run + 4) / 5);
}

class SimServer::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(asio::io_context& io, SimOptions options)
      : io_(io),
        options_(std::move(options)),
        format_(options_.dialect, options_.model),
        acceptor_(io),
        rng_(options_.seed) {}

  Expected<std::uint16_t> start() {
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(options_.host, ec);
    if (ec) {
      return make_error(ErrorCode::kInvalidArgument,
                        "sim: '" + options_.host + "' is not an IP address");
    }
    const tcp::endpoint endpoint(address, options_.port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return make_error(ErrorCode::kIo, fmt::format("sim: cannot listen on {}:{}: {}",
                                                    options_.host, options_.port, ec.message()));
    }
    asio::co_spawn(io_, accept_loop(shared_from_this()), asio::detached);
    return acceptor_.local_endpoint().port();
  }

  void stop() {
    asio::post(io_, [self = shared_from_this()] {
      boost::system::error_code ignored;
      self->acceptor_.close(ignored);
      for (tcp::socket* s : self->sockets_) s->close(ignored);
      for (asio::steady_timer* t : self->waiters_) t->cancel();
      for (asio::steady_timer* t : self->stream_timers_) t->cancel();
    });
  }

  SimCounters counters() const { return counters_; }

 private:
  static asio::awaitable<void> accept_loop(std::shared_ptr<Impl> self) {
    for (;;) {
      auto [ec, socket] = co_await self->acceptor_.async_accept(kTuple);
      if (ec) {
        if (!self->acceptor_.is_open()) co_return;
        continue;  // e.g. too many open files: keep serving those already connected
      }
      socket.set_option(tcp::no_delay(true), ec);
      asio::co_spawn(self->io_, serve(self, std::move(socket)), asio::detached);
    }
  }

  static asio::awaitable<void> serve(std::shared_ptr<Impl> self, tcp::socket socket) {
    self->sockets_.insert(&socket);
    boost::beast::flat_buffer buffer;
    bool open = true;
    while (open) {
      http::request_parser<http::string_body> parser;
      parser.eager(true);
      parser.body_limit(std::uint64_t{64} * 1024 * 1024);
      // The schedule of a request starts when its first byte arrived, before any parsing,
      // so the simulator's own parsing cost never shows up as engine latency.
      TimePoint arrived = SteadyClock::now();
      bool have_bytes = buffer.size() > 0;
      while (!parser.is_done()) {
        if (buffer.size() > 0) {
          boost::system::error_code pec;
          const std::size_t used = parser.put(buffer.data(), pec);
          buffer.consume(used);
          if (!pec) continue;
          if (pec != http::error::need_more) {
            open = false;  // not HTTP: drop the connection
            break;
          }
        }
        auto [ec, n] =
            co_await socket.async_read_some(buffer.prepare(std::size_t{16} * 1024), kTuple);
        if (ec) {
          open = false;
          break;
        }
        if (!have_bytes) {
          arrived = SteadyClock::now();
          have_bytes = true;
        }
        buffer.commit(n);
      }
      if (!open) break;
      auto request = parser.release();
      open = co_await self->respond(socket, request, arrived) && socket.is_open();
    }
    boost::system::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_send, ignored);
    socket.close(ignored);
    self->sockets_.erase(&socket);
  }

  static asio::awaitable<bool> write(tcp::socket& socket, std::string_view bytes) {
    auto [ec, n] = co_await asio::async_write(socket, asio::buffer(bytes), kTuple);
    co_return !ec;
  }

  asio::awaitable<bool> respond(tcp::socket& socket, http::request<http::string_body>& request,
                                TimePoint arrived) {
    const bool keep_alive = request.keep_alive();
    const std::string target(request.target());
    const std::string path = target.substr(0, target.find('?'));
    if (request.method() == http::verb::get || request.method() == http::verb::head) {
      // Built into a named local: GCC 12 destroys a conditional's temporary twice when it
      // lives across a co_await.
      std::string answer;
      if (auto info = format_.info(path, keep_alive, metrics_text())) {
        answer = std::move(*info);
      } else {
        answer = format_.error_response(nullptr, 404, fmt::format("no route {}", path),
                                        "not_found_error", keep_alive);
      }
      co_await write(socket, answer);
      co_return keep_alive;
    }
    if (request.method() == http::verb::post) {
      if (auto answer = format_.tokenize(path, request.body(), keep_alive)) {
        co_await write(socket, *answer);
        co_return keep_alive;
      }
      if (auto route = generation_route(options_.dialect, path)) {
        co_return co_await generate(socket, request, *route, keep_alive, arrived);
      }
    }
    co_await write(socket, format_.error_response(nullptr, 404, fmt::format("no route {}", path),
                                                  "not_found_error", keep_alive));
    co_return keep_alive;
  }

  std::string metrics_text() const {
    std::string quantiles;
    auto summary = [&quantiles](std::string_view name, const EmissionHistogram& h) {
      quantiles += fmt::format("# TYPE {} summary\n", name);
      for (const double q : {0.5, 0.9, 0.99}) {
        quantiles += fmt::format("{}{{quantile=\"{}\"}} {:.9f}\n", name, q, h.quantile(q));
      }
      quantiles += fmt::format("{}_count {}\n", name, h.count());
    };
    // What the simulator really did: the gaps between its token writes on each stream and
    // how late each write was against the script. A client's measurement can be no better
    // than these, so tests judge the client against them.
    summary("llmbench_sim_token_gap_seconds", gaps_);
    summary("llmbench_sim_write_lateness_seconds", lateness_);
    return quantiles +
           fmt::format(
               "# TYPE llmbench_sim_requests_total counter\nllmbench_sim_requests_total {}\n"
               "# TYPE llmbench_sim_failures_total counter\nllmbench_sim_failures_total {}\n"
               "# TYPE llmbench_sim_generated_tokens_total "
               "counter\nllmbench_sim_generated_tokens_total "
               "{}\n"
               "# TYPE llmbench_sim_requests_running gauge\nllmbench_sim_requests_running {}\n"
               "# TYPE llmbench_sim_requests_waiting gauge\nllmbench_sim_requests_waiting {}\n",
               counters_.requests, counters_.failed, counters_.tokens, counters_.running,
               counters_.waiting);
  }

  Duration jittered(Duration base) {
    if (options_.jitter <= Duration::zero()) return base;
    std::uniform_int_distribution<std::int64_t> offset(-options_.jitter.count(),
                                                       options_.jitter.count());
    return std::max(Duration::zero(), base + Duration(offset(rng_)));
  }

  bool chance(double p) {
    if (p <= 0) return false;
    if (p >= 1) return true;
    return std::uniform_real_distribution<double>(0, 1)(rng_) < p;
  }

  // ---- slots (--max-batch): FIFO hand-over, one waiter timer per queued request ----
  // Returns whether the request had to wait for its slot.
  asio::awaitable<bool> acquire_slot() {
    if (options_.max_batch <= 0 ||
        counters_.running < static_cast<std::uint64_t>(options_.max_batch)) {
      ++counters_.running;
      co_return false;
    }
    asio::steady_timer waiter(io_, asio::steady_timer::time_point::max());
    waiters_.push_back(&waiter);
    ++counters_.waiting;
    co_await waiter.async_wait(kTuple);  // woken by release_slot() (cancel) with the slot
    --counters_.waiting;
    co_return true;
  }
  void release_slot() {
    if (!waiters_.empty()) {
      asio::steady_timer* next = waiters_.front();
      waiters_.pop_front();
      next->cancel();  // the slot passes to the waiter; running stays the same
      return;
    }
    --counters_.running;
  }

  asio::awaitable<bool> generate(tcp::socket& socket, http::request<http::string_body>& request,
                                 Route route, bool keep_alive, TimePoint arrived) {
    auto generation = parse_generation(route, request.body());
    if (!generation) {
      const bool tgi = options_.dialect == Dialect::kTgi;
      co_await write(
          socket, format_.error_response(nullptr, tgi ? 422 : 400, generation.error().message,
                                         tgi ? "validation" : "invalid_request_error", keep_alive));
      co_return keep_alive;
    }
    Generation& g = *generation;
    if (g.max_tokens == 0) g.max_tokens = options_.default_max_tokens;
    if (!format_.accepts_model(g)) {
      const std::string message = options_.dialect == Dialect::kOllama
                                      ? fmt::format("model '{}' not found", g.model)
                                      : fmt::format("The model `{}` does not exist.", g.model);
      co_await write(socket, format_.error_response(&g, 404, message, "NotFoundError", keep_alive));
      co_return keep_alive;
    }
    const std::uint64_t id = counters_.requests++;
    if (chance(options_.fail_rate)) {
      ++counters_.failed;
      co_await write(
          socket, format_.error_response(&g, 500, "simulated failure", "server_error", keep_alive));
      co_return keep_alive;
    }
    const Fault fault = chance(options_.fault_rate) ? options_.fault : Fault::kNone;
    if (fault == Fault::kRateLimit || fault == Fault::kUnavailable) {
      ++counters_.failed;
      const bool limit = fault == Fault::kRateLimit;
      co_await write(socket,
                     format_.error_response(
                         &g, limit ? 429 : 503,
                         limit ? "simulated rate limit: too many requests" : "Loading model",
                         limit ? "overloaded" : "unavailable_error", keep_alive,
                         limit ? "Retry-After: 1\r\n" : ""));
      co_return keep_alive;
    }

    // A request that found a free slot starts when it arrived; a queued one when it got its
    // slot.
    const bool queued = co_await acquire_slot();
    const TimePoint start = queued ? SteadyClock::now() : arrived;
    const bool ok = co_await produce(socket, g, id, fault, keep_alive, arrived, start);
    release_slot();
    co_return ok&& keep_alive;
  }

  asio::awaitable<bool> produce(tcp::socket& socket, const Generation& g, std::uint64_t id,
                                Fault fault, bool keep_alive, TimePoint arrived, TimePoint start) {
    asio::steady_timer timer(io_);
    stream_timers_.insert(&timer);
    struct Unregister {
      std::unordered_set<asio::steady_timer*>& set;
      asio::steady_timer* timer;
      ~Unregister() { set.erase(timer); }
    } unregister{stream_timers_, &timer};

    // The whole schedule is drawn first; the native figures the dialect reports come from it.
    const std::int64_t n = g.max_tokens;
    Duration load{};
    if (options_.dialect == Dialect::kOllama && !model_loaded_) load = options_.load_time;
    model_loaded_ = true;
    std::vector<TimePoint> due(static_cast<std::size_t>(n));
    due[0] = start + load + jittered(options_.ttft + options_.prefill_per_token * g.prompt_tokens);
    for (std::size_t i = 1; i < due.size(); ++i) due[i] = due[i - 1] + jittered(options_.itl);
    Produced produced;
    produced.queue = to_seconds(start - arrived);
    produced.load = to_seconds(load);
    produced.prefill = to_seconds(due.front() - start - load);
    produced.decode = to_seconds(due.back() - due.front());
    produced.total = to_seconds(due.back() - arrived);
    produced.output_tokens = n;

    if (!g.stream) {
      std::string text;
      for (std::int64_t i = 0; i < n; ++i)
        text += kWords[static_cast<std::size_t>(i) % std::size(kWords)];
      const std::string response = format_.whole(g, id, text, produced, keep_alive);
      timer.expires_at(due.back());
      co_await timer.async_wait(kTuple);
      counters_.tokens += static_cast<std::uint64_t>(n);
      co_return co_await write(socket, response);
    }

    if (!co_await write(socket, Format::stream_head(g, keep_alive) + format_.preamble(g, id))) {
      co_return false;
    }
    const std::int64_t fault_at = n / 2;
    // Tokens leave in chunks of --tokens-per-chunk, each when its last token is due (as a
    // server with stream_interval > 1 or speculative decoding sends them). TGI's native
    // stream has one event per token, so a chunk there is a burst of events in one write.
    const std::int64_t per_chunk = std::max<std::int64_t>(options_.tokens_per_chunk, 1);
    const bool event_per_token = g.route == Route::kTgiGenerateStream;
    std::string text_so_far;
    TimePoint previous_write{};
    for (std::int64_t first = 0; first < n; first += per_chunk) {
      const std::int64_t last = std::min(first + per_chunk, n) - 1;
      // The frame is built before the wait so the write happens at the scheduled instant.
      std::string frame;
      std::string chunk_text;
      for (std::int64_t i = first; i <= last; ++i) {
        const std::string_view word = kWords[static_cast<std::size_t>(i) % std::size(kWords)];
        if (event_per_token) {
          frame += format_.token(g, id, i, n, word, text_so_far + chunk_text, produced);
        }
        chunk_text += word;
      }
      if (!event_per_token)
        frame = format_.token(g, id, last, n, chunk_text, text_so_far, produced);
      timer.expires_at(due[static_cast<std::size_t>(last)]);
      co_await timer.async_wait(kTuple);
      const TimePoint written = SteadyClock::now();
      lateness_.add(written - due[static_cast<std::size_t>(last)]);
      if (first > 0) gaps_.add(written - previous_write);
      previous_write = written;
      if (fault != Fault::kNone && fault_at >= first && fault_at <= last) {
        switch (fault) {
          case Fault::kMalformedFrame:
            if (!co_await write(socket, format_.malformed(g))) co_return false;
            break;
          case Fault::kReset: {
            boost::system::error_code ignored;
            socket.close(ignored);
            co_return false;
          }
          case Fault::kErrorEvent:
            // The engine ends the response properly (the event, then the body's end) and keeps
            // the connection, as the real servers do. Closing it silently would make the
            // client's next request on it race the FIN.
            co_return co_await write(socket, format_.error_event(g, "simulated engine failure"));
          case Fault::kStall: {
            timer.expires_at(asio::steady_timer::time_point::max());
            co_await timer.async_wait(kTuple);  // until stop(): a stalled engine never recovers
            co_return false;
          }
          default:
            break;
        }
      }
      if (!co_await write(socket, frame)) co_return false;
      text_so_far += chunk_text;
      counters_.tokens += static_cast<std::uint64_t>(last - first + 1);
    }
    co_return co_await write(socket, format_.tail(g, id, produced));
  }

  asio::io_context& io_;
  SimOptions options_;
  Format format_;
  bool model_loaded_ = false;
  tcp::acceptor acceptor_;
  std::mt19937_64 rng_;
  SimCounters counters_;
  EmissionHistogram gaps_;
  EmissionHistogram lateness_;
  std::unordered_set<tcp::socket*> sockets_;
  std::deque<asio::steady_timer*> waiters_;
  std::unordered_set<asio::steady_timer*> stream_timers_;  // so stop() can wake every stream
};

SimServer::SimServer(asio::io_context& io, SimOptions options)
    : impl_(std::make_shared<Impl>(io, std::move(options))) {}

SimServer::~SimServer() = default;

Expected<std::uint16_t> SimServer::start() { return impl_->start(); }
void SimServer::stop() { impl_->stop(); }
SimCounters SimServer::counters() const { return impl_->counters(); }

}  // namespace llmbench::sim
