#pragma once
// Adapters for the engines' native generation routes (ENGINES.md §1, §3, §4, §5). Each one
// reads the engine's own timing fields, converted to seconds, into RequestRecord::native.

#include <optional>
#include <string>

#include "engines/engine.h"

namespace llmbench::engines {

struct NativeOptions {
  std::string base_path;                  // prefix before the engine's routes
  std::vector<net::Header> headers;       // sent with every request (engine config)
  std::optional<std::string> api_key;     // Bearer token, never logged
  std::optional<std::string> keep_alive;  // Ollama: how long to keep the model loaded
};

// Ollama /api/generate and /api/chat (NDJSON streams, "stream": false sent explicitly).
class OllamaEngine final : public Engine {
 public:
  explicit OllamaEngine(NativeOptions options) : options_(std::move(options)) {}
  [[nodiscard]] std::string_view name() const override { return "ollama"; }
  [[nodiscard]] net::HttpRequest build_request(const RequestSpec& spec) const override;
  [[nodiscard]] std::unique_ptr<ResponseReader> make_reader(const RequestSpec& spec,
                                                            RequestRecord& record) const override;
  // A request whose load_duration is at least this long loaded the model (cold start).
  static constexpr double kColdStartSeconds = 0.1;

 private:
  NativeOptions options_;
};

// TGI /generate and /generate_stream (SSE "data:" without a space, details on the last event,
// timing headers on non-streamed responses).
class TgiEngine final : public Engine {
 public:
  explicit TgiEngine(NativeOptions options) : options_(std::move(options)) {}
  [[nodiscard]] std::string_view name() const override { return "tgi"; }
  [[nodiscard]] net::HttpRequest build_request(const RequestSpec& spec) const override;
  [[nodiscard]] std::unique_ptr<ResponseReader> make_reader(const RequestSpec& spec,
                                                            RequestRecord& record) const override;

 private:
  NativeOptions options_;
};

// llama.cpp llama-server /completion (timings in the last event, no [DONE]).
class LlamaCppEngine final : public Engine {
 public:
  explicit LlamaCppEngine(NativeOptions options) : options_(std::move(options)) {}
  [[nodiscard]] std::string_view name() const override { return "llamacpp"; }
  [[nodiscard]] net::HttpRequest build_request(const RequestSpec& spec) const override;
  [[nodiscard]] std::unique_ptr<ResponseReader> make_reader(const RequestSpec& spec,
                                                            RequestRecord& record) const override;

 private:
  NativeOptions options_;
};

// SGLang /generate (cumulative text and token counts, [DONE]).
class SglangEngine final : public Engine {
 public:
  explicit SglangEngine(NativeOptions options) : options_(std::move(options)) {}
  [[nodiscard]] std::string_view name() const override { return "sglang"; }
  [[nodiscard]] net::HttpRequest build_request(const RequestSpec& spec) const override;
  [[nodiscard]] std::unique_ptr<ResponseReader> make_reader(const RequestSpec& spec,
                                                            RequestRecord& record) const override;

 private:
  NativeOptions options_;
};

// The prompt of a spec as one string: the prompt itself, or the chat messages joined as
// "role: content" lines for engines whose native route takes text only.
std::string prompt_text(const RequestSpec& spec);

// Appends chat messages as a JSON array of {"role","content"} objects.
void append_messages_json(std::string& out, const std::vector<ChatMessage>& messages);

// Adds the configured headers, and the Bearer header when a key is configured.
void add_auth(net::HttpRequest& request, const std::optional<std::string>& api_key,
              const std::vector<net::Header>& headers);

}  // namespace llmbench::engines
