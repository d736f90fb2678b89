#include "net/http_client.h"

#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <cctype>
#include <cstring>
#include <optional>

#include "core/duration_text.h"
#include "net/control_client.h"
#include "net/http_response_parser.h"

namespace llmbench::net {

namespace {

using tcp = asio::ip::tcp;
using boost::system::error_code;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kReadSize = std::size_t{64} * 1024;
constexpr Duration kPeekAfterIdle = std::chrono::milliseconds(1);

TimePoint earliest(TimePoint a, TimePoint start, Duration limit) {
  if (limit <= Duration::zero()) return a;
  return std::min(a, start + limit);
}

std::string bytes_text(std::uint64_t n) {
  return std::to_string(n) + (n == 1 ? " response byte" : " response bytes");
}

}  // namespace

std::string serialize_request(const HttpRequest& request, const Url& url) {
  std::string out;
  out.reserve(256 + request.body.size());
  out += request.method;
  out += ' ';
  out += url.with_query(request.target);
  out += " HTTP/1.1\r\nHost: ";
  out += url.host_header();
  out += "\r\nUser-Agent: llmbench\r\nAccept: */*\r\nConnection: keep-alive\r\n";
  for (const Header& h : request.headers) {
    out += h.name;
    out += ": ";
    out += h.value;
    out += "\r\n";
  }
  if (!request.body.empty() || request.method == "POST") {
    out += "Content-Type: ";
    out += request.content_type;
    out += "\r\nContent-Length: ";
    out += std::to_string(request.body.size());
    out += "\r\n";
  }
  out += "\r\n";
  out += request.body;
  return out;
}

std::string client_resource_hint(const error_code& error) {
  namespace errc = boost::system::errc;
  if (error == errc::too_many_files_open) {
    rlimit limit{};
    std::string current = "unknown";
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) {
      current = limit.rlim_cur == RLIM_INFINITY ? "unlimited" : std::to_string(limit.rlim_cur);
    }
    return "the client ran out of file descriptors (ulimit -n is " + current +
           "); raise it (ulimit -n 65536) or lower --concurrency";
  }
  if (error == errc::too_many_files_open_in_system) {
    return "the system ran out of file descriptors (ENFILE, sysctl fs.file-max); close other "
           "programs, raise fs.file-max or lower --concurrency";
  }
  if (error == errc::address_not_available) {
    return "the client ran out of local ports (EADDRNOTAVAIL: net.ipv4.ip_local_port_range is "
           "in use or in TIME_WAIT); lower --concurrency or widen the port range";
  }
  if (error == errc::no_buffer_space || error == errc::not_enough_memory) {
    return "the client ran out of socket memory (" + error.message() + "); lower --concurrency";
  }
  return {};
}

std::shared_ptr<asio::ssl::context> make_tls_context(const TlsOptions& options) {
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  if (options.verify) {
    ctx->set_default_verify_paths();
    ctx->set_verify_mode(asio::ssl::verify_peer);
  } else {
    ctx->set_verify_mode(asio::ssl::verify_none);
  }
  return ctx;
}

