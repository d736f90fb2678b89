// net::SseDecoder: any bytes, split in two anywhere, give the same events, comment count and
// truncated bytes as the whole input fed at once.

#include <string>
#include <tuple>
#include <vector>

#include "fuzz_support.h"
#include "net/sse_decoder.h"

namespace {

using llmbench::TimePoint;

struct Decoded {
  std::vector<std::tuple<std::string, std::string, bool>> events;
  std::size_t comments = 0;
  std::size_t truncated = 0;
  bool operator==(const Decoded&) const = default;
};

Decoded decode(std::string_view payload, std::size_t cut) {
  Decoded out;
  llmbench::net::SseDecoder decoder;
  auto on_event = [&out](const llmbench::net::SseEvent& e) {
    out.events.emplace_back(std::string(e.data), std::string(e.event_name), e.error_field);
  };
  decoder.feed(payload.substr(0, cut), TimePoint(std::chrono::milliseconds(1)), on_event);
  decoder.feed(payload.substr(cut), TimePoint(std::chrono::milliseconds(2)), on_event);
  decoder.finish(on_event);
  out.comments = decoder.comments();
  out.truncated = decoder.truncated_bytes();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  llmbench::fuzz::Input in(data, size);
  const std::uint16_t split = in.u16();
  const std::string_view payload = in.rest();
  const Decoded whole = decode(payload, payload.size());
  const Decoded parts = decode(payload, llmbench::fuzz::cut_at(split, payload.size()));
  LLMBENCH_FUZZ_CHECK(whole == parts, "SSE events differ when the input is split");
  std::size_t data_bytes = 0;
  for (const auto& e : whole.events) data_bytes += std::get<0>(e).size();
  LLMBENCH_FUZZ_CHECK(data_bytes <= payload.size(), "more event data than input");
  return 0;
}
