// HttpConnection's real read loop over loopback sockets: a scripted server writes responses
// in pieces at scripted times, and the tests check the events, tokens and arrival times the
// client reports against the script.

#include "net/http_client.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cctype>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "net/ndjson_decoder.h"
#include "net/sse_decoder.h"

namespace llmbench::net {
namespace {

using namespace std::chrono_literals;

// ---- scripted loopback server ----

struct Step {
  enum class Kind { kReadRequest, kReadHead, kWrite, kPause, kClose, kReset, kFlood };
  Kind kind;
  std::string bytes;  // kWrite, kFlood
  Duration pause{};   // kPause; kFlood: for how long
};
Step read_request() { return {Step::Kind::kReadRequest, {}, {}}; }
Step read_head() { return {Step::Kind::kReadHead, {}, {}}; }  // headers only, body left unread
Step write(std::string bytes) { return {Step::Kind::kWrite, std::move(bytes), {}}; }
Step pause(Duration d) { return {Step::Kind::kPause, {}, d}; }
Step close_connection() { return {Step::Kind::kClose, {}, {}}; }
Step reset_connection() { return {Step::Kind::kReset, {}, {}}; }  // RST: SO_LINGER 0
// Sends `bytes` again and again, as fast as the socket takes them, for `d` or until the peer
// closes.
Step flood(std::string bytes, Duration d) { return {Step::Kind::kFlood, std::move(bytes), d}; }
using Script = std::vector<Step>;

std::size_t content_length(std::string_view head) {
  std::string lower(head);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const std::size_t at = lower.find("\r\ncontent-length:");
  if (at == std::string::npos) return 0;
  return std::stoull(lower.substr(at + 17));
}

// Serves scripts[i] on the i-th accepted connection, on its own thread. A connection beyond
// the scripts has its request read and answered with `extra_response` (closed when empty):
// a client that sends something again is seen. Times are taken on the steady clock just
// before each write's send() and each reset.
class ScriptedServer {
 public:
  explicit ScriptedServer(std::vector<Script> scripts, std::string extra_response = {},
                          int receive_buffer = 0)
      : scripts_(std::move(scripts)), extra_response_(std::move(extra_response)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    const int on = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (receive_buffer > 0) {  // inherited by accepted sockets; keeps the window small
      ::setsockopt(listen_fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(listen_fd_, 16), 0);
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~ScriptedServer() { stop(); }
  ScriptedServer(const ScriptedServer&) = delete;
  ScriptedServer& operator=(const ScriptedServer&) = delete;

  [[nodiscard]] std::uint16_t port() const { return port_; }
  // Ends serving and joins; the figures below are final after it.
  void stop() {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
    if (listen_fd_ >= 0) ::close(listen_fd_);
    listen_fd_ = -1;
  }
  [[nodiscard]] std::vector<TimePoint> write_times() {
    std::lock_guard lock(mutex_);
    return write_times_;
  }
  [[nodiscard]] TimePoint reset_time() {
    std::lock_guard lock(mutex_);
    return reset_time_;
  }
  [[nodiscard]] int requests() const { return requests_; }  // complete requests read
  [[nodiscard]] int connections() const { return connections_; }

 private:
  int accept_one() {
    while (!stopping_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 10) > 0) return ::accept(listen_fd_, nullptr, nullptr);
    }
    return -1;
  }
  // Reads until the end of the headers (and the body unless `head_only`); false on EOF.
  bool read_message(int fd, std::string& pending, bool head_only) {
    char buf[64 * 1024];
    std::size_t head_end = std::string::npos;
    for (;;) {
      if (head_end == std::string::npos) head_end = pending.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        const std::size_t total = head_end + 4 + content_length(pending.substr(0, head_end + 2));
        if (head_only) {
          pending.clear();
          return true;
        }
        if (pending.size() >= total) {
          pending.erase(0, total);
          ++requests_;
          return true;
        }
      }
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 5000) <= 0) return false;
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return false;
      pending.append(buf, static_cast<std::size_t>(n));
    }
  }
  void run_script(int fd, const Script& script) {
    const int on = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    std::string pending;
    for (const Step& step : script) {
      switch (step.kind) {
        case Step::Kind::kReadRequest:
        case Step::Kind::kReadHead:
          if (!read_message(fd, pending, step.kind == Step::Kind::kReadHead)) return;
          break;
        case Step::Kind::kWrite: {
          {
            std::lock_guard lock(mutex_);
            write_times_.push_back(SteadyClock::now());
          }
          std::size_t off = 0;
          while (off < step.bytes.size()) {
            const ssize_t n =
                ::send(fd, step.bytes.data() + off, step.bytes.size() - off, MSG_NOSIGNAL);
            if (n <= 0) return;
            off += static_cast<std::size_t>(n);
          }
          break;
        }
        case Step::Kind::kPause:
          std::this_thread::sleep_for(step.pause);
          break;
        case Step::Kind::kFlood: {
          const TimePoint until = SteadyClock::now() + step.pause;
          std::size_t off = 0;  // a partial send goes on where it stopped: framing intact
          while (SteadyClock::now() < until && !stopping_) {
            pollfd p{fd, POLLOUT, 0};
            if (::poll(&p, 1, 10) <= 0) continue;
            if ((p.revents & (POLLERR | POLLHUP)) != 0) return;
            const ssize_t n = ::send(fd, step.bytes.data() + off, step.bytes.size() - off,
                                     MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n < 0 && errno != EAGAIN) return;
            if (n > 0) off = (off + static_cast<std::size_t>(n)) % step.bytes.size();
          }
          return;
        }
        case Step::Kind::kClose:
          ::shutdown(fd, SHUT_WR);
          return;
        case Step::Kind::kReset: {
          const linger hard{1, 0};
          ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
          std::lock_guard lock(mutex_);
          reset_time_ = SteadyClock::now();
          return;
        }
      }
    }
    // Script done: keep the connection open (keep-alive) until the client closes it.
    char buf[4096];
    while (!stopping_) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 10) > 0 && ::recv(fd, buf, sizeof buf, 0) <= 0) return;
    }
  }
  void serve() {
    std::vector<std::thread> handlers;
    for (std::size_t i = 0; !stopping_; ++i) {
      const int fd = accept_one();
      if (fd < 0) break;
      ++connections_;
      if (i < scripts_.size()) {
        // Scripts run one after another: the next connection is accepted after this one ends.
        run_script(fd, scripts_[i]);
      } else {
        std::string pending;
        if (read_message(fd, pending, false) && !extra_response_.empty()) {
          ::send(fd, extra_response_.data(), extra_response_.size(), MSG_NOSIGNAL);
        }
        ::shutdown(fd, SHUT_WR);
      }
      ::close(fd);
    }
  }

  std::vector<Script> scripts_;
  std::string extra_response_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> requests_{0};
  std::atomic<int> connections_{0};
  std::mutex mutex_;
  std::vector<TimePoint> write_times_;
  TimePoint reset_time_{};
};

