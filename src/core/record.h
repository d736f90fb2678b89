#pragma once
// The record of one executed request: raw timestamps as taken when bytes arrived, what the
// engine reported, and how it ended. Every latency figure is derived from these fields by
// metrics/; nothing here is pre-aggregated.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/error.h"

namespace llmbench {

// One arrival of generated text: a frame (SSE event, NDJSON line or whole body) that carried
// non-empty output. A frame holding k tokens is one event with tokens == k; when the engine
// does not say how many tokens a frame holds, tokens == 1.
struct TokenEvent {
  TimePoint arrival;  // when the first byte of the frame arrived
  std::uint32_t tokens = 1;
};

// Token counts reported by the engine itself (usage block, eval_count...).
struct EngineUsage {
  std::optional<std::int64_t> prompt_tokens;
  std::optional<std::int64_t> output_tokens;
  std::optional<std::int64_t> cached_prompt_tokens;  // prompt tokens served from a cache
};

// Timings the engine reported for this request, converted to seconds whatever unit the
// engine used (Ollama ns, llama.cpp and TGI ms, SGLang s). Each is the engine's own figure;
// metrics/ sets them beside the client-measured ones (METRICS.md M43).
struct NativeTimings {
  std::optional<double> load_duration;             // M1: model load (Ollama load_duration)
  std::optional<double> prompt_eval_duration;      // M3: prefill (Ollama, llama.cpp prompt_ms)
  std::optional<std::int64_t> prompt_eval_tokens;  // tokens prefilled (llama.cpp prompt_n)
  std::optional<double> eval_duration;             // M6: decode (Ollama, llama.cpp predicted_ms)
  std::optional<double> total_duration;            // M8: Ollama total_duration, TGI x-total-time,
                                                   //     SGLang meta_info.e2e_latency
  std::optional<double> queue_time;                // M13: TGI x-queue-time, vLLM queue_time_ms
  std::optional<double> inference_time;            // TGI x-inference-time (prefill + decode)
  std::optional<double> time_per_output_token;     // TGI x-time-per-token, llama.cpp
                                                   //     predicted_per_token_ms
  std::optional<double> ttft;                      // vLLM metrics.time_to_first_token_ms

  [[nodiscard]] bool any() const {
    return load_duration || prompt_eval_duration || eval_duration || total_duration || queue_time ||
           inference_time || time_per_output_token || ttft;
  }
};

// Where a request falls in the run: warm-up and cool-down requests are recorded in full but
// left out of the summary statistics.
enum class Phase : std::uint8_t { kMeasure, kWarmup, kCooldown };
constexpr std::string_view to_string(Phase phase) {
  switch (phase) {
    case Phase::kWarmup:
      return "warmup";
    case Phase::kCooldown:
      return "cooldown";
    case Phase::kMeasure:
      break;
  }
  return "measure";
}

inline constexpr std::size_t kOutputSampleBytes = 256;

struct RequestRecord {
  std::uint64_t id = 0;
  std::uint32_t level = 0;  // load level of a sweep or stepped run (0 for a single run)
  Phase phase = Phase::kMeasure;
  // Attempts after the first (--retries); the timestamps below are the last attempt's,
  // except t_sched, which stays when the request was first due.
  std::uint32_t retries = 0;
  // Times the request was written again on a fresh connection because writing it failed on
  // a kept-alive connection (it never left whole, so the engine cannot have acted on it),
  // summed over all attempts. Not a retry: t_send stays the attempt's first write.
  std::uint32_t resends = 0;
  std::int64_t prompt_tokens_target = 0;  // what the workload asked for
  std::int64_t max_tokens = 0;            // output tokens requested
  bool stream = true;

  // Timestamps (steady clock). t_sched: when the request was due; t_send: when its first
  // byte was written (the first write of the attempt, even when it was resent); t_end: when
  // the response completed or failed.
  TimePoint t_sched{};
  TimePoint t_send{};
  TimePoint t_end{};
  bool sent = false;  // false when the request never reached the wire (connect failed...)

  std::vector<TokenEvent> events;  // content-bearing arrivals, in order
  EngineUsage usage;
  NativeTimings native;
  bool cold_start = false;    // the engine loaded the model for this request (Ollama)
  std::string finish_reason;  // as the engine named it ("stop", "length"...), empty if none
  int http_status = 0;        // 0 when no response head arrived
  // Seconds the engine asked the client to wait (Retry-After on a 429/503), when it said.
  std::optional<double> retry_after;
  std::uint64_t output_chars = 0;  // bytes of generated text received
  // The first kOutputSampleBytes bytes of that text, as received (not yet checked as UTF-8):
  // a report shows a few outputs beside their prompts. Bounded, so a record stays small.
  std::string output_sample;
  // Bytes of text from the network that were not well-formed UTF-8 (Unicode §3.9) and were
  // replaced by U+FFFD where llmbench read or kept them: token frames it parsed, error bodies
  // and messages, the finish reason. A measured count: 0 when every byte was valid.
  std::uint64_t invalid_utf8_bytes = 0;
  bool completed = false;  // the engine signalled the end of the response

  std::optional<RequestError> error;  // nullopt = success

  [[nodiscard]] bool ok() const { return !error.has_value(); }
  [[nodiscard]] bool has_first_token() const { return !events.empty(); }
  [[nodiscard]] TimePoint t_first() const { return events.front().arrival; }

  // Tokens counted from client events (each event's token count summed).
  [[nodiscard]] std::int64_t client_output_tokens() const {
    std::int64_t total = 0;
    for (const TokenEvent& e : events) total += e.tokens;
    return total;
  }
  // METRICS.md M5: the engine's count when it reported one, else the client count.
  [[nodiscard]] std::int64_t output_tokens() const {
    return usage.output_tokens.value_or(client_output_tokens());
  }
  [[nodiscard]] bool output_tokens_from_engine() const { return usage.output_tokens.has_value(); }
};

// Receives finished records. consume() is called on the worker thread that finished the
// request; an implementation shared by several workers must synchronise itself.
class RecordSink {
 public:
  virtual ~RecordSink() = default;
  // Called once by the runner before the first record, with the instant the run's
  // timestamps count from (the schedule's zero in an open-loop run).
  virtual void begin(TimePoint /*origin*/) {}
  // Called on the worker thread about to send a request (once per request, retries
  // included in the one call), so that started − consumed is the number in flight. Must not
  // block: it runs on the measuring path.
  virtual void started() {}
  virtual void consume(RequestRecord&& record) = 0;
};

}  // namespace llmbench
