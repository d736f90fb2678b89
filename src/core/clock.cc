#include "core/clock.h"

#include <algorithm>

namespace llmbench {

double measure_clock_resolution() {
  Duration smallest = Duration::max();
  for (int i = 0; i < 1000; ++i) {
    const TimePoint a = SteadyClock::now();
    TimePoint b = SteadyClock::now();
    while (b == a) b = SteadyClock::now();
    smallest = std::min(smallest, std::chrono::duration_cast<Duration>(b - a));
  }
  return to_seconds(smallest);
}

}  // namespace llmbench
