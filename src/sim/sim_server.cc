#include "sim/sim_server.h"

#include <fmt/format.h>

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

constexpr std::string_view kWords[] = {" the", " quick", " brown", " fox", " jumps", " over",
                                       " a",   " lazy",  " dog",   " and", " runs",  " far"};

struct Fault_name {
  std::string_view name;
  Fault fault;
};
constexpr Fault_name kFaults[] = {
    {"none", Fault::kNone},       {"malformed", Fault::kMalformedFrame},
    {"reset", Fault::kReset},     {"error-event", Fault::kErrorEvent},
    {"stall", Fault::kStall},     {"429", Fault::kRateLimit},
    {"503", Fault::kUnavailable},
};

// What a generation request asked for, read from its JSON body.
struct Generation {
  bool chat = false;
  bool stream = false;
  bool include_usage = false;
  std::string model;
  std::int64_t prompt_tokens = 0;
  std::int64_t max_tokens = 0;
};

std::string chunked(std::string_view payload) {
  return fmt::format("{:x}\r\n{}\r\n", payload.size(), payload);
}

std::string response_head(int status, std::string_view reason, std::string_view content_type,
                          bool keep_alive, std::string_view extra_headers = {}) {
  return fmt::format("HTTP/1.1 {} {}\r\nServer: llmbench-sim\r\nContent-Type: {}\r\n{}{}", status,
                     reason, content_type, extra_headers,
                     keep_alive ? "" : "Connection: close\r\n");
}

std::string full_response(int status, std::string_view reason, std::string_view content_type,
                          std::string_view body, bool keep_alive,
                          std::string_view extra_headers = {}) {
  return response_head(status, reason, content_type, keep_alive, extra_headers) +
         fmt::format("Content-Length: {}\r\n\r\n{}", body.size(), body);
}

std::string openai_error(std::string_view message, std::string_view type, int code) {
  Json j = {{"error", {{"message", message}, {"type", type}, {"param", nullptr}, {"code", code}}}};
  return j.dump();
}

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
  std::int64_t count = 0;
  bool in_word = false;
  for (const char c : text) {
    const bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
    if (!space && !in_word) ++count;
    in_word = !space;
  }
  return count;
}

