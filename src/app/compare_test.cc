// The compare use case over inputs written here: result files, a suite output whose result
// paths no longer resolve from the cwd, runs of a history database; refusals exit 2.

#include "app/compare.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "app/outcome.h"
#include "store/results_db.h"

namespace llmbench::app {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

class CompareTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("llmbench_compare_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static Json result(double ttft, const std::string& prompts = "sha256:p") {
    Json r;
    r["context"] = {{"config", {{"engine", "openai"}, {"model", "m"}}}};
    r["summary"] = {{"ttft", {{"p50", ttft}, {"p99", ttft * 2}}},
                    {"output_token_throughput", 1000.0},
                    {"success_rate", 1.0}};
    r["workload"]["fingerprint"] = {{"workload", "sha256:w" + prompts},
                                    {"prompts", prompts},
                                    {"lengths", "sha256:l"},
                                    {"load", "sha256:o"},
                                    {"requests_hashed", 10}};
    return r;
  }
  fs::path write(const std::string& name, const Json& j) {
    const fs::path path = dir_ / name;
    fs::create_directories(path.parent_path());
    std::ofstream(path) << j.dump();
    return path;
  }
  static CompareSpec spec(std::vector<std::string> inputs, bool force = false) {
    CompareRequest request;
    request.inputs = std::move(inputs);
    request.force = force;
    request.figures = "ttft.p50,ttft.p99,output_token_throughput";
    request.db = "/nonexistent/llmbench.db";
    return resolve_compare(request);
  }
  static std::string refusal(const CompareSpec& s) {
    try {
      run_compare(s);
    } catch (const Failure& f) {
      EXPECT_EQ(f.code, kExitUsage);
      return f.message;
    }
    ADD_FAILURE() << "not refused";
    return "";
  }
  fs::path dir_;
};

TEST_F(CompareTest, RepetitionsFromFilesGetMannWhitneyAndTheirMedianInterval) {
  std::string base, next;
  for (int i = 0; i < 7; ++i) {
    base += (i ? "," : "") +
            write("a" + std::to_string(i) + ".json", result(0.100 + 0.001 * i)).string();
    next += (i ? "," : "") +
            write("b" + std::to_string(i) + ".json", result(0.120 + 0.001 * i)).string();
  }
  const report::CompareReport r = run_compare(spec({base, next}));
  ASSERT_EQ(r.sections.size(), 1u);
  const auto& ttft = r.sections[0].comparison.figures[0];
  EXPECT_EQ(ttft.figure.name, "ttft.p50");
  EXPECT_EQ(ttft.method, "mann_whitney");
  EXPECT_EQ(ttft.verdict, metrics::Verdict::kRegressed);
  ASSERT_TRUE(ttft.base_interval);
  EXPECT_EQ(ttft.base_interval->method, "order statistics");
  EXPECT_DOUBLE_EQ(ttft.base_interval->level, 0.875);
  EXPECT_EQ(r.sections[0].base.sources.size(), 7u);
  EXPECT_TRUE(r.warnings.empty());
}

TEST_F(CompareTest, ASuiteOutputByEngineWithResultPathsFromAnotherCwd) {
  Json suite;
  suite["suite"] = "s";
  suite["engines"] = Json::array({{{"name", "vllm"}}, {{"name", "tgi"}}});
  suite["repeat"] = 2;
  suite["runs"] = Json::array();
  for (const char* engine : {"vllm", "tgi"}) {
    for (int k = 1; k <= 2; ++k) {
      const std::string file = std::string(engine) + "-" + std::to_string(k) + ".json";
      write("suite-x/" + file, result(std::string(engine) == "vllm" ? 0.1 : 0.2));
      suite["runs"].push_back({{"scenario", "chat"},
                               {"variant", nullptr},
                               {"engine", engine},
                               {"repetition", k},
                               {"exit_code", 0},
                               {"error", nullptr},
                               {"result", "results/elsewhere/" + file},
                               {"summary", nullptr}});
    }
  }
  suite["runs"].push_back({{"scenario", "chat"},
                           {"engine", "tgi"},
                           {"repetition", 3},
                           {"exit_code", 3},
                           {"error", "unreachable"},
                           {"result", nullptr}});
  write("suite-x/suite.json", suite);
  const std::string folder = (dir_ / "suite-x").string();

  const report::CompareReport two = run_compare(spec({folder + ":vllm", folder + ":tgi"}));
  ASSERT_EQ(two.sections.size(), 1u);
  EXPECT_EQ(two.sections[0].next.sources.size(), 2u);
  ASSERT_FALSE(two.warnings.empty());  // the failed repetition is named
  EXPECT_NE(two.warnings[0].find("unreachable"), std::string::npos);

  const report::CompareReport all = run_compare(spec({folder + "/suite.json"}));
  ASSERT_EQ(all.sections.size(), 1u);
  EXPECT_EQ(all.sections[0].title, "chat: tgi vs vllm");
  EXPECT_EQ(all.sections[0].base.label, "vllm");

  EXPECT_NE(refusal(spec({folder + ":ollama", folder + ":tgi"})).find("no engine 'ollama'"),
            std::string::npos);
  EXPECT_NE(refusal(spec({folder, folder + ":tgi"})).find("pick one with"), std::string::npos);
}

