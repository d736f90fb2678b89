#pragma once
// The simulated engine: a loopback HTTP server speaking one engine's dialect (dialects.h) with a
// scripted, deterministic timing model. It is a timing reference for tests and the demo:
// every token is written at its scheduled instant (not batched up), from one thread.
//
// Independent of engines/: it reads and writes the protocol itself, so adapters are checked
// against a second reading of it.
//
// Timing model, per request: the request waits for a free slot (--max-batch, FIFO); once it
// holds one, the first token is due after ttft + prefill_per_token × prompt tokens; token i
// is due itl after token i−1. With jitter J each of those delays gets a uniform offset in
// [−J, +J] (never below zero) from a seeded generator. Times are absolute, so a late write
// does not delay the tokens after it.

#include <array>
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "sim/dialects.h"

namespace llmbench::sim {

// What the simulator does to a generation request picked for a fault (docs/sim.md). "Half-way"
// is at token max_tokens / 2.
enum class Fault {
  kNone,
  kResetBeforeHeaders,     // the request is read, then the connection is reset (RST), no byte
  kResetMidStream,         // "reset": the connection is reset (RST) half-way through the stream
  kStallBeforeFirstToken,  // the head (and any role chunk) is sent, then nothing, never
  kStallMidStream,         // "stall": the stream stops half-way and stays open
  kSlowHeaders,            // the response head is written one byte every kSlowHeaderByteGap
  kMalformedFrame,         // "malformed": one frame of invalid JSON half-way through the stream
  kOversizedFrame,         // the token frame half-way holds kOversizedFrameBytes of text
  kInvalidUtf8,            // half-way: a 3-byte character split over two frames, then 0xFF
  kTruncatedChunk,         // the connection is closed (FIN) in the middle of a chunk
  kWrongContentType,       // 200 with a text/html page instead of the stream or JSON
  kKeepAliveFlood,         // after the head, keep-alive lines as fast as possible, no token
  kErrorEvent,             // an error event half-way through a 200 stream, then [DONE]
  kRateLimit,              // "429": 429 with Retry-After: 1
  kUnavailable,            // "503": 503 while "loading"
  kListenerDown,           // reset before headers, and the listener closes for listener_down
};
inline constexpr std::size_t kFaultKinds = static_cast<std::size_t>(Fault::kListenerDown) + 1;

// Accepts the names in docs/sim.md and the older aliases (reset, stall, malformed, 429, 503).
Expected<Fault> parse_fault(std::string_view name);
std::string_view to_string(Fault fault);

// A fault and the fraction of generation requests that get it.
struct FaultRate {
  Fault fault = Fault::kNone;
  double rate = 1;
};
// Parses "KIND" or "KIND:RATE" (RATE in [0, 1]); `default_rate` applies to a bare KIND.
Expected<FaultRate> parse_fault_rate(std::string_view text, double default_rate = 1);

// Bounds of the simulator's own resources (docs/sim.md).
inline constexpr std::int64_t kMaxTokensLimit = 10'000'000;  // above: 400 (TGI 422)
inline constexpr std::size_t kOversizedFrameBytes = std::size_t{64} * 1024 * 1024;
inline constexpr Duration kSlowHeaderByteGap = std::chrono::milliseconds(25);

struct SimOptions {
  Dialect dialect = Dialect::kOpenAi;
  Duration load_time{};  // Ollama dialect: the first generation pays this model load
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  // 0 = any free port
  Duration ttft = std::chrono::milliseconds(50);
  Duration itl = std::chrono::milliseconds(10);
  Duration jitter{};
  Duration prefill_per_token{};
  int max_batch = 0;  // 0 = unlimited concurrent generations
  // The KV cache the engines' usage gauges divide by (vllm:kv_cache_usage_perc,
  // sglang:token_usage): the prompt and generated tokens of the generations in slots, in
  // tokens. Values below 1 count as 1; usage above the capacity reads 1 (nothing is evicted).
  std::int64_t kv_cache_tokens = 262'144;
  int tokens_per_chunk = 1;  // tokens per stream frame, sent when the chunk's last is due
  double fail_rate = 0;      // fraction of generation requests answered with HTTP 500
  // Faults, each with its rate; the rates add up to at most 1. One draw per generation
  // request picks at most one of them (after --fail-rate's draw).
  std::vector<FaultRate> faults;
  // Shorthand for one more entry of `faults` (kept for callers that set one fault).
  Fault fault = Fault::kNone;
  double fault_rate = 1;  // fraction of generation requests that get `fault`
  Duration listener_down = std::chrono::seconds(1);  // Fault::kListenerDown
  std::uint64_t seed = 0;
  std::string model = "llmbench-sim";
  std::int64_t default_max_tokens = 16;  // when the request names none (as vLLM does)
  // When set, every generation request is appended to this file as one JSON line
  // {"target": …, "body": …} (tests compare what different engines were sent).
  std::filesystem::path log_requests;
};

struct SimCounters {
  std::uint64_t requests = 0;  // generation requests received
  std::uint64_t failed = 0;    // answered with an injected failure (--fail-rate, 429, 503)
  std::uint64_t faults = 0;    // got a fault (any kind); by kind in faults_by_kind
  std::array<std::uint64_t, kFaultKinds> faults_by_kind{};
  std::uint64_t tokens = 0;   // tokens written
  std::uint64_t running = 0;  // generations holding a slot now
  std::uint64_t waiting = 0;  // generations queued for a slot now
  std::uint64_t scrapes = 0;  // GET /metrics answered with the engine's page (not 404)
};

class SimServer {
 public:
  // The server runs on `io` (one thread is enough for thousands of streams).
  SimServer(boost::asio::io_context& io, SimOptions options);
  ~SimServer();
  SimServer(const SimServer&) = delete;
  SimServer& operator=(const SimServer&) = delete;

  // Binds and starts accepting; returns the bound port. Call before io.run().
  Expected<std::uint16_t> start();
  // Stops accepting and closes connections; safe from any thread.
  void stop();
  [[nodiscard]] SimCounters counters() const;

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

// Tokens as the simulator counts them — deliberately not words, so that a client assuming
// one word per token is caught: a BOS token, then one token per started 5 bytes of each
// whitespace-separated word ("time" 1, "government" 2).
std::int64_t sim_token_count(std::string_view text);

}  // namespace llmbench::sim
