#pragma once
// Shared by the YAML readers of config/: a validation failure that names the file, the line
// and the field ("FILE:LINE: field: what"), thrown inside a reader and turned into an Error
// at its boundary.

#include <yaml-cpp/yaml.h>

#include <string>

namespace llmbench::config::yaml {

struct Failure {
  std::string message;
};

[[noreturn]] inline void fail(const std::string& file, const YAML::Node& node,
                              const std::string& field, const std::string& what) {
  const int line = node.Mark().line >= 0 ? node.Mark().line + 1 : 0;
  throw Failure{file + ":" + std::to_string(line) + ": " + field + ": " + what};
}

inline std::string scalar(const std::string& file, const YAML::Node& node,
                          const std::string& field) {
  if (!node.IsScalar()) fail(file, node, field, "must be a single value");
  return node.as<std::string>();
}

}  // namespace llmbench::config::yaml
