#pragma once
// Clocks. Every measured instant in llmbench is a steady_clock time point; wall-clock time
// appears only in result metadata (run start), never in a latency.

#include <chrono>
#include <cstdint>

namespace llmbench {

using SteadyClock = std::chrono::steady_clock;
using TimePoint = SteadyClock::time_point;
using Duration = std::chrono::nanoseconds;

// Source of monotonic time. Passed by reference so tests can substitute a fake; the
// production implementation is SteadyClockSource.
class Clock {
 public:
  virtual ~Clock() = default;
  [[nodiscard]] virtual TimePoint now() const = 0;
};

class SteadyClockSource final : public Clock {
 public:
  [[nodiscard]] TimePoint now() const override { return SteadyClock::now(); }
};

// Seconds as a double, the unit of every time figure in results.
inline double to_seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

// Resolution of the monotonic clock in seconds (METRICS.md M41), measured by sampling the
// smallest non-zero step between consecutive readings.
double measure_clock_resolution();

}  // namespace llmbench
