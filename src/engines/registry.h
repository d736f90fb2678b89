#pragma once
// Engine names and construction. `auto` resolves to a concrete engine by probing (until the
// engines issue lands, every name speaks the OpenAI routes).

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "engines/engine.h"

namespace llmbench::engines {

enum class EngineKind { kAuto, kOpenAi, kVllm, kLlamaCpp, kSglang, kTgi, kOllama };

Expected<EngineKind> parse_engine_kind(std::string_view name);
std::string_view to_string(EngineKind kind);

struct EngineOptions {
  EngineKind kind = EngineKind::kAuto;
  std::string base_path;
  std::optional<std::string> api_key;
};

// Builds the adapter. kAuto and the engines whose native adapters are not built yet use the
// OpenAI-compatible routes; ignore_eos is sent only to engines known to accept it.
std::unique_ptr<Engine> make_engine(const EngineOptions& options);

}  // namespace llmbench::engines
