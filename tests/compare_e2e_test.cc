// `llmbench compare` end to end (issue 11 acceptance): result files written by the real binary
// against `llmbench sim`, compared by the real binary. A/A: two simulators with the same
// settings must not be told apart; A/B: 10 % slower is a significant regression that fails
// the gate, 2 % slower passes it; different workloads are refused.
//
// One pool of short runs per simulator is made once (interleaved, so drift on this busy
// machine hits every simulator alike) and reused by every test: repetition groups are drawn
// from the pools.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>

#include "support/process.h"

namespace llmbench {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::Child;
using testing::Sim;

// A and A2 (the same settings): A/A draws 7 of 20 time slots a side. 20 rather than 14: the 40
// pairings share runs, and the fewer they share the less one unlucky run counts in many.
constexpr int kPoolA = 20;
constexpr int kPoolB = 8;  // B (10 % slower) and C (2 % slower): 8 a side against A
constexpr int kGroup = 7;  // repetitions a side in A/A
constexpr int kPairings = 40;
// The figures the A/B gate checks: the medians and throughputs. The p90 and p99 of a 48-request
// run are its 5th and 1st largest values and move by 10 % from run to run on this machine; a
// 2 % slower simulator once showed a significant +6.8 % in the medians of 8 p99s, failing a 5 %
// gate that the medians pass in every run.
constexpr const char* kGated =
    "ttft.p50,itl.p50,tpot.p50,e2e_latency.p50,output_token_throughput,request_throughput";

struct Outcome {
  int exit_code = -1;
  std::string out, err;
};

Outcome llmbench(std::vector<std::string> args) {
  args.insert(args.begin(), LLMBENCH_BINARY);
  Child child(args);
  Outcome o;
  o.exit_code = child.wait();
  o.out = child.out();
  o.err = child.err();
  return o;
}

fs::path scratch() {
  return fs::temp_directory_path() / ("llmbench_compare_e2e_" + std::to_string(::getpid()));
}

// A short closed-loop run: 48 requests of 16 tokens at concurrency 8.
fs::path run_once(const std::string& url, const fs::path& path,
                  std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"run",    "--url",      url,           "--concurrency",
                                   "8",      "--requests", "48",          "--max-tokens",
                                   "16",     "--output",   path.string(), "--no-progress",
                                   "--quiet"};
  args.insert(args.end(), extra.begin(), extra.end());
  const Outcome o = llmbench(args);
  if (o.exit_code != 0) throw std::runtime_error("run failed: " + o.err);
  return path;
}

std::string join(const std::vector<fs::path>& files) {
  std::string out;
  for (const fs::path& f : files) out += (out.empty() ? "" : ",") + f.string();
  return out;
}

class CompareE2e : public ::testing::Test {
 protected:
  // CTest runs each test in its own process (gtest_discover_tests), so each builds only what
  // it needs: `full` the acceptance pools (about 45 s here), else 3 runs of A and A2, 1 of B.
  static void build(bool full) {
    if (built_full() || (!full && built_small())) return;
    fs::remove_all(scratch());
    fs::create_directories(scratch());
    pools().clear();
    const int pool_a = full ? kPoolA : 3, pool_b = full ? kPoolB : 1;
    // 40 ms to the first token, 4 ms between tokens, ±0.4 ms jitter from each sim's own seed.
    Sim a({"--ttft", "40ms", "--itl", "4ms", "--jitter", "400us", "--seed", "1"});
    Sim a2({"--ttft", "40ms", "--itl", "4ms", "--jitter", "400us", "--seed", "2"});
    Sim b({"--ttft", "44ms", "--itl", "4.4ms", "--jitter", "440us", "--seed", "3"});
    Sim c({"--ttft", "40.8ms", "--itl", "4.08ms", "--jitter", "408us", "--seed", "4"});
    for (int i = 0; i < pool_a; ++i) {
      const std::string n = std::to_string(i);
      pools()["a"].push_back(run_once(a.url(), scratch() / ("a" + n + ".json")));
      pools()["a2"].push_back(run_once(a2.url(), scratch() / ("a2-" + n + ".json")));
      if (i < pool_b) {
        pools()["b"].push_back(run_once(b.url(), scratch() / ("b" + n + ".json")));
        if (full) pools()["c"].push_back(run_once(c.url(), scratch() / ("c" + n + ".json")));
      }
    }
    {
      // The same simulator, another workload: a different run seed, other prompt lengths.
      pools()["seed"].push_back(run_once(a.url(), scratch() / "seed.json", {"--seed", "99"}));
      pools()["prompt"].push_back(
          run_once(a.url(), scratch() / "prompt.json", {"--prompt-tokens", "77"}));
    }
    (full ? built_full() : built_small()) = true;
  }
  static bool& built_full() {
    static bool b = false;
    return b;
  }
  static bool& built_small() {
    static bool b = false;
    return b;
  }
  static void TearDownTestSuite() { fs::remove_all(scratch()); }
  static std::map<std::string, std::vector<fs::path>>& pools() {
    static std::map<std::string, std::vector<fs::path>> p;
    return p;
  }
  static std::vector<fs::path> first(const std::string& pool, int n) {
    const auto& p = pools().at(pool);
    return {p.begin(), p.begin() + n};
  }
  static const json& figure(const json& report, const std::string& name) {
    for (const json& f : report["sections"][0]["figures"]) {
      if (f["figure"] == name) return f;
    }
    throw std::runtime_error("no figure " + name);
  }
};

