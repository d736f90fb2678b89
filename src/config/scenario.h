#pragma once
// Scenario suites (configs/scenarios/*.yaml): named sets of runs that differ in one dimension
// each — prompt length class, completion length class, concurrency or rate, streaming,
// shared prefixes, conversation turns — expanded into `llmbench run` options.
//
//   name: Quick Performance Test
//   defaults: {requests: 50, max_tokens: 128}       # any common field, for every scenario
//   scenarios:
//     - type: prompt_length
//       variants: [short, medium]                   # length classes or distributions
//     - type: load_test
//       concurrent_users: [1, 5, 10]                # and/or rates: [2, 8]
//       duration: 60s
//     - type: streaming
//       modes: [streaming, non_streaming]
//
// Every validation error names the file, the line and the field.

#include <filesystem>
#include <string>
#include <vector>

#include "core/error.h"

namespace llmbench::config {

// One run of a suite: `llmbench run` options (without --url/--output), and where it came from.
struct SuiteRun {
  std::string scenario;               // the scenario's name (its type unless named)
  std::string variant;                // "short", "users=5", "non_streaming"…
  std::vector<std::string> defaults;  // from the suite's `defaults` (the user's options win)
  std::vector<std::string> options;   // the scenario's fields and the variant (win over all)
  std::string source;                 // "file:line" of the scenario
};

struct Suite {
  std::string name;
  std::string description;
  std::vector<SuiteRun> runs;
};

// Errors: ErrorCode::kInvalidConfig, "FILE:LINE: field: what".
Expected<Suite> load_suite(const std::filesystem::path& path);

}  // namespace llmbench::config
