#include "core/duration_text.h"

#include <charconv>
#include <cmath>

namespace llmbench {

Expected<Duration> parse_duration(std::string_view text) {
  const auto bad = [&] {
    return make_error(
        ErrorCode::kInvalidArgument,
        "'" + std::string(text) +
            "' is not a duration; write e.g. 250ms, 30s, 5m, 1h (a bare number is seconds)");
  };
  std::size_t unit_at = 0;
  while (unit_at < text.size() &&
         (std::isdigit(static_cast<unsigned char>(text[unit_at])) || text[unit_at] == '.')) {
    ++unit_at;
  }
  if (unit_at == 0) return bad();
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + unit_at, value);
  if (ec != std::errc{} || end != text.data() + unit_at || !std::isfinite(value)) return bad();
  const std::string_view unit = text.substr(unit_at);
  double seconds_per_unit = 0;
  if (unit.empty() || unit == "s")
    seconds_per_unit = 1;
  else if (unit == "ms")
    seconds_per_unit = 1e-3;
  else if (unit == "us")
    seconds_per_unit = 1e-6;
  else if (unit == "ns")
    seconds_per_unit = 1e-9;
  else if (unit == "m" || unit == "min")
    seconds_per_unit = 60;
  else if (unit == "h")
    seconds_per_unit = 3600;
  else
    return bad();
  const double ns = value * seconds_per_unit * 1e9;
  if (!(ns < 9.2e18)) return bad();  // past what a Duration holds (~292 years)
  return Duration(static_cast<Duration::rep>(std::llround(ns)));
}

std::string format_duration(Duration d) {
  const auto ns = d.count();
  char buffer[64];
  if (ns % 1'000'000'000 == 0) {
    std::snprintf(buffer, sizeof buffer, "%llds", static_cast<long long>(ns / 1'000'000'000));
  } else if (ns % 1'000'000 == 0) {
    std::snprintf(buffer, sizeof buffer, "%lldms", static_cast<long long>(ns / 1'000'000));
  } else {
    std::snprintf(buffer, sizeof buffer, "%gs", to_seconds(d));
  }
  return buffer;
}

}  // namespace llmbench
