#include "net/http_response_parser.h"

#include <gtest/gtest.h>

#include <boost/beast/http/error.hpp>

namespace llmbench::net {
namespace {

struct Collected final : ResponseHandler {
  int status = 0;
  std::vector<Header> headers;
  std::string body;
  int heads = 0;
  void on_head(int s, std::span<const Header> h) override {
    status = s;
    headers.assign(h.begin(), h.end());
    ++heads;
  }
  void on_body(std::string_view bytes, TimePoint) override { body += bytes; }
};

// Feeds `wire` split at `cut`, as the connection does: leftover bytes stay buffered until
// more arrive. Returns whether the message completed.
bool parse_split(std::string_view wire, std::size_t cut, Collected& out, bool eof_at_end = false) {
  ResponseParser parser(out);
  std::string pending;
  for (const std::string_view piece : {wire.substr(0, cut), wire.substr(cut)}) {
    pending += piece;
    while (!pending.empty() && !parser.is_done()) {
      boost::system::error_code ec;
      const std::size_t used = parser.feed(pending, ec);
      pending.erase(0, used);
      if (ec == boost::beast::http::error::need_more) break;
      if (ec) return false;
    }
  }
  if (eof_at_end && !parser.is_done()) {
    boost::system::error_code ec;
    parser.put_eof(ec);
    if (ec) return false;
  }
  return parser.is_done();
}

const std::string kChunked =
    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
    "f\r\ndata: {\"a\":1}\n\n\r\n"
    "1b\r\ndata: {\"b\":2}\n\ndata: [DONE]\r\n"
    "2\r\n\n\n\r\n"
    "0\r\n\r\n";

TEST(ResponseParser, ChunkedBodyIsIdenticalAtEverySplit) {
  for (std::size_t cut = 0; cut <= kChunked.size(); ++cut) {
    Collected c;
    ASSERT_TRUE(parse_split(kChunked, cut, c)) << "split at " << cut;
    EXPECT_EQ(c.status, 200);
    EXPECT_EQ(c.heads, 1);
    EXPECT_EQ(c.body, "data: {\"a\":1}\n\ndata: {\"b\":2}\n\ndata: [DONE]\n\n") << cut;
  }
}

TEST(ResponseParser, ContentLengthBodyAtEverySplit) {
  const std::string wire =
      "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 3\r\nContent-Length: "
      "11\r\n\r\n{\"e\":\"no\"}\n";
  for (std::size_t cut = 0; cut <= wire.size(); ++cut) {
    Collected c;
    ASSERT_TRUE(parse_split(wire, cut, c)) << cut;
    EXPECT_EQ(c.status, 429);
    EXPECT_EQ(c.body, "{\"e\":\"no\"}\n");
    ASSERT_EQ(c.headers.size(), 2u);
    EXPECT_EQ(c.headers[0].name, "Retry-After");
    EXPECT_EQ(c.headers[0].value, "3");
  }
}

TEST(ResponseParser, BodyEndingAtConnectionClose) {
  const std::string wire = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{\"x\":1}";
  Collected c;
  EXPECT_TRUE(parse_split(wire, 20, c, /*eof_at_end=*/true));
  EXPECT_EQ(c.body, "{\"x\":1}");
}

TEST(ResponseParser, GarbageIsAnError) {
  Collected c;
  EXPECT_FALSE(parse_split("SSH-2.0-OpenSSH\r\n\r\n", 5, c));
}

}  // namespace
}  // namespace llmbench::net
