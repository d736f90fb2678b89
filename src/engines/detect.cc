#include "engines/detect.h"

#include <nlohmann/json.hpp>

namespace llmbench::engines {

namespace {

using Json = nlohmann::json;

const ProbeAnswer* find(std::span<const ProbeAnswer> answers, std::string_view path) {
  for (const ProbeAnswer& a : answers) {
    if (a.path == path) return &a;
  }
  return nullptr;
}

// The JSON object a probe answered with 200, or null.
Json ok_json(std::span<const ProbeAnswer> answers, std::string_view path) {
  const ProbeAnswer* a = find(answers, path);
  if (!a || a->status != 200) return nullptr;
  Json j = Json::parse(a->body, nullptr, false);
  return j.is_discarded() ? Json(nullptr) : j;
}

std::string string_at(const Json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}

std::optional<std::int64_t> int_at(const Json& j, const char* key) {
  if (j.is_object() && j.contains(key) && j[key].is_number_integer())
    return j[key].get<std::int64_t>();
  return std::nullopt;
}

}  // namespace

std::vector<std::string> detection_probes() {
  return {"/api/version",    "/api/tags", "/info",     "/props",
          "/get_model_info", "/version",  "/v1/models"};
}

std::vector<ModelInfo> models_from(std::string_view engine, std::span<const ProbeAnswer> answers) {
  std::vector<ModelInfo> models;
  if (engine == "ollama") {
    const Json tags = ok_json(answers, "/api/tags");
    if (tags.is_object() && tags.contains("models") && tags["models"].is_array()) {
      for (const Json& m : tags["models"]) {
        ModelInfo info;
        info.id = string_at(m, "name");
        info.size_bytes = int_at(m, "size");
        if (m.contains("details") && m["details"].is_object()) {
          const Json& d = m["details"];
          if (auto q = string_at(d, "quantization_level"); !q.empty()) info.quantization = q;
          if (auto p = string_at(d, "parameter_size"); !p.empty()) info.parameter_size = p;
          info.context_length = int_at(d, "context_length");
        }
        if (!info.id.empty()) models.push_back(std::move(info));
      }
      return models;
    }
  }
  if (engine == "tgi") {
    const Json info = ok_json(answers, "/info");
    ModelInfo m;
    m.id = string_at(info, "model_id");
    m.context_length = int_at(info, "max_total_tokens");
    if (!m.id.empty()) return {m};
  }
  if (engine == "sglang") {
    const Json info = ok_json(answers, "/get_model_info");
    ModelInfo m;
    m.id = string_at(info, "model_path");
    if (!m.id.empty()) models.push_back(m);
  }
  std::optional<std::int64_t> llamacpp_ctx;
  if (engine == "llamacpp") {
    const Json props = ok_json(answers, "/props");
    if (props.is_object() && props.contains("default_generation_settings")) {
      llamacpp_ctx = int_at(props["default_generation_settings"], "n_ctx");
    }
  }
  const Json list = ok_json(answers, "/v1/models");
  if (models.empty() && list.is_object() && list.contains("data") && list["data"].is_array()) {
    for (const Json& card : list["data"]) {
      ModelInfo m;
      m.id = string_at(card, "id");
      m.context_length = int_at(card, "max_model_len");
      if (!m.context_length && card.contains("meta") && card["meta"].is_object()) {
        m.context_length = int_at(card["meta"], "n_ctx_train");
      }
      if (llamacpp_ctx) m.context_length = llamacpp_ctx;
      if (!m.id.empty()) models.push_back(std::move(m));
    }
  }
  return models;
}

EngineInfo identify(std::span<const ProbeAnswer> answers) {
  EngineInfo info;
  if (const Json v = ok_json(answers, "/api/version"); !string_at(v, "version").empty()) {
    info.engine = "ollama";
    info.version = string_at(v, "version");
    info.detected_by = "GET /api/version";
  } else if (const Json i = ok_json(answers, "/info"); !string_at(i, "model_id").empty()) {
    info.engine = "tgi";
    info.version = string_at(i, "version");
    info.detected_by = "GET /info (model_id)";
  } else if (const Json p = ok_json(answers, "/props");
             p.is_object() &&
             (p.contains("default_generation_settings") || p.contains("build_info"))) {
    info.engine = "llamacpp";
    info.version = string_at(p, "build_info");
    info.detected_by = "GET /props";
  } else if (const Json g = ok_json(answers, "/get_model_info");
             !string_at(g, "model_path").empty()) {
    info.engine = "sglang";
    info.version = string_at(ok_json(answers, "/version"), "version");
    info.detected_by = "GET /get_model_info";
  } else if (const Json ver = ok_json(answers, "/version");
             !string_at(ver, "version").empty() && ok_json(answers, "/v1/models").is_object()) {
    info.engine = "vllm";
    info.version = string_at(ver, "version");
    info.detected_by = "GET /version + GET /v1/models";
  } else {
    info.engine = "openai";
    info.detected_by = "no engine-specific route answered";
  }
  info.models = models_from(info.engine, answers);
  return info;
}

}  // namespace llmbench::engines
