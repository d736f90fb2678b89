#pragma once
// Engine names, route families and adapter construction.

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/engine_info.h"
#include "core/error.h"
#include "core/request.h"
#include "engines/engine.h"

namespace llmbench::engines {

enum class EngineKind { kAuto, kOpenAi, kVllm, kLlamaCpp, kSglang, kTgi, kOllama };

Expected<EngineKind> parse_engine_kind(std::string_view name);
std::string_view to_string(EngineKind kind);

// Which of an engine's routes a run uses.
enum class RouteFamily {
  kNative,  // the engine's own generation route (Ollama /api/*, TGI /generate*, llama.cpp
            // /completion, SGLang /generate); vLLM and generic servers have none
  kOpenAi,  // /v1/completions or /v1/chat/completions
};

// The --api values: "native", "native-chat", "openai-completions", "openai-chat".
struct ApiChoice {
  RouteFamily route = RouteFamily::kOpenAi;
  ApiKind api = ApiKind::kCompletions;
};
Expected<ApiChoice> parse_api_choice(std::string_view name);
std::string api_choice_name(const ApiChoice& choice);
// The default for an engine: native where it has a native route, else OpenAI completions.
ApiChoice default_api(EngineKind kind);
[[nodiscard]] bool has_native_route(EngineKind kind);
// Engines that accept ignore_eos, so a run can demand exact output lengths (METRICS.md M35).
[[nodiscard]] bool honours_ignore_eos(EngineKind kind);
// Engines that pick the model by the request's name and refuse others (vLLM, generic OpenAI
// servers, Ollama); llama.cpp, SGLang and TGI serve their one model whatever the name.
[[nodiscard]] bool selects_model_by_name(EngineKind kind);
// Whether `model` is one of `served` as the engine matches names (Ollama: "name" is
// "name:latest").
[[nodiscard]] bool serves_model(EngineKind kind, std::span<const ModelInfo> served,
                                std::string_view model);
// The route a health check GETs: SGLang's /health runs a generation, Ollama answers on /,
// a generic OpenAI server is only known to have /v1/models.
[[nodiscard]] std::string health_path(EngineKind kind);

struct EngineOptions {
  EngineKind kind = EngineKind::kOpenAi;  // never kAuto: detect first
  RouteFamily route = RouteFamily::kOpenAi;
  // The URL's path as the user gave it; native routes drop a trailing /v1 themselves.
  std::string base_path;
  std::optional<std::string> api_key;
  std::vector<net::Header> headers;       // extra headers on every request
  std::optional<std::string> keep_alive;  // Ollama
};

// Builds the adapter for a resolved engine and route. Engines known to accept ignore_eos
// (vLLM, llama.cpp, SGLang) get it on their OpenAI routes; TGI's OpenAI routes get the
// model name "tgi".
std::unique_ptr<Engine> make_engine(const EngineOptions& options);

// A request asking the engine to tokenize `text` with its own tokenizer, for engines that
// have such a route (vLLM and SGLang /tokenize with "prompt", TGI /tokenize with "inputs",
// llama.cpp /tokenize with "content"); nullopt for Ollama and generic OpenAI servers.
std::optional<net::HttpRequest> tokenize_request(EngineKind kind, std::string_view base_path,
                                                 std::string_view text, std::string_view model);
// The token count in a tokenize answer: {"count": N}, {"tokens": [...]} or TGI's array.
Expected<std::int64_t> parse_token_count(int status, std::string_view body);

}  // namespace llmbench::engines