class HttpConnection::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(asio::any_io_executor executor, Url url, std::vector<tcp::endpoint> endpoints,
       std::shared_ptr<asio::ssl::context> tls, const Clock& clock)
      : executor_(std::move(executor)),
        url_(std::move(url)),
        endpoints_(std::move(endpoints)),
        tls_ctx_(std::move(tls)),
        clock_(clock),
        plain_(executor_),  // executor_ is declared (so initialised) before them
        timer_(executor_) {}

  asio::awaitable<ExchangeResult> exchange(std::string_view request_bytes, ResponseHandler& handler,
                                           const Timeouts& timeouts);
  void cancel() {
    cancelled_ = true;
    close_socket();
  }
  [[nodiscard]] std::uint64_t connects() const { return connects_; }

 private:
  enum class Phase { kIdle, kConnect, kFirstToken, kReading };

  asio::awaitable<ExchangeStatus> connect(std::string& message);
  void close_socket() {
    error_code ignored;
    lowest_layer().close(ignored);
    open_ = false;
  }
  tcp::socket& lowest_layer() { return tls_stream_ ? tls_stream_->next_layer() : plain_; }

  // Reads what the plain socket holds into `buffer`. `arrival` becomes when the bytes
  // arrived: the kernel's receive time of the last packet read, carried over to the steady
  // clock as (now − its age), so a read the thread reached late — busy with other streams'
  // frames — still gets the true time. Without a kernel timestamp: the time of the read.
  asio::awaitable<std::tuple<error_code, std::size_t>> read_plain(asio::mutable_buffer buffer,
                                                                  TimePoint& arrival) {
    for (;;) {
      if (!plain_.is_open()) co_return std::tuple{error_code(asio::error::operation_aborted), 0};
      iovec iov{buffer.data(), buffer.size()};
      alignas(cmsghdr) char control[CMSG_SPACE(sizeof(timespec))];
      msghdr message{};
      message.msg_iov = &iov;
      message.msg_iovlen = 1;
      message.msg_control = control;
      message.msg_controllen = sizeof control;
      const ssize_t n = ::recvmsg(plain_.native_handle(), &message, MSG_DONTWAIT);
      if (n > 0) {
        const TimePoint now = clock_.now();
        arrival = now;
        for (cmsghdr* c = CMSG_FIRSTHDR(&message); c != nullptr; c = CMSG_NXTHDR(&message, c)) {
          if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS) continue;
          timespec stamp{};
          std::memcpy(&stamp, CMSG_DATA(c), sizeof stamp);
          timespec real{};
          clock_gettime(CLOCK_REALTIME, &real);
          const auto age = std::chrono::seconds(real.tv_sec - stamp.tv_sec) +
                           std::chrono::nanoseconds(real.tv_nsec - stamp.tv_nsec);
          // A wall-clock step between the two readings could make the age absurd: only a
          // plausible one is used, and arrivals never go back before the previous read.
          if (age > Duration::zero() && age < std::chrono::seconds(10)) {
            arrival = std::max(now - std::chrono::duration_cast<Duration>(age), last_arrival_);
          }
        }
        co_return std::tuple{error_code{}, static_cast<std::size_t>(n)};
      }
      if (n == 0) co_return std::tuple{error_code(asio::error::eof), 0};
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        co_return std::tuple{error_code(errno, boost::system::system_category()), 0};
      }
      auto [wait_error] = co_await plain_.async_wait(tcp::socket::wait_read, kTuple);
      last_yield_ = clock_.now();
      if (wait_error) co_return std::tuple{wait_error, 0};
    }
  }

  // ---- watchdog: one timer per connection enforces the phase's deadline ----
  // Starts a phase: its deadline counts from now. last_arrival_ is left alone, so a read's
  // arrival time is never replaced by the time this thread got round to parsing it.
  void set_phase(Phase phase) {
    phase_ = phase;
    phase_started_ = clock_.now();
    idle_from_ = phase_started_;
    arm();
  }
  // Whether an idle kept-alive connection can carry a request: nothing is pending on it
  // (0 = the peer closed it, bytes = a close_notify or stray data) and no error is queued.
  // Checked before writing, so a connection the server closed while idle is replaced
  // without the request ever being sent on it. Servers close idle connections after a
  // keep-alive timeout of a second or more, so a connection reused within kPeekAfterIdle of
  // its last response is not asked: the peek is a syscall that cost 3-6 % of the closed-loop
  // client ceiling when made on every request.
  [[nodiscard]] bool idle_connection_usable() {
    if (!lowest_layer().is_open()) return false;
    if (clock_.now() - idle_since_ < kPeekAfterIdle) return true;
    for (;;) {
      char byte = 0;
      const ssize_t n = ::recv(lowest_layer().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
      if (n < 0 && errno == EINTR) continue;
      return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    }
  }
  [[nodiscard]] TimePoint deadline() const {
    TimePoint d = earliest(TimePoint::max(), exchange_started_, timeouts_.total);
    switch (phase_) {
      case Phase::kConnect:
        return earliest(d, phase_started_, timeouts_.connect);
      case Phase::kFirstToken:
        // The wait for the first token is the first-token limit's alone: a loaded engine
        // sends its head at once and then nothing while the request queues and prefills.
        // With that limit off, the idle limit bounds every silence from the write on.
        if (timeouts_.first_token > Duration::zero()) {
          return earliest(d, phase_started_, timeouts_.first_token);
        }
        return earliest(d, idle_from_, timeouts_.idle);
      case Phase::kReading:
        return earliest(d, idle_from_, timeouts_.idle);
      case Phase::kIdle:
        return TimePoint::max();
    }
    return d;
  }
  [[nodiscard]] ExchangeStatus expired_kind() const {
    const TimePoint total = earliest(TimePoint::max(), exchange_started_, timeouts_.total);
    if (clock_.now() >= total) return ExchangeStatus::kTimeoutTotal;
    switch (phase_) {
      case Phase::kConnect:
        return ExchangeStatus::kTimeoutConnect;
      case Phase::kFirstToken:
        return timeouts_.first_token > Duration::zero() ? ExchangeStatus::kTimeoutFirstToken
                                                        : ExchangeStatus::kTimeoutIdle;
      default:
        return ExchangeStatus::kTimeoutIdle;
    }
  }
  // "host:port", the port always shown.
  [[nodiscard]] std::string host_port() const {
    const std::string h =
        url_.host.find(':') != std::string::npos ? "[" + url_.host + "]" : url_.host;
    return h + ":" + std::to_string(url_.port);
  }
  // Which limit fired, its value, and what had arrived by then.
  [[nodiscard]] std::string timeout_message(ExchangeStatus kind) const {
    switch (kind) {
      case ExchangeStatus::kTimeoutConnect:
        return "connect to " + host_port() + (tls_ctx_ ? " (TCP + TLS)" : "") +
               " timed out after " + format_duration(timeouts_.connect) + " (connect timeout)";
      case ExchangeStatus::kTimeoutFirstToken:
        return "no first token within the first-token timeout (" +
               format_duration(timeouts_.first_token) + ") from " + host_port() + "; " +
               (bytes_in_ == 0 ? std::string("no response byte had arrived")
                               : bytes_text(bytes_in_) + " had arrived" +
                                     (head_done_ ? " (head included)" : ""));
      case ExchangeStatus::kTimeoutIdle:
        return "idle for " + format_duration(timeouts_.idle) + " (idle timeout) after " +
               bytes_text(bytes_in_) + " from " + host_port();
      case ExchangeStatus::kTimeoutTotal:
        return "total timeout (" + format_duration(timeouts_.total) + ") reached after " +
               bytes_text(bytes_in_) + " from " + host_port();
      default:
        return {};
    }
  }
  void arm() {
    ++epoch_;
    const TimePoint d = deadline();
    if (d == TimePoint::max()) {
      timer_.cancel();
      return;
    }
    wait_until(d);
  }
  void wait_until(TimePoint d) {
    timer_.expires_at(d);
    // The handler holds a reference to the Impl so a late completion never touches freed
    // memory; the epoch discards completions that belong to an earlier phase.
    timer_.async_wait([self = shared_from_this(), epoch = epoch_](const error_code& ec) {
      if (ec || epoch != self->epoch_) return;
      self->on_timer();
    });
  }
  void on_timer() {
    const TimePoint d = deadline();
    if (d == TimePoint::max()) return;
    if (clock_.now() < d) {  // the deadline moved (idle timer and a read arrived)
      wait_until(d);
      return;
    }
    expired_ = expired_kind();
    close_socket();
  }
  void disarm() {
    ++epoch_;
    phase_ = Phase::kIdle;
    timer_.cancel();
  }

  ExchangeStatus failure_status(ExchangeStatus otherwise) const {
    if (cancelled_) return ExchangeStatus::kCancelled;
    if (expired_ != ExchangeStatus::kOk) return expired_;
    return otherwise;
  }

  asio::any_io_executor executor_;
  Url url_;
  std::vector<tcp::endpoint> endpoints_;
  std::shared_ptr<asio::ssl::context> tls_ctx_;
  const Clock& clock_;
  tcp::socket plain_;
  std::optional<asio::ssl::stream<tcp::socket>> tls_stream_;
  asio::steady_timer timer_;
  boost::beast::flat_buffer buffer_;

  bool open_ = false;
  bool kernel_timestamps_ = false;  // SO_TIMESTAMPNS is on (plain TCP)
  bool cancelled_ = false;
  std::uint64_t connects_ = 0;
  std::uint64_t epoch_ = 0;
  Phase phase_ = Phase::kIdle;
  Timeouts timeouts_;
  TimePoint exchange_started_{};
  TimePoint phase_started_{};
  // Base of the idle deadline: when this thread last completed a read (or started the
  // phase). Client time, so a thread that reaches the socket late does not time out a
  // stream whose bytes are waiting in the kernel.
  TimePoint idle_from_{};
  // When the latest response bytes of this exchange arrived (the kernel's stamp on plain
  // TCP). Never set from a parse or phase change; arrivals never go back before it.
  TimePoint last_arrival_{};
  // When the connection last finished an exchange and went idle (client time).
  TimePoint idle_since_{};
  ExchangeStatus expired_ = ExchangeStatus::kOk;
  std::uint64_t bytes_in_ = 0;  // response bytes read in this exchange, heads included
  bool head_done_ = false;      // the final response's head was parsed
  // When the read loop last let other handlers run (it suspended or yielded).
  TimePoint last_yield_{};
};