// ---- client side ----

struct Frame {
  std::string payload;
  TimePoint at;
  bool operator==(const Frame& o) const { return payload == o.payload; }  // times checked apart
};

// Decodes the body as an engine adapter would frame it (SSE, NDJSON or a whole body) and
// keeps every frame with its arrival time. `busy` makes the thread sleep after the first
// frame, as a client thread busy with other streams would be late to its next read.
class Collector final : public ResponseHandler {
 public:
  explicit Collector(Duration busy = {}) : busy_(busy) {}
  void on_head(int status, std::span<const Header> headers) override {
    status_ = status;
    for (const Header& h : headers) {
      if (h.name == "Content-Type") content_type_ = h.value;
    }
  }
  void on_body(std::string_view bytes, TimePoint arrival) override {
    if (content_type_ == "text/event-stream") {
      sse_.feed(bytes, arrival, [this](const SseEvent& e) { add(e.data, e.first_byte_at); });
    } else if (content_type_ == "application/x-ndjson") {
      ndjson_.feed(bytes, arrival, [this](std::string_view line, TimePoint at) { add(line, at); });
    } else {
      if (body_.empty()) body_at_ = arrival;
      body_.append(bytes);
    }
  }
  [[nodiscard]] bool first_token_seen() const override {
    return !frames_.empty() || !body_.empty();
  }
  // Call after the exchange: the whole body becomes one frame.
  std::vector<Frame> finish() {
    sse_.finish([this](const SseEvent& e) { add(e.data, e.first_byte_at); });
    ndjson_.finish([this](std::string_view line, TimePoint at) { add(line, at); });
    if (!body_.empty()) frames_.push_back({body_, body_at_});
    return frames_;
  }
  [[nodiscard]] int status() const { return status_; }

