#pragma once
// Shared by the YAML readers of config/: a validation failure that names the file, the line
// and the field ("FILE:LINE: field: what"), thrown inside a reader and turned into an Error
// at its boundary.

#include <yaml-cpp/yaml.h>

#include <string>

#include "core/error.h"

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

// A mapping key as text. YAML allows any node as a key (`? [a, b]`); a key that is not a
// single value is a failure naming where it is, not a conversion exception.
inline std::string key_text(const std::string& file, const YAML::Node& key,
                            const std::string& where) {
  if (!key.IsScalar()) fail(file, key, where, "a field name must be a single value");
  return key.as<std::string>();
}

// The document of `file`, or an error naming it (and the line of a syntax error).
inline Expected<YAML::Node> load_file(const std::string& file) {
  try {
    return YAML::LoadFile(file);
  } catch (const YAML::BadFile&) {
    return make_error(ErrorCode::kIo, file + ": cannot be read");
  } catch (const YAML::Exception& e) {
    return make_error(ErrorCode::kInvalidConfig,
                      file + ":" + std::to_string(e.mark.line + 1) + ": not valid YAML: " + e.msg);
  }
}

}  // namespace llmbench::config::yaml
