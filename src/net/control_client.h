#pragma once
// Blocking HTTP requests over one kept-alive connection, for the many small control requests
// made before a run (counting every prompt with an engine's /tokenize): one TCP (and TLS)
// handshake for all of them instead of one each. Not thread-safe; one caller at a time.

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <memory>
#include <optional>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "net/http_client.h"
#include "net/url.h"

namespace llmbench::net {

class ControlClient {
 public:
  ControlClient(Url url, TlsOptions tls);
  ~ControlClient();
  ControlClient(const ControlClient&) = delete;
  ControlClient& operator=(const ControlClient&) = delete;

  // One request within `timeout` (connect included). Errors as fetch(): kUnreachable when no
  // connection could be made, kProtocol when the response was cut short or not HTTP.
  Expected<SimpleResponse> request(const HttpRequest& request, Duration timeout);
  // The same with every limit given: a connect timeout is kUnreachable, any other timeout
  // kProtocol whose message names the limit.
  Expected<SimpleResponse> request(const HttpRequest& request, const Timeouts& timeouts);

  // Aborts the request in progress and fails every later one (ErrorCode::kIo, "cancelled").
  // Thread-safe: a signal handler's thread calls it while request() blocks in another.
  void cancel();
  [[nodiscard]] bool cancelled() const { return cancelled_.load(); }

  // Connections opened so far (1 while the server keeps the connection alive).
  [[nodiscard]] std::uint64_t connects() const;

 private:
  Url url_;
  TlsOptions tls_;
  asio::io_context io_;
  SteadyClockSource clock_;
  std::unique_ptr<HttpConnection> connection_;  // made on the first request
  std::atomic<bool> cancelled_{false};
};

}  // namespace llmbench::net
