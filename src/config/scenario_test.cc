#include "config/scenario.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace llmbench::config {
namespace {

namespace fs = std::filesystem;

const fs::path kCatalog = fs::path(LLMBENCH_TEST_DATA) / ".." / ".." / "configs" / "scenarios";

fs::path write(const std::string& text) {
  static int n = 0;
  const fs::path path =
      fs::temp_directory_path() /
      ("llmbench-suite-" + std::to_string(::getpid()) + "-" + std::to_string(n++) + ".yaml");
  std::ofstream(path) << text;
  return path;
}

TEST(Suite, TheCatalogLoadsAndExpands) {
  for (const char* name :
       {"quick_test.yaml", "comprehensive.yaml", "stress_test.yaml", "length_classes.yaml"}) {
    auto suite = load_suite(kCatalog / name);
    ASSERT_TRUE(suite) << suite.error().message;
    EXPECT_FALSE(suite->runs.empty()) << name;
  }
  auto quick = load_suite(kCatalog / "quick_test.yaml");
  ASSERT_TRUE(quick);
  EXPECT_EQ(quick->name, "Quick Performance Test");
  ASSERT_EQ(quick->runs.size(), 7u);  // 2 lengths + 3 user counts + 2 modes
  EXPECT_EQ(quick->runs[0].scenario, "prompt_length");
  EXPECT_EQ(quick->runs[0].variant, "short");
  EXPECT_EQ(quick->runs[3].variant, "users=5");
  EXPECT_EQ(quick->runs[6].variant, "non_streaming");
}

TEST(Suite, VariantsBecomeRunOptionsAfterDefaultsAndScenarioFields) {
  const fs::path path = write(
      "name: T\n"
      "defaults: {requests: 20, max_tokens: 64}\n"
      "scenarios:\n"
      "  - type: load_test\n"
      "    concurrent_users: [2]\n"
      "    rates: [1.5]\n"
      "    arrival: constant\n"
      "    duration: 30s\n"
      "  - type: prefix_cache\n"
      "    name: cache\n"
      "    prefix_tokens: 100\n"
      "    prefix_groups: [1, 4]\n"
      "    prompt_tokens: 150\n"
      "  - type: multi_turn\n"
      "    turns: [3]\n");
  auto suite = load_suite(path);
  ASSERT_TRUE(suite) << suite.error().message;
  ASSERT_EQ(suite->runs.size(), 5u);
  const auto has = [](const SuiteRun& r, std::vector<std::string> sequence) {
    std::vector<std::string> all = r.defaults;
    all.insert(all.end(), r.options.begin(), r.options.end());
    return std::search(all.begin(), all.end(), sequence.begin(), sequence.end()) != all.end();
  };
  // The scenario's duration replaces the default request count.
  EXPECT_FALSE(has(suite->runs[0], {"--requests", "20"}));
  EXPECT_TRUE(has(suite->runs[0], {"--duration", "30s"}));
  EXPECT_TRUE(has(suite->runs[0], {"--max-tokens", "64"}));
  EXPECT_TRUE(has(suite->runs[2], {"--requests", "20"}));
  EXPECT_TRUE(has(suite->runs[0], {"--concurrency", "2"}));
  EXPECT_TRUE(has(suite->runs[1], {"--rate", "1.5", "--arrival", "constant"}));
  EXPECT_EQ(suite->runs[2].scenario, "cache");
  EXPECT_TRUE(has(suite->runs[3], {"--prefix-tokens", "100", "--prefix-groups", "4"}));
  EXPECT_TRUE(has(suite->runs[3], {"--prompt-tokens", "150"}));
  EXPECT_TRUE(has(suite->runs[4], {"--turns", "3"}));
  EXPECT_NE(suite->runs[4].source.find(":14"), std::string::npos) << suite->runs[4].source;
  fs::remove(path);
}

TEST(Suite, ErrorsNameFileLineAndField) {
  struct Case {
    std::string yaml;
    std::string says;
  };
  const std::vector<Case> cases = {
      {"name: T\nscenarios:\n  - type: prompt_length\n    variants: [short, huge]\n",
       ":4: scenarios[0].variants: 'huge'"},
      {"name: T\nscenarios:\n  - type: load_tests\n    concurrent_users: [1]\n",
       ":3: scenarios[0].type: 'load_tests' is not one of"},
      {"name: T\nscenarios:\n  - type: load_test\n    concurrent_users: [1, 0]\n",
       ":4: scenarios[0].concurrent_users: must be a whole number ≥ 1"},
      {"name: T\nscenarios:\n  - type: load_test\n    concurrent_users: [1]\n    duraton: 5s\n",
       ":5: scenarios[0].duraton: unknown field for load_test"},
      {"name: T\nscenarios:\n  - type: load_test\n    concurrent_users: [1]\n    duration: soon\n",
       ":5: scenarios[0].duration:"},
      {"name: T\nscenarios:\n  - type: streaming\n    modes: [fast]\n",
       ":4: scenarios[0].modes: 'fast' is not streaming or non_streaming"},
      {"name: T\nscenarios:\n  - type: streaming\n", ":3: scenarios[0].modes: is required"},
      {"name: T\nscenarios: []\n", ":2: scenarios: must be a non-empty list"},
      {"scenarios:\n  - type: streaming\n    modes: [streaming]\n", ":1: name: is required"},
      {"name: T\ndefaults: {request: 5}\nscenarios:\n  - type: streaming\n    modes: [streaming]\n",
       ":2: defaults.request: unknown field"},
      {"name: T\nscenarios:\n  - type: load_test\n", ":3: scenarios[0].concurrent_users:"},
      {"name: T\nscenarios: [\n", ":"},
      // A mapping key that is itself a mapping or a list (YAML's `?` complex key) at every
      // level: found by fuzz_suite, it aborted the process with an uncaught conversion.
      {"? A few: words\nname: T\n", ":1: (top level): a field name must be a single value"},
      {"name: T\ndefaults:\n  ? [a, b]\n  : 1\nscenarios: []\n",
       ":3: defaults: a field name must be a single value"},
      {"name: T\nscenarios:\n  - type: streaming\n    ? {x: 1}\n    : 2\n",
       ":4: scenarios[0]: a field name must be a single value"},
  };
  for (const Case& c : cases) {
    const fs::path path = write(c.yaml);
    auto suite = load_suite(path);
    ASSERT_FALSE(suite) << c.yaml;
    EXPECT_EQ(suite.error().message.rfind(path.string(), 0), 0u) << suite.error().message;
    EXPECT_NE(suite.error().message.find(c.says), std::string::npos)
        << suite.error().message << "\nexpected: " << c.says;
    fs::remove(path);
  }
  auto missing = load_suite("/nonexistent/suite.yaml");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("/nonexistent/suite.yaml"), std::string::npos);
}

}  // namespace
}  // namespace llmbench::config
