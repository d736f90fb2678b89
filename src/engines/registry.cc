#include "engines/registry.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/json_text.h"
#include "core/text.h"
#include "engines/native.h"
#include "engines/openai.h"
#include "engines/reader_base.h"

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

Expected<ApiChoice> parse_api_choice(std::string_view name) {
  if (name == "native") return ApiChoice{RouteFamily::kNative, ApiKind::kCompletions};
  if (name == "native-chat") return ApiChoice{RouteFamily::kNative, ApiKind::kChat};
  if (name == "openai-completions") return ApiChoice{RouteFamily::kOpenAi, ApiKind::kCompletions};
  if (name == "openai-chat") return ApiChoice{RouteFamily::kOpenAi, ApiKind::kChat};
  return make_error(ErrorCode::kInvalidArgument,
                    "unknown api '" + std::string(name) +
                        "'; expected native, native-chat, openai-completions or openai-chat");
}

std::string api_choice_name(const ApiChoice& choice) {
  const bool chat = choice.api == ApiKind::kChat;
  if (choice.route == RouteFamily::kNative) return chat ? "native-chat" : "native";
  return chat ? "openai-chat" : "openai-completions";
}

bool has_native_route(EngineKind kind) {
  return kind == EngineKind::kOllama || kind == EngineKind::kTgi || kind == EngineKind::kLlamaCpp ||
         kind == EngineKind::kSglang;
}

bool honours_ignore_eos(EngineKind kind) {
  return kind == EngineKind::kVllm || kind == EngineKind::kLlamaCpp || kind == EngineKind::kSglang;
}

bool selects_model_by_name(EngineKind kind) {
  return kind == EngineKind::kVllm || kind == EngineKind::kOpenAi || kind == EngineKind::kOllama;
}

bool serves_model(EngineKind kind, std::span<const ModelInfo> served, std::string_view model) {
  return std::ranges::any_of(served, [&](const ModelInfo& m) {
    return m.id == model || (kind == EngineKind::kOllama && m.id == std::string(model) + ":latest");
  });
}

std::string health_path(EngineKind kind) {
  switch (kind) {
    case EngineKind::kOllama:
      return "/";
    case EngineKind::kSglang:
      return "/get_model_info";
    case EngineKind::kOpenAi:
    case EngineKind::kAuto:
      return "/v1/models";
    default:
      return "/health";
  }
}

ApiChoice default_api(EngineKind kind) {
  return has_native_route(kind) ? ApiChoice{RouteFamily::kNative, ApiKind::kCompletions}
                                : ApiChoice{RouteFamily::kOpenAi, ApiKind::kCompletions};
}

std::unique_ptr<Engine> make_engine(const EngineOptions& options) {
  if (options.route == RouteFamily::kNative && has_native_route(options.kind)) {
    NativeOptions native{strip_v1_suffix(options.base_path), options.headers, options.api_key,
                         options.keep_alive};
    switch (options.kind) {
      case EngineKind::kOllama:
        return std::make_unique<OllamaEngine>(native);
      case EngineKind::kTgi:
        return std::make_unique<TgiEngine>(native);
      case EngineKind::kLlamaCpp:
        return std::make_unique<LlamaCppEngine>(native);
      case EngineKind::kSglang:
        return std::make_unique<SglangEngine>(native);
      default:
        break;
    }
  }
  OpenAiOptions openai;
  openai.base_path = options.base_path;
  openai.api_key = options.api_key;
  openai.headers = options.headers;
  openai.supports_ignore_eos = honours_ignore_eos(options.kind);
  openai.supports_min_tokens =
      options.kind == EngineKind::kVllm || options.kind == EngineKind::kSglang;
  openai.disable_prompt_cache = options.kind == EngineKind::kLlamaCpp;
  // Per-chunk usage, so a chunk of several tokens counts as many (ENGINES.md §2.2).
  openai.continuous_usage =
      options.kind == EngineKind::kVllm || options.kind == EngineKind::kSglang;
  if (options.kind == EngineKind::kTgi) openai.model_override = "tgi";
  return std::make_unique<OpenAiEngine>(std::move(openai));
}

std::optional<net::HttpRequest> tokenize_request(EngineKind kind, std::string_view base_path,
                                                 std::string_view text, std::string_view model) {
  net::HttpRequest request;
  request.target = strip_v1_suffix(base_path) + "/tokenize";
  std::string& body = request.body;
  switch (kind) {
    case EngineKind::kVllm:
    case EngineKind::kSglang:
      body = "{\"model\":";
      append_json_string(body, model);
      body += ",\"prompt\":";
      append_json_string(body, text);
      body += ",\"add_special_tokens\":true}";  // as a generation request counts (BOS)
      return request;
    case EngineKind::kTgi:
      body = "{\"inputs\":";
      append_json_string(body, text);
      body += '}';
      return request;
    case EngineKind::kLlamaCpp:
      body = "{\"content\":";
      append_json_string(body, text);
      body += ",\"add_special\":true}";  // as /completion counts (BOS)
      return request;
    default:
      return std::nullopt;
  }
}

Expected<std::int64_t> parse_token_count(int status, std::string_view body) {
  if (status != 200) {
    return make_error(ErrorCode::kProtocol, "tokenize answered HTTP " + std::to_string(status) +
                                                ": " + error_message_from_body(body));
  }
  const auto json = nlohmann::json::parse(body, nullptr, false);
  if (json.is_array()) return static_cast<std::int64_t>(json.size());
  if (json.is_object()) {
    if (json.contains("count") && json["count"].is_number()) {
      const auto count = sensible_count(json["count"].get<double>());
      if (!count) {
        return make_error(
            ErrorCode::kProtocol,
            outside_sense_message("tokenize count", json["count"].get<double>(), true));
      }
      return *count;
    }
    if (json.contains("tokens") && json["tokens"].is_array()) {
      return static_cast<std::int64_t>(json["tokens"].size());
    }
  }
  std::uint64_t invalid = 0;
  return make_error(ErrorCode::kProtocol,
                    "tokenize answer has no token count: " + network_text(body, 120, invalid));
}

}  // namespace llmbench::engines
