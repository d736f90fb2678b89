#pragma once
// The engines' own /metrics, normalised: one name per figure across vLLM, TGI, SGLang and
// llama.cpp, whatever the engine's version calls it (../shared/protocols/ENGINES.md §2.7,
// §3.8, §4.7, §5.6). Each figure says which exposed family it came from.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "monitor/prometheus.h"

namespace llmbench::monitor {

enum class MetricsDialect { kVllm, kTgi, kSglang, kLlamaCpp };
std::string_view to_string(MetricsDialect dialect);

// The dialect of an engine as engines/ names it ("vllm", "tgi", "sglang", "llamacpp"), or
// nullopt (Ollama has no /metrics; an unknown OpenAI-compatible server is guessed from the
// scrape by guess_dialect).
std::optional<MetricsDialect> metrics_dialect_for(std::string_view engine);
// From the family names' prefixes (vllm:, sglang:, llamacpp:, tgi_); nullopt when none.
std::optional<MetricsDialect> guess_dialect(const Exposition& exposition);

// A normalised figure: its value and the family it was read from.
struct SourcedValue {
  double value = 0;
  std::string family;  // "vllm:kv_cache_usage_perc"
};
struct SourcedHistogram {
  HistogramBuckets buckets;
  std::string family;
};

// One scrape in normalised names. A figure the engine does not expose is absent, never 0.
struct EngineMetrics {
  // Gauges.
  std::optional<SourcedValue> requests_running;  // vLLM num_requests_running, TGI
                                                 // batch_current_size, SGLang num_running_reqs,
                                                 // llama.cpp requests_processing
  std::optional<SourcedValue> requests_waiting;  // num_requests_waiting, tgi_queue_size,
                                                 // num_queue_reqs, requests_deferred
  std::optional<SourcedValue> kv_cache_usage;    // fraction 0..1: kv_cache_usage_perc (old
                                                 // gpu_cache_usage_perc), sglang token_usage,
                                                 // llama.cpp kv_cache_usage_ratio (old builds)
  std::optional<SourcedValue> batch_size;        // tgi_batch_current_size, running elsewhere
  std::optional<SourcedValue> prefix_cache_hit_rate;  // a gauge (SGLang cache_hit_rate)
  // Counters (cumulative since the engine started).
  std::optional<SourcedValue> prefix_cache_queries;  // vLLM prefix_cache_queries_total (old
                                                     // gpu_prefix_cache_queries_total)
  std::optional<SourcedValue> prefix_cache_hits;
  std::optional<SourcedValue> preemptions;        // vLLM num_preemptions_total
  std::optional<SourcedValue> prompt_tokens;      // *_prompt_tokens_total
  std::optional<SourcedValue> generation_tokens;  // generation_tokens_total,
                                                  // llamacpp tokens_predicted_total
  std::optional<SourcedValue> requests_finished;  // vLLM request_success_total (all reasons),
                                                  // tgi_request_success, sglang num_requests_total
  // Histograms (cumulative), summed over label sets.
  std::optional<SourcedHistogram> ttft;        // time_to_first_token_seconds (none in TGI)
  std::optional<SourcedHistogram> itl;         // inter_token_latency_seconds, old
                                               // time_per_output_token_seconds
  std::optional<SourcedHistogram> e2e;         // e2e_request_latency_seconds, tgi_request_duration
  std::optional<SourcedHistogram> queue_time;  // request_queue_time_seconds,
                                               // tgi_request_queue_duration
};

EngineMetrics normalize(const Exposition& exposition, MetricsDialect dialect);

// The normalised figures' names as they appear in results ("requests_running", ...), with
// their unit, in a fixed order; every name normalize() can fill.
struct NormalizedName {
  std::string_view name;
  std::string_view unit;  // "requests", "fraction", "tokens", "count"
  bool counter = false;   // cumulative: results show its rate or delta, not its value
};
const std::vector<NormalizedName>& normalized_gauge_and_counter_names();
// The value of `name` in `metrics` (one of normalized_gauge_and_counter_names()).
const std::optional<SourcedValue>& figure(const EngineMetrics& metrics, std::string_view name);

}  // namespace llmbench::monitor
