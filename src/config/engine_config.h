#pragma once
// Engine configuration files (configs/engines/*.yaml): which engines exist, where, and how to
// authenticate — by naming environment variables, never by holding secrets.
//
//   name: vllm-local
//   type: vllm                 # ollama | vllm | tgi | llamacpp | sglang | openai
//   base_url: http://localhost:8000
//   model: meta-llama/Llama-3.1-8B-Instruct
//   timeout: 120s
//   retries: 0
//   headers: {X-Team: perf}
//   auth: {api_key_env: VLLM_API_KEY}
//
// A file holds one engine, or a list under `engines:`. Every validation error names the
// file, the line and the field.

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/error.h"

namespace llmbench::config {

struct EngineConfig {
  std::string name;
  std::string type;
  std::string base_url;
  std::optional<std::string> model;
  Duration timeout = std::chrono::seconds(120);
  int retries = 0;
  std::map<std::string, std::string> headers;
  std::optional<std::string> api_key_env;
  std::optional<double> gpu_hourly_cost;  // price of one GPU-hour, for cost figures
  std::optional<int> gpus;                // GPUs the engine runs on
  std::string source;                     // "file:line" of its definition
};

// Loads one YAML file. Errors: ErrorCode::kInvalidConfig, message "FILE:LINE: field: what".
Expected<std::vector<EngineConfig>> load_engine_file(const std::filesystem::path& path);
// Loads a file, or every *.yaml / *.yml in a folder (sorted); names must be unique.
Expected<std::vector<EngineConfig>> load_engine_configs(const std::filesystem::path& path);

}  // namespace llmbench::config
