#include "engines/registry.h"

#include "engines/openai.h"

namespace llmbench::engines {

namespace {
struct NamedKind {
  std::string_view name;
  EngineKind kind;
};
constexpr NamedKind kKinds[] = {
    {"auto", EngineKind::kAuto},     {"openai", EngineKind::kOpenAi},
    {"vllm", EngineKind::kVllm},     {"llamacpp", EngineKind::kLlamaCpp},
    {"sglang", EngineKind::kSglang}, {"tgi", EngineKind::kTgi},
    {"ollama", EngineKind::kOllama},
};
}  // namespace

Expected<EngineKind> parse_engine_kind(std::string_view name) {
  for (const NamedKind& k : kKinds) {
    if (k.name == name) return k.kind;
  }
  return make_error(ErrorCode::kInvalidArgument,
                    "unknown engine '" + std::string(name) +
                        "'; expected one of auto, openai, vllm, llamacpp, sglang, tgi, ollama");
}

std::string_view to_string(EngineKind kind) {
  for (const NamedKind& k : kKinds) {
    if (k.kind == kind) return k.name;
  }
  return "unknown";
}

std::unique_ptr<Engine> make_engine(const EngineOptions& options) {
  OpenAiOptions openai;
  openai.base_path = options.base_path;
  openai.api_key = options.api_key;
  openai.supports_ignore_eos = options.kind == EngineKind::kVllm ||
                               options.kind == EngineKind::kLlamaCpp ||
                               options.kind == EngineKind::kSglang;
  return std::make_unique<OpenAiEngine>(std::move(openai));
}

}  // namespace llmbench::engines
