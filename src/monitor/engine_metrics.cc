#include "monitor/engine_metrics.h"

#include <array>

namespace llmbench::monitor {

std::string_view to_string(MetricsDialect dialect) {
  switch (dialect) {
    case MetricsDialect::kVllm:
      return "vllm";
    case MetricsDialect::kTgi:
      return "tgi";
    case MetricsDialect::kSglang:
      return "sglang";
    case MetricsDialect::kLlamaCpp:
      return "llamacpp";
  }
  return "vllm";
}

std::optional<MetricsDialect> metrics_dialect_for(std::string_view engine) {
  // engines/ (registry.cc, detect.cc) names them so; "llama.cpp" is how people write it.
  if (engine == "vllm") return MetricsDialect::kVllm;
  if (engine == "tgi") return MetricsDialect::kTgi;
  if (engine == "sglang") return MetricsDialect::kSglang;
  if (engine == "llamacpp" || engine == "llama.cpp") return MetricsDialect::kLlamaCpp;
  return std::nullopt;
}

std::optional<MetricsDialect> guess_dialect(const Exposition& exposition) {
  struct Prefix {
    std::string_view text;
    MetricsDialect dialect;
  };
  constexpr std::array<Prefix, 4> kPrefixes = {{{"vllm:", MetricsDialect::kVllm},
                                                {"sglang:", MetricsDialect::kSglang},
                                                {"llamacpp:", MetricsDialect::kLlamaCpp},
                                                {"tgi_", MetricsDialect::kTgi}}};
  // The prefix most families carry: a proxy in front of an engine may add a few of its own.
  std::array<std::size_t, kPrefixes.size()> counts{};
  for (const MetricFamily& f : exposition.families) {
    for (std::size_t i = 0; i < kPrefixes.size(); ++i) {
      if (std::string_view(f.name).substr(0, kPrefixes[i].text.size()) == kPrefixes[i].text) {
        ++counts[i];
      }
    }
  }
  std::size_t best = 0;
  for (std::size_t i = 1; i < counts.size(); ++i) {
    if (counts[i] > counts[best]) best = i;
  }
  if (counts[best] == 0) return std::nullopt;
  return kPrefixes[best].dialect;
}

namespace {

// How the samples of several label sets (vLLM's data-parallel `engine`s, a model per label)
// make one figure: counts add up, fractions of separate pools average.
enum class Combine { kSum, kMean };
// Where the figure is read: a counter's or gauge's value, or a histogram's _sum (TGI counts
// tokens only in its per-request size histograms).
enum class Read { kValue, kHistogramSum };

// One exposed name a figure may come from.
struct Candidate {
  std::string_view family;  // as exposed (a counter with its "_total")
  std::string_view since;   // the releases that expose it, from ENGINES.md (documentation)
  Read read = Read::kValue;
};

struct ValueRule {
  std::optional<SourcedValue> EngineMetrics::*figure;
  Combine combine;
  std::vector<Candidate> candidates;  // newest name first; the first one exposed is used
};

struct HistogramRule {
  std::optional<SourcedHistogram> EngineMetrics::*figure;
  std::vector<Candidate> candidates;
};

struct DialectNames {
  std::vector<ValueRule> values;
  std::vector<HistogramRule> histograms;
};

using M = EngineMetrics;

// ENGINES.md §2.7. Deprecation policy: deprecated in X.Y, hidden in X.Y+1, removed in X.Y+2.
const DialectNames& vllm_names() {
  static const DialectNames names{
      {
          {&M::requests_running, Combine::kSum, {{"vllm:num_requests_running", "all"}}},
          {&M::requests_waiting, Combine::kSum, {{"vllm:num_requests_waiting", "all"}}},
          {&M::kv_cache_usage,
           Combine::kMean,
           {{"vllm:kv_cache_usage_perc", "0.9 and later"},
            {"vllm:gpu_cache_usage_perc", "until 0.11 (deprecated 0.9, hidden 0.10)"}}},
          {&M::batch_size, Combine::kSum, {{"vllm:num_requests_running", "all"}}},
          // The V0 engine's gauge; V1 has only the two counters below.
          {&M::prefix_cache_hit_rate,
           Combine::kMean,
           {{"vllm:gpu_prefix_cache_hit_rate", "V0 engine"}}},
          {&M::prefix_cache_queries,
           Combine::kSum,
           {{"vllm:prefix_cache_queries_total", "0.9 and later"},
            {"vllm:gpu_prefix_cache_queries_total", "before 0.9"}}},
          {&M::prefix_cache_hits,
           Combine::kSum,
           {{"vllm:prefix_cache_hits_total", "0.9 and later"},
            {"vllm:gpu_prefix_cache_hits_total", "before 0.9"}}},
          {&M::preemptions, Combine::kSum, {{"vllm:num_preemptions_total", "all"}}},
          {&M::prompt_tokens, Combine::kSum, {{"vllm:prompt_tokens_total", "all"}}},
          {&M::generation_tokens, Combine::kSum, {{"vllm:generation_tokens_total", "all"}}},
          // Every finished_reason (stop, length, abort...) counts.
          {&M::requests_finished, Combine::kSum, {{"vllm:request_success_total", "all"}}},
      },
      {
          {&M::ttft, {{"vllm:time_to_first_token_seconds", "all"}}},
          {&M::itl,
           {{"vllm:inter_token_latency_seconds", "0.11 and later"},
            {"vllm:time_per_output_token_seconds", "until 0.12 (deprecated 0.11)"}}},
          {&M::e2e, {{"vllm:e2e_request_latency_seconds", "all"}}},
          {&M::queue_time, {{"vllm:request_queue_time_seconds", "all"}}},
      }};
  return names;
}

// ENGINES.md §3.8: metrics-exporter-prometheus, names exactly as registered (no "_total").
// No TTFT and no ITL (tgi_request_mean_time_per_token_duration is a per-request mean).
const DialectNames& tgi_names() {
  static const DialectNames names{
      {
          {&M::requests_running, Combine::kSum, {{"tgi_batch_current_size", "all"}}},
          {&M::requests_waiting, Combine::kSum, {{"tgi_queue_size", "all"}}},
          {&M::batch_size, Combine::kSum, {{"tgi_batch_current_size", "all"}}},
          // Counted per successful request only, as every per-request TGI metric.
          {&M::prompt_tokens,
           Combine::kSum,
           {{"tgi_request_input_length", "all", Read::kHistogramSum}}},
          {&M::generation_tokens,
           Combine::kSum,
           {{"tgi_request_generated_tokens", "all", Read::kHistogramSum}}},
          {&M::requests_finished, Combine::kSum, {{"tgi_request_success", "all"}}},
      },
      {
          {&M::e2e, {{"tgi_request_duration", "all"}}},
          {&M::queue_time, {{"tgi_request_queue_duration", "all"}}},
      }};
  return names;
}

// ENGINES.md §5.6. Older releases label the model `name` instead of `model_name`; the label
// sets are summed, so either reads the same.
const DialectNames& sglang_names() {
  static const DialectNames names{
      {
          {&M::requests_running, Combine::kSum, {{"sglang:num_running_reqs", "all"}}},
          {&M::requests_waiting, Combine::kSum, {{"sglang:num_queue_reqs", "all"}}},
          {&M::kv_cache_usage, Combine::kMean, {{"sglang:token_usage", "all"}}},
          {&M::batch_size, Combine::kSum, {{"sglang:num_running_reqs", "all"}}},
          {&M::prefix_cache_hit_rate, Combine::kMean, {{"sglang:cache_hit_rate", "all"}}},
          {&M::prompt_tokens, Combine::kSum, {{"sglang:prompt_tokens_total", "all"}}},
          {&M::generation_tokens, Combine::kSum, {{"sglang:generation_tokens_total", "all"}}},
          {&M::requests_finished, Combine::kSum, {{"sglang:num_requests_total", "all"}}},
      },
      {
          {&M::ttft, {{"sglang:time_to_first_token_seconds", "all"}}},
          {&M::itl,
           {{"sglang:inter_token_latency_seconds", "recent"},
            {"sglang:time_per_output_token_seconds", "older releases"}}},
          {&M::e2e, {{"sglang:e2e_request_latency_seconds", "all"}}},
      }};
  return names;
}

// ENGINES.md §4.7. No histograms at all.
const DialectNames& llamacpp_names() {
  static const DialectNames names{
      {
          {&M::requests_running, Combine::kSum, {{"llamacpp:requests_processing", "all"}}},
          {&M::requests_waiting, Combine::kSum, {{"llamacpp:requests_deferred", "all"}}},
          {&M::kv_cache_usage,
           Combine::kMean,
           {{"llamacpp:kv_cache_usage_ratio", "before PR #13660 (May 2025)"}}},
          {&M::batch_size, Combine::kSum, {{"llamacpp:requests_processing", "all"}}},
          {&M::prompt_tokens, Combine::kSum, {{"llamacpp:prompt_tokens_total", "all"}}},
          {&M::generation_tokens, Combine::kSum, {{"llamacpp:tokens_predicted_total", "all"}}},
      },
      {}};
  return names;
}

const DialectNames& names_of(MetricsDialect dialect) {
  switch (dialect) {
    case MetricsDialect::kVllm:
      return vllm_names();
    case MetricsDialect::kTgi:
      return tgi_names();
    case MetricsDialect::kSglang:
      return sglang_names();
    case MetricsDialect::kLlamaCpp:
      return llamacpp_names();
  }
  return vllm_names();
}

// The mean over the label sets of a gauge (or untyped) family; nullopt when it has none.
std::optional<double> family_mean(const Exposition& exposition, std::string_view name) {
  const MetricFamily* f = exposition.find(name);
  if (f == nullptr || (f->type != MetricType::kGauge && f->type != MetricType::kUntyped)) {
    return std::nullopt;
  }
  double sum = 0;
  std::size_t n = 0;
  for (const MetricSample& s : f->samples) {
    if (s.name != f->name) continue;
    sum += s.value;
    ++n;
  }
  if (n == 0) return std::nullopt;
  return sum / static_cast<double>(n);
}

std::optional<double> read_value(const Exposition& exposition, const Candidate& c,
                                 Combine combine) {
  if (c.read == Read::kHistogramSum) {
    const MetricFamily* f = exposition.find(c.family);
    if (f == nullptr) return std::nullopt;
    const auto h = histogram_of(*f);
    if (!h) return std::nullopt;
    return h->sum;
  }
  return combine == Combine::kMean ? family_mean(exposition, c.family)
                                   : family_value(exposition, c.family);
}

struct FigureField {
  NormalizedName name;
  std::optional<SourcedValue> EngineMetrics::*field;
};

const std::array<FigureField, 11>& figure_fields() {
  static const std::array<FigureField, 11> fields = {{
      {{"requests_running", "requests", false}, &M::requests_running},
      {{"requests_waiting", "requests", false}, &M::requests_waiting},
      {{"kv_cache_usage", "fraction", false}, &M::kv_cache_usage},
      {{"batch_size", "requests", false}, &M::batch_size},
      {{"prefix_cache_hit_rate", "fraction", false}, &M::prefix_cache_hit_rate},
      {{"prefix_cache_queries", "tokens", true}, &M::prefix_cache_queries},
      {{"prefix_cache_hits", "tokens", true}, &M::prefix_cache_hits},
      {{"preemptions", "count", true}, &M::preemptions},
      {{"prompt_tokens", "tokens", true}, &M::prompt_tokens},
      {{"generation_tokens", "tokens", true}, &M::generation_tokens},
      {{"requests_finished", "requests", true}, &M::requests_finished},
  }};
  return fields;
}

}  // namespace

EngineMetrics normalize(const Exposition& exposition, MetricsDialect dialect) {
  EngineMetrics out;
  const DialectNames& names = names_of(dialect);
  for (const ValueRule& rule : names.values) {
    for (const Candidate& c : rule.candidates) {
      if (const auto v = read_value(exposition, c, rule.combine)) {
        out.*rule.figure = SourcedValue{*v, std::string(c.family)};
        break;
      }
    }
  }
  for (const HistogramRule& rule : names.histograms) {
    for (const Candidate& c : rule.candidates) {
      const MetricFamily* f = exposition.find(c.family);
      if (f == nullptr) continue;
      if (auto h = histogram_of(*f)) {
        out.*rule.figure = SourcedHistogram{std::move(*h), std::string(c.family)};
        break;
      }
    }
  }
  return out;
}

const std::vector<NormalizedName>& normalized_gauge_and_counter_names() {
  static const std::vector<NormalizedName> names = [] {
    std::vector<NormalizedName> v;
    for (const FigureField& f : figure_fields()) v.push_back(f.name);
    return v;
  }();
  return names;
}

const std::optional<SourcedValue>& figure(const EngineMetrics& metrics, std::string_view name) {
  for (const FigureField& f : figure_fields()) {
    if (f.name.name == name) return metrics.*f.field;
  }
  static const std::optional<SourcedValue> kNone;
  return kNone;
}

}  // namespace llmbench::monitor
