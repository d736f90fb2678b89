#pragma once
// Arrival processes for open-loop runs. The whole schedule — when each request is due — is
// built before the clock starts, from its own seeded random stream (separate from the one
// that picks prompts), so the same seed gives the same schedule whatever the machine does.
//
// Arrivals are generated in "operational time" with mean gap 1 (constant: exactly 1;
// Poisson: exponential; gamma: shape = burstiness) and mapped to real time through the
// inverse of the cumulative rate Λ(t) = ∫ rate. For a constant rate this is just a scale;
// for a piecewise-linear rate schedule (ramps, holds, spikes) it gives an inhomogeneous
// process with exactly the asked instantaneous rate.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace llmbench::workload {

enum class ArrivalKind { kConstant, kPoisson, kGamma };
Expected<ArrivalKind> parse_arrival_kind(std::string_view name);
std::string_view to_string(ArrivalKind kind);

// The rate (req/s) at time `at` (s); between two points the rate changes linearly, after
// the last it holds. The first point is at 0.
struct RatePoint {
  double at = 0;
  double rate = 0;
};

// "0:10,30s:50,60s:10" (times as durations or bare seconds). A step is two points at the
// same time: "0:10,30s:10,30s:100,40s:100,40s:10".
Expected<std::vector<RatePoint>> parse_rate_schedule(std::string_view text);

struct ArrivalOptions {
  ArrivalKind kind = ArrivalKind::kPoisson;
  double burstiness = 1;  // gamma shape: < 1 burstier than Poisson, > 1 more regular
  std::vector<RatePoint> rates;
  std::uint64_t seed = 0;
};

// Largest schedule built in memory (8 bytes per request).
inline constexpr std::uint64_t kMaxScheduledRequests = 50'000'000;

// Offsets in seconds from the run start, ascending, first at 0: `count` arrivals, or every
// arrival before `duration` when count is not given (at least one must be).
Expected<std::vector<double>> build_schedule(const ArrivalOptions& options,
                                             std::optional<std::uint64_t> count,
                                             std::optional<double> duration);

// A trace file: one arrival per line, its time in seconds (the first field of a CSV line);
// blank lines and lines starting with '#' are skipped. Times are made relative to the
// first; they must not decrease, nor be more than kMaxTraceSeconds after the first. Errors
// name the file and line, and echo at most 40 bytes of it; a line longer than
// `max_line_bytes` is an error.
inline constexpr double kMaxTraceSeconds = 31.0 * 24 * 3600;
Expected<std::vector<double>> load_trace(const std::filesystem::path& path,
                                         std::size_t max_line_bytes = std::size_t{1} << 20);

}  // namespace llmbench::workload
