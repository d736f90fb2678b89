// End-to-end workloads: prompts of exact token length against the simulator's own tokenizer
// (BOS + one token per started 5 bytes of a word: not words), flagged estimates, Ollama-style
// probes, multi-turn conversations and shared prefixes.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "support/process.h"
#include "support/run_llmbench.h"

namespace llmbench {
namespace {

using nlohmann::json;
using testing::run;
using testing::RunOutcome;
using testing::Sim;

// Acceptance: 100 % exact at 16, 512 and 3000 tokens, by the engine's own count.
TEST(Workloads, PromptsHitTheTargetExactlyByTheEnginesTokenizer) {
  Sim sim({"--dialect", "vllm", "--ttft", "1ms", "--itl", "1ms"});
  for (const int target : {16, 512, 3000}) {
    const RunOutcome r =
        run(sim.url(), {"--requests", "30", "--concurrency", "4", "--prompt-tokens",
                        std::to_string(target), "--max-tokens", "2", "--seed", "11"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.result["workload"]["token_method"], "engine_tokenize");
    EXPECT_EQ(r.result["workload"]["token_offset"], 1);  // the simulator's BOS
    EXPECT_EQ(r.result["workload"]["prompts_verified"], 30);
    EXPECT_EQ(r.result["workload"]["prompts_unverifiable"], 0);
    const json& s = r.result["summary"];
    EXPECT_EQ(s["prompt_length_checked"], 30);
    EXPECT_EQ(s["prompt_length_mismatches"], 0) << target;
    EXPECT_EQ(s["prompt_length_mismatch_rate"], 0.0);
    for (const json& req : r.result["requests"]) {
      EXPECT_EQ(req["prompt_tokens"], target);
      EXPECT_EQ(req["prompt_tokens_target"], target);
    }
  }
}

TEST(Workloads, ChatPromptsAreExactWithTheTemplatesTokensMeasuredByAProbe) {
  // /tokenize counts the text; a chat request adds the template's tokens (3 in the
  // simulator): one 1-token probe measures that, and the prompts come out exact.
  Sim sim({"--dialect", "vllm", "--ttft", "1ms", "--itl", "1ms"});
  const RunOutcome r = run(sim.url(), {"--api", "openai-chat", "--requests", "20",
                                       "--prompt-tokens", "100", "--max-tokens", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.result["workload"]["token_offset"], 4);  // BOS + 3
  EXPECT_NE(r.result["workload"]["token_source"].get<std::string>().find("+3 tokens"),
            std::string::npos);
  EXPECT_EQ(r.result["summary"]["prompt_length_mismatches"], 0);
  for (const json& req : r.result["requests"]) EXPECT_EQ(req["prompt_tokens"], 100);
}

// Issue 9 A11: a generic OpenAI server has no /tokenize but reports usage.prompt_tokens, so
// generation probes calibrate it (before, it got estimates, 100 % one token off).
TEST(Workloads, AServerWithoutTokenizeIsCalibratedByProbes) {
  Sim sim({"--ttft", "1ms", "--itl", "1ms"});
  const RunOutcome r =
      run(sim.url(), {"--requests", "10", "--prompt-tokens", "64", "--max-tokens", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.result["workload"]["token_method"], "probe_calibration");
  EXPECT_EQ(r.result["summary"]["prompt_length_checked"], 10);
  EXPECT_EQ(r.result["summary"]["prompt_length_mismatches"], 0);
  for (const json& req : r.result["requests"]) EXPECT_EQ(req["prompt_tokens"], 64);
}

TEST(Workloads, AnEstimateIsFlaggedAndItsMismatchesCounted) {
  // Asked for: words are sent as tokens, and the engine's count (BOS included) shows the miss.
  Sim sim({"--ttft", "1ms", "--itl", "1ms"});
  const RunOutcome r = run(sim.url(), {"--requests", "10", "--prompt-tokens", "64", "--max-tokens",
                                       "2", "--token-counting", "estimate"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.result["workload"]["token_method"], "estimate");
  EXPECT_NE(r.result["context"]["warnings"].dump().find("prompt lengths are estimates"),
            std::string::npos);
  EXPECT_EQ(r.result["summary"]["prompt_length_mismatch_rate"], 1.0);
  EXPECT_EQ(r.result["summary"]["prompt_length_offset"], 1);
  EXPECT_NE(r.out.find("estimates"), std::string::npos) << r.out;
}

// A SentencePiece-style tokenizer.json that counts like the simulator for short words: BOS,
// then "▁word" as one token (other text falls back to bytes).
std::filesystem::path write_sim_like_tokenizer() {
  json vocab = {{"<unk>", 0}, {"<s>", 1}, {"\xE2\x96\x81", 2}};
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    vocab[name] = 3 + b;
  }
  int id = 300;
  json merges = json::array();
  for (char c = 'a'; c <= 'z'; ++c) vocab[std::string(1, c)] = id++;
  for (const char* w : {"time",  "year",  "way",   "day",   "man",  "thing", "woman", "life",
                        "child", "world", "state", "group", "hand", "part",  "place", "case",
                        "week",  "work",  "night", "point", "home", "water", "room",  "area",
                        "money", "story", "fact",  "month", "lot",  "right", "study", "book"}) {
    // "▁" + "t" → "▁t", "▁t" + "i" → "▁ti", … up to "▁time".
    std::string piece = "\xE2\x96\x81";
    for (const char* c = w; *c != 0; ++c) {
      const std::string next = piece + *c;
      if (!vocab.contains(next)) {
        vocab[next] = id++;
        merges.push_back(piece + " " + std::string(1, *c));
      }
      piece = next;
    }
  }
  const json tokenizer = {
      {"normalizer", nullptr},
      {"pre_tokenizer",
       {{"type", "Metaspace"},
        {"replacement", "\xE2\x96\x81"},
        {"prepend_scheme", "always"},
        {"split", true}}},
      {"post_processor",
       {{"type", "TemplateProcessing"},
        {"single", json::array({json{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}},
                                json{{"Sequence", {{"id", "A"}, {"type_id", 0}}}}})}}},
      {"model",
       {{"type", "BPE"},
        {"vocab", vocab},
        {"merges", merges},
        {"byte_fallback", true},
        {"unk_token", "<unk>"}}}};
  const auto path = std::filesystem::temp_directory_path() /
                    ("llmbench-tokenizer-" + std::to_string(::getpid()) + ".json");
  std::ofstream(path) << tokenizer.dump();
  return path;
}

TEST(Workloads, ALocalTokenizerMakesLengthsExactWithoutATokenizeRoute) {
  Sim sim({"--ttft", "1ms", "--itl", "1ms"});  // generic OpenAI: no /tokenize
  const auto tokenizer = write_sim_like_tokenizer();
  for (const int target : {64, 700}) {
    const RunOutcome r =
        run(sim.url(), {"--tokenizer", tokenizer.string(), "--requests", "12", "--prompt-tokens",
                        std::to_string(target), "--max-tokens", "2"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.result["workload"]["token_method"], "local_tokenizer");
    EXPECT_NE(r.result["workload"]["token_source"].get<std::string>().find("sentencepiece-style"),
              std::string::npos);
    EXPECT_EQ(r.result["workload"]["token_offset"], 1);
    EXPECT_EQ(r.result["summary"]["prompt_length_mismatches"], 0);
    for (const json& req : r.result["requests"]) EXPECT_EQ(req["prompt_tokens"], target);
  }
  std::filesystem::remove(tokenizer);
}

TEST(Workloads, OllamaProbesCalibrateTheLengths) {
  Sim sim({"--dialect", "ollama", "--ttft", "1ms", "--itl", "1ms"});
  const RunOutcome r =
      run(sim.url(), {"--requests", "10", "--prompt-tokens", "200", "--max-tokens", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.result["workload"]["token_method"], "probe_calibration");
  EXPECT_EQ(r.result["summary"]["prompt_length_mismatches"], 0);
  for (const json& req : r.result["requests"]) EXPECT_EQ(req["prompt_tokens"], 200);
}

TEST(Workloads, LengthDistributionsAreDrawnPerRequest) {
  Sim sim({"--dialect", "vllm", "--ttft", "1ms", "--itl", "1ms"});
  const RunOutcome r = run(sim.url(), {"--requests", "40", "--concurrency", "4", "--prompt-tokens",
                                       "uniform:20:60", "--max-tokens", "uniform:2:9"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::set<int> prompts, outputs;
  for (const json& req : r.result["requests"]) {
    const int target = req["prompt_tokens_target"];
    EXPECT_GE(target, 20);
    EXPECT_LE(target, 60);
    EXPECT_EQ(req["prompt_tokens"], target);
    EXPECT_EQ(req["output_tokens"], req["max_tokens"]);
    prompts.insert(target);
    outputs.insert(req["max_tokens"].get<int>());
  }
  EXPECT_GT(prompts.size(), 15u);
  EXPECT_GT(outputs.size(), 5u);
  EXPECT_EQ(r.result["context"]["config"]["prompt_tokens"], "uniform:20:60");
}

TEST(Workloads, ConversationTurnsGoInOrderWithAGrowingHistory) {
  Sim sim({"--dialect", "vllm", "--ttft", "2ms", "--itl", "1ms"});
  const RunOutcome r =
      run(sim.url(), {"--api", "openai-chat", "--turns", "3", "--concurrency", "2", "--requests",
                      "12", "--prompt-tokens", "20", "--max-tokens", "4"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The simulator's template: 3 tokens a message, measured by the probes, so every turn —
  // history included — is exactly its target.
  EXPECT_NE(r.result["workload"]["token_source"].get<std::string>().find(
                "3 tokens per further chat message"),
            std::string::npos)
      << r.result["workload"].dump();
  EXPECT_EQ(r.result["summary"]["prompt_length_mismatches"], 0);
  std::map<int, json> by_id;
  for (const json& req : r.result["requests"]) by_id[req["id"].get<int>()] = req;
  ASSERT_EQ(by_id.size(), 12u);
  for (int conversation = 0; conversation < 4; ++conversation) {
    const json& t0 = by_id[conversation * 3];
    const json& t1 = by_id[conversation * 3 + 1];
    const json& t2 = by_id[conversation * 3 + 2];
    EXPECT_LT(t0["prompt_tokens"].get<int>(), t1["prompt_tokens"].get<int>());
    EXPECT_LT(t1["prompt_tokens"].get<int>(), t2["prompt_tokens"].get<int>());
    // A turn is sent after the previous one ended.
    EXPECT_GE(t1["timestamps"]["send"].get<double>(), t0["timestamps"]["end"].get<double>());
    EXPECT_GE(t2["timestamps"]["send"].get<double>(), t1["timestamps"]["end"].get<double>());
  }
}

TEST(Workloads, ContextLimitFillsTheEnginesWindowMinusTheOutputBudget) {
  Sim sim({"--dialect", "vllm", "--ttft", "1ms", "--itl", "1ms"});
  const RunOutcome r = run(sim.url(), {"--requests", "2", "--prompt-tokens", "context-limit",
                                       "--max-tokens", "uniform:2:8"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The simulator reports a 32,768-token window; the largest output asked for is 8.
  for (const json& req : r.result["requests"]) EXPECT_EQ(req["prompt_tokens"], 32768 - 8);
  EXPECT_NE(r.result["workload"]["warnings"].dump().find("context-limit prompts: 32760"),
            std::string::npos);
}

TEST(Workloads, DatasetPromptsAreSentAndBadRecordsCountedOrFatal) {
  Sim sim({"--dialect", "vllm", "--ttft", "1ms", "--itl", "1ms"});
  const auto path = std::filesystem::temp_directory_path() /
                    ("llmbench-e2e-" + std::to_string(::getpid()) + ".jsonl");
  std::ofstream(path) << "{\"prompt\": \"one two three\", \"max_tokens\": 3}\n"
                      << "{broken\n"
                      << "{\"messages\": [{\"role\": \"user\", \"content\": \"a b c d e\"}], "
                         "\"max_tokens\": 5}\n";
  const RunOutcome r = run(sim.url(), {"--dataset", path.string(), "--max-tokens", "empirical",
                                       "--requests", "6", "--api", "openai-chat"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json& w = r.result["workload"];
  EXPECT_EQ(w["dataset_format"], "jsonl");
  EXPECT_EQ(w["dataset_records"], 2);
  EXPECT_EQ(w["dataset_skipped"], 1);
  EXPECT_NE(w["warnings"].dump().find(".jsonl:2: not a JSON object"), std::string::npos)
      << w.dump();
  std::set<int> prompt_counts;
  for (const json& req : r.result["requests"]) {
    prompt_counts.insert(req["prompt_tokens"].get<int>());
    EXPECT_EQ(req["output_tokens"], req["prompt_tokens"].get<int>() == 7 ? 3 : 5);
  }
  // The simulator's chat count: BOS, 3 template tokens, the words.
  EXPECT_EQ(prompt_counts, (std::set<int>{7, 9}));

  const RunOutcome fail = run(sim.url(), {"--dataset", path.string(), "--on-bad-record", "fail"});
  EXPECT_EQ(fail.exit_code, 2);
  EXPECT_NE(fail.err.find(path.string() + ":2: not a JSON object"), std::string::npos) << fail.err;
  std::filesystem::remove(path);
}

TEST(Workloads, ATextCorpusIsSlicedToExactLengths) {
  Sim sim({"--dialect", "vllm", "--ttft", "1ms", "--itl", "1ms"});
  const auto path = std::filesystem::temp_directory_path() /
                    ("llmbench-corpus-" + std::to_string(::getpid()) + ".txt");
  {
    std::ofstream out(path);
    for (int i = 0; i < 200; ++i) out << "It was a good day, and it was a bad one too\n";
  }
  const RunOutcome r =
      run(sim.url(), {"--dataset", path.string(), "--dataset-format", "text-slice",
                      "--prompt-tokens", "300", "--requests", "20", "--max-tokens", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.result["workload"]["dataset_format"], "text-slice");
  EXPECT_EQ(r.result["workload"]["token_method"], "engine_tokenize");
  // Every word here is at most 5 bytes, one simulator token: every slice can be exact.
  EXPECT_EQ(r.result["summary"]["prompt_length_mismatches"], 0);
  for (const json& req : r.result["requests"]) EXPECT_EQ(req["prompt_tokens"], 300);
  std::filesystem::remove(path);
}

TEST(Workloads, OptionErrorsNameTheOption) {
  Sim sim({"--ttft", "1ms", "--itl", "1ms"});
  struct Case {
    std::vector<std::string> options;
    std::string says;
  };
  for (const Case& c : std::vector<Case>{
           {{"--prompt-tokens", "uniform:9:1"}, "--prompt-tokens: 'uniform:9:1'"},
           {{"--max-tokens", "lots"}, "--max-tokens: 'lots'"},
           {{"--max-tokens", "context-limit"}, "prompts only"},
           {{"--token-counting", "magic"}, "--token-counting: 'magic'"},
           {{"--token-counting", "engine"}, "no tokenize route"},
           {{"--tokenizer", "/nonexistent/tokenizer.json"}, "/nonexistent/tokenizer.json"},
           {{"--prefix-tokens", "200", "--prompt-tokens", "100"}, "no room"},
           {{"--prompt-tokens", "context-limit", "--max-tokens", "40000"}, "no room"}}) {
    const RunOutcome r = run(sim.url(), c.options);
    EXPECT_EQ(r.exit_code, 2) << c.says;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace llmbench

namespace llmbench {
namespace {

using nlohmann::json;
using testing::Child;
using testing::Sim;

// A suite from the catalog, shortened by the user's own options, against the simulator.
TEST(Suites, QuickTestRunsEveryVariantAndWritesAnIndex) {
  Sim sim({"--dialect", "vllm", "--ttft", "1ms", "--itl", "1ms"});
  const auto dir =
      std::filesystem::temp_directory_path() / ("llmbench-suite-" + std::to_string(::getpid()));
  Child child({LLMBENCH_BINARY, "suite",
               std::string(LLMBENCH_SOURCE_DIR) + "/configs/scenarios/quick_test.yaml", "--url",
               sim.url(), "--requests", "6", "--max-tokens", "4", "--output-dir", dir.string()});
  ASSERT_EQ(child.wait(), 0) << child.err();
  const json index = json::parse(testing::slurp(dir / "suite.json"));
  EXPECT_EQ(index["suite"], "Quick Performance Test");
  ASSERT_EQ(index["runs"].size(), 7u);
  for (const json& run : index["runs"]) {
    EXPECT_EQ(run["exit_code"], 0) << run.dump();
    EXPECT_EQ(run["summary"]["succeeded"], 6) << run.dump();
    const json result = json::parse(testing::slurp(run["result"].get<std::string>()));
    EXPECT_EQ(result["context"]["config"]["max_tokens"], 4);  // the user's option beat the default
  }
  const json& short_prompts = index["runs"][0];
  EXPECT_EQ(short_prompts["variant"], "short");
  const json first = json::parse(testing::slurp(short_prompts["result"].get<std::string>()));
  for (const json& req : first["requests"]) {
    EXPECT_GE(req["prompt_tokens"].get<int>(), 5);
    EXPECT_LE(req["prompt_tokens"].get<int>(), 20);
  }
  const json non_streaming =
      json::parse(testing::slurp(index["runs"][6]["result"].get<std::string>()));
  EXPECT_EQ(non_streaming["context"]["config"]["stream"], false);
  EXPECT_NE(child.out().find("users=10"), std::string::npos) << child.out();
  std::filesystem::remove_all(dir);
}

TEST(Suites, ABadSuiteFileIsAUsageErrorNamingFileLineAndField) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("llmbench-bad-suite-" + std::to_string(::getpid()) + ".yaml");
  std::ofstream(path) << "name: X\nscenarios:\n  - type: prompt_length\n    variants: [tiny]\n";
  Child child({LLMBENCH_BINARY, "suite", path.string(), "--url", "http://127.0.0.1:1"});
  EXPECT_EQ(child.wait(), 2);
  EXPECT_NE(child.err().find(path.string() + ":4: scenarios[0].variants: 'tiny'"),
            std::string::npos)
      << child.err();
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace llmbench