 private:
  void add(std::string_view payload, TimePoint at) {
    frames_.push_back({std::string(payload), at});
    if (frames_.size() == 1 && busy_ > Duration::zero()) std::this_thread::sleep_for(busy_);
  }
  Duration busy_;
  int status_ = 0;
  std::string content_type_;
  SseDecoder sse_;
  NdjsonDecoder ndjson_;
  std::string body_;
  TimePoint body_at_{};
  std::vector<Frame> frames_;
};

Timeouts test_timeouts() {
  Timeouts t;
  t.total = 20s;  // a broken exchange fails the test instead of hanging it
  return t;
}

class Client {
 public:
  explicit Client(std::uint16_t port) {
    auto url = parse_url("http://127.0.0.1:" + std::to_string(port));
    EXPECT_TRUE(url);
    url_ = *url;
    auto endpoints = resolve(url_);
    EXPECT_TRUE(endpoints);
    connection_ =
        std::make_unique<HttpConnection>(io_.get_executor(), url_, *endpoints, nullptr, clock_);
  }
  ExchangeResult exchange(std::string_view bytes, ResponseHandler& handler) {
    ExchangeResult result;
    io_.restart();
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
          result = co_await connection_->exchange(bytes, handler, test_timeouts());
        },
        asio::detached);
    io_.run();
    return result;
  }
  [[nodiscard]] std::string request(std::string body = "{}") const {
    HttpRequest r;
    r.target = "/v1/completions";
    r.body = std::move(body);
    return serialize_request(r, url_);
  }
  [[nodiscard]] std::uint64_t connects() const { return connection_->connects(); }

 private:
  asio::io_context io_;
  SteadyClockSource clock_;
  Url url_;
  std::unique_ptr<HttpConnection> connection_;
};

std::string chunk(std::string_view data) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  return std::string(size) + std::string(data) + "\r\n";
}

const std::string kSseHead =
    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
const std::string kSseEvent1 = chunk("data: {\"t\":\"Hel\"}\n\n");
const std::string kSseEvent2 = chunk(": keep-alive\r\n\r\ndata: {\"t\":\"lo\"}\r\n\r\n");
const std::string kSseEnd = chunk("data: [DONE]\n\n") + "0\r\n\r\n";

const std::string kOk =
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";

struct Case {
  const char* name;
  std::string response;
  std::vector<std::string> frames;  // what the client must report
  bool close_delimited = false;     // the body ends with the connection
};

std::vector<Case> cases() {
  return {
      {"sse_chunked",
       kSseHead + kSseEvent1 + kSseEvent2 + kSseEnd,
       {"{\"t\":\"Hel\"}", "{\"t\":\"lo\"}", "[DONE]"}},
      {"ndjson_chunked",
       "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n"
       "\r\n" +
           chunk("{\"response\":\"Hel\"}\n") + chunk("{\"response\":\"lo\"}\r\n{\"done\":") +
           chunk("true}\n") + "0\r\n\r\n",
       {"{\"response\":\"Hel\"}", "{\"response\":\"lo\"}", "{\"done\":true}"}},
      {"plain_content_length",
       "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 19\r\n\r\n"
       "{\"text\":\"Hello ok\"}",
       {"{\"text\":\"Hello ok\"}"}},
      {"plain_close_delimited",
       "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
       "{\"text\":\"Hello\"}",
       {"{\"text\":\"Hello\"}"},
       true},
  };
}

std::vector<std::string> payloads(const std::vector<Frame>& frames) {
  std::vector<std::string> out;
  for (const Frame& f : frames) out.push_back(f.payload);
  return out;
}

