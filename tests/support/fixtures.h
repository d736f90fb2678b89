#pragma once
// Test helpers: reading the project's fixture files (tests/data), and cutting an HTTP
// capture into head and body.

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace llmbench::testing {

inline std::string read_test_file(const std::string& relative) {
  const std::string path = std::string(LLMBENCH_TEST_DATA) + "/" + relative;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open test file " + path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Body of a captured HTTP response (everything after the first blank line).
inline std::string capture_body(const std::string& capture) {
  std::size_t at = capture.find("\r\n\r\n");
  if (at != std::string::npos) return capture.substr(at + 4);
  at = capture.find("\n\n");
  if (at == std::string::npos) throw std::runtime_error("capture has no blank line");
  return capture.substr(at + 2);
}

}  // namespace llmbench::testing
