#pragma once
// Engine auto-detection, pure: the caller GETs every path of detection_probes() and hands
// the answers to identify(), which names the engine, its version and models. Order of
// evidence (ENGINES.md §7): /api/version → Ollama; /info with model_id → TGI; /props →
// llama.cpp; /get_model_info → SGLang; /version with /v1/models → vLLM; else generic
// OpenAI-compatible.

#include <span>
#include <string>
#include <vector>

#include "core/engine_info.h"

namespace llmbench::engines {

struct ProbeAnswer {
  std::string path;
  int status = 0;  // 0 when the request failed
  std::string body;
};

// Paths to GET, relative to the base URL.
std::vector<std::string> detection_probes();

EngineInfo identify(std::span<const ProbeAnswer> answers);

// Models of an engine whose kind is known, from the same probe answers (plus /api/tags for
// Ollama, which lists installed models).
std::vector<ModelInfo> models_from(std::string_view engine, std::span<const ProbeAnswer> answers);

}  // namespace llmbench::engines
