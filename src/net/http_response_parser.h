#pragma once
// HTTP/1.1 response parser (Beast's basic_parser) that streams the de-chunked body to a
// ResponseHandler instead of storing it. Pure: no sockets, so it is tested by feeding bytes
// split at every boundary.
//
// Limits (docs/limits.md "Size limits"): the header block of one response head is at most
// kMaxHeaderBytes; a chunk-size line (with its extensions) at most kMaxChunkLineBytes; a body
// that is not a stream (anything but a 2xx text/event-stream or NDJSON body) at most
// kMaxWholeBodyBytes. A stream has no size limit here: its frames are bounded by the decoders.
// An informational head (1xx) is not a response: is_done() is true after it, informational()
// says so and the caller parses the next head with a fresh parser; the handler never sees it.

#include <boost/beast/http/basic_parser.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "net/http_client.h"

namespace llmbench::net {

inline constexpr std::size_t kMaxHeaderBytes = std::size_t{64} * 1024;
inline constexpr std::size_t kMaxChunkLineBytes = std::size_t{4} * 1024;
inline constexpr std::uint64_t kMaxWholeBodyBytes = std::uint64_t{64} * 1024 * 1024;

class ResponseParser final : public boost::beast::http::basic_parser<false> {
 public:
  explicit ResponseParser(ResponseHandler& handler);

  // The arrival time attached to body bytes delivered by the next put().
  void set_arrival(TimePoint arrival) { arrival_ = arrival; }
  [[nodiscard]] int status() const { return status_; }
  // The head parsed was a 1xx (100 Continue, 103 Early Hints…): not the response.
  [[nodiscard]] bool informational() const { return status_ >= 100 && status_ < 200; }
  // The head's fields, as received (valid once is_header_done()).
  [[nodiscard]] const std::vector<Header>& headers() const { return headers_; }

  // Feeds bytes; returns how many were consumed. `ec` is need_more when more input is needed,
  // another error when the input is not HTTP or exceeds a limit (see describe()).
  std::size_t feed(std::string_view bytes, boost::system::error_code& ec);

  // What an error from feed() or put_eof() means, naming the limit when one was exceeded.
  [[nodiscard]] std::string describe(const boost::system::error_code& ec) const;

 private:
  using string_view = boost::beast::string_view;
  using error_code = boost::system::error_code;
  void on_request_impl(boost::beast::http::verb, string_view, string_view, int,
                       error_code& ec) override;
  void on_response_impl(int code, string_view reason, int version, error_code& ec) override;
  void on_field_impl(boost::beast::http::field, string_view name, string_view value,
                     error_code& ec) override;
  void on_header_impl(error_code& ec) override;
  void on_body_init_impl(const boost::optional<std::uint64_t>& length, error_code& ec) override;
  std::size_t on_body_impl(string_view body, error_code& ec) override;
  void on_chunk_header_impl(std::uint64_t size, string_view extensions, error_code& ec) override;
  std::size_t on_chunk_body_impl(std::uint64_t remain, string_view body, error_code& ec) override;
  void on_finish_impl(error_code& ec) override;
  // Counts `n` more body bytes against the whole-body limit (when it applies).
  bool within_body_limit(std::uint64_t n, error_code& ec);

  enum class Problem { kNone, kChunkLine, kBody, kUpgrade };

  ResponseHandler& handler_;
  TimePoint arrival_{};
  int status_ = 0;
  std::vector<Header> headers_;
  bool limit_body_ = true;  // the body is not a stream: kMaxWholeBodyBytes applies
  std::uint64_t body_bytes_ = 0;
  Problem problem_ = Problem::kNone;
};

}  // namespace llmbench::net
