#pragma once
// Helpers shared by adapters that parse JSON frames with simdjson.

#include <simdjson.h>

#include <string>

namespace llmbench::engines {

// The simdjson parser used for frames on this thread. A parser owns large internal buffers
// that must be reused across frames to keep allocation off the hot path; adapters run on
// worker threads, so one parser per thread is both safe and allocation-free.
simdjson::ondemand::parser& frame_parser();

// Shortest text that reads back as the same double ("0.7", not "0.700000").
std::string format_json_number(double value);

}  // namespace llmbench::engines
