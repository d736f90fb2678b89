#pragma once
// HTTP/1.1 response parser (Beast's basic_parser) that streams the de-chunked body to a
// ResponseHandler instead of storing it. Pure: no sockets, so it is tested by feeding bytes
// split at every boundary.

#include <boost/beast/http/basic_parser.hpp>
#include <string_view>
#include <vector>

#include "net/http_client.h"

namespace llmbench::net {

class ResponseParser final : public boost::beast::http::basic_parser<false> {
 public:
  explicit ResponseParser(ResponseHandler& handler);

  // The arrival time attached to body bytes delivered by the next put().
  void set_arrival(TimePoint arrival) { arrival_ = arrival; }
  [[nodiscard]] int status() const { return status_; }

  // Feeds bytes; returns how many were consumed. `ec` is need_more when more input is needed,
  // another error when the input is not HTTP.
  std::size_t feed(std::string_view bytes, boost::system::error_code& ec);

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

  ResponseHandler& handler_;
  TimePoint arrival_{};
  int status_ = 0;
  std::vector<Header> headers_;
};

}  // namespace llmbench::net
