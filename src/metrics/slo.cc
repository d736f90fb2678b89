#include "metrics/slo.h"

#include <array>

#include "core/duration_text.h"
#include "core/text.h"

namespace llmbench::metrics {

namespace {

constexpr std::array<std::string_view, 6> kMetrics = {"ttft",        "tpot",       "itl",
                                                      "e2e_latency", "ttft_sched", "e2e_sched"};

Error slo_error(std::string_view item, std::string_view why) {
  return Error{ErrorCode::kInvalidArgument,
               "--slo '" + std::string(item) + "': " + std::string(why) +
                   " (expected METRIC:pNN<=DURATION, e.g. ttft:p99<=200ms; metrics: ttft, tpot, "
                   "itl, e2e_latency, ttft_sched, e2e_sched)"};
}

}  // namespace

Expected<std::vector<Slo>> parse_slos(std::string_view text) {
  std::vector<Slo> out;
  for (const std::string_view piece : split(text, ',')) {
    const std::string_view item = trim_blanks(piece);
    if (item.empty()) continue;
    const std::size_t colon = item.find(':');
    const std::size_t le = item.find("<=");
    if (colon == std::string_view::npos || le == std::string_view::npos || le < colon) {
      return tl::unexpected(slo_error(item, "not of the form METRIC:pNN<=DURATION"));
    }
    Slo slo;
    slo.metric = std::string(trim_blanks(item.substr(0, colon)));
    if (slo.metric == "e2e") slo.metric = "e2e_latency";
    bool known = false;
    for (const std::string_view m : kMetrics) known = known || m == slo.metric;
    if (!known) return tl::unexpected(slo_error(item, "unknown metric '" + slo.metric + "'"));
    const std::string_view pct = trim_blanks(item.substr(colon + 1, le - colon - 1));
    double value = -1;
    if (pct.size() >= 2 && pct.front() == 'p') value = parse_number(pct.substr(1)).value_or(-1);
    if (value <= 0 || value > 100) {
      return tl::unexpected(slo_error(
          item, "percentile '" + std::string(pct) + "' is not p followed by a number in (0, 100]"));
    }
    slo.percentile = std::string(pct);
    slo.quantile = value / 100;
    auto threshold = parse_duration(trim_blanks(item.substr(le + 2)));
    if (!threshold) return tl::unexpected(slo_error(item, threshold.error().message));
    slo.threshold = to_seconds(*threshold);
    out.push_back(std::move(slo));
  }
  if (out.empty()) return tl::unexpected(slo_error(text, "no objective given"));
  return out;
}

std::string to_string(const Slo& slo) {
  return slo.metric + ":" + slo.percentile + "<=" +
         format_duration(
             std::chrono::duration_cast<Duration>(std::chrono::duration<double>(slo.threshold)));
}

}  // namespace llmbench::metrics