// B3: every split of every response gives the same frames. Kept-alive responses share one
// connection (each exchange after the first also checks reuse); a close-delimited one needs
// a connection per split.
TEST(HttpClientSocket, SameFramesAtEverySplit) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    const std::size_t size = c.response.size();
    std::vector<Script> scripts;
    for (std::size_t split = 1; split < size; ++split) {
      Script piece = {read_request(), write(c.response.substr(0, split)), pause(1ms),
                      write(c.response.substr(split))};
      if (c.close_delimited) piece.push_back(close_connection());
      if (c.close_delimited || scripts.empty()) {
        scripts.push_back(std::move(piece));
      } else {
        scripts.front().insert(scripts.front().end(), piece.begin(), piece.end());
      }
    }
    ScriptedServer server(std::move(scripts));
    Client client(server.port());
    const std::string request = client.request();
    for (std::size_t split = 1; split < size; ++split) {
      SCOPED_TRACE("split at byte " + std::to_string(split));
      Collector collector;
      const ExchangeResult result = client.exchange(request, collector);
      ASSERT_EQ(result.status, ExchangeStatus::kOk) << result.message;
      EXPECT_EQ(collector.status(), 200);
      EXPECT_EQ(payloads(collector.finish()), c.frames);
      EXPECT_EQ(result.resends, 0u);
    }
    EXPECT_EQ(client.connects(), c.close_delimited ? size - 1 : 1u);
  }
}

// B3: with a 50 ms gap between two writes, each frame arrives with the write that carried
// its first byte, and the response ends with the second write. Frames of the first write
// lie within 40 ms of it; those of the second 40 ms..(actual gap + 150 ms) after it.
TEST(HttpClientSocket, ArrivalTimesFollowScriptedWrites) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    const std::string& r = c.response;
    const std::size_t body = r.find("\r\n\r\n") + 4;
    // Representative splits: status line, headers, end of head, inside the first frame,
    // between frames, inside the last frame, and before the last byte.
    std::vector<std::size_t> splits = {
        5, body / 2, body, body + 3, r.size() / 2 + 7, r.size() - 6, r.size() - 1};
    // Where each frame's first byte lies in the response.
    std::vector<std::size_t> starts;
    std::size_t from = body;
    for (const std::string& f : c.frames) {
      const std::size_t at = r.find(f.substr(0, 8), from);
      ASSERT_NE(at, std::string::npos);
      // An SSE frame starts at its "data:" line (the decoder stamps the line's first byte).
      const std::size_t line = r.rfind('\n', at);
      starts.push_back(c.name == std::string("sse_chunked") ? line + 1 : at);
      from = at + 1;
    }
    for (std::size_t split : splits) {
      SCOPED_TRACE("split at byte " + std::to_string(split));
      Script script = {read_request(), write(r.substr(0, split)), pause(50ms),
                       write(r.substr(split))};
      if (c.close_delimited) script.push_back(close_connection());
      ScriptedServer server({script});
      Client client(server.port());
      Collector collector;
      const ExchangeResult result = client.exchange(client.request(), collector);
      ASSERT_EQ(result.status, ExchangeStatus::kOk) << result.message;
      const std::vector<Frame> frames = collector.finish();
      ASSERT_EQ(payloads(frames), c.frames);
      server.stop();
      const std::vector<TimePoint> writes = server.write_times();
      ASSERT_EQ(writes.size(), 2u);
      const Duration gap = writes[1] - writes[0];
      auto expect_second = [&](TimePoint at, const char* what) {
        EXPECT_GE(at - writes[0], 40ms) << what;
        EXPECT_LE(at - writes[0], gap + 150ms) << what;
      };
      for (std::size_t i = 0; i < frames.size(); ++i) {
        SCOPED_TRACE("frame " + std::to_string(i));
        // A whole body is stamped with its first byte; so is a line split across the writes.
        if (starts[i] < split) {
          EXPECT_GE(frames[i].at - writes[0], -1ms);
          EXPECT_LT(frames[i].at - writes[0], 40ms);
        } else {
          expect_second(frames[i].at, "frame");
        }
      }
      expect_second(result.t_end, "t_end");
      EXPECT_LE(result.t_send, writes[0]);
    }
  }
}

// A2: the first token and the end arrive in one read while the thread is busy after the
// first token: the response still ended when the bytes arrived, not when the thread got
// round to its bookkeeping (on main, set_phase(kReading) replaced the arrival).
TEST(HttpClientSocket, EndInSameReadAsFirstTokenKeepsArrivalTime) {
  ScriptedServer server({{read_request(), write(kSseHead + kSseEvent1 + kSseEvent2 + kSseEnd)}});
  Client client(server.port());
  Collector collector(300ms);
  const ExchangeResult result = client.exchange(client.request(), collector);
  ASSERT_EQ(result.status, ExchangeStatus::kOk) << result.message;
  const std::vector<Frame> frames = collector.finish();
  ASSERT_EQ(frames.size(), 3u);
  server.stop();
  const TimePoint written = server.write_times().at(0);
  EXPECT_LT(result.t_end - written, 150ms);  // the busy thread took 300 ms
  EXPECT_LT(frames[0].at - written, 150ms);
}

