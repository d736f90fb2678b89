#pragma once
// What llmbench learned about an engine by asking it (auto-detection, `engines info`).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace llmbench {

struct ModelInfo {
  std::string id;
  std::optional<std::int64_t> context_length;  // tokens (vLLM max_model_len, TGI
                                               // max_total_tokens, llama.cpp n_ctx, Ollama)
  std::optional<std::int64_t> size_bytes;      // Ollama
  std::optional<std::string> quantization;     // Ollama details.quantization_level
  std::optional<std::string> parameter_size;   // Ollama details.parameter_size
};

struct EngineInfo {
  std::string engine;       // "ollama", "vllm", "tgi", "llamacpp", "sglang" or "openai"
  std::string version;      // as the engine reports it, empty when it does not
  std::string detected_by;  // which probe decided, e.g. "GET /api/version"
  std::vector<ModelInfo> models;
};

}  // namespace llmbench
