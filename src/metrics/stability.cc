#include "metrics/stability.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/text.h"
#include "metrics/stats.h"

namespace llmbench::metrics {

namespace {

Error bad(std::string_view text, const std::string& why) {
  return Error{ErrorCode::kInvalidArgument,
               "'" + std::string(text) + "': " + why +
                   " (expected METRIC.PERCENTILE:WITHIN%[:MIN_REQUESTS], e.g. ttft.p99:5%)"};
}

}  // namespace

Expected<StabilityTarget> parse_stability_target(std::string_view text) {
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos) return tl::unexpected(bad(text, "no ':WITHIN%'"));
  const std::string_view figure = text.substr(0, colon);
  std::string_view rest = text.substr(colon + 1);
  const std::size_t dot = figure.find('.');
  if (dot == std::string_view::npos) return tl::unexpected(bad(text, "no '.PERCENTILE'"));
  StabilityTarget target;
  target.figure = std::string(figure);
  target.metric = std::string(figure.substr(0, dot));
  if (target.metric == "e2e") target.metric = "e2e_latency";
  if (target.metric != "ttft" && target.metric != "itl" && target.metric != "tpot" &&
      target.metric != "e2e_latency") {
    return tl::unexpected(bad(text, "the metric must be ttft, itl, tpot or e2e_latency"));
  }
  const std::string_view percentile = figure.substr(dot + 1);
  const auto* const found = std::ranges::find(kReportedPercentiles, percentile);
  if (found == kReportedPercentiles.end()) {
    return tl::unexpected(bad(text, "the percentile must be p50, p90, p95, p99 or p99.9"));
  }
  target.quantile =
      kReportedQuantiles[static_cast<std::size_t>(found - kReportedPercentiles.begin())];
  const std::size_t second = rest.find(':');
  std::string_view within = rest.substr(0, second);
  if (within.empty() || within.back() != '%') {
    return tl::unexpected(bad(text, "WITHIN must be a percentage such as 5%"));
  }
  within.remove_suffix(1);
  const auto pct = parse_number(within);
  if (!pct || *pct <= 0 || *pct >= 100) {
    return tl::unexpected(bad(text, "WITHIN must be above 0% and below 100%"));
  }
  target.within = *pct / 100;
  if (second != std::string_view::npos) {
    const auto least = parse_number(rest.substr(second + 1));
    if (!least || *least < 10 || *least > 1e9 || std::floor(*least) != *least) {
      return tl::unexpected(bad(text, "MIN_REQUESTS must be a whole number from 10 to 1e9"));
    }
    target.min_requests = static_cast<std::uint64_t>(*least);
  }
  return target;
}

void StabilityWatch::add(const RequestRecord& record, const RequestMetrics& metrics) {
  if (record.phase != Phase::kMeasure || !record.ok()) return;
  ++requests_;
  if (target_.metric == "itl") {
    values_.insert(values_.end(), metrics.itl.begin(), metrics.itl.end());
    return;
  }
  const std::optional<double>& value = target_.metric == "ttft"   ? metrics.ttft
                                       : target_.metric == "tpot" ? metrics.tpot
                                                                  : metrics.e2e;
  if (value) values_.push_back(*value);
}

StabilityReading StabilityWatch::reading() const {
  StabilityReading r;
  r.requests = requests_;
  r.samples = values_.size();
  if (values_.empty()) return r;
  std::vector<double> sorted = values_;
  std::ranges::sort(sorted);
  r.value = percentile_sorted(sorted, target_.quantile);
  const RankInterval ranks = percentile_ci_ranks(sorted.size(), target_.quantile);
  if (ranks.low) r.low = sorted[*ranks.low];
  if (ranks.high) r.high = sorted[*ranks.high];
  r.stable = requests_ >= target_.min_requests && r.low && r.high && *r.value > 0 &&
             *r.value - *r.low <= target_.within * *r.value &&
             *r.high - *r.value <= target_.within * *r.value;
  return r;
}

std::string describe_stable_stop(const StabilityTarget& target, const StabilityReading& reading) {
  auto ms = [](const std::optional<double>& s) {
    return s ? fmt::format("{:.2f}", *s * 1e3) : std::string("—");
  };
  return fmt::format(
      "stopped when stable after {} requests: {} = {} ms, {:.0f}% CI [{}, {}] ms, within "
      "{:g}% (--until-stable)",
      reading.requests, target.figure, ms(reading.value), kCiLevel * 100, ms(reading.low),
      ms(reading.high), target.within * 100);
}

}  // namespace llmbench::metrics
