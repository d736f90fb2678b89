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
#include <cmath>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <unordered_set>
#include <vector>

#include "sim/served_metrics.h"

namespace llmbench::sim {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using Json = nlohmann::json;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::string_view kPrometheusText = "text/plain; version=0.0.4; charset=utf-8";

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
// Canonical names first (to_string gives them), then the older aliases.
constexpr FaultName kFaults[] = {
    {"none", Fault::kNone},
    {"reset-before-headers", Fault::kResetBeforeHeaders},
    {"reset-mid-stream", Fault::kResetMidStream},
    {"stall-before-first-token", Fault::kStallBeforeFirstToken},
    {"stall-mid-stream", Fault::kStallMidStream},
    {"slow-headers", Fault::kSlowHeaders},
    {"malformed", Fault::kMalformedFrame},
    {"oversized-frame", Fault::kOversizedFrame},
    {"invalid-utf8", Fault::kInvalidUtf8},
    {"truncated-chunk", Fault::kTruncatedChunk},
    {"wrong-content-type", Fault::kWrongContentType},
    {"keepalive-flood", Fault::kKeepAliveFlood},
    {"error-event", Fault::kErrorEvent},
    {"rate-limit", Fault::kRateLimit},
    {"unavailable", Fault::kUnavailable},
    {"listener-down", Fault::kListenerDown},
    {"reset", Fault::kResetMidStream},
    {"stall", Fault::kStallMidStream},
    {"malformed-frame", Fault::kMalformedFrame},
    {"429", Fault::kRateLimit},
    {"503", Fault::kUnavailable},
};

// Token texts that stand for bytes nlohmann::json cannot hold (it writes them as \u000N); the
// frame is rewritten on its way out. Control characters never occur in the simulator's words.
constexpr std::string_view kOversizedMarker = "\x01";
constexpr std::string_view kUtf8Markers[] = {"\x02", "\x03", "\x04"};
struct Escape {
  std::string_view json;  // how the marker reads in a dumped frame
  std::string_view raw;   // the bytes on the wire
};
// U+20AC (E2 82 AC) split over two frames, then a byte that is never UTF-8.
constexpr Escape kUtf8Escapes[] = {
    {"\\u0002", "\xE2\x82"}, {"\\u0003", "\xAC"}, {"\\u0004", "\xFF"}};
constexpr std::string_view kOversizedEscape = "\\u0001";

// The payloads of a sequence of chunks as chunked() writes them.
std::vector<std::string_view> chunk_payloads(std::string_view frames) {
  std::vector<std::string_view> out;
  std::size_t at = 0;
  while (at < frames.size()) {
    const std::size_t line_end = frames.find("\r\n", at);
    if (line_end == std::string_view::npos) break;
    const std::size_t size = std::stoul(std::string(frames.substr(at, line_end - at)), nullptr, 16);
    out.push_back(frames.substr(line_end + 2, size));
    at = line_end + 2 + size + 2;
  }
  return out;
}

// The frames with each UTF-8 marker replaced by its raw bytes, chunked again.
std::string with_raw_utf8(std::string_view frames) {
  std::string out;
  for (const std::string_view payload : chunk_payloads(frames)) {
    std::string p(payload);
    for (const Escape& e : kUtf8Escapes) {
      for (std::size_t at = 0; (at = p.find(e.json, at)) != std::string::npos; at += e.raw.size())
        p.replace(at, e.json.size(), e.raw);
    }
    out += chunked(p);
  }
  return out;
}

// A request's own schedule stream (splitmix64): 8 bytes a request in flight, cheap to seed.
class ScheduleRng {
 public:
  using result_type = std::uint64_t;
  explicit ScheduleRng(std::uint64_t seed) : state_(seed) {}
  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return ~result_type{0}; }
  result_type operator()() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }

 private:
  std::uint64_t state_;
};

const std::string& filler_block() {
  static const std::string block(std::size_t{64} * 1024, 'x');
  return block;
}