TEST_F(CompareTest, MissingInputsAndDifferentWorkloadsAreRefusedNamingThem) {
  const std::string a = write("a.json", result(0.1)).string();
  const std::string b = write("b.json", result(0.1, "sha256:other")).string();
  EXPECT_NE(refusal(spec({a, (dir_ / "missing.json").string()})).find("missing.json: no such file"),
            std::string::npos);
  EXPECT_NE(refusal(spec({a, "baseline"})).find("no history database"), std::string::npos);
  const std::string message = refusal(spec({a, b}));
  EXPECT_NE(message.find("prompts"), std::string::npos) << message;
  EXPECT_EQ(message.find("lengths"), std::string::npos) << message;
  EXPECT_NE(message.find("--force"), std::string::npos);
  const report::CompareReport forced = run_compare(spec({a, b}, true));
  ASSERT_EQ(forced.warnings.size(), 1u);
  EXPECT_NE(forced.warnings[0].find("different workloads"), std::string::npos);

  Json old = result(0.1);
  old["workload"]["fingerprint"] = nullptr;
  const std::string c = write("old.json", old).string();
  const report::CompareReport unchecked = run_compare(spec({a, c}));
  ASSERT_EQ(unchecked.warnings.size(), 1u);
  EXPECT_NE(unchecked.warnings[0].find("workload identity not checked"), std::string::npos);
}

TEST_F(CompareTest, HistoryReferencesReadStoredRuns) {
  const fs::path db_path = dir_ / "results.db";
  auto db = store::ResultsDb::open(db_path);
  ASSERT_TRUE(db) << db.error().message;
  for (double ttft : {0.1, 0.2}) {
    store::NewRun run;
    run.started_at = "2026-12-01T10:00:00Z";
    run.engine = "vllm";
    run.fingerprint = "sha256:w";
    run.summary_json = result(ttft)["summary"].dump();
    run.context_json = "{}";
    for (int i = 0; i < 30; ++i) {
      run.request_lines.push_back(
          Json{{"error", nullptr}, {"ttft", ttft}, {"timestamps", {{"end", 0.5 * i}}}}.dump());
    }
    ASSERT_TRUE(db->add(run));
  }
  ASSERT_TRUE(db->tag(1, "baseline"));
  CompareRequest request;
  request.inputs = {"baseline", "latest"};
  request.db = db_path;
  const report::CompareReport r = run_compare(resolve_compare(request));
  ASSERT_EQ(r.sections.size(), 1u);
  EXPECT_EQ(r.sections[0].base.sources, std::vector<std::string>{"history run 1"});
  EXPECT_EQ(r.sections[0].next.sources, std::vector<std::string>{"history run 2"});
  const auto& ttft = r.sections[0].comparison.figures[0];
  EXPECT_EQ(ttft.method, "block_bootstrap");
  EXPECT_NEAR(*ttft.relative_change, 1.0, 1e-9);
  request.inputs = {"baseline", "nope"};
  try {
    run_compare(resolve_compare(request));
    ADD_FAILURE() << "not refused";
  } catch (const Failure& f) {
    EXPECT_EQ(f.code, kExitUsage);
    EXPECT_NE(f.message.find("'nope'"), std::string::npos) << f.message;
  }
}

TEST_F(CompareTest, OptionsAreCheckedNamingTheOptionAndItsBound) {
  const auto refused = [](CompareRequest request) {
    request.inputs = {"a", "b"};
    try {
      resolve_compare(request);
    } catch (const Failure& f) {
      return f.message;
    }
    return std::string("accepted");
  };
  CompareRequest r;
  r.noise = "2";
  EXPECT_NE(refused(r).find("--noise '2'"), std::string::npos);
  r = {};
  r.alpha = "0.7";
  EXPECT_NE(refused(r).find("below 0.5"), std::string::npos);
  r = {};
  r.max_regression = {"ttft.p77=5%"};
  EXPECT_NE(refused(r).find("unknown figure 'ttft.p77'"), std::string::npos);
  r = {};
  r.figures = "ttft.p99,bogus";
  EXPECT_NE(refused(r).find("--figures: unknown figure 'bogus'"), std::string::npos);
  r = {};
  r.max_regression = {"5%", "ttft.p99=10%,output_token_throughput=3%"};
  r.inputs = {"a", "b"};
  const CompareSpec s = resolve_compare(r);
  EXPECT_DOUBLE_EQ(*s.gate.all, 0.05);
  EXPECT_DOUBLE_EQ(s.gate.per_figure.at("ttft.p99"), 0.10);
  EXPECT_DOUBLE_EQ(s.gate.per_figure.at("output_token_throughput"), 0.03);
}

}  // namespace
}  // namespace llmbench::app
