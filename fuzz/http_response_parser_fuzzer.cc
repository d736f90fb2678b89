// net::ResponseParser fed as the connection feeds it (unconsumed bytes stay buffered until
// more arrive; EOF ends a body without a length): any bytes, split in two anywhere, give the
// same verdict, status, headers and de-chunked body as the whole input at once.

#include <boost/beast/http/error.hpp>
#include <string>
#include <vector>

#include "fuzz_support.h"
#include "net/http_response_parser.h"

namespace {

using llmbench::TimePoint;
using llmbench::net::Header;

struct Collected final : llmbench::net::ResponseHandler {
  int status = 0;
  int heads = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  void on_head(int s, std::span<const Header> h) override {
    status = s;
    ++heads;
    for (const Header& header : h) headers.emplace_back(header.name, header.value);
  }
  void on_body(std::string_view bytes, TimePoint) override { body += bytes; }
};

enum class Verdict { kDone, kNeedMore, kError };

struct Parsed {
  Verdict verdict = Verdict::kNeedMore;
  int status = 0;
  int heads = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool operator==(const Parsed&) const = default;
};

Parsed parse(std::string_view wire, std::size_t cut, bool eof_at_end) {
  Collected handler;
  llmbench::net::ResponseParser parser(handler);
  std::string pending;
  Verdict verdict = Verdict::kNeedMore;
  for (const std::string_view piece : {wire.substr(0, cut), wire.substr(cut)}) {
    pending += piece;
    while (!pending.empty() && !parser.is_done()) {
      boost::system::error_code ec;
      const std::size_t used = parser.feed(pending, ec);
      LLMBENCH_FUZZ_CHECK(used <= pending.size(), "consumed more than was fed");
      pending.erase(0, used);
      if (ec == boost::beast::http::error::need_more) break;
      if (ec) {
        verdict = Verdict::kError;
        break;
      }
    }
    if (verdict == Verdict::kError) break;
  }
  if (verdict != Verdict::kError) {
    if (!parser.is_done() && eof_at_end && parser.is_header_done() && parser.need_eof()) {
      boost::system::error_code ec;
      parser.put_eof(ec);
      if (ec) verdict = Verdict::kError;
    }
    if (verdict != Verdict::kError && parser.is_done()) verdict = Verdict::kDone;
  }
  LLMBENCH_FUZZ_CHECK(handler.heads <= 1, "more than one head for one response");
  LLMBENCH_FUZZ_CHECK(handler.body.size() <= wire.size(), "more body than input");
  return {verdict, handler.status, handler.heads, std::move(handler.headers),
          std::move(handler.body)};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  llmbench::fuzz::Input in(data, size);
  const std::uint16_t split = in.u16();
  const bool eof_at_end = (in.byte() & 1) != 0;
  const std::string_view wire = in.rest();
  const Parsed whole = parse(wire, wire.size(), eof_at_end);
  const Parsed parts = parse(wire, llmbench::fuzz::cut_at(split, wire.size()), eof_at_end);
  // Beast checks a head's bytes as they come, but a head cut short is only checked again once
  // its end has arrived: bad bytes can be an error whole and "need more" split. Either way the
  // exchange fails (invalid HTTP, or ended early); a response accepted one way and refused the
  // other, or read differently, is a bug.
  const bool one_done = whole.verdict == Verdict::kDone || parts.verdict == Verdict::kDone;
  const bool one_error = whole.verdict == Verdict::kError || parts.verdict == Verdict::kError;
  LLMBENCH_FUZZ_CHECK(!(one_done && one_error), "accepted whole, refused split (or reverse)");
  if (!one_error) LLMBENCH_FUZZ_CHECK(whole == parts, "response differs when split");
  return 0;
}