asio::awaitable<ExchangeStatus> HttpConnection::Impl::connect(std::string& message) {
  error_code ignored;
  if (tls_ctx_) {
    tls_stream_.reset();
    tls_stream_.emplace(executor_, *tls_ctx_);
  } else if (plain_.is_open()) {
    plain_.close(ignored);
  }
  // Each endpoint in turn, the socket opened here so that a client out of descriptors is told
  // apart from an engine that refuses.
  error_code ec = asio::error::host_not_found;
  for (const tcp::endpoint& endpoint : endpoints_) {
    lowest_layer().close(ignored);
    lowest_layer().open(endpoint.protocol(), ec);
    if (!ec) std::tie(ec) = co_await lowest_layer().async_connect(endpoint, kTuple);
    if (!ec || cancelled_ || expired_ != ExchangeStatus::kOk) break;
    if (!client_resource_hint(ec).empty()) break;
  }
  if (ec) {
    if (std::string hint = client_resource_hint(ec);
        !hint.empty() && !cancelled_ && expired_ == ExchangeStatus::kOk) {
      message = "connect to " + host_port() + ": " + hint;
      co_return ExchangeStatus::kClientResource;
    }
    message = "connect to " + host_port() + ": " + ec.message();
    co_return failure_status(ExchangeStatus::kConnectFailed);
  }
  lowest_layer().set_option(tcp::no_delay(true), ignored);
  if (!tls_stream_) {
    // The kernel stamps each received packet; reads then know when their bytes arrived even
    // if the thread got to them late (see read_plain).
    const int on = 1;
    kernel_timestamps_ =
        ::setsockopt(plain_.native_handle(), SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) == 0;
  }
  if (tls_stream_) {
    // SNI; SSL_set_tlsext_host_name is a macro with a C cast, so call what it expands to.
    if (SSL_ctrl(tls_stream_->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME,
                 TLSEXT_NAMETYPE_host_name, const_cast<char*>(url_.host.c_str())) != 1) {
      message = "TLS: cannot set server name " + url_.host;
      co_return ExchangeStatus::kTlsFailed;
    }
    if (tls_ctx_) tls_stream_->set_verify_callback(asio::ssl::host_name_verification(url_.host));
    auto [hec] = co_await tls_stream_->async_handshake(asio::ssl::stream_base::client, kTuple);
    if (hec) {
      message = "TLS handshake with " + host_port() + ": " + hec.message();
      co_return failure_status(ExchangeStatus::kTlsFailed);
    }
  }
  open_ = true;
  ++connects_;
  co_return ExchangeStatus::kOk;
}

