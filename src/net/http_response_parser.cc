#include "net/http_response_parser.h"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <cctype>

namespace llmbench::net {

namespace http = boost::beast::http;

namespace {

bool contains_nocase(std::string_view text, std::string_view what) {
  if (what.size() > text.size()) return false;
  for (std::size_t i = 0; i + what.size() <= text.size(); ++i) {
    bool same = true;
    for (std::size_t j = 0; j < what.size() && same; ++j) {
      same = std::tolower(static_cast<unsigned char>(text[i + j])) == what[j];
    }
    if (same) return true;
  }
  return false;
}

// A body that may run as long as the generation: SSE or NDJSON (JSON Lines) media types.
bool is_stream_type(std::string_view content_type) {
  return contains_nocase(content_type, "text/event-stream") ||
         contains_nocase(content_type, "ndjson") || contains_nocase(content_type, "jsonl") ||
         contains_nocase(content_type, "json-seq");
}

}  // namespace

ResponseParser::ResponseParser(ResponseHandler& handler) : handler_(handler) {
  eager(true);
  body_limit(boost::none);  // our own limit, which knows a stream from a whole body
  header_limit(static_cast<std::uint32_t>(kMaxHeaderBytes));
}

std::size_t ResponseParser::feed(std::string_view bytes, boost::system::error_code& ec) {
  const std::size_t used = put(boost::asio::const_buffer(bytes.data(), bytes.size()), ec);
  // Beast bounds the header block itself, but buffers a chunk-size line without bound.
  if (ec == http::error::need_more && is_header_done() && chunked() &&
      bytes.size() - used > kMaxChunkLineBytes) {
    problem_ = Problem::kChunkLine;
    ec = http::error::bad_chunk;
  }
  return used;
}

std::string ResponseParser::describe(const boost::system::error_code& ec) const {
  switch (problem_) {
    case Problem::kChunkLine:
      return "chunk-size line longer than the " + std::to_string(kMaxChunkLineBytes / 1024) +
             " KiB limit";
    case Problem::kBody:
      return "response body (HTTP " + std::to_string(status_) + ", not a stream) exceeds the " +
             std::to_string(kMaxWholeBodyBytes / (std::size_t{1024} * 1024)) +
             " MiB limit on a whole body";
    case Problem::kUpgrade:
      return "unexpected 101 Switching Protocols (llmbench never asks for an upgrade)";
    case Problem::kNone:
      break;
  }
  if (ec == http::error::header_limit) {
    return "response header block exceeds the " + std::to_string(kMaxHeaderBytes / 1024) +
           " KiB limit";
  }
  return ec.message();
}

void ResponseParser::on_request_impl(http::verb, string_view, string_view, int, error_code& ec) {
  ec = http::error::bad_method;  // never called for a response parser
}

void ResponseParser::on_response_impl(int code, string_view, int, error_code&) { status_ = code; }

void ResponseParser::on_field_impl(http::field, string_view name, string_view value, error_code&) {
  headers_.push_back(Header{std::string(name), std::string(value)});
}

void ResponseParser::on_header_impl(error_code& ec) {
  if (status_ == 101) {
    problem_ = Problem::kUpgrade;
    ec = http::error::bad_status;
    return;
  }
  if (informational()) return;  // not the response: the caller parses the next head
  std::string_view type;
  for (const Header& h : headers_) {
    if (h.name.size() == 12 && contains_nocase(h.name, "content-type")) type = h.value;
  }
  limit_body_ = status_ < 200 || status_ >= 300 || !is_stream_type(type);
  handler_.on_head(status_, headers_);
}

bool ResponseParser::within_body_limit(std::uint64_t n, error_code& ec) {
  if (!limit_body_) return true;
  if (n > kMaxWholeBodyBytes - body_bytes_) {
    problem_ = Problem::kBody;
    ec = http::error::body_limit;
    return false;
  }
  body_bytes_ += n;
  return true;
}

void ResponseParser::on_body_init_impl(const boost::optional<std::uint64_t>& length,
                                       error_code& ec) {
  if (limit_body_ && length && *length > kMaxWholeBodyBytes) {
    problem_ = Problem::kBody;
    ec = http::error::body_limit;
  }
}

std::size_t ResponseParser::on_body_impl(string_view body, error_code& ec) {
  if (!within_body_limit(body.size(), ec)) return 0;
  handler_.on_body(std::string_view(body.data(), body.size()), arrival_);
  return body.size();
}

void ResponseParser::on_chunk_header_impl(std::uint64_t size, string_view, error_code& ec) {
  if (limit_body_ && size > kMaxWholeBodyBytes - body_bytes_) {
    problem_ = Problem::kBody;
    ec = http::error::body_limit;
  }
}

std::size_t ResponseParser::on_chunk_body_impl(std::uint64_t, string_view body, error_code& ec) {
  if (!within_body_limit(body.size(), ec)) return 0;
  handler_.on_body(std::string_view(body.data(), body.size()), arrival_);
  return body.size();
}

void ResponseParser::on_finish_impl(error_code&) {}

}  // namespace llmbench::net