// A2: a later read's kernel arrival time is not clamped up to when the busy thread
// finished with the first token.
TEST(HttpClientSocket, BusyThreadDoesNotDelayNextArrival) {
  ScriptedServer server(
      {{read_request(), write(kSseHead + kSseEvent1), pause(50ms), write(kSseEvent2 + kSseEnd)}});
  Client client(server.port());
  Collector collector(500ms);
  const ExchangeResult result = client.exchange(client.request(), collector);
  ASSERT_EQ(result.status, ExchangeStatus::kOk) << result.message;
  const std::vector<Frame> frames = collector.finish();
  ASSERT_EQ(frames.size(), 3u);
  server.stop();
  const std::vector<TimePoint> writes = server.write_times();
  const Duration gap = writes.at(1) - writes.at(0);
  EXPECT_GE(frames[1].at - frames[0].at, 40ms);
  EXPECT_LE(frames[1].at - frames[0].at, gap + 150ms);  // not the 500 ms the thread slept
  EXPECT_LE(result.t_end - frames[0].at, gap + 150ms);
}

// A5: a kept-alive connection that drops after the request was written and before any
// response byte is a failure, not a silent resend: the engine may have crashed on it.
TEST(HttpClientSocket, NoResendOnceTheRequestWasWritten) {
  ScriptedServer server({{read_request(), write(kOk), read_request(), close_connection()}}, kOk);
  Client client(server.port());
  Collector first;
  ASSERT_EQ(client.exchange(client.request(), first).status, ExchangeStatus::kOk);
  Collector second;
  const ExchangeResult result = client.exchange(client.request(), second);
  EXPECT_EQ(result.status, ExchangeStatus::kClosedEarly);
  EXPECT_EQ(result.resends, 0u);
  EXPECT_TRUE(result.sent);
  EXPECT_FALSE(result.head_received);
  EXPECT_NE(result.message.find("not resent"), std::string::npos) << result.message;
  server.stop();
  EXPECT_EQ(server.requests(), 2);  // the server never saw it a third time
  EXPECT_EQ(server.connections(), 1);
}

// A5: a connection the server closed while idle is replaced before the request is written,
// so nothing is resent.
TEST(HttpClientSocket, IdleConnectionClosedByServerIsReplacedBeforeSending) {
  ScriptedServer server(
      {{read_request(), write(kOk), close_connection()}, {read_request(), write(kOk)}});
  Client client(server.port());
  Collector first;
  ASSERT_EQ(client.exchange(client.request(), first).status, ExchangeStatus::kOk);
  std::this_thread::sleep_for(50ms);  // the server's FIN arrives
  Collector second;
  const ExchangeResult result = client.exchange(client.request(), second);
  EXPECT_EQ(result.status, ExchangeStatus::kOk) << result.message;
  EXPECT_EQ(result.resends, 0u);
  EXPECT_EQ(client.connects(), 2u);
  server.stop();
  EXPECT_EQ(server.requests(), 2);
}

// A5: a write that fails on a kept-alive connection (the server reset it mid-request) never
// left whole, so it is sent once more on a fresh connection: counted, with the first
// attempt's t_send. The server's small receive window keeps most of the 16 MB body unwritten
// when the reset comes.
TEST(HttpClientSocket, FailedWriteOnReusedConnectionIsResentOnceAndCounted) {
  ScriptedServer server(
      {{read_request(), write(kOk), read_head(), pause(100ms), reset_connection()},
       {read_request(), write(kOk)}},
      {}, 64 * 1024);
  Client client(server.port());
  Collector first;
  ASSERT_EQ(client.exchange(client.request(), first).status, ExchangeStatus::kOk);
  const std::string big = client.request("\"" + std::string(16 << 20, 'x') + "\"");
  Collector second;
  const ExchangeResult result = client.exchange(big, second);
  EXPECT_EQ(result.status, ExchangeStatus::kOk) << result.message;
  EXPECT_EQ(result.resends, 1u);
  EXPECT_EQ(client.connects(), 2u);
  server.stop();
  EXPECT_LT(result.t_send, server.reset_time());  // the first attempt's, before the reset
  EXPECT_EQ(server.requests(), 2);
}