asio::awaitable<ExchangeResult> HttpConnection::Impl::exchange(std::string_view request_bytes,
                                                               ResponseHandler& handler,
                                                               const Timeouts& timeouts) {
  auto self = shared_from_this();  // keeps the sockets alive while suspended
  ExchangeResult result;
  timeouts_ = timeouts;
  exchange_started_ = clock_.now();
  expired_ = ExchangeStatus::kOk;
  cancelled_ = false;
  bytes_in_ = 0;
  head_done_ = false;

  // A failure the timer or cancel() caused is reported as such: the socket error it shows
  // ("Operation canceled") is only its symptom.
  auto fail = [&](ExchangeStatus status, std::string message) {
    disarm();
    close_socket();
    result.status = failure_status(status);
    if (result.status == ExchangeStatus::kCancelled) {
      result.message =
          "cancelled by llmbench (interrupt or end of the run) after " + bytes_text(bytes_in_);
    } else if (std::string timed_out = timeout_message(result.status); !timed_out.empty()) {
      result.message = std::move(timed_out);
    } else {
      result.message = std::move(message);
    }
    result.t_end = clock_.now();
    return result;
  };

  for (int attempt = 0;; ++attempt) {
    bool reused = open_;
    if (reused && !idle_connection_usable()) {
      close_socket();  // closed by the server while idle: nothing was sent on it
      reused = false;
    }
    if (!open_) {
      set_phase(Phase::kConnect);
      std::string message;
      const ExchangeStatus st = co_await connect(message);
      if (st != ExchangeStatus::kOk) co_return fail(st, message);
    }
    set_phase(Phase::kFirstToken);
    const TimePoint written_from = clock_.now();
    if (attempt == 0) result.t_send = written_from;  // a resend keeps the first attempt's
    last_arrival_ = written_from;                    // no response byte precedes the request
    result.sent = true;
    error_code wec;
    if (tls_stream_) {
      std::tie(wec, std::ignore) =
          co_await asio::async_write(*tls_stream_, asio::buffer(request_bytes), kTuple);
    } else {
      std::tie(wec, std::ignore) =
          co_await asio::async_write(plain_, asio::buffer(request_bytes), kTuple);
    }
    if (wec) {
      // The write failed, so the request never left whole: the engine cannot have acted on
      // it. On a kept-alive connection that is the server having closed it under us: send it
      // once more on a fresh connection, counted. A failure after the write (no answer) is
      // never resent: the engine may have received the request and crashed on it.
      if (reused && attempt == 0 && !cancelled_ && expired_ == ExchangeStatus::kOk) {
        close_socket();
        ++result.resends;
        continue;
      }
      co_return fail(ExchangeStatus::kClosedEarly,
                     "write to " + url_.host_header() + ": " + wec.message());
    }

    std::optional<ResponseParser> parser(std::in_place, handler);
    int informational = 0;
    buffer_.clear();
    last_yield_ = clock_.now();
    while (!parser->is_done()) {
      error_code rec;
      std::size_t n = 0;
      TimePoint arrival{};
      if (tls_stream_) {
        std::tie(rec, n) =
            co_await tls_stream_->async_read_some(buffer_.prepare(kReadSize), kTuple);
        arrival = clock_.now();  // taken before any parsing
      } else if (kernel_timestamps_) {
        std::tie(rec, n) = co_await read_plain(buffer_.prepare(kReadSize), arrival);
        if (rec) arrival = clock_.now();
      } else {
        std::tie(rec, n) = co_await plain_.async_read_some(buffer_.prepare(kReadSize), kTuple);
        arrival = clock_.now();
      }
      if (rec) {
        const bool eof = rec == asio::error::eof || rec == asio::ssl::error::stream_truncated;
        if (eof && parser->is_header_done() && parser->need_eof()) {
          error_code pec;
          parser->set_arrival(arrival);
          parser->put_eof(pec);
          last_arrival_ = arrival;
          if (!pec) break;
        }
        result.head_received = head_done_;
        std::string what = head_done_ ? "response body from " + url_.host_header() + " ended early"
                           : bytes_in_ > 0 ? "response from " + url_.host_header() + " ended early"
                                           : url_.host_header() +
                                                 " closed the connection before any response byte "
                                                 "(the request was sent; not resent)";
        co_return fail(ExchangeStatus::kClosedEarly,
                       what + " after " + bytes_text(bytes_in_) + ": " + rec.message());
      }
      bytes_in_ += n;
      last_arrival_ = arrival;
      idle_from_ = clock_.now();
      buffer_.commit(n);
      parser->set_arrival(arrival);
      for (;;) {
        if (parser->is_done()) {
          if (!parser->informational()) break;
          // 100 Continue, 103 Early Hints…: a complete message that is not the response.
          if (++informational > kMaxInformationalHeads) {
            co_return fail(ExchangeStatus::kBadResponse,
                           "invalid HTTP from " + url_.host_header() + ": more than " +
                               std::to_string(kMaxInformationalHeads) +
                               " informational (1xx) heads before the response");
          }
          parser.emplace(handler);
          parser->set_arrival(arrival);
        }
        if (buffer_.size() == 0) break;
        error_code pec;
        const auto data = buffer_.data();
        const std::size_t used =
            parser->feed(std::string_view(static_cast<const char*>(data.data()), data.size()), pec);
        buffer_.consume(used);
        if (parser->is_header_done() && !parser->informational()) head_done_ = true;
        if (pec == boost::beast::http::error::need_more) break;
        if (pec) {
          result.head_received = head_done_;
          co_return fail(ExchangeStatus::kBadResponse,
                         "invalid HTTP from " + url_.host_header() + ": " + parser->describe(pec));
        }
      }
      if (phase_ == Phase::kFirstToken && handler.first_token_seen()) {
        set_phase(Phase::kReading);  // from here the idle deadline follows the reads
      }
      if (parser->is_done()) break;
      // A read that never had to wait (a flood) would keep this thread from the timer: check
      // the deadline here too, and let other handlers run every kYieldInterval.
      const TimePoint now = clock_.now();
      if (!cancelled_ && expired_ == ExchangeStatus::kOk && now >= deadline()) {
        expired_ = expired_kind();
      }
      if (!cancelled_ && expired_ == ExchangeStatus::kOk && now - last_yield_ >= kYieldInterval) {
        co_await asio::post(executor_, asio::use_awaitable);
        last_yield_ = clock_.now();
      }
      if (cancelled_ || expired_ != ExchangeStatus::kOk) {
        result.head_received = head_done_;
        co_return fail(ExchangeStatus::kCancelled, {});
      }
    }
    result.head_received = true;
    disarm();
    if (!parser->keep_alive()) close_socket();
    result.t_end = last_arrival_;
    idle_since_ = clock_.now();
    if (const int status = parser->status(); status >= 300 && status < 400) {
      // Never followed: a benchmark measures the server it was pointed at.
      std::string location;
      for (const Header& h : parser->headers()) {
        if (h.name.size() == 8 && (h.name[0] == 'L' || h.name[0] == 'l') &&
            std::equal(h.name.begin() + 1, h.name.end(), "ocation", [](char a, char b) {
              return std::tolower(static_cast<unsigned char>(a)) == b;
            })) {
          location = redirect_target(h.value, url_);
        }
      }
      result.status = ExchangeStatus::kRedirect;
      result.message = "HTTP " + std::to_string(status) +
                       (location.empty() ? std::string(" (no Location)") : " → " + location) +
                       "; redirects are not followed: point --url at the target";
      co_return result;
    }
    result.status = ExchangeStatus::kOk;
    // The response completed when its last bytes arrived (the kernel's stamp on plain TCP), not
    // when this thread finished parsing them: a busy client would otherwise lengthen E2E and
    // TPOT by its own scheduling delay.
    co_return result;
  }
}