// The acceptance of issue 11 in one test, so that CTest builds the pools once.
TEST_F(CompareE2e, AcceptanceAaAbAndGates) {
  build(true);
  {
    SCOPED_TRACE("A/A");
    std::mt19937 rng(11);
    int false_positives = 0;
    const std::vector<fs::path>& a = pools().at("a");
    const std::vector<fs::path>& a2 = pools().at("a2");
    std::vector<std::size_t> slots(a.size());
    std::iota(slots.begin(), slots.end(), 0);
    std::vector<std::string> flagged;
    for (int k = 0; k < kPairings; ++k) {
      // 7 of the 20 time slots, the A and the A2 run of each: the pools were made interleaved
      // (a1 a2_1 a2 a2_2 …), so the two sides of a pairing come from the same moments and a
      // change in this machine's load between slots hits both alike — as a user's interleaved
      // repetitions do. Slots drawn at random otherwise mix load drift into the comparison.
      std::shuffle(slots.begin(), slots.end(), rng);
      std::vector<fs::path> base, next;
      for (int i = 0; i < kGroup; ++i) {
        base.push_back(a[slots[static_cast<std::size_t>(i)]]);
        next.push_back(a2[slots[static_cast<std::size_t>(i)]]);
      }
      const Outcome o = llmbench(
          {"compare", join(base), join(next), "--format", "json", "--max-regression", "5%"});
      ASSERT_TRUE(o.exit_code == 0 || o.exit_code == 1) << o.err;
      const json report = json::parse(o.out);
      bool flagged_one = false;
      for (const json& f : report["sections"][0]["figures"]) {
        EXPECT_EQ(f["method"], "mann_whitney") << f.dump();
        const std::string verdict = f["verdict"].is_string() ? f["verdict"].get<std::string>() : "";
        if (verdict == "improved" || verdict == "regressed") {
          flagged_one = true;
          flagged.push_back(f["figure"].get<std::string>() + " " + verdict + " " +
                            f["relative_change"].dump() + " p=" + f["p_adjusted"].dump());
        }
      }
      false_positives += flagged_one ? 1 : 0;
    }
    const double rate = static_cast<double>(false_positives) / kPairings;
    std::cout << "A/A false-positive rate: " << false_positives << "/" << kPairings << " = "
              << rate * 100 << " %\n";
    for (const std::string& f : flagged) std::cout << "  flagged: " << f << "\n";
    RecordProperty("aa_false_positive_rate", std::to_string(rate));
    EXPECT_LE(rate, 0.05);
  }
  {
    SCOPED_TRACE("A/B 10 %");
    const Outcome o = llmbench({"compare", join(first("a", kPoolB)), join(pools().at("b")),
                                "--format", "json", "--max-regression", "5%", "--figures", kGated});
    EXPECT_EQ(o.exit_code, 1) << o.err << o.out;
    const json report = json::parse(o.out);
    // The medians of each run move little on a busy machine, so 8 runs a side separate fully
    // (p = 2/C(16,8) = 0.00016, Holm ×15 = 0.0023); the tails (p90, p99) of 48 requests move
    // by more than 10 % from run to run, so they are reported, not asserted.
    for (const char* name : {"ttft.p50", "itl.p50", "tpot.p50", "e2e_latency.p50"}) {
      const json& f = figure(report, name);
      EXPECT_EQ(f["verdict"], "regressed") << f.dump();
      EXPECT_LT(f["p_adjusted"].get<double>(), 0.01) << f.dump();
      EXPECT_NEAR(f["relative_change"].get<double>(), 0.10, 0.04) << f.dump();
      EXPECT_EQ(f["base_ci"]["method"], "order statistics");
    }
    for (const json& f : report["sections"][0]["figures"]) {
      std::cout << "A/B 10 %: " << f["figure"].get<std::string>() << " change "
                << f["relative_change"] << " p " << f["p"] << " Holm " << f["p_adjusted"] << " "
                << f["verdict"] << "\n";
    }
    EXPECT_NE(o.err.find("gate failed: ttft.p50 regressed"), std::string::npos) << o.err;
    EXPECT_EQ(report["gate"]["passed"], false);
    EXPECT_GT(report["sections"][0]["geomean_ratio"]["lower_is_better"].get<double>(), 1.03);
  }
  {
    SCOPED_TRACE("A/B 2 %");
    const Outcome o = llmbench({"compare", join(first("a", kPoolB)), join(pools().at("c")),
                                "--format", "json", "--max-regression", "5%", "--figures", kGated});
    EXPECT_EQ(o.exit_code, 0) << o.err << o.out;
    const json report = json::parse(o.out);
    EXPECT_EQ(report["gate"]["passed"], true);
    const json& ttft = figure(report, "ttft.p50");
    std::cout << "A/B 2 %: ttft.p50 change " << ttft["relative_change"] << " Holm p "
              << ttft["p_adjusted"] << " " << ttft["verdict"] << "\n";
    EXPECT_LT(ttft["relative_change"].get<double>(), 0.05);
  }
  {
    SCOPED_TRACE("--slo");
    const std::string base = join(first("a", kPoolB)), next = join(pools().at("b"));
    const Outcome pass = llmbench({"compare", base, next, "--slo", "ttft.p50<=1s"});
    EXPECT_EQ(pass.exit_code, 0) << pass.err;
    EXPECT_NE(pass.out.find("gate: passed"), std::string::npos) << pass.out;
    const Outcome fail =
        llmbench({"compare", base, next, "--slo", "ttft.p50<=10ms,output_token_throughput>=1"});
    EXPECT_EQ(fail.exit_code, 1);
    EXPECT_NE(fail.err.find("ttft.p50<=10ms"), std::string::npos) << fail.err;
    EXPECT_EQ(fail.err.find("output_token_throughput>=1"), std::string::npos) << fail.err;
  }
}