// ---- issue 10: every wait bounded, timers on time under a flood, messages that say why ----

TEST(HttpClientTimeouts, DefaultsBoundEveryWait) {
  const Timeouts t;
  EXPECT_EQ(t.connect, kDefaultConnectTimeout);
  EXPECT_EQ(t.first_token, kDefaultFirstTokenTimeout);
  EXPECT_EQ(t.idle, kDefaultIdleTimeout);
  EXPECT_GT(t.connect, Duration::zero());
  EXPECT_GT(t.first_token, Duration::zero());
  EXPECT_GT(t.idle, Duration::zero());
}

struct Outcome {
  ExchangeResult result;
  Duration took{};
};

Outcome exchange_with(std::uint16_t port, const Timeouts& timeouts, ResponseHandler& handler) {
  asio::io_context io;
  SteadyClockSource clock;
  auto url = parse_url("http://127.0.0.1:" + std::to_string(port));
  EXPECT_TRUE(url);
  auto endpoints = resolve(*url);
  EXPECT_TRUE(endpoints);
  HttpConnection connection(io.get_executor(), *url, *endpoints, nullptr, clock);
  HttpRequest r;
  r.target = "/v1/completions";
  r.body = "{}";
  const std::string bytes = serialize_request(r, *url);
  Outcome out;
  const TimePoint started = SteadyClock::now();
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        out.result = co_await connection.exchange(bytes, handler, timeouts);
      },
      asio::detached);
  io.run();
  out.took = SteadyClock::now() - started;
  return out;
}

// A server that sends its head and then nothing: the first-token timeout fires and says so.
TEST(HttpClientTimeouts, StallAfterTheHeadEndsAtTheFirstTokenTimeoutNamingIt) {
  ScriptedServer server({{read_request(), write(kSseHead), pause(4s)}});
  Timeouts t;
  t.first_token = 300ms;
  t.total = 10s;
  Collector collector;
  const Outcome out = exchange_with(server.port(), t, collector);
  EXPECT_EQ(out.result.status, ExchangeStatus::kTimeoutFirstToken) << out.result.message;
  EXPECT_LT(out.took, 3s);
  EXPECT_NE(out.result.message.find("no first token within the first-token timeout (300ms)"),
            std::string::npos)
      << out.result.message;
  EXPECT_NE(out.result.message.find(std::to_string(kSseHead.size()) + " response bytes"),
            std::string::npos)
      << out.result.message;
  EXPECT_EQ(out.result.message.find("Operation canceled"), std::string::npos);
}

// With the first-token limit off, the idle limit bounds the silence from the write on: a
// server that accepts and never answers does not hang the exchange.
TEST(HttpClientTimeouts, IdleTimeoutIsArmedBeforeTheFirstTokenWhenThatLimitIsOff) {
  ScriptedServer server({{read_request(), pause(4s)}});
  Timeouts t;
  t.first_token = Duration::zero();
  t.idle = 300ms;
  t.total = 10s;
  Collector collector;
  const Outcome out = exchange_with(server.port(), t, collector);
  EXPECT_EQ(out.result.status, ExchangeStatus::kTimeoutIdle) << out.result.message;
  EXPECT_LT(out.took, 3s);
  EXPECT_NE(out.result.message.find("idle for 300ms (idle timeout) after 0 response bytes"),
            std::string::npos)
      << out.result.message;
}

TEST(HttpClientTimeouts, IdleTimeoutAfterTheFirstTokenSaysHowMuchHadArrived) {
  ScriptedServer server({{read_request(), write(kSseHead + kSseEvent1), pause(4s)}});
  Timeouts t;
  t.idle = 300ms;
  t.total = 10s;
  Collector collector;
  const Outcome out = exchange_with(server.port(), t, collector);
  EXPECT_EQ(out.result.status, ExchangeStatus::kTimeoutIdle) << out.result.message;
  EXPECT_NE(out.result.message.find("idle for 300ms (idle timeout) after " +
                                    std::to_string(kSseHead.size() + kSseEvent1.size()) +
                                    " response bytes"),
            std::string::npos)
      << out.result.message;
}

