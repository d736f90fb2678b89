#include "metrics/ollama_figures.h"

#include <gtest/gtest.h>

#include <chrono>
#include <vector>

namespace llmbench::metrics {
namespace {

TimePoint ms(double v) {
  return TimePoint(
      std::chrono::duration_cast<Duration>(std::chrono::duration<double, std::milli>(v)));
}

// Sent at 0, first token at `first` ms, `tokens` tokens one per 10 ms.
RequestRecord streamed(double first, int tokens) {
  RequestRecord r;
  r.sent = true;
  r.stream = true;
  r.t_sched = r.t_send = ms(0);
  for (int i = 0; i < tokens; ++i) r.events.push_back(TokenEvent{ms(first + 10.0 * i), 1});
  r.t_end = ms(first + 10.0 * (tokens - 1) + 5);
  r.completed = true;
  return r;
}

TEST(OllamaFigures, TheEnginesOwnWhenReported) {
  RequestRecord r = streamed(50, 100);
  r.usage.prompt_tokens = 26;
  r.usage.output_tokens = 100;
  r.native.total_duration = 1.234;
  r.native.load_duration = 0.0123;
  r.native.prompt_eval_duration = 0.040;
  r.native.eval_duration = 1.1;
  const OllamaFigures f = ollama_figures(r, derive(r));
  ASSERT_TRUE(f.total_duration && f.load_duration && f.prompt_eval_count &&
              f.prompt_eval_duration && f.prompt_eval_rate && f.eval_count && f.eval_duration &&
              f.eval_rate);
  EXPECT_EQ(f.total_duration->value, 1.234);
  EXPECT_EQ(f.total_duration->source, FigureSource::kEngine);
  EXPECT_EQ(f.load_duration->value, 0.0123);
  EXPECT_EQ(f.prompt_eval_count->value, 26);
  EXPECT_EQ(f.prompt_eval_duration->value, 0.040);
  EXPECT_DOUBLE_EQ(f.prompt_eval_rate->value, 650);
  EXPECT_EQ(f.prompt_eval_rate->source, FigureSource::kEngine);
  EXPECT_EQ(f.eval_count->value, 100);
  EXPECT_EQ(f.eval_duration->source, FigureSource::kEngine);
  EXPECT_NEAR(f.eval_rate->value, 90.909, 1e-3);
  EXPECT_EQ(f.eval_rate->source, FigureSource::kEngine);
}

TEST(OllamaFigures, DerivedFromTheClientElse) {
  RequestRecord r = streamed(50, 11);  // ends at 155 ms; no native timings (vLLM)
  r.usage.prompt_tokens = 26;          // the usage block's count is still the engine's
  const OllamaFigures f = ollama_figures(r, derive(r));
  ASSERT_TRUE(f.total_duration && f.prompt_eval_duration && f.eval_duration && f.eval_count);
  EXPECT_NEAR(f.total_duration->value, 0.155, 1e-9);  // E2E
  EXPECT_EQ(f.total_duration->source, FigureSource::kClient);
  EXPECT_FALSE(f.load_duration);                            // nobody measured it: absent, not 0
  EXPECT_NEAR(f.prompt_eval_duration->value, 0.050, 1e-9);  // ≈ TTFT
  EXPECT_EQ(f.prompt_eval_duration->source, FigureSource::kClient);
  EXPECT_NEAR(f.eval_duration->value, 0.105, 1e-9);  // E2E − TTFT
  EXPECT_EQ(f.eval_count->value, 11);                // the client's count
  EXPECT_EQ(f.eval_count->source, FigureSource::kClient);
  ASSERT_TRUE(f.prompt_eval_rate && f.eval_rate);
  EXPECT_EQ(f.prompt_eval_count->source, FigureSource::kEngine);
  EXPECT_EQ(f.prompt_eval_rate->source, FigureSource::kClient);  // engine count, client time
  EXPECT_NEAR(f.prompt_eval_rate->value, 26 / 0.050, 1e-6);
  EXPECT_NEAR(f.eval_rate->value, 11 / 0.105, 1e-6);
}

TEST(OllamaFigures, ANonStreamedReplyHasNoPrefillDecodeSplit) {
  RequestRecord r = streamed(200, 1);
  r.stream = false;
  const OllamaFigures f = ollama_figures(r, derive(r));
  EXPECT_TRUE(f.total_duration);
  EXPECT_FALSE(f.prompt_eval_duration);
  EXPECT_FALSE(f.eval_duration);
  EXPECT_FALSE(f.eval_rate);
  EXPECT_FALSE(f.prompt_eval_count);  // no usage block
}

TEST(OllamaFigures, ARunsMeansFromItsSummary) {
  std::vector<RequestRecord> records;
  for (int i = 0; i < 4; ++i) {
    RequestRecord r = streamed(40 + 20 * i, 10);
    r.usage.prompt_tokens = 20;
    r.usage.output_tokens = 10;
    records.push_back(r);
  }
  const RunSummary client_only = summarize(records, ms(0));
  const OllamaFigures c = ollama_figures(client_only);
  ASSERT_TRUE(c.total_duration && c.prompt_eval_duration && c.eval_duration);
  EXPECT_EQ(c.total_duration->source, FigureSource::kClient);
  EXPECT_NEAR(c.prompt_eval_duration->value, 0.070, 1e-6);  // mean TTFT
  EXPECT_NEAR(c.eval_duration->value, 0.095, 1e-6);         // mean E2E − mean TTFT
  EXPECT_FALSE(c.load_duration);
  EXPECT_EQ(c.prompt_eval_count->value, 20);
  EXPECT_EQ(c.eval_count->value, 10);

  for (RequestRecord& r : records) {
    r.native.total_duration = 0.5;
    r.native.load_duration = 0.01;
    r.native.prompt_eval_duration = 0.02;
    r.native.eval_duration = 0.4;
  }
  const OllamaFigures n = ollama_figures(summarize(records, ms(0)));
  ASSERT_TRUE(n.total_duration && n.load_duration && n.eval_duration && n.eval_rate);
  EXPECT_NEAR(n.total_duration->value, 0.5, 1e-9);
  EXPECT_EQ(n.total_duration->source, FigureSource::kEngine);
  EXPECT_NEAR(n.load_duration->value, 0.01, 1e-9);
  EXPECT_EQ(n.eval_count->source, FigureSource::kEngine);
  EXPECT_NEAR(n.eval_rate->value, 25, 1e-6);
  EXPECT_EQ(n.eval_rate->source, FigureSource::kEngine);
}

TEST(OllamaFigures, NothingWithoutASuccessfulRequest) {
  RunSummary s;
  s.failed = 3;
  const OllamaFigures f = ollama_figures(s);
  EXPECT_FALSE(f.total_duration);
  EXPECT_FALSE(f.eval_count);
}

}  // namespace
}  // namespace llmbench::metrics