TEST_F(CompareE2e, DifferentWorkloadsAreRefusedUnlessForced) {
  build(false);
  const std::string a = pools().at("a")[0].string();
  const Outcome seed = llmbench({"compare", a, pools().at("seed")[0].string()});
  EXPECT_EQ(seed.exit_code, 2);
  EXPECT_NE(seed.err.find("prompts"), std::string::npos) << seed.err;
  EXPECT_NE(seed.err.find("--force"), std::string::npos) << seed.err;
  const Outcome prompt = llmbench({"compare", a, pools().at("prompt")[0].string()});
  EXPECT_EQ(prompt.exit_code, 2);
  EXPECT_NE(prompt.err.find("lengths"), std::string::npos) << prompt.err;
  for (const char* format : {"table", "markdown", "json"}) {
    const Outcome forced =
        llmbench({"compare", a, pools().at("prompt")[0].string(), "--force", "--format", format});
    EXPECT_EQ(forced.exit_code, 0) << forced.err;
    EXPECT_NE(forced.out.find("different workloads compared"), std::string::npos)
        << format << ": " << forced.out;
  }
  const Outcome missing = llmbench({"compare", a, (scratch() / "nope.json").string()});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("nope.json: no such file"), std::string::npos) << missing.err;
}

TEST_F(CompareE2e, SingleRunsOfOneSecondAreNotTestedAndSaySo) {
  build(false);
  const Outcome o = llmbench({"compare", pools().at("a")[0].string(), pools().at("b")[0].string(),
                              "--format", "json", "--max-regression", "5%"});
  EXPECT_EQ(o.exit_code, 0) << o.err;  // no test, so no significant regression to gate on
  const json report = json::parse(o.out);
  const json& ttft = figure(report, "ttft.p50");
  EXPECT_TRUE(ttft["p"].is_null()) << ttft.dump();  // one 1 s window a run: no bootstrap
  EXPECT_NE(ttft["note"].get<std::string>().find("fewer than 10 time windows"), std::string::npos);
  EXPECT_GT(ttft["relative_change"].get<double>(), 0.03);
  EXPECT_EQ(ttft["base_ci"]["method"], "summary");  // the run's own CI of its p50
  EXPECT_TRUE(figure(report, "output_token_throughput")["p"].is_null());  // one value a run
  EXPECT_NE(report["sections"][0]["warnings"].dump().find("repetitions"), std::string::npos);
}