// A listener whose accept queue is full drops the SYN: the connect hangs until its limit.
TEST(HttpClientTimeouts, ConnectTimeoutNamesHostPortAndLimit) {
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener, 0), 0);
  socklen_t len = sizeof addr;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  std::vector<int> fillers;
  for (int i = 0; i < 4; ++i) {  // fill the accept queue (and the SYN queue behind it)
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    fillers.push_back(fd);
  }
  std::this_thread::sleep_for(100ms);
  Timeouts t;
  t.connect = 300ms;
  t.total = 10s;
  Collector collector;
  const Outcome out = exchange_with(ntohs(addr.sin_port), t, collector);
  for (const int fd : fillers) ::close(fd);
  ::close(listener);
  if (out.result.status == ExchangeStatus::kClosedEarly) {
    GTEST_SKIP() << "this kernel accepted past the backlog: " << out.result.message;
  }
  EXPECT_EQ(out.result.status, ExchangeStatus::kTimeoutConnect) << out.result.message;
  EXPECT_EQ(out.result.message, "connect to 127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) +
                                    " timed out after 300ms (connect timeout)");
}

// A server flooding SSE keep-alive comments as fast as it can: reads never have to wait. The
// limit still fires within a bound, and another coroutine's timer on the same io_context fires
// on time.
TEST(HttpClientTimeouts, TimersFireOnTimeUnderAKeepAliveFlood) {
  std::string comments;
  while (comments.size() < 256 * 1024) comments += ": ping\n\n";
  const std::string flood_chunk = chunk(comments);
  struct Limit {
    const char* name;
    std::string before_flood;
    ExchangeStatus expected;
  };
  for (const Limit& limit :
       {Limit{"first_token", kSseHead, ExchangeStatus::kTimeoutFirstToken},
        Limit{"total", kSseHead + kSseEvent1, ExchangeStatus::kTimeoutTotal}}) {
    SCOPED_TRACE(limit.name);
    ScriptedServer server({{read_request(), write(limit.before_flood), flood(flood_chunk, 15s)}});
    asio::io_context io;
    SteadyClockSource clock;
    auto url = parse_url("http://127.0.0.1:" + std::to_string(server.port()));
    ASSERT_TRUE(url);
    auto endpoints = resolve(*url);
    ASSERT_TRUE(endpoints);
    HttpConnection connection(io.get_executor(), *url, *endpoints, nullptr, clock);
    HttpRequest r;
    r.target = "/v1/completions";
    const std::string bytes = serialize_request(r, *url);
    Timeouts t;
    t.first_token = 500ms;
    t.idle = 500ms;
    t.total = std::string_view(limit.name) == "total" ? 800ms : 20s;
    Collector collector;
    ExchangeResult result;
    TimePoint ended{};
    const TimePoint started = SteadyClock::now();
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          result = co_await connection.exchange(bytes, collector, t);
          ended = SteadyClock::now();
        },
        asio::detached);
    // Another coroutine's timer, due 200 ms in.
    asio::steady_timer other(io);
    TimePoint other_fired{};
    other.expires_after(200ms);
    other.async_wait([&](const boost::system::error_code&) { other_fired = SteadyClock::now(); });
    io.run();
    EXPECT_EQ(result.status, limit.expected) << result.message;
    EXPECT_LT(ended - started, 5s);
    ASSERT_NE(other_fired, TimePoint{});
    EXPECT_LT(other_fired - started, 1500ms);
    server.stop();
  }
}

