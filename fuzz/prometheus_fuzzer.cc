// monitor::ExpositionParser: any bytes, split in two anywhere, give the same families, samples
// and warnings (or the same error) as the whole input fed at once. Every histogram read from
// them has NaN-free quantiles within its bounds, and every engine's normalisation reads it.

#include <cmath>
#include <limits>
#include <sstream>
#include <string>

#include "fuzz_support.h"
#include "monitor/engine_metrics.h"
#include "monitor/prometheus.h"

namespace llmbench::monitor {
namespace {

// Small bounds, so that inputs of a few KiB reach every limit.
ExpositionLimits limits() {
  ExpositionLimits l;
  l.max_line_bytes = 512;
  l.max_body_bytes = 32 * 1024;
  l.max_samples = 500;
  l.max_labels_per_sample = 8;
  return l;
}

// The whole result as text (values in hex, so NaN equals NaN and nothing is rounded).
std::string describe(const Expected<Exposition>& parsed) {
  if (!parsed) return "error: " + parsed.error().message;
  std::ostringstream out;
  out << std::hexfloat;
  for (const MetricFamily& f : parsed->families) {
    out << "family " << f.name << ' ' << to_string(f.type) << ' ' << f.help.size() << ':' << f.help
        << ' ' << f.unit.size() << ':' << f.unit << '\n';
    for (const MetricSample& s : f.samples) {
      out << s.name;
      for (const Label& l : s.labels)
        out << ' ' << l.name << '=' << l.value.size() << ':' << l.value;
      out << ' ' << s.value;
      if (s.timestamp) out << " @" << *s.timestamp;
      out << '\n';
    }
  }
  for (const std::string& w : parsed->warnings) out << "warning " << w << '\n';
  return out.str();
}

void check_histogram(const HistogramBuckets& h) {
  double largest_finite = 0;
  bool non_negative = true;
  for (const auto& [bound, count] : h.buckets) {
    LLMBENCH_FUZZ_CHECK(!std::isnan(bound), "a NaN bound");
    if (bound < 0) non_negative = false;
    if (std::isfinite(bound) && bound > largest_finite) largest_finite = bound;
  }
  LLMBENCH_FUZZ_CHECK(
      !h.buckets.empty() && h.buckets.back().first == std::numeric_limits<double>::infinity(),
      "the last bucket is not +Inf");
  for (const double q : {0.0, 0.01, 0.25, 0.5, 0.9, 0.99, 1.0}) {
    const auto v = histogram_quantile(h, q);
    if (v) {
      LLMBENCH_FUZZ_CHECK(!std::isnan(*v), "a NaN quantile");
      // With bounds below 0 Prometheus answers the lowest bound; the range holds otherwise.
      if (non_negative) {
        LLMBENCH_FUZZ_CHECK(*v >= 0 && *v <= largest_finite, "a quantile outside the bounds");
      }
    }
    const auto r = histogram_resolution(h, q);
    LLMBENCH_FUZZ_CHECK(!r || !std::isnan(*r), "a NaN resolution");
    LLMBENCH_FUZZ_CHECK(!r || v, "a resolution without a quantile");
  }
  LLMBENCH_FUZZ_CHECK(histogram_delta(h, h).has_value(), "a histogram minus itself is no delta");
}

void run(std::string_view payload, std::size_t cut) {
  const auto whole = parse_exposition(payload, limits());
  ExpositionParser parser(limits());
  parser.feed(payload.substr(0, cut));
  parser.feed(payload.substr(cut));
  const auto parts = parser.finish();
  LLMBENCH_FUZZ_CHECK(describe(whole) == describe(parts),
                      "the exposition differs when the input is split");
  if (!whole) {
    LLMBENCH_FUZZ_CHECK(!whole.error().message.empty(), "an error without a message");
    return;
  }
  LLMBENCH_FUZZ_CHECK(whole->warnings.size() <= Exposition::kMaxWarnings, "too many warnings");
  for (const MetricFamily& f : whole->families) {
    LLMBENCH_FUZZ_CHECK(whole->find(f.name) == &f, "two families of one name");
    if (const auto h = histogram_of(f)) check_histogram(*h);
  }
  for (const auto dialect : {MetricsDialect::kVllm, MetricsDialect::kTgi, MetricsDialect::kSglang,
                             MetricsDialect::kLlamaCpp}) {
    const EngineMetrics m = normalize(*whole, dialect);
    for (const auto* h : {&m.ttft, &m.itl, &m.e2e, &m.queue_time}) {
      if (*h) check_histogram((*h)->buckets);
    }
  }
  (void)guess_dialect(*whole);
}

}  // namespace
}  // namespace llmbench::monitor

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  llmbench::fuzz::Input in(data, size);
  const std::uint16_t split = in.u16();
  const std::string_view payload = in.rest();
  llmbench::monitor::run(payload, llmbench::fuzz::cut_at(split, payload.size()));
  return 0;
}