// One chunk of keep-alive lines: SSE comments, or blank lines on an NDJSON stream.
const std::string& flood_block(bool ndjson) {
  static const std::string sse = [] {
    std::string lines;
    while (lines.size() < 60'000) lines += ": keep-alive\n";
    return chunked(lines);
  }();
  static const std::string blank = chunked(std::string(60'000, '\n'));
  return ndjson ? blank : sse;
}

const std::string& html_page() {
  static const std::string page =
      "<!DOCTYPE html>\n<html><head><title>Sign in</title></head>\n<body><h1>Welcome to the "
      "guest network</h1><p>Please sign in to continue.</p></body></html>\n";
  return page;
}

// Closes with a TCP reset (RST), not the orderly FIN, as a crashed or killed peer does.
void reset(tcp::socket& socket) {
  boost::system::error_code ignored;
  socket.set_option(asio::socket_base::linger(true, 0), ignored);
  socket.close(ignored);
}

void close_after_fin(tcp::socket& socket) {
  boost::system::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_send, ignored);
  socket.close(ignored);
}

}  // namespace

Expected<Fault> parse_fault(std::string_view name) {
  for (const auto& f : kFaults) {
    if (f.name == name) return f.fault;
  }
  return make_error(ErrorCode::kInvalidArgument,
                    "unknown fault '" + std::string(name) +
                        "'; expected none, reset-before-headers, reset-mid-stream, "
                        "stall-before-first-token, stall-mid-stream, slow-headers, malformed, "
                        "oversized-frame, invalid-utf8, truncated-chunk, wrong-content-type, "
                        "keepalive-flood, error-event, rate-limit, unavailable or listener-down "
                        "(older names: reset, stall, malformed-frame, 429, 503)");
}

std::string_view to_string(Fault fault) {
  for (const auto& f : kFaults) {
    if (f.fault == fault) return f.name;
  }
  return "none";
}

Expected<FaultRate> parse_fault_rate(std::string_view text, double default_rate) {
  const std::size_t colon = text.find(':');
  auto fault = parse_fault(text.substr(0, colon));
  if (!fault) return tl::unexpected(fault.error());
  FaultRate out{*fault, default_rate};
  if (colon != std::string_view::npos) {
    const std::string rate(text.substr(colon + 1));
    char* end = nullptr;
    out.rate = std::strtod(rate.c_str(), &end);
    if (rate.empty() || end != rate.c_str() + rate.size() || !std::isfinite(out.rate) ||
        out.rate < 0 || out.rate > 1) {
      return make_error(ErrorCode::kInvalidArgument, "rate '" + rate + "' of fault '" +
                                                         std::string(text.substr(0, colon)) +
                                                         "' must be a number in [0, 1]");
    }
  }
  return out;
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
        served_(options_.dialect, options_.model, options_.kv_cache_tokens),
        acceptor_(io),
        reopen_timer_(io),
        rng_(options_.seed) {
    faults_ = options_.faults;
    if (options_.fault != Fault::kNone) faults_.push_back({options_.fault, options_.fault_rate});
  }

  Expected<std::uint16_t> start() {
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(options_.host, ec);
    if (ec) {
      return make_error(ErrorCode::kInvalidArgument,
                        "sim: '" + options_.host + "' is not an IP address");
    }
    endpoint_ = tcp::endpoint(address, options_.port);
    if (!options_.log_requests.empty()) {
      request_log_.open(options_.log_requests, std::ios::app | std::ios::binary);
      if (!request_log_) {
        return make_error(ErrorCode::kIo,
                          "sim: --log-requests: cannot write " + options_.log_requests.string());
      }
    }
    if (auto listening = listen(); !listening) return tl::unexpected(listening.error());
    endpoint_ = acceptor_.local_endpoint();  // the port picked for port 0, kept for reopening
    asio::co_spawn(io_, accept_loop(shared_from_this(), listen_generation_), asio::detached);
    return endpoint_.port();
  }

  void stop() {
    asio::post(io_, [self = shared_from_this()] {
      boost::system::error_code ignored;
      self->stopped_ = true;
      self->reopen_timer_.cancel();
      self->acceptor_.close(ignored);
      for (tcp::socket* s : self->sockets_) s->close(ignored);
      for (asio::steady_timer* t : self->waiters_) t->cancel();
      for (asio::steady_timer* t : self->stream_timers_) t->cancel();
    });
  }

  SimCounters counters() const { return counters_; }

 private:
  Expected<void> listen() {
    boost::system::error_code ec;
    acceptor_.open(endpoint_.protocol(), ec);
    if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint_, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      boost::system::error_code ignored;
      acceptor_.close(ignored);
      return make_error(ErrorCode::kIo, fmt::format("sim: cannot listen on {}:{}: {}",
                                                    options_.host, endpoint_.port(), ec.message()));
    }
    ++listen_generation_;
    return {};
  }

  // Fault::kListenerDown: new connections are refused until listener_down from now (a fault
  // picked again meanwhile, on a kept-alive connection, moves that further); those already
  // accepted are served on.
  void take_listener_down() {
    listener_up_at_ = SteadyClock::now() + options_.listener_down;
    if (!acceptor_.is_open() || stopped_) return;  // already down: stays down longer
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    ++listen_generation_;
    asio::co_spawn(io_, reopen_listener(shared_from_this()), asio::detached);
  }
  static asio::awaitable<void> reopen_listener(std::shared_ptr<Impl> self) {
    while (!self->stopped_) {
      if (SteadyClock::now() >= self->listener_up_at_) {
        if (self->listen()) {
          asio::co_spawn(self->io_, accept_loop(self, self->listen_generation_), asio::detached);
          co_return;
        }
        // The port is not free again yet: try once more shortly.
        self->listener_up_at_ = SteadyClock::now() + std::chrono::milliseconds(100);
      }
      self->reopen_timer_.expires_at(self->listener_up_at_);
      co_await self->reopen_timer_.async_wait(kTuple);
    }
  }

  static asio::awaitable<void> accept_loop(std::shared_ptr<Impl> self, std::uint64_t generation) {
    for (;;) {
      auto [ec, socket] = co_await self->acceptor_.async_accept(kTuple);
      // The listener was closed (and maybe opened again, with its own loop) meanwhile.
      if (generation != self->listen_generation_) co_return;
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
      // The engines' metrics (TTFT, queue, e2e) start when the request is all there.
      const TimePoint received = SteadyClock::now();
      auto request = parser.release();
      open = co_await self->respond(socket, request, arrived, received) && socket.is_open();
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
                                TimePoint arrived, TimePoint received) {
    const bool keep_alive = request.keep_alive();
    const std::string target(request.target());
    const std::string path = target.substr(0, target.find('?'));
    if (request.method() == http::verb::get || request.method() == http::verb::head) {
      // Built into a named local: GCC 12 destroys a conditional's temporary twice when it
      // lives across a co_await.
      std::string answer;
      if (path == "/metrics" && served_.served()) {
        ++counters_.scrapes;
        answer = http_response(200, kPrometheusText,
                               served_.page(counters_.running, counters_.waiting), keep_alive);
      } else if (path == "/sim/metrics") {
        answer = http_response(200, kPrometheusText, metrics_text(), keep_alive);
      } else if (auto info = format_.info(path, keep_alive)) {
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
        co_return co_await generate(socket, request, *route, keep_alive, arrived, received);
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
               counters_.waiting) +
           faults_text();
  }
  // Generation requests that got a fault, in all and by kind.
  std::string faults_text() const {
    std::string out =
        fmt::format("# TYPE llmbench_sim_faults_total counter\nllmbench_sim_faults_total {}\n",
                    counters_.faults);
    for (std::size_t k = 1; k < kFaultKinds; ++k) {
      out += fmt::format("llmbench_sim_faults_total{{kind=\"{}\"}} {}\n",
                         to_string(static_cast<Fault>(k)), counters_.faults_by_kind[k]);
    }
    return out;
  }

  // Draws from a request's own schedule stream, so that concurrent streams, drawing as their
  // tokens come due, do not change each other's schedules.
  Duration jittered(ScheduleRng& rng, Duration base) const {
    if (options_.jitter <= Duration::zero()) return base;
    std::uniform_int_distribution<std::int64_t> offset(-options_.jitter.count(),
                                                       options_.jitter.count());
    return std::max(Duration::zero(), base + Duration(offset(rng)));
  }

  // One draw picks at most one fault: fault k when the draw falls in its share of [0, 1).
  Fault pick_fault() {
    if (faults_.empty()) return Fault::kNone;
    const double u = std::uniform_real_distribution<double>(0, 1)(rng_);
    double below = 0;
    for (const FaultRate& f : faults_) {
      below += f.rate;
      if (u < below) return f.fault;
    }
    return Fault::kNone;
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
                                 Route route, bool keep_alive, TimePoint arrived,
                                 TimePoint received) {
    served_.on_request();
    if (request_log_.is_open()) {
      const nlohmann::json line = {{"target", std::string(request.target())},
                                   {"body", request.body()}};
      request_log_ << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n'
                   << std::flush;
    }
    auto generation = parse_generation(route, request.body());
    const bool tgi = options_.dialect == Dialect::kTgi;
    if (!generation) {
      served_.on_failure(EngineFailure::kValidation);
      co_await write(
          socket, format_.error_response(nullptr, tgi ? 422 : 400, generation.error().message,
                                         tgi ? "validation" : "invalid_request_error", keep_alive));
      co_return keep_alive;
    }
    Generation& g = *generation;
    if (g.max_tokens == 0) g.max_tokens = options_.default_max_tokens;
    if (g.max_tokens > kMaxTokensLimit) {
      // As an engine refuses more tokens than its context holds; it also bounds the memory a
      // non-streamed answer (built whole) takes.
      served_.on_failure(EngineFailure::kValidation);
      co_await write(socket, format_.error_response(
                                 &g, tgi ? 422 : 400,
                                 fmt::format("max_tokens {} is above the simulator's limit of {}",
                                             g.max_tokens, kMaxTokensLimit),
                                 tgi ? "validation" : "invalid_request_error", keep_alive));
      co_return keep_alive;
    }
    if (!format_.accepts_model(g)) {
      const std::string message = options_.dialect == Dialect::kOllama
                                      ? fmt::format("model '{}' not found", g.model)
                                      : fmt::format("The model `{}` does not exist.", g.model);
      served_.on_failure(EngineFailure::kValidation);
      co_await write(socket, format_.error_response(&g, 404, message, "NotFoundError", keep_alive));
      co_return keep_alive;
    }
    const std::uint64_t id = counters_.requests++;
    if (chance(options_.fail_rate)) {
      ++counters_.failed;
      served_.on_failure(EngineFailure::kGeneration);
      co_await write(
          socket, format_.error_response(&g, 500, "simulated failure", "server_error", keep_alive));
      co_return keep_alive;
    }
    const Fault fault = pick_fault();
    if (fault != Fault::kNone) {
      ++counters_.faults;
      ++counters_.faults_by_kind[static_cast<std::size_t>(fault)];
    }
    switch (fault) {
      case Fault::kRateLimit:
      case Fault::kUnavailable: {
        ++counters_.failed;
        const bool limit = fault == Fault::kRateLimit;
        // A 503 while loading comes before TGI's router counts anything.
        if (limit) served_.on_failure(EngineFailure::kOverloaded);
        co_await write(socket,
                       format_.error_response(
                           &g, limit ? 429 : 503,
                           limit ? "simulated rate limit: too many requests" : "Loading model",
                           limit ? "overloaded" : "unavailable_error", keep_alive,
                           limit ? "Retry-After: 1\r\n" : ""));
        co_return keep_alive;
      }
      case Fault::kResetBeforeHeaders:
        reset(socket);
        co_return false;
      case Fault::kListenerDown:
        take_listener_down();
        reset(socket);
        co_return false;
      case Fault::kWrongContentType:
        // A proxy's or captive portal's page where the engine's answer should be.
        co_await write(socket,
                       http_response(200, "text/html; charset=utf-8", html_page(), keep_alive));
        co_return keep_alive;
      default:
        break;
    }

    // Each request draws its schedule from its own stream, seeded in arrival order.
    ScheduleRng schedule(rng_());
    // A request that found a free slot starts when it arrived; a queued one when it got its
    // slot.
    const bool queued = co_await acquire_slot();
    const TimePoint start = queued ? SteadyClock::now() : arrived;
    TrackedGeneration tracked;
    tracked.received = received;
    tracked.prompt_tokens = g.prompt_tokens;
    served_.on_slot(tracked, queued ? start : received);
    const bool ok =
        co_await produce(socket, g, id, fault, keep_alive, arrived, start, schedule, tracked);
    release_slot();
    served_.on_finish(tracked, tracked.generated == g.max_tokens);
    co_return ok&& keep_alive;
  }

  // Waits until stop() (a stalled engine never recovers).
  static asio::awaitable<void> stall(asio::steady_timer& timer) {
    timer.expires_at(asio::steady_timer::time_point::max());
    co_await timer.async_wait(kTuple);
  }

  // Fault::kSlowHeaders: one byte every kSlowHeaderByteGap.
  static asio::awaitable<bool> dribble(tcp::socket& socket, asio::steady_timer& timer,
                                       std::string_view bytes) {
    for (std::size_t i = 0; i < bytes.size(); ++i) {
      if (!co_await write(socket, bytes.substr(i, 1))) co_return false;
      timer.expires_after(kSlowHeaderByteGap);
      auto [ec] = co_await timer.async_wait(kTuple);
      if (ec) co_return false;  // stop()
    }
    co_return true;
  }

  // Fault::kOversizedFrame: `frames` as they are, except that the chunk holding the oversized
  // marker carries kOversizedFrameBytes of text in its place, written in 64 KiB pieces so that
  // the simulator never holds the frame.
  static asio::awaitable<bool> write_oversized(tcp::socket& socket, const std::string& frames) {
    for (const std::string_view payload : chunk_payloads(frames)) {
      const std::size_t at = payload.find(kOversizedEscape);
      if (at == std::string_view::npos) {
        if (!co_await write(socket, chunked(payload))) co_return false;
        continue;
      }
      const std::string_view suffix = payload.substr(at + kOversizedEscape.size());
      const std::string head = fmt::format("{:x}\r\n", at + kOversizedFrameBytes + suffix.size()) +
                               std::string(payload.substr(0, at));
      if (!co_await write(socket, head)) co_return false;
      const std::string& block = filler_block();
      for (std::size_t left = kOversizedFrameBytes; left > 0;) {
        const std::size_t piece = std::min(left, block.size());
        if (!co_await write(socket, std::string_view(block).substr(0, piece))) co_return false;
        left -= piece;
      }
      if (!co_await write(socket, std::string(suffix) + "\r\n")) co_return false;
    }
    co_return true;
  }

  asio::awaitable<bool> produce(tcp::socket& socket, const Generation& g, std::uint64_t id,
                                Fault fault, bool keep_alive, TimePoint arrived, TimePoint start,
                                ScheduleRng& schedule, TrackedGeneration& tracked) {
    asio::steady_timer timer(io_);
    stream_timers_.insert(&timer);
    struct Unregister {
      std::unordered_set<asio::steady_timer*>& set;
      asio::steady_timer* timer;
      ~Unregister() { set.erase(timer); }
    } unregister{stream_timers_, &timer};

    // The schedule is drawn as the tokens come due, never held whole: a request for ten
    // million tokens takes the memory of one.
    const std::int64_t n = g.max_tokens;
    const std::int64_t fault_at = n / 2;
    Duration load{};
    if (options_.dialect == Dialect::kOllama && !model_loaded_) load = options_.load_time;
    model_loaded_ = true;
    const auto first_due = [&](ScheduleRng& rng) {
      return start + load +
             jittered(rng, options_.ttft + options_.prefill_per_token * g.prompt_tokens);
    };
    Produced produced;
    produced.queue = to_seconds(start - arrived);
    produced.load = to_seconds(load);
    produced.output_tokens = n;

    if (!g.stream) {
      // The engine's metrics see the tokens at their scheduled instants: replayed from the
      // same draws once the answer is due, so that nothing is held per token meanwhile.
      ScheduleRng replay = schedule;
      const TimePoint first = first_due(schedule);
      TimePoint last = first;
      for (std::int64_t i = 1; i < n; ++i) last += jittered(schedule, options_.itl);
      produced.prefill = to_seconds(first - start - load);
      produced.decode = to_seconds(last - first);
      produced.total = to_seconds(last - arrived);
      const auto build = [&] {
        std::string text;
        for (std::int64_t i = 0; i < n; ++i)
          text += kWords[static_cast<std::size_t>(i) % std::size(kWords)];
        return format_.whole(g, id, text, produced, keep_alive);
      };
      // Built before the wait, so that it leaves at the scheduled instant; a very long one
      // after it, so that it is not held for the whole wait.
      constexpr std::int64_t kPrebuiltTokens = 65'536;
      std::string response = n <= kPrebuiltTokens ? build() : std::string();
      if (fault == Fault::kStallBeforeFirstToken) {
        co_await stall(timer);
        co_return false;
      }
      timer.expires_at(last);
      co_await timer.async_wait(kTuple);
      if (n > kPrebuiltTokens) response = build();
      counters_.tokens += static_cast<std::uint64_t>(n);
      TimePoint token_at = first_due(replay);
      served_.on_tokens(tracked, token_at, 1);
      for (std::int64_t i = 1; i < n; ++i) {
        token_at += jittered(replay, options_.itl);
        served_.on_tokens(tracked, token_at, 1);
      }
      const std::string_view half = std::string_view(response).substr(0, response.size() / 2);
      switch (fault) {
        case Fault::kResetMidStream:
          co_await write(socket, half);
          reset(socket);
          co_return false;
        case Fault::kTruncatedChunk:
          co_await write(socket, half);
          close_after_fin(socket);
          co_return false;
        case Fault::kStallMidStream:
          co_await write(socket, half);
          co_await stall(timer);
          co_return false;
        case Fault::kSlowHeaders: {
          const std::size_t head_end = response.find("\r\n\r\n") + 4;
          if (!co_await dribble(socket, timer, std::string_view(response).substr(0, head_end)))
            co_return false;
          co_return co_await write(socket, std::string_view(response).substr(head_end));
        }
        default:
          co_return co_await write(socket, response);
      }
    }

    const std::string head = Format::stream_head(g, keep_alive) + format_.preamble(g, id);
    if (fault == Fault::kSlowHeaders) {
      const std::size_t head_end = head.find("\r\n\r\n") + 4;
      if (!co_await dribble(socket, timer, std::string_view(head).substr(0, head_end)) ||
          !co_await write(socket, std::string_view(head).substr(head_end))) {
        co_return false;
      }
      start = SteadyClock::now();  // the script runs once the head is out
    } else if (!co_await write(socket, head)) {
      co_return false;
    }
    if (fault == Fault::kStallBeforeFirstToken) {
      co_await stall(timer);
      co_return false;
    }
    if (fault == Fault::kKeepAliveFlood) {
      const std::string& block =
          flood_block(g.route == Route::kOllamaGenerate || g.route == Route::kOllamaChat);
      while (co_await write(socket, block)) {
      }
      co_return false;  // the client gave up, or stop()
    }

    const TimePoint first_token_due = first_due(schedule);
    produced.prefill = to_seconds(first_token_due - start - load);
    TimePoint due = first_token_due;  // of token due_index
    std::int64_t due_index = 0;

    // The text of token i as the frame carries it, and as the text so far remembers it.
    const auto frame_text = [&](std::int64_t i) -> std::string_view {
      if (fault == Fault::kInvalidUtf8 && i >= fault_at && i < fault_at + 3)
        return kUtf8Markers[i - fault_at];
      if (fault == Fault::kOversizedFrame && i == fault_at) return kOversizedMarker;
      return kWords[static_cast<std::size_t>(i) % std::size(kWords)];
    };
    const auto history_text = [&](std::int64_t i) -> std::string_view {
      if (fault == Fault::kOversizedFrame && i == fault_at)
        return kWords[static_cast<std::size_t>(i) % std::size(kWords)];
      return frame_text(i);
    };

    // Tokens leave in chunks of --tokens-per-chunk, each when its last token is due (as a
    // server with stream_interval > 1 or speculative decoding sends them). TGI's native
    // stream has one event per token, so a chunk there is a burst of events in one write.
    const std::int64_t per_chunk = std::max<std::int64_t>(options_.tokens_per_chunk, 1);
    const bool event_per_token = g.route == Route::kTgiGenerateStream;
    // SGLang repeats the whole text in every frame, so it is kept; TGI's last event carries it
    // once, so it is rebuilt then. Other routes never need it.
    const bool cumulative = g.route == Route::kSglangGenerate;
    std::string text_so_far;
    TimePoint previous_write{};
    for (std::int64_t first = 0; first < n; first += per_chunk) {
      const std::int64_t last = std::min(first + per_chunk, n) - 1;
      while (due_index < last) {
        due += jittered(schedule, options_.itl);
        ++due_index;
      }
      if (last + 1 == n) {
        produced.decode = to_seconds(due - first_token_due);
        produced.total = to_seconds(due - arrived);
        if (event_per_token) {
          text_so_far.clear();
          for (std::int64_t i = 0; i < first; ++i) text_so_far += history_text(i);
        }
      }
      // The frame is built before the wait so the write happens at the scheduled instant.
      std::string frame;
      std::string chunk_text;
      for (std::int64_t i = first; i <= last; ++i) {
        const std::string_view word = frame_text(i);
        if (event_per_token) {
          frame += format_.token(g, id, i, n, word, text_so_far + chunk_text, produced);
        }
        chunk_text += word;
      }
      if (!event_per_token)
        frame = format_.token(g, id, last, n, chunk_text, text_so_far, produced);
      if (fault == Fault::kInvalidUtf8 && last >= fault_at) frame = with_raw_utf8(frame);
      timer.expires_at(due);
      co_await timer.async_wait(kTuple);
      const TimePoint written = SteadyClock::now();
      lateness_.add(written - due);
      if (first > 0) gaps_.add(written - previous_write);
      previous_write = written;
      if (fault != Fault::kNone && fault_at >= first && fault_at <= last) {
        switch (fault) {
          case Fault::kMalformedFrame:
            if (!co_await write(socket, format_.malformed(g))) co_return false;
            break;
          case Fault::kResetMidStream:
            reset(socket);
            co_return false;
          case Fault::kTruncatedChunk:
            // The chunk's size line and part of its data, then the end of the connection.
            co_await write(socket, std::string_view(frame).substr(0, frame.size() / 2));
            close_after_fin(socket);
            co_return false;
          case Fault::kErrorEvent:
            served_.on_failure(EngineFailure::kGeneration);
            // The engine ends the response properly (the event, then the body's end) and keeps
            // the connection, as the real servers do. Closing it silently would make the
            // client's next request on it race the FIN.
            co_return co_await write(socket, format_.error_event(g, "simulated engine failure"));
          case Fault::kStallMidStream:
            co_await stall(timer);
            co_return false;
          case Fault::kOversizedFrame:
            if (!co_await write_oversized(socket, frame)) co_return false;
            frame.clear();
            break;
          default:
            break;
        }
      }
      if (!frame.empty() && !co_await write(socket, frame)) co_return false;
      served_.on_tokens(tracked, written, last - first + 1);
      if (cumulative) {
        for (std::int64_t i = first; i <= last; ++i) text_so_far += history_text(i);
      }
      counters_.tokens += static_cast<std::uint64_t>(last - first + 1);
    }
    co_return co_await write(socket, format_.tail(g, id, produced));
  }

  asio::io_context& io_;
  SimOptions options_;
  std::vector<FaultRate> faults_;  // options_.faults and options_.fault together
  Format format_;
  ServedMetrics served_;  // the engine's own /metrics
  bool model_loaded_ = false;
  bool stopped_ = false;
  tcp::endpoint endpoint_;  // where the listener is (re)opened
  tcp::acceptor acceptor_;
  std::uint64_t listen_generation_ = 0;  // + 1 each time the listener opens or closes
  TimePoint listener_up_at_{};           // Fault::kListenerDown: when it opens again
  asio::steady_timer reopen_timer_;
  std::mt19937_64 rng_;
  SimCounters counters_;
  std::ofstream request_log_;  // --log-requests; written on the io thread only
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
