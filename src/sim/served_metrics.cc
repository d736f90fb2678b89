#include "sim/served_metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string_view>
#include <utility>

namespace llmbench::sim {

namespace {

double seconds_between(TimePoint from, TimePoint to) {
  return std::max(0.0, std::chrono::duration<double>(to - from).count());
}

// vLLM's bounds, as vllm/v1/metrics/loggers.py sets them (0.10–0.11).
std::vector<double> vllm_ttft_bounds() {
  return {0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1,  0.25,  0.5,   0.75,
          1.0,   2.5,   5.0,  7.5,  10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0};
}
std::vector<double> vllm_itl_bounds() {
  return {0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2,  0.3,  0.4, 0.5,
          0.75, 1.0,   2.5,  5.0,   7.5, 10.0, 20.0, 40.0, 80.0};
}
// Shared by e2e and queue time (and vLLM's other per-request phase histograms).
std::vector<double> vllm_request_latency_bounds() {
  return {0.3,  0.5,  0.8,  1.0,  1.5,   2.0,   2.5,   5.0,   10.0,   15.0,  20.0,
          30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0};
}

// SGLang's default bounds (python/sglang/srt/metrics/collector.py, TokenizerMetricsCollector).
std::vector<double> sglang_ttft_bounds() {
  return {0.1, 0.2, 0.4, 0.6, 0.8, 1, 2, 4, 6, 8, 10, 20, 40, 60, 80, 100, 200, 400};
}
std::vector<double> sglang_itl_bounds() {
  return {0.002, 0.004, 0.006, 0.008, 0.010, 0.015, 0.020, 0.025, 0.030, 0.035, 0.040, 0.060,
          0.080, 0.100, 0.200, 0.400, 0.600, 0.800, 1.000, 2.000, 4.000, 6.000, 8.000};
}
std::vector<double> sglang_e2e_bounds() {
  return {0.1, 0.2, 0.4, 0.6, 0.8, 1,   2,   4,   6,    8,    10,
          20,  40,  60,  80,  100, 200, 400, 600, 1200, 1800, 2400};
}

// TGI's router: every histogram whose name ends in "duration" gets 35 geometric buckets.
// Computed as the router computes them (a running product from 0.0001), so that the bounds
// print as it prints them (0.00015000000000000001, 0.00022500000000000002, 0.0003375, …).
std::vector<double> tgi_duration_bounds() {
  std::vector<double> bounds;
  bounds.reserve(35);
  double value = 0.0001;
  for (int k = 0; k < 35; ++k) {
    value *= 1.5;
    bounds.push_back(value);
  }
  return bounds;
}
// tgi_request_generated_tokens: max_total_tokens / 100 × (k + 1), k < 100, with the
// max_total_tokens the simulator's /info reports.
constexpr double kTgiMaxTotalTokens = 8192;
std::vector<double> tgi_generated_tokens_bounds() {
  std::vector<double> bounds;
  bounds.reserve(100);
  for (int k = 0; k < 100; ++k) bounds.push_back(kTgiMaxTotalTokens / 100.0 * (k + 1));
  return bounds;
}

// A label value in the text format: backslash, double quote and newline escaped.
std::string label_value(std::string_view value) {
  std::string out;
  for (const char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string to_text(std::uint64_t n) { return python_float(static_cast<double>(n)); }

// The families of Python's prometheus_client, with the labels of one engine. `created` is
// empty where the exporter writes no `_created` series (SGLang's multiprocess mode).
class PythonPage {
 public:
  // `before_le` / `after_le`: the labels sorted around `le` (both exporters write them in
  // name order: vLLM engine, le, model_name; SGLang le, model_name).
  PythonPage(std::string before_le, std::string after_le, std::string created)
      : before_le_(std::move(before_le)),
        after_le_(std::move(after_le)),
        created_(std::move(created)) {}

  void gauge(std::string_view name, std::string_view help, double value) {
    head(name, help, "gauge");
    out_ += fmt::format("{}{{{}}} {}\n", name, labels(), python_float(value));
  }
  // `name` without the `_total` the exporter appends.
  void counter(std::string_view name, std::string_view help, std::uint64_t value) {
    head(fmt::format("{}_total", name), help, "counter");
    sample_with_created(name, labels(), value);
  }
  // One counter family with a label of its own, one sample per value of it (the label sorts
  // between engine and model_name, which holds for finished_reason).
  void counter(std::string_view name, std::string_view help, std::string_view label,
               const std::vector<std::pair<std::string_view, std::uint64_t>>& values) {
    head(fmt::format("{}_total", name), help, "counter");
    for (const auto& [kind, value] : values) {
      sample_with_created(name, join(before_le_, fmt::format("{}=\"{}\"", label, kind), after_le_),
                          value);
    }
  }
  // vLLM order (buckets, count, sum, created) or SGLang's (sum, buckets, count).
  void histogram(std::string_view name, std::string_view help, const BucketHistogram& h,
                 bool sum_first) {
    head(name, help, "histogram");
    if (sum_first) out_ += fmt::format("{}_sum{{{}}} {}\n", name, labels(), python_float(h.sum()));
    const auto cumulative = h.cumulative();
    for (std::size_t i = 0; i < cumulative.size(); ++i) {
      const std::string le = i < h.bounds().size() ? python_float(h.bounds()[i]) : "+Inf";
      out_ += fmt::format("{}_bucket{{{}}} {}\n", name,
                          join(before_le_, fmt::format("le=\"{}\"", le), after_le_),
                          to_text(cumulative[i]));
    }
    out_ += fmt::format("{}_count{{{}}} {}\n", name, labels(), to_text(h.count()));
    if (!sum_first) out_ += fmt::format("{}_sum{{{}}} {}\n", name, labels(), python_float(h.sum()));
    if (!created_.empty()) out_ += fmt::format("{}_created{{{}}} {}\n", name, labels(), created_);
  }
  std::string take() { return std::move(out_); }

 private:
  static std::string join(std::string_view a, std::string_view b, std::string_view c) {
    std::string out;
    for (const std::string_view part : {a, b, c}) {
      if (part.empty()) continue;
      if (!out.empty()) out += ',';
      out += part;
    }
    return out;
  }
  [[nodiscard]] std::string labels() const { return join(before_le_, "", after_le_); }
  void head(std::string_view name, std::string_view help, std::string_view type) {
    out_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  }
  void sample_with_created(std::string_view name, const std::string& labels, std::uint64_t value) {
    out_ += fmt::format("{}_total{{{}}} {}\n", name, labels, to_text(value));
    if (!created_.empty()) out_ += fmt::format("{}_created{{{}}} {}\n", name, labels, created_);
  }

  std::string before_le_, after_le_, created_;
  std::string out_;
};

}  // namespace

std::string python_float(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  // fmt's shortest round trip switches to an exponent where repr() does (below 1e-4, from
  // 1e16); repr() always writes a fraction otherwise.
  std::string s = fmt::format("{}", value);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  // prometheus_client's floatToGoString: seven or more integer digits become an exponent,
  // written as 'e+0' and the exponent (so "e+010" from ten digits on, as it does).
  const std::size_t dot = s.find('.');
  if (value > 0 && dot != std::string::npos && dot > 6 && s.find('e') == std::string::npos) {
    std::string mantissa = s.substr(0, 1) + "." + s.substr(1, dot - 1) + s.substr(dot + 1);
    while (!mantissa.empty() && (mantissa.back() == '0' || mantissa.back() == '.'))
      mantissa.pop_back();
    return fmt::format("{}e+0{}", mantissa, dot - 1);
  }
  return s;
}

std::string rust_float(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  std::string s = fmt::format("{}", value);
  if (s.find('e') == std::string::npos) return s;
  // Display never writes an exponent: the same digits in positional notation.
  s = fmt::format("{:.20f}", value);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

BucketHistogram::BucketHistogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}

void BucketHistogram::observe(double value, std::uint64_t times) {
  observe(value, times, value * static_cast<double>(times));
}

void BucketHistogram::observe(double value, std::uint64_t times, double sum) {
  // `le` is inclusive: the first bound at or above the value.
  const auto at = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  counts_[static_cast<std::size_t>(at)] += times;
  count_ += times;
  sum_ += sum;
}

std::vector<std::uint64_t> BucketHistogram::cumulative() const {
  std::vector<std::uint64_t> out(counts_.size());
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) out[i] = seen += counts_[i];
  return out;
}

ServedMetrics::ServedMetrics(Dialect dialect, std::string model, std::int64_t kv_cache_tokens)
    : dialect_(dialect),
      model_(std::move(model)),
      kv_cache_tokens_(std::max<std::int64_t>(kv_cache_tokens, 1)),
      created_unix_(
          std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
              .count()),
      vllm_ttft_(vllm_ttft_bounds()),
      vllm_itl_(vllm_itl_bounds()),
      vllm_e2e_(vllm_request_latency_bounds()),
      vllm_queue_(vllm_request_latency_bounds()),
      sglang_ttft_(sglang_ttft_bounds()),
      sglang_itl_(sglang_itl_bounds()),
      sglang_e2e_(sglang_e2e_bounds()),
      tgi_duration_(tgi_duration_bounds()),
      tgi_queue_(tgi_duration_bounds()),
      tgi_inference_(tgi_duration_bounds()),
      tgi_per_token_(tgi_duration_bounds()),
      tgi_generated_(tgi_generated_tokens_bounds()) {}

bool ServedMetrics::served() const {
  return dialect_ == Dialect::kVllm || dialect_ == Dialect::kSglang || dialect_ == Dialect::kTgi ||
         dialect_ == Dialect::kLlamaCpp;
}

void ServedMetrics::on_request() { ++requests_; }

void ServedMetrics::on_failure(EngineFailure failure) {
  ++failures_[static_cast<std::size_t>(failure)];
}

void ServedMetrics::on_slot(TrackedGeneration& g, TimePoint now) {
  g.slot = now;
  g.holds_slot = true;
  ++busy_slots_;
  kv_tokens_ += g.prompt_tokens;
  kv_tokens_peak_ = std::max(kv_tokens_peak_, kv_tokens_);
  // vLLM looks a scheduled prompt up in its prefix cache; the simulator has none (no hits).
  queried_tokens_ += static_cast<std::uint64_t>(g.prompt_tokens);
}

void ServedMetrics::on_tokens(TrackedGeneration& g, TimePoint written, std::int64_t tokens) {
  if (tokens <= 0) return;
  const auto k = static_cast<std::uint64_t>(tokens);
  if (g.generated == 0) {
    g.first_token = written;
    const double ttft = seconds_between(g.received, written);
    vllm_ttft_.observe(ttft);
    sglang_ttft_.observe(ttft);
    prompt_tokens_ += static_cast<std::uint64_t>(g.prompt_tokens);
    // llama.cpp times the prompt from the slot's start to its first token.
    const double prompt_seconds = seconds_between(g.slot, written);
    llama_prompt_seconds_ += prompt_seconds;
    window_prompt_tokens_ += static_cast<std::uint64_t>(g.prompt_tokens);
    window_prompt_seconds_ += prompt_seconds;
  } else {
    const double gap = seconds_between(g.last_token, written);
    // vLLM observes one interval per engine step that outputs tokens for the request, however
    // many it carries (a frame here); SGLang spreads a k-token step as k observations of
    // gap / k, adding the gap to the sum once (observe_inter_token_latency).
    vllm_itl_.observe(gap);
    sglang_itl_.observe(gap / static_cast<double>(k), k, gap);
  }
  g.last_token = written;
  g.generated += tokens;
  generated_tokens_ += k;
  kv_tokens_ += tokens;
  kv_tokens_peak_ = std::max(kv_tokens_peak_, kv_tokens_);
  // One llama_decode() call per step, batching every busy slot.
  ++llama_decodes_;
  llama_busy_slots_ += busy_slots_;
}

void ServedMetrics::on_finish(TrackedGeneration& g, bool complete) {
  if (g.holds_slot) {
    g.holds_slot = false;
    --busy_slots_;
    kv_tokens_ -= g.prompt_tokens + g.generated;
  }
  // llama.cpp counts a slot's predictions when it is released, finished or not.
  const auto generated = static_cast<std::uint64_t>(g.generated);
  const double decode_seconds = g.generated > 0 ? seconds_between(g.first_token, g.last_token) : 0;
  llama_predicted_tokens_ += generated;
  llama_predicted_seconds_ += decode_seconds;
  window_predicted_tokens_ += generated;
  window_predicted_seconds_ += decode_seconds;
  if (!complete) {
    ++aborted_;
    return;
  }
  ++completed_;
  const double e2e = seconds_between(g.received, g.last_token);
  const double queue = seconds_between(g.received, g.slot);
  const double inference = seconds_between(g.slot, g.last_token);
  vllm_e2e_.observe(e2e);
  vllm_queue_.observe(queue);
  sglang_e2e_.observe(e2e);
  sglang_prompt_tokens_ += static_cast<std::uint64_t>(g.prompt_tokens);
  sglang_generation_tokens_ += generated;
  tgi_duration_.observe(e2e);
  tgi_queue_.observe(queue);
  tgi_inference_.observe(inference);
  if (g.generated > 0) tgi_per_token_.observe(inference / static_cast<double>(g.generated));
  tgi_generated_.observe(static_cast<double>(g.generated));
}

double ServedMetrics::kv_usage() const {
  return std::min(1.0, static_cast<double>(kv_tokens_) / static_cast<double>(kv_cache_tokens_));
}

std::string ServedMetrics::page(std::uint64_t running, std::uint64_t waiting) {
  switch (dialect_) {
    case Dialect::kVllm:
      return vllm_page(running, waiting);
    case Dialect::kSglang:
      return sglang_page(running, waiting);
    case Dialect::kTgi:
      return tgi_page(running, waiting);
    case Dialect::kLlamaCpp:
      return llamacpp_page(running, waiting);
    case Dialect::kOpenAi:
    case Dialect::kOllama:
      break;
  }
  return {};
}

std::string ServedMetrics::vllm_page(std::uint64_t running, std::uint64_t waiting) const {
  PythonPage p("engine=\"0\"", fmt::format("model_name=\"{}\"", label_value(model_)),
               python_float(created_unix_));
  p.gauge("vllm:num_requests_running", "Number of requests in model execution batches.",
          static_cast<double>(running));
  p.gauge("vllm:num_requests_waiting", "Number of requests waiting to be processed.",
          static_cast<double>(waiting));
  p.gauge("vllm:kv_cache_usage_perc", "KV-cache usage. 1 means 100 percent usage.", kv_usage());
  p.counter("vllm:prefix_cache_queries",
            "Prefix cache queries, in terms of number of queried tokens.", queried_tokens_);
  p.counter("vllm:prefix_cache_hits", "Prefix cache hits, in terms of number of cached tokens.", 0);
  p.counter("vllm:num_preemptions", "Cumulative number of preemption from the engine.", 0);
  p.counter("vllm:prompt_tokens", "Number of prefill tokens processed.", prompt_tokens_);
  p.counter("vllm:generation_tokens", "Number of generation tokens processed.", generated_tokens_);
  // The simulator always generates max_tokens: it never stops on its own.
  p.counter("vllm:request_success", "Count of successfully processed requests.", "finished_reason",
            {{"stop", 0}, {"length", completed_}, {"abort", aborted_}});
  p.histogram("vllm:time_to_first_token_seconds", "Histogram of time to first token in seconds.",
              vllm_ttft_, false);
  p.histogram("vllm:inter_token_latency_seconds", "Histogram of inter-token latency in seconds.",
              vllm_itl_, false);
  p.histogram("vllm:e2e_request_latency_seconds", "Histogram of e2e request latency in seconds.",
              vllm_e2e_, false);
  p.histogram("vllm:request_queue_time_seconds",
              "Histogram of time spent in WAITING phase for request.", vllm_queue_, false);
  return p.take();
}

std::string ServedMetrics::sglang_page(std::uint64_t running, std::uint64_t waiting) const {
  // Multiprocess mode (SGLang sets PROMETHEUS_MULTIPROC_DIR): no `_created` series.
  PythonPage p("", fmt::format("model_name=\"{}\"", label_value(model_)), "");
  p.gauge("sglang:num_running_reqs", "The number of running requests.",
          static_cast<double>(running));
  p.gauge("sglang:num_queue_reqs", "The number of requests in the waiting queue.",
          static_cast<double>(waiting));
  p.gauge("sglang:num_used_tokens", "The number of used tokens.", static_cast<double>(kv_tokens_));
  p.gauge("sglang:max_total_num_tokens", "Maximum total number of tokens",
          static_cast<double>(kv_cache_tokens_));
  p.gauge("sglang:token_usage", "The token usage.", kv_usage());
  p.gauge("sglang:cache_hit_rate", "The prefix cache hit rate.", 0);
  p.counter("sglang:prompt_tokens", "Number of prefill tokens processed.", sglang_prompt_tokens_);
  p.counter("sglang:generation_tokens", "Number of generation tokens processed.",
            sglang_generation_tokens_);
  p.counter("sglang:cached_tokens", "Number of cached prompt tokens.", 0);
  p.counter("sglang:num_requests", "Number of requests processed.", completed_);
  p.counter("sglang:num_aborted_requests", "Number of requests aborted.", aborted_);
  p.histogram("sglang:time_to_first_token_seconds", "Histogram of time to first token in seconds.",
              sglang_ttft_, true);
  p.histogram("sglang:inter_token_latency_seconds", "Histogram of inter-token latency in seconds.",
              sglang_itl_, true);
  p.histogram("sglang:e2e_request_latency_seconds",
              "Histogram of End-to-end request latency in seconds", sglang_e2e_, true);
  return p.take();
}

std::string ServedMetrics::tgi_page(std::uint64_t running, std::uint64_t waiting) const {
  // metrics-exporter-prometheus: TYPE lines only (TGI describes none of its metrics), names as
  // recorded (no `_total`), a blank line after each family, counters, gauges, histograms.
  std::string out;
  const auto plain = [&out](std::string_view name, std::string_view type, std::string_view value) {
    out += fmt::format("# TYPE {} {}\n{} {}\n\n", name, type, name, value);
  };
  plain("tgi_request_count", "counter", fmt::format("{}", requests_));
  constexpr std::string_view kFailureNames[] = {"validation", "generation", "overloaded"};
  std::string failures;
  for (std::size_t i = 0; i < std::size(kFailureNames); ++i) {
    // A label set exists once it was counted.
    if (failures_[i] > 0)
      failures +=
          fmt::format("tgi_request_failure{{err=\"{}\"}} {}\n", kFailureNames[i], failures_[i]);
  }
  if (!failures.empty()) out += "# TYPE tgi_request_failure counter\n" + failures + "\n";
  plain("tgi_request_success", "counter", fmt::format("{}", completed_));
  plain("tgi_batch_current_size", "gauge", rust_float(static_cast<double>(running)));
  plain("tgi_queue_size", "gauge", rust_float(static_cast<double>(waiting)));
  const auto histogram = [&out](std::string_view name, const BucketHistogram& h) {
    out += fmt::format("# TYPE {} histogram\n", name);
    const auto cumulative = h.cumulative();
    for (std::size_t i = 0; i < cumulative.size(); ++i) {
      const std::string le = i < h.bounds().size() ? rust_float(h.bounds()[i]) : "+Inf";
      out += fmt::format("{}_bucket{{le=\"{}\"}} {}\n", name, le, cumulative[i]);
    }
    out += fmt::format("{}_sum {}\n{}_count {}\n\n", name, rust_float(h.sum()), name, h.count());
  };
  histogram("tgi_request_duration", tgi_duration_);
  histogram("tgi_request_generated_tokens", tgi_generated_);
  histogram("tgi_request_inference_duration", tgi_inference_);
  histogram("tgi_request_mean_time_per_token_duration", tgi_per_token_);
  histogram("tgi_request_queue_duration", tgi_queue_);
  return out;
}

std::string ServedMetrics::llamacpp_page(std::uint64_t running, std::uint64_t waiting) {
  // llama-server writes each value as a double through an ostream: 6 significant digits.
  std::string out;
  const auto metric = [&out](std::string_view name, std::string_view help, std::string_view type,
                             double value) {
    out += fmt::format("# HELP llamacpp:{} {}\n# TYPE llamacpp:{} {}\nllamacpp:{} {:g}\n", name,
                       help, name, type, name, value);
  };
  const auto rate = [](std::uint64_t tokens, double seconds) {
    return seconds > 0 ? static_cast<double>(tokens) / seconds : 0.0;
  };
  metric("prompt_tokens_total", "Number of prompt tokens processed.", "counter",
         static_cast<double>(prompt_tokens_));
  metric("prompt_seconds_total", "Prompt process time", "counter", llama_prompt_seconds_);
  metric("tokens_predicted_total", "Number of generation tokens processed.", "counter",
         static_cast<double>(llama_predicted_tokens_));
  metric("tokens_predicted_seconds_total", "Predict process time", "counter",
         llama_predicted_seconds_);
  metric("n_decode_total", "Total number of llama_decode() calls", "counter",
         static_cast<double>(llama_decodes_));
  metric("n_tokens_max", "Largest observed n_tokens.", "counter",
         static_cast<double>(kv_tokens_peak_));
  // Declared a counter although the value is an average, as llama-server declares it.
  metric("n_busy_slots_per_decode", "Average number of busy slots per llama_decode() call",
         "counter",
         static_cast<double>(llama_busy_slots_) /
             static_cast<double>(std::max<std::uint64_t>(llama_decodes_, 1)));
  metric("prompt_tokens_seconds", "Average prompt throughput in tokens/s.", "gauge",
         rate(window_prompt_tokens_, window_prompt_seconds_));
  metric("predicted_tokens_seconds", "Average generation throughput in tokens/s.", "gauge",
         rate(window_predicted_tokens_, window_predicted_seconds_));
  metric("requests_processing", "Number of requests processing.", "gauge",
         static_cast<double>(running));
  metric("requests_deferred", "Number of requests deferred.", "gauge",
         static_cast<double>(waiting));
  // A scrape starts the next window of the two throughput gauges, as llama-server's does.
  window_prompt_tokens_ = window_predicted_tokens_ = 0;
  window_prompt_seconds_ = window_predicted_seconds_ = 0;
  return out;
}

}  // namespace llmbench::sim
