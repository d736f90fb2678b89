#include "report/result_reader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

namespace llmbench::report {
namespace {

namespace fs = std::filesystem;

class ResultReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = fs::temp_directory_path() / ("llmbench_reader_" + std::to_string(::getpid()));
  }
  void TearDown() override { fs::remove(path_); }
  void write(const std::string& text) { std::ofstream(path_) << text; }
  fs::path path_;
};

TEST_F(ResultReaderTest, ReadsTheSummaryFiguresAndTheRequestsByWindow) {
  write(R"({"context":{"started_at":"2026-12-01T10:00:00Z","config":{"engine":"vllm","model":"m"}},
    "summary":{"ttft":{"p50":0.1,"p99":0.3,"mean":0.12},"tpot":{"p50":null},
               "output_token_throughput":1000.5,"success_rate":0.5},
    "requests":[
      {"error":null,"ttft":0.1,"tpot":0.01,"e2e_latency":0.5,"itl":[0.01,0.02],
       "timestamps":{"end":0.4}},
      {"error":null,"ttft":0.2,"e2e_latency":0.7,"itl":[],"timestamps":{"end":2.5}},
      {"error":{"category":"timeout_idle"},"ttft":9,"timestamps":{"end":1.5}}]})");
  const auto read = read_result_figures(path_);
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ(read->engine, "vllm");
  EXPECT_EQ(read->started_at, "2026-12-01T10:00:00Z");
  EXPECT_DOUBLE_EQ(read->figures.at("ttft.p99"), 0.3);
  EXPECT_DOUBLE_EQ(read->figures.at("output_token_throughput"), 1000.5);
  EXPECT_EQ(read->figures.count("tpot.p50"), 0u);  // null: not measured, not 0
  EXPECT_EQ(read->figures.count("itl.p50"), 0u);
  const auto& ttft = read->windows.at("ttft");
  ASSERT_EQ(ttft.size(), 3u);  // windows 0, 1 (empty: its request failed), 2
  EXPECT_EQ(ttft[0], std::vector<double>{0.1});
  EXPECT_TRUE(ttft[1].empty());
  EXPECT_EQ(ttft[2], std::vector<double>{0.2});
  EXPECT_EQ(read->windows.at("itl")[0], (std::vector<double>{0.01, 0.02}));
  EXPECT_EQ(read->windows.at("tpot").size(), 1u);
}

TEST_F(ResultReaderTest, WhatIsNotAResultIsAnErrorNamingTheFile) {
  write("not json");
  auto read = read_result_figures(path_);
  ASSERT_FALSE(read);
  EXPECT_NE(read.error().message.find(path_.string() + ": not JSON"), std::string::npos);
  write(R"({"requests":[]})");
  read = read_result_figures(path_);
  ASSERT_FALSE(read);
  EXPECT_NE(read.error().message.find("no summary"), std::string::npos);
  EXPECT_FALSE(read_result_figures(path_.string() + ".missing"));
  // Odd records are skipped, not trusted: a negative or huge end time, a string where a
  // number belongs.
  write(R"({"summary":{},"requests":[{"error":null,"ttft":"x","timestamps":{"end":-1}},
    {"error":null,"ttft":1,"timestamps":{"end":1e300}}, 5]})");
  read = read_result_figures(path_);
  ASSERT_TRUE(read);
  EXPECT_TRUE(read->windows.empty());
}

}  // namespace
}  // namespace llmbench::report

namespace llmbench::report {
namespace {

TEST(StoredResultFigures, OneParserForFilesAndStoredRuns) {
  const std::string summary =
      R"({"ttft":{"p50":0.1,"p99":0.3,"ci":{"level":0.95,"p50":[0.09,0.11],"p99":[null,0.4]}},
          "output_token_throughput":900})";
  const std::string context = R"({"started_at":"2026-12-01T10:00:00Z","config":{"engine":"tgi"}})";
  const std::vector<std::string> lines = {
      R"({"error":null,"ttft":0.1,"itl":[0.01],"timestamps":{"end":0.5}})", "not json",
      R"({"error":null,"ttft":0.2,"timestamps":{"end":1.5}})"};
  const auto read = stored_result_figures("history run 7", summary, context, "sha256:ab", lines);
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ(read->source, "history run 7");
  EXPECT_EQ(read->engine, "tgi");
  EXPECT_DOUBLE_EQ(read->figures.at("ttft.p99"), 0.3);
  ASSERT_EQ(read->intervals.count("ttft.p50"), 1u);
  EXPECT_DOUBLE_EQ(read->intervals.at("ttft.p50").low, 0.09);
  EXPECT_EQ(read->intervals.at("ttft.p50").method, "summary");
  EXPECT_EQ(read->intervals.count("ttft.p99"), 0u);  // a bound is null: no interval
  ASSERT_TRUE(read->fingerprint);
  EXPECT_EQ(read->fingerprint->workload, "sha256:ab");
  ASSERT_EQ(read->windows.at("ttft").size(), 2u);
  EXPECT_EQ(read->windows.at("ttft")[1], std::vector<double>{0.2});

  EXPECT_FALSE(stored_result_figures("history run 8", "{", context, "", {}));
  const auto bare = stored_result_figures("history run 9", "{}", "", "", {});
  ASSERT_TRUE(bare);
  EXPECT_FALSE(bare->fingerprint);
}

TEST(ResultFingerprint, ReadFromTheWorkloadBlockAndNullIsNone) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("llmbench_reader_fp_" + std::to_string(::getpid()) + ".json");
  std::ofstream(path) << R"({"summary":{},"workload":{"fingerprint":{"workload":"sha256:w",
      "prompts":"sha256:p","lengths":"sha256:l","load":"sha256:o","requests_hashed":20}}})";
  auto read = read_result_figures(path);
  ASSERT_TRUE(read);
  ASSERT_TRUE(read->fingerprint);
  EXPECT_EQ(read->fingerprint->prompts, "sha256:p");
  EXPECT_EQ(read->fingerprint->requests_hashed, 20u);
  std::ofstream(path) << R"({"summary":{},"workload":{"fingerprint":null}})";
  read = read_result_figures(path);
  ASSERT_TRUE(read);
  EXPECT_FALSE(read->fingerprint);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace llmbench::report
