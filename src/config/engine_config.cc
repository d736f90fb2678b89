#include "config/engine_config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <set>

#include "config/yaml_errors.h"
#include "core/duration_text.h"
#include "core/redact.h"

namespace llmbench::config {

namespace {

constexpr const char* kTypes[] = {"ollama", "vllm", "tgi", "llamacpp", "sglang", "openai"};
const std::set<std::string> kKeys = {"name",    "type",    "base_url", "model",           "timeout",
                                     "retries", "headers", "auth",     "gpu_hourly_cost", "gpus"};

using yaml::fail;
using yaml::Failure;
using yaml::key_text;
using yaml::scalar;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// RFC 9110 token: what a header name is made of.
bool is_header_token(std::string_view name) {
  return !name.empty() && std::ranges::all_of(name, [](const char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) != 0 ||
           std::string_view("!#$%&'*+-.^_`|~").find(ch) != std::string_view::npos;
  });
}

EngineConfig parse_engine(const std::string& file, const YAML::Node& node,
                          const std::string& where) {
  if (!node.IsMap()) fail(file, node, where, "must be a mapping of name, type, base_url…");
  EngineConfig c;
  c.source = file + ":" + std::to_string(node.Mark().line + 1);
  for (const auto& entry : node) {
    const std::string key = key_text(file, entry.first, where.empty() ? "(engine)" : where);
    std::string field = key;
    if (!where.empty()) {
      field = where;
      field += '.';
      field += key;
    }
    if (!kKeys.contains(key)) {
      if (key == "api_key" || key == "token" || key == "password") {
        fail(file, entry.first, field,
             "secrets do not belong in config files; put the key in an environment variable "
             "and name it in auth.api_key_env");
      }
      fail(file, entry.first, field,
           "unknown field (expected name, type, base_url, model, timeout, retries, headers, auth, "
           "gpu_hourly_cost, gpus)");
    }
  }
  auto required = [&](const char* key) {
    if (!node[key]) fail(file, node, where.empty() ? key : where + "." + key, "is required");
    return scalar(file, node[key], where.empty() ? key : where + "." + key);
  };
  c.name = required("name");
  c.type = required("type");
  if (std::find(std::begin(kTypes), std::end(kTypes), c.type) == std::end(kTypes)) {
    fail(file, node["type"], "type",
         "'" + c.type + "' is not one of ollama, vllm, tgi, llamacpp, sglang, openai");
  }
  c.base_url = required("base_url");
  if (c.base_url.rfind("http://", 0) != 0 && c.base_url.rfind("https://", 0) != 0) {
    // The value is not repeated: a URL may carry credentials.
    fail(file, node["base_url"], "base_url", "must start with http:// or https://");
  }
  if (node["model"]) c.model = scalar(file, node["model"], "model");
  if (node["timeout"]) {
    auto d = parse_duration(scalar(file, node["timeout"], "timeout"));
    if (!d) fail(file, node["timeout"], "timeout", d.error().message);
    c.timeout = *d;
  }
  if (node["retries"]) {
    int retries = -1;
    try {
      retries = node["retries"].as<int>();
    } catch (const YAML::Exception&) {
    }
    if (retries < 0) fail(file, node["retries"], "retries", "must be a whole number ≥ 0");
    c.retries = retries;
  }
  if (node["gpu_hourly_cost"]) {
    double cost = -1;
    try {
      cost = node["gpu_hourly_cost"].as<double>();
    } catch (const YAML::Exception&) {
    }
    if (!(cost >= 0 && cost <= 1e6)) {
      fail(file, node["gpu_hourly_cost"], "gpu_hourly_cost", "must be a number from 0 to 1000000");
    }
    c.gpu_hourly_cost = cost;
  }
  if (node["gpus"]) {
    int gpus = 0;
    try {
      gpus = node["gpus"].as<int>();
    } catch (const YAML::Exception&) {
    }
    if (gpus < 1 || gpus > 1'000'000)
      fail(file, node["gpus"], "gpus", "must be a whole number from 1 to 1000000");
    c.gpus = gpus;
  }
  if (node["headers"]) {
    if (!node["headers"].IsMap()) fail(file, node["headers"], "headers", "must be a mapping");
    for (const auto& h : node["headers"]) {
      const std::string name = key_text(file, h.first, "headers");
      if (find_control_char(name)) {
        // Not repeated: a CR/LF would forge a request header and redraw the terminal.
        fail(file, h.first, "headers", "a header name contains a control character; refused");
      }
      if (!is_header_token(name)) {
        fail(file, h.first, "headers." + name,
             "is not an HTTP header name (letters, digits and !#$%&'*+-.^_`|~)");
      }
      if (iequals(name, "Authorization")) {
        fail(file, h.first, "headers." + name,
             "use auth.api_key_env instead of a literal credential");
      }
      std::string value = scalar(file, h.second, "headers." + name);
      if (const auto at = find_control_char(value)) {
        // The value is a secret: only the offending byte and its position are named.
        char byte[8];
        std::snprintf(byte, sizeof byte, "0x%02X", static_cast<unsigned char>(value[*at]));
        fail(file, h.second, "headers." + name,
             std::string("the value contains a control character (byte ") + byte + " at position " +
                 std::to_string(*at) + "), which would forge request headers; refused");
      }
      if (is_sensitive_name(name) && !value.empty() && value.size() < kMinSecretBytes) {
        fail(file, h.second, "headers." + name,
             "the value is shorter than " + std::to_string(kMinSecretBytes) +
                 " bytes, too short to be kept out of the output reliably; refused");
      }
      c.headers[name] = std::move(value);
    }
  }
  if (node["auth"]) {
    const YAML::Node auth = node["auth"];
    if (!auth.IsMap()) fail(file, auth, "auth", "must be a mapping with api_key_env");
    for (const auto& a : auth) {
      const std::string key = key_text(file, a.first, "auth");
      if (key != "api_key_env")
        fail(file, a.first, "auth." + key, "unknown field (expected api_key_env)");
      c.api_key_env = scalar(file, a.second, "auth.api_key_env");
    }
  }
  return c;
}

}  // namespace

