#include "workload/arrival.h"

#include <cmath>
#include <fstream>
#include <random>

#include "core/clock.h"
#include "core/duration_text.h"
#include "core/text.h"
#include "workload/line_reader.h"
#include "workload/workload.h"

namespace llmbench::workload {

namespace {

// Stream number of the arrival-time RNG; prompt streams use the request index, so this is
// far from any index a run reaches.
constexpr std::uint64_t kArrivalStream = 0xA11A'0000'0000'0001ULL;

Error invalid(std::string message) {
  return Error{ErrorCode::kInvalidArgument, std::move(message)};
}

// Seconds from "30s", "1m", "250ms" or a bare number of seconds.
std::optional<double> parse_time(std::string_view text) {
  if (auto number = parse_number(text)) return number;
  if (auto d = parse_duration(text)) return to_seconds(*d);
  return std::nullopt;
}

// Λ⁻¹ for a piecewise-linear rate: maps operational time to seconds.
class CumulativeRate {
 public:
  explicit CumulativeRate(std::vector<RatePoint> points) : points_(std::move(points)) {
    cumulative_.push_back(0);
    for (std::size_t i = 1; i < points_.size(); ++i) {
      const double span = points_[i].at - points_[i - 1].at;
      cumulative_.push_back(cumulative_.back() +
                            span * (points_[i].rate + points_[i - 1].rate) / 2);
    }
  }

  // Earliest time at which Λ reaches u; nullopt when it never does (the rate ends at 0).
  [[nodiscard]] std::optional<double> inverse(double u) {
    while (segment_ + 1 < points_.size() && cumulative_[segment_ + 1] < u) ++segment_;
    const RatePoint& from = points_[segment_];
    const double d = u - cumulative_[segment_];
    if (segment_ + 1 == points_.size()) {  // past the last point: the rate holds
      if (d <= 0) return from.at;
      if (from.rate <= 0) return std::nullopt;
      return from.at + d / from.rate;
    }
    const RatePoint& to = points_[segment_ + 1];
    const double span = to.at - from.at;
    if (span <= 0 || d <= 0) return from.at;
    const double a = from.rate;
    const double b = (to.rate - from.rate) / span;
    // Solve a·τ + b·τ²/2 = d in the form that stays exact as b → 0.
    const double root = std::sqrt(std::max(0.0, a * a + 2 * b * d));
    if (a + root <= 0) return from.at;
    return from.at + std::min(span, 2 * d / (a + root));
  }

