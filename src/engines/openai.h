#pragma once
// Adapter for the OpenAI-compatible routes /v1/completions and /v1/chat/completions, as
// served by vLLM, llama.cpp, SGLang, TGI, Ollama's /v1 layer and OpenAI itself
// (ENGINES.md §2, §4, §5 and the OpenAI quirks of §1.5 and §3.4).

#include <optional>
#include <string>

#include "engines/engine.h"

namespace llmbench::engines {

struct OpenAiOptions {
  // Send "ignore_eos": true when the spec asks for exact lengths. Only for servers that
  // accept it (vLLM, llama.cpp, SGLang); OpenAI itself rejects unknown fields.
  bool supports_ignore_eos = false;
  // With ignore_eos, also send min_tokens = max_tokens (vLLM, SGLang accept it).
  bool supports_min_tokens = false;
  // Send "cache_prompt": false (llama.cpp, whose prompt cache is on by default and would make
  // prefill look free on repeated prompts).
  bool disable_prompt_cache = false;
  // Sent as "model" instead of the spec's (TGI's OpenAI routes treat any other name as a
  // LoRA adapter id and want "tgi").
  std::optional<std::string> model_override;
  // Send stream_options.include_usage on streaming requests.
  bool request_usage = true;
  // Also ask for usage on every chunk (stream_options.continuous_usage_stats: vLLM, SGLang)
  // and take each chunk's token count from the change in its cumulative completion_tokens.
  bool continuous_usage = false;
  // Sent as "Authorization: Bearer …" when set. Never logged or written to results.
  std::optional<std::string> api_key;
  std::vector<net::Header> headers;  // sent with every request (engine config)
  // Path prefix before /v1/... (from the base URL, with a trailing "/v1" removed).
  std::string base_path;
};

class OpenAiEngine final : public Engine {
 public:
  explicit OpenAiEngine(OpenAiOptions options);
  [[nodiscard]] std::string_view name() const override { return "openai"; }
  [[nodiscard]] net::HttpRequest build_request(const RequestSpec& spec) const override;
  [[nodiscard]] std::unique_ptr<ResponseReader> make_reader(const RequestSpec& spec,
                                                            RequestRecord& record) const override;

 private:
  OpenAiOptions options_;
};

// The route prefix for a base URL path: "/v1" and "/v1/" endings are dropped so that both
// http://host:8000 and http://host:8000/v1 work.
std::string strip_v1_suffix(std::string_view base_path);

}  // namespace llmbench::engines