Expected<std::vector<EngineConfig>> load_engine_file(const std::filesystem::path& path) {
  const std::string file = path.string();
  auto loaded = yaml::load_file(file);
  if (!loaded) return tl::unexpected(loaded.error());
  YAML::Node root = *loaded;  // non-const: yaml-cpp looks keys up through operator[]
  try {
    std::vector<EngineConfig> out;
    if (root.IsMap() && root["engines"]) {
      const YAML::Node list = root["engines"];
      if (!list.IsSequence()) fail(file, list, "engines", "must be a list");
      for (std::size_t i = 0; i < list.size(); ++i) {
        out.push_back(parse_engine(file, list[i], "engines[" + std::to_string(i) + "]"));
      }
    } else {
      out.push_back(parse_engine(file, root, ""));
    }
    return out;
  } catch (const Failure& f) {
    return make_error(ErrorCode::kInvalidConfig, f.message);
  } catch (const YAML::Exception& e) {
    return make_error(ErrorCode::kInvalidConfig,
                      file + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
}

Expected<std::vector<EngineConfig>> load_engine_configs(const std::filesystem::path& path) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    for (const auto& entry : std::filesystem::directory_iterator(path, ec)) {
      const auto ext = entry.path().extension();
      if (ext == ".yaml" || ext == ".yml") files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
  } else {
    files.push_back(path);
  }
  std::vector<EngineConfig> all;
  for (const auto& f : files) {
    auto loaded = load_engine_file(f);
    if (!loaded) return tl::unexpected(loaded.error());
    for (EngineConfig& c : *loaded) {
      for (const EngineConfig& existing : all) {
        if (existing.name == c.name) {
          return make_error(
              ErrorCode::kInvalidConfig,
              c.source + ": name: '" + c.name + "' is already defined at " + existing.source);
        }
      }
      all.push_back(std::move(c));
    }
  }
  return all;
}

}  // namespace llmbench::config