class SimServer::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(asio::io_context& io, SimOptions options)
      : io_(io), options_(std::move(options)), acceptor_(io), rng_(options_.seed) {}

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
      parser.body_limit(64 * 1024 * 1024);
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
        auto [ec, n] = co_await socket.async_read_some(buffer.prepare(16 * 1024), kTuple);
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

  asio::awaitable<bool> write(tcp::socket& socket, std::string_view bytes) {
    auto [ec, n] = co_await asio::async_write(socket, asio::buffer(bytes), kTuple);
    co_return !ec;
  }

  asio::awaitable<bool> respond(tcp::socket& socket, http::request<http::string_body>& request,
                                TimePoint arrived) {
    const bool keep_alive = request.keep_alive();
    const std::string target(request.target());
    const std::string path = target.substr(0, target.find('?'));
    if (request.method() == http::verb::get) {
      if (path == "/health") {
        co_await write(socket, full_response(200, "OK", "application/json", "", keep_alive));
      } else if (path == "/v1/models") {
        Json card = {{"id", options_.model},
                     {"object", "model"},
                     {"created", 0},
                     {"owned_by", "llmbench-sim"},
                     {"max_model_len", 32768}};
        Json list = {{"object", "list"}, {"data", Json::array({card})}};
        co_await write(socket,
                       full_response(200, "OK", "application/json", list.dump(), keep_alive));
      } else if (path == "/metrics") {
        co_await write(socket, full_response(200, "OK", "text/plain; version=0.0.4", metrics_text(),
                                             keep_alive));
      } else if (path == "/") {
        co_await write(
            socket, full_response(200, "OK", "text/plain", "llmbench sim is running", keep_alive));
      } else {
        co_await not_found(socket, path, keep_alive);
      }
      co_return keep_alive;
    }
    if (request.method() == http::verb::post &&
        (path == "/v1/completions" || path == "/v1/chat/completions")) {
      co_return co_await generate(socket, request, path == "/v1/chat/completions", keep_alive,
                                  arrived);
    }
    co_await not_found(socket, path, keep_alive);
    co_return keep_alive;
  }

  asio::awaitable<void> not_found(tcp::socket& socket, std::string_view path, bool keep_alive) {
    co_await write(socket, full_response(404, "Not Found", "application/json",
                                         openai_error(fmt::format("no route {}", path),
                                                      "not_found_error", 404),
                                         keep_alive));
  }

  std::string metrics_text() const {
    return fmt::format(
        "# TYPE llmbench_sim_requests_total counter\nllmbench_sim_requests_total {}\n"
        "# TYPE llmbench_sim_failures_total counter\nllmbench_sim_failures_total {}\n"
        "# TYPE llmbench_sim_generated_tokens_total counter\nllmbench_sim_generated_tokens_total "
        "{}\n"
        "# TYPE llmbench_sim_requests_running gauge\nllmbench_sim_requests_running {}\n"
        "# TYPE llmbench_sim_requests_waiting gauge\nllmbench_sim_requests_waiting {}\n",
        counters_.requests, counters_.failed, counters_.tokens, counters_.running,
        counters_.waiting);
  }

  static Expected<Generation> read_generation(const std::string& body, bool chat) {
    const Json j = Json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) return make_error(ErrorCode::kInvalidArgument, "body is not a JSON object");
    Generation g;
    g.chat = chat;
    g.model = j.value("model", "");
    g.stream = j.value("stream", false);
    if (auto it = j.find("stream_options"); it != j.end() && it->is_object()) {
      g.include_usage = it->value("include_usage", false);
    }
    if (chat) {
      auto messages = j.find("messages");
      if (messages == j.end() || !messages->is_array()) {
        return make_error(ErrorCode::kInvalidArgument, "'messages' must be an array");
      }
      for (const Json& m : *messages) {
        if (m.is_object() && m.contains("content") && m["content"].is_string()) {
          g.prompt_tokens += sim_token_count(m["content"].get<std::string>());
        }
      }
    } else {
      auto prompt = j.find("prompt");
      if (prompt == j.end() || !(prompt->is_string() || prompt->is_array())) {
        return make_error(ErrorCode::kInvalidArgument, "'prompt' must be a string");
      }
      if (prompt->is_string())
        g.prompt_tokens = sim_token_count(prompt->get<std::string>());
      else
        g.prompt_tokens = static_cast<std::int64_t>(prompt->size());
    }
    g.max_tokens = -1;
    for (const char* key : {"max_completion_tokens", "max_tokens"}) {
      if (auto it = j.find(key); it != j.end() && it->is_number_integer()) {
        g.max_tokens = it->get<std::int64_t>();
        break;
      }
    }
    if (g.max_tokens < 0) g.max_tokens = 0;
    return g;
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
                                 bool chat, bool keep_alive, TimePoint arrived) {
    auto generation = read_generation(request.body(), chat);
    if (!generation) {
      co_await write(socket, full_response(400, "Bad Request", "application/json",
                                           openai_error(generation.error().message,
                                                        "invalid_request_error", 400),
                                           keep_alive));
      co_return keep_alive;
    }
    Generation& g = *generation;
    if (g.max_tokens == 0) g.max_tokens = options_.default_max_tokens;
    const std::uint64_t id = counters_.requests++;
    if (chance(options_.fail_rate)) {
      ++counters_.failed;
      co_await write(socket, full_response(500, "Internal Server Error", "application/json",
                                           openai_error("simulated failure", "server_error", 500),
                                           keep_alive));
      co_return keep_alive;
    }
    const Fault fault = chance(options_.fault_rate) ? options_.fault : Fault::kNone;
    if (fault == Fault::kRateLimit || fault == Fault::kUnavailable) {
      ++counters_.failed;
      const bool limit = fault == Fault::kRateLimit;
      co_await write(
          socket,
          full_response(
              limit ? 429 : 503, limit ? "Too Many Requests" : "Service Unavailable",
              "application/json",
              openai_error(limit ? "simulated rate limit" : "simulated model loading",
                           limit ? "rate_limit_error" : "unavailable_error", limit ? 429 : 503),
              keep_alive, limit ? "Retry-After: 1\r\n" : ""));
      co_return keep_alive;
    }

    // A request that found a free slot starts when it arrived; a queued one when it got its
    // slot.
    const bool queued = co_await acquire_slot();
    const TimePoint start = queued ? SteadyClock::now() : arrived;
    const bool ok = co_await produce(socket, g, id, fault, keep_alive, start);
    release_slot();
    co_return ok&& keep_alive;
  }

  std::string chunk_json(const Generation& g, std::uint64_t id, std::string_view text,
                         std::string_view finish, bool role_only) const {
    Json choice = {{"index", 0},
                   {"logprobs", nullptr},
                   {"finish_reason", finish.empty() ? Json(nullptr) : Json(finish)}};
    if (g.chat) {
      choice["delta"] =
          role_only ? Json{{"role", "assistant"}, {"content", ""}} : Json{{"content", text}};
    } else {
      choice["text"] = text;
    }
    Json chunk = {{"id", fmt::format("{}-{}", g.chat ? "chatcmpl" : "cmpl", id)},
                  {"object", g.chat ? "chat.completion.chunk" : "text_completion"},
                  {"created", 0},
                  {"model", g.model.empty() ? options_.model : g.model},
                  {"choices", Json::array({choice})}};
    return chunk.dump();
  }

  Json usage_json(const Generation& g, std::int64_t produced) const {
    return {{"prompt_tokens", g.prompt_tokens},
            {"completion_tokens", produced},
            {"total_tokens", g.prompt_tokens + produced}};
  }

  asio::awaitable<bool> produce(tcp::socket& socket, const Generation& g, std::uint64_t id,
                                Fault fault, bool keep_alive, TimePoint start) {
    asio::steady_timer timer(io_);
    stream_timers_.insert(&timer);
    struct Unregister {
      std::unordered_set<asio::steady_timer*>& set;
      asio::steady_timer* timer;
      ~Unregister() { set.erase(timer); }
    } unregister{stream_timers_, &timer};
    TimePoint due = start + jittered(options_.ttft + options_.prefill_per_token * g.prompt_tokens);
    const std::int64_t n = g.max_tokens;

    if (!g.stream) {
      for (std::int64_t i = 1; i < n; ++i) due += jittered(options_.itl);
      std::string text;
      for (std::int64_t i = 0; i < n; ++i)
        text += kWords[static_cast<std::size_t>(i) % std::size(kWords)];
      Json choice = {{"index", 0}, {"finish_reason", "length"}, {"logprobs", nullptr}};
      if (g.chat)
        choice["message"] = {{"role", "assistant"}, {"content", text}};
      else
        choice["text"] = text;
      Json body = {{"id", fmt::format("{}-{}", g.chat ? "chatcmpl" : "cmpl", id)},
                   {"object", g.chat ? "chat.completion" : "text_completion"},
                   {"created", 0},
                   {"model", g.model.empty() ? options_.model : g.model},
                   {"choices", Json::array({choice})},
                   {"usage", usage_json(g, n)}};
      const std::string response =
          full_response(200, "OK", "application/json", body.dump(), keep_alive);
      timer.expires_at(due);
      co_await timer.async_wait(kTuple);
      counters_.tokens += static_cast<std::uint64_t>(n);
      co_return co_await write(socket, response);
    }

    std::string head = response_head(200, "OK", "text/event-stream", keep_alive,
                                     "Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n");
    head += "\r\n";
    // The chat role chunk goes out at once, before any token, as some servers do: a client
    // that took TTFT at the first frame would be visibly wrong against this simulator.
    if (g.chat) head += chunked("data: " + chunk_json(g, id, "", "", true) + "\n\n");
    if (!co_await write(socket, head)) co_return false;

    const std::int64_t fault_at = n / 2;
    for (std::int64_t i = 0; i < n; ++i) {
      if (i > 0) due += jittered(options_.itl);
      // The frame is built before the wait so the write happens at the scheduled instant.
      const bool last = i + 1 == n;
      const std::string frame =
          chunked("data: " +
                  chunk_json(g, id, kWords[static_cast<std::size_t>(i) % std::size(kWords)],
                             last ? "length" : "", false) +
                  "\n\n");
      timer.expires_at(due);
      co_await timer.async_wait(kTuple);
      if (i == fault_at && fault != Fault::kNone) {
        switch (fault) {
          case Fault::kMalformedFrame:
            if (!co_await write(socket, chunked("data: {\"choices\":[{\"text\": tok\n\n")))
              co_return false;
            break;
          case Fault::kReset: {
            boost::system::error_code ignored;
            socket.close(ignored);
            co_return false;
          }
          case Fault::kErrorEvent:
            co_return co_await write(
                socket,
                chunked("data: " + openai_error("simulated engine failure", "server_error", 500) +
                        "\n\ndata: [DONE]\n\n") +
                    "0\r\n\r\n");
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
      ++counters_.tokens;
    }
    std::string tail;
    if (g.include_usage) {
      Json usage_chunk = {{"id", fmt::format("{}-{}", g.chat ? "chatcmpl" : "cmpl", id)},
                          {"object", g.chat ? "chat.completion.chunk" : "text_completion"},
                          {"created", 0},
                          {"model", g.model.empty() ? options_.model : g.model},
                          {"choices", Json::array()},
                          {"usage", usage_json(g, n)}};
      tail += chunked("data: " + usage_chunk.dump() + "\n\n");
    }
    tail += chunked("data: [DONE]\n\n");
    tail += "0\r\n\r\n";
    co_return co_await write(socket, tail);
  }

  asio::io_context& io_;
  SimOptions options_;
  tcp::acceptor acceptor_;
  std::mt19937_64 rng_;
  SimCounters counters_;
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
