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

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <memory>
#include <string>

#include "core/clock.h"
#include "core/error.h"
#include "sim/dialects.h"

namespace llmbench::sim {

enum class Fault {
  kNone,
  kMalformedFrame,  // one frame of invalid JSON half-way through the stream
  kReset,           // the connection is closed half-way through the stream
  kErrorEvent,      // an error event half-way through a 200 stream, then [DONE]
  kStall,           // the stream stops half-way and stays open
  kRateLimit,       // 429 with Retry-After
  kUnavailable,     // 503 while "loading"
};

Expected<Fault> parse_fault(std::string_view name);

struct SimOptions {
  Dialect dialect = Dialect::kOpenAi;
  Duration load_time{};  // Ollama dialect: the first generation pays this model load
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  // 0 = any free port
  Duration ttft = std::chrono::milliseconds(50);
  Duration itl = std::chrono::milliseconds(10);
  Duration jitter{};
  Duration prefill_per_token{};
  int max_batch = 0;         // 0 = unlimited concurrent generations
  int tokens_per_chunk = 1;  // tokens per stream frame, sent when the chunk's last is due
  double fail_rate = 0;      // fraction of generation requests answered with HTTP 500
  Fault fault = Fault::kNone;
  double fault_rate = 1;  // fraction of generation requests that get the fault
  std::uint64_t seed = 0;
  std::string model = "llmbench-sim";
  std::int64_t default_max_tokens = 16;  // when the request names none (as vLLM does)
};

struct SimCounters {
  std::uint64_t requests = 0;  // generation requests received
  std::uint64_t failed = 0;    // answered with an injected failure
  std::uint64_t tokens = 0;    // tokens written
  std::uint64_t running = 0;   // generations holding a slot now
  std::uint64_t waiting = 0;   // generations queued for a slot now
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
