#pragma once
// The engines' own Prometheus pages (`GET /metrics`) as the simulator serves them
// (docs/sim.md "/metrics"): the state behind each engine's metrics, kept from the simulator's
// events as they happen, and each engine's text format (ENGINES.md §2.7, §3.8, §4.7, §5.6).
//
// Everything here runs on the simulator's one io thread: no locks. Each event costs
// O(log buckets) and a page O(buckets), never O(requests), so a scrape stays cheap however
// long the simulator has run.

#include <cstdint>
#include <string>
#include <vector>

#include "core/clock.h"
#include "sim/dialects.h"

namespace llmbench::sim {

// A Prometheus histogram with fixed upper bounds; values above the last bound go to +Inf.
class BucketHistogram {
 public:
  explicit BucketHistogram(std::vector<double> bounds);
  // `times` observations of `value`, adding `sum` to the sum (value × times unless given, as
  // SGLang's ITL adds the whole interval once for k tokens of interval / k each).
  void observe(double value, std::uint64_t times = 1);
  void observe(double value, std::uint64_t times, double sum);

  [[nodiscard]] const std::vector<double>& bounds() const { return bounds_; }
  // Observations at or below bounds()[i], cumulative, as the `_bucket` series carries them;
  // the last entry (index bounds().size()) is +Inf, equal to count().
  [[nodiscard]] std::vector<std::uint64_t> cumulative() const;
  [[nodiscard]] std::uint64_t count() const { return count_; }
  [[nodiscard]] double sum() const { return sum_; }

 private:
  std::vector<double> bounds_;
  std::vector<std::uint64_t> counts_;  // per bucket, not cumulative; one more for +Inf
  std::uint64_t count_ = 0;
  double sum_ = 0;
};

// One generation as the engine's metrics see it, filled in by the server as it goes.
struct TrackedGeneration {
  TimePoint received{};     // the request fully read
  TimePoint slot{};         // it got its slot (== received when one was free)
  bool holds_slot = false;  // between ServedMetrics::on_slot and on_finish
  std::int64_t prompt_tokens = 0;
  std::int64_t generated = 0;  // tokens written so far
  TimePoint first_token{};     // written, when generated > 0
  TimePoint last_token{};      // written, when generated > 0
};

// Why a request was answered with an error, as TGI's tgi_request_failure{err=…} counts it.
enum class EngineFailure { kValidation, kGeneration, kOverloaded };

class ServedMetrics {
 public:
  // `kv_cache_tokens`: the KV capacity the usage gauges divide by (at least 1).
  ServedMetrics(Dialect dialect, std::string model, std::int64_t kv_cache_tokens);

  // Whether the engine serves /metrics at all (OpenAI-generic servers and Ollama do not).
  [[nodiscard]] bool served() const;

  // A generation request arrived (TGI counts every request, failed or not).
  void on_request();
  // A request was answered with an error before any generation.
  void on_failure(EngineFailure failure);
  // The generation got its slot: its prompt now holds KV-cache space.
  void on_slot(TrackedGeneration& g, TimePoint now);
  // `tokens` tokens of `g` were written at `written` (one stream frame, or for a
  // non-streamed answer one scheduled token at a time).
  void on_tokens(TrackedGeneration& g, TimePoint written, std::int64_t tokens);
  // The generation ended (`complete`: all its tokens written) and gave its slot back.
  void on_finish(TrackedGeneration& g, bool complete);

  // The page, with the gauges `running` and `waiting` of now. Not const: llama.cpp's two
  // throughput gauges cover the time since the previous scrape, and a scrape resets them.
  [[nodiscard]] std::string page(std::uint64_t running, std::uint64_t waiting);

 private:
  [[nodiscard]] double kv_usage() const;
  [[nodiscard]] std::string vllm_page(std::uint64_t running, std::uint64_t waiting) const;
  [[nodiscard]] std::string sglang_page(std::uint64_t running, std::uint64_t waiting) const;
  [[nodiscard]] std::string tgi_page(std::uint64_t running, std::uint64_t waiting) const;
  [[nodiscard]] std::string llamacpp_page(std::uint64_t running, std::uint64_t waiting);

  Dialect dialect_;
  std::string model_;
  std::int64_t kv_cache_tokens_;
  double created_unix_;  // vLLM's `_created` series: when the simulator started (wall clock)

  // Shared state.
  std::int64_t kv_tokens_ = 0;          // prompt + generated tokens of the generations in slots
  std::int64_t kv_tokens_peak_ = 0;     // llama.cpp n_tokens_max
  std::uint64_t requests_ = 0;          // generation requests received
  std::uint64_t completed_ = 0;         // generations that wrote all their tokens
  std::uint64_t aborted_ = 0;           // generations that ended early (client gone, fault)
  std::uint64_t prompt_tokens_ = 0;     // prefilled (counted at the first token)
  std::uint64_t generated_tokens_ = 0;  // written
  std::uint64_t queried_tokens_ = 0;    // vLLM prefix-cache queries: prompts scheduled
  std::uint64_t failures_[3] = {};      // by EngineFailure

  // vLLM
  BucketHistogram vllm_ttft_, vllm_itl_, vllm_e2e_, vllm_queue_;
  // SGLang (its own counters count at the end of a request, as observe_one_finished_request)
  BucketHistogram sglang_ttft_, sglang_itl_, sglang_e2e_;
  std::uint64_t sglang_prompt_tokens_ = 0, sglang_generation_tokens_ = 0;
  // TGI (per-request metrics of successful requests only, as the router records them)
  BucketHistogram tgi_duration_, tgi_queue_, tgi_inference_, tgi_per_token_, tgi_generated_;
  // llama.cpp: totals, and the window since the previous scrape
  double llama_prompt_seconds_ = 0, llama_predicted_seconds_ = 0;
  std::uint64_t llama_predicted_tokens_ = 0;
  std::uint64_t llama_decodes_ = 0, llama_busy_slots_ = 0;  // busy slots summed over decodes
  std::uint64_t window_prompt_tokens_ = 0, window_predicted_tokens_ = 0;
  double window_prompt_seconds_ = 0, window_predicted_seconds_ = 0;
  std::uint64_t busy_slots_ = 0;  // generations between on_slot and on_finish
};

// Number formats of the engines' exporters, exposed for the tests.
// Python prometheus_client (vLLM, SGLang): repr(), and Go-style exponents above 1e6
// (12.0, 0.41, 51234.0, then 8.128902e+06 from seven integer digits on).
std::string python_float(double value);
// Rust metrics-exporter-prometheus (TGI): Display, shortest round trip, never an exponent.
std::string rust_float(double value);

}  // namespace llmbench::sim
