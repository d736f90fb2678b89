#pragma once
// Helpers shared by adapters that parse JSON frames with simdjson.

#include <simdjson.h>

#include <cstring>
#include <string>
#include <string_view>

namespace llmbench::engines {

// The simdjson parser used for frames on this thread. A parser owns large internal buffers
// that must be reused across frames to keep allocation off the hot path; adapters run on
// worker threads, so one parser per thread is both safe and allocation-free.
simdjson::ondemand::parser& frame_parser();

// Whether a JSON key is `name`. The adapters compare every key of every frame against
// literals; written as length-then-memcmp and always inlined, each test compiles to a few
// integer compares, where an out-of-line std::string_view::compare (which g++ emits once
// the parse functions grow) cost about 5 % of the streamed client ceiling.
[[gnu::always_inline]] inline bool key_is(std::string_view key, std::string_view name) {
  return key.size() == name.size() && std::memcmp(key.data(), name.data(), name.size()) == 0;
}

// Shortest text that reads back as the same double ("0.7", not "0.700000").
std::string format_json_number(double value);

}  // namespace llmbench::engines
