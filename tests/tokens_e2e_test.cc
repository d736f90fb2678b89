// Token accounting end to end: the real binary against the simulator sending chunks of
// several tokens. A chunk is not a token: per-chunk counts come from the engine's
// continuous usage stats where it has them (vLLM, SGLang), and the time series' tokens sum
// to the summary's output tokens whatever the engine said per chunk.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/process.h"
#include "support/run_llmbench.h"

namespace llmbench {
namespace {

using nlohmann::json;
using testing::run;
using testing::RunOutcome;
using testing::Sim;

std::int64_t series_tokens(const json& result) {
  std::int64_t n = 0;
  for (const json& w : result["time_series"]["windows"])
    n += w["output_tokens"].get<std::int64_t>();
  return n;
}

struct ChunkCase {
  std::string dialect;
  std::string api;
  bool per_chunk_counts;  // the engine reports usage on every chunk when asked
};

void PrintTo(const ChunkCase& c, std::ostream* out) { *out << c.dialect << " " << c.api; }

class MultiTokenChunks : public ::testing::TestWithParam<ChunkCase> {};

// 13 tokens in chunks of 3: arrivals of 3, 3, 3, 3 and 1 tokens.
TEST_P(MultiTokenChunks, TokensPerArrivalAndTheTimeSeriesSumToTheSummary) {
  const ChunkCase& c = GetParam();
  Sim sim({"--dialect", c.dialect, "--ttft", "20ms", "--itl", "4ms", "--tokens-per-chunk", "3"});
  const RunOutcome r = run(
      sim.url(), {"--api", c.api, "--concurrency", "2", "--requests", "8", "--max-tokens", "13"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json& s = r.result["summary"];
  ASSERT_EQ(s["succeeded"], 8) << s["errors"].dump();
  EXPECT_EQ(s["output_tokens"], 8 * 13);
  for (const json& req : r.result["requests"]) {
    EXPECT_EQ(req["output_tokens"], 13);
    ASSERT_EQ(req["timestamps"]["token_arrivals"].size(), 5u);
    if (c.per_chunk_counts) {
      EXPECT_EQ(req["timestamps"]["tokens_per_arrival"], json::parse("[3,3,3,3,1]"));
    } else {  // the engine said nothing per chunk: one each, as recorded
      EXPECT_FALSE(req["timestamps"].contains("tokens_per_arrival"));
    }
  }
  // Either way the windows carry the engine's count, not the number of chunks (5 per request).
  EXPECT_EQ(series_tokens(r.result), 8 * 13);
  // TPOT: the 40 ms from the first chunk (token 3) to the last (token 13) over 12, not 4.
  EXPECT_NEAR(testing::ms(s["tpot"]["p50"]), 40.0 / 12.0, 0.4);
}

INSTANTIATE_TEST_SUITE_P(Dialects, MultiTokenChunks,
                         ::testing::Values(ChunkCase{"vllm", "openai-chat", true},
                                           ChunkCase{"vllm", "openai-completions", true},
                                           ChunkCase{"sglang", "openai-chat", true},
                                           ChunkCase{"openai", "openai-chat", false},
                                           ChunkCase{"llamacpp", "openai-completions", false}),
                         [](const ::testing::TestParamInfo<ChunkCase>& param_info) {
                           std::string name = param_info.param.dialect + "_" + param_info.param.api;
                           for (char& ch : name) {
                             if (ch == '-') ch = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace llmbench
