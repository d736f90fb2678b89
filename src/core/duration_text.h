#pragma once
// Durations as users type them: "250ms", "30s", "5m", "1h", "1.5s", "20us"; a bare number
// is seconds.

#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/error.h"

namespace llmbench {

Expected<Duration> parse_duration(std::string_view text);
std::string format_duration(Duration d);  // "50ms", "1.5s"…

}  // namespace llmbench
