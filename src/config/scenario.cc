#include "config/scenario.h"

#include <yaml-cpp/yaml.h>

#include <map>
#include <set>

#include "config/yaml_errors.h"
#include "core/duration_text.h"
#include "workload/lengths.h"

namespace llmbench::config {

namespace {

using yaml::fail;
using yaml::Failure;
using yaml::key_text;
using yaml::scalar;

std::int64_t whole(const std::string& file, const YAML::Node& node, const std::string& field,
                   std::int64_t least) {
  std::int64_t value = least - 1;
  try {
    value = node.as<std::int64_t>();
  } catch (const YAML::Exception&) {
  }
  if (value < least) fail(file, node, field, "must be a whole number ≥ " + std::to_string(least));
  return value;
}

double positive(const std::string& file, const YAML::Node& node, const std::string& field) {
  double value = 0;
  try {
    value = node.as<double>();
  } catch (const YAML::Exception&) {
  }
  if (!(value > 0)) fail(file, node, field, "must be a number > 0");
  return value;
}

std::vector<YAML::Node> list(const std::string& file, const YAML::Node& node,
                             const std::string& field) {
  if (!node.IsSequence() || node.size() == 0) fail(file, node, field, "must be a non-empty list");
  std::vector<YAML::Node> items;
  for (const auto& item : node) items.push_back(item);
  return items;
}

std::string length(const std::string& file, const YAML::Node& node, const std::string& field,
                   workload::LengthOf of) {
  std::string text = scalar(file, node, field);
  if (auto d = workload::parse_length_distribution(text, of); !d) {
    fail(file, node, field, d.error().message);
  }
  return text;
}

// Fields every scenario (and `defaults`) may set, as `llmbench run` options.
const std::map<std::string, std::string> kCommon = {{"requests", "--requests"},
                                                    {"duration", "--duration"},
                                                    {"prompt_tokens", "--prompt-tokens"},
                                                    {"max_tokens", "--max-tokens"},
                                                    {"concurrency", "--concurrency"},
                                                    {"api", "--api"},
                                                    {"warmup", "--warmup"},
                                                    {"seed", "--seed"}};

// The options of the common fields set in `node` (a scenario or the defaults).
std::vector<std::string> common_options(const std::string& file, const YAML::Node& node,
                                        const std::string& where) {
  std::vector<std::string> options;
  for (const auto& [key, option] : kCommon) {
    const YAML::Node value = node[key];
    if (!value) continue;
    std::string field = where;
    field += '.';
    field += key;
    std::string text;
    if (key == "requests" || key == "concurrency" || key == "seed") {
      text = std::to_string(whole(file, value, field, key == "seed" ? 0 : 1));
    } else if (key == "duration" || key == "warmup") {
      text = scalar(file, value, field);
      if (key == "duration" || text.find_first_not_of("0123456789") != std::string::npos) {
        if (auto d = parse_duration(text); !d) fail(file, value, field, d.error().message);
      }
    } else if (key == "prompt_tokens") {
      text = length(file, value, field, workload::LengthOf::kPrompt);
    } else if (key == "max_tokens") {
      text = length(file, value, field, workload::LengthOf::kOutput);
    } else {
      text = scalar(file, value, field);
      if (text != "completions" && text != "chat" && text.rfind("openai-", 0) != 0 &&
          text.rfind("native", 0) != 0) {
        fail(file, value, field, "'" + text + "' is not an --api value (e.g. openai-chat)");
      }
    }
    options.push_back(option);
    options.push_back(text);
  }
  return options;
}

struct TypeSpec {
  std::set<std::string> fields;  // besides the common ones, name and type
  std::string expected;          // for "unknown field" messages
};

const std::map<std::string, TypeSpec> kTypes = {
    {"prompt_length", {{"variants"}, "variants"}},
    {"completion_length", {{"variants"}, "variants"}},
    {"load_test", {{"concurrent_users", "rates", "arrival"}, "concurrent_users, rates, arrival"}},
    {"streaming", {{"modes"}, "modes"}},
    {"prefix_cache", {{"prefix_tokens", "prefix_groups"}, "prefix_tokens, prefix_groups"}},
    {"multi_turn", {{"turns"}, "turns"}},
};

std::string type_names() {
  std::string names;
  for (const auto& [name, spec] : kTypes) names += (names.empty() ? "" : ", ") + name;
  return names;
}

void expand(const std::string& file, const YAML::Node& node, const std::string& where,
            const std::vector<std::string>& defaults, Suite& suite) {
  if (!node.IsMap()) fail(file, node, where, "must be a mapping with a type");
  if (!node["type"]) fail(file, node, where + ".type", "is required (" + type_names() + ")");
  const std::string type = scalar(file, node["type"], where + ".type");
  const auto found = kTypes.find(type);
  if (found == kTypes.end()) {
    fail(file, node["type"], where + ".type", "'" + type + "' is not one of " + type_names());
  }
  for (const auto& entry : node) {
    const std::string key = key_text(file, entry.first, where);
    if (key == "type" || key == "name" || kCommon.contains(key) ||
        found->second.fields.contains(key)) {
      continue;
    }
    std::string field = where;
    field += '.';
    field += key;
    std::string message = "unknown field for ";
    message += type;
    message += " (expected ";
    message += found->second.expected;
    message +=
        ", name, requests, duration, prompt_tokens, max_tokens, concurrency, api, warmup, seed)";
    fail(file, entry.first, field, message);
  }
  const std::string name = node["name"] ? scalar(file, node["name"], where + ".name") : type;
  const std::vector<std::string> own = common_options(file, node, where);
  // A scenario that limits its runs by time drops the suite's default request count, and
  // the other way round: "duration: 60s" means sixty seconds.
  std::vector<std::string> base;
  for (std::size_t i = 0; i + 1 < defaults.size(); i += 2) {
    const bool by_time = node["duration"] && !node["requests"] && defaults[i] == "--requests";
    const bool by_count = node["requests"] && !node["duration"] && defaults[i] == "--duration";
    if (by_time || by_count) continue;
    base.push_back(defaults[i]);
    base.push_back(defaults[i + 1]);
  }
  const std::string source = file + ":" + std::to_string(node.Mark().line + 1);
  auto add = [&](std::string variant, std::vector<std::string> extra) {
    SuiteRun run{name, std::move(variant), base, own, source};
    run.options.insert(run.options.end(), extra.begin(), extra.end());
    suite.runs.push_back(std::move(run));
  };
  auto required = [&](const char* key) {
    if (!node[key]) fail(file, node, where + "." + key, "is required for " + type);
    return node[key];
  };

  if (type == "prompt_length" || type == "completion_length") {
    const bool prompt = type == "prompt_length";
    const std::string field = where + ".variants";
    for (const YAML::Node& v : list(file, required("variants"), field)) {
      const std::string text = length(
          file, v, field, prompt ? workload::LengthOf::kPrompt : workload::LengthOf::kOutput);
      add(text, {prompt ? "--prompt-tokens" : "--max-tokens", text});
    }
  } else if (type == "load_test") {
    if (!node["concurrent_users"] && !node["rates"]) {
      fail(file, node, where + ".concurrent_users", "load_test needs concurrent_users or rates");
    }
    if (node["concurrent_users"]) {
      const std::string field = where + ".concurrent_users";
      for (const YAML::Node& v : list(file, node["concurrent_users"], field)) {
        const std::string n = std::to_string(whole(file, v, field, 1));
        add("users=" + n, {"--concurrency", n});
      }
    }
    if (node["rates"]) {
      std::vector<std::string> arrival;
      if (node["arrival"]) {
        const std::string a = scalar(file, node["arrival"], where + ".arrival");
        if (a != "constant" && a != "poisson" && a != "gamma") {
          fail(file, node["arrival"], where + ".arrival",
               "'" + a + "' is not constant, poisson or gamma");
        }
        arrival = {"--arrival", a};
      }
      const std::string field = where + ".rates";
      for (const YAML::Node& v : list(file, node["rates"], field)) {
        const std::string r = scalar(file, v, field);
        positive(file, v, field);
        std::vector<std::string> extra{"--rate", r};
        extra.insert(extra.end(), arrival.begin(), arrival.end());
        add("rate=" + r, extra);
      }
    }
  } else if (type == "streaming") {
    const std::string field = where + ".modes";
    for (const YAML::Node& v : list(file, required("modes"), field)) {
      const std::string mode = scalar(file, v, field);
      if (mode != "streaming" && mode != "non_streaming") {
        fail(file, v, field, "'" + mode + "' is not streaming or non_streaming");
      }
      add(mode, {mode == "streaming" ? "--stream" : "--no-stream"});
    }
  } else if (type == "prefix_cache") {
    const std::string tokens =
        std::to_string(whole(file, required("prefix_tokens"), where + ".prefix_tokens", 1));
    const YAML::Node groups = required("prefix_groups");
    std::vector<YAML::Node> items = groups.IsSequence()
                                        ? list(file, groups, where + ".prefix_groups")
                                        : std::vector<YAML::Node>{groups};
    for (const YAML::Node& v : items) {
      const std::string g = std::to_string(whole(file, v, where + ".prefix_groups", 1));
      add("groups=" + g, {"--prefix-tokens", tokens, "--prefix-groups", g});
    }
  } else if (type == "multi_turn") {
    const std::string field = where + ".turns";
    for (const YAML::Node& v : list(file, required("turns"), field)) {
      const std::string t = std::to_string(whole(file, v, field, 1));
      add("turns=" + t, {"--turns", t});
    }
  }
}

}  // namespace

Expected<Suite> load_suite(const std::filesystem::path& path) {
  const std::string file = path.string();
  auto loaded = yaml::load_file(file);
  if (!loaded) return tl::unexpected(loaded.error());
  YAML::Node root = *loaded;  // non-const: yaml-cpp looks keys up through operator[]
  try {
    if (!root.IsMap()) fail(file, root, "(top level)", "must be a mapping with name and scenarios");
    for (const auto& entry : root) {
      const std::string key = key_text(file, entry.first, "(top level)");
      if (key != "name" && key != "description" && key != "defaults" && key != "scenarios") {
        fail(file, entry.first, key,
             "unknown field (expected name, description, defaults, scenarios)");
      }
    }
    Suite suite;
    if (!root["name"]) fail(file, root, "name", "is required");
    suite.name = scalar(file, root["name"], "name");
    if (root["description"]) suite.description = scalar(file, root["description"], "description");
    std::vector<std::string> defaults;
    if (root["defaults"]) {
      const YAML::Node d = root["defaults"];
      if (!d.IsMap()) fail(file, d, "defaults", "must be a mapping");
      for (const auto& entry : d) {
        const std::string key = key_text(file, entry.first, "defaults");
        if (!kCommon.contains(key)) {
          fail(file, entry.first, "defaults." + key,
               "unknown field (expected requests, duration, prompt_tokens, max_tokens, "
               "concurrency, api, warmup, seed)");
        }
      }
      defaults = common_options(file, d, "defaults");
    }
    if (!root["scenarios"]) fail(file, root, "scenarios", "is required");
    const std::vector<YAML::Node> scenarios = list(file, root["scenarios"], "scenarios");
    for (std::size_t i = 0; i < scenarios.size(); ++i) {
      expand(file, scenarios[i], "scenarios[" + std::to_string(i) + "]", defaults, suite);
    }
    return suite;
  } catch (const Failure& f) {
    return make_error(ErrorCode::kInvalidConfig, f.message);
  } catch (const YAML::Exception& e) {
    // A backstop: every field is checked above, but a conversion the checks missed must still
    // be an error naming the file, not an abort.
    return make_error(ErrorCode::kInvalidConfig,
                      file + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
}

}  // namespace llmbench::config
