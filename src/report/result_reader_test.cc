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