 private:
  std::vector<RatePoint> points_;
  std::vector<double> cumulative_;  // Λ at each point
  std::size_t segment_ = 0;         // arrivals are asked for in ascending order
};

}  // namespace

Expected<ArrivalKind> parse_arrival_kind(std::string_view name) {
  if (name == "constant") return ArrivalKind::kConstant;
  if (name == "poisson") return ArrivalKind::kPoisson;
  if (name == "gamma") return ArrivalKind::kGamma;
  return tl::unexpected(
      invalid("unknown arrival process '" + std::string(name) + "' (constant, poisson, gamma)"));
}

std::string_view to_string(ArrivalKind kind) {
  switch (kind) {
    case ArrivalKind::kConstant:
      return "constant";
    case ArrivalKind::kGamma:
      return "gamma";
    case ArrivalKind::kPoisson:
      break;
  }
  return "poisson";
}

Expected<std::vector<RatePoint>> parse_rate_schedule(std::string_view text) {
  std::vector<RatePoint> points;
  for (const std::string_view piece : split(text, ',')) {
    const std::string_view item = trim_blanks(piece);
    if (item.empty()) continue;
    const std::size_t colon = item.find(':');
    if (colon == std::string_view::npos) {
      return tl::unexpected(
          invalid("--rate-schedule: '" + std::string(item) + "' is not TIME:RATE (e.g. 30s:50)"));
    }
    const auto at = parse_time(trim_blanks(item.substr(0, colon)));
    const auto rate = parse_number(trim_blanks(item.substr(colon + 1)));
    if (!at || *at < 0) {
      return tl::unexpected(
          invalid("--rate-schedule: '" + std::string(item) + "': time is not a duration ≥ 0"));
    }
    if (!rate || *rate < 0) {
      return tl::unexpected(invalid("--rate-schedule: '" + std::string(item) +
                                    "': rate is not a number of requests/s ≥ 0"));
    }
    if (!points.empty() && *at < points.back().at) {
      return tl::unexpected(
          invalid("--rate-schedule: '" + std::string(item) + "': times must not go backwards"));
    }
    points.push_back(RatePoint{*at, *rate});
  }
  if (points.empty()) return tl::unexpected(invalid("--rate-schedule: no TIME:RATE points"));
  if (points.front().at != 0) {
    return tl::unexpected(invalid("--rate-schedule: the first point must be at 0 (e.g. 0:10)"));
  }
  bool any_rate = false;
  for (const RatePoint& p : points) any_rate = any_rate || p.rate > 0;
  if (!any_rate) return tl::unexpected(invalid("--rate-schedule: every rate is 0"));
  return points;
}

Expected<std::vector<double>> build_schedule(const ArrivalOptions& options,
                                             std::optional<std::uint64_t> count,
                                             std::optional<double> duration) {
  if (!count && !duration) {
    return tl::unexpected(invalid("an open-loop run needs --requests or --duration"));
  }
  if (options.rates.empty()) return tl::unexpected(invalid("no arrival rate given"));
  if (options.kind == ArrivalKind::kGamma && !(options.burstiness > 0)) {
    return tl::unexpected(invalid("--burstiness must be > 0"));
  }
  std::mt19937_64 rng(mix_seed(options.seed, kArrivalStream));
  std::exponential_distribution<double> exponential(1.0);
  std::gamma_distribution<double> gamma(options.burstiness, 1.0 / options.burstiness);
  CumulativeRate rate(options.rates);

  std::vector<double> offsets;
  if (count) {
    if (*count > kMaxScheduledRequests) {
      return tl::unexpected(invalid("a schedule of " + std::to_string(*count) +
                                    " requests is more than llmbench holds (" +
                                    std::to_string(kMaxScheduledRequests) + ")"));
    }
    offsets.reserve(*count);
  }
  double u = 0;  // operational time of the next arrival
  while (!count || offsets.size() < *count) {
    const std::optional<double> t = rate.inverse(u);
    if (!t || (duration && *t >= *duration)) break;
    if (offsets.size() >= kMaxScheduledRequests) {
      return tl::unexpected(invalid("the schedule has more than " +
                                    std::to_string(kMaxScheduledRequests) +
                                    " requests; shorten --duration or lower the rate"));
    }
    offsets.push_back(*t);
    switch (options.kind) {
      case ArrivalKind::kConstant:
        u += 1;
        break;
      case ArrivalKind::kPoisson:
        u += exponential(rng);
        break;
      case ArrivalKind::kGamma:
        u += gamma(rng);
        break;
    }
  }
  if (offsets.empty()) return tl::unexpected(invalid("the arrival schedule is empty"));
  return offsets;
}

Expected<std::vector<double>> load_trace(const std::filesystem::path& path,
                                         std::size_t max_line_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return tl::unexpected(Error{ErrorCode::kIo, path.string() + ": cannot be read"});
  }
  std::vector<double> offsets;
  std::string line;
  LineReader lines(in, max_line_bytes);
  double first = 0;
  for (LineReader::Status status; (status = lines.next(line)) != LineReader::Status::kEnd;) {
    const std::uint64_t number = lines.number();
    auto where = [&] { return path.string() + ":" + std::to_string(number) + ": "; };
    if (status == LineReader::Status::kTooLong) {
      return tl::unexpected(Error{ErrorCode::kInvalidConfig,
                                  where() + "a line is longer than " + size_text(max_line_bytes) +
                                      " (the limit), beginning " + excerpt(line)});
    }
    std::string_view text = trim_blanks(line);
    if (text.empty() || text.front() == '#') continue;
    text = trim_blanks(text.substr(0, text.find(',')));
    const auto value = parse_number(text);
    if (!value) {
      return tl::unexpected(
          Error{ErrorCode::kInvalidConfig, where() + excerpt(text) + " is not a time in seconds"});
    }
    if (offsets.empty()) first = *value;
    const double offset = *value - first;
    if (!offsets.empty() && offset < offsets.back()) {
      return tl::unexpected(Error{
          ErrorCode::kInvalidConfig,
          where() + "times must not decrease (" + excerpt(text) + " comes after a later time)"});
    }
    if (!(offset <= kMaxTraceSeconds)) {
      return tl::unexpected(Error{
          ErrorCode::kInvalidConfig,
          where() + excerpt(text) + " is more than 31 days after the first arrival (the limit)"});
    }
    if (offsets.size() >= kMaxScheduledRequests) {
      return tl::unexpected(Error{ErrorCode::kInvalidConfig,
                                  where() + "trace is too long (the limit is " +
                                      std::to_string(kMaxScheduledRequests) + " arrivals)"});
    }
    offsets.push_back(offset);
  }
  if (offsets.empty()) {
    return tl::unexpected(Error{ErrorCode::kInvalidConfig, path.string() + ": no arrival times"});
  }
  return offsets;
}

}  // namespace llmbench::workload
