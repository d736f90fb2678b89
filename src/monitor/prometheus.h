#pragma once
// The Prometheus text exposition format (0.0.4) and OpenMetrics 1.0 text, read incrementally:
// a scrape body is fed as it arrives, in pieces cut anywhere, and every piece of hostile input
// is bounded (line length, samples, labels) and named in the error. Nothing here does I/O.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"

namespace llmbench::monitor {

enum class MetricType {
  kUntyped,
  kCounter,
  kGauge,
  kHistogram,
  kSummary,
  kInfo,
  kStateSet,
  kGaugeHistogram
};
std::string_view to_string(MetricType type);

struct Label {
  std::string name, value;  // value unescaped (\\, \", \n)
  bool operator==(const Label&) const = default;
};

struct MetricSample {
  std::string name;                 // as exposed: "vllm:ttft_seconds_bucket", "x_total"
  std::vector<Label> labels;        // in exposition order
  double value = 0;                 // +Inf, -Inf and NaN are values
  std::optional<double> timestamp;  // as written (ms in 0.0.4, s in OpenMetrics)
  // The value of label `name`, or nullopt.
  [[nodiscard]] std::optional<std::string_view> label(std::string_view name) const;
};

// One metric family: the samples that share a # TYPE (a histogram's _bucket, _sum, _count and
// _created samples belong to the family of its base name). Samples with no # TYPE line form an
// untyped family of their own name.
struct MetricFamily {
  std::string name;  // the base name: "vllm:time_to_first_token_seconds", "x" for x_total
  MetricType type = MetricType::kUntyped;
  std::string help;  // unescaped
  std::string unit;  // OpenMetrics # UNIT, or ""
  std::vector<MetricSample> samples;
};

struct Exposition {
  std::vector<MetricFamily> families;  // in order of first appearance
  // Problems that lost nothing important, one line each (a sample after its family was
  // closed, a duplicate # TYPE, a # TYPE of a type we do not know, whose samples stay
  // untyped...), at most kMaxWarnings.
  std::vector<std::string> warnings;
  static constexpr std::size_t kMaxWarnings = 20;
  [[nodiscard]] const MetricFamily* find(std::string_view family_name) const;
};

struct ExpositionLimits {
  std::size_t max_line_bytes = std::size_t{64} * 1024;  // one line, newline excluded
  std::size_t max_body_bytes = std::size_t{16} * 1024 * 1024;
  std::size_t max_samples = 200'000;
  std::size_t max_labels_per_sample = 64;
};

// Incremental parser: feed() any number of pieces, then finish(). The first error stops it
// (later feed() calls are ignored) and is returned by finish(): ErrorCode::kProtocol with the
// line number and what was wrong ("line 12: label value not closed"; "line 3: 70000 bytes,
// more than the 65536 a line may have"). Bytes that are not UTF-8 in a label value or help
// text are an error, never passed on; so is a NUL byte anywhere. Where the first error is
// depends only on the bytes, never on where the pieces were cut.
class ExpositionParser {
 public:
  explicit ExpositionParser(ExpositionLimits limits = {});
  void feed(std::string_view bytes);
  Expected<Exposition> finish();

 private:
  struct State;
  std::shared_ptr<State> state_;
};

// The whole text at once.
Expected<Exposition> parse_exposition(std::string_view text, ExpositionLimits limits = {});

// A histogram's cumulative buckets, selected from a family by labels.
struct HistogramBuckets {
  // (upper bound `le`, cumulative count), ascending by bound; the last bound is +Inf.
  std::vector<std::pair<double, double>> buckets;
  double sum = 0;
  double count = 0;
  [[nodiscard]] bool empty() const { return buckets.empty(); }
};

// The buckets of histogram family `family`, summed over every label set (e.g. vLLM's
// `engine` and `model_name`) whose buckets have the same bounds; nullopt when the family is
// no histogram or has no buckets. Bounds that differ between label sets: the first set's.
std::optional<HistogramBuckets> histogram_of(const MetricFamily& family);

// later − earlier, bucket by bucket. nullopt when the counter went down (the engine
// restarted: a reset) or the bounds differ; the caller then starts again from `later`.
std::optional<HistogramBuckets> histogram_delta(const HistogramBuckets& later,
                                                const HistogramBuckets& earlier);

// Quantile q ∈ [0, 1] of the observations counted in `buckets`, as Prometheus's
// histogram_quantile() estimates it: linear within the bucket holding the rank; the lowest
// bucket's lower bound is 0; a rank in the +Inf bucket answers the largest finite bound.
// nullopt with no observations.
std::optional<double> histogram_quantile(const HistogramBuckets& buckets, double q);

// The width of the bucket holding quantile q, relative to its upper bound (how coarse the
// estimate can be: 1.0 when the bucket is [0, le]); +Inf when the rank is in the +Inf bucket;
// nullopt as for histogram_quantile, or when that bucket's upper bound is not above 0.
std::optional<double> histogram_resolution(const HistogramBuckets& buckets, double q);

// The sum over every sample of a counter or gauge family named `family` (a counter's `_total`
// sample included), optionally only those whose label `label` is `value`; nullopt when the
// family is absent or has no sample.
std::optional<double> family_value(const Exposition& exposition, std::string_view family,
                                   std::string_view label = {}, std::string_view value = {});

}  // namespace llmbench::monitor
