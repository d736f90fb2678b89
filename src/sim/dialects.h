#pragma once
// The wire formats the simulator speaks (ENGINES.md, read independently of engines/).
// Everything here is pure formatting: the server in sim_server.cc decides *when* bytes go
// out, this file decides *which* bytes.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"

namespace llmbench::sim {

enum class Dialect { kOpenAi, kVllm, kOllama, kTgi, kLlamaCpp, kSglang };
Expected<Dialect> parse_dialect(std::string_view name);
std::string_view to_string(Dialect dialect);

enum class Route {
  kOpenAiCompletions,
  kOpenAiChat,
  kOllamaGenerate,
  kOllamaChat,
  kTgiGenerate,        // non-streamed, timing headers
  kTgiGenerateStream,  // SSE, one event per token
  kLlamaCppCompletion,
  kSglangGenerate,
};

// The generation route a POST path maps to in a dialect (every dialect also serves the
// OpenAI routes).
std::optional<Route> generation_route(Dialect dialect, std::string_view path);

struct Generation {
  Route route = Route::kOpenAiCompletions;
  bool stream = false;
  bool include_usage = false;
  // stream_options.continuous_usage_stats as sent; whether it takes effect is the dialect's
  // (vLLM: only with include_usage; SGLang: on its own; others ignore it).
  bool continuous_usage_stats = false;
  std::string model;
  std::int64_t prompt_tokens = 0;
  std::int64_t max_tokens = 0;  // 0 = not given
};

// Reads a request body; the error message becomes a 400/422 body.
Expected<Generation> parse_generation(Route route, std::string_view body);

// What the simulated engine "measured" for a request, in seconds, for the native fields.
struct Produced {
  double queue = 0;    // waiting for a slot
  double load = 0;     // cold-start model load (Ollama)
  double prefill = 0;  // slot start → first token
  double decode = 0;   // first token → last token
  double total = 0;    // arrival → last token
  std::int64_t output_tokens = 0;
};

class Format {
 public:
  Format(Dialect dialect, std::string served_model)
      : dialect_(dialect), model_(std::move(served_model)) {}

  // HTTP head of a streaming response (ends with the blank line).
  [[nodiscard]] static std::string stream_head(const Generation& g, bool keep_alive);
  // Bytes sent at once, before any token (chat role chunk), possibly empty.
  [[nodiscard]] std::string preamble(const Generation& g, std::uint64_t id) const;
  // Token i (0-based) of n, carrying `text`; `p` holds the request's scripted figures (the
  // last event of some dialects reports them).
  [[nodiscard]] std::string token(const Generation& g, std::uint64_t id, std::int64_t i,
                                  std::int64_t n, std::string_view text,
                                  std::string_view text_so_far, const Produced& p) const;
  // Everything after the last token, including the end of the chunked body.
  [[nodiscard]] std::string tail(const Generation& g, std::uint64_t id, const Produced& p) const;
  // A mid-stream error event and the end of the body.
  [[nodiscard]] std::string error_event(const Generation& g, std::string_view message) const;
  // A frame that is not valid JSON.
  [[nodiscard]] std::string malformed(const Generation& g) const;
  // Complete non-streamed response (head and body).
  [[nodiscard]] std::string whole(const Generation& g, std::uint64_t id, std::string_view text,
                                  const Produced& p, bool keep_alive) const;
  // Complete error response in this dialect's shape.
  [[nodiscard]] std::string error_response(const Generation* g, int status,
                                           std::string_view message, std::string_view type,
                                           bool keep_alive,
                                           std::string_view extra_headers = {}) const;
  // GET routes of the dialect (info, health, models…); nullopt when the path is unknown.
  // (/metrics is the server's: sim_server.cc.)
  [[nodiscard]] std::optional<std::string> info(std::string_view path, bool keep_alive) const;
  // POST /tokenize (and SGLang's /v1/tokenize) in this dialect's shape; nullopt when the
  // engine has none. Tokens are the simulator's words.
  [[nodiscard]] std::optional<std::string> tokenize(std::string_view path, std::string_view body,
                                                    bool keep_alive) const;
  // Whether a request naming `model` is served (engines that check answer 404 otherwise).
  [[nodiscard]] bool accepts_model(const Generation& g) const;

 private:
  [[nodiscard]] bool continuous_usage(const Generation& g) const;
  Dialect dialect_;
  std::string model_;
};

// HTTP helpers shared with the server.
std::string chunked(std::string_view payload);
std::string http_response(int status, std::string_view content_type, std::string_view body,
                          bool keep_alive, std::string_view extra_headers = {});

}  // namespace llmbench::sim