TEST_F(CompareE2e, MarkdownJsonAndOutputFile) {
  build(false);
  const std::string base = join(first("a", 3)), next = join(first("a2", 3));
  const Outcome md = llmbench({"compare", base, next, "--format", "markdown"});
  EXPECT_EQ(md.exit_code, 0) << md.err;
  EXPECT_NE(md.out.find("| figure | base [CI] | new [CI] |"), std::string::npos) << md.out;
  EXPECT_NE(md.out.find("| ttft.p50 |"), std::string::npos);
  EXPECT_NE(md.out.find("min-max"), std::string::npos);  // 3 runs: min–max, level stated
  EXPECT_NE(md.out.find("smallest p-value possible is 0.1"), std::string::npos) << md.out;

  const fs::path out = scratch() / "cmp.json";
  const Outcome to_file =
      llmbench({"compare", base, next, "--format", "json", "--output", out.string()});
  EXPECT_EQ(to_file.exit_code, 0) << to_file.err;
  EXPECT_TRUE(to_file.out.empty()) << to_file.out;
  std::ifstream in(out);
  const json written = json::parse(in);
  EXPECT_EQ(written["kind"], "llmbench.compare");
  // The 15 defaults, and the monitors' figures where measured: the engine's RSS at least (the
  // simulator is local, so its process was found by its port); energy only on a GPU machine.
  const json& figures = written["sections"][0]["figures"];
  std::size_t defaults = 0;
  bool rss = false;
  for (const json& f : figures) {
    const std::string name = f["figure"];
    rss = rss || name == "engine_rss_max_bytes";
    if (name.find("joule") == std::string::npos && name.find("bytes") == std::string::npos &&
        name != "average_power_w") {
      ++defaults;
    }
  }
  EXPECT_EQ(defaults, 15u);
  EXPECT_TRUE(rss) << figures;
  EXPECT_TRUE(written["sections"][0]["figures"][0]["p"].is_number());

  // Checked before anything is read: a missing folder, a folder.
  const Outcome no_dir =
      llmbench({"compare", base, next, "--output", (scratch() / "missing" / "x.json").string()});
  EXPECT_EQ(no_dir.exit_code, 2);
  EXPECT_NE(no_dir.err.find("--output"), std::string::npos) << no_dir.err;
  const Outcome is_dir = llmbench({"compare", base, next, "--output", scratch().string()});
  EXPECT_EQ(is_dir.exit_code, 2);
  // Nor over a result it compares: that result would be gone.
  const std::string input = first("a2", 3)[1].string();
  const std::string before = testing::slurp(input);
  const Outcome over_input = llmbench({"compare", base, next, "--output", input});
  EXPECT_EQ(over_input.exit_code, 2);
  EXPECT_NE(over_input.err.find("is one of the results compared"), std::string::npos)
      << over_input.err;
  EXPECT_EQ(testing::slurp(input), before);
  const Outcome bad_format = llmbench({"compare", base, next, "--format", "html"});
  EXPECT_EQ(bad_format.exit_code, 2);
  EXPECT_NE(bad_format.err.find("--format"), std::string::npos);
  const Outcome bad_noise = llmbench({"compare", base, next, "--noise", "2"});
  EXPECT_EQ(bad_noise.exit_code, 2);
  EXPECT_NE(bad_noise.err.find("--noise '2'"), std::string::npos) << bad_noise.err;
}

}  // namespace
}  // namespace llmbench
