#include "net/http_response_parser.h"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>

namespace llmbench::net {

namespace http = boost::beast::http;

ResponseParser::ResponseParser(ResponseHandler& handler) : handler_(handler) {
  eager(true);
  body_limit(boost::none);  // a long stream is not an error
  header_limit(64 * 1024);
}

std::size_t ResponseParser::feed(std::string_view bytes, boost::system::error_code& ec) {
  return put(boost::asio::const_buffer(bytes.data(), bytes.size()), ec);
}

void ResponseParser::on_request_impl(http::verb, string_view, string_view, int, error_code& ec) {
  ec = http::error::bad_method;  // never called for a response parser
}

void ResponseParser::on_response_impl(int code, string_view, int, error_code&) { status_ = code; }

void ResponseParser::on_field_impl(http::field, string_view name, string_view value, error_code&) {
  headers_.push_back(Header{std::string(name), std::string(value)});
}

void ResponseParser::on_header_impl(error_code&) { handler_.on_head(status_, headers_); }

void ResponseParser::on_body_init_impl(const boost::optional<std::uint64_t>&, error_code&) {}

std::size_t ResponseParser::on_body_impl(string_view body, error_code&) {
  handler_.on_body(std::string_view(body.data(), body.size()), arrival_);
  return body.size();
}

void ResponseParser::on_chunk_header_impl(std::uint64_t, string_view, error_code&) {}

std::size_t ResponseParser::on_chunk_body_impl(std::uint64_t, string_view body, error_code&) {
  handler_.on_body(std::string_view(body.data(), body.size()), arrival_);
  return body.size();
}

void ResponseParser::on_finish_impl(error_code&) {}

}  // namespace llmbench::net
