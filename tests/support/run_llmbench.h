#pragma once
// `llmbench run` as a child process, its result file parsed.

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/process.h"

namespace llmbench::testing {

struct RunOutcome {
  int exit_code;
  std::string out, err;
  nlohmann::json result;
};

inline RunOutcome run(const std::string& url, std::vector<std::string> options) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("llmbench_e2e_result_" + std::to_string(::getpid()) + ".json");
  std::filesystem::remove(path);
  std::vector<std::string> args = {LLMBENCH_BINARY, "run",         "--url",        url,
                                   "--output",      path.string(), "--no-progress"};
  args.insert(args.end(), options.begin(), options.end());
  Child child(args);
  RunOutcome outcome;
  outcome.exit_code = child.wait();
  outcome.out = child.out();
  outcome.err = child.err();
  if (std::filesystem::exists(path)) outcome.result = nlohmann::json::parse(slurp(path));
  std::filesystem::remove(path);
  return outcome;
}

inline double ms(const nlohmann::json& seconds) { return seconds.get<double>() * 1e3; }

}  // namespace llmbench::testing
