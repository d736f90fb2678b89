#pragma once
// The record of one executed request: raw timestamps as taken when bytes arrived, what the
// engine reported, and how it ended. Every latency figure is derived from these fields by
// metrics/; nothing here is pre-aggregated.

#include <cstdint>
#include <optional>
#include <string>
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
};

struct RequestRecord {
  std::uint64_t id = 0;
  std::int64_t prompt_tokens_target = 0;  // what the workload asked for
  std::int64_t max_tokens = 0;            // output tokens requested
  bool stream = true;

  // Timestamps (steady clock). t_sched: when the request was due; t_send: when its first
  // byte was written; t_end: when the response completed or failed.
  TimePoint t_sched{};
  TimePoint t_send{};
  TimePoint t_end{};
  bool sent = false;  // false when the request never reached the wire (connect failed...)

  std::vector<TokenEvent> events;  // content-bearing arrivals, in order
  EngineUsage usage;
  std::string finish_reason;       // as the engine named it ("stop", "length"...), empty if none
  int http_status = 0;             // 0 when no response head arrived
  std::uint64_t output_chars = 0;  // bytes of generated text received
  bool completed = false;          // the engine signalled the end of the response

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
  virtual void consume(RequestRecord&& record) = 0;
};

}  // namespace llmbench