HttpConnection::HttpConnection(asio::any_io_executor executor, Url url,
                               std::vector<asio::ip::tcp::endpoint> endpoints,
                               std::shared_ptr<asio::ssl::context> tls, const Clock& clock)
    : impl_(std::make_shared<Impl>(std::move(executor), std::move(url), std::move(endpoints),
                                   std::move(tls), clock)) {}

HttpConnection::~HttpConnection() {
  if (impl_) impl_->cancel();
}

asio::awaitable<ExchangeResult> HttpConnection::exchange(std::string_view request_bytes,
                                                         ResponseHandler& handler,
                                                         const Timeouts& timeouts) {
  return impl_->exchange(request_bytes, handler, timeouts);
}

void HttpConnection::cancel() { impl_->cancel(); }

std::uint64_t HttpConnection::connects() const { return impl_->connects(); }

Expected<std::vector<asio::ip::tcp::endpoint>> resolve(const Url& url) {
  asio::io_context io;
  tcp::resolver resolver(io);
  error_code ec;
  auto results = resolver.resolve(url.host, std::to_string(url.port), ec);
  if (ec) {
    return make_error(ErrorCode::kUnreachable, "cannot resolve host '" + url.host + "' of " +
                                                   url.to_string() + ": " + ec.message());
  }
  std::vector<tcp::endpoint> endpoints;
  for (const auto& entry : results) endpoints.push_back(entry.endpoint());
  return endpoints;
}

Expected<SimpleResponse> fetch(const Url& url, const HttpRequest& request, Duration timeout,
                               const TlsOptions& tls) {
  return ControlClient(url, tls).request(request, timeout);
}

Expected<void> probe_reachable(const Url& url, Duration timeout, const TlsOptions& tls) {
  HttpRequest request;
  request.method = "GET";
  request.target = url.base_path.empty() ? "/" : url.base_path;
  auto response = fetch(url, request, timeout, tls);
  if (!response && response.error().code == ErrorCode::kUnreachable) {
    return tl::unexpected(response.error());
  }
  return {};  // any answer, even an error status or a slow one, means something listens
}

}  // namespace llmbench::net
