// net::NdjsonDecoder: any bytes, split in two anywhere, give the same lines as the whole
// input fed at once; no delivered line is blank or holds a newline.

#include <string>
#include <vector>

#include "fuzz_support.h"
#include "net/ndjson_decoder.h"

namespace {

using llmbench::TimePoint;

std::vector<std::string> decode(std::string_view payload, std::size_t cut) {
  std::vector<std::string> lines;
  llmbench::net::NdjsonDecoder decoder;
  auto on_line = [&lines](std::string_view line, TimePoint) { lines.emplace_back(line); };
  decoder.feed(payload.substr(0, cut), TimePoint(std::chrono::milliseconds(1)), on_line);
  decoder.feed(payload.substr(cut), TimePoint(std::chrono::milliseconds(2)), on_line);
  decoder.finish(on_line);
  return lines;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  llmbench::fuzz::Input in(data, size);
  const std::uint16_t split = in.u16();
  const std::string_view payload = in.rest();
  const auto whole = decode(payload, payload.size());
  const auto parts = decode(payload, llmbench::fuzz::cut_at(split, payload.size()));
  LLMBENCH_FUZZ_CHECK(whole == parts, "NDJSON lines differ when the input is split");
  for (const std::string& line : whole) {
    LLMBENCH_FUZZ_CHECK(line.find('\n') == std::string::npos, "a line holds a newline");
    LLMBENCH_FUZZ_CHECK(line.find_first_not_of(" \t\r") != std::string::npos, "a blank line");
  }
  return 0;
}
