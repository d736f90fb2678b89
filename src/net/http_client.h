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

// Limits on one exchange. Zero means no limit.
struct Timeouts {
  Duration connect{};      // TCP connect + TLS handshake
  Duration first_token{};  // request written -> handler reports its first token
  Duration idle{};         // between two response reads
  Duration total{};        // whole exchange, connect included
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
  kClosedEarly,  // the peer closed or reset the connection before the response was complete
  kBadResponse,  // the bytes were not valid HTTP
  kCancelled,
};

struct ExchangeResult {
  ExchangeStatus status = ExchangeStatus::kOk;
  std::string message;  // human-readable cause when status != kOk
  bool sent = false;    // request bytes were (at least partly) written
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
  // or protocol failures: they come back as the status.
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

// Performs one request synchronously on a private io_context. Fails with kUnreachable when
// no connection could be made, kProtocol when the response was cut short or not HTTP.
Expected<SimpleResponse> fetch(const Url& url, const HttpRequest& request, Duration timeout,
                               const TlsOptions& tls);

// Opens a connection (TCP, and TLS for https) within `timeout` and sends GET /; any HTTP
// answer counts as reachable. Commands use it to fail fast with exit code 3.
Expected<void> probe_reachable(const Url& url, Duration timeout, const TlsOptions& tls);

}  // namespace llmbench::net
