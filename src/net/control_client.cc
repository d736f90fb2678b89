#include "net/control_client.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>

namespace llmbench::net {

namespace {

// Collects a whole (small) response in memory.
struct Collect final : ResponseHandler {
  SimpleResponse response;
  void on_head(int status, std::span<const Header> headers) override {
    response.status = status;
    response.headers.assign(headers.begin(), headers.end());
  }
  void on_body(std::string_view bytes, TimePoint) override { response.body.append(bytes); }
};

}  // namespace

ControlClient::ControlClient(Url url, TlsOptions tls) : url_(std::move(url)), tls_(tls) {}

ControlClient::~ControlClient() = default;

void ControlClient::cancel() {
  cancelled_ = true;
  // The connection belongs to the io_context's thread: the abort runs there. Posted while no
  // request runs, it waits for the next run(), which the flag already refuses.
  asio::post(io_, [this] {
    if (connection_) connection_->cancel();
  });
}

std::uint64_t ControlClient::connects() const { return connection_ ? connection_->connects() : 0; }

Expected<SimpleResponse> ControlClient::request(const HttpRequest& request, Duration timeout) {
  Timeouts timeouts;
  timeouts.connect = timeout;
  timeouts.first_token = Duration::zero();  // the total bounds a small control request
  timeouts.idle = Duration::zero();
  timeouts.total = timeout;
  return this->request(request, timeouts);
}

Expected<SimpleResponse> ControlClient::request(const HttpRequest& request,
                                                const Timeouts& timeouts) {
  if (cancelled_) return make_error(ErrorCode::kIo, "cancelled");
  if (!connection_) {
    auto endpoints = resolve(url_);
    if (!endpoints) return tl::unexpected(endpoints.error());
    connection_ =
        std::make_unique<HttpConnection>(io_.get_executor(), url_, *endpoints,
                                         url_.tls() ? make_tls_context(tls_) : nullptr, clock_);
  }
  Collect collect;
  const std::string bytes = serialize_request(request, url_);
  ExchangeResult result;
  asio::co_spawn(
      io_,
      [&]() -> asio::awaitable<void> {
        if (cancelled_) co_return;  // cancel() came before this started: its abort ran first
        result = co_await connection_->exchange(bytes, collect, timeouts);
      },
      asio::detached);
  io_.restart();
  io_.run();
  if (cancelled_) return make_error(ErrorCode::kIo, "cancelled");
  switch (result.status) {
    case ExchangeStatus::kOk:
      return std::move(collect.response);
    case ExchangeStatus::kConnectFailed:
    case ExchangeStatus::kTlsFailed:
    case ExchangeStatus::kTimeoutConnect:
      return make_error(ErrorCode::kUnreachable,
                        "cannot reach " + url_.to_string() + ": " + result.message);
    case ExchangeStatus::kClientResource:
      return make_error(ErrorCode::kIo, result.message);
    default:
      return make_error(ErrorCode::kProtocol,
                        request.method + " " + url_.scheme + "://" + url_.host_header() +
                            url_.with_query(request.target) + ": " +
                            (result.message.empty() ? "failed" : result.message));
  }
}

}  // namespace llmbench::net
