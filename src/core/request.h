#pragma once
// What one benchmark request asks of an engine, independent of any wire format.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace llmbench {

// Which generation API a request uses. Engines map each to their own route.
enum class ApiKind {
  kCompletions,  // prompt in, text out (OpenAI /v1/completions)
  kChat,         // messages in, message out (OpenAI /v1/chat/completions)
};

struct ChatMessage {
  std::string role;
  std::string content;
};

struct RequestSpec {
  std::uint64_t id = 0;
  std::string model;
  ApiKind api = ApiKind::kCompletions;
  std::string prompt;                 // used when api == kCompletions
  std::vector<ChatMessage> messages;  // used when api == kChat
  std::int64_t prompt_tokens_target = 0;
  std::int64_t max_tokens = 0;
  bool stream = true;
  // Ask the engine to ignore end-of-sequence so exactly max_tokens come back, where the
  // engine accepts it (vLLM, llama.cpp, SGLang).
  bool ignore_eos = true;
  std::optional<double> temperature;
  std::optional<std::uint64_t> seed;
};

}  // namespace llmbench