// Issue 10: a client out of file descriptors is the client's error, with the limit and a hint.
TEST(HttpClientErrors, OutOfFileDescriptorsIsAClientErrorWithAHint) {
  ScriptedServer server({{read_request(), write(kOk)}});
  asio::io_context io;
  SteadyClockSource clock;
  auto url = parse_url("http://127.0.0.1:" + std::to_string(server.port()));
  ASSERT_TRUE(url);
  auto endpoints = resolve(*url);
  ASSERT_TRUE(endpoints);
  const std::string bytes = serialize_request(HttpRequest{}, *url);
  // Everything is made before the descriptors run out, and one exchange warms UBSan's cache
  // of checked dynamic types: its check of a type not seen yet probes memory through a pipe,
  // which fails without descriptors and reads as an invalid vptr.
  const auto exchange_on = [&](HttpConnection& connection, Collector& collector) {
    ExchangeResult result;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          result = co_await connection.exchange(bytes, collector, test_timeouts());
        },
        asio::detached);
    io.run();
    io.restart();
    return result;
  };
  {
    HttpConnection warm(io.get_executor(), *url, *endpoints, nullptr, clock);
    Collector warm_collector;
    const ExchangeResult warmed = exchange_on(warm, warm_collector);
    ASSERT_EQ(warmed.status, ExchangeStatus::kOk) << warmed.message;
  }
  HttpConnection connection(io.get_executor(), *url, *endpoints, nullptr, clock);
  Collector collector;
  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &saved), 0);
  rlimit low = saved;
  low.rlim_cur = std::min<rlim_t>(saved.rlim_cur, 512);
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
  std::vector<int> held;
  held.reserve(low.rlim_cur);
  for (;;) {  // every descriptor below the limit in use
    const int fd = ::dup(0);
    if (fd < 0) break;
    held.push_back(fd);
  }
  const ExchangeResult result = exchange_on(connection, collector);
  for (const int fd : held) ::close(fd);
  ::setrlimit(RLIMIT_NOFILE, &saved);
  EXPECT_EQ(result.status, ExchangeStatus::kClientResource) << result.message;
  EXPECT_NE(result.message.find("the client ran out of file descriptors (ulimit -n is " +
                                std::to_string(low.rlim_cur) + ")"),
            std::string::npos)
      << result.message;
  EXPECT_NE(result.message.find("--concurrency"), std::string::npos);
}

// Issue 10: a redirect names its target (no secret from it), and is not followed.
TEST(HttpClientErrors, RedirectIsReportedWithItsTargetAndNotFollowed) {
  ScriptedServer server({{read_request(), write("HTTP/1.1 301 Moved Permanently\r\nLocation: "
                                                "http://user:pw@example.com/v1/?api_key=s3cret\r\n"
                                                "Content-Length: 0\r\n\r\n")}});
  Client client(server.port());
  Collector collector;
  const ExchangeResult r = client.exchange(client.request(), collector);
  EXPECT_EQ(r.status, ExchangeStatus::kRedirect) << r.message;
  EXPECT_EQ(r.message.rfind("HTTP 301 → http://example.com/v1/?…", 0), 0u) << r.message;
  EXPECT_EQ(r.message.find("s3cret"), std::string::npos);
  EXPECT_EQ(r.message.find("pw"), std::string::npos);
  EXPECT_EQ(collector.status(), 301);
  EXPECT_EQ(server.connections(), 1);
}

// Issue 10: 100 Continue before the response is skipped, also when it arrives on its own.
TEST(HttpClientSocket, ContinueBeforeTheResponseIsSkipped) {
  ScriptedServer server({{read_request(), write("HTTP/1.1 100 Continue\r\n\r\n"), pause(50ms),
                          write("HTTP/1.1 100 Continue\r\n\r\n" + kSseHead + kSseEvent1),
                          write(kSseEvent2 + kSseEnd)}});
  Client client(server.port());
  Collector collector;
  const ExchangeResult r = client.exchange(client.request(), collector);
  EXPECT_EQ(r.status, ExchangeStatus::kOk) << r.message;
  EXPECT_EQ(collector.status(), 200);
  EXPECT_EQ(payloads(collector.finish()),
            (std::vector<std::string>{"{\"t\":\"Hel\"}", "{\"t\":\"lo\"}", "[DONE]"}));
}

// Issue 10: a size limit fails the exchange with a message naming it.
TEST(HttpClientErrors, HeaderBlockOverTheLimitNamesIt) {
  ScriptedServer server({{read_request(), write("HTTP/1.1 200 OK\r\nX-Big: " +
                                                std::string(100 * 1024, 'a') + "\r\n\r\n")}});
  Client client(server.port());
  Collector collector;
  const ExchangeResult r = client.exchange(client.request(), collector);
  EXPECT_EQ(r.status, ExchangeStatus::kBadResponse) << r.message;
  EXPECT_NE(r.message.find("header block exceeds the 64 KiB limit"), std::string::npos)
      << r.message;
}

}  // namespace
}  // namespace llmbench::net
