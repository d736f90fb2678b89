#pragma once
// Asynchronous HTTP/1.1 client connection on Boost.Asio/Beast with C++20 coroutines.
//
// One HttpConnection belongs to one coroutine on one io_context thread; it is not
// thread-safe. It keeps its socket open between exchanges (keep-alive) and reconnects when
// the server closed it while idle. Response bytes are timestamped in the read completion,
// before any parsing, and handed to a ResponseHandler together with that time.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "net/url.h"

namespace llmbench::net {

namespace asio = boost::asio;

struct Header {
  std::string name;
  std::string value;
};

struct HttpRequest {
  std::string method = "POST";
  std::string target;  // path and query, starting with '/'
  std::vector<Header> headers;
  std::string body;
  std::string content_type = "application/json";
};

// Adds the URL's query to the target and Host, Content-Length, Content-Type and keep-alive
// to the request; output is the exact bytes written to the socket.
std::string serialize_request(const HttpRequest& request, const Url& url);

// Default limits of one benchmark request (docs/limits.md "Timeouts and their defaults").
// Every wait is bounded unless a user turns a limit off: connecting, the wait for the first
// token (queueing and prefill of a long prompt under load), and every silence after it.
inline constexpr Duration kDefaultConnectTimeout = std::chrono::seconds(10);
inline constexpr Duration kDefaultFirstTokenTimeout = std::chrono::seconds(300);
inline constexpr Duration kDefaultIdleTimeout = std::chrono::seconds(60);

// Limits on one exchange. Zero means no limit.
//  - connect: TCP connect + TLS handshake.
//  - first_token: from the request written until the handler reports its first token; bytes
//    before it (headers, role chunks, keep-alive comments) do not extend it.
//  - idle: the longest silence between two response reads after the first token; before it
//    too when first_token is off (then counted from the request written).
//  - total: the whole exchange, connect included. Off by default: a response that keeps
//    arriving is progressing, and how long a generation may take is the user's to say.
struct Timeouts {
  Duration connect = kDefaultConnectTimeout;
  Duration first_token = kDefaultFirstTokenTimeout;
  Duration idle = kDefaultIdleTimeout;
  Duration total{};
};

// Receives a response as it arrives. Called on the connection's thread; must not block.
class ResponseHandler {
 public:
  virtual ~ResponseHandler() = default;
  virtual void on_head(int status, std::span<const Header> headers) = 0;
  // A piece of the (de-chunked) body; `arrival` is when the read holding it completed.
  virtual void on_body(std::string_view bytes, TimePoint arrival) = 0;
  // Whether the response has delivered its first token (or failed). Until it has, the
  // first-token timeout applies instead of the idle timeout: engines send headers, role
  // chunks and keep-alives long before the first token. Plain handlers count any byte.
  [[nodiscard]] virtual bool first_token_seen() const { return true; }
};

enum class ExchangeStatus {
  kOk,
  kConnectFailed,
  kTlsFailed,
  kTimeoutConnect,
  kTimeoutFirstToken,
  kTimeoutIdle,
  kTimeoutTotal,
  kClosedEarly,     // the peer closed or reset the connection before the response was complete
  kBadResponse,     // the bytes were not valid HTTP, or exceeded a size limit
  kRedirect,        // a 3xx final response: never followed; the message names the target
  kClientResource,  // the client ran out of file descriptors, local ports or socket memory
  kCancelled,
};

struct ExchangeResult {
  ExchangeStatus status = ExchangeStatus::kOk;
  // Human-readable cause when status != kOk. A timeout names the limit, its value and what
  // had arrived ("idle for 60s (idle timeout) after 1234 response bytes").
  std::string message;
  bool sent = false;  // request bytes were (at least partly) written
  bool head_received = false;
  // Times the request was written again on a fresh connection. Only a write that failed on
  // a kept-alive connection is resent (the request never left whole); at most once.
  std::uint32_t resends = 0;
  TimePoint t_send{};  // when the first attempt began writing (a resend does not move it)
  TimePoint t_end{};   // when the response completed or the exchange failed
};

// TLS settings shared by all connections of a run.
struct TlsOptions {
  bool verify = true;  // verify the server certificate and host name
};
std::shared_ptr<asio::ssl::context> make_tls_context(const TlsOptions& options);

// Longest a read loop keeps the thread without letting other handlers run.
inline constexpr Duration kYieldInterval = std::chrono::milliseconds(2);
// Informational (1xx) heads accepted before the response.
inline constexpr int kMaxInformationalHeads = 16;

class HttpConnection {
 public:
  // `endpoints` are resolved once per run; `tls` is null for plain HTTP. The clock must
  // outlive the connection.
  HttpConnection(asio::any_io_executor executor, Url url,
                 std::vector<asio::ip::tcp::endpoint> endpoints,
                 std::shared_ptr<asio::ssl::context> tls, const Clock& clock);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // Sends `request_bytes` and streams the response into `handler`. Never throws for network
  // or protocol failures: they come back as the status. Informational heads (100 Continue…)
  // are skipped; a 3xx final response is reported as kRedirect once the handler has seen its
  // head. The deadlines are checked after every read as well as by the timer, and a read loop
  // that never has to wait (a byte flood) yields to the executor every kYieldInterval, so
  // timers, signals and other coroutines on the same executor run on time.
  asio::awaitable<ExchangeResult> exchange(std::string_view request_bytes, ResponseHandler& handler,
                                           const Timeouts& timeouts);

  // Aborts the exchange in progress (it returns kCancelled) and closes the socket. Call on
  // the connection's thread.
  void cancel();

  [[nodiscard]] std::uint64_t connects() const;

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

// Resolves a URL's host once. Errors name the host and the resolver's message.
Expected<std::vector<asio::ip::tcp::endpoint>> resolve(const Url& url);

// A complete response held in memory (for small control requests, not for benchmarking).
struct SimpleResponse {
  int status = 0;
  std::vector<Header> headers;
  std::string body;
};

// Performs one request synchronously on a private io_context, within `timeout` (connect
// included). Fails with kUnreachable when no connection could be made (refused, connect timed
// out), kProtocol when the response was cut short, late, a redirect or not HTTP, kIo when the
// client ran out of file descriptors or ports.
Expected<SimpleResponse> fetch(const Url& url, const HttpRequest& request, Duration timeout,
                               const TlsOptions& tls);

// The hint for a client out of a resource (file descriptors, local ports, socket memory), or
// empty when `error` is not one of those. Names the limit in force (ulimit -n).
std::string client_resource_hint(const boost::system::error_code& error);

// Opens a connection (TCP, and TLS for https) within `timeout` and sends GET /; any HTTP
// answer counts as reachable. Commands use it to fail fast with exit code 3.
Expected<void> probe_reachable(const Url& url, Duration timeout, const TlsOptions& tls);

}  // namespace llmbench::net
