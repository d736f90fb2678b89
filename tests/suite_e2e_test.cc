// End-to-end, issue 11: one workload across several engines (`suite --url A --url B …`,
// `--engines`), repetitions in interleaved or sequential order, an engine that dies mid-suite,
// and the run options that come with comparisons: --until-stable and the cost figures.

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "support/process.h"
#include "support/run_llmbench.h"

namespace llmbench {
namespace {

using nlohmann::json;
using testing::Child;
using testing::Sim;

class Folder {
 public:
  Folder() {
    static int counter = 0;
    path_ = std::filesystem::temp_directory_path() /
            ("llmbench_suite_e2e_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~Folder() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  [[nodiscard]] std::filesystem::path operator/(const std::string& name) const {
    return path_ / name;
  }

 private:
  std::filesystem::path path_;
};

// A one-scenario suite of `requests` requests per run.
std::filesystem::path write_suite(const Folder& dir, int requests) {
  const auto path = dir / "suite.yaml";
  std::ofstream(path) << "name: identical\n"
                         "defaults:\n"
                         "  requests: "
                      << requests
                      << "\n"
                         "  concurrency: 2\n"
                         "  prompt_tokens: 40\n"
                         "  max_tokens: 7\n"
                         "scenarios:\n"
                         "  - type: streaming\n"
                         "    modes: [streaming]\n";
  return path;
}

std::string port_of(const std::string& url) { return url.substr(url.rfind(':') + 1); }

// The prompts of the generation requests a simulator logged (--log-requests) that asked for
// `max_tokens` tokens — the runs' own requests, not the 1-token calibration probes — in each
// dialect's field: OpenAI `prompt`, TGI `inputs`, Ollama `prompt`.
std::vector<std::string> logged_prompts(const std::filesystem::path& log, int max_tokens) {
  std::vector<std::string> prompts;
  std::ifstream in(log);
  for (std::string line; std::getline(in, line);) {
    const json body = json::parse(json::parse(line)["body"].get<std::string>());
    const json asked = body.contains("max_tokens") ? body["max_tokens"]
                       : body.contains("parameters")
                           ? body["parameters"].value("max_new_tokens", json())
                       : body.contains("options") ? body["options"].value("num_predict", json())
                                                  : json();
    if (asked != max_tokens) continue;
    prompts.push_back(body.contains("inputs") ? body["inputs"].get<std::string>()
                                              : body["prompt"].get<std::string>());
  }
  std::sort(prompts.begin(), prompts.end());
  return prompts;
}

// Acceptance: three engines (three simulator dialects), --repeat 3: nine runs in interleaved
// order, one workload fingerprint in every result, and every engine sent the same prompts —
// read back from what each simulator received.
TEST(SuiteEngines, ThreeDialectsRepeatedGetByteIdenticalPrompts) {
  const Folder dir;
  const std::vector<std::string> dialects = {"vllm", "tgi", "ollama"};
  std::vector<std::unique_ptr<Sim>> sims;
  for (const std::string& d : dialects) {
    sims.push_back(std::make_unique<Sim>(std::vector<std::string>{"--dialect", d, "--ttft", "2ms",
                                                                  "--itl", "1ms", "--log-requests",
                                                                  (dir / (d + ".log")).string()}));
  }
  std::vector<std::string> args = {LLMBENCH_BINARY, "suite", write_suite(dir, 6).string()};
  for (const auto& sim : sims) args.insert(args.end(), {"--url", sim->url()});
  args.insert(args.end(),
              {"--repeat", "3", "--no-progress", "--output-dir", (dir / "out").string()});
  Child child(args);
  ASSERT_EQ(child.wait(), 0) << child.err() << child.out();
  EXPECT_NE(child.err().find("every engine gets the same prompts"), std::string::npos)
      << child.err();
  const json index = json::parse(testing::slurp(dir / "out" / "suite.json"));
  ASSERT_EQ(index["engines"].size(), 3u) << index.dump(1);
  EXPECT_EQ(index["repeat"], 3);
  EXPECT_EQ(index["order"], "interleaved");
  ASSERT_EQ(index["runs"].size(), 9u);
  std::optional<std::string> fingerprint;
  for (std::size_t i = 0; i < 9; ++i) {
    const json& run = index["runs"][i];
    // a1 b1 c1 a2 b2 c2 a3 b3 c3
    EXPECT_EQ(run["engine"], "127.0.0.1:" + port_of(sims[i % 3]->url())) << run.dump();
    EXPECT_EQ(run["repetition"], static_cast<int>(i / 3) + 1) << run.dump();
    ASSERT_EQ(run["exit_code"], 0) << run.dump();
    const json result = json::parse(testing::slurp(run["result"].get<std::string>()));
    EXPECT_EQ(result["context"]["config"]["engine"], dialects[i % 3]);
    EXPECT_EQ(result["context"]["config"]["engine_label"], run["engine"]);
    EXPECT_EQ(result["summary"]["succeeded"], 6);
    const json& f = result["workload"]["fingerprint"];
    ASSERT_TRUE(f.is_object()) << result["workload"].dump();
    EXPECT_EQ(f["workload"].get<std::string>().rfind("sha256:", 0), 0u);
    EXPECT_EQ(run["fingerprint"], f["workload"]);
    if (!fingerprint) fingerprint = f["workload"].get<std::string>();
    EXPECT_EQ(f["workload"], *fingerprint) << "run " << i << " of " << run["engine"];
  }
  EXPECT_TRUE(index["fingerprint_mismatches"].empty()) << index["fingerprint_mismatches"].dump();
  // What each engine was sent: 6 prompts × 3 repetitions, the same bytes for all three.
  const std::vector<std::string> first = logged_prompts(dir / "vllm.log", 7);
  ASSERT_EQ(first.size(), 18u);
  EXPECT_FALSE(first.front().empty());
  EXPECT_EQ(logged_prompts(dir / "tgi.log", 7), first);
  EXPECT_EQ(logged_prompts(dir / "ollama.log", 7), first);
  // The repetitions repeat the workload: each prompt three times.
  EXPECT_EQ(std::count(first.begin(), first.end(), first.front()) % 3, 0);
  // The suite's output compares as it is: every engine against the first, 3 repetitions a
  // side (too few for any p below 0.1, which the comparison says).
  Child compare({LLMBENCH_BINARY, "compare", (dir / "out").string(), "--format", "json"});
  ASSERT_EQ(compare.wait(), 0) << compare.err();
  const json report = json::parse(compare.out());
  ASSERT_EQ(report["sections"].size(), 2u) << compare.out();
  for (const json& section : report["sections"]) {
    EXPECT_EQ(section["base"]["sources"].size(), 3u) << section.dump();
    EXPECT_EQ(section["new"]["sources"].size(), 3u) << section.dump();
    for (const json& f : section["figures"]) {
      EXPECT_NE(f["verdict"], "regressed") << f.dump();
      EXPECT_NE(f["verdict"], "improved") << f.dump();
    }
  }
}

// Acceptance: an engine killed mid-suite is recorded as failed on each of its later runs, and
// the other engine finishes all of its runs.
TEST(SuiteEngines, AnEngineKilledMidSuiteIsRecordedAndTheOthersFinish) {
  const Folder dir;
  Sim steady({"--ttft", "5ms", "--itl", "2ms"});
  auto doomed = std::make_unique<Sim>(std::vector<std::string>{"--ttft", "5ms", "--itl", "2ms"});
  const std::string doomed_name = "127.0.0.1:" + port_of(doomed->url());
  Child child({LLMBENCH_BINARY, "suite", write_suite(dir, 40).string(), "--url", steady.url(),
               "--url", doomed->url(), "--repeat", "3", "--no-progress", "--token-counting",
               "estimate", "--output-dir", (dir / "out").string()});
  // The doomed engine's first result is written: stop it before its second run.
  const std::string first_of_doomed = "-127.0.0.1_" + port_of(doomed->url()) + "-r1.json";
  bool seen = false;
  for (int i = 0; i < 3000 && !seen; ++i) {
    if (std::filesystem::exists(dir / "out")) {
      for (const auto& e : std::filesystem::directory_iterator(dir / "out")) {
        const std::string name = e.path().filename().string();
        if (name.size() > first_of_doomed.size() &&
            name.compare(name.size() - first_of_doomed.size(), first_of_doomed.size(),
                         first_of_doomed) == 0) {
          seen = true;
        }
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(seen) << child.err();
  doomed.reset();                             // SIGTERM: the engine is gone
  EXPECT_EQ(child.wait(), 3) << child.err();  // the worst run: unreachable
  const json index = json::parse(testing::slurp(dir / "out" / "suite.json"));
  ASSERT_EQ(index["runs"].size(), 6u);
  int steady_ok = 0, doomed_failed = 0;
  for (const json& run : index["runs"]) {
    if (run["engine"] == doomed_name) {
      if (run["repetition"] == 1) {
        EXPECT_EQ(run["exit_code"], 0) << run.dump();
      } else {
        EXPECT_EQ(run["exit_code"], 3) << run.dump();
        EXPECT_TRUE(run["error"].is_string()) << run.dump();
        EXPECT_TRUE(run["result"].is_null()) << run.dump();
        ++doomed_failed;
      }
    } else {
      EXPECT_EQ(run["exit_code"], 0) << run.dump();
      EXPECT_TRUE(run["result"].is_string()) << run.dump();
      ++steady_ok;
    }
  }
  EXPECT_EQ(steady_ok, 3);
  EXPECT_EQ(doomed_failed, 2);
}

// The plan, without running: interleaved and sequential orders, and the options that are
// refused before anything is sent.
TEST(SuiteEngines, OrderAndRefusals) {
  const Folder dir;
  const std::string suite = write_suite(dir, 2).string();
  auto plan = [&](const std::vector<std::string>& more) {
    std::vector<std::string> args = {
        LLMBENCH_BINARY,     "suite", suite, "--dry-run", "--url", "http://127.0.0.1:1", "--url",
        "http://127.0.0.1:2"};
    args.insert(args.end(), more.begin(), more.end());
    Child child(args);
    const int code = child.wait();
    // The port each planned run goes to, in order.
    std::string ports;
    const std::string out = child.out();
    for (std::size_t at = out.find("--url http://127.0.0.1:"); at != std::string::npos;
         at = out.find("--url http://127.0.0.1:", at + 1)) {
      ports += out[at + 23];
    }
    return std::make_pair(code, ports);
  };
  EXPECT_EQ(plan({"--repeat", "2"}), std::make_pair(0, std::string("1212")));
  EXPECT_EQ(plan({"--repeat", "2", "--order", "sequential"}),
            std::make_pair(0, std::string("1122")));
  struct Refused {
    std::vector<std::string> args;
    std::string says;
  };
  const std::vector<Refused> refused = {
      {{"--repeat", "0"}, "--repeat: must be 1 to 1000"},
      {{"--order", "random"}, "--order: 'random'"},
      {{"--cooldown-between", "soon"}, "--cooldown-between"},
      {{"--engines", "a,b"}, "--engines names configured engines"},
  };
  for (const Refused& r : refused) {
    std::vector<std::string> args = {LLMBENCH_BINARY, "suite", suite,
                                     "--dry-run",     "--url", "http://127.0.0.1:1"};
    args.insert(args.end(), r.args.begin(), r.args.end());
    Child child(args);
    EXPECT_EQ(child.wait(), 2) << r.says;
    EXPECT_NE(child.err().find(r.says), std::string::npos) << child.err();
  }
  Child no_config({LLMBENCH_BINARY, "suite", suite, "--dry-run", "--engines", "a,b"});
  EXPECT_EQ(no_config.wait(), 2);
  EXPECT_NE(no_config.err().find("--engines: needs --config"), std::string::npos)
      << no_config.err();
}

// --engines names configured engines; each run gets that engine's settings.
TEST(SuiteEngines, ConfiguredEnginesByName) {
  const Folder dir;
  Sim a({"--ttft", "2ms", "--itl", "1ms", "--model", "alpha"});
  Sim b({"--dialect", "tgi", "--ttft", "2ms", "--itl", "1ms", "--model", "beta"});
  std::ofstream(dir / "engines.yaml") << "engines:\n"
                                         "  - name: first\n    type: vllm\n    base_url: "
                                      << a.url()
                                      << "\n"
                                         "  - name: second\n    type: tgi\n    base_url: "
                                      << b.url() << "\n";
  Child child({LLMBENCH_BINARY, "suite", write_suite(dir, 3).string(), "--config",
               (dir / "engines.yaml").string(), "--engines", "second,first", "--no-progress",
               "--output-dir", (dir / "out").string()});
  ASSERT_EQ(child.wait(), 0) << child.err();
  const json index = json::parse(testing::slurp(dir / "out" / "suite.json"));
  ASSERT_EQ(index["runs"].size(), 2u);
  EXPECT_EQ(index["runs"][0]["engine"], "second");
  EXPECT_EQ(index["runs"][1]["engine"], "first");
  const json second = json::parse(testing::slurp(index["runs"][0]["result"].get<std::string>()));
  EXPECT_EQ(second["context"]["config"]["engine"], "tgi");
  EXPECT_EQ(second["context"]["config"]["model"], "beta");
}

// --until-stable ends the run once the statistic's 95 % interval is within the bound, lets
// the requests in flight finish (none cancelled), and says why it stopped.
TEST(UntilStable, EndsTheRunWhenTheStatisticIsStable) {
  Sim sim({"--ttft", "20ms", "--itl", "1ms", "--jitter", "2ms", "--seed", "4"});
  const auto r = testing::run(
      sim.url(), {"--until-stable", "ttft.p50:5%:30", "--requests", "5000", "--concurrency", "4",
                  "--max-tokens", "4", "--token-counting", "estimate"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json& context = r.result["context"];
  EXPECT_EQ(context["stop_reason"], "stable");
  ASSERT_TRUE(context["stop_detail"].is_string());
  EXPECT_NE(context["stop_detail"].get<std::string>().find("ttft.p50"), std::string::npos);
  EXPECT_EQ(context["config"]["until_stable"], "ttft.p50:5%:30");
  const json& s = r.result["summary"];
  EXPECT_GE(s["requests"].get<int>(), 30);
  EXPECT_LT(s["requests"].get<int>(), 5000);
  EXPECT_EQ(s["cancelled"], 0);
  EXPECT_EQ(s["succeeded"], s["requests"]);
  // The reported interval is the one the run stopped on, or narrower for the requests that
  // were in flight then.
  const double p50 = s["ttft"]["p50"].get<double>();
  const json& ci = s["ttft"]["ci"]["p50"];
  EXPECT_LE(p50 - ci[0].get<double>(), 0.06 * p50);
  EXPECT_LE(ci[1].get<double>() - p50, 0.06 * p50);
  EXPECT_NE((r.out + r.err).find("stopped when stable"), std::string::npos) << r.out << r.err;
}

TEST(UntilStable, RefusedWithTheOptionNamed) {
  const auto r = testing::run("http://127.0.0.1:1", {"--until-stable", "ttft.p42:5%"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--until-stable: 'ttft.p42:5%'"), std::string::npos) << r.err;
}

// Cost figures from --gpu-hourly-cost and --gpus over the run's own throughputs; absent
// without a price.
TEST(Cost, FiguresFollowTheMeasuredThroughput) {
  Sim sim({"--ttft", "2ms", "--itl", "1ms"});
  const auto priced =
      testing::run(sim.url(), {"--requests", "20", "--max-tokens", "8", "--gpu-hourly-cost", "3.6",
                               "--gpus", "2", "--token-counting", "estimate"});
  ASSERT_EQ(priced.exit_code, 0) << priced.err;
  const json& s = priced.result["summary"];
  const double per_second = 3.6 * 2 / 3600;
  EXPECT_NEAR(s["cost_per_million_output_tokens"].get<double>(),
              per_second / s["output_token_throughput"].get<double>() * 1e6, 1e-9);
  EXPECT_NEAR(s["cost_per_thousand_requests"].get<double>(),
              per_second / s["request_throughput"].get<double>() * 1e3, 1e-9);
  EXPECT_NEAR(s["output_tokens_per_gpu_second"].get<double>(),
              s["output_token_throughput"].get<double>() / 2, 1e-9);
  EXPECT_NE((priced.out + priced.err).find("per million output tokens"), std::string::npos)
      << priced.out;
  const auto plain = testing::run(sim.url(), {"--requests", "5", "--token-counting", "estimate"});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_TRUE(plain.result["summary"]["cost_per_million_output_tokens"].is_null());
  EXPECT_TRUE(plain.result["summary"]["output_tokens_per_gpu_second"].is_null());
  const auto bad = testing::run(sim.url(), {"--gpu-hourly-cost", "-1"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--gpu-hourly-cost"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace llmbench
